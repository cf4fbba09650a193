// The L2TP Network Server (RFC 2661): control connections (SCCRQ/SCCRP/SCCCN, StopCCN, HELLO),
// incoming calls (ICRQ/ICRP/ICCN, CDN) and data messages, on top of the reliable delivery layer
// (channel.hpp) and the wire codec (codec.hpp). I/O goes through ipsec::Backend; PPP is not known
// here: each session carries its frames to a PayloadSession that a factory creates once the call
// is connected (the daemon wires ppp::Session into it).
//
// Tunnels belong to the SA they arrived on. A tunnel is found by (binding, our tunnel ID), where
// the binding is the SA handle for protected L2TP and the outer peer endpoint for clear L2TP, so
// two clients behind one NAT with the same inner address and port never meet. SCCRQ
// retransmissions are recognised by (binding, LAC port, the LAC's Assigned Tunnel ID).
//
// Clear L2TP when the configuration requires IPsec: dropped with a counter and a log line (no
// StopCCN: answering unauthenticated clear traffic would only tell a scanner we are here).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "l2sec/golden/bytes.hpp"
#include "l2sec/ipsec/backend.hpp"
#include "l2sec/l2tp/channel.hpp"
#include "l2sec/l2tp/codec.hpp"

namespace l2sec::l2tp {

struct LnsConfig {
  std::string host_name = "l2sec";
  std::string vendor_name = "l2sec";
  std::uint16_t receive_window = 8;         // advertised in SCCRP
  std::chrono::seconds hello_interval{60};  // HELLO after this long without a message; 0 = off
  std::chrono::milliseconds initial_rto{1000};
  std::chrono::milliseconds max_rto{8000};
  unsigned max_retries = 5;
  bool require_ipsec = true;  // clear L2TP is dropped
  std::string tunnel_secret;  // non-empty: challenge/response required, hidden AVPs readable
  // Hide Assigned Tunnel/Session IDs when a secret is set and the LAC hides AVPs too. Hiding is
  // optional for a sender; xl2tpd 1.3.18 could not unhide ours (see README), and does not hide
  // its own, so towards a LAC that does not hide, nothing is hidden.
  bool hide_avps = false;
  bool data_sequencing = false;           // send data with Ns/Nr even if the LAC does not ask
  bool single_shot = false;               // seed docs: one tunnel per SA, one session per tunnel
  std::chrono::seconds idle_timeout{60};  // a tunnel without sessions is cleared after this
  std::chrono::seconds destruct_timeout{10};       // how long a cleared tunnel's state is kept
  std::chrono::seconds session_setup_timeout{30};  // ICRP sent, no ICCN: CDN
  std::size_t max_tunnels = 65000;
  std::size_t max_sessions_per_tunnel = 1024;
  // Single-shot: called once when an SA's tunnel is finished, so the daemon can delete the IPsec
  // SA (seed docs: at the beginning of the destruct timeout).
  std::function<void(ipsec::SaHandle)> release_sa;
};

struct SessionInfo {
  std::uint16_t tunnel_id = 0, session_id = 0;            // ours
  std::uint16_t peer_tunnel_id = 0, peer_session_id = 0;  // the LAC's
  ipsec::SaHandle handle = ipsec::kNoHandle;
  ipsec::Endpoint peer;
  std::uint16_t lac_port = 0;
  std::string peer_host;
  std::uint32_t call_serial = 0;
  std::string calling_number, called_number;
  std::uint32_t tx_connect_speed = 0, rx_connect_speed = 0;  // from ICCN (bits/s)
  std::uint32_t framing_type = 0;                            // from ICCN
  bool sequencing = false;
  Clock::time_point established{};  // ICCN received
};

// What a payload session may do towards the LAC.
class SessionIo {
 public:
  virtual ~SessionIo() = default;
  // A PPP frame (with FF 03) to the LAC as an L2TP data message.
  virtual void send_frame(ByteView frame) = 0;
  // The payload is finished: the LNS sends CDN (after the current call returns) and, for a
  // single-shot tunnel, StopCCN.
  virtual void down(std::string_view reason) = 0;
};

// The payload of one session (PPP). Created after ICCN, started at once.
class PayloadSession {
 public:
  virtual ~PayloadSession() = default;
  virtual void start(Clock::time_point now) = 0;
  virtual void on_frame(ByteView frame, Clock::time_point now) = 0;
  virtual void tick(Clock::time_point now) = 0;
  // The L2TP session is gone (CDN, StopCCN, SA down, or after the payload's own down()); called
  // once, just before the payload is destroyed. Frames sent from here on are dropped.
  virtual void close(std::string_view reason, Clock::time_point now) = 0;
};
using SessionFactory =
    std::function<std::unique_ptr<PayloadSession>(const SessionInfo&, SessionIo&)>;

enum class TunnelState : std::uint8_t { kWaitCtlConn, kEstablished, kClosing, kDead };
enum class SessionState : std::uint8_t { kWaitConnect, kEstablished };
std::string_view to_string(TunnelState s);
std::string_view to_string(SessionState s);

struct TunnelListing {
  std::uint16_t id = 0, peer_id = 0;
  ipsec::SaHandle handle = ipsec::kNoHandle;
  ipsec::Endpoint peer;
  std::uint16_t lac_port = 0;
  std::string peer_host;
  TunnelState state = TunnelState::kWaitCtlConn;
  std::size_t sessions = 0;
  ChannelCounters channel;
};

struct SessionListing {
  SessionInfo info;
  SessionState state = SessionState::kWaitConnect;
  std::uint64_t frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0;
  std::uint64_t frames_dropped = 0;     // out of sequence or before the session was up
  std::uint32_t call_errors_total = 0;  // from WEN (sum of the error counters)
};

struct LnsCounters {
  std::uint64_t packets = 0;
  std::uint64_t clear_packets = 0;   // arrived without IPsec
  std::uint64_t clear_refused = 0;   // dropped: IPsec required
  std::uint64_t not_l2tp = 0;        // a packet class the LNS does not take
  std::uint64_t malformed = 0;       // header or AVP errors; dropped without acknowledgement
  std::uint64_t unknown_tunnel = 0;  // no tunnel with this ID on this SA / peer
  std::uint64_t unknown_session = 0;
  std::uint64_t ignored_messages = 0;   // unknown type without M, or not for an LNS
  std::uint64_t unknown_mandatory = 0;  // teardown because of an unknown M-bit AVP
  std::uint64_t tunnels_created = 0, tunnels_refused = 0, tunnels_down = 0;
  std::uint64_t sessions_created = 0, sessions_refused = 0, sessions_down = 0;
  std::uint64_t auth_failures = 0;
  std::uint64_t fsm_errors = 0;
  std::uint64_t hello_sent = 0, stopccn_sent = 0, cdn_sent = 0;
  std::uint64_t data_in = 0, data_out = 0, data_dropped = 0;
  std::uint64_t send_errors = 0;     // the back end refused a send
  std::uint64_t retry_failures = 0;  // tunnels dropped because the peer stopped acknowledging
};

class Lns {
 public:
  Lns(LnsConfig config, ipsec::Backend& backend, SessionFactory factory);
  ~Lns();
  Lns(const Lns&) = delete;
  Lns& operator=(const Lns&) = delete;

  // An L2TP packet from the line module (kEspUdp/kEsp with a handle, or kL2tpClear).
  void on_packet(const ipsec::HostPacket& packet, Clock::time_point now);
  // The SA pair is gone: its tunnels and sessions are dropped without messages.
  void on_sa_down(ipsec::SaHandle handle, Clock::time_point now);
  // Retransmissions, HELLO, idle and destruct timeouts, payload timers.
  void tick(Clock::time_point now);
  // Administrative clear: StopCCN (result 1 "general request") to the tunnel's LAC.
  bool clear_tunnel(std::uint16_t tunnel_id, Clock::time_point now);
  // Administrative clear of one session: CDN (result 3 "administrative reasons"); for a
  // single-shot tunnel StopCCN follows.
  bool clear_session(std::uint16_t tunnel_id, std::uint16_t session_id, Clock::time_point now);

  // A PPP frame to the LAC of an established session; false if there is no such session.
  bool send_frame(std::uint16_t tunnel_id, std::uint16_t session_id, ByteView frame);
  // The payload of an established session (the daemon hands corporate-side IP to it).
  PayloadSession* payload(std::uint16_t tunnel_id, std::uint16_t session_id);
  // Every established session's payload, for routing.
  void for_each_payload(const std::function<void(const SessionInfo&, PayloadSession&)>& fn);

  std::vector<TunnelListing> tunnels() const;
  std::vector<SessionListing> sessions() const;
  const LnsCounters& counters() const { return counters_; }
  const LnsConfig& config() const { return config_; }

 private:
  struct Session;
  struct Tunnel;
  struct Binding {
    ipsec::SaHandle handle = ipsec::kNoHandle;
    ipsec::Endpoint peer;  // clear L2TP only
    friend auto operator<=>(const Binding&, const Binding&) = default;
  };
  struct SccrqKey {
    Binding binding;
    std::uint16_t lac_port = 0;
    std::uint16_t lac_tunnel = 0;
    friend auto operator<=>(const SccrqKey&, const SccrqKey&) = default;
  };

  Tunnel* find_tunnel(const Binding& b, std::uint16_t id);
  void on_sccrq(const ipsec::HostPacket& p, const Binding& b, std::uint16_t lac_port,
                const Header& h, Decoded d, Clock::time_point now);
  void handle(Tunnel& t, Inbound in, Clock::time_point now);
  void handle_sccrq(Tunnel& t, const Inbound& in, Clock::time_point now);
  void handle_scccn(Tunnel& t, const Inbound& in, Clock::time_point now);
  void handle_icrq(Tunnel& t, const Inbound& in, Clock::time_point now);
  void handle_iccn(Tunnel& t, const Inbound& in, Clock::time_point now);
  void handle_cdn(Tunnel& t, const Inbound& in, Clock::time_point now);
  void on_data(Tunnel& t, const Header& h, ByteView frame, Clock::time_point now);
  void send_cdn(Tunnel& t, std::uint16_t peer_session, std::uint16_t our_session,
                std::uint16_t result, std::uint16_t error, std::string_view text,
                Clock::time_point now);
  void close_session(Tunnel& t, std::uint16_t session_id, std::string_view reason,
                     bool send_cdn_msg, std::uint16_t result, Clock::time_point now);
  void stop_tunnel(Tunnel& t, std::uint16_t result, std::uint16_t error, std::string_view text,
                   Clock::time_point now);
  void kill_tunnel(Tunnel& t, std::string_view reason, Clock::time_point now);
  void single_shot_done(Tunnel& t);
  void reap(Clock::time_point now);
  void transmit(const Tunnel& t, ByteView msg);
  bool hides(const Tunnel& t) const;
  std::uint16_t allocate_tunnel_id();
  std::uint16_t allocate_session_id(const Tunnel& t);

  LnsConfig config_;
  ipsec::Backend& backend_;
  SessionFactory factory_;
  std::map<std::uint16_t, std::unique_ptr<Tunnel>> tunnels_;  // by our ID; bound to an SA
  std::map<SccrqKey, std::uint16_t> by_sccrq_;
  std::set<ipsec::SaHandle> burned_;
  std::vector<std::pair<std::uint16_t, std::uint16_t>>
      pending_downs_;  // (tunnel, session)  // single-shot SAs that may carry no further tunnel
  LnsCounters counters_;
};

}  // namespace l2sec::l2tp
