// An LNS <-> LAC exchange written to a pcap (raw IPv4/UDP, LAC 198.18.0.15:1701, LNS
// 198.18.2.1:1701) and read back by tshark, an independent L2TP implementation: every control
// message type we send must be dissected as that type, with no malformed packet and no error or
// warning expert note.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>

#include "harness.hpp"
#include "l2sec/golden/ipv4.hpp"
#include "l2sec/pcap/pcap_file.hpp"
#include "l2sec/pcap/tshark.hpp"

using namespace l2sec;
using namespace l2sec::l2tp;
using namespace l2sec::l2tp::test;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t kLacAddr = 0xc612000f;  // 198.18.0.15

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Running as user", 0) == 0) continue;
    out.push_back(line);
  }
  return out;
}

struct Frame {
  bool from_lns;
  Bytes l2tp;
};

// Runs a full life cycle and returns every datagram in order.
std::vector<Frame> exchange(const std::string& secret) {
  LnsConfig cfg;
  cfg.hello_interval = 30s;
  cfg.tunnel_secret = secret;
  cfg.hide_avps = !secret.empty();
  Net net(cfg);
  std::vector<Frame> frames;
  net.tap = [&](bool from_lns, const Net::Client&, ByteView d) {
    frames.push_back({from_lns, Bytes(d.begin(), d.end())});
  };
  LacConfig lc;
  lc.secret = secret;
  lc.hide_avps = !secret.empty();
  lc.sequencing = true;
  auto& c = net.add_client(lc, 1, ipsec::Endpoint{kLacAddr, 1701});
  c.lac->connect(net.now);
  net.run(200ms);
  const auto sid = c.lac->open_session(net.now);
  net.run(200ms);
  const Bytes lcp = {0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x0e, 0x01,
                     0x04, 0x05, 0x78, 0x05, 0x06, 0x01, 0x02, 0x03, 0x04};
  c.lac->send_frame(sid, lcp);  // echoed by the payload: data both ways
  net.run(100ms);
  Message wen;
  wen.type = static_cast<std::uint16_t>(MsgType::kWen);
  wen.add(AvpType::kCallErrors, Bytes(26, 0));
  c.lac->send_message(wen, *c.lac->peer_session_id(sid), net.now);
  Message ocrq;  // refused by the LNS with a CDN
  ocrq.type = static_cast<std::uint16_t>(MsgType::kOcrq);
  ocrq.add_u16(AvpType::kAssignedSessionId, 77);
  ocrq.add_u32(AvpType::kCallSerialNumber, 9);
  ocrq.add_u32(AvpType::kMinimumBps, 1000);
  ocrq.add_u32(AvpType::kMaximumBps, 100000);
  ocrq.add_u32(AvpType::kBearerType, 2);
  ocrq.add_u32(AvpType::kFramingType, 1);
  ocrq.add_string(AvpType::kCalledNumber, "5551234");
  c.lac->send_message(ocrq, 0, net.now);
  net.run(100ms);
  net.run(31s);                                 // HELLO from the LNS
  net.payloads[0]->io->down("LCP terminated");  // CDN from the LNS
  net.run(200ms);
  net.lns->clear_tunnel(c.lac->peer_tunnel_id(), net.now);  // StopCCN from the LNS
  net.run(500ms);
  return frames;
}

class TsharkL2tp : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("l2sec-l2tp-" + std::to_string(::getpid()) + "-" +
              (GetParam().empty() ? "clear" : "hidden") + ".pcap"))
                .string();
  }
  // L2SEC_KEEP_CAPTURE=1 keeps the capture for a look with Wireshark.
  void TearDown() override {
    if (std::getenv("L2SEC_KEEP_CAPTURE")) {
      std::printf("capture kept: %s\n", path_.c_str());
    } else {
      std::filesystem::remove(path_);
    }
  }
  std::string path_;
};

}  // namespace

TEST_P(TsharkL2tp, DissectsEveryMessageType) {
  const auto frames = exchange(GetParam());
  {
    std::string err;
    auto w = pcap::PcapWriter::open(path_, pcap::LinkType::kRawIp, &err);
    ASSERT_TRUE(w) << err;
    for (const Frame& f : frames) {
      w->write(f.from_lns ? golden::build_udp_packet(Net::kRouter, kLacAddr, 1701, 1701, f.l2tp)
                          : golden::build_udp_packet(kLacAddr, Net::kRouter, 1701, 1701, f.l2tp));
    }
  }
  auto run = pcap::run_tshark(
      path_, {"-T", "fields", "-E", "separator=|", "-e", "udp.srcport", "-e", "l2tp.type", "-e",
              "l2tp.avp.message_type", "-e", "ppp.protocol", "-e", "_ws.malformed"});
  if (run.exit_code == -1) GTEST_SKIP() << "tshark is not installed (scripts/setup-debian.sh)";
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto lines = lines_of(run.output);
  ASSERT_EQ(lines.size(), frames.size()) << run.output;
  std::set<int> lns_types, lac_types;
  int lns_data = 0, lac_data = 0, zlbs = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    SCOPED_TRACE("frame " + std::to_string(i + 1) + ": " + lines[i]);
    std::vector<std::string> f;
    std::istringstream ls(lines[i]);
    for (std::string x; std::getline(ls, x, '|');) f.push_back(x);
    f.resize(5);
    EXPECT_EQ(f[0], "1701");
    EXPECT_TRUE(f[4].empty()) << "malformed";
    auto h = parse_header(frames[i].l2tp, nullptr);
    ASSERT_TRUE(h);
    if (!h->control) {
      EXPECT_EQ(f[1], "0") << "tshark: not a data message";
      EXPECT_EQ(f[3], "0xc021") << "PPP inside not dissected";
      (frames[i].from_lns ? lns_data : lac_data)++;
      continue;
    }
    EXPECT_NE(f[1], "0") << "tshark: not a control message";
    const Decoded d =
        decode_control(ByteView(frames[i].l2tp).subspan(h->payload_offset), GetParam());
    ASSERT_EQ(d.error, Error::kNone);
    if (d.zlb) {
      EXPECT_TRUE(f[2].empty());
      ++zlbs;
      continue;
    }
    EXPECT_EQ(f[2], std::to_string(d.message.type)) << "message type";
    (frames[i].from_lns ? lns_types : lac_types).insert(d.message.type);
  }
  // Every type the LNS sends, and the LAC's side of the same exchange.
  const std::set<int> want_lns = {2, 4, 6, 11, 14};      // SCCRP StopCCN HELLO ICRP CDN
  const std::set<int> want_lac = {1, 3, 7, 10, 12, 15};  // SCCRQ SCCCN OCRQ ICRQ ICCN WEN
  EXPECT_EQ(lns_types, want_lns);
  EXPECT_EQ(lac_types, want_lac);
  EXPECT_GT(zlbs, 0);
  EXPECT_GT(lns_data, 0);
  EXPECT_GT(lac_data, 0);

  run = pcap::run_tshark(path_, {"-V"});
  ASSERT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.output.find("Malformed"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("[Severity level: Error]"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("[Severity level: Warning]"), std::string::npos) << run.output;
}

INSTANTIATE_TEST_SUITE_P(ClearAndHidden, TsharkL2tp, ::testing::Values("", "s3cret"),
                         [](const auto& p) {
                           return p.param.empty() ? std::string("Clear")
                                                  : std::string("HiddenAvps");
                         });
