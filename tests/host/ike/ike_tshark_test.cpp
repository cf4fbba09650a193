// The exchange as it goes over the wire, written to a pcap and dissected by tshark (an
// independent ISAKMP implementation): Main Mode and Quick Mode on 500, and after the NAT-T float
// on 4500 behind the non-ESP marker; nothing malformed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "l2sec/pcap/pcap_file.hpp"
#include "l2sec/pcap/tshark.hpp"
#include "two_peers.hpp"

using namespace l2sec;
using namespace l2sec::ike;
using namespace l2sec::ike::testing;

namespace {

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + 1)) ++n;
  return n;
}

}  // namespace

TEST(IkeTshark, DissectsMainModeAndQuickModeWithAndWithoutNat) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("l2sec-ike-" + std::to_string(::getpid()) + ".pcap"))
                               .string();
  std::string err;
  auto writer = pcap::PcapWriter::open(path, pcap::LinkType::kRawIp, &err);
  ASSERT_TRUE(writer) << err;
  int frames = 0, natt_frames = 0;
  for (bool nat : {false, true}) {
    TwoPeers net(TwoPeers::responder_config(), TwoPeers::initiator_config(), nat);
    net.tap = [&](Endpoint src, Endpoint dst, ByteView msg) {
      Bytes udp_payload;
      if (src.port == golden::kPortNatT || dst.port == golden::kPortNatT ||
          (nat && src.port == kNatPort4500) || (nat && dst.port == kNatPort4500)) {
        udp_payload = {0, 0, 0, 0};  // the non-ESP marker (RFC 3948 2.2)
        ++natt_frames;
      }
      udp_payload.insert(udp_payload.end(), msg.begin(), msg.end());
      writer->write(golden::build_udp_packet(src.addr, dst.addr, src.port, dst.port, udp_payload));
      ++frames;
    };
    net.run(Clock::now());
    ASSERT_EQ(net.initiator->state(), InitiatorState::kDone) << net.initiator->error();
    net.initiator->send_dpd();
    net.pump(Clock::now());
  }
  writer->flush();
  writer.reset();
  EXPECT_EQ(frames, 2 * 11);
  EXPECT_GE(natt_frames, 7);
  auto run = pcap::run_tshark(path, {"-V", "-d", "udp.port==61001,isakmp"});
  if (!std::getenv("L2SEC_KEEP_PCAP")) std::filesystem::remove(path);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(count(run.output, "Internet Security Association and Key Management Protocol"),
            static_cast<std::size_t>(frames))
      << run.output;
  EXPECT_EQ(count(run.output, "Non-ESP Marker"), static_cast<std::size_t>(natt_frames))
      << run.output;
  EXPECT_EQ(count(run.output, "Exchange type: Identity Protection (Main Mode) (2)"), 12u);
  EXPECT_EQ(count(run.output, "Exchange type: Quick Mode (32)"), 6u);
  EXPECT_EQ(count(run.output, "Exchange type: Informational (5)"), 4u);
  EXPECT_EQ(count(run.output, "Vendor ID: RFC 3947 Negotiation of NAT-Traversal in the IKE"), 4u);
  EXPECT_EQ(run.output.find("Malformed"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("[Severity level: Error]"), std::string::npos) << run.output;
}
