// A capture written by the golden model is read by tshark, an independent ESP implementation:
// given the SA keys it must authenticate and decrypt every packet and dissect ESP / UDP / L2TP (and
// PPP inside) with no malformed-packet or error reports.
#include "l2sec/pcap/tshark.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "l2sec/golden/esp.hpp"
#include "l2sec/pcap/pcap_file.hpp"
#include "l2sec/traffic/l2tp_samples.hpp"

using namespace l2sec;
using golden::SaConfig;

namespace {

constexpr std::uint32_t kNat = 0xc6120102;     // 198.18.1.2
constexpr std::uint32_t kRouter = 0xc6120201;  // 198.18.2.1

struct Suite {
  lm::Cipher cipher;
  lm::Integ integ;
  lm::IcvLen icv;
};

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Running as user", 0) == 0) continue;  // tshark's note when run as root
    out.push_back(line);
  }
  return out;
}

class TsharkCapture : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("l2sec-tshark-" + std::to_string(::getpid()) + ".pcap"))
                .string();
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::string path_;
};

}  // namespace

TEST_F(TsharkCapture, DecryptsAndDissectsEspUdpL2tp) {
  const Suite suites[] = {
      {lm::Cipher::kAesCbc128, lm::Integ::kHmacSha1, lm::IcvLen::kIcv96},
      {lm::Cipher::kAesCbc192, lm::Integ::kHmacSha1, lm::IcvLen::kIcv96},
      {lm::Cipher::kAesCbc256, lm::Integ::kHmacSha256, lm::IcvLen::kIcv128},
      {lm::Cipher::kAesCbc256, lm::Integ::kHmacSha256, lm::IcvLen::kIcv96},
      {lm::Cipher::kDes3Cbc, lm::Integ::kHmacSha1, lm::IcvLen::kIcv96},
  };
  std::string err;
  auto writer = pcap::PcapWriter::open(path_, pcap::LinkType::kEthernet, &err);
  ASSERT_TRUE(writer) << err;
  std::vector<std::string> uat;
  std::vector<std::uint32_t> spis;
  int frames = 0;
  std::uint32_t spi = 0x7000;
  for (const Suite& s : suites) {
    for (bool udp : {true, false}) {
      SaConfig c;
      c.spi = ++spi;
      c.direction = lm::Direction::kOutbound;
      c.cipher = s.cipher;
      c.integ = s.integ;
      c.icv_len = s.icv;
      c.encap = udp ? lm::Encap::kUdp : lm::Encap::kNone;
      c.enc_key.resize(golden::cipher_key_len(s.cipher));
      c.auth_key.resize(golden::integ_key_len(s.integ));
      golden::random_bytes(c.enc_key);
      golden::random_bytes(c.auth_key);
      c.local_addr = kRouter;
      c.peer_addr = kNat;
      c.peer_port = 61001;
      golden::EspEngine engine;
      auto h = engine.add_sa(c, &err);
      ASSERT_TRUE(h) << err;
      uat.push_back(pcap::tshark_esp_sa(c, kRouter, kNat));
      spis.push_back(c.spi);
      const Bytes msgs[] = {
          traffic::l2tp_sccrq(77, "lns.example"),
          traffic::l2tp_hello(77, 1, 1),
          traffic::l2tp_data(77, 5, traffic::kPppLcp,
                             traffic::lcp_configure_request(1, 1400, 0x01020304)),
          traffic::l2tp_data(77, 5, traffic::kPppIp,
                             traffic::icmp_echo(0xc6130001, 0xc6130002, 7, 1200)),
      };
      for (const Bytes& m : msgs) {
        Bytes wire;
        const Bytes pkt = golden::build_udp_packet(kRouter, kNat, 1701, 1701, m);
        ASSERT_TRUE(engine.encap(*h, pkt, wire).ok());
        writer->write(pcap::ethernet_wrap(wire));
        ++frames;
      }
    }
  }
  writer.reset();

  auto args = pcap::tshark_esp_args(uat);
  // One line per frame: SPI, ICV verdict, L2TP tunnel, message type (control) or PPP protocol.
  auto fields = args;
  fields.insert(fields.end(), {"-T", "fields",
                               "-E", "separator=|",
                               "-e", "esp.spi",
                               "-e", "esp.icv_good",
                               "-e", "udp.dstport",
                               "-e", "l2tp.tunnel",
                               "-e", "l2tp.avp.message_type",
                               "-e", "ppp.protocol",
                               "-e", "icmp.type",
                               "-e", "_ws.malformed",
                               "-e", "_ws.expert.severity"});
  auto run = pcap::run_tshark(path_, fields);
  if (run.exit_code == -1) GTEST_SKIP() << "tshark is not installed (scripts/setup-debian.sh)";
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto lines = split_lines(run.output);
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(frames)) << run.output;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    SCOPED_TRACE("frame " + std::to_string(i + 1) + ": " + lines[i]);
    std::vector<std::string> f;
    std::istringstream ls(lines[i]);
    for (std::string x; std::getline(ls, x, '|');) f.push_back(x);
    f.resize(9);
    char spi_hex[16];
    std::snprintf(spi_hex, sizeof spi_hex, "0x%08x", spis[i / 4]);
    EXPECT_EQ(f[0].substr(0, 10), spi_hex);
    EXPECT_EQ(f[1], "1") << "tshark did not authenticate the ICV";
    EXPECT_NE(f[2].find("1701"), std::string::npos) << "no inner UDP to 1701 after decryption";
    // The SCCRQ goes on tunnel 0 (the LAC does not know the LNS's ID yet), the rest on 77.
    EXPECT_EQ(f[3], i % 4 == 0 ? "0" : "77") << "L2TP not dissected";
    switch (i % 4) {
      case 0:
        EXPECT_EQ(f[4], "1") << "SCCRQ";
        break;
      case 1:
        EXPECT_EQ(f[4], "6") << "HELLO";
        break;
      case 2:
        EXPECT_EQ(f[5], "0xc021") << "LCP";
        break;
      default:
        EXPECT_EQ(f[5], "0x0021") << "IP in PPP";
        EXPECT_EQ(f[6], "8") << "ICMP echo inside PPP";
        break;
    }
    EXPECT_TRUE(f[7].empty()) << "malformed";
  }

  // The full dissection has no malformed packets and no error or warning expert notes.
  auto verbose = args;
  verbose.push_back("-V");
  run = pcap::run_tshark(path_, verbose);
  ASSERT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.output.find("Malformed"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("[Severity level: Error]"), std::string::npos);
  EXPECT_EQ(run.output.find("[Severity level: Warning]"), std::string::npos);
}

// A wrong key is noticed by tshark too: the ICV check fails. This keeps the test above honest.
TEST_F(TsharkCapture, WrongKeyFailsTsharksIcvCheck) {
  SaConfig c;
  c.spi = 0x8001;
  c.direction = lm::Direction::kOutbound;
  c.encap = lm::Encap::kUdp;
  c.enc_key = Bytes(16, 1);
  c.auth_key = Bytes(20, 2);
  c.local_addr = kRouter;
  c.peer_addr = kNat;
  golden::EspEngine engine;
  ASSERT_TRUE(engine.add_sa(c, nullptr));
  {
    auto w = pcap::PcapWriter::open(path_, pcap::LinkType::kEthernet, nullptr);
    Bytes wire;
    ASSERT_TRUE(engine
                    .encap(1,
                           golden::build_udp_packet(kRouter, kNat, 1701, 1701,
                                                    traffic::l2tp_hello(1, 0, 0)),
                           wire)
                    .ok());
    w->write(pcap::ethernet_wrap(wire));
  }
  SaConfig wrong = c;
  wrong.auth_key[0] ^= 1;
  auto args = pcap::tshark_esp_args({pcap::tshark_esp_sa(wrong, kRouter, kNat)});
  args.insert(args.end(), {"-T", "fields", "-e", "esp.icv_good", "-e", "esp.icv_bad"});
  auto run = pcap::run_tshark(path_, args);
  if (run.exit_code == -1) GTEST_SKIP() << "tshark is not installed";
  const auto lines = split_lines(run.output);
  ASSERT_EQ(lines.size(), 1u) << run.output;
  EXPECT_EQ(lines[0], "0\t1");
}
