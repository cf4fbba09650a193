// The LNS state machines and reliable delivery against the test LAC on a simulated network: set-up,
// loss/duplication/reordering, retransmission timing, the retry limit, HELLO, tunnel
// authentication, hidden AVPs, unknown M-bit AVPs, single-shot tunnels, idle timeout, clear L2TP,
// and two clients behind one NAT on different SA handles.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "l2sec/log.hpp"

using namespace l2sec;
using namespace l2sec::l2tp;
using namespace l2sec::l2tp::test;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t kNat = 0xc6120102;  // 198.18.1.2
const ipsec::Endpoint kNatPort{kNat, 61001};

LnsConfig base_config() {
  LnsConfig c;
  c.host_name = "lns.test";
  c.idle_timeout = 600s;
  return c;
}

LacConfig lac_config(std::uint16_t tunnel_id = 0) {
  LacConfig c;
  c.tunnel_id = tunnel_id;
  return c;
}

// Decodes what the LNS sent: message type per control message (0 for ZLB), -1 for data.
struct Seen {
  int type;
  Header header;
  Message message;
};
std::vector<Seen> decode_sent(const std::vector<Bytes>& msgs, std::string_view secret = {}) {
  std::vector<Seen> out;
  for (const Bytes& m : msgs) {
    auto h = parse_header(m, nullptr);
    if (!h) {
      ADD_FAILURE() << "LNS sent a malformed header";
      continue;
    }
    if (!h->control) {
      out.push_back({-1, *h, {}});
      continue;
    }
    Decoded d = decode_control(
        ByteView(m).subspan(h->payload_offset, h->length - h->payload_offset), secret);
    EXPECT_EQ(d.error, Error::kNone) << d.detail;
    out.push_back({d.zlb ? 0 : d.message.type, *h, d.message});
  }
  return out;
}

std::vector<Bytes> msgs_of(const Net::Client& c) {
  std::vector<Bytes> out;
  for (const auto& [t, m] : c.received) out.push_back(m);
  return out;
}

std::optional<ResultCode> result_of(const Seen& s) {
  const Avp* a = s.message.find(AvpType::kResultCode);
  return a ? parse_result_code(*a) : std::nullopt;
}

const Seen* find_type(const std::vector<Seen>& v, MsgType t) {
  for (const Seen& s : v) {
    if (s.type == static_cast<int>(t)) return &s;
  }
  return nullptr;
}

Bytes lcp_frame(std::uint8_t id) { return Bytes{0xff, 0x03, 0xc0, 0x21, 0x09, id, 0x00, 0x04}; }

}  // namespace

TEST(L2tpLns, TunnelAndSessionUpAndDataBothWays) {
  Net net(base_config());
  auto& c = net.add_client(lac_config(), 7, kNatPort);
  std::vector<Bytes> got;
  c.lac->on_frame = [&](std::uint16_t, ByteView f) { got.emplace_back(f.begin(), f.end()); };
  c.lac->connect(net.now);
  net.run(200ms);
  ASSERT_EQ(c.lac->state(), Lac::State::kEstablished);
  const std::uint16_t sid = c.lac->open_session(net.now);
  net.run(200ms);
  ASSERT_EQ(c.lac->call_state(sid), Lac::CallState::kEstablished);
  ASSERT_EQ(net.payloads.size(), 1u);
  EXPECT_TRUE(net.payloads[0]->started);
  const SessionInfo& info = net.payloads[0]->info;
  EXPECT_EQ(info.peer_tunnel_id, c.lac->tunnel_id());
  EXPECT_EQ(info.peer_session_id, sid);
  EXPECT_EQ(info.tunnel_id, c.lac->peer_tunnel_id());
  EXPECT_EQ(info.session_id, *c.lac->peer_session_id(sid));
  EXPECT_EQ(info.handle, 7u);
  EXPECT_EQ(info.lac_port, kL2tpPort);
  EXPECT_EQ(info.peer, kNatPort);
  EXPECT_EQ(info.peer_host, "lac");
  EXPECT_EQ(info.tx_connect_speed, 100000000u);
  EXPECT_EQ(info.framing_type, 1u);
  EXPECT_EQ(info.call_serial, 1u);
  EXPECT_EQ(info.calling_number, "lac");

  for (std::uint8_t i = 0; i < 5; ++i) ASSERT_TRUE(c.lac->send_frame(sid, lcp_frame(i)));
  net.run(200ms);
  ASSERT_EQ(net.payloads[0]->frames.size(), 5u);
  EXPECT_EQ(net.payloads[0]->frames[3], lcp_frame(3));
  ASSERT_EQ(got.size(), 5u);  // echoed by the payload through SessionIo
  EXPECT_EQ(got[4], lcp_frame(4));
  // And by (tunnel, session) from the daemon's side.
  EXPECT_TRUE(net.lns->send_frame(info.tunnel_id, info.session_id, lcp_frame(9)));
  EXPECT_FALSE(net.lns->send_frame(info.tunnel_id, static_cast<std::uint16_t>(info.session_id + 1),
                                   lcp_frame(9)));
  EXPECT_NE(net.lns->payload(info.tunnel_id, info.session_id), nullptr);
  net.run(100ms);
  EXPECT_EQ(got.size(), 6u);

  // Every reply went through the SA it arrived on, to the LAC's port.
  for (const Sent& s : net.backend.sent) {
    EXPECT_EQ(s.handle, 7u);
    EXPECT_EQ(s.lac_port, kL2tpPort);
  }
  // Data messages carry the length bit.
  for (const Seen& s : decode_sent(msgs_of(c))) {
    if (s.type == -1) {
      EXPECT_TRUE(s.header.has_length);
    }
  }
  auto tl = net.lns->tunnels();
  ASSERT_EQ(tl.size(), 1u);
  EXPECT_EQ(tl[0].state, TunnelState::kEstablished);
  EXPECT_EQ(tl[0].sessions, 1u);
  EXPECT_EQ(tl[0].peer_host, "lac");
  auto sl = net.lns->sessions();
  ASSERT_EQ(sl.size(), 1u);
  EXPECT_EQ(sl[0].state, SessionState::kEstablished);
  EXPECT_EQ(sl[0].frames_in, 5u);
  EXPECT_EQ(sl[0].frames_out, 6u);
  int n = 0;
  net.lns->for_each_payload([&](const SessionInfo&, PayloadSession&) { ++n; });
  EXPECT_EQ(n, 1);

  // The LAC hangs up: CDN, the payload is closed, the session is gone.
  c.lac->close_session(sid, net.now);
  net.run(200ms);
  EXPECT_TRUE(net.payloads[0]->closed);
  EXPECT_TRUE(net.lns->sessions().empty());
  // Then the tunnel: StopCCN from the LAC.
  c.lac->stop(net.now);
  net.run(200ms);
  EXPECT_EQ(net.lns->tunnels()[0].state, TunnelState::kDead);
  net.run(11s);  // destruct timeout
  EXPECT_TRUE(net.lns->tunnels().empty());
  EXPECT_EQ(net.lns->counters().malformed, 0u);
}

// Loss, duplication and reordering in both directions: every tunnel and session still comes up,
// exactly once, and data flows.
TEST(L2tpLns, LossDuplicationReorder) {
  for (unsigned seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    LnsConfig cfg = base_config();
    cfg.max_retries = 10;
    Net net(cfg, Impairment{0.2, 0.15, 0.25}, seed);
    std::vector<Net::Client*> cs;
    for (ipsec::SaHandle h = 1; h <= 3; ++h) {
      LacConfig lc = lac_config();
      lc.channel.max_retries = 10;
      cs.push_back(&net.add_client(lc, h, ipsec::Endpoint{kNat, static_cast<std::uint16_t>(h)}));
      cs.back()->lac->connect(net.now);
    }
    net.run(20s);
    std::vector<std::vector<std::uint16_t>> sids(cs.size());
    for (std::size_t i = 0; i < cs.size(); ++i) {
      ASSERT_EQ(cs[i]->lac->state(), Lac::State::kEstablished);
      for (int k = 0; k < 3; ++k) sids[i].push_back(cs[i]->lac->open_session(net.now));
    }
    net.run(30s);
    std::size_t up = 0;
    for (std::size_t i = 0; i < cs.size(); ++i) {
      for (std::uint16_t sid : sids[i]) {
        EXPECT_EQ(cs[i]->lac->call_state(sid), Lac::CallState::kEstablished);
        up += cs[i]->lac->call_state(sid) == Lac::CallState::kEstablished;
      }
    }
    EXPECT_EQ(up, 9u);
    EXPECT_EQ(net.lns->tunnels().size(), 3u);  // SCCRQ retransmissions made no extra tunnel
    EXPECT_EQ(net.lns->sessions().size(), 9u);
    EXPECT_EQ(net.lns->counters().tunnels_created, 3u);
    EXPECT_EQ(net.payloads.size(), 9u);
    for (const auto& s : net.lns->sessions()) EXPECT_EQ(s.state, SessionState::kEstablished);
    std::uint64_t retrans = 0, dups = 0;
    for (const auto& t : net.lns->tunnels()) {
      EXPECT_EQ(t.state, TunnelState::kEstablished);
      retrans += t.channel.retransmits;
      dups += t.channel.duplicates + t.channel.out_of_order;
    }
    EXPECT_GT(net.dropped + net.duplicated, 0u);
    EXPECT_GT(retrans + dups, 0u);
  }
}

// SCCRP retransmissions at 1, 2, 4, 8, 8 s intervals, then the retry limit tears the tunnel down.
TEST(L2tpLns, RetransmissionBackoffAndRetryLimit) {
  Net net(base_config());
  auto& c = net.add_client(lac_config(), 5, kNatPort);
  c.blackhole_in = true;  // the LAC never hears the SCCRP
  c.lac->connect(net.now);
  const auto t0 = net.now;
  net.run(40s);
  std::vector<double> at;
  for (const auto& [t, m] : c.received) {
    at.push_back(std::chrono::duration<double>(t - t0).count());
  }
  // The LAC's own SCCRQ retransmissions reach the LNS and are acknowledged with ZLBs; keep only
  // the SCCRPs.
  std::vector<double> sccrp;
  const auto seen = decode_sent(msgs_of(c));
  for (std::size_t i = 0; i < seen.size(); ++i) {
    if (seen[i].type == static_cast<int>(MsgType::kSccrp)) sccrp.push_back(at[i]);
  }
  ASSERT_EQ(sccrp.size(), 6u);
  const double expect_gap[] = {1, 2, 4, 8, 8};
  for (std::size_t i = 1; i < sccrp.size(); ++i) {
    EXPECT_NEAR(sccrp[i] - sccrp[i - 1], expect_gap[i - 1], 0.03) << i;
  }
  EXPECT_EQ(net.lns->counters().retry_failures, 1u);
  ASSERT_EQ(net.lns->tunnels().size(), 1u);
  EXPECT_EQ(net.lns->tunnels()[0].state, TunnelState::kDead);
  EXPECT_EQ(net.lns->tunnels()[0].channel.retransmits, 5u);
}

TEST(L2tpLns, HelloAfterIdleAndDeadPeer) {
  LnsConfig cfg = base_config();
  cfg.hello_interval = 30s;
  Net net(cfg);
  auto& c = net.add_client(lac_config(), 9, kNatPort);
  c.lac->connect(net.now);
  net.run(1s);
  ASSERT_EQ(c.lac->state(), Lac::State::kEstablished);
  net.run(29s);
  EXPECT_EQ(net.lns->counters().hello_sent, 0u);
  net.run(2s);
  EXPECT_EQ(net.lns->counters().hello_sent, 1u);
  EXPECT_TRUE(find_type(decode_sent(msgs_of(c)), MsgType::kHello));
  // The LAC acknowledged: no retransmission, tunnel up.
  net.run(5s);
  EXPECT_EQ(net.lns->tunnels()[0].channel.retransmits, 0u);
  EXPECT_EQ(net.lns->tunnels()[0].state, TunnelState::kEstablished);
  // The LAC disappears: the next HELLO is never acknowledged and the tunnel goes.
  c.blackhole_out = true;
  net.run(90s);
  EXPECT_EQ(net.lns->counters().retry_failures, 1u);
  EXPECT_EQ(net.lns->tunnels().size(), 0u);  // dead, then destructed
}

TEST(L2tpLns, TwoClientsBehindOneNatSameInnerAddressAndPort) {
  Net net(base_config());
  // Same outer NAT endpoint, same inner port 1701, same LAC tunnel ID: only the SA differs.
  auto& a = net.add_client(lac_config(1), 100, kNatPort);
  auto& b = net.add_client(lac_config(1), 200, kNatPort);
  std::vector<Bytes> got_a, got_b;
  a.lac->on_frame = [&](std::uint16_t, ByteView f) { got_a.emplace_back(f.begin(), f.end()); };
  b.lac->on_frame = [&](std::uint16_t, ByteView f) { got_b.emplace_back(f.begin(), f.end()); };
  a.lac->connect(net.now);
  b.lac->connect(net.now);
  net.run(300ms);
  ASSERT_EQ(a.lac->state(), Lac::State::kEstablished);
  ASSERT_EQ(b.lac->state(), Lac::State::kEstablished);
  EXPECT_NE(a.lac->peer_tunnel_id(), b.lac->peer_tunnel_id());
  EXPECT_EQ(net.lns->tunnels().size(), 2u);
  const auto sa = a.lac->open_session(net.now);
  const auto sb = b.lac->open_session(net.now);
  net.run(300ms);
  ASSERT_EQ(net.lns->sessions().size(), 2u);
  a.lac->send_frame(sa, lcp_frame(1));
  b.lac->send_frame(sb, lcp_frame(2));
  b.lac->send_frame(sb, lcp_frame(3));
  net.run(300ms);
  ASSERT_EQ(got_a.size(), 1u);
  ASSERT_EQ(got_b.size(), 2u);
  EXPECT_EQ(got_a[0], lcp_frame(1));
  EXPECT_EQ(got_b[1], lcp_frame(3));
  // A packet on SA 100 that names B's tunnel is not B's: dropped.
  const auto before = net.lns->counters().unknown_tunnel;
  net.lns->on_packet(net.packet_from(a, encode_zlb(b.lac->peer_tunnel_id(), 0, 0, 0)), net.now);
  EXPECT_EQ(net.lns->counters().unknown_tunnel, before + 1);
  // Clearing A leaves B alone.
  a.lac->stop(net.now);
  net.run(300ms);
  for (const auto& t : net.lns->tunnels()) {
    EXPECT_EQ(t.state, t.handle == 100 ? TunnelState::kDead : TunnelState::kEstablished);
  }
  b.lac->send_frame(sb, lcp_frame(4));
  net.run(100ms);
  EXPECT_EQ(got_b.size(), 3u);
  // And the SA going down takes only its own tunnel.
  net.lns->on_sa_down(200, net.now);
  for (const auto& t : net.lns->tunnels()) EXPECT_NE(t.handle, 200u);
  EXPECT_TRUE(net.payloads[1]->closed);
}

TEST(L2tpLns, ClearL2tpRefusedWhenIpsecRequired) {
  Net net(base_config());
  auto& c = net.add_client(lac_config(), ipsec::kNoHandle, ipsec::Endpoint{0xc6120014, 1701});
  c.lac->connect(net.now);
  net.run(3s);
  EXPECT_EQ(net.backend.sent.size(), 0u);
  EXPECT_TRUE(net.lns->tunnels().empty());
  EXPECT_GE(net.lns->counters().clear_packets, 2u);
  EXPECT_EQ(net.lns->counters().clear_refused, net.lns->counters().clear_packets);
}

TEST(L2tpLns, ClearL2tpAllowedAnswersFrom1701) {
  LnsConfig cfg = base_config();
  cfg.require_ipsec = false;
  Net net(cfg);
  auto& c = net.add_client(lac_config(), ipsec::kNoHandle, ipsec::Endpoint{0xc6120014, 40000});
  c.lac->connect(net.now);
  net.run(300ms);
  ASSERT_EQ(c.lac->state(), Lac::State::kEstablished);
  ASSERT_FALSE(net.backend.sent.empty());
  for (const Sent& s : net.backend.sent) {
    EXPECT_EQ(s.local.port, kL2tpPort);
    EXPECT_EQ(s.local.addr, Net::kRouter);
    EXPECT_EQ(s.peer, (ipsec::Endpoint{0xc6120014, 40000}));
  }
  EXPECT_EQ(net.lns->counters().clear_packets, net.lns->counters().packets);
  EXPECT_EQ(net.lns->counters().clear_refused, 0u);
}

TEST(L2tpLns, TunnelAuthenticationAndHiddenAvps) {
  LnsConfig cfg = base_config();
  cfg.tunnel_secret = "s3cret";
  cfg.hide_avps = true;
  Net net(cfg);
  LacConfig lc = lac_config();
  lc.secret = "s3cret";
  lc.hide_avps = true;
  auto& c = net.add_client(lc, 3, kNatPort);
  c.lac->connect(net.now);
  net.run(300ms);
  ASSERT_EQ(c.lac->state(), Lac::State::kEstablished);
  EXPECT_TRUE(c.lac->peer_authenticated());
  const auto sid = c.lac->open_session(net.now);
  net.run(300ms);
  EXPECT_EQ(c.lac->call_state(sid), Lac::CallState::kEstablished);
  const auto seen = decode_sent(msgs_of(c), "s3cret");
  const Seen* sccrp = find_type(seen, MsgType::kSccrp);
  ASSERT_TRUE(sccrp);
  EXPECT_TRUE(sccrp->message.find(AvpType::kAssignedTunnelId)->hidden);
  EXPECT_TRUE(sccrp->message.has(AvpType::kChallenge));
  EXPECT_TRUE(sccrp->message.has(AvpType::kChallengeResponse));
  EXPECT_TRUE(find_type(seen, MsgType::kIcrp)->message.find(AvpType::kAssignedSessionId)->hidden);
  EXPECT_EQ(net.lns->counters().auth_failures, 0u);
}

TEST(L2tpLns, TunnelAuthenticationFailures) {
  {  // The LAC cannot answer the LNS's challenge.
    LnsConfig cfg = base_config();
    cfg.tunnel_secret = "s3cret";
    Net net(cfg);
    auto& c = net.add_client(lac_config(), 3, kNatPort);
    c.lac->connect(net.now);
    net.run(500ms);
    EXPECT_EQ(net.lns->counters().auth_failures, 1u);
    const auto seen1 = decode_sent(msgs_of(c), "s3cret");
    const Seen* stop = find_type(seen1, MsgType::kStopccn);
    ASSERT_TRUE(stop);
    EXPECT_EQ(result_of(*stop)->result, stopccn::kNotAuthorized);
    EXPECT_EQ(c.lac->state(), Lac::State::kClosed);
    EXPECT_TRUE(net.lns->sessions().empty());
  }
  {  // The LAC challenges, and the LNS has no secret.
    Net net(base_config());
    LacConfig lc = lac_config();
    lc.secret = "x";
    auto& c = net.add_client(lc, 3, kNatPort);
    c.lac->connect(net.now);
    net.run(500ms);
    EXPECT_EQ(net.lns->counters().auth_failures, 1u);
    EXPECT_EQ(c.lac->last_stop()->result, stopccn::kNotAuthorized);
  }
  {  // Different secrets: the LAC rejects the LNS's response.
    LnsConfig cfg = base_config();
    cfg.tunnel_secret = "one";
    Net net(cfg);
    LacConfig lc = lac_config();
    lc.secret = "two";
    auto& c = net.add_client(lc, 3, kNatPort);
    c.lac->connect(net.now);
    net.run(500ms);
    EXPECT_FALSE(c.lac->peer_authenticated());
    EXPECT_EQ(c.lac->state(), Lac::State::kClosed);
    EXPECT_NE(net.lns->tunnels()[0].state, TunnelState::kEstablished);
  }
}

TEST(L2tpLns, UnknownMandatoryAvpTearsDownUnknownOptionalIgnored) {
  {
    Net net(base_config());
    LacConfig lc = lac_config();
    lc.extra_sccrq_avps.push_back(Avp{true, false, 0x137, 5, {1, 2}});
    auto& c = net.add_client(lc, 3, kNatPort);
    c.lac->connect(net.now);
    net.run(500ms);
    const auto seen2 = decode_sent(msgs_of(c));
    const Seen* stop = find_type(seen2, MsgType::kStopccn);
    ASSERT_TRUE(stop);
    EXPECT_EQ(result_of(*stop)->result, stopccn::kGeneralError);
    EXPECT_EQ(result_of(*stop)->error, errc::kUnknownMandatoryAvp);
    EXPECT_EQ(net.lns->counters().unknown_mandatory, 1u);
  }
  {
    Net net(base_config());
    LacConfig lc = lac_config();
    lc.extra_sccrq_avps.push_back(Avp{false, false, 0x137, 5, {1, 2}});
    auto& c = net.add_client(lc, 3, kNatPort);
    c.lac->connect(net.now);
    net.run(500ms);
    EXPECT_EQ(c.lac->state(), Lac::State::kEstablished);
  }
  {  // In a session message: only the session goes (CDN), the tunnel stays.
    Net net(base_config());
    auto& c = net.add_client(lac_config(), 3, kNatPort);
    c.lac->connect(net.now);
    net.run(300ms);
    const auto sid = c.lac->open_session(net.now);
    net.run(300ms);
    Message wen;
    wen.type = static_cast<std::uint16_t>(MsgType::kWen);
    wen.add(AvpType::kCallErrors, Bytes(26, 0));
    wen.avps.push_back(Avp{true, false, 0, 99, {7}});
    c.lac->send_message(wen, *c.lac->peer_session_id(sid), net.now);
    net.run(300ms);
    EXPECT_EQ(c.lac->call_state(sid), Lac::CallState::kClosed);
    EXPECT_EQ(c.lac->last_cdn()->result, cdn::kGeneralError);
    EXPECT_EQ(net.lns->tunnels()[0].state, TunnelState::kEstablished);
  }
}

TEST(L2tpLns, ProtocolVersionMismatch) {
  Net net(base_config());
  LacConfig lc = lac_config();
  lc.protocol_version = 0x0200;
  auto& c = net.add_client(lc, 3, kNatPort);
  c.lac->connect(net.now);
  net.run(500ms);
  EXPECT_EQ(c.lac->last_stop()->result, stopccn::kBadVersion);
  EXPECT_EQ(c.lac->last_stop()->error, 0x0100);
}

TEST(L2tpLns, PayloadDownSendsCdnAndIdleTimeoutClearsTunnel) {
  LnsConfig cfg = base_config();
  cfg.idle_timeout = 60s;
  Net net(cfg);
  auto& c = net.add_client(lac_config(), 3, kNatPort);
  c.lac->connect(net.now);
  net.run(300ms);
  const auto sid = c.lac->open_session(net.now);
  net.run(300ms);
  ASSERT_EQ(net.payloads.size(), 1u);
  // The payload gives up from inside a frame callback: CDN after the call returns.
  net.payloads[0]->echo = false;
  net.payloads[0]->io->down("LCP terminated");
  net.run(300ms);
  EXPECT_EQ(c.lac->call_state(sid), Lac::CallState::kClosed);
  EXPECT_EQ(c.lac->last_cdn()->result, cdn::kAdmin);
  EXPECT_EQ(c.lac->last_cdn()->message, "LCP terminated");
  EXPECT_EQ(net.lns->counters().cdn_sent, 1u);
  EXPECT_TRUE(net.lns->sessions().empty());
  // No sessions: after the idle timeout, StopCCN with result 1.
  net.run(59s);
  EXPECT_EQ(net.lns->tunnels()[0].state, TunnelState::kEstablished);
  net.run(2s);
  EXPECT_EQ(c.lac->state(), Lac::State::kClosed);
  EXPECT_EQ(c.lac->last_stop()->result, stopccn::kGeneralClear);
}

TEST(L2tpLns, SingleShotTunnel) {
  LnsConfig cfg = base_config();
  cfg.single_shot = true;
  std::vector<ipsec::SaHandle> released;
  cfg.release_sa = [&](ipsec::SaHandle h) { released.push_back(h); };
  Net net(cfg);
  auto& c = net.add_client(lac_config(), 42, kNatPort);
  c.lac->connect(net.now);
  net.run(300ms);
  const auto s1 = c.lac->open_session(net.now);
  net.run(300ms);
  ASSERT_EQ(c.lac->call_state(s1), Lac::CallState::kEstablished);
  // A second session on a single-shot tunnel is refused.
  const auto s2 = c.lac->open_session(net.now);
  net.run(300ms);
  EXPECT_EQ(c.lac->call_state(s2), Lac::CallState::kClosed);
  EXPECT_EQ(c.lac->last_cdn()->result, cdn::kNoFacilitiesPermanent);
  EXPECT_EQ(c.lac->call_state(s1), Lac::CallState::kEstablished);
  // The session ends: the tunnel goes at once (no idle timeout), the SA is released.
  c.lac->close_session(s1, net.now);
  net.run(300ms);
  EXPECT_EQ(c.lac->state(), Lac::State::kClosed);
  EXPECT_EQ(c.lac->last_stop()->result, stopccn::kGeneralClear);
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0], 42u);
  // A new tunnel on the same SA is refused.
  auto& again = net.add_client(lac_config(), 42, kNatPort, 1702);
  again.lac->connect(net.now);
  net.run(300ms);
  EXPECT_EQ(again.lac->state(), Lac::State::kClosed);
  EXPECT_EQ(again.lac->last_stop()->result, stopccn::kAlreadyExists);
  // A new SA is fine.
  auto& fresh = net.add_client(lac_config(), 43, kNatPort);
  fresh.lac->connect(net.now);
  net.run(300ms);
  EXPECT_EQ(fresh.lac->state(), Lac::State::kEstablished);
}

TEST(L2tpLns, OcrqRefusedWenRecorded) {
  Net net(base_config());
  auto& c = net.add_client(lac_config(), 3, kNatPort);
  c.lac->connect(net.now);
  net.run(300ms);
  const auto sid = c.lac->open_session(net.now);
  net.run(300ms);
  Message wen;
  wen.type = static_cast<std::uint16_t>(MsgType::kWen);
  Bytes errs(26, 0);
  errs[5] = 3;   // CRC errors
  errs[25] = 2;  // alignment errors
  wen.add(AvpType::kCallErrors, errs);
  c.lac->send_message(wen, *c.lac->peer_session_id(sid), net.now);
  Message ocrq;
  ocrq.type = static_cast<std::uint16_t>(MsgType::kOcrq);
  ocrq.add_u16(AvpType::kAssignedSessionId, 77);
  ocrq.add_u32(AvpType::kCallSerialNumber, 1);
  ocrq.add_u32(AvpType::kMinimumBps, 1);
  ocrq.add_u32(AvpType::kMaximumBps, 2);
  ocrq.add_u32(AvpType::kBearerType, 1);
  ocrq.add_u32(AvpType::kFramingType, 1);
  ocrq.add_string(AvpType::kCalledNumber, "555");
  c.lac->send_message(ocrq, 0, net.now);
  net.run(300ms);
  EXPECT_EQ(net.lns->sessions()[0].call_errors_total, 5u);
  const auto seen = decode_sent(msgs_of(c));
  const Seen* cdn_msg = nullptr;
  for (const Seen& s : seen) {
    if (s.type == static_cast<int>(MsgType::kCdn) && s.header.session == 77) cdn_msg = &s;
  }
  ASSERT_TRUE(cdn_msg);
  EXPECT_EQ(result_of(*cdn_msg)->result, cdn::kNoFacilitiesPermanent);
  EXPECT_EQ(net.lns->tunnels()[0].state, TunnelState::kEstablished);
}

TEST(L2tpLns, DataSequencing) {
  Net net(base_config());
  LacConfig lc = lac_config();
  lc.sequencing = true;
  auto& c = net.add_client(lc, 3, kNatPort);
  c.lac->connect(net.now);
  net.run(300ms);
  const auto sid = c.lac->open_session(net.now);
  net.run(300ms);
  ASSERT_EQ(net.payloads.size(), 1u);
  EXPECT_TRUE(net.payloads[0]->info.sequencing);
  c.lac->send_frame(sid, lcp_frame(1));
  net.run(100ms);
  EXPECT_TRUE(c.lac->peer_sequencing(sid));  // the echo came back with Ns/Nr
  // An old data message (Ns behind) is dropped.
  const auto& info = net.payloads[0]->info;
  net.lns->on_packet(
      net.packet_from(c, encode_data(info.tunnel_id, info.session_id, DataSeq{0, 0}, lcp_frame(2))),
      net.now);
  EXPECT_EQ(net.payloads[0]->frames.size(), 1u);
  EXPECT_EQ(net.lns->sessions()[0].frames_dropped, 1u);
}

// Junk from a LAC: counted, logged, never a state change or an answer.
TEST(L2tpLns, JunkChangesNothing) {
  Net net(base_config());
  auto& c = net.add_client(lac_config(), 3, kNatPort);
  c.lac->connect(net.now);
  net.run(300ms);
  const auto sid = c.lac->open_session(net.now);
  net.run(300ms);
  const auto sent_before = net.backend.sent.size();
  const auto tunnels_before = net.lns->tunnels();
  const std::uint16_t tid = c.lac->peer_tunnel_id();
  std::uint64_t warnings = 0;
  auto sink = log::set_sink([&](log::Level l, std::string_view sub, std::string_view) {
    if (l == log::Level::kWarning && sub == "l2tp") ++warnings;
  });
  std::uint32_t x = 99;
  std::uint64_t malformed = 0;
  for (int i = 0; i < 3000; ++i) {
    Bytes junk(4 + (i % 60));
    for (auto& b : junk) {
      x = x * 1664525u + 1013904223u;
      b = static_cast<std::uint8_t>(x >> 24);
    }
    // Half of them look like control messages for the real tunnel with bad AVPs.
    if (i % 2 == 0 && junk.size() >= 14) {
      const Bytes hdr = encode_zlb(tid, 0, 0x8000, 0);
      std::copy(hdr.begin(), hdr.end(), junk.begin());
      store_be16(junk.data() + 2, static_cast<std::uint16_t>(junk.size()));
      junk[12] = 0x80;
      junk[13] = 0x02;  // AVP length 2: always malformed
      ++malformed;
    }
    net.lns->on_packet(net.packet_from(c, junk), net.now);
  }
  log::set_sink(sink);
  EXPECT_GE(net.lns->counters().malformed, malformed);
  // A log line for each (the few not counted as malformed name an unknown tunnel).
  EXPECT_EQ(warnings, 3000u - net.lns->counters().data_dropped);
  EXPECT_EQ(net.backend.sent.size(), sent_before);
  const auto tunnels_after = net.lns->tunnels();
  ASSERT_EQ(tunnels_after.size(), tunnels_before.size());
  EXPECT_EQ(tunnels_after[0].channel.received, tunnels_before[0].channel.received);
  EXPECT_EQ(tunnels_after[0].state, TunnelState::kEstablished);
  EXPECT_EQ(c.lac->call_state(sid), Lac::CallState::kEstablished);
  // A packet class the LNS does not take, and protected L2TP without a handle.
  ipsec::HostPacket p = net.packet_from(c, encode_zlb(tid, 0, 0, 0));
  p.pkt_class = lm::PktClass::kIke;
  net.lns->on_packet(p, net.now);
  p.pkt_class = lm::PktClass::kEspUdp;
  p.handle = ipsec::kNoHandle;
  net.lns->on_packet(p, net.now);
  EXPECT_EQ(net.lns->counters().not_l2tp, 2u);
}

// A LAC that reconnects with the same tunnel ID on the same SA and port while the old tunnel's
// remains are still held gets a new tunnel, not a duplicate's acknowledgement.
TEST(L2tpLns, ReconnectWithSameTunnelIdAfterStop) {
  Net net(base_config());
  auto& first = net.add_client(lac_config(0x77), 3, kNatPort);
  first.lac->connect(net.now);
  net.run(300ms);
  ASSERT_EQ(first.lac->state(), Lac::State::kEstablished);
  first.lac->stop(net.now);
  net.run(300ms);
  ASSERT_EQ(net.lns->tunnels()[0].state, TunnelState::kDead);
  auto& second = net.add_client(lac_config(0x77), 3, kNatPort);
  first.handle = 99;  // the old LAC object no longer receives on SA 3
  second.lac->connect(net.now);
  net.run(300ms);
  EXPECT_EQ(second.lac->state(), Lac::State::kEstablished);
  EXPECT_EQ(net.lns->counters().tunnels_created, 2u);
}

TEST(L2tpLns, AdministrativeClearOfSessionAndTunnel) {
  Net net(base_config());
  auto& c = net.add_client(lac_config(), 3, kNatPort);
  c.lac->connect(net.now);
  net.run(300ms);
  const auto s1 = c.lac->open_session(net.now);
  const auto s2 = c.lac->open_session(net.now);
  net.run(300ms);
  ASSERT_EQ(net.payloads.size(), 2u);
  const auto tid = net.payloads[0]->info.tunnel_id;
  EXPECT_FALSE(net.lns->clear_session(static_cast<std::uint16_t>(tid + 1), 1, net.now));
  ASSERT_TRUE(net.lns->clear_session(tid, net.payloads[0]->info.session_id, net.now));
  EXPECT_TRUE(net.payloads[0]->closed);
  EXPECT_EQ(net.payloads[0]->close_reason, "administrative clear");
  net.run(300ms);
  EXPECT_EQ(c.lac->call_state(s1), Lac::CallState::kClosed);
  EXPECT_EQ(c.lac->last_cdn()->result, cdn::kAdmin);
  EXPECT_EQ(c.lac->call_state(s2), Lac::CallState::kEstablished);
  ASSERT_TRUE(net.lns->clear_tunnel(tid, net.now));
  EXPECT_TRUE(net.payloads[1]->closed);
  net.run(300ms);
  EXPECT_EQ(c.lac->state(), Lac::State::kClosed);
  EXPECT_EQ(c.lac->last_stop()->result, stopccn::kGeneralClear);
  EXPECT_EQ(net.lns->tunnels()[0].state, TunnelState::kDead);  // StopCCN acknowledged
  EXPECT_FALSE(net.lns->clear_tunnel(tid, net.now));
}

// A LAC that hides gets hidden AVPs back; a LAC that does not hide gets nothing hidden even when
// the LNS is configured to hide.
TEST(L2tpLns, HidingFollowsTheLac) {
  for (const bool lac_hides : {false, true}) {
    SCOPED_TRACE(lac_hides ? "LAC hides" : "LAC does not hide");
    LnsConfig cfg = base_config();
    cfg.tunnel_secret = "k";
    cfg.hide_avps = true;
    Net net(cfg);
    LacConfig lc = lac_config();
    lc.secret = "k";
    lc.hide_avps = lac_hides;
    auto& c = net.add_client(lc, 3, kNatPort);
    c.lac->connect(net.now);
    net.run(300ms);
    const auto sid = c.lac->open_session(net.now);
    net.run(300ms);
    ASSERT_EQ(c.lac->call_state(sid), Lac::CallState::kEstablished);
    const auto seen = decode_sent(msgs_of(c), "k");
    const Seen* sccrp = find_type(seen, MsgType::kSccrp);
    const Seen* icrp = find_type(seen, MsgType::kIcrp);
    ASSERT_TRUE(sccrp && icrp);
    EXPECT_EQ(sccrp->message.find(AvpType::kAssignedTunnelId)->hidden, lac_hides);
    EXPECT_EQ(icrp->message.find(AvpType::kAssignedSessionId)->hidden, lac_hides);
    EXPECT_EQ(sccrp->message.has_hidden, lac_hides);
  }
}
