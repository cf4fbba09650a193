#include "l2sec/l2tp/lac.hpp"

#include <array>

#include "l2sec/golden/crypto.hpp"
#include "l2sec/log.hpp"

namespace l2sec::l2tp {
namespace {

std::uint16_t random_id() {
  std::array<std::uint8_t, 2> b{};
  do {
    golden::random_bytes(b);
  } while (load_be16(b.data()) == 0);
  return load_be16(b.data());
}

ChannelConfig with_window(ChannelConfig c, std::uint16_t w) {
  c.rx_window = w;
  return c;
}

}  // namespace

Lac::Lac(LacConfig config, Send send)
    : config_(std::move(config)),
      send_(std::move(send)),
      channel_(with_window(config_.channel, config_.rx_window), config_.secret,
               [this](ByteView d) { send_(d); }) {
  if (config_.tunnel_id == 0) config_.tunnel_id = random_id();
}

void Lac::connect(Clock::time_point now) {
  if (state_ != State::kIdle) return;
  const bool hide = config_.hide_avps && !config_.secret.empty();
  Message m;
  m.type = static_cast<std::uint16_t>(MsgType::kSccrq);
  m.add_u16(AvpType::kProtocolVersion, config_.protocol_version);
  m.add_string(AvpType::kHostName, config_.host_name);
  m.add_u32(AvpType::kFramingCapabilities, 0x3);
  m.add_u32(AvpType::kBearerCapabilities, 0x0);
  m.add_u16(AvpType::kAssignedTunnelId, config_.tunnel_id, hide);
  m.add_u16(AvpType::kReceiveWindowSize, config_.rx_window);
  m.add_string(AvpType::kVendorName, "l2sec-lac", hide);
  if (!config_.secret.empty()) {
    challenge_.resize(16);
    golden::random_bytes(challenge_);
    m.add(AvpType::kChallenge, challenge_);
  }
  for (const Avp& a : config_.extra_sccrq_avps) m.avps.push_back(a);
  state_ = State::kWaitCtlReply;
  channel_.send(m, 0, now);
}

void Lac::on_datagram(ByteView datagram, Clock::time_point now) {
  Error err = Error::kNone;
  auto h = parse_header(datagram, &err);
  if (!h || h->tunnel != config_.tunnel_id) {
    ++malformed_;
    return;
  }
  const std::size_t end = h->has_length ? h->length : datagram.size();
  const ByteView body = datagram.subspan(h->payload_offset, end - h->payload_offset);
  if (!h->control) {
    auto it = calls_.find(h->session);
    if (it == calls_.end() || it->second.state != CallState::kEstablished) {
      ++malformed_;
      return;
    }
    if (h->has_seq) it->second.peer_sequencing = true;
    ++frames_in_;
    if (on_frame) on_frame(h->session, body);
    return;
  }
  Decoded d = decode_control(body, config_.secret);
  if (d.error != Error::kNone) {
    ++malformed_;
    log::debug("l2tp") << "LAC " << config_.host_name << ": " << to_string(d.error) << " "
                       << d.detail;
    return;
  }
  for (const Inbound& in : channel_.receive(*h, std::move(d), now)) handle(in, now);
  channel_.flush_ack();
}

void Lac::handle(const Inbound& in, Clock::time_point now) {
  const Message& m = in.message;
  switch (m.msg_type()) {
    case MsgType::kSccrp: {
      if (state_ != State::kWaitCtlReply) return;
      const auto id = m.u16(AvpType::kAssignedTunnelId).value_or(0);
      channel_.set_peer_tunnel(id);
      channel_.set_peer_window(m.u16(AvpType::kReceiveWindowSize).value_or(4));
      if (!challenge_.empty()) {
        const Avp* r = m.find(AvpType::kChallengeResponse);
        peer_authenticated_ =
            r && r->value == challenge_response(static_cast<std::uint8_t>(MsgType::kSccrp),
                                                config_.secret, challenge_);
        if (!peer_authenticated_) {
          Message stop;
          stop.type = static_cast<std::uint16_t>(MsgType::kStopccn);
          stop.add_u16(AvpType::kAssignedTunnelId, config_.tunnel_id);
          stop.add_result(stopccn::kNotAuthorized);
          channel_.send(stop, 0, now);
          state_ = State::kClosed;
          return;
        }
      }
      Message ccn;
      ccn.type = static_cast<std::uint16_t>(MsgType::kScccn);
      if (const Avp* c = m.find(AvpType::kChallenge); c && !config_.secret.empty()) {
        ccn.add(AvpType::kChallengeResponse,
                challenge_response(static_cast<std::uint8_t>(MsgType::kScccn), config_.secret,
                                   c->value));
      }
      channel_.send(ccn, 0, now);
      state_ = State::kEstablished;
      return;
    }
    case MsgType::kStopccn: {
      if (const Avp* rc = m.find(AvpType::kResultCode)) last_stop_ = parse_result_code(*rc);
      // Refused before SCCRP: the StopCCN's Assigned Tunnel ID is where the ZLB goes.
      if (state_ == State::kWaitCtlReply) {
        channel_.set_peer_tunnel(m.u16(AvpType::kAssignedTunnelId).value_or(0));
      }
      state_ = State::kClosed;
      for (auto& [sid, c] : calls_) c.state = CallState::kClosed;
      return;
    }
    case MsgType::kIcrp: {
      auto it = calls_.find(in.header.session);
      if (it == calls_.end() || it->second.state != CallState::kWaitReply) return;
      it->second.peer_id = m.u16(AvpType::kAssignedSessionId).value_or(0);
      Message iccn;
      iccn.type = static_cast<std::uint16_t>(MsgType::kIccn);
      iccn.add_u32(AvpType::kTxConnectSpeed, 100000000);
      iccn.add_u32(AvpType::kFramingType, 0x1);
      if (config_.sequencing) iccn.add(AvpType::kSequencingRequired, {});
      channel_.send(iccn, it->second.peer_id, now);
      it->second.state = CallState::kEstablished;
      return;
    }
    case MsgType::kCdn: {
      if (const Avp* rc = m.find(AvpType::kResultCode)) last_cdn_ = parse_result_code(*rc);
      auto it = calls_.find(in.header.session);
      if (it != calls_.end()) it->second.state = CallState::kClosed;
      return;
    }
    default:
      return;  // HELLO and the rest: the acknowledgement is enough
  }
}

void Lac::tick(Clock::time_point now) {
  channel_.tick(now);
  if (channel_.failed()) state_ = State::kClosed;
}

std::uint16_t Lac::open_session(Clock::time_point now) {
  std::uint16_t sid = 0;
  do {
    sid = random_id();
  } while (calls_.contains(sid));
  calls_[sid] = Call{};
  Message m;
  m.type = static_cast<std::uint16_t>(MsgType::kIcrq);
  m.add_u16(AvpType::kAssignedSessionId, sid, config_.hide_avps && !config_.secret.empty());
  m.add_u32(AvpType::kCallSerialNumber, next_serial_++);
  m.add_u32(AvpType::kBearerType, 0x2);
  m.add_string(AvpType::kCallingNumber, config_.host_name);
  channel_.send(m, 0, now);
  return sid;
}

void Lac::close_session(std::uint16_t session, Clock::time_point now) {
  auto it = calls_.find(session);
  if (it == calls_.end() || it->second.state == CallState::kClosed) return;
  Message m;
  m.type = static_cast<std::uint16_t>(MsgType::kCdn);
  m.add_result(cdn::kAdmin);
  m.add_u16(AvpType::kAssignedSessionId, session);
  channel_.send(m, it->second.peer_id, now);
  it->second.state = CallState::kClosed;
}

void Lac::stop(Clock::time_point now) {
  Message m;
  m.type = static_cast<std::uint16_t>(MsgType::kStopccn);
  m.add_u16(AvpType::kAssignedTunnelId, config_.tunnel_id);
  m.add_result(stopccn::kGeneralClear);
  channel_.send(m, 0, now);
  state_ = State::kClosed;
}

void Lac::send_hello(Clock::time_point now) {
  Message m;
  m.type = static_cast<std::uint16_t>(MsgType::kHello);
  channel_.send(m, 0, now);
}

void Lac::send_message(const Message& m, std::uint16_t session, Clock::time_point now) {
  channel_.send(m, session, now);
}

bool Lac::send_frame(std::uint16_t session, ByteView frame) {
  auto it = calls_.find(session);
  if (it == calls_.end() || it->second.state != CallState::kEstablished) return false;
  std::optional<DataSeq> seq;
  if (config_.sequencing) seq = DataSeq{it->second.data_ns++, 0};
  send_(encode_data(channel_.peer_tunnel(), it->second.peer_id, seq, frame));
  return true;
}

std::optional<Lac::CallState> Lac::call_state(std::uint16_t session) const {
  auto it = calls_.find(session);
  if (it == calls_.end()) return std::nullopt;
  return it->second.state;
}

std::optional<std::uint16_t> Lac::peer_session_id(std::uint16_t session) const {
  auto it = calls_.find(session);
  if (it == calls_.end()) return std::nullopt;
  return it->second.peer_id;
}

bool Lac::peer_sequencing(std::uint16_t session) const {
  auto it = calls_.find(session);
  return it != calls_.end() && it->second.peer_sequencing;
}

}  // namespace l2sec::l2tp
