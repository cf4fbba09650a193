#include "l2sec/golden/bytes.hpp"

#include <gtest/gtest.h>

#include <random>

#include "l2sec/golden/ipv4.hpp"

using namespace l2sec;

TEST(Bytes, HexRoundTrip) {
  const Bytes b = {0x00, 0x01, 0xab, 0xff};
  EXPECT_EQ(to_hex(b), "0001abff");
  EXPECT_EQ(from_hex("00 01:AB ff"), b);
  EXPECT_FALSE(from_hex("abc").has_value());
  EXPECT_FALSE(from_hex("zz").has_value());
}

TEST(Bytes, Ipv4Strings) {
  EXPECT_EQ(ipv4_from_string("198.18.0.15"), 0xc612000fu);
  EXPECT_EQ(ipv4_to_string(0xc612000f), "198.18.0.15");
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "1.2.3.4 ", "a.b.c.d"}) {
    EXPECT_FALSE(ipv4_from_string(bad).has_value()) << bad;
  }
}

TEST(Checksum, Rfc1071Example) {
  // RFC 1071 section 3: the sum of 0001 f203 f4f5 f6f7 is ddf2.
  const Bytes data = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(golden::ones_sum(data), 0xddf2);
  EXPECT_EQ(golden::inet_checksum(data), 0x220d);
}

TEST(Checksum, IncrementalUpdateMatchesRecomputation) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    Bytes payload(rng() % 64);
    for (auto& b : payload) b = static_cast<std::uint8_t>(rng());
    const std::uint32_t src = rng(), dst = rng(), new_src = rng(), new_dst = rng();
    Bytes pkt = golden::build_udp_packet(src, dst, 1701, 1701, payload);
    const ByteView seg = ByteView(pkt).subspan(20);
    std::uint16_t c = load_be16(seg.data() + 6);
    c = golden::checksum_adjust32(c, src, new_src);
    c = golden::checksum_adjust32(c, dst, new_dst);
    store_be16(pkt.data() + 26, c);
    EXPECT_TRUE(golden::udp_checksum_ok(new_src, new_dst, ByteView(pkt).subspan(20)));
  }
}

TEST(Ipv4, ParseRejectsEachMalformation) {
  const Bytes good = golden::build_udp_packet(0xc6120001, 0xc6120002, 1, 2, Bytes(10, 0x55));
  lm::DropReason r{};
  ASSERT_TRUE(golden::parse_ipv4(good, &r).has_value());

  EXPECT_FALSE(golden::parse_ipv4(ByteView(good).first(19), &r));
  EXPECT_EQ(r, lm::DropReason::kTruncated);

  Bytes v6 = good;
  v6[0] = 0x65;
  EXPECT_FALSE(golden::parse_ipv4(v6, &r));
  EXPECT_EQ(r, lm::DropReason::kBadIpHeader);

  Bytes ihl = good;
  ihl[0] = 0x44;
  EXPECT_FALSE(golden::parse_ipv4(ihl, &r));
  EXPECT_EQ(r, lm::DropReason::kBadIpHeader);

  Bytes csum = good;
  csum[8] ^= 1;  // TTL changed, checksum not
  EXPECT_FALSE(golden::parse_ipv4(csum, &r));
  EXPECT_EQ(r, lm::DropReason::kBadIpCsum);

  EXPECT_FALSE(golden::parse_ipv4(ByteView(good).first(good.size() - 1), &r));
  EXPECT_EQ(r, lm::DropReason::kTruncated);
}
