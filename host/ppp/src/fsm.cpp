// The RFC 1661 4.1 state transition table, event by event. Each function names its event (RCR+,
// RCA, ...) and follows the table's row for it.
#include "l2sec/ppp/fsm.hpp"

#include <algorithm>

#include "l2sec/log.hpp"

namespace l2sec::ppp {

std::string_view to_string(Fsm::State s) {
  switch (s) {
    case Fsm::State::kInitial:
      return "Initial";
    case Fsm::State::kStarting:
      return "Starting";
    case Fsm::State::kClosed:
      return "Closed";
    case Fsm::State::kStopped:
      return "Stopped";
    case Fsm::State::kClosing:
      return "Closing";
    case Fsm::State::kStopping:
      return "Stopping";
    case Fsm::State::kReqSent:
      return "Req-Sent";
    case Fsm::State::kAckRcvd:
      return "Ack-Rcvd";
    case Fsm::State::kAckSent:
      return "Ack-Sent";
    case Fsm::State::kOpened:
      return "Opened";
  }
  return "?";
}

namespace {
bool timer_state(Fsm::State s) {
  return s == Fsm::State::kClosing || s == Fsm::State::kStopping || s == Fsm::State::kReqSent ||
         s == Fsm::State::kAckRcvd || s == Fsm::State::kAckSent;
}
}  // namespace

Fsm::Fsm(std::string name, Options options, Handler& handler)
    : name_(std::move(name)), opt_(options), h_(handler) {}

void Fsm::set_state(State s) {
  if (s != state_)
    log::debug("ppp") << name_ << ": " << to_string(state_) << " -> " << to_string(s);
  state_ = s;
  if (!timer_state(s)) disarm();
}

void Fsm::arm() { deadline_ = now_ + opt_.restart_timer; }

void Fsm::irc(bool terminate) { restart_ = terminate ? opt_.max_terminate : opt_.max_configure; }

void Fsm::zrc() {
  restart_ = 0;
  arm();
}

void Fsm::send(std::uint8_t code, std::uint8_t id, ByteView data) {
  Bytes p(4 + data.size());
  p[0] = code;
  p[1] = id;
  store_be16(p.data() + 2, static_cast<std::uint16_t>(p.size()));
  std::copy(data.begin(), data.end(), p.begin() + 4);
  h_.send_packet(p);
}

void Fsm::send_extra(std::uint8_t code, ByteView data) { send(code, next_id_++, data); }
void Fsm::send_extra(std::uint8_t code, std::uint8_t id, ByteView data) { send(code, id, data); }

void Fsm::scr() {
  if (restart_ > 0) --restart_;
  last_request_.clear();
  h_.build_request(last_request_);
  req_id_ = next_id_++;
  answered_ = false;
  send(kConfigureRequest, req_id_, last_request_);
  arm();
}

void Fsm::sca(std::uint8_t id, ByteView options) {
  failures_ = 0;
  send(kConfigureAck, id, options);
}

void Fsm::scn(std::uint8_t id, std::uint8_t code, ByteView options) {
  if (code == kConfigureNak) ++failures_;
  send(code, id, options);
}

void Fsm::str() {
  if (restart_ > 0) --restart_;
  static constexpr std::uint8_t kReason[] = {'b', 'y', 'e'};
  send(kTerminateRequest, next_id_++, kReason);
  arm();
}

void Fsm::sta(std::uint8_t id) { send(kTerminateAck, id, {}); }

void Fsm::scj(ByteView packet) { send(kCodeReject, next_id_++, packet); }

void Fsm::tlu() { h_.layer_up(); }
void Fsm::tld() { h_.layer_down(); }
void Fsm::tls() { h_.layer_started(); }
void Fsm::tlf(std::string_view reason) {
  finish_reason_ = reason;
  h_.layer_finished();
}

void Fsm::up(Clock::time_point now) {
  now_ = now;
  switch (state_) {
    case State::kInitial:
      set_state(State::kClosed);
      break;
    case State::kStarting:
      h_.reset_request();
      irc(false);
      failures_ = 0;
      set_state(State::kReqSent);
      scr();
      break;
    default:
      log::warning("ppp") << name_ << ": Up event in state " << to_string(state_) << " ignored";
      break;
  }
}

void Fsm::down(Clock::time_point now) {
  now_ = now;
  switch (state_) {
    case State::kClosed:
    case State::kClosing:
      set_state(State::kInitial);
      break;
    case State::kStopped:
      set_state(State::kStarting);
      tls();
      break;
    case State::kStopping:
    case State::kReqSent:
    case State::kAckRcvd:
    case State::kAckSent:
      set_state(State::kStarting);
      break;
    case State::kOpened:
      tld();
      set_state(State::kStarting);
      break;
    default:
      break;
  }
}

void Fsm::open(Clock::time_point now) {
  now_ = now;
  switch (state_) {
    case State::kInitial:
      set_state(State::kStarting);
      tls();
      break;
    case State::kClosed:
      h_.reset_request();
      irc(false);
      failures_ = 0;
      set_state(State::kReqSent);
      scr();
      break;
    case State::kClosing:
      set_state(State::kStopping);
      break;
    default:
      break;
  }
}

void Fsm::close(Clock::time_point now) {
  now_ = now;
  switch (state_) {
    case State::kStarting:
      set_state(State::kInitial);
      tlf("closed");
      break;
    case State::kStopped:
      set_state(State::kClosed);
      break;
    case State::kStopping:
      set_state(State::kClosing);
      break;
    case State::kOpened:
      tld();
      [[fallthrough]];
    case State::kReqSent:
    case State::kAckRcvd:
    case State::kAckSent:
      irc(true);
      set_state(State::kClosing);
      str();
      break;
    default:
      break;
  }
}

void Fsm::tick(Clock::time_point now) {
  now_ = now;
  if (deadline_ && now >= *deadline_) timeout();
}

void Fsm::timeout() {
  disarm();
  if (restart_ > 0) {  // TO+
    switch (state_) {
      case State::kClosing:
      case State::kStopping:
        str();
        break;
      case State::kReqSent:
      case State::kAckRcvd:
        set_state(State::kReqSent);
        scr();
        break;
      case State::kAckSent:
        scr();
        break;
      default:
        break;
    }
    return;
  }
  switch (state_) {  // TO-
    case State::kClosing:
      set_state(State::kClosed);
      tlf(finish_reason_.empty() ? "no Terminate-Ack" : finish_reason_);
      break;
    case State::kStopping:
      set_state(State::kStopped);
      tlf(finish_reason_.empty() ? "no Terminate-Ack" : finish_reason_);
      break;
    case State::kReqSent:
    case State::kAckRcvd:
    case State::kAckSent:
      set_state(State::kStopped);
      tlf("negotiation did not converge (max-configure)");
      break;
    default:
      break;
  }
}

void Fsm::rcr(bool good, std::uint8_t id, ByteView options, ByteView reply,
              std::uint8_t reply_code) {
  auto answer = [&] {
    if (good) {
      sca(id, options);
    } else {
      scn(id, reply_code, reply);
    }
  };
  switch (state_) {
    case State::kClosed:
      sta(id);
      break;
    case State::kStopped:
      h_.reset_request();
      irc(false);
      failures_ = 0;
      scr();
      answer();
      set_state(good ? State::kAckSent : State::kReqSent);
      break;
    case State::kReqSent:
    case State::kAckSent:
      answer();
      set_state(good ? State::kAckSent : State::kReqSent);
      break;
    case State::kAckRcvd:
      answer();
      if (good) {
        set_state(State::kOpened);
        tlu();
      }
      break;
    case State::kOpened:
      tld();
      scr();
      answer();
      set_state(good ? State::kAckSent : State::kReqSent);
      break;
    default:  // Closing, Stopping: nothing
      break;
  }
}

void Fsm::rca() {
  switch (state_) {
    case State::kReqSent:
      irc(false);
      set_state(State::kAckRcvd);
      break;
    case State::kAckRcvd:  // crossed connection
      scr();
      set_state(State::kReqSent);
      break;
    case State::kAckSent:
      irc(false);
      set_state(State::kOpened);
      tlu();
      break;
    case State::kOpened:
      tld();
      scr();
      set_state(State::kReqSent);
      break;
    default:
      break;
  }
}

void Fsm::rcn(ByteView options, bool reject) {
  (void)options;
  (void)reject;
  switch (state_) {
    case State::kReqSent:
      irc(false);
      scr();
      break;
    case State::kAckRcvd:
      scr();
      set_state(State::kReqSent);
      break;
    case State::kAckSent:
      irc(false);
      scr();
      break;
    case State::kOpened:
      tld();
      scr();
      set_state(State::kReqSent);
      break;
    default:
      break;
  }
}

void Fsm::rtr(std::uint8_t id) {
  switch (state_) {
    case State::kAckRcvd:
    case State::kAckSent:
      sta(id);
      set_state(State::kReqSent);
      break;
    case State::kOpened:
      finish_reason_ = "peer terminated";
      tld();
      sta(id);
      set_state(State::kStopping);
      zrc();
      break;
    default:
      sta(id);
      break;
  }
}

void Fsm::rta() {
  switch (state_) {
    case State::kClosing:
      set_state(State::kClosed);
      tlf(finish_reason_.empty() ? "closed" : finish_reason_);
      break;
    case State::kStopping:
      set_state(State::kStopped);
      tlf(finish_reason_.empty() ? "stopped" : finish_reason_);
      break;
    case State::kAckRcvd:
      set_state(State::kReqSent);
      break;
    case State::kOpened:
      tld();
      scr();
      set_state(State::kReqSent);
      break;
    default:
      break;
  }
}

void Fsm::rxj(bool catastrophic) {
  if (!catastrophic) {
    if (state_ == State::kAckRcvd) set_state(State::kReqSent);
    return;
  }
  const std::string reason = "peer rejected " + name_;
  switch (state_) {
    case State::kClosed:
    case State::kStopped:
      tlf(reason);
      break;
    case State::kClosing:
      set_state(State::kClosed);
      tlf(reason);
      break;
    case State::kStopping:
    case State::kReqSent:
    case State::kAckRcvd:
    case State::kAckSent:
      set_state(State::kStopped);
      tlf(reason);
      break;
    case State::kOpened:
      finish_reason_ = reason;
      tld();
      irc(true);
      set_state(State::kStopping);
      str();
      break;
    default:
      break;
  }
}

void Fsm::reject_catastrophic(Clock::time_point now) {
  now_ = now;
  rxj(true);
}

Fsm::Input Fsm::input(ByteView packet, Clock::time_point now) {
  now_ = now;
  if (packet.size() < 4) return Input::kMalformed;
  const std::uint16_t len = load_be16(packet.data() + 2);
  if (len < 4 || len > packet.size()) return Input::kMalformed;
  const std::uint8_t code = packet[0];
  const std::uint8_t id = packet[1];
  const ByteView data = packet.subspan(4, len - 4u);
  if (state_ == State::kInitial || state_ == State::kStarting) return Input::kUnexpected;
  const bool negotiating = state_ == State::kReqSent || state_ == State::kAckRcvd ||
                           state_ == State::kAckSent || state_ == State::kOpened;
  switch (code) {
    case kConfigureRequest: {
      if (state_ == State::kClosed) {
        sta(id);
        return Input::kAccepted;
      }
      if (state_ == State::kClosing || state_ == State::kStopping) return Input::kAccepted;
      Bytes reply;
      auto verdict = h_.check_request(data, failures_ < opt_.max_failure, reply);
      if (!verdict) return Input::kMalformed;
      const std::uint8_t reply_code =
          *verdict == Verdict::kReject ? kConfigureReject : kConfigureNak;
      rcr(*verdict == Verdict::kAck, id, data, reply, reply_code);
      return Input::kAccepted;
    }
    case kConfigureAck:
    case kConfigureNak:
    case kConfigureReject: {
      if (state_ == State::kClosed || state_ == State::kStopped) {
        sta(id);
        return Input::kAccepted;
      }
      if (!negotiating) return Input::kAccepted;
      if (id != req_id_ || answered_) return Input::kUnexpected;
      if (code == kConfigureAck) {
        if (!std::equal(data.begin(), data.end(), last_request_.begin(), last_request_.end())) {
          return Input::kMalformed;
        }
        answered_ = true;  // a duplicate of the answer must not act again
        h_.on_ack(data);
        rca();
        return Input::kAccepted;
      }
      const bool ok = code == kConfigureNak ? h_.on_nak(data) : h_.on_reject(data);
      if (!ok) return Input::kMalformed;
      answered_ = true;
      rcn(data, code == kConfigureReject);
      return Input::kAccepted;
    }
    case kTerminateRequest:
      rtr(id);
      return Input::kAccepted;
    case kTerminateAck:
      rta();
      return Input::kAccepted;
    case kCodeReject: {
      if (data.empty()) return Input::kMalformed;
      const std::uint8_t rejected = data[0];
      rxj(rejected >= kConfigureRequest && rejected <= kCodeReject);
      return Input::kAccepted;
    }
    default:
      break;
  }
  if (code > kCodeReject) {
    switch (h_.on_extra_code(code, id, data)) {
      case Handler::Extra::kHandled:
        return Input::kAccepted;
      case Handler::Extra::kBad:
        return Input::kMalformed;
      case Handler::Extra::kUnknown:
        break;
    }
  }
  scj(packet.first(len));
  return Input::kCodeRejected;
}

}  // namespace l2sec::ppp
