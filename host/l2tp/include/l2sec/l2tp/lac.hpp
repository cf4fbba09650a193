// A minimal L2TP Access Concentrator: one control connection with incoming calls, on the same
// codec and reliable delivery layer as the LNS. Used by the tests as the LNS's peer, and meant as
// the load generator for set-ups per second (many Lac objects against one Lns). It sends
// datagrams through a callback; whoever owns it delivers the LNS's answers to on_datagram().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "l2sec/golden/bytes.hpp"
#include "l2sec/l2tp/channel.hpp"
#include "l2sec/l2tp/codec.hpp"

namespace l2sec::l2tp {

struct LacConfig {
  std::string host_name = "lac";
  std::uint16_t tunnel_id = 0;  // our Assigned Tunnel ID; 0 picks one at random
  std::uint16_t rx_window = 4;
  ChannelConfig channel;
  std::string secret;       // sends a challenge and answers the LNS's
  bool hide_avps = false;   // hide Assigned Tunnel/Session IDs (needs the secret)
  bool sequencing = false;  // Sequencing Required in ICCN; data with Ns/Nr
  std::uint16_t protocol_version = 0x0100;
  // Extra AVPs appended to SCCRQ (tests: unknown mandatory AVPs and the like).
  std::vector<Avp> extra_sccrq_avps;
};

class Lac {
 public:
  enum class State : std::uint8_t { kIdle, kWaitCtlReply, kEstablished, kClosed };
  enum class CallState : std::uint8_t { kWaitReply, kEstablished, kClosed };

  using Send = std::function<void(ByteView datagram)>;
  Lac(LacConfig config, Send send);

  // SCCRQ.
  void connect(Clock::time_point now);
  // An L2TP datagram from the LNS.
  void on_datagram(ByteView datagram, Clock::time_point now);
  void tick(Clock::time_point now);
  // ICRQ; returns our session ID. ICCN follows the ICRP by itself.
  std::uint16_t open_session(Clock::time_point now);
  // CDN for one of our sessions.
  void close_session(std::uint16_t session, Clock::time_point now);
  // StopCCN.
  void stop(Clock::time_point now);
  void send_hello(Clock::time_point now);
  // A raw control message through the reliable layer (tests).
  void send_message(const Message& m, std::uint16_t session, Clock::time_point now);
  // A PPP frame on an established session.
  bool send_frame(std::uint16_t session, ByteView frame);

  // Frames the LNS sent on a session.
  std::function<void(std::uint16_t session, ByteView frame)> on_frame;

  State state() const { return state_; }
  std::optional<CallState> call_state(std::uint16_t session) const;
  std::uint16_t tunnel_id() const { return config_.tunnel_id; }
  std::uint16_t peer_tunnel_id() const { return channel_.peer_tunnel(); }
  std::optional<std::uint16_t> peer_session_id(std::uint16_t session) const;
  // The last StopCCN or CDN result the LNS sent us.
  std::optional<ResultCode> last_stop() const { return last_stop_; }
  std::optional<ResultCode> last_cdn() const { return last_cdn_; }
  bool peer_authenticated() const { return peer_authenticated_; }
  bool peer_sequencing(std::uint16_t session) const;
  const ChannelCounters& channel_counters() const { return channel_.counters(); }
  std::uint64_t malformed() const { return malformed_; }
  std::uint64_t frames_in() const { return frames_in_; }

 private:
  struct Call {
    std::uint16_t peer_id = 0;
    CallState state = CallState::kWaitReply;
    std::uint16_t data_ns = 0;
    bool peer_sequencing = false;
  };
  void handle(const Inbound& in, Clock::time_point now);

  LacConfig config_;
  Send send_;
  ControlChannel channel_;
  State state_ = State::kIdle;
  Bytes challenge_;
  std::map<std::uint16_t, Call> calls_;
  std::uint32_t next_serial_ = 1;
  std::optional<ResultCode> last_stop_, last_cdn_;
  bool peer_authenticated_ = false;
  std::uint64_t malformed_ = 0;
  std::uint64_t frames_in_ = 0;
};

}  // namespace l2sec::l2tp
