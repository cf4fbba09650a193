// One PPP link as the LNS terminates it (RFC 1661 LCP, PAP RFC 1334, CHAP-MD5 RFC 1994,
// MS-CHAPv2 RFC 2759, IPCP RFC 1332 with DNS RFC 1877). The L2TP session owns it: frames come in
// from L2TP data messages and go out through the hooks; IP packets go to the corporate side through
// a hook and come back through send_ip().
//
// The router does no compression and no PPP encryption: CCP and ECP (and every protocol it does
// not know) are answered with LCP Protocol-Reject, so such a client still comes up.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "l2sec/golden/bytes.hpp"
#include "l2sec/ppp/fsm.hpp"

namespace l2sec::ppp {

using Clock = std::chrono::steady_clock;

enum class AuthProtocol : std::uint8_t { kNone, kPap, kChapMd5, kMsChapV2 };
std::string_view to_string(AuthProtocol p);

// Where user names are checked. Local user file today; RADIUS later (same interface).
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // The user's clear-text password (CHAP and MS-CHAPv2 need it), or nullopt if unknown.
  virtual std::optional<std::string> password(std::string_view user) const = 0;
};

// Addresses handed to clients by IPCP.
class AddressPool {
 public:
  virtual ~AddressPool() = default;
  virtual std::optional<std::uint32_t> allocate() = 0;  // host byte order
  virtual void release(std::uint32_t addr) = 0;
};

// MS-CHAPv2, CHAP-MD5, PAP. (Out of line: GCC 12 at -O2 warns "may be used uninitialized" on
// an initializer-list default member initializer inlined into callers.)
std::vector<AuthProtocol> default_auth_protocols();

struct Config {
  // Offered in this order in LCP Configure-Request; the client may Nak to another in the list.
  // kNone in the list allows a client that rejects authentication.
  std::vector<AuthProtocol> auth = default_auth_protocols();
  std::uint16_t mru = 1400;
  std::uint32_t local_addr = 0;      // the router's own address on the link (IPCP), host order
  std::uint32_t dns1 = 0, dns2 = 0;  // RFC 1877; 0 = not offered
  std::string name = "l2sec";        // our name in CHAP challenges
  std::chrono::seconds restart_timer{3};
  unsigned max_configure = 10;
  unsigned max_terminate = 2;
  unsigned max_failure = 5;
  std::chrono::seconds echo_interval{30};  // LCP echo keepalive; 0 = off
  unsigned echo_failures = 4;
  std::chrono::seconds auth_timeout{30};
};

enum class Phase : std::uint8_t { kDead, kEstablish, kAuthenticate, kNetwork, kOpen, kTerminate };
std::string_view to_string(Phase p);

struct Counters {
  std::uint64_t frames_in = 0, frames_out = 0;
  std::uint64_t ip_in = 0, ip_out = 0;  // IP packets from / to the client
  std::uint64_t bad_frames = 0;         // malformed or unexpected, dropped with a log line
  std::uint64_t protocol_rejects = 0;   // Protocol-Reject sent (CCP, ECP, unknown)
  std::uint64_t echo_sent = 0, echo_replies = 0;
  // Added: well-formed frames not allowed in the current phase (RFC 1661 3.x "silently
  // discard"), IP packets from send_ip() dropped because IPCP is not open, failed logins.
  std::uint64_t discarded = 0;
  std::uint64_t ip_dropped = 0;
  std::uint64_t auth_failures = 0;
};

// Hooks are called synchronously from the Session's methods; the owner must not destroy the
// Session from inside a hook (defer the teardown that on_down asks for).
class Session {
 public:
  struct Hooks {
    // A PPP frame to the client, starting with the HDLC address and control bytes FF 03.
    std::function<void(ByteView frame)> send_frame;
    // An IP packet from the client, to the corporate side.
    std::function<void(ByteView ip_packet)> deliver_ip;
    // The link reached Open (IPCP up): user and address are known.
    std::function<void()> on_up;
    // The link is down for good (terminated, auth failed, keepalive lost); the owner tears the
    // L2TP session down.
    std::function<void(std::string_view reason)> on_down;
  };

  Session(const Config& config, Authenticator& auth, AddressPool& pool, Hooks hooks);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The LNS starts LCP once the L2TP session is established (after ICCN).
  void start(Clock::time_point now);
  // A frame from the client (with or without FF 03; both are accepted).
  void on_frame(ByteView frame, Clock::time_point now);
  // An IP packet from the corporate side to the client; dropped unless the link is open.
  void send_ip(ByteView ip_packet);
  // Timers: restart, echo keepalive, authentication timeout.
  void tick(Clock::time_point now);
  // Administrative close: LCP Terminate-Request, then down.
  void close(std::string_view reason, Clock::time_point now);

  Phase phase() const;
  const std::string& user() const;                 // empty until authenticated
  std::optional<std::uint32_t> peer_addr() const;  // the address IPCP assigned
  AuthProtocol auth_protocol() const;              // what was negotiated
  const Counters& counters() const;
  // Added for tests and show commands.
  Fsm::State lcp_state() const;
  Fsm::State ipcp_state() const;
  std::uint16_t peer_mru() const;  // what the client asked us to send at most (1500 by default)
  std::uint32_t magic() const;     // our LCP magic number
  // The earliest time tick() has something to do (restart timers, CHAP retransmission,
  // authentication timeout, echo); nullopt when nothing is pending. Calling tick() more often
  // is harmless.
  std::optional<Clock::time_point> next_timer() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace l2sec::ppp
