// The gateway of one virtual router: the IKE responder, the LNS and the PPP sessions over one IPsec
// back end, and the corporate side (a TUN interface) behind them. Packets the line module hands up
// are dispatched by class; IP from a PPP session goes to the corporate side or, for the gateway's
// own PPP address, is answered here; IP from the corporate side goes to the session that owns the
// destination address.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "l2sec/config/config.hpp"
#include "l2sec/daemon/tun.hpp"
#include "l2sec/ike/responder.hpp"
#include "l2sec/ipsec/backend.hpp"
#include "l2sec/l2tp/lns.hpp"
#include "l2sec/ppp/ipv4_pool.hpp"
#include "l2sec/ppp/local_users.hpp"
#include "l2sec/ppp/session.hpp"

namespace l2sec::daemon {

using ipsec::Clock;

// A PPP session that reached Open: what `show l2tp session` and the main job print.
struct SessionView {
  std::string user;
  std::uint32_t address = 0;  // assigned by IPCP
  ppp::AuthProtocol auth = ppp::AuthProtocol::kNone;
  l2tp::SessionInfo l2tp;            // tunnel/session IDs (ours and the LAC's), SA handle, peer
  std::optional<ike::ChildInfo> sa;  // the IPsec SA pair it runs on
  std::uint64_t ip_in = 0, ip_out = 0;
};
std::string to_string(const SessionView& s);  // one line

struct GatewayCounters {
  std::uint64_t host_packets = 0;
  std::uint64_t unhandled_class = 0;    // OTHER, fragments: nothing on the host takes them
  std::uint64_t spoofed = 0;            // IP from a session with a source it was not given
  std::uint64_t no_route = 0;           // corporate-side IP for an address no session has
  std::uint64_t own_address_pings = 0;  // echo requests to the gateway's PPP address answered
  std::uint64_t to_corporate = 0, from_corporate = 0;
};

class Gateway {
 public:
  // Maps the configuration of virtual router `vr` onto IKE, the LNS and PPP. nullptr and *error
  // when the configuration cannot run (no pool, no PPP address, no key, ...).
  static std::unique_ptr<Gateway> create(const config::RouterConfig& config, const std::string& vr,
                                         ipsec::Backend& backend, Tun* corporate,
                                         std::string* error);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Everything waiting on the back end and the corporate side, then timers when due.
  void poll_once(Clock::time_point now);
  // Runs poll_once() whenever a descriptor is readable (or every tick) until stop is set.
  void run(const std::atomic<bool>& stop);
  // One more descriptor for run() to wait on; ready() runs when it is readable (the control
  // socket). fd must stay open while run() runs.
  void add_poll_source(int fd, std::function<void()> ready) {
    poll_sources_.emplace_back(fd, std::move(ready));
  }

  // Called when a session reaches Open, and when one goes down.
  std::function<void(const SessionView&)> on_session_up;
  std::function<void(const SessionView&, std::string_view reason)> on_session_down;

  std::vector<SessionView> sessions() const;
  const ike::Responder& ike() const { return *ike_; }
  const l2tp::Lns& lns() const { return *lns_; }
  const GatewayCounters& counters() const { return counters_; }
  ipsec::Backend& backend() { return backend_; }

  // `show` output in the router's style: ike sa, ipsec sa, l2tp tunnel, l2tp session, counters.
  std::string show(std::string_view what) const;

 private:
  class PppPayload;
  Gateway(ipsec::Backend& backend, Tun* corporate) : backend_(backend), corporate_(corporate) {}

  void on_host_packet(const ipsec::HostPacket& pkt, Clock::time_point now);
  void from_client(PppPayload& session, ByteView ip);
  void from_corporate(ByteView ip);
  SessionView view(const PppPayload& p) const;

  ipsec::Backend& backend_;
  Tun* corporate_;
  std::unique_ptr<ike::Responder> ike_;
  std::unique_ptr<l2tp::Lns> lns_;
  std::unique_ptr<ppp::LocalUsers> users_;
  std::unique_ptr<ppp::Ipv4Pool> pool_;
  ppp::Config ppp_config_;
  std::uint32_t own_address_ = 0;                // the LNS's PPP address
  std::map<std::uint32_t, PppPayload*> routes_;  // client address -> its session
  std::vector<PppPayload*> payloads_;            // every live payload (owned by the LNS)
  Clock::time_point last_tick_{};
  GatewayCounters counters_;
  std::vector<std::pair<int, std::function<void()>>> poll_sources_;
};

}  // namespace l2sec::daemon
