// The NAT-T parser's reference classifier: one frame per class and per drop reason.
#include "l2sec/golden/classify.hpp"

#include <gtest/gtest.h>

#include "l2sec/golden/ipv4.hpp"
#include "l2sec/pcap/pcap_file.hpp"

using namespace l2sec;
using golden::classify;
using lm::DropReason;
using lm::PktClass;

namespace {
constexpr std::uint32_t kPeer = 0xc6120102;
constexpr std::uint32_t kUs = 0xc6120201;

Bytes udp_frame(std::uint16_t dport, const Bytes& body) {
  return pcap::ethernet_wrap(golden::build_udp_packet(kPeer, kUs, 40000, dport, body));
}

void refresh_ip_csum(Bytes& f) { golden::refresh_ipv4_checksum(MutableByteView(f).subspan(14)); }
}  // namespace

TEST(Classify, EachClass) {
  auto c = classify(udp_frame(500, Bytes(28, 1)), false);
  EXPECT_EQ(c.pkt_class, PktClass::kIke);
  EXPECT_EQ(c.payload_offset, 42);
  EXPECT_EQ(c.payload_length, 28);
  EXPECT_EQ(c.src_port, 40000);
  EXPECT_EQ(c.src_addr, kPeer);

  Bytes ike(32, 0);
  ike[4] = 0x11;
  c = classify(udp_frame(4500, ike), false);
  EXPECT_EQ(c.pkt_class, PktClass::kIkeNatt);
  EXPECT_EQ(c.payload_offset, 46) << "after the non-ESP marker";
  EXPECT_EQ(c.payload_length, 28);

  c = classify(udp_frame(4500, Bytes{0xff}), false);
  EXPECT_EQ(c.pkt_class, PktClass::kNatKeepalive);
  EXPECT_EQ(c.reason, DropReason::kNatKeepalive);

  c = classify(udp_frame(4500, Bytes(40, 0x33)), false);
  EXPECT_EQ(c.pkt_class, PktClass::kEspUdp);
  EXPECT_EQ(c.payload_offset, 42);
  EXPECT_EQ(c.reason, DropReason::kNone);

  c = classify(udp_frame(1701, Bytes(12, 2)), false);
  EXPECT_EQ(c.pkt_class, PktClass::kL2tpClear);

  c = classify(udp_frame(53, Bytes(12, 2)), false);
  EXPECT_EQ(c.pkt_class, PktClass::kOther);
  EXPECT_EQ(c.payload_length, 0);

  Bytes esp = udp_frame(4500, Bytes(40, 0x33));
  esp[14 + 9] = golden::kIpProtoEsp;
  refresh_ip_csum(esp);
  c = classify(esp, false);
  EXPECT_EQ(c.pkt_class, PktClass::kEsp);
  EXPECT_EQ(c.payload_offset, 34);
  EXPECT_EQ(c.payload_length, 48);

  Bytes arp(60, 0);
  arp[12] = 0x08;
  arp[13] = 0x06;
  EXPECT_EQ(classify(arp, false).pkt_class, PktClass::kOther);
}

TEST(Classify, FragmentsAndOptionsGoToTheHost) {
  Bytes f = udp_frame(1701, Bytes(12, 2));
  store_be16(f.data() + 20, 0x2000);
  refresh_ip_csum(f);
  EXPECT_EQ(classify(f, false).pkt_class, PktClass::kFragment);
  store_be16(f.data() + 20, 0x0010);  // offset, last fragment
  refresh_ip_csum(f);
  EXPECT_EQ(classify(f, false).pkt_class, PktClass::kFragment);
}

TEST(Classify, Malformed) {
  EXPECT_EQ(classify(Bytes(13, 0), false).reason, DropReason::kTruncated);
  Bytes f = udp_frame(1701, Bytes(12, 2));
  Bytes bad = f;
  bad[14] = 0x46;  // IHL 6: the first 4 UDP bytes read as an option word
  refresh_ip_csum(bad);
  EXPECT_EQ(classify(bad, false).pkt_class, PktClass::kOther) << "options: slow path";
  bad = f;
  bad[14] = 0x44;
  EXPECT_EQ(classify(bad, false).reason, DropReason::kBadIpHeader);
  bad = f;
  bad[14 + 8] ^= 1;
  EXPECT_EQ(classify(bad, false).reason, DropReason::kBadIpCsum);
  EXPECT_EQ(classify(ByteView(f).first(f.size() - 1), false).reason, DropReason::kTruncated);
  bad = f;
  store_be16(bad.data() + 14 + 20 + 4, 200);  // UDP length beyond the datagram
  EXPECT_EQ(classify(bad, false).reason, DropReason::kBadLength);
  bad = f;
  bad.back() ^= 0x80;  // payload changed, UDP checksum not
  EXPECT_EQ(classify(bad, false).reason, DropReason::kBadUdpCsum);
  EXPECT_EQ(classify(bad, true).pkt_class, PktClass::kL2tpClear) << "NAT passthrough skips it";
  Bytes short_esp = udp_frame(4500, Bytes(5, 0x33));
  EXPECT_EQ(classify(short_esp, false).reason, DropReason::kTruncated);
}

TEST(Classify, EthernetPaddingIgnored) {
  Bytes f = udp_frame(4500, Bytes{0xff});  // 43 bytes: an Ethernet MAC pads it to 60
  f.resize(60, 0);
  auto c = classify(f, false);
  EXPECT_EQ(c.pkt_class, PktClass::kNatKeepalive);
  EXPECT_EQ(c.payload_length, 1);
}
