#include "l2sec/l2tp/lns.hpp"

#include <array>

#include "l2sec/golden/crypto.hpp"
#include "l2sec/log.hpp"

namespace l2sec::l2tp {
namespace {

constexpr std::string_view kLog = "l2tp";
constexpr std::uint16_t kProtocolVersion = 0x0100;  // version 1, revision 0
constexpr std::uint32_t kFramingSync = 0x1;
constexpr std::uint32_t kFramingAsync = 0x2;

std::uint16_t random16() {
  std::array<std::uint8_t, 2> b{};
  golden::random_bytes(b);
  return load_be16(b.data());
}

}  // namespace

std::string_view to_string(TunnelState s) {
  switch (s) {
    case TunnelState::kWaitCtlConn:
      return "wait-ctl-conn";
    case TunnelState::kEstablished:
      return "established";
    case TunnelState::kClosing:
      return "closing";
    case TunnelState::kDead:
      return "dead";
  }
  return "?";
}

std::string_view to_string(SessionState s) {
  switch (s) {
    case SessionState::kWaitConnect:
      return "wait-connect";
    case SessionState::kEstablished:
      return "established";
  }
  return "?";
}

struct Lns::Session final : SessionIo {
  Lns* lns = nullptr;
  Tunnel* tunnel = nullptr;
  SessionInfo info;
  SessionState state = SessionState::kWaitConnect;
  Clock::time_point created{};
  std::unique_ptr<PayloadSession> payload;
  std::uint16_t data_ns = 0;
  std::optional<std::uint16_t> data_nr;  // next Ns expected from the LAC, once it sequences
  std::uint64_t frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0, frames_dropped = 0;
  std::uint32_t call_errors_total = 0;
  bool down_requested = false;
  std::string down_reason;

  void send_frame(ByteView frame) override;
  void down(std::string_view reason) override {
    if (down_requested) return;
    down_requested = true;
    down_reason = std::string(reason);
    lns->pending_downs_.emplace_back(info.tunnel_id, info.session_id);
  }
};

struct Lns::Tunnel {
  std::uint16_t id = 0;
  std::uint16_t peer_id = 0;
  Binding binding;
  ipsec::Endpoint local;
  std::uint16_t lac_port = 0;
  std::string peer_host;
  TunnelState state = TunnelState::kWaitCtlConn;
  std::unique_ptr<ControlChannel> channel;
  std::map<std::uint16_t, std::unique_ptr<Session>> sessions;
  std::uint64_t sessions_ever = 0;
  Bytes our_challenge;
  Clock::time_point last_rx{}, last_hello{}, idle_since{}, dead_since{};
  bool released = false;
  bool sccrq_handled = false;
  bool peer_hides = false;     // the LAC hid AVPs: we may too
  ipsec::Endpoint outer_peer;  // as last seen (the NAT's mapping)
  std::optional<SccrqKey> sccrq_key;
};

void Lns::Session::send_frame(ByteView frame) {
  if (state != SessionState::kEstablished || down_requested) return;
  std::optional<DataSeq> seq;
  if (info.sequencing) seq = DataSeq{data_ns++, 0};
  const Bytes msg = encode_data(info.peer_tunnel_id, info.peer_session_id, seq, frame);
  ++frames_out;
  bytes_out += frame.size();
  ++lns->counters_.data_out;
  lns->transmit(*tunnel, msg);
}

Lns::Lns(LnsConfig config, ipsec::Backend& backend, SessionFactory factory)
    : config_(std::move(config)), backend_(backend), factory_(std::move(factory)) {
  if (config_.receive_window == 0) config_.receive_window = 1;
}

Lns::~Lns() = default;

void Lns::transmit(const Tunnel& t, ByteView msg) {
  ipsec::Status st;
  if (t.binding.handle != ipsec::kNoHandle) {
    st = backend_.send_l2tp(t.binding.handle, t.lac_port, msg);
  } else {
    ipsec::Endpoint local = t.local;
    local.port = kL2tpPort;  // the LNS answers from 1701 only
    st = backend_.send_l2tp_clear(local, t.binding.peer, msg);
  }
  if (!st.ok()) {
    ++counters_.send_errors;
    log::warning(kLog) << "tunnel " << t.id << ": send failed: " << st.error;
  }
}

std::uint16_t Lns::allocate_tunnel_id() {
  for (int i = 0; i < 100000; ++i) {
    const std::uint16_t id = random16();
    if (id != 0 && !tunnels_.contains(id)) return id;
  }
  return 0;
}

std::uint16_t Lns::allocate_session_id(const Tunnel& t) {
  for (int i = 0; i < 100000; ++i) {
    const std::uint16_t id = random16();
    if (id != 0 && !t.sessions.contains(id)) return id;
  }
  return 0;
}

Lns::Tunnel* Lns::find_tunnel(const Binding& b, std::uint16_t id) {
  auto it = tunnels_.find(id);
  if (it == tunnels_.end() || it->second->binding != b) return nullptr;
  return it->second.get();
}

void Lns::on_packet(const ipsec::HostPacket& p, Clock::time_point now) {
  ++counters_.packets;
  Binding b;
  std::uint16_t lac_port = 0;
  switch (p.pkt_class) {
    case lm::PktClass::kEspUdp:
    case lm::PktClass::kEsp:
      if (p.handle == ipsec::kNoHandle) {
        ++counters_.not_l2tp;
        log::warning(kLog) << "protected L2TP from " << ipsec::to_string(p.peer)
                           << " without an SA handle, dropped";
        return;
      }
      b.handle = p.handle;
      lac_port = p.inner_src_port;
      break;
    case lm::PktClass::kL2tpClear:
      ++counters_.clear_packets;
      if (config_.require_ipsec) {
        ++counters_.clear_refused;
        log::warning(kLog) << "clear L2TP from " << ipsec::to_string(p.peer)
                           << " dropped: IPsec is required";
        return;
      }
      b.peer = p.peer;
      lac_port = p.peer.port;
      break;
    default:
      ++counters_.not_l2tp;
      log::warning(kLog) << "packet class " << static_cast<int>(p.pkt_class) << " from "
                         << ipsec::to_string(p.peer) << " is not L2TP, dropped";
      return;
  }
  Error err = Error::kNone;
  auto h = parse_header(p.payload, &err);
  if (!h) {
    ++counters_.malformed;
    log::warning(kLog) << "malformed L2TP header from " << ipsec::to_string(p.peer) << " (SA "
                       << p.handle << "): " << to_string(err);
    return;
  }
  const std::size_t end = h->has_length ? h->length : p.payload.size();
  const ByteView body = ByteView(p.payload).subspan(h->payload_offset, end - h->payload_offset);
  if (!h->control) {
    Tunnel* t = find_tunnel(b, h->tunnel);
    if (!t) {
      ++counters_.unknown_tunnel;
      ++counters_.data_dropped;
      log::debug(kLog) << "data for unknown tunnel " << h->tunnel << " from "
                       << ipsec::to_string(p.peer) << ", dropped";
      return;
    }
    on_data(*t, *h, body, now);
    reap(now);
    return;
  }
  Decoded d = decode_control(body, config_.tunnel_secret);
  if (d.error != Error::kNone && d.error != Error::kUnknownMandatoryAvp) {
    ++counters_.malformed;
    log::warning(kLog) << "malformed control message from " << ipsec::to_string(p.peer) << " (SA "
                       << p.handle << ", tunnel " << h->tunnel << "): " << to_string(d.error)
                       << ": " << d.detail;
    return;
  }
  if (d.error == Error::kUnknownMandatoryAvp && !d.unknown_mandatory) {
    ++counters_.malformed;
    return;
  }
  if (h->tunnel == 0) {
    if (d.zlb || d.message.msg_type() != MsgType::kSccrq) {
      ++counters_.unknown_tunnel;
      log::warning(kLog) << "control message on tunnel 0 from " << ipsec::to_string(p.peer)
                         << " is not SCCRQ, dropped";
      return;
    }
    on_sccrq(p, b, lac_port, *h, std::move(d), now);
    reap(now);
    return;
  }
  Tunnel* t = find_tunnel(b, h->tunnel);
  if (!t) {
    ++counters_.unknown_tunnel;
    log::warning(kLog) << "control message for unknown tunnel " << h->tunnel << " from "
                       << ipsec::to_string(p.peer) << " (SA " << p.handle << "), dropped";
    return;
  }
  t->lac_port = lac_port;
  t->outer_peer = p.peer;
  t->last_rx = now;
  auto in_order = t->channel->receive(*h, std::move(d), now);
  for (Inbound& in : in_order) {
    if (t->state == TunnelState::kDead && in.message.msg_type() != MsgType::kStopccn) break;
    handle(*t, std::move(in), now);
  }
  t->channel->flush_ack();
  reap(now);
}

void Lns::on_sccrq(const ipsec::HostPacket& p, const Binding& b, std::uint16_t lac_port,
                   const Header& h, Decoded d, Clock::time_point now) {
  const auto lac_tunnel = d.message.u16(AvpType::kAssignedTunnelId).value_or(0);
  const SccrqKey key{b, lac_port, lac_tunnel};
  if (auto it = by_sccrq_.find(key); it != by_sccrq_.end()) {
    Tunnel* t = find_tunnel(b, it->second);
    if (t && t->state != TunnelState::kDead) {
      // A retransmitted SCCRQ: the channel sees a duplicate Ns and acknowledges it.
      t->last_rx = now;
      t->channel->receive(h, std::move(d), now);
      t->channel->flush_ack();
      return;
    }
    // The LAC reuses its tunnel ID for a new connection after the old one was cleared: the
    // dead tunnel's remains make way.
    by_sccrq_.erase(it);
    if (t) t->sccrq_key.reset();
  }
  if (lac_tunnel == 0) {
    ++counters_.malformed;
    log::warning(kLog) << "SCCRQ from " << ipsec::to_string(p.peer)
                       << " with Assigned Tunnel ID 0, dropped";
    return;
  }
  if (h.ns != 0) {
    ++counters_.malformed;
    log::warning(kLog) << "SCCRQ from " << ipsec::to_string(p.peer) << " with Ns " << h.ns
                       << ", dropped";
    return;
  }
  const std::uint16_t id = allocate_tunnel_id();
  if (id == 0 || tunnels_.size() >= config_.max_tunnels) {
    ++counters_.tunnels_refused;
    log::warning(kLog) << "SCCRQ from " << ipsec::to_string(p.peer) << ": tunnel limit reached";
    return;
  }
  auto t = std::make_unique<Tunnel>();
  t->id = id;
  t->peer_id = lac_tunnel;
  t->binding = b;
  t->local = p.local;
  t->lac_port = lac_port;
  t->outer_peer = p.peer;
  t->last_rx = t->last_hello = t->idle_since = now;
  t->sccrq_key = key;
  Tunnel* raw = t.get();
  ChannelConfig cc;
  cc.rx_window = config_.receive_window;
  cc.initial_rto = config_.initial_rto;
  cc.max_rto = config_.max_rto;
  cc.max_retries = config_.max_retries;
  t->channel = std::make_unique<ControlChannel>(cc, config_.tunnel_secret,
                                                [this, raw](ByteView msg) { transmit(*raw, msg); });
  t->channel->set_peer_tunnel(lac_tunnel);
  tunnels_.emplace(id, std::move(t));
  by_sccrq_.emplace(key, id);
  ++counters_.tunnels_created;
  auto in_order = raw->channel->receive(h, std::move(d), now);
  for (Inbound& in : in_order) {
    if (raw->state == TunnelState::kDead) break;
    handle(*raw, std::move(in), now);
  }
  raw->channel->flush_ack();
}

void Lns::handle(Tunnel& t, Inbound in, Clock::time_point now) {
  const MsgType type = in.message.msg_type();
  // We hide only towards a LAC that hides (hiding is optional for a sender).
  if (in.message.has_hidden) t.peer_hides = true;
  if (in.unknown_mandatory) {
    ++counters_.unknown_mandatory;
    const std::string what = avp_name(in.unknown_mandatory->vendor, in.unknown_mandatory->type);
    log::warning(kLog) << "tunnel " << t.id << ": " << to_string(type)
                       << " with unknown mandatory AVP " << what;
    if (is_known_message_type(in.message.type) && is_session_message(type)) {
      // 4.1: a session message takes down only its session.
      if (type == MsgType::kIcrq) {
        const auto peer_sid = in.message.u16(AvpType::kAssignedSessionId).value_or(0);
        ++counters_.sessions_refused;
        send_cdn(t, peer_sid, 0, cdn::kGeneralError, errc::kUnknownMandatoryAvp, what, now);
      } else if (in.header.session != 0 && t.sessions.contains(in.header.session)) {
        close_session(t, in.header.session, "unknown mandatory AVP " + what, true,
                      cdn::kGeneralError, now);
      } else {
        ++counters_.unknown_session;
      }
    } else {
      stop_tunnel(t, stopccn::kGeneralError, errc::kUnknownMandatoryAvp, what, now);
    }
    return;
  }
  if (t.state == TunnelState::kClosing && type != MsgType::kStopccn) {
    // Our StopCCN is on its way; the LAC had not seen it yet.
    ++counters_.ignored_messages;
    return;
  }
  if (!is_known_message_type(in.message.type)) {
    ++counters_.ignored_messages;
    log::info(kLog) << "tunnel " << t.id << ": unknown message type " << in.message.type
                    << " without M bit ignored";
    return;
  }
  switch (type) {
    case MsgType::kSccrq:
      return handle_sccrq(t, in, now);
    case MsgType::kScccn:
      return handle_scccn(t, in, now);
    case MsgType::kStopccn: {
      const Avp* rc = in.message.find(AvpType::kResultCode);
      auto r = rc ? parse_result_code(*rc) : std::nullopt;
      log::info(kLog) << "tunnel " << t.id << " cleared by peer: result " << (r ? r->result : 0)
                      << (r && !r->message.empty() ? " " : "") << (r ? r->message : std::string());
      kill_tunnel(t, "StopCCN from peer", now);
      return;
    }
    case MsgType::kHello:
      return;  // the acknowledgement is all it needs
    case MsgType::kIcrq:
      return handle_icrq(t, in, now);
    case MsgType::kIccn:
      return handle_iccn(t, in, now);
    case MsgType::kCdn:
      return handle_cdn(t, in, now);
    case MsgType::kWen: {
      auto it = t.sessions.find(in.header.session);
      const Avp* ce = in.message.find(AvpType::kCallErrors);
      if (it == t.sessions.end() || !ce) {
        ++counters_.unknown_session;
        return;
      }
      std::uint32_t sum = 0;
      for (std::size_t off = 2; off + 4 <= ce->value.size(); off += 4) {
        sum += load_be32(ce->value.data() + off);
      }
      it->second->call_errors_total = sum;
      log::info(kLog) << "tunnel " << t.id << " session " << in.header.session << ": WEN, " << sum
                      << " call errors";
      return;
    }
    case MsgType::kOcrq: {
      // An LNS places no outgoing calls for a LAC; refuse the call, keep the tunnel.
      const auto peer_sid = in.message.u16(AvpType::kAssignedSessionId).value_or(0);
      ++counters_.sessions_refused;
      send_cdn(t, peer_sid, 0, cdn::kNoFacilitiesPermanent, errc::kNone,
               "outgoing calls are not supported by this LNS", now);
      return;
    }
    case MsgType::kSli:
    case MsgType::kIcrp:
    case MsgType::kOcrp:
    case MsgType::kOccn:
      ++counters_.ignored_messages;
      log::info(kLog) << "tunnel " << t.id << ": " << to_string(type)
                      << " is not for an LNS, ignored";
      return;
    case MsgType::kSccrp:
      ++counters_.fsm_errors;
      stop_tunnel(t, stopccn::kFsmError, errc::kNone, "SCCRP sent to an LNS", now);
      return;
  }
}

bool Lns::hides(const Tunnel& t) const {
  return config_.hide_avps && !config_.tunnel_secret.empty() && t.peer_hides;
}

void Lns::handle_sccrq(Tunnel& t, const Inbound& in, Clock::time_point now) {
  if (t.state != TunnelState::kWaitCtlConn || t.sccrq_handled) {
    ++counters_.fsm_errors;
    stop_tunnel(t, stopccn::kFsmError, errc::kNone, "SCCRQ on an open tunnel", now);
    return;
  }
  t.sccrq_handled = true;
  const Message& m = in.message;
  t.peer_host = m.str(AvpType::kHostName).value_or("");
  t.channel->set_peer_window(m.u16(AvpType::kReceiveWindowSize).value_or(4));
  const auto version = m.u16(AvpType::kProtocolVersion).value_or(0);
  if (version != kProtocolVersion) {
    ++counters_.tunnels_refused;
    stop_tunnel(t, stopccn::kBadVersion, kProtocolVersion, "protocol version 1.0 only", now);
    return;
  }
  if (t.binding.handle != ipsec::kNoHandle && config_.single_shot) {
    bool other = burned_.contains(t.binding.handle);
    for (const auto& [id, o] : tunnels_) {
      if (o.get() != &t && o->binding == t.binding && o->state != TunnelState::kDead) other = true;
    }
    if (other) {
      ++counters_.tunnels_refused;
      log::warning(kLog) << "SCCRQ on single-shot SA " << t.binding.handle
                         << ": the SA already carried a tunnel, refused";
      stop_tunnel(t, stopccn::kAlreadyExists, errc::kNone,
                  "single-shot: this IPsec SA carried a tunnel already", now);
      return;
    }
  }
  Message reply;
  reply.type = static_cast<std::uint16_t>(MsgType::kSccrp);
  const Avp* challenge = m.find(AvpType::kChallenge);
  if (challenge && config_.tunnel_secret.empty()) {
    ++counters_.auth_failures;
    log::warning(kLog) << "tunnel " << t.id << ": peer " << t.peer_host
                       << " sent a challenge and no secret is configured";
    stop_tunnel(t, stopccn::kNotAuthorized, errc::kNone, "no tunnel secret configured", now);
    return;
  }
  const bool hide = hides(t);
  reply.add_u16(AvpType::kProtocolVersion, kProtocolVersion);
  reply.add_string(AvpType::kHostName, config_.host_name);
  reply.add_u32(AvpType::kFramingCapabilities, kFramingSync | kFramingAsync);
  // Challenge and response before any hidden AVP: some LACs look the secret up only then.
  if (challenge) {
    reply.add(AvpType::kChallengeResponse,
              challenge_response(static_cast<std::uint8_t>(MsgType::kSccrp), config_.tunnel_secret,
                                 challenge->value));
  }
  if (!config_.tunnel_secret.empty()) {
    t.our_challenge.resize(16);
    golden::random_bytes(t.our_challenge);
    reply.add(AvpType::kChallenge, t.our_challenge);
  }
  reply.add_u16(AvpType::kAssignedTunnelId, t.id, hide);
  reply.add_u16(AvpType::kReceiveWindowSize, config_.receive_window);
  reply.add_u16(AvpType::kFirmwareRevision, 0x0100);
  reply.add_string(AvpType::kVendorName, config_.vendor_name);
  t.channel->send(reply, 0, now);
  log::info(kLog) << "tunnel " << t.id << ": SCCRQ from " << t.peer_host << " (tunnel " << t.peer_id
                  << ", SA " << t.binding.handle << "), SCCRP sent";
}

void Lns::handle_scccn(Tunnel& t, const Inbound& in, Clock::time_point now) {
  if (t.state != TunnelState::kWaitCtlConn) {
    ++counters_.fsm_errors;
    stop_tunnel(t, stopccn::kFsmError, errc::kNone,
                "SCCCN in state " + std::string(to_string(t.state)), now);
    return;
  }
  if (!t.our_challenge.empty()) {
    const Avp* resp = in.message.find(AvpType::kChallengeResponse);
    const Bytes want = challenge_response(static_cast<std::uint8_t>(MsgType::kScccn),
                                          config_.tunnel_secret, t.our_challenge);
    if (!resp || resp->value != want) {
      ++counters_.auth_failures;
      log::warning(kLog) << "tunnel " << t.id << ": " << t.peer_host
                         << (resp ? " failed" : " did not answer") << " the challenge";
      stop_tunnel(t, stopccn::kNotAuthorized, errc::kNone, "challenge response mismatch", now);
      return;
    }
  }
  t.state = TunnelState::kEstablished;
  t.idle_since = now;
  log::info(kLog) << "tunnel " << t.id << " established with " << t.peer_host;
}

void Lns::handle_icrq(Tunnel& t, const Inbound& in, Clock::time_point now) {
  const auto peer_sid = in.message.u16(AvpType::kAssignedSessionId).value_or(0);
  if (t.state != TunnelState::kEstablished) {
    ++counters_.fsm_errors;
    stop_tunnel(t, stopccn::kFsmError, errc::kNone, "ICRQ before the tunnel is up", now);
    return;
  }
  if (peer_sid == 0) {
    ++counters_.sessions_refused;
    send_cdn(t, 0, 0, cdn::kGeneralError, errc::kBadValue, "Assigned Session ID 0", now);
    return;
  }
  for (const auto& [id, s] : t.sessions) {
    if (s->info.peer_session_id == peer_sid) {
      ++counters_.sessions_refused;
      send_cdn(t, peer_sid, 0, cdn::kGeneralError, errc::kBadSessionId, "session ID in use", now);
      return;
    }
  }
  if (config_.single_shot && t.sessions_ever > 0) {
    ++counters_.sessions_refused;
    send_cdn(t, peer_sid, 0, cdn::kNoFacilitiesPermanent, errc::kNone,
             "single-shot tunnel carries one session", now);
    return;
  }
  const std::uint16_t sid = allocate_session_id(t);
  if (sid == 0 || t.sessions.size() >= config_.max_sessions_per_tunnel) {
    ++counters_.sessions_refused;
    send_cdn(t, peer_sid, 0, cdn::kNoFacilitiesTemporary, errc::kNoResources, "session limit", now);
    return;
  }
  auto s = std::make_unique<Session>();
  s->lns = this;
  s->tunnel = &t;
  s->created = now;
  s->info.tunnel_id = t.id;
  s->info.session_id = sid;
  s->info.peer_tunnel_id = t.peer_id;
  s->info.peer_session_id = peer_sid;
  s->info.handle = t.binding.handle;
  s->info.peer = t.outer_peer;
  s->info.lac_port = t.lac_port;
  s->info.peer_host = t.peer_host;
  s->info.call_serial = in.message.u32(AvpType::kCallSerialNumber).value_or(0);
  s->info.calling_number = in.message.str(AvpType::kCallingNumber).value_or("");
  s->info.called_number = in.message.str(AvpType::kCalledNumber).value_or("");
  t.sessions.emplace(sid, std::move(s));
  ++t.sessions_ever;
  ++counters_.sessions_created;
  Message reply;
  reply.type = static_cast<std::uint16_t>(MsgType::kIcrp);
  reply.add_u16(AvpType::kAssignedSessionId, sid, hides(t));
  t.channel->send(reply, peer_sid, now);
}

void Lns::handle_iccn(Tunnel& t, const Inbound& in, Clock::time_point now) {
  auto it = t.sessions.find(in.header.session);
  if (it == t.sessions.end()) {
    ++counters_.unknown_session;
    log::warning(kLog) << "tunnel " << t.id << ": ICCN for unknown session " << in.header.session;
    return;
  }
  Session& s = *it->second;
  if (s.state != SessionState::kWaitConnect) {
    ++counters_.fsm_errors;
    close_session(t, s.info.session_id, "ICCN on an established session", true, cdn::kGeneralError,
                  now);
    return;
  }
  s.state = SessionState::kEstablished;
  s.info.established = now;
  s.info.tx_connect_speed = in.message.u32(AvpType::kTxConnectSpeed).value_or(0);
  s.info.rx_connect_speed =
      in.message.u32(AvpType::kRxConnectSpeed).value_or(s.info.tx_connect_speed);
  s.info.framing_type = in.message.u32(AvpType::kFramingType).value_or(0);
  s.info.sequencing = config_.data_sequencing || in.message.has(AvpType::kSequencingRequired);
  if (factory_) s.payload = factory_(s.info, s);
  if (!s.payload) {
    close_session(t, s.info.session_id, "no payload session", true, cdn::kNoFacilitiesTemporary,
                  now);
    return;
  }
  log::info(kLog) << "tunnel " << t.id << " session " << s.info.session_id << " established"
                  << (s.info.sequencing ? " (sequenced)" : "");
  s.payload->start(now);
}

void Lns::handle_cdn(Tunnel& t, const Inbound& in, Clock::time_point now) {
  std::uint16_t sid = in.header.session;
  if (!t.sessions.contains(sid)) {
    // Some LACs send CDN on session 0 before they learnt our ID: match their Assigned ID.
    const auto peer_sid = in.message.u16(AvpType::kAssignedSessionId).value_or(0);
    sid = 0;
    for (const auto& [id, s] : t.sessions) {
      if (s->info.peer_session_id == peer_sid) sid = id;
    }
  }
  if (sid == 0) {
    ++counters_.unknown_session;
    log::info(kLog) << "tunnel " << t.id << ": CDN for unknown session " << in.header.session;
    return;
  }
  const Avp* rc = in.message.find(AvpType::kResultCode);
  auto r = rc ? parse_result_code(*rc) : std::nullopt;
  close_session(t, sid,
                "CDN from peer, result " + std::to_string(r ? r->result : 0) +
                    (r && !r->message.empty() ? " " + r->message : std::string()),
                false, 0, now);
}

void Lns::on_data(Tunnel& t, const Header& h, ByteView frame, Clock::time_point now) {
  auto it = t.sessions.find(h.session);
  if (it == t.sessions.end() || it->second->state != SessionState::kEstablished ||
      !it->second->payload || it->second->down_requested) {
    ++counters_.data_dropped;
    if (it == t.sessions.end())
      ++counters_.unknown_session;
    else
      ++it->second->frames_dropped;
    return;
  }
  Session& s = *it->second;
  if (h.has_seq) {
    // The LAC sequences: drop what is older than the last frame seen, and sequence our side too.
    if (s.data_nr && seq_lt(h.ns, *s.data_nr)) {
      ++s.frames_dropped;
      ++counters_.data_dropped;
      return;
    }
    s.data_nr = static_cast<std::uint16_t>(h.ns + 1);
    s.info.sequencing = true;
  }
  ++s.frames_in;
  s.bytes_in += frame.size();
  ++counters_.data_in;
  t.last_rx = now;
  s.payload->on_frame(frame, now);
}

void Lns::send_cdn(Tunnel& t, std::uint16_t peer_session, std::uint16_t our_session,
                   std::uint16_t result, std::uint16_t error, std::string_view text,
                   Clock::time_point now) {
  Message m;
  m.type = static_cast<std::uint16_t>(MsgType::kCdn);
  m.add_result(result, error, text);
  m.add_u16(AvpType::kAssignedSessionId, our_session);
  t.channel->send(m, peer_session, now);
  ++counters_.cdn_sent;
}

void Lns::close_session(Tunnel& t, std::uint16_t session_id, std::string_view reason,
                        bool send_cdn_msg, std::uint16_t result, Clock::time_point now) {
  auto it = t.sessions.find(session_id);
  if (it == t.sessions.end()) return;
  std::unique_ptr<Session> s = std::move(it->second);
  t.sessions.erase(it);
  ++counters_.sessions_down;
  log::info(kLog) << "tunnel " << t.id << " session " << session_id << " down: " << reason;
  if (send_cdn_msg && t.state != TunnelState::kDead && t.state != TunnelState::kClosing) {
    send_cdn(t, s->info.peer_session_id, session_id, result, errc::kNone, reason, now);
  }
  s->down_requested = true;  // nothing more goes out on it
  if (s->payload) s->payload->close(reason, now);
  if (t.sessions.empty()) t.idle_since = now;
  if (config_.single_shot && t.state != TunnelState::kDead && t.state != TunnelState::kClosing) {
    // Seed docs: a single-shot tunnel ignores the idle timeout and goes with its session.
    stop_tunnel(t, stopccn::kGeneralClear, errc::kNone, "single-shot session ended", now);
  }
}

void Lns::stop_tunnel(Tunnel& t, std::uint16_t result, std::uint16_t error, std::string_view text,
                      Clock::time_point now) {
  if (t.state == TunnelState::kClosing || t.state == TunnelState::kDead) return;
  t.state = TunnelState::kClosing;
  while (!t.sessions.empty()) {
    close_session(t, t.sessions.begin()->first, "tunnel cleared", false, 0, now);
  }
  Message m;
  m.type = static_cast<std::uint16_t>(MsgType::kStopccn);
  m.add_u16(AvpType::kAssignedTunnelId, t.id);
  m.add_result(result, error, text);
  t.channel->send(m, 0, now);
  ++counters_.stopccn_sent;
  log::info(kLog) << "tunnel " << t.id << ": StopCCN sent, result " << result << " error " << error
                  << " (" << text << ")";
  single_shot_done(t);
}

void Lns::kill_tunnel(Tunnel& t, std::string_view reason, Clock::time_point now) {
  if (t.state == TunnelState::kDead) return;
  t.state = TunnelState::kDead;
  while (!t.sessions.empty()) {
    close_session(t, t.sessions.begin()->first, reason, false, 0, now);
  }
  t.dead_since = now;
  ++counters_.tunnels_down;
  log::info(kLog) << "tunnel " << t.id << " down: " << reason;
  single_shot_done(t);
}

void Lns::single_shot_done(Tunnel& t) {
  if (!config_.single_shot || t.binding.handle == ipsec::kNoHandle || t.released) return;
  t.released = true;
  burned_.insert(t.binding.handle);
  if (config_.release_sa) config_.release_sa(t.binding.handle);
}

void Lns::reap(Clock::time_point now) {
  // Sessions whose payload asked to go down (deferred: it asked from inside a call).
  while (!pending_downs_.empty()) {
    const auto [tid, sid] = pending_downs_.back();
    pending_downs_.pop_back();
    auto t = tunnels_.find(tid);
    if (t == tunnels_.end()) continue;
    auto s = t->second->sessions.find(sid);
    if (s == t->second->sessions.end() || !s->second->down_requested) continue;
    const std::string why = s->second->down_reason;
    close_session(*t->second, sid, why, true, cdn::kAdmin, now);
  }
}

void Lns::on_sa_down(ipsec::SaHandle handle, Clock::time_point now) {
  if (handle == ipsec::kNoHandle) return;
  for (auto it = tunnels_.begin(); it != tunnels_.end();) {
    Tunnel& t = *it->second;
    if (t.binding.handle != handle) {
      ++it;
      continue;
    }
    t.released = true;  // the SA is gone already
    kill_tunnel(t, "IPsec SA down", now);
    if (t.sccrq_key) by_sccrq_.erase(*t.sccrq_key);
    it = tunnels_.erase(it);
  }
  burned_.erase(handle);
}

void Lns::tick(Clock::time_point now) {
  for (auto& [tid, tp] : tunnels_) {
    Tunnel& t = *tp;
    t.channel->tick(now);
    if (t.channel->failed() && t.state != TunnelState::kDead) {
      if (t.state != TunnelState::kClosing) {
        ++counters_.retry_failures;
        log::warning(kLog) << "tunnel " << t.id << ": peer " << t.peer_host
                           << " stopped acknowledging after " << config_.max_retries
                           << " retransmissions";
      }
      kill_tunnel(t, "retry limit", now);
      continue;
    }
    switch (t.state) {
      case TunnelState::kEstablished:
        if (config_.hello_interval.count() > 0 && now - t.last_rx >= config_.hello_interval &&
            now - t.last_hello >= config_.hello_interval && t.channel->all_acked()) {
          Message hello;
          hello.type = static_cast<std::uint16_t>(MsgType::kHello);
          t.channel->send(hello, 0, now);
          t.last_hello = now;
          ++counters_.hello_sent;
        }
        if (t.sessions.empty() && !config_.single_shot &&
            now - t.idle_since >= config_.idle_timeout) {
          stop_tunnel(t, stopccn::kGeneralClear, errc::kNone, "idle timeout", now);
        }
        break;
      case TunnelState::kClosing:
        if (t.channel->all_acked()) kill_tunnel(t, "StopCCN acknowledged", now);
        break;
      default:
        break;
    }
    std::vector<std::uint16_t> stale;
    for (auto& [sid, s] : t.sessions) {
      if (s->state == SessionState::kWaitConnect &&
          now - s->created >= config_.session_setup_timeout) {
        stale.push_back(sid);
      } else if (s->payload && !s->down_requested) {
        s->payload->tick(now);
      }
    }
    for (std::uint16_t sid : stale) {
      close_session(t, sid, "no ICCN", true, cdn::kTimeout, now);
    }
  }
  reap(now);
  for (auto it = tunnels_.begin(); it != tunnels_.end();) {
    Tunnel& t = *it->second;
    if (t.state == TunnelState::kDead && now - t.dead_since >= config_.destruct_timeout) {
      if (t.sccrq_key) by_sccrq_.erase(*t.sccrq_key);
      it = tunnels_.erase(it);
    } else {
      ++it;
    }
  }
}

bool Lns::clear_tunnel(std::uint16_t tunnel_id, Clock::time_point now) {
  auto it = tunnels_.find(tunnel_id);
  if (it == tunnels_.end() || it->second->state == TunnelState::kDead) return false;
  stop_tunnel(*it->second, stopccn::kGeneralClear, errc::kNone, "administrative clear", now);
  return true;
}

bool Lns::clear_session(std::uint16_t tunnel_id, std::uint16_t session_id, Clock::time_point now) {
  auto it = tunnels_.find(tunnel_id);
  if (it == tunnels_.end() || !it->second->sessions.contains(session_id)) return false;
  close_session(*it->second, session_id, "administrative clear", true, cdn::kAdmin, now);
  reap(now);
  return true;
}

bool Lns::send_frame(std::uint16_t tunnel_id, std::uint16_t session_id, ByteView frame) {
  auto it = tunnels_.find(tunnel_id);
  if (it == tunnels_.end()) return false;
  auto s = it->second->sessions.find(session_id);
  if (s == it->second->sessions.end() || s->second->state != SessionState::kEstablished) {
    return false;
  }
  s->second->send_frame(frame);
  return true;
}

PayloadSession* Lns::payload(std::uint16_t tunnel_id, std::uint16_t session_id) {
  auto it = tunnels_.find(tunnel_id);
  if (it == tunnels_.end()) return nullptr;
  auto s = it->second->sessions.find(session_id);
  if (s == it->second->sessions.end()) return nullptr;
  return s->second->payload.get();
}

void Lns::for_each_payload(const std::function<void(const SessionInfo&, PayloadSession&)>& fn) {
  for (auto& [tid, t] : tunnels_) {
    for (auto& [sid, s] : t->sessions) {
      if (s->payload && s->state == SessionState::kEstablished) fn(s->info, *s->payload);
    }
  }
}

std::vector<TunnelListing> Lns::tunnels() const {
  std::vector<TunnelListing> out;
  for (const auto& [id, t] : tunnels_) {
    TunnelListing l;
    l.id = t->id;
    l.peer_id = t->peer_id;
    l.handle = t->binding.handle;
    l.peer = t->outer_peer;
    l.lac_port = t->lac_port;
    l.peer_host = t->peer_host;
    l.state = t->state;
    l.sessions = t->sessions.size();
    l.channel = t->channel->counters();
    out.push_back(std::move(l));
  }
  return out;
}

std::vector<SessionListing> Lns::sessions() const {
  std::vector<SessionListing> out;
  for (const auto& [tid, t] : tunnels_) {
    for (const auto& [sid, s] : t->sessions) {
      SessionListing l;
      l.info = s->info;
      l.state = s->state;
      l.frames_in = s->frames_in;
      l.frames_out = s->frames_out;
      l.bytes_in = s->bytes_in;
      l.bytes_out = s->bytes_out;
      l.frames_dropped = s->frames_dropped;
      l.call_errors_total = s->call_errors_total;
      out.push_back(std::move(l));
    }
  }
  return out;
}

}  // namespace l2sec::l2tp
