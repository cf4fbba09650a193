// The line-module firmware (docs/line-module.md section 2): the SA table manager (install, delete,
// make-before-break rekey, lifetimes, per-SA counters), the exception path to the host and the
// host mailbox, over FpgaIo only.
//
// Freestanding-friendly: no exceptions, every table sized once at start-up, no allocation on the
// receive and TX_L2TP paths once the buffers have grown to the largest packet. Not thread-safe:
// one caller drives handle(), poll() and take_message().
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "l2sec/fw/fpga_io.hpp"
#include "l2sec/fw/mailbox.hpp"
#include "l2sec/fw/sa_entry.hpp"

namespace l2sec::fw {

using MacAddress = std::array<std::uint8_t, 6>;

struct FirmwareConfig {
  // Ethernet addresses: ours and the next hop's, written by start() into ctrl.LOCAL_MAC_* and
  // GATEWAY_MAC_* (the encap path's Ethernet header). The frames the firmware builds whole
  // (TX_IKE, TX_L2TP_CLEAR, TX_IP) take them from those registers, so a later change there applies
  // to both paths. Defaults are golden::ethernet_frame's.
  MacAddress local_mac{0x02, 0x00, 0x5e, 0x12, 0x00, 0x02};
  MacAddress gateway_mac{0x02, 0x00, 0x5e, 0x12, 0x00, 0x01};
  bool nat_passthrough = false;  // ctrl.CONTROL.NAT_PASSTHROUGH
  // ctrl.IRQ_ENABLE written at start-up (EVENT, RX, ERROR): the FPGA's irq then tells whoever runs
  // the firmware when poll() has work. Polling alone works too.
  bool enable_irq = true;
  // INVALIDATE every slot at start-up: entries a previous firmware run left VALID (and their keys)
  // stop working. A slot's GEN is read back from the table before its first use either way, so a
  // new SA never inherits an old one's replay window or sequence number.
  bool invalidate_at_start = true;
  std::size_t outbox_capacity = 1024;  // messages waiting for the host; beyond it they are dropped
  std::uint32_t outbound_grace_ms = 2000;    // a replaced outbound SA stays valid this long
  std::uint32_t cmd_poll_limit = 10000;      // CMD reads while BUSY before it counts as failed
  std::uint32_t rx_budget = 64;              // frames taken per poll()
  std::uint32_t event_budget = 64;           // ctrl.EVENT entries taken per poll()
  std::uint32_t lifetime_interval_ms = 100;  // how often lifetimes and grace periods are checked
  std::uint32_t stats_per_check = 256;       // READ_STATS per check (byte lifetimes), round robin
  std::uint32_t tx_retries = 16;             // tx_frame attempts before a frame is dropped
  std::uint32_t max_capacity = lm::sa_entry::kCapacity;  // slots used: min(CAPS.CAPACITY, this)
};

class Firmware {
 public:
  // Runs start(); ready() tells whether it worked.
  Firmware(FpgaIo& io, FirmwareConfig config = {});
  Firmware(const Firmware&) = delete;
  Firmware& operator=(const Firmware&) = delete;

  // Walks the register blocks from offset 0 by TYPE/NEXT, checks their versions, reads
  // sa_table.CAPS, sizes the tables, enables the datapath. False (and start_error()) when the FPGA
  // is not a line module this firmware can drive; every request is then refused.
  bool start();
  bool ready() const { return ready_; }
  const std::string& start_error() const { return start_error_; }

  // One mailbox request in, its response out (always one, also for garbage).
  Bytes handle(ByteView request);
  void handle(ByteView request, Bytes& response);

  // FPGA events, received frames (to RX_PACKET messages), lifetimes and grace periods. now_ms is
  // any monotonic millisecond clock; requests handled between polls use the last one. True when
  // something happened (a frame or event taken, an SA retired or expired): callers may poll again
  // at once; false: idle until the irq or the next lifetime check.
  bool poll(std::uint64_t now_ms);

  // The oldest message for the host (responses are not queued: handle() returns them); false
  // when none waits. Copied into out, whose capacity is reused.
  bool take_message(Bytes& out);
  std::size_t outbox_size() const { return outbox_count_; }

  const FwCounters& counters() const { return counters_; }
  std::uint64_t counter(FwCounter c) const { return counters_[static_cast<std::size_t>(c)]; }
  std::uint32_t capacity() const { return capacity_; }
  std::uint8_t max_win_log2() const { return max_win_log2_; }
  // Where an SA sits, and the slot TX_L2TP uses for a handle (for tests and diagnostics).
  std::optional<std::uint16_t> slot_of(std::uint32_t spi, lm::Direction dir) const;
  std::optional<std::uint16_t> active_outbound(std::uint32_t handle) const;
  // Base offset of a block found at start-up, by TYPE.
  std::optional<std::uint32_t> block_base(std::uint32_t type_id) const;

 private:
  static constexpr std::uint16_t kNoSlot = 0xffff;

  struct Slot {
    bool in_use = false;
    bool host_path = false;  // inbound 3DES: no keys, its ESP goes up whole to the host
    bool gen_known = false;  // gen read from the table (at the slot's first use since start-up)
    std::uint8_t gen = 0;    // of the last entry written; bumped at each reuse
    std::uint32_t handle = 0;
    SaParams sa;
    Lifetime soft, hard;
    std::uint64_t installed_ms = 0;
    std::uint64_t retire_at_ms = 0;  // 0: not retiring
    bool soft_fired = false, hard_fired = false, overflow_fired = false;
    std::uint32_t highest_seq = 0;  // inbound: highest sequence number handed up
    std::uint16_t next_of_handle = kNoSlot;
  };
  struct HandleEntry {
    std::uint32_t handle = 0;
    std::uint16_t first_slot = kNoSlot;
    std::uint16_t active_out = kNoSlot;
  };
  struct Blocks {
    std::uint32_t ident = 0, ctrl = 0, sa_table = 0;
    std::optional<std::uint32_t> parser, decap, encap;
  };

  Reply dispatch(const Message& m);
  Reply on_hello(const Hello& m);
  Reply on_sa_add(const SaAdd& m);
  Reply on_sa_del(const SaDel& m);
  Reply on_update_peer(const SaUpdatePeer& m);
  Reply on_sa_query(const SaQuery& m);
  Reply on_counters();
  Reply on_tx_ike(const TxIke& m);
  Reply on_tx_l2tp(std::uint32_t handle, std::uint16_t lac_port, ByteView message);
  Reply on_tx_l2tp_clear(const TxL2tpClear& m);
  Reply on_tx_ip(const TxIp& m);
  Reply refuse(Reply r, Result result, std::string why,
               lm::DropReason reason = lm::DropReason::kNone);

  // sa_table commands. False on ERROR or BUSY timeout (counted and logged).
  bool command(lm::SaCmdOp op, std::uint16_t index);
  bool write_entry(std::uint16_t index, const EntryWords& words);
  std::optional<SaCounters> read_stats(std::uint16_t index);
  EntryWords entry_of(const Slot& s, std::uint8_t gen) const;
  std::uint32_t last_seq_of(const Slot& s, const SaCounters& c) const;

  std::optional<std::uint16_t> find_slot(std::uint32_t spi, lm::Direction dir) const;
  HandleEntry* find_handle(std::uint32_t handle);
  const HandleEntry* find_handle(std::uint32_t handle) const;
  HandleEntry* add_handle(std::uint32_t handle);
  void unlink(std::uint16_t index);
  // INVALIDATE, unlink, wipe; the active outbound falls back to another outbound of the handle.
  bool remove_sa(std::uint16_t index, const char* why);

  bool poll_events();
  bool poll_rx();
  bool check_lifetimes();
  void check_bytes(std::uint16_t index);
  void hand_up(const RxMeta& meta, ByteView frame);
  void raise(EventKind kind, const Slot& s, Endpoint peer = {});
  bool send(const TxMeta& meta, ByteView frame);
  Bytes* outbox_slot();  // the next free outbox buffer, or nullptr (counted) when full
  void count(FwCounter c, std::uint64_t n = 1) { counters_[static_cast<std::size_t>(c)] += n; }
  void write_macs();
  MacAddress read_mac(std::uint32_t hi_reg);  // ctrl.LOCAL_MAC_HI or GATEWAY_MAC_HI

  FpgaIo& io_;
  FirmwareConfig config_;
  bool ready_ = false;
  std::string start_error_;
  Blocks blocks_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> found_;  // (TYPE, base)
  std::uint32_t ident_caps_ = 0, rtl_version_ = 0, build_id_ = 0;
  std::uint32_t capacity_ = 0;
  std::uint8_t max_win_log2_ = 0;
  std::uint8_t ports_ = 1;

  std::vector<Slot> slots_;
  std::vector<HandleEntry> handles_;  // sorted by handle, capacity fixed at start-up
  std::uint32_t stats_cursor_ = 0;

  std::vector<Bytes> outbox_;
  std::size_t outbox_head_ = 0, outbox_count_ = 0;
  std::uint32_t unsolicited_seq_ = 0;

  Bytes rx_buf_, tx_buf_;
  std::uint16_t ip_id_ = 1;
  std::uint64_t now_ms_ = 0;
  std::uint64_t last_lifetime_check_ms_ = 0;
  bool checked_once_ = false;
  std::array<std::uint64_t, kMaxPorts> keepalives_{};
  FwCounters counters_{};
};

}  // namespace l2sec::fw
