// The software IPsec back end: the golden ESP model behind a FramePort. It does what the line
// module does (classify, keepalive discard, decap, hand up with the SA handle, encap) in the host,
// so the daemon runs the same whether a line module is attached or not, and it serves the SAs a
// line module cannot (3DES) as the host's slow path.
#pragma once

#include <array>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <set>

#include "l2sec/golden/esp.hpp"
#include "l2sec/ipsec/backend.hpp"
#include "l2sec/ipsec/frame_port.hpp"

namespace l2sec::ipsec {

struct SoftBackendOptions {
  // RFC 3948 3.1.2: zero the inner UDP checksum instead of fixing it up from NAT-OA
  // (application l2tp-nat-passthrough); also skips the UDP checksum check of clear packets.
  bool nat_passthrough = false;
  // The table size the SPI allocator keeps distinct in the low bits (the line module's SA table).
  std::uint32_t spi_index_slots = lm::sa_entry::kCapacity;
};

struct SoftBackendCounters {
  std::uint64_t frames_in = 0, frames_out = 0;
  std::uint64_t ike_in = 0, ike_out = 0;
  std::uint64_t l2tp_protected_in = 0, l2tp_protected_out = 0;
  std::uint64_t l2tp_clear_in = 0, l2tp_clear_out = 0;
  std::uint64_t keepalives_discarded = 0;
  std::uint64_t fragments = 0;  // not reassembled on this path: dropped
  std::uint64_t not_l2tp = 0;   // decapsulated fine but not UDP to 1701: dropped
  std::uint64_t other = 0;      // classified OTHER: dropped
  std::array<std::uint64_t, 1u << lm::kDropReasonWidth> drops{};  // by reason, every stage
};

class SoftBackend final : public Backend {
 public:
  SoftBackend(std::unique_ptr<FramePort> port, SoftBackendOptions options = {});

  std::string_view name() const override { return "software"; }

  std::uint32_t allocate_spi() override;
  Status add_sa(const SaSpec& spec) override;
  Status update_peer(SaHandle handle, Endpoint peer) override;
  std::optional<SaStatus> query_sa(std::uint32_t spi, lm::Direction dir) const override;
  Status del_sa(std::uint32_t spi, lm::Direction dir) override;
  std::vector<SaStatus> list_sas() const override;

  Status send_ike(Endpoint local, Endpoint peer, ByteView message) override;
  Status send_l2tp(SaHandle handle, std::uint16_t lac_port, ByteView message) override;
  Status send_l2tp_clear(Endpoint local, Endpoint peer, ByteView message) override;

  int poll_fd() const override { return port_->fd(); }
  std::optional<HostPacket> receive() override;
  std::optional<Event> next_event() override;
  void tick(Clock::time_point now) override;

  const SoftBackendCounters& counters() const { return counters_; }
  const golden::EspEngine& engine() const { return engine_; }
  FramePort& port() { return *port_; }

 private:
  struct Entry {
    SaSpec spec;  // keys kept for the life of the SA; wiped on delete
    golden::SaHandle engine_handle = golden::kNoSa;
    Clock::time_point installed;
    bool soft_fired = false;
  };
  using Key = std::pair<std::uint32_t, lm::Direction>;  // (SPI, direction)

  void drop(lm::DropReason reason) { ++counters_.drops[static_cast<std::size_t>(reason)]; }
  bool transmit(ByteView packet);
  void check_bytes(Entry& e);
  void remove(std::map<Key, Entry>::iterator it);
  Entry* find_by_engine(golden::SaHandle h);

  std::unique_ptr<FramePort> port_;
  SoftBackendOptions options_;
  golden::EspEngine engine_;
  std::map<Key, Entry> sas_;
  std::map<SaHandle, std::uint32_t> active_outbound_;  // handle -> outbound SPI
  std::set<std::uint32_t> used_slots_;                 // inbound SPIs' low bits
  std::deque<Event> events_;
  std::mt19937 rng_{std::random_device{}()};
  std::uint16_t ip_id_ = 1;
  Clock::time_point now_ = Clock::now();
  SoftBackendCounters counters_;
};

}  // namespace l2sec::ipsec
