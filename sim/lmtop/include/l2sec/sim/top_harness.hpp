// TopHarness: the Verilated line-module top (rtl/top/lm_top.v) behind a C++ interface: clocking,
// AXI-Lite register access, the four streams with queued input and collected output (random
// valid/ready back-pressure on request), FST traces on request, and SA installation through the
// sa_table block. docs/line-module.md section 5; rtl/top/README.md has the port-level contract.
//
// Everything runs on the caller's thread: step() advances the clock, read32()/write32() clock until
// their transaction is done (the streams keep moving meanwhile).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "l2sec/golden/bytes.hpp"
#include "l2sec/golden/esp.hpp"
#include "l2sec/sim/sa_entry.hpp"
#include "lm_regs.hpp"

namespace l2sec::sim {

// m_axis_host_rx_hdr_*: what the line module says about a packet it hands up.
struct HostRxHeader {
  lm::PktClass pkt_class = lm::PktClass::kOther;
  bool sa_valid = false;  // decapsulated with SA sa_index
  std::uint16_t sa_index = 0;
  std::uint32_t spi = 0, seq = 0;            // meaningful when sa_valid
  std::uint32_t src_addr = 0, dst_addr = 0;  // outer addresses
  std::uint16_t src_port = 0, dst_port = 0;  // outer UDP ports (0 for plain ESP)
  std::uint16_t payload_offset =
      0;                  // data offset of the UDP payload (L2TP, ISAKMP after the marker)
  std::uint16_t len = 0;  // bytes of data
  std::uint8_t port = 0;  // line port
};

// s_axis_host_tx_hdr_*: how the line module is to send a packet.
struct HostTxHeader {
  bool encap = false;  // true: ESP-encapsulate the transport payload with SA sa_index
  std::uint16_t sa_index = 0;
  std::uint8_t next_header = 17, tos = 0, ttl = 64;
  std::uint16_t id = 0, frag = 0;
  std::uint8_t port = 0;
};

struct TopHarnessOptions {
  std::string fst_path;  // empty: no trace
  std::uint64_t seed = 1;
  unsigned valid_percent = 100, ready_percent = 100;  // random back-pressure on every stream
  // run_until_idle: the model counts as idle after this many cycles without output once all input
  // is taken (a 1500-byte packet spends about 4,500 cycles in a lane).
  unsigned idle_cycles = 6000;
};

class TopHarness {
 public:
  explicit TopHarness(const TopHarnessOptions& options = {});
  ~TopHarness();
  TopHarness(const TopHarness&) = delete;
  TopHarness& operator=(const TopHarness&) = delete;

  // Clock.
  void step(unsigned cycles = 1);
  std::uint64_t cycles() const;
  // Synchronous reset (a few cycles), then waits for the parser's counter clear; queues emptied.
  void reset();

  // AXI-Lite: full line-module byte addresses; each clocks until its transaction is done.
  std::uint32_t read32(std::uint32_t addr);
  void write32(std::uint32_t addr, std::uint32_t value);

  // Streams. Input is fed beat by beat as step() runs; output is collected as it comes.
  void push_line_rx(ByteView frame);
  std::optional<Bytes> pop_line_tx();
  // data: the transport payload for encap (may be empty), the whole Ethernet frame otherwise.
  void push_host_tx(const HostTxHeader& header, ByteView data);
  std::optional<std::pair<HostRxHeader, Bytes>> pop_host_rx();
  std::size_t line_tx_pending() const;  // collected, not yet popped
  std::size_t host_rx_pending() const;

  bool irq() const;
  // Anything queued for input or collected half-way.
  bool busy() const;
  // Clocks until all input is taken and nothing came out for options.idle_cycles, or max_cycles.
  // Returns false on max_cycles.
  bool run_until_idle(std::uint64_t max_cycles);

  // Back-pressure can be changed between phases.
  void set_backpressure(unsigned valid_percent, unsigned ready_percent);

  // Register-level helpers.
  // ctrl: CONTROL.ENABLE / NAT_PASSTHROUGH and the MAC addresses (byte 0 of a MAC first).
  void enable(bool on = true, bool nat_passthrough = false);
  void set_macs(const std::array<std::uint8_t, 6>& local,
                const std::array<std::uint8_t, 6>& gateway);
  // sa_table: STAGE[0..39] then CMD; polls BUSY; false when the command reported ERROR.
  bool write_sa_entry(std::uint16_t index, const SaEntryWords& words);
  bool install_sa(std::uint16_t index, const golden::SaConfig& cfg, unsigned win_log2 = 6,
                  std::uint8_t gen = 1);
  bool invalidate_sa(std::uint16_t index);
  std::optional<SaEntryWords> read_sa_entry(std::uint16_t index);
  // sa_stats layout: PACKETS, BYTES (64 bits), ICV_FAIL, REPLAY_DROP, PAD_FAIL, OTHER_DROP.
  struct SaCounters {
    std::uint64_t packets = 0, bytes = 0;
    std::uint32_t icv_fail = 0, replay_drop = 0, pad_fail = 0, other_drop = 0;
  };
  std::optional<SaCounters> read_sa_stats(std::uint16_t index);
  // Walks TYPE/NEXT from offset 0: (base, type id) of every block in chain order.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> walk_blocks();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace l2sec::sim
