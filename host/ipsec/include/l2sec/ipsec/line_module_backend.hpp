// The line-module IPsec back end (docs/line-module.md): ipsec::Backend over a driver::Device that
// carries the host mailbox (firmware/include/l2sec/fw/mailbox.hpp) on its rings. The SAs live in
// the line module's SA table, ESP is decapsulated and encapsulated by the RTL, the firmware hands
// up IKE and L2TP with the SA handle. Whatever the line module cannot hold (3DES, a full table, a
// slot collision) is served by an inner SoftBackend, the host's slow path, chosen per SA and shown
// as DataPath::kSoftware, so the daemon never refuses a client for it. An inbound 3DES SA also
// gets a host-path entry in the SA table (SA_ADD answered kHostPath; no keys): the line module
// hands its ESP up whole (RX_PACKET, not protected) and the SoftBackend decapsulates it. What the
// SoftBackend seals leaves as TX_IP (a whole IPv4 packet; the firmware adds the Ethernet header).
//
// Control requests (HELLO, SA_*, COUNTERS) are synchronous: sent on kMboxToDevice, the device
// serviced until the response with the request's seq arrives on kMboxFromDevice (EVENTs met on
// the way are queued). Transmits (TX_*) go on kPacketToDevice; with synchronous_tx the back end
// also waits for their responses on kPacketFromDevice (the RX_PACKETs met on the way are queued),
// so a frame is on the wire when send_l2tp() returns on a simulated device.
//
// Lifetimes: bytes are counted and enforced by the firmware (EVENT soft/hard); seconds are
// checked here in tick(), against the time the SA was installed, like the software back end.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "l2sec/driver/device.hpp"
#include "l2sec/fw/mailbox.hpp"
#include "l2sec/ipsec/backend.hpp"
#include "l2sec/ipsec/soft_backend.hpp"

namespace l2sec::ipsec {

struct LineModuleBackendOptions {
  bool nat_passthrough = false;  // every SA's NAT_PASSTHROUGH (application l2tp-nat-passthrough)
  // How long a control request may take before the device counts as dead (simulated devices are
  // slow: a Verilated SA-table write is thousands of cycles through AXI-Lite).
  std::chrono::milliseconds reply_timeout{20000};
  bool synchronous_tx = true;  // wait for each TX_* response (see above)
};

struct LineModuleBackendCounters {
  std::uint64_t requests = 0, replies = 0, timeouts = 0;
  std::uint64_t rx_packets = 0, events = 0;
  std::uint64_t tx_sent = 0, tx_refused = 0;  // refused: ring full or the firmware said no
  std::uint64_t stray_messages = 0;           // undecodable, or a response nobody waited for
  std::uint64_t soft_path_sas = 0;            // SAs placed on the software path, ever
};

class LineModuleBackend final : public Backend {
 public:
  // Says HELLO (version check, capacity) and builds the back end; nullptr and *error when the
  // device does not answer or speaks no version we know. slow_port: the inner SoftBackend's port
  // (nullptr: a port that carries nothing; see DeviceSlowPort in the .cpp).
  static std::unique_ptr<LineModuleBackend> create(std::unique_ptr<driver::Device> device,
                                                   LineModuleBackendOptions options,
                                                   std::string* error);
  ~LineModuleBackend() override;

  std::string_view name() const override { return "line-module"; }

  std::uint32_t allocate_spi() override;
  Status add_sa(const SaSpec& spec) override;
  Status update_peer(SaHandle handle, Endpoint peer) override;
  std::optional<SaStatus> query_sa(std::uint32_t spi, lm::Direction dir) const override;
  Status del_sa(std::uint32_t spi, lm::Direction dir) override;
  std::vector<SaStatus> list_sas() const override;

  Status send_ike(Endpoint local, Endpoint peer, ByteView message) override;
  Status send_l2tp(SaHandle handle, std::uint16_t lac_port, ByteView message) override;
  Status send_l2tp_clear(Endpoint local, Endpoint peer, ByteView message) override;

  int poll_fd() const override { return epoll_fd_; }
  std::optional<HostPacket> receive() override;
  std::optional<Event> next_event() override;
  void tick(Clock::time_point now) override;

  // The firmware's COUNTERS (parser, decap, encap, firmware, keepalives per port).
  std::optional<fw::CountersInfo> counters_of_device();
  const fw::HelloInfo& hello() const { return hello_; }
  const LineModuleBackendCounters& counters() const { return counters_; }
  SoftBackend& software() { return *soft_; }
  driver::Device& device() { return *device_; }
  // Lets the device run and moves what it has for us into the queues (also done by receive()).
  void service();

 private:
  LineModuleBackend(std::unique_ptr<driver::Device> device, LineModuleBackendOptions options);

  struct Entry {
    SaSpec spec;  // keys wiped once installed
    DataPath path = DataPath::kLineModule;
    std::optional<std::uint16_t> slot;
    Clock::time_point installed;
    bool soft_fired = false;
    bool host_entry = false;  // software path with a host-path entry in the SA table (slot)
  };
  using Key = std::pair<std::uint32_t, lm::Direction>;

  // One control request, its response; nullopt (and *error) on a timeout or a dead device.
  std::optional<fw::Reply> request(fw::Body body, driver::Ring ring, std::string* error);
  bool push(driver::Ring ring, ByteView bytes, std::string* error);
  void take(const Bytes& raw, std::optional<std::uint32_t> waiting_for,
            std::optional<fw::Reply>* got);
  void drain(driver::Ring ring, std::optional<std::uint32_t> waiting_for,
             std::optional<fw::Reply>* got);
  void forget(std::map<Key, Entry>::iterator it);
  Status transmit(fw::Body body, const char* what);
  // SA_DEL of a software-path SA's host-path entry, if it has one.
  void drop_host_entry(Entry& e, std::uint32_t spi, lm::Direction dir);

  std::unique_ptr<driver::Device> device_;
  LineModuleBackendOptions options_;
  std::unique_ptr<SoftBackend> soft_;
  fw::HelloInfo hello_;
  std::uint32_t slots_ = lm::sa_entry::kCapacity;
  std::map<Key, Entry> sas_;  // line-module SAs and soft-path SAs alike
  // Table slots. An inbound SA sits at SPI mod capacity, and the firmware puts an outbound SA in
  // the highest free slot. Quick Mode sends our inbound SPI before the SA is installed, so an
  // outbound SA installed in between must never take that SPI's slot: allocate_spi() hands out
  // only SPIs whose index is in the lower half of the table, and outbound SAs fill it from the top
  // (half the table each way). A reservation lasts until add_sa of the SPI, or kSpiReservation.
  std::set<std::uint16_t> used_slots_;  // installed: inbound SPIs' indexes, outbound SAs' slots
  static constexpr std::chrono::seconds kSpiReservation{300};
  std::map<std::uint16_t, Clock::time_point> reserved_slots_;  // allocate_spi() until add_sa
  std::map<SaHandle, std::uint32_t> soft_active_out_;  // handles whose active outbound is soft
  std::deque<HostPacket> rx_;
  std::deque<Event> events_;
  std::uint32_t seq_ = 0;
  int epoll_fd_ = -1;
  std::mt19937 rng_{std::random_device{}()};
  Clock::time_point now_ = Clock::now();
  mutable Bytes buf_;
  LineModuleBackendCounters counters_;
};

}  // namespace l2sec::ipsec
