// The PPP exchanges of real sessions (MS-CHAPv2 with CCP and DNS, CHAP-MD5, PAP, keepalive, an
// IP packet each way, a terminate) written as L2TP data messages in UDP/IPv4 and read back by
// tshark, an independent PPP implementation: every frame must dissect as the protocol we sent,
// with no malformed packet and no warning or error.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "harness.hpp"
#include "l2sec/golden/ipv4.hpp"
#include "l2sec/pcap/pcap_file.hpp"
#include "l2sec/pcap/tshark.hpp"
#include "l2sec/ppp/protocols.hpp"
#include "l2sec/traffic/l2tp_samples.hpp"

namespace l2sec::ppp::test {
namespace {

constexpr std::uint32_t kClient = 0xc6120f0f;  // 198.18.15.15
constexpr std::uint32_t kLns = 0xc6120201;     // 198.18.2.1

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Running as user", 0) == 0) continue;
    out.push_back(line);
  }
  return out;
}

TEST(PppTshark, DissectsLcpChapPapIpcpWithoutMalformed) {
  const auto path = (std::filesystem::temp_directory_path() /
                     ("l2sec-ppp-" + std::to_string(::getpid()) + ".pcap"))
                        .string();
  std::string err;
  auto writer = pcap::PcapWriter::open(path, pcap::LinkType::kRawIp, &err);
  ASSERT_TRUE(writer) << err;
  std::vector<std::uint16_t> protocols;  // what we wrote, frame by frame
  auto write_trace = [&](const Harness& h, std::uint16_t session_id) {
    for (const auto& [from_lns, f] : h.trace) {
      ASSERT_GE(f.size(), 4u);
      ASSERT_EQ(f[0], 0xff);
      const std::uint16_t proto = load_be16(f.data() + 2);
      const Bytes l2tp =
          traffic::l2tp_data(from_lns ? 7 : 3, session_id, proto, ByteView(f).subspan(4));
      writer->write(from_lns ? golden::build_udp_packet(kLns, kClient, 1701, 1701, l2tp)
                             : golden::build_udp_packet(kClient, kLns, 1701, 1701, l2tp));
      protocols.push_back(proto);
    }
  };

  {
    Config c = Harness::default_config();
    c.dns1 = ip("198.18.3.53");
    PeerConfig pc;
    pc.extra_protocols = {kProtoCcp};
    pc.request_dns = true;
    pc.request_vj = true;
    pc.request_pfc_acfc = true;
    Harness h(c, pc);
    h.start();
    ASSERT_EQ(h.session->phase(), Phase::kOpen);
    h.peer->send_ip(traffic::icmp_echo(h.peer->address(), kLns, 1, 56));
    h.session->send_ip(traffic::icmp_echo(kLns, h.peer->address(), 1, 56));
    h.pump();
    h.advance(std::chrono::seconds(31));  // one echo request and reply
    h.session->close("administratively cleared", h.now);
    h.pump();
    ASSERT_EQ(h.downs, 1);
    write_trace(h, 11);
  }
  for (AuthProtocol a : {AuthProtocol::kChapMd5, AuthProtocol::kPap}) {
    Config c = Harness::default_config();
    c.auth = {a};
    Harness ok(c);
    ok.start();
    ASSERT_EQ(ok.session->phase(), Phase::kOpen);
    write_trace(ok, 12);
    PeerConfig bad;
    bad.password = "wrong";
    Harness fail(c, bad);
    fail.start();
    ASSERT_EQ(fail.downs, 1);
    write_trace(fail, 13);
  }
  writer.reset();

  auto run =
      pcap::run_tshark(path, {"-d", "udp.port==1701,l2tp", "-T", "fields", "-E", "separator=|",
                              "-e", "ppp.protocol", "-e", "ppp.code", "-e", "chap.code", "-e",
                              "pap.code", "-e", "_ws.malformed", "-e", "_ws.expert.severity"});
  if (run.exit_code == -1) GTEST_SKIP() << "tshark is not installed (scripts/setup-debian.sh)";
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto lines = lines_of(run.output);
  ASSERT_EQ(lines.size(), protocols.size()) << run.output;
  std::map<std::uint16_t, int> seen;
  int chap_codes = 0, pap_codes = 0, lcp_codes = 0, ipcp_codes = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    SCOPED_TRACE("frame " + std::to_string(i + 1) + ": " + lines[i]);
    std::vector<std::string> f;
    std::istringstream ls(lines[i]);
    for (std::string x; std::getline(ls, x, '|');) f.push_back(x);
    f.resize(6);
    char want[8];
    std::snprintf(want, sizeof want, "0x%04x", protocols[i]);
    EXPECT_EQ(f[0], want);
    EXPECT_TRUE(f[4].empty()) << "malformed";
    EXPECT_TRUE(f[5].empty()) << "expert note";
    ++seen[protocols[i]];
    if (protocols[i] == kProtoLcp && !f[1].empty()) ++lcp_codes;
    if (protocols[i] == kProtoIpcp && !f[1].empty()) ++ipcp_codes;
    if (!f[2].empty()) ++chap_codes;
    if (!f[3].empty()) ++pap_codes;
  }
  // Every control protocol was there and tshark read its code field.
  EXPECT_GT(lcp_codes, 10);
  EXPECT_GT(ipcp_codes, 6);
  EXPECT_GE(chap_codes, 6);  // challenge, response, success/failure in 2 sessions + MS-CHAPv2
  EXPECT_GE(pap_codes, 4);
  EXPECT_EQ(seen[kProtoLcp], lcp_codes);
  EXPECT_EQ(seen[kProtoIpcp], ipcp_codes);
  EXPECT_GE(seen[kProtoCcp], 1);
  EXPECT_EQ(seen[kProtoIp], 2);

  // The full dissection: no malformed packet, no error or warning note.
  run = pcap::run_tshark(path, {"-d", "udp.port==1701,l2tp", "-V"});
  ASSERT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.output.find("Malformed"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("[Severity level: Error]"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("[Severity level: Warning]"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("Challenge Handshake Authentication Protocol"), std::string::npos);
  EXPECT_NE(run.output.find("Password Authentication Protocol"), std::string::npos);
  EXPECT_NE(run.output.find("PPP IP Control Protocol"), std::string::npos);
  EXPECT_NE(run.output.find("Protocol Reject"), std::string::npos);
  std::filesystem::remove(path);
}

// A PPP frame with a broken length is noticed by tshark: this keeps the test above honest.
TEST(PppTshark, NoticesABrokenLcpPacket) {
  const auto path = (std::filesystem::temp_directory_path() /
                     ("l2sec-ppp-bad-" + std::to_string(::getpid()) + ".pcap"))
                        .string();
  {
    auto writer = pcap::PcapWriter::open(path, pcap::LinkType::kRawIp, nullptr);
    ASSERT_TRUE(writer);
    const Bytes lcp = {1, 1, 0, 40, 1, 4, 5, 0xdc};  // length 40 in an 8-byte packet
    writer->write(golden::build_udp_packet(kClient, kLns, 1701, 1701,
                                           traffic::l2tp_data(3, 11, kProtoLcp, lcp)));
  }
  auto run = pcap::run_tshark(path, {"-d", "udp.port==1701,l2tp", "-T", "fields", "-e",
                                     "ppp.protocol", "-e", "_ws.expert.severity"});
  if (run.exit_code == -1) GTEST_SKIP() << "tshark is not installed";
  const auto lines = lines_of(run.output);
  ASSERT_EQ(lines.size(), 1u) << run.output;
  const auto tab = lines[0].find('\t');
  ASSERT_NE(tab, std::string::npos) << lines[0];
  EXPECT_EQ(lines[0].substr(0, tab), "0xc021");
  EXPECT_FALSE(lines[0].substr(tab + 1).empty()) << "no expert note: " << lines[0];
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace l2sec::ppp::test
