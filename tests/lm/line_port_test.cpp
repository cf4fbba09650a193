// The line card's ports: Ethernet framing over a FramePort, and a TAP device in a network
// namespace the test makes (skipped when /dev/net/tun is missing or namespaces are not allowed).
#include "l2sec/sim/lm/line_port.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "l2sec/golden/classify.hpp"
#include "l2sec/golden/ipv4.hpp"

namespace l2sec::lmsim {
namespace {

constexpr std::uint32_t kPeer = 0xc6120101;  // 198.18.1.1
constexpr std::uint32_t kUs = 0xc6120002;    // 198.18.0.2

TEST(EthernetPort, FramesPacketsInAndUnframesThemOut) {
  auto [ours, wire] = ipsec::make_memory_link();
  EthernetPort port(std::move(ours));
  EXPECT_FALSE(port.receive_frame().has_value());
  const Bytes pkt = golden::build_udp_packet(kPeer, kUs, 40000, 4500, Bytes{0xff});
  wire->send(pkt);
  const auto frame = port.receive_frame();
  ASSERT_TRUE(frame);
  EXPECT_EQ(*frame, golden::ethernet_frame(pkt));
  EXPECT_EQ(load_be16(frame->data() + 12), golden::kEtherTypeIpv4);
  EXPECT_EQ(golden::classify(*frame, false).pkt_class, lm::PktClass::kNatKeepalive);

  // Out: the header goes, the Ethernet padding of a short frame too.
  const Bytes reply = golden::build_udp_packet(kUs, kPeer, 4500, 40000, Bytes{1, 2});
  Bytes padded = golden::ethernet_frame(reply);
  padded.resize(60, 0);
  ASSERT_TRUE(port.send_frame(padded));
  EXPECT_EQ(wire->receive(), reply);
  // ARP cannot travel over an IPv4 port: refused and counted.
  Bytes arp = padded;
  store_be16(arp.data() + 12, 0x0806);
  EXPECT_FALSE(port.send_frame(arp));
  EXPECT_FALSE(port.send_frame(Bytes(10, 0)));
  EXPECT_EQ(port.counters().tx, 1u);
  EXPECT_EQ(port.counters().tx_dropped, 2u);
  EXPECT_EQ(port.counters().rx, 1u);
  EXPECT_FALSE(wire->receive().has_value());
}

void set_up(int sock, const char* name, std::uint32_t addr) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  auto* sin = reinterpret_cast<sockaddr_in*>(&ifr.ifr_addr);
  sin->sin_family = AF_INET;
  sin->sin_addr.s_addr = htonl(addr);
  ASSERT_EQ(ioctl(sock, SIOCSIFADDR, &ifr), 0) << std::strerror(errno);
  sin->sin_addr.s_addr = htonl(0xffffff00);
  ASSERT_EQ(ioctl(sock, SIOCSIFNETMASK, &ifr), 0) << std::strerror(errno);
  ASSERT_EQ(ioctl(sock, SIOCGIFFLAGS, &ifr), 0);
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
  ASSERT_EQ(ioctl(sock, SIOCSIFFLAGS, &ifr), 0) << std::strerror(errno);
}

// In a fresh network namespace: the kernel at 198.18.5.1 on tap "lmtap0", the line card at
// 198.18.5.2 behind it. A frame the card writes reaches a kernel socket; a datagram the kernel
// sends to the card comes out of the TAP as a whole frame.
void tap_round_trip() {
  if (unshare(CLONE_NEWNET) != 0) {
    GTEST_SKIP() << "cannot make a network namespace (" << std::strerror(errno)
                 << "): TAP test skipped";
  }
  std::string error;
  auto tap = TapPort::open("lmtap0", &error);
  ASSERT_TRUE(tap) << error;
  const int ctl = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(ctl, 0);
  constexpr std::uint32_t kHost = 0xc6120501, kCard = 0xc6120502;
  set_up(ctl, "lmtap0", kHost);
  // A static neighbour entry for the card, so the kernel sends IPv4 at once (no ARP round).
  const std::uint8_t card_mac[6] = {0x02, 0x00, 0x5e, 0x12, 0x00, 0x02};
  arpreq arp{};
  auto* pa = reinterpret_cast<sockaddr_in*>(&arp.arp_pa);
  pa->sin_family = AF_INET;
  pa->sin_addr.s_addr = htonl(kCard);
  arp.arp_ha.sa_family = ARPHRD_ETHER;
  std::memcpy(arp.arp_ha.sa_data, card_mac, 6);
  arp.arp_flags = ATF_COM | ATF_PERM;
  std::strncpy(arp.arp_dev, "lmtap0", sizeof arp.arp_dev - 1);
  ASSERT_EQ(ioctl(ctl, SIOCSARP, &arp), 0) << std::strerror(errno);

  const int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  ASSERT_GE(s, 0);
  sockaddr_in me{};
  me.sin_family = AF_INET;
  me.sin_addr.s_addr = htonl(kHost);
  me.sin_port = htons(4500);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&me), sizeof me), 0) << std::strerror(errno);

  // Kernel -> TAP: a whole Ethernet frame with the IPv4/UDP datagram.
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(kCard);
  to.sin_port = htons(4500);
  const std::uint8_t msg[] = {0, 0, 0, 0, 0xaa, 0xbb};
  ASSERT_EQ(sendto(s, msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&to), sizeof to), 6);
  std::optional<Bytes> frame;
  for (int i = 0; i < 200; ++i) {  // skip IPv6 router solicitations and the like
    frame = tap->receive_frame();
    if (frame) {
      const auto ip = ipv4_of_frame(*frame);
      if (ip && (*ip)[9] == golden::kIpProtoUdp) break;
      frame.reset();
    }
    usleep(5000);
  }
  ASSERT_TRUE(frame) << "nothing came out of the TAP";
  EXPECT_EQ(0, std::memcmp(frame->data(), card_mac, 6));
  const auto c = golden::classify(*frame, false);
  EXPECT_EQ(c.pkt_class, lm::PktClass::kIkeNatt);
  EXPECT_EQ(c.src_addr, kHost);
  EXPECT_EQ(c.dst_addr, kCard);

  // TAP -> kernel: the card answers with a frame; the socket receives the datagram.
  const Bytes reply_ip =
      golden::build_udp_packet(kCard, kHost, 4500, 4500, Bytes{0, 0, 0, 0, 0x11, 0x22});
  Bytes reply = golden::ethernet_frame(reply_ip);
  std::memcpy(reply.data(), frame->data() + 6, 6);  // to the kernel's MAC
  std::memcpy(reply.data() + 6, card_mac, 6);
  ASSERT_TRUE(tap->send_frame(reply));
  std::uint8_t buf[64];
  ssize_t n = -1;
  for (int i = 0; i < 200 && n < 0; ++i) {
    n = recv(s, buf, sizeof buf, 0);
    if (n < 0) usleep(5000);
  }
  ASSERT_EQ(n, 6);
  EXPECT_EQ(buf[4], 0x11);
  EXPECT_EQ(tap->counters().tx, 1u);
  close(s);
  close(ctl);
}

TEST(TapPort, CarriesWholeFramesBothWaysInANamespace) {
  if (access("/dev/net/tun", R_OK | W_OK) != 0) {
    GTEST_SKIP() << "/dev/net/tun is missing or not accessible: TAP test skipped";
  }
  // The namespace belongs to this thread only; the test process stays where it was.
  std::thread t(tap_round_trip);
  t.join();
}

}  // namespace
}  // namespace l2sec::lmsim
