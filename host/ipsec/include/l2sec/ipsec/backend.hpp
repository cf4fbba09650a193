// The IPsec back end: the one interface between the daemon (IKE, the LNS) and a data plane that
// holds SAs and carries packets. strongSwan's kernel_ipsec shape: add_sa / update_sa / query_sa /
// del_sa per direction, plus the packet paths a line module has (send via an SA, receive with the
// SA a packet arrived on, events).
//
// Two implementations behave the same and pass one conformance suite:
//   - SoftBackend (soft_backend.hpp): the golden ESP model on UDP sockets; the host's slow path
//     and the data plane until a line module is attached;
//   - the line-module back end (driver/): the RTL through the firmware and the host driver.
//
// Handles. A SaHandle names one child SA *pair* as IKE negotiated it (Linux's "reqid"): IKE picks
// it, both directions carry it, and a rekeyed pair keeps it. L2TP tunnels are bound to it, so a
// tunnel survives a rekey and two clients behind one NAT never share one.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "l2sec/golden/bytes.hpp"
#include "l2sec/golden/esp.hpp"
#include "lm_regs.hpp"

namespace l2sec::ipsec {

using SaHandle = std::uint32_t;
inline constexpr SaHandle kNoHandle = 0;

using Clock = std::chrono::steady_clock;

// An IPv4 address and UDP port, host byte order.
struct Endpoint {
  std::uint32_t addr = 0;
  std::uint16_t port = 0;
  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
};
std::string to_string(const Endpoint& e);  // "198.18.0.15:4500"

// 0 means "no limit" in either field.
struct Lifetime {
  std::uint64_t seconds = 0;
  std::uint64_t bytes = 0;
};

// One direction of a child SA, as IKE hands it over.
struct SaSpec {
  SaHandle handle = kNoHandle;  // the pair it belongs to; nonzero
  golden::SaConfig sa;          // SPI, direction, suite, keys, addresses, encapsulation, NAT-OA
  Lifetime soft;                // raises Event::kSoftExpire (IKE rekeys)
  Lifetime hard;                // raises Event::kHardExpire; the SA is deleted
};

// Where an SA is served: the line module's engines or the host's software path (3DES, or no
// line module attached).
enum class DataPath : std::uint8_t { kLineModule, kSoftware };
std::string_view to_string(DataPath p);

struct SaStatus {
  SaHandle handle = kNoHandle;
  golden::SaConfig sa;  // keys zeroed
  DataPath path = DataPath::kSoftware;
  golden::SaStats stats;
  std::uint32_t last_seq = 0;  // outbound: last sent; inbound: highest received
  Clock::time_point installed;
  bool active_outbound = false;       // the outbound SA that send_l2tp() uses for its handle
  std::optional<std::uint16_t> slot;  // ChassisBackend: the line module (slot) that holds it
};

enum class EventKind : std::uint8_t {
  kSoftExpire,   // soft lifetime reached: rekey
  kHardExpire,   // hard lifetime reached: the back end has deleted the SA
  kSeqOverflow,  // outbound sequence number exhausted: the SA no longer sends
  kPeerMoved,    // an authenticated inbound packet came from a new NAT mapping (RFC 3948 and 3947)
};
std::string_view to_string(EventKind k);

struct Event {
  EventKind kind = EventKind::kSoftExpire;
  SaHandle handle = kNoHandle;
  std::uint32_t spi = 0;
  lm::Direction direction = lm::Direction::kInbound;
  Endpoint peer;  // kPeerMoved: the new outer source
};

// What the line module hands up on its exception path (and the software path the same).
struct HostPacket {
  lm::PktClass pkt_class = lm::PktClass::kOther;  // kIke, kIkeNatt, kEspUdp/kEsp (decapsulated
                                                  // L2TP), kL2tpClear, kOther
  Endpoint local;                    // outer destination: our address and port (500, 4500 or 1701)
  Endpoint peer;                     // outer source, as the NAT mapped it
  SaHandle handle = kNoHandle;       // protected L2TP: the pair it arrived on
  std::uint32_t spi = 0;             // protected L2TP: the inbound SPI
  std::uint16_t inner_src_port = 0;  // L2TP: the LAC's UDP source port (any)
  std::uint16_t inner_dst_port = 0;  // L2TP: 1701
  Bytes payload;  // IKE: the ISAKMP message, non-ESP marker removed; L2TP: the UDP payload
  bool is_protected() const { return handle != kNoHandle; }
};

// The result of a control or send call: empty on success, otherwise what went wrong.
struct Status {
  std::string error;
  lm::DropReason reason = lm::DropReason::kNone;  // for packet paths
  bool ok() const { return error.empty(); }
  explicit operator bool() const { return ok(); }
  static Status success() { return {}; }
  static Status failure(std::string why, lm::DropReason r = lm::DropReason::kNone) {
    return {std::move(why), r};
  }
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;

  // ---- SAs
  // A fresh SPI for an inbound SA: nonzero, above 255, unused, and chosen so that the line
  // module's table index (the low bits) is free.
  virtual std::uint32_t allocate_spi() = 0;
  // Installs one direction. Adding an outbound SA for a handle that already has one makes the new
  // one active at once (make-before-break: IKE installs the new inbound SA first).
  virtual Status add_sa(const SaSpec& spec) = 0;
  // Follows the peer's NAT mapping: new outer address and port for every SA of the handle.
  virtual Status update_peer(SaHandle handle, Endpoint peer) = 0;
  virtual std::optional<SaStatus> query_sa(std::uint32_t spi, lm::Direction dir) const = 0;
  virtual Status del_sa(std::uint32_t spi, lm::Direction dir) = 0;
  virtual std::vector<SaStatus> list_sas() const = 0;

  // ---- egress
  // An IKE message from our port 500 or 4500 (the back end adds the non-ESP marker on 4500).
  virtual Status send_ike(Endpoint local, Endpoint peer, ByteView message) = 0;
  // An L2TP message through the active outbound SA of handle: inner UDP from 1701 to lac_port.
  virtual Status send_l2tp(SaHandle handle, std::uint16_t lac_port, ByteView message) = 0;
  // An L2TP message in the clear from our port 1701 (only where the configuration allows it).
  virtual Status send_l2tp_clear(Endpoint local, Endpoint peer, ByteView message) = 0;

  // ---- ingress
  // A descriptor that becomes readable when receive() may return something; -1 if the back end
  // is polled only.
  virtual int poll_fd() const = 0;
  // The next packet for the host, or nullopt when none waits. Never blocks.
  virtual std::optional<HostPacket> receive() = 0;
  // The next SA event, or nullopt.
  virtual std::optional<Event> next_event() = 0;
  // Lifetimes (seconds) are checked here; call at least once a second.
  virtual void tick(Clock::time_point now) = 0;
};

}  // namespace l2sec::ipsec
