// The RFC 1661 section 4 option-negotiation automaton, shared by LCP and IPCP (and by any other
// control protocol that uses codes 1-7). The automaton owns the states, the restart timer and
// counters, the packet identifiers and the Code-Reject of unknown codes; what an option means is
// the Handler's business.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "l2sec/golden/bytes.hpp"

namespace l2sec::ppp {

// Control-protocol packet codes (RFC 1661 5).
enum Code : std::uint8_t {
  kConfigureRequest = 1,
  kConfigureAck = 2,
  kConfigureNak = 3,
  kConfigureReject = 4,
  kTerminateRequest = 5,
  kTerminateAck = 6,
  kCodeReject = 7,
  kProtocolReject = 8,
  kEchoRequest = 9,
  kEchoReply = 10,
  kDiscardRequest = 11,
};

class Fsm {
 public:
  using Clock = std::chrono::steady_clock;

  enum class State : std::uint8_t {
    kInitial,
    kStarting,
    kClosed,
    kStopped,
    kClosing,
    kStopping,
    kReqSent,
    kAckRcvd,
    kAckSent,
    kOpened,
  };

  struct Options {
    std::chrono::milliseconds restart_timer{3000};
    unsigned max_configure = 10;
    unsigned max_terminate = 2;
    unsigned max_failure = 5;
  };

  enum class Verdict : std::uint8_t { kAck, kNak, kReject };

  // What the protocol on top of the automaton does (the RFC's this-layer actions and the option
  // handling of Configure-Request/Ack/Nak/Reject).
  class Handler {
   public:
    virtual ~Handler() = default;
    // A whole control packet (code, identifier, length, data) to the peer.
    virtual void send_packet(ByteView packet) = 0;
    // The options of our next Configure-Request.
    virtual void build_request(Bytes& options) = 0;
    // Starts the negotiation of our options from the configured values (on irc before a new
    // negotiation).
    virtual void reset_request() {}
    // The peer's Configure-Request. Fills `reply` with the options to Nak or Reject (unused for
    // kAck). With `nak_allowed` false (Max-Failure reached) a kNak verdict is not allowed.
    // nullopt when the options are malformed: the packet is dropped.
    virtual std::optional<Verdict> check_request(ByteView options, bool nak_allowed,
                                                 Bytes& reply) = 0;
    // The peer acknowledged our request (the options are exactly what we sent).
    virtual void on_ack(ByteView options) { (void)options; }
    // The peer's Nak or Reject of our request. false when malformed or not consistent with what
    // we sent: the packet is dropped.
    virtual bool on_nak(ByteView options) = 0;
    virtual bool on_reject(ByteView options) = 0;
    virtual void layer_up() = 0;
    virtual void layer_down() = 0;
    virtual void layer_started() {}
    virtual void layer_finished() = 0;
    // Codes above 7 (LCP's Protocol-Reject, Echo, Discard). kUnknown answers with Code-Reject.
    enum class Extra : std::uint8_t { kHandled, kBad, kUnknown };
    virtual Extra on_extra_code(std::uint8_t code, std::uint8_t id, ByteView data) {
      (void)code;
      (void)id;
      (void)data;
      return Extra::kUnknown;
    }
  };

  // What input() did with a packet.
  enum class Input : std::uint8_t {
    kAccepted,     // an event of the automaton (or a handled extra code)
    kMalformed,    // bad length, bad options: dropped
    kUnexpected,   // well formed but not acceptable now (wrong identifier, lower layer down)
    kCodeRejected  // unknown code: Code-Reject sent
  };

  Fsm(std::string name, Options options, Handler& handler);

  // Administrative and lower-layer events.
  void up(Clock::time_point now);
  void down(Clock::time_point now);
  void open(Clock::time_point now);
  void close(Clock::time_point now);
  // Fires the restart timer when it is due.
  void tick(Clock::time_point now);
  // A control packet from the peer (starting at the code).
  Input input(ByteView packet, Clock::time_point now);
  // RXJ- from outside the automaton (for example the peer Protocol-Rejected this protocol).
  void reject_catastrophic(Clock::time_point now);

  State state() const { return state_; }
  const std::string& name() const { return name_; }
  std::optional<Clock::time_point> deadline() const { return deadline_; }
  // Sends a packet of an extra code with the next identifier (Echo-Request and the like) or with
  // the given one (replies).
  void send_extra(std::uint8_t code, ByteView data);
  void send_extra(std::uint8_t code, std::uint8_t id, ByteView data);
  // Why the automaton reached Closed/Stopped on its own: "max-configure", "peer terminated", ...
  const std::string& finish_reason() const { return finish_reason_; }

 private:
  void irc(bool terminate);
  void zrc();
  void scr();
  void sca(std::uint8_t id, ByteView options);
  void scn(std::uint8_t id, std::uint8_t code, ByteView options);
  void str();
  void sta(std::uint8_t id);
  void scj(ByteView packet);
  void send(std::uint8_t code, std::uint8_t id, ByteView data);
  void arm();
  void disarm() { deadline_.reset(); }
  void set_state(State s);
  void tld();
  void tlu();
  void tls();
  void tlf(std::string_view reason);

  void rcr(bool good, std::uint8_t id, ByteView options, ByteView reply, std::uint8_t reply_code);
  void rca();
  void rcn(ByteView options, bool reject);
  void rtr(std::uint8_t id);
  void rta();
  void rxj(bool catastrophic);
  void timeout();

  std::string name_;
  Options opt_;
  Handler& h_;
  State state_ = State::kInitial;
  unsigned restart_ = 0;
  unsigned failures_ = 0;
  std::uint8_t next_id_ = 1;
  std::uint8_t req_id_ = 0;
  bool answered_ = true;
  Bytes last_request_;
  Clock::time_point now_{};
  std::optional<Clock::time_point> deadline_;
  std::string finish_reason_;
};

std::string_view to_string(Fsm::State s);

}  // namespace l2sec::ppp
