// A Session brought up end to end against the test client, every authentication method, the
// negotiation corners (auth Nak, CCP, PFC/ACFC, DNS, VJ), keepalive, terminate, malformed input
// and the restart timer.
#include "l2sec/ppp/session.hpp"

#include <gtest/gtest.h>

#include <regex>

#include "harness.hpp"
#include "l2sec/log.hpp"
#include "l2sec/ppp/protocols.hpp"

namespace l2sec::ppp::test {
namespace {

using std::chrono::seconds;

// Collects log lines of the "ppp" subsystem for the test's duration.
class LogCapture {
 public:
  LogCapture() {
    old_ = log::set_sink([this](log::Level l, std::string_view sub, std::string_view text) {
      if (sub == "ppp" && l >= log::Level::kWarning) lines_.emplace_back(text);
    });
  }
  ~LogCapture() { log::set_sink(old_); }
  const std::vector<std::string>& lines() const { return lines_; }
  bool contains(std::string_view s) const {
    for (const auto& l : lines_) {
      if (l.find(s) != std::string::npos) return true;
    }
    return false;
  }

 private:
  log::Sink old_;
  std::vector<std::string> lines_;
};

Config with_auth(std::vector<AuthProtocol> auth) {
  Config c = Harness::default_config();
  c.auth = std::move(auth);
  return c;
}

Bytes ip_packet(std::uint8_t fill, std::size_t n) {
  Bytes p(n, fill);
  p[0] = 0x45;
  return p;
}

void expect_up(Harness& h, AuthProtocol auth, const std::string& user) {
  EXPECT_EQ(h.session->phase(), Phase::kOpen);
  EXPECT_EQ(h.ups, 1);
  EXPECT_EQ(h.downs, 0);
  EXPECT_EQ(h.session->auth_protocol(), auth);
  EXPECT_EQ(h.session->user(), user);
  ASSERT_TRUE(h.session->peer_addr().has_value());
  EXPECT_EQ(*h.session->peer_addr(), ip("198.18.10.1"));
  EXPECT_TRUE(h.peer->lcp_open());
  EXPECT_TRUE(h.peer->ipcp_open());
  EXPECT_EQ(h.peer->address(), ip("198.18.10.1"));
  EXPECT_EQ(h.peer->server_address(), ip("198.18.2.1"));
  EXPECT_EQ(h.pool.in_use(), 1u);
  EXPECT_EQ(h.session->counters().bad_frames, 0u);
}

TEST(PppSession, MsChapV2IsTheDefaultAndComesUp) {
  Harness h;
  h.start();
  expect_up(h, AuthProtocol::kMsChapV2, "alice");
  EXPECT_TRUE(h.peer->server_verified()) << h.peer->auth_message();
  // RFC 2759 5: "S=<40 hex digits> M=<message>".
  EXPECT_TRUE(std::regex_match(h.peer->auth_message(), std::regex("S=[0-9A-F]{40} M=.*")))
      << h.peer->auth_message();
  EXPECT_EQ(h.session->magic(), h.peer->server_magic());
  EXPECT_EQ(h.session->peer_mru(), 1400);
}

TEST(PppSession, IpFlowsBothWaysOnceOpen) {
  Harness h;
  const Bytes early = ip_packet(1, 40);
  h.session->send_ip(early);  // not started: dropped
  EXPECT_EQ(h.session->counters().ip_dropped, 1u);
  h.start();
  ASSERT_EQ(h.session->phase(), Phase::kOpen);
  const Bytes up = ip_packet(2, 100), down = ip_packet(3, 1400);
  h.peer->send_ip(up);
  h.session->send_ip(down);
  h.pump();
  ASSERT_EQ(h.delivered.size(), 1u);
  EXPECT_EQ(h.delivered[0], up);
  ASSERT_EQ(h.peer->ip_received().size(), 1u);
  EXPECT_EQ(h.peer->ip_received()[0], down);
  EXPECT_EQ(h.session->counters().ip_in, 1u);
  EXPECT_EQ(h.session->counters().ip_out, 1u);
}

TEST(PppSession, ChapMd5SuccessAndFailure) {
  {
    Harness h(with_auth({AuthProtocol::kChapMd5}));
    h.start();
    expect_up(h, AuthProtocol::kChapMd5, "alice");
    EXPECT_EQ(h.peer->auth_ok(), true);
  }
  {
    LogCapture logs;
    PeerConfig pc;
    pc.password = "wrong";
    Harness h(with_auth({AuthProtocol::kChapMd5}), pc);
    h.start();
    EXPECT_EQ(h.peer->auth_ok(), false);
    EXPECT_EQ(h.ups, 0);
    EXPECT_TRUE(h.peer->terminated());  // the LNS sent Terminate-Request
    EXPECT_EQ(h.downs, 1);
    EXPECT_NE(h.down_reason->find("authentication failed for user 'alice'"), std::string::npos)
        << *h.down_reason;
    EXPECT_EQ(h.session->phase(), Phase::kDead);
    EXPECT_EQ(h.session->counters().auth_failures, 1u);
    EXPECT_FALSE(h.session->peer_addr().has_value());
    EXPECT_EQ(h.pool.in_use(), 0u);
    EXPECT_TRUE(logs.contains("CHAP-MD5: authentication failed for user 'alice'"));
  }
}

TEST(PppSession, PapSuccessAndFailure) {
  {
    Harness h(with_auth({AuthProtocol::kPap}));
    h.start();
    expect_up(h, AuthProtocol::kPap, "alice");
    EXPECT_EQ(h.peer->auth_message(), "Login ok");
  }
  {
    PeerConfig pc;
    pc.user = "mallory";
    Harness h(with_auth({AuthProtocol::kPap}), pc);
    h.start();
    EXPECT_EQ(h.peer->auth_ok(), false);
    EXPECT_EQ(h.peer->auth_message(), "Login incorrect");
    EXPECT_EQ(h.downs, 1);
    EXPECT_NE(h.down_reason->find("unknown user"), std::string::npos) << *h.down_reason;
  }
}

TEST(PppSession, MsChapV2FailureMessageFormat) {
  PeerConfig pc;
  pc.password = "not-it";
  Harness h(Harness::default_config(), pc);
  h.start();
  EXPECT_EQ(h.peer->auth_ok(), false);
  // RFC 2759 6: E=691 (bad password), R=0 (no retry), C=<authenticator challenge>, V=3.
  EXPECT_TRUE(
      std::regex_match(h.peer->auth_message(), std::regex("E=691 R=0 C=[0-9A-F]{32} V=3 M=.+")))
      << h.peer->auth_message();
  EXPECT_EQ(h.downs, 1);
  EXPECT_EQ(h.session->counters().auth_failures, 1u);
}

TEST(PppSession, MsChapV2AcceptsADomainPrefix) {
  PeerConfig pc;
  pc.user = "CORP\\bob";
  pc.password = "hunter2";
  Harness h(Harness::default_config(), pc);
  h.start();
  expect_up(h, AuthProtocol::kMsChapV2, "CORP\\bob");
  EXPECT_TRUE(h.peer->server_verified());
}

TEST(PppSession, ClientNaksAuthProtocolAndWeSwitch) {
  PeerConfig pc;
  pc.accept = {AuthProtocol::kPap};
  pc.preferred = AuthProtocol::kPap;
  Harness h(Harness::default_config(), pc);
  h.start();
  expect_up(h, AuthProtocol::kPap, "alice");
  // We offered MS-CHAPv2 first, then PAP (what the client named), not CHAP-MD5.
  const std::vector<AuthProtocol> offers = {AuthProtocol::kMsChapV2, AuthProtocol::kPap};
  EXPECT_EQ(h.peer->auth_offers(), offers);
}

TEST(PppSession, NakWithUnconfiguredProtocolFallsToTheNextConfigured) {
  PeerConfig pc;
  pc.accept = {AuthProtocol::kChapMd5};
  pc.preferred = AuthProtocol::kPap;  // not configured below
  Harness h(with_auth({AuthProtocol::kMsChapV2, AuthProtocol::kChapMd5}), pc);
  h.start();
  expect_up(h, AuthProtocol::kChapMd5, "alice");
}

TEST(PppSession, NoCommonAuthProtocolEndsTheLink) {
  PeerConfig pc;
  pc.accept = {AuthProtocol::kPap};
  pc.preferred = AuthProtocol::kPap;
  Harness h(with_auth({AuthProtocol::kMsChapV2}), pc);
  h.start();
  h.advance(seconds(10));
  EXPECT_EQ(h.ups, 0);
  EXPECT_EQ(h.downs, 1);
  EXPECT_NE(h.down_reason->find("no authentication protocol acceptable"), std::string::npos)
      << *h.down_reason;
}

TEST(PppSession, ClientRefusingToAuthenticateIsRefused) {
  PeerConfig pc;
  pc.accept = {};
  pc.preferred = AuthProtocol::kNone;  // Rejects the option
  Harness h(Harness::default_config(), pc);
  h.start();
  h.advance(seconds(10));
  EXPECT_EQ(h.ups, 0);
  EXPECT_EQ(h.downs, 1);
  EXPECT_NE(h.down_reason->find("refuses to authenticate"), std::string::npos);
}

TEST(PppSession, NoAuthWhenConfiguredSo) {
  Harness h(with_auth({}));
  h.start();
  EXPECT_EQ(h.session->phase(), Phase::kOpen);
  EXPECT_EQ(h.session->auth_protocol(), AuthProtocol::kNone);
  EXPECT_EQ(h.session->user(), "");
}

TEST(PppSession, CcpEcpIpv6cpAreProtocolRejectedAndTheLinkStillComesUp) {
  PeerConfig pc;
  pc.extra_protocols = {kProtoCcp, kProtoEcp, kProtoIpv6cp};
  Harness h(Harness::default_config(), pc);
  h.start();
  expect_up(h, AuthProtocol::kMsChapV2, "alice");
  const std::vector<std::uint16_t> rejected = {kProtoCcp, kProtoEcp, kProtoIpv6cp};
  EXPECT_EQ(h.peer->protocol_rejects(), rejected);
  EXPECT_EQ(h.session->counters().protocol_rejects, 3u);
  // Unknown network protocol data after open: rejected too.
  const Bytes ipx = {0xff, 0x03, 0x00, 0x2b, 1, 2, 3};
  h.peer->send_raw(ipx);
  h.pump();
  EXPECT_EQ(h.session->counters().protocol_rejects, 4u);
  EXPECT_EQ(h.peer->protocol_rejects().back(), 0x002b);
  EXPECT_EQ(h.session->phase(), Phase::kOpen);
}

TEST(PppSession, PfcAcfcRejectedAccmAccepted) {
  PeerConfig pc;
  pc.request_pfc_acfc = true;
  Harness h(Harness::default_config(), pc);
  h.start();
  expect_up(h, AuthProtocol::kMsChapV2, "alice");
  const std::vector<std::uint8_t> rejected = {kLcpPfc, kLcpAcfc};
  EXPECT_EQ(h.peer->lcp_rejected(), rejected);
}

TEST(PppSession, WindowsStyleLcpOptionsAreRejected) {
  PeerConfig pc;
  pc.request_pfc_acfc = true;
  pc.extra_lcp_options = {{13, {6}},                           // Callback (operation 6)
                          {17, {0x05, 0xd4}},                  // Multilink MRRU 1492
                          {19, {1, 0xde, 0xad, 0xbe, 0xef}}};  // Endpoint Discriminator
  Harness h(Harness::default_config(), pc);
  h.start();
  expect_up(h, AuthProtocol::kMsChapV2, "alice");
  const std::vector<std::uint8_t> rejected = {kLcpPfc, kLcpAcfc, 13, 17, 19};
  EXPECT_EQ(h.peer->lcp_rejected(), rejected);
  // Windows also sends LCP Identification (RFC 1570 code 12): accepted without a Code-Reject.
  const Bytes ident = {0xff, 0x03, 0xc0, 0x21, 12, 3, 0, 10, 0x11, 0x22, 0x33, 0x44, 'M', 'S'};
  h.peer->send_raw(ident);
  h.pump();
  EXPECT_TRUE(h.peer->code_rejects().empty());
  EXPECT_EQ(h.session->counters().bad_frames, 0u);
}

TEST(PppSession, ProtocolRejectIsTruncatedToThePeersMru) {
  PeerConfig pc;
  pc.mru = 200;
  Harness h(Harness::default_config(), pc);
  h.start();
  ASSERT_EQ(h.session->peer_mru(), 200);
  Bytes big = {0xff, 0x03, 0x80, 0xfd, 1, 9, 0x01, 0xf4};  // CCP request, length 500
  big.resize(504, 0x5a);
  h.peer->send_raw(big);
  h.pump();
  ASSERT_EQ(h.peer->protocol_rejects().back(), kProtoCcp);
  const Bytes& prej = h.trace.back().second;
  EXPECT_EQ(prej.size(), 4u + 200u);  // FF 03 C0 21 + an LCP packet of the peer's MRU
  EXPECT_EQ(load_be16(prej.data() + 6), 200);
}

TEST(PppSession, DnsOfferedAndVjRejected) {
  Config c = Harness::default_config();
  c.dns1 = ip("198.18.3.53");
  c.dns2 = ip("198.18.3.54");
  PeerConfig pc;
  pc.request_dns = true;
  pc.request_vj = true;
  Harness h(c, pc);
  h.start();
  expect_up(h, AuthProtocol::kMsChapV2, "alice");
  EXPECT_EQ(h.peer->dns1(), ip("198.18.3.53"));
  EXPECT_EQ(h.peer->dns2(), ip("198.18.3.54"));
  const std::vector<std::uint8_t> rejected = {kIpcpCompression};
  EXPECT_EQ(h.peer->ipcp_rejected(), rejected);
}

TEST(PppSession, DnsRejectedWhenNotConfigured) {
  PeerConfig pc;
  pc.request_dns = true;
  Harness h(Harness::default_config(), pc);
  h.start();
  expect_up(h, AuthProtocol::kMsChapV2, "alice");
  const std::vector<std::uint8_t> rejected = {kIpcpDns1, kIpcpDns2};
  EXPECT_EQ(h.peer->ipcp_rejected(), rejected);
}

TEST(PppSession, FramesWithoutAddressAndControlAreAccepted) {
  PeerConfig pc;
  pc.hdlc_header = false;
  Harness h(Harness::default_config(), pc);
  h.start();
  expect_up(h, AuthProtocol::kMsChapV2, "alice");
  // And every frame we send starts with FF 03.
  for (const auto& [out, f] : h.trace) {
    if (out) {
      ASSERT_GE(f.size(), 4u);
      EXPECT_EQ(f[0], 0xff);
      EXPECT_EQ(f[1], 0x03);
    }
  }
}

TEST(PppSession, EchoKeepaliveAnsweredThenLost) {
  Harness h;
  h.start();
  ASSERT_EQ(h.session->phase(), Phase::kOpen);
  h.advance(seconds(95));  // three intervals: three echoes, three replies
  EXPECT_EQ(h.session->counters().echo_sent, 3u);
  EXPECT_EQ(h.session->counters().echo_replies, 3u);
  EXPECT_EQ(h.session->phase(), Phase::kOpen);
  h.peer->set_answer_echo(false);
  LogCapture logs;
  // 4 unanswered at 120, 150, 180, 210 s; at 240 s the fifth would go: the link is declared dead.
  h.advance(seconds(150));
  EXPECT_EQ(h.downs, 1);
  ASSERT_TRUE(h.down_reason);
  EXPECT_NE(h.down_reason->find("keepalive lost"), std::string::npos) << *h.down_reason;
  EXPECT_EQ(h.session->counters().echo_sent, 7u);
  EXPECT_EQ(h.session->phase(), Phase::kDead);
  EXPECT_EQ(h.pool.in_use(), 0u);  // address released
  EXPECT_TRUE(logs.contains("keepalive lost"));
}

TEST(PppSession, ClientEchoRequestIsAnswered) {
  Harness h;
  h.start();
  // Echo-Request with the client's magic.
  const Bytes echo = {0xff, 0x03, 0xc0, 0x21, 9,   77,  0,   12,
                      0x11, 0x22, 0x33, 0x44, 'a', 'b', 'c', 'd'};
  h.peer->send_raw(echo);
  h.pump();
  ASSERT_EQ(h.sent(kProtoLcp, kEchoReply), 1u);
  const Bytes& reply = h.trace.back().second;
  ASSERT_EQ(reply.size(), 16u);
  EXPECT_EQ(reply[5], 77);  // same identifier
  EXPECT_EQ(load_be32(reply.data() + 8), h.session->magic());
  EXPECT_EQ(reply[15], 'd');
}

TEST(PppSession, ClientTerminates) {
  Harness h;
  h.start();
  h.peer->send_terminate();
  h.pump();
  EXPECT_EQ(h.sent(kProtoLcp, kTerminateAck), 1u);
  EXPECT_EQ(h.session->phase(), Phase::kTerminate);
  EXPECT_EQ(h.pool.in_use(), 1u);
  h.advance(seconds(3));  // RFC 1661: one restart period in Stopping, then down
  EXPECT_EQ(h.downs, 1);
  EXPECT_EQ(*h.down_reason, "peer terminated");
  EXPECT_EQ(h.pool.in_use(), 0u);
  // After the end, nothing revives the session.
  h.peer->start(h.now);
  h.pump();
  EXPECT_EQ(h.session->phase(), Phase::kDead);
  EXPECT_EQ(h.downs, 1);
}

TEST(PppSession, AdministrativeClose) {
  Harness h;
  h.start();
  h.session->close("administratively cleared", h.now);
  h.pump();  // the client Terminate-Acks
  EXPECT_TRUE(h.peer->terminated());
  EXPECT_EQ(h.downs, 1);
  EXPECT_EQ(*h.down_reason, "administratively cleared");
  EXPECT_EQ(h.addr_at_down, ip("198.18.10.1"));  // still visible to the on_down hook
  EXPECT_EQ(h.session->phase(), Phase::kDead);
  EXPECT_FALSE(h.session->peer_addr().has_value());
  EXPECT_EQ(h.pool.in_use(), 0u);
}

TEST(PppSession, CloseWithoutTerminateAckEndsAfterMaxTerminate) {
  Harness h;
  h.start();
  h.peer_connected = false;
  h.session->close("cleared", h.now);
  h.pump();
  EXPECT_EQ(h.downs, 0);
  h.advance(seconds(6));  // max_terminate 2 x 3 s
  EXPECT_EQ(h.sent(kProtoLcp, kTerminateRequest), 2u);
  EXPECT_EQ(h.downs, 1);
  EXPECT_EQ(*h.down_reason, "cleared");
}

TEST(PppSession, RestartTimerRetransmitsAndMaxConfigureGivesUp) {
  Harness h;
  h.peer_connected = false;  // nobody answers
  h.start();
  EXPECT_EQ(h.sent(kProtoLcp, kConfigureRequest), 1u);
  h.advance(seconds(3));
  EXPECT_EQ(h.sent(kProtoLcp, kConfigureRequest), 2u);
  h.advance(seconds(2));
  EXPECT_EQ(h.sent(kProtoLcp, kConfigureRequest), 2u);
  h.advance(seconds(22));  // 27 s: 10 requests in all
  EXPECT_EQ(h.sent(kProtoLcp, kConfigureRequest), 10u);
  EXPECT_EQ(h.downs, 0);
  h.advance(seconds(3));  // the tenth times out: TO-, Stopped, this-layer-finished
  EXPECT_EQ(h.sent(kProtoLcp, kConfigureRequest), 10u);
  EXPECT_EQ(h.downs, 1);
  EXPECT_NE(h.down_reason->find("max-configure"), std::string::npos) << *h.down_reason;
  EXPECT_EQ(h.session->lcp_state(), Fsm::State::kStopped);
  // Every retransmission has a new identifier.
  std::vector<int> ids;
  for (const auto& [out, f] : h.trace) ids.push_back(f[5]);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end());
}

TEST(PppSession, ChapChallengeRetransmittedThenTimesOut) {
  Harness h(with_auth({AuthProtocol::kChapMd5}));
  // The client's CHAP responses are lost.
  h.drop = [](const Bytes& f, bool to_server) {
    return to_server && f.size() > 4 && load_be16(f.data() + 2) == kProtoChap;
  };
  h.start();
  EXPECT_EQ(h.session->phase(), Phase::kAuthenticate);
  h.advance(seconds(6));
  EXPECT_EQ(h.peer->challenges(), 3u);
  h.advance(seconds(40));
  EXPECT_EQ(h.downs, 1);
  EXPECT_EQ(h.peer->auth_ok(), std::nullopt);
  EXPECT_EQ(h.session->counters().auth_failures, 1u);
}

TEST(PppSession, PapTimeout) {
  Config c = with_auth({AuthProtocol::kPap});
  c.auth_timeout = seconds(10);
  Harness h(c);
  h.drop = [](const Bytes& f, bool to_server) {
    return to_server && f.size() > 4 && load_be16(f.data() + 2) == kProtoPap;
  };
  h.start();
  h.advance(seconds(9));
  EXPECT_EQ(h.session->phase(), Phase::kAuthenticate);
  h.advance(seconds(10));
  EXPECT_EQ(h.downs, 1);
  EXPECT_NE(h.down_reason->find("authentication timeout"), std::string::npos);
}

TEST(PppSession, MalformedFramesAreCountedLoggedAndChangeNothing) {
  Harness h;
  h.start();
  ASSERT_EQ(h.session->phase(), Phase::kOpen);
  const auto before_frames = h.trace.size();
  const std::vector<Bytes> junk = {
      {},                                                    // empty
      {0xff, 0x03},                                          // header only
      {0xff, 0x03, 0xc0},                                    // truncated protocol
      {0xff, 0x03, 0x00, 0x00, 1, 2},                        // invalid protocol (even)
      {0xff, 0x03, 0xc0, 0x22, 1, 2},                        // invalid protocol (even)
      {0xff, 0x03, 0xc0, 0x21, 1},                           // LCP truncated header
      {0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 40, 1, 4, 5, 0},     // LCP length beyond the frame
      {0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 3},                  // LCP length below 4
      {0xff, 0x03, 0xc0, 0x21, 1, 9, 0, 7, 1, 0, 5},         // option length 0
      {0xff, 0x03, 0xc0, 0x21, 1, 9, 0, 7, 1, 9, 5},         // option runs past the end
      {0xff, 0x03, 0xc0, 0x21, 2, 200, 0, 4},                // Ack with the wrong identifier
      {0xff, 0x03, 0xc0, 0x21, 9, 1, 0, 6, 0, 0},            // Echo-Request too short
      {0xff, 0x03, 0xc0, 0x21, 8, 1, 0, 5, 0},               // Protocol-Reject too short
      {0xff, 0x03, 0x80, 0x21, 1, 3, 0, 8, 3, 1, 0, 0},      // IPCP option length 1
      {0xff, 0x03, 0x80, 0x21, 1, 3, 0, 9, 3},               // IPCP length beyond frame
      {0xff, 0x03, 0xc2, 0x23, 2, 1, 0, 4},                  // CHAP response, no value
      {0xff, 0x03, 0xc2, 0x23, 2, 1, 0, 9, 40, 1, 2, 3, 4},  // CHAP Value-Size past end
  };
  LogCapture logs;
  for (const Bytes& f : junk) h.session->on_frame(f, h.now);
  EXPECT_EQ(h.session->counters().bad_frames, junk.size());
  EXPECT_EQ(logs.lines().size(), junk.size());
  for (const auto& l : logs.lines()) EXPECT_NE(l.find("dropped"), std::string::npos) << l;
  EXPECT_EQ(h.trace.size(), before_frames);  // nothing was answered
  EXPECT_EQ(h.session->phase(), Phase::kOpen);
  EXPECT_EQ(h.session->lcp_state(), Fsm::State::kOpened);
  EXPECT_EQ(h.session->ipcp_state(), Fsm::State::kOpened);
  EXPECT_EQ(h.ups, 1);
  EXPECT_EQ(h.downs, 0);
}

TEST(PppSession, UnknownCodesAreCodeRejected) {
  Harness h;
  h.start();
  const Bytes lcp = {0xff, 0x03, 0xc0, 0x21, 0x42, 5, 0, 6, 0xaa, 0xbb};
  const Bytes ipcp = {0xff, 0x03, 0x80, 0x21, 9, 6, 0, 4};  // IPCP has no Echo
  h.peer->send_raw(lcp);
  h.peer->send_raw(ipcp);
  h.pump();
  EXPECT_EQ(h.session->counters().bad_frames, 2u);
  ASSERT_EQ(h.peer->code_rejects().size(), 1u);  // the client only looks at LCP's
  EXPECT_EQ(h.peer->code_rejects()[0], Bytes(lcp.begin() + 4, lcp.end()));
  EXPECT_EQ(h.sent(kProtoIpcp, kCodeReject), 1u);
  EXPECT_EQ(h.session->phase(), Phase::kOpen);
}

TEST(PppSession, MalformedDuringNegotiationChangesNothing) {
  Harness h;
  h.peer_connected = false;
  h.start();
  ASSERT_EQ(h.session->lcp_state(), Fsm::State::kReqSent);
  const Bytes bad_req = {0xff, 0x03, 0xc0, 0x21, 1, 9, 0, 8, 5, 6, 1, 2};  // magic truncated
  h.session->on_frame(bad_req, h.now);
  const Bytes ipcp_early = {0xff, 0x03, 0x80, 0x21, 1, 3, 0, 10, 3, 6, 0, 0, 0, 0};
  h.session->on_frame(ipcp_early, h.now);
  const Bytes ip_early = {0xff, 0x03, 0x00, 0x21, 0x45, 0};
  h.session->on_frame(ip_early, h.now);
  EXPECT_EQ(h.session->lcp_state(), Fsm::State::kReqSent);
  EXPECT_EQ(h.session->counters().bad_frames, 1u);
  EXPECT_EQ(h.session->counters().discarded, 2u);  // not allowed yet (RFC 1661 3.4)
  EXPECT_TRUE(h.delivered.empty());
  EXPECT_EQ(h.trace.size(), 1u);  // only our first Configure-Request
}

TEST(PppSession, LoopedBackLinkIsDetectedThroughTheMagicNumber) {
  Harness h(with_auth({}));  // (an Auth-Protocol option would be rejected before any Nak)
  h.peer_connected = false;
  h.start();
  // Our own Configure-Request comes back: its magic is ours, so we Nak it.
  const Bytes own = h.trace[0].second;
  h.session->on_frame(own, h.now);
  EXPECT_EQ(h.sent(kProtoLcp, kConfigureNak), 1u);
  const Bytes& nak = h.trace.back().second;
  ASSERT_GE(nak.size(), 14u);
  EXPECT_EQ(nak[8], kLcpMagic);
  EXPECT_NE(load_be32(nak.data() + 10), h.session->magic());
}

TEST(PppSession, PoolExhaustionAndReuse) {
  Harness first(Harness::default_config(), {}, 1);
  first.start();
  ASSERT_EQ(first.session->phase(), Phase::kOpen);
  // A second session on the same (now empty) pool.
  Session::Hooks hooks;
  std::deque<Bytes> to_client, to_server;
  std::optional<std::string> reason;
  hooks.send_frame = [&](ByteView f) { to_client.emplace_back(f.begin(), f.end()); };
  hooks.on_down = [&](std::string_view r) { reason = std::string(r); };
  Session second(Harness::default_config(), first.users, first.pool, hooks);
  TestPeer peer({}, [&](ByteView f) { to_server.emplace_back(f.begin(), f.end()); });
  auto now = first.now;
  auto pump = [&] {
    while (!to_client.empty() || !to_server.empty()) {
      if (!to_server.empty()) {
        second.on_frame(to_server.front(), now);
        to_server.pop_front();
      }
      if (!to_client.empty()) {
        peer.receive(to_client.front(), now);
        to_client.pop_front();
      }
    }
  };
  second.start(now);
  peer.start(now);
  pump();
  ASSERT_TRUE(reason.has_value());
  EXPECT_EQ(*reason, "address pool exhausted");
  EXPECT_FALSE(peer.ipcp_open());
  EXPECT_EQ(first.pool.exhausted(), 1u);
  // The first goes away; its address is free again.
  first.session->close("bye", first.now);
  first.pump();
  EXPECT_EQ(first.pool.in_use(), 0u);
  auto a = first.pool.allocate();
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, ip("198.18.10.1"));
}

TEST(PppSession, NextTimerFollowsThePhase) {
  Harness h;
  EXPECT_FALSE(h.session->next_timer().has_value());  // not started
  h.peer_connected = false;
  h.start();
  EXPECT_EQ(h.session->next_timer(), h.now + seconds(3));  // LCP restart timer
  h.peer_connected = true;
  h.peer->start(h.now);
  h.pump();
  h.advance(seconds(3));  // our request again (the first went to nobody): LCP up now
  ASSERT_EQ(h.session->phase(), Phase::kOpen);
  EXPECT_EQ(h.session->next_timer(), h.now + seconds(30));  // the next echo
  h.session->close("bye", h.now);
  h.pump();
  EXPECT_FALSE(h.session->next_timer().has_value());  // down
}

TEST(PppSession, ClientProtocolRejectingIpcpEndsTheLink) {
  Harness h;
  h.start();
  ASSERT_EQ(h.session->phase(), Phase::kOpen);
  const Bytes prej = {0xff, 0x03, 0xc0, 0x21, 8, 40, 0, 10, 0x80, 0x21, 1, 1, 0, 4};
  h.peer->send_raw(prej);
  h.pump();
  h.advance(seconds(10));
  EXPECT_EQ(h.downs, 1);
  EXPECT_NE(h.down_reason->find("IPCP failed"), std::string::npos) << *h.down_reason;
}

TEST(PppSession, DestructorReleasesTheAddress) {
  Harness h;
  h.start();
  EXPECT_EQ(h.pool.in_use(), 1u);
  h.session.reset();
  EXPECT_EQ(h.pool.in_use(), 0u);
}

// Loss, duplication and reordering: the link still comes up through retransmissions.
TEST(PppSession, ComesUpDespiteLossAndDuplication) {
  for (unsigned seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    for (AuthProtocol a : {AuthProtocol::kPap, AuthProtocol::kChapMd5, AuthProtocol::kMsChapV2}) {
      Config c = with_auth({a});
      c.auth_timeout = seconds(120);
      Harness h(c);
      std::mt19937 rng(seed);
      h.drop = [&rng](const Bytes&, bool) { return rng() % 100 < 25; };
      h.duplicate = [&rng](const Bytes&, bool) { return rng() % 100 < 20; };
      h.start();
      // Until both ends are open (a lost Ack makes the client repeat its request, which
      // reopens the negotiation on our side: RFC 1661 Opened + RCR).
      for (int s = 0;
           s < 200 && h.downs == 0 && !(h.session->phase() == Phase::kOpen && h.peer->ipcp_open());
           ++s) {
        h.advance(seconds(1));
      }
      ASSERT_EQ(h.session->phase(), Phase::kOpen) << to_string(a);
      EXPECT_TRUE(h.peer->ipcp_open());
      EXPECT_EQ(h.session->user(), "alice");
      EXPECT_EQ(h.pool.in_use(), 1u);
    }
  }
}

TEST(PppSession, ComesUpDespiteReordering) {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Harness r;
    std::mt19937 rng2(seed);
    // Swap the two head frames of a queue with probability 1/2 before every delivery.
    r.session->start(r.now);
    r.peer->start(r.now);
    for (int step = 0; step < 2000 && r.session->phase() != Phase::kOpen; ++step) {
      for (auto* q : {&r.to_server, &r.to_client}) {
        if (q->size() >= 2 && rng2() % 2) std::swap((*q)[0], (*q)[1]);
      }
      if (!r.to_server.empty()) {
        Bytes f = std::move(r.to_server.front());
        r.to_server.pop_front();
        r.session->on_frame(f, r.now);
      } else if (!r.to_client.empty()) {
        Bytes f = std::move(r.to_client.front());
        r.to_client.pop_front();
        r.peer->receive(f, r.now);
      } else {
        r.now += seconds(1);
        r.session->tick(r.now);
        r.peer->tick(r.now);
      }
    }
    EXPECT_EQ(r.session->phase(), Phase::kOpen);
    EXPECT_EQ(r.downs, 0);
  }
}

}  // namespace
}  // namespace l2sec::ppp::test
