// The golden ESP model: round trips over every suite and size, wire format, and every drop reason.
#include "l2sec/golden/esp.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "l2sec/traffic/l2tp_samples.hpp"

using namespace l2sec;
using golden::EspEngine;
using golden::SaConfig;
using lm::DropReason;

namespace {

constexpr std::uint32_t kClient = 0xc612000f;  // 198.18.0.15
constexpr std::uint32_t kNat = 0xc6120102;     // 198.18.1.2
constexpr std::uint32_t kRouter = 0xc6120201;  // 198.18.2.1

struct Suite {
  lm::Cipher cipher;
  lm::Integ integ;
  lm::IcvLen icv;
};

const Suite kSuites[] = {
    {lm::Cipher::kAesCbc128, lm::Integ::kHmacSha1, lm::IcvLen::kIcv96},
    {lm::Cipher::kAesCbc192, lm::Integ::kHmacSha1, lm::IcvLen::kIcv96},
    {lm::Cipher::kAesCbc256, lm::Integ::kHmacSha1, lm::IcvLen::kIcv96},
    {lm::Cipher::kAesCbc128, lm::Integ::kHmacSha256, lm::IcvLen::kIcv128},
    {lm::Cipher::kAesCbc256, lm::Integ::kHmacSha256, lm::IcvLen::kIcv128},
    {lm::Cipher::kAesCbc256, lm::Integ::kHmacSha256, lm::IcvLen::kIcv96},
    {lm::Cipher::kDes3Cbc, lm::Integ::kHmacSha1, lm::IcvLen::kIcv96},
    {lm::Cipher::kDes3Cbc, lm::Integ::kHmacSha256, lm::IcvLen::kIcv128},
};

Bytes pattern(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

// One SA as both ends hold it: sender (outbound) in tx, receiver (inbound) in rx.
struct SaPair {
  EspEngine tx;
  EspEngine rx;
  golden::SaHandle out = golden::kNoSa;
  golden::SaHandle in = golden::kNoSa;
  SaConfig cfg;
};

SaConfig make_cfg(const Suite& s, lm::Encap encap, std::uint32_t spi, std::uint32_t seed) {
  SaConfig c;
  c.spi = spi;
  c.cipher = s.cipher;
  c.integ = s.integ;
  c.icv_len = s.icv;
  c.encap = encap;
  c.enc_key = pattern(golden::cipher_key_len(s.cipher), seed);
  c.auth_key = pattern(golden::integ_key_len(s.integ), seed + 1);
  c.local_addr = kClient;
  c.peer_addr = kRouter;
  return c;
}

void install(SaPair& p, const SaConfig& cfg) {
  p.cfg = cfg;
  SaConfig out = cfg;
  out.direction = lm::Direction::kOutbound;
  SaConfig in = cfg;
  in.direction = lm::Direction::kInbound;
  in.local_addr = cfg.peer_addr;
  in.peer_addr = cfg.local_addr;
  std::string err;
  auto o = p.tx.add_sa(out, &err);
  ASSERT_TRUE(o) << err;
  auto i = p.rx.add_sa(in, &err);
  ASSERT_TRUE(i) << err;
  p.out = *o;
  p.in = *i;
}

Bytes l2tp_packet(std::size_t payload_len, std::uint32_t seed) {
  return golden::build_udp_packet(kClient, kRouter, 1701, 1701, pattern(payload_len, seed),
                                  static_cast<std::uint16_t>(seed));
}

// Seals a hand-made plaintext (payload and trailer already in it) under an SA's keys, so tests
// can make packets the encoder never would (bad padding, odd next headers).
Bytes seal(const SaConfig& cfg, std::uint32_t seq, ByteView plaintext, bool udp) {
  auto cipher = golden::CbcCipher::create(cfg.cipher, cfg.enc_key);
  auto hmac = golden::Hmac::create(cfg.integ, cfg.auth_key);
  const std::size_t iv_len = cipher->block_len();
  const std::size_t icv = golden::icv_bytes(cfg.icv_len);
  Bytes esp(golden::kEspHeader + iv_len + plaintext.size() + icv);
  store_be32(esp.data(), cfg.spi);
  store_be32(esp.data() + 4, seq);
  for (std::size_t i = 0; i < iv_len; ++i) esp[8 + i] = static_cast<std::uint8_t>(0xa0 + i);
  EXPECT_TRUE(cipher->encrypt(ByteView(esp.data() + 8, iv_len), plaintext,
                              MutableByteView(esp.data() + 8 + iv_len, plaintext.size())));
  std::uint8_t mac[32];
  hmac->compute({ByteView(esp.data(), esp.size() - icv)}, mac);
  std::memcpy(esp.data() + esp.size() - icv, mac, icv);
  if (udp) {
    Bytes pkt = golden::build_udp_packet(cfg.local_addr, cfg.peer_addr, 4500, 4500, esp);
    store_be16(pkt.data() + 26, 0);
    return pkt;
  }
  Bytes pkt(20 + esp.size());
  golden::Ipv4Header h;
  h.total_length = static_cast<std::uint16_t>(pkt.size());
  h.protocol = golden::kIpProtoEsp;
  h.src = cfg.local_addr;
  h.dst = cfg.peer_addr;
  golden::write_ipv4(h, pkt);
  std::memcpy(pkt.data() + 20, esp.data(), esp.size());
  return pkt;
}

}  // namespace

// Every suite, both encapsulations, payload sizes 0..1500 (random and the block edges).
TEST(Esp, RoundTripAllSuitesAllSizes) {
  std::mt19937 rng(2661);
  std::uint32_t spi = 0x1000;
  for (const Suite& s : kSuites) {
    for (lm::Encap encap : {lm::Encap::kNone, lm::Encap::kUdp}) {
      SaPair p;
      ++spi;
      install(p, make_cfg(s, encap, spi, spi));
      std::vector<std::size_t> sizes = {0,  1,  2,  5,  6,  7,        8,
                                        13, 14, 15, 16, 17, 1472 - 8, 1500 - 28};
      for (int i = 0; i < 120; ++i) sizes.push_back(rng() % (1500 - 28 + 1));
      std::uint32_t seq = 0;
      for (std::size_t n : sizes) {
        const Bytes in = l2tp_packet(n, static_cast<std::uint32_t>(n));
        Bytes wire, back;
        auto e = p.tx.encap(p.out, in, wire);
        ASSERT_TRUE(e.ok()) << lm::to_string(e.reason);
        EXPECT_EQ(e.seq, ++seq);
        // Wire format: outer header, optional UDP 4500 with zero checksum, SPI, sequence number.
        const std::size_t off = encap == lm::Encap::kUdp ? 28 : 20;
        EXPECT_EQ(wire[9], encap == lm::Encap::kUdp ? 17 : 50);
        EXPECT_EQ(load_be16(wire.data() + 2), wire.size());
        EXPECT_EQ(golden::inet_checksum(ByteView(wire).first(20)), 0);
        if (encap == lm::Encap::kUdp) {
          EXPECT_EQ(load_be16(wire.data() + 20), 4500);
          EXPECT_EQ(load_be16(wire.data() + 22), 4500);
          EXPECT_EQ(load_be16(wire.data() + 24), wire.size() - 20);
          EXPECT_EQ(load_be16(wire.data() + 26), 0);
        }
        EXPECT_EQ(load_be32(wire.data() + off), p.cfg.spi);
        EXPECT_EQ(load_be32(wire.data() + off + 4), seq);
        const std::size_t block = golden::cipher_block_len(s.cipher);
        const std::size_t ct = wire.size() - off - 8 - block - golden::icv_bytes(s.icv);
        EXPECT_EQ(ct % block, 0u);
        EXPECT_LT(ct - (in.size() - 20 + 2), block) << "padding is minimal";

        auto d = p.rx.decap(wire, back);
        ASSERT_TRUE(d.ok()) << lm::to_string(d.reason) << " size " << n;
        EXPECT_EQ(d.sa, p.in);
        EXPECT_EQ(d.seq, seq);
        EXPECT_EQ(d.next_header, 17);
        EXPECT_EQ(d.pkt_class,
                  encap == lm::Encap::kUdp ? lm::PktClass::kEspUdp : lm::PktClass::kEsp);
        EXPECT_EQ(back, in);
      }
      const auto& st = p.rx.find(p.in)->stats();
      EXPECT_EQ(st.packets, sizes.size());
      EXPECT_EQ(st.icv_fail + st.replay_drop + st.pad_fail + st.other_drop, 0u);
    }
  }
}

TEST(Esp, ConfigurationErrorsAreNamed) {
  SaConfig c = make_cfg(kSuites[0], lm::Encap::kNone, 0x1234, 1);
  std::string err;
  EspEngine e;
  SaConfig bad = c;
  bad.enc_key.pop_back();
  EXPECT_FALSE(e.add_sa(bad, &err));
  EXPECT_NE(err.find("16-byte key"), std::string::npos) << err;
  bad = c;
  bad.spi = 255;
  EXPECT_FALSE(e.add_sa(bad, &err));
  EXPECT_NE(err.find("reserved"), std::string::npos) << err;
  bad = c;
  bad.icv_len = lm::IcvLen::kIcv128;  // SHA-1 has no 128-bit ICV
  EXPECT_FALSE(e.add_sa(bad, &err));
  bad = c;
  bad.replay_window = 8;
  EXPECT_FALSE(e.add_sa(bad, &err));
  bad = c;
  bad.iv_mode = golden::IvMode::kCounter;
  EXPECT_FALSE(e.add_sa(bad, &err));
  EXPECT_TRUE(e.add_sa(c, &err));
  EXPECT_FALSE(e.add_sa(c, &err)) << "same inbound SPI and address twice";
  EXPECT_NE(err.find("already exists"), std::string::npos);
  EXPECT_EQ(e.sa_count(), 1u);
}

class EspErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    install(plain_, make_cfg(kSuites[0], lm::Encap::kNone, 0x2001, 11));
    install(udp_, make_cfg(kSuites[3], lm::Encap::kUdp, 0x2002, 12));
  }
  Bytes encap(SaPair& p, std::size_t n = 40) {
    Bytes wire;
    EXPECT_TRUE(p.tx.encap(p.out, l2tp_packet(n, 5), wire).ok());
    return wire;
  }
  DropReason decap(SaPair& p, ByteView wire) {
    Bytes out = {0xde, 0xad};
    auto r = p.rx.decap(wire, out);
    if (!r.ok()) {
      EXPECT_EQ(out, (Bytes{0xde, 0xad})) << "a drop leaves the output alone";
    }
    return r.reason;
  }
  SaPair plain_;
  SaPair udp_;
};

TEST_F(EspErrors, UnknownSpi) {
  Bytes w = encap(plain_);
  w[20 + 3] ^= 0x40;
  EXPECT_EQ(decap(plain_, w), DropReason::kUnknownSpi);
  EXPECT_EQ(plain_.rx.drops(DropReason::kUnknownSpi), 1u);
}

TEST_F(EspErrors, UnknownDestinationIsUnknownSpi) {
  Bytes w = encap(plain_);
  store_be32(w.data() + 16, 0xc6120299);
  golden::refresh_ipv4_checksum(w);
  EXPECT_EQ(decap(plain_, w), DropReason::kUnknownSpi);
}

TEST_F(EspErrors, BadIcvAnywhereInTheAuthenticatedPart) {
  const Bytes w = encap(udp_, 100);
  for (std::size_t off = 28 + 4; off < w.size(); off += 7) {
    Bytes bad = w;
    bad[off] ^= 0x01;
    const DropReason r = decap(udp_, bad);
    EXPECT_TRUE(r == DropReason::kBadIcv || r == DropReason::kReplay) << off;
  }
  EXPECT_GT(udp_.rx.find(udp_.in)->stats().icv_fail, 10u);
  // A forged packet does not move the replay window: the genuine one still passes.
  EXPECT_EQ(decap(udp_, w), DropReason::kNone);
}

TEST_F(EspErrors, Replay) {
  const Bytes w1 = encap(plain_);
  const Bytes w2 = encap(plain_);
  EXPECT_EQ(decap(plain_, w2), DropReason::kNone);
  EXPECT_EQ(decap(plain_, w1), DropReason::kNone) << "reordered within the window";
  EXPECT_EQ(decap(plain_, w1), DropReason::kReplay);
  EXPECT_EQ(decap(plain_, w2), DropReason::kReplay);
  EXPECT_EQ(plain_.rx.find(plain_.in)->stats().replay_drop, 2u);
}

TEST_F(EspErrors, LeftOfWindowIsReplay) {
  const Bytes old = encap(plain_);
  for (int i = 0; i < 64; ++i) encap(plain_);
  const Bytes last = encap(plain_);
  EXPECT_EQ(decap(plain_, last), DropReason::kNone);
  EXPECT_EQ(decap(plain_, old), DropReason::kReplay);
}

TEST_F(EspErrors, WindowOf1024AcceptsDeepReordering) {
  SaPair p;
  SaConfig c = make_cfg(kSuites[1], lm::Encap::kNone, 0x3003, 33);
  c.replay_window = 1024;
  install(p, c);
  std::vector<Bytes> pkts;
  for (int i = 0; i < 1024; ++i) pkts.push_back(encap(p, 8));
  Bytes out;
  for (auto it = pkts.rbegin(); it != pkts.rend(); ++it) {
    ASSERT_TRUE(p.rx.decap(*it, out).ok());
  }
}

TEST_F(EspErrors, BadPadding) {
  // Valid ICV, but pad bytes 1,2,9 instead of 1,2,3.
  Bytes plain(32, 0x11);  // 27 payload bytes, pad at 27..29, pad length at 30, next header at 31
  plain[27] = 1;
  plain[28] = 2;
  plain[29] = 9;
  plain[30] = 3;
  plain[31] = 17;
  SaConfig c = plain_.cfg;
  EXPECT_EQ(decap(plain_, seal(c, 1, plain, false)), DropReason::kBadPad);
  // Pad length longer than the plaintext.
  plain[30] = 200;
  EXPECT_EQ(decap(plain_, seal(c, 2, plain, false)), DropReason::kBadPad);
  EXPECT_EQ(plain_.rx.find(plain_.in)->stats().pad_fail, 2u);
  // The same packet with correct padding passes.
  plain[29] = 3;
  plain[30] = 3;
  EXPECT_EQ(decap(plain_, seal(c, 3, plain, false)), DropReason::kNone);
}

TEST_F(EspErrors, NextHeaderRestrictedAndDummyPackets) {
  SaPair p;
  SaConfig c = make_cfg(kSuites[0], lm::Encap::kNone, 0x3004, 44);
  c.only_next_header = golden::kIpProtoUdp;
  install(p, c);
  Bytes plain(16, 0);
  plain[14] = 0;
  plain[15] = 1;  // ICMP
  EXPECT_EQ(decap(p, seal(c, 1, plain, false)), DropReason::kBadNextHeader);
  plain[15] = golden::kNextHeaderNone;
  EXPECT_EQ(decap(p, seal(c, 2, plain, false)), DropReason::kBadNextHeader);
  plain[15] = 17;
  EXPECT_EQ(decap(p, seal(c, 3, plain, false)), DropReason::kNone);
}

TEST_F(EspErrors, Truncated) {
  const Bytes w = encap(plain_);
  // Cut inside the ESP: shorter than header + IV + one block + ICV.
  for (std::size_t keep : {20u, 24u, 28u, 40u, 56u}) {
    Bytes t(w.begin(), w.begin() + static_cast<long>(keep));
    store_be16(t.data() + 2, static_cast<std::uint16_t>(keep));
    golden::refresh_ipv4_checksum(t);
    EXPECT_EQ(decap(plain_, t), DropReason::kTruncated) << keep;
  }
  // The buffer shorter than the IP total length.
  EXPECT_EQ(decap(plain_, ByteView(w).first(w.size() - 1)), DropReason::kTruncated);
  EXPECT_EQ(decap(plain_, ByteView(w).first(10)), DropReason::kTruncated);
}

TEST_F(EspErrors, BadLength) {
  Bytes w = encap(plain_, 100);
  // Remove one byte of ciphertext: no longer a block multiple.
  w.erase(w.begin() + 40);
  store_be16(w.data() + 2, static_cast<std::uint16_t>(w.size()));
  golden::refresh_ipv4_checksum(w);
  EXPECT_EQ(decap(plain_, w), DropReason::kBadLength);
  // UDP length beyond the datagram.
  Bytes u = encap(udp_);
  store_be16(u.data() + 24, static_cast<std::uint16_t>(u.size()));
  EXPECT_EQ(decap(udp_, u), DropReason::kBadLength);
}

TEST_F(EspErrors, NotEspAndKeepalive) {
  Bytes out;
  // NAT keepalive: UDP 4500 carrying one 0xFF byte.
  const Bytes ka = golden::build_udp_packet(kNat, kRouter, 4500, 4500, Bytes{0xff});
  auto r = udp_.rx.decap(ka, out);
  EXPECT_EQ(r.reason, DropReason::kNatKeepalive);
  EXPECT_EQ(r.pkt_class, lm::PktClass::kNatKeepalive);
  // IKE behind the non-ESP marker.
  Bytes ike(4 + 28, 0);
  ike[4] = 0x12;
  r = udp_.rx.decap(golden::build_udp_packet(kNat, kRouter, 4500, 4500, ike), out);
  EXPECT_EQ(r.reason, DropReason::kNotEsp);
  EXPECT_EQ(r.pkt_class, lm::PktClass::kIkeNatt);
  // Clear L2TP and other protocols.
  EXPECT_EQ(decap(udp_, l2tp_packet(20, 1)), DropReason::kNotEsp);
  Bytes tcp = l2tp_packet(20, 1);
  tcp[9] = golden::kIpProtoTcp;
  golden::refresh_ipv4_checksum(tcp);
  EXPECT_EQ(decap(udp_, tcp), DropReason::kNotEsp);
  EXPECT_EQ(udp_.rx.drops(DropReason::kNatKeepalive), 1u);
}

TEST_F(EspErrors, EncapsulationMustMatchTheSa) {
  // The UDP SA's packet with the UDP header stripped arrives as plain ESP.
  Bytes w = encap(udp_);
  Bytes esp(w.begin() + 28, w.end());
  Bytes pkt(20 + esp.size());
  golden::Ipv4Header h;
  h.total_length = static_cast<std::uint16_t>(pkt.size());
  h.protocol = golden::kIpProtoEsp;
  h.src = kClient;
  h.dst = kRouter;
  golden::write_ipv4(h, pkt);
  std::copy(esp.begin(), esp.end(), pkt.begin() + 20);
  EXPECT_EQ(decap(udp_, pkt), DropReason::kSaMismatch);
}

TEST_F(EspErrors, FragmentsAndBadHeaders) {
  Bytes w = encap(plain_);
  Bytes frag = w;
  store_be16(frag.data() + 6, 0x2000);  // MF
  golden::refresh_ipv4_checksum(frag);
  EXPECT_EQ(decap(plain_, frag), DropReason::kFragment);
  Bytes csum = w;
  csum[10] ^= 0xff;
  EXPECT_EQ(decap(plain_, csum), DropReason::kBadIpCsum);
}

TEST_F(EspErrors, SequenceNumberOverflow) {
  SaPair p;
  SaConfig c = make_cfg(kSuites[0], lm::Encap::kNone, 0x3005, 55);
  c.last_seq = 0xfffffffe;
  install(p, c);
  Bytes wire;
  auto e = p.tx.encap(p.out, l2tp_packet(10, 1), wire);
  EXPECT_TRUE(e.ok());
  EXPECT_EQ(e.seq, 0xffffffffu);
  e = p.tx.encap(p.out, l2tp_packet(10, 1), wire);
  EXPECT_EQ(e.reason, DropReason::kSeqOverflow);
  EXPECT_EQ(p.tx.drops(DropReason::kSeqOverflow), 1u);
}

TEST_F(EspErrors, EncapRefusesForeignAddressesAndInboundSas) {
  Bytes wire;
  const Bytes other = golden::build_udp_packet(kNat, kRouter, 1701, 1701, Bytes(4));
  EXPECT_EQ(plain_.tx.encap(plain_.out, other, wire).reason, DropReason::kSaMismatch);
  EXPECT_EQ(plain_.rx.encap(plain_.in, l2tp_packet(4, 1), wire).reason, DropReason::kSaMismatch);
  EXPECT_EQ(plain_.tx.encap(999, l2tp_packet(4, 1), wire).reason, DropReason::kUnknownSpi);
}

// Random corruptions of valid packets: every one ends in a drop reason or a clean decap.
TEST_F(EspErrors, MutatedPacketsNeverCrash) {
  std::mt19937 rng(4303);
  std::vector<Bytes> seeds;
  for (int i = 0; i < 8; ++i) seeds.push_back(encap(i % 2 ? udp_ : plain_, rng() % 300));
  Bytes out;
  for (int i = 0; i < 20000; ++i) {
    Bytes m = seeds[rng() % seeds.size()];
    switch (rng() % 3) {
      case 0:
        m[rng() % m.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        break;
      case 1:
        m.resize(rng() % (m.size() + 1));
        break;
      default:
        m.insert(m.begin() + static_cast<long>(rng() % m.size()), static_cast<std::uint8_t>(rng()));
        break;
    }
    (void)udp_.rx.decap(m, out);
    (void)plain_.rx.decap(m, out);
  }
  SUCCEED();
}

// RFC 3948 3.1.2: after a NAT the inner UDP checksum is fixed from NAT-OA, or zeroed in NAT
// passthrough mode.
TEST(EspNat, TransportChecksumFixupFromNatOa) {
  for (auto mode : {golden::NatChecksum::kFixup, golden::NatChecksum::kPassthrough}) {
    SaConfig c = make_cfg(kSuites[0], lm::Encap::kUdp, 0x4001, 66);
    SaPair p;
    SaConfig out = c;
    out.direction = lm::Direction::kOutbound;
    SaConfig in = c;
    in.local_addr = kRouter;
    in.peer_addr = kNat;
    in.natoa_peer = kClient;
    in.nat_checksum = mode;
    ASSERT_TRUE(p.tx.add_sa(out, nullptr));
    ASSERT_TRUE(p.rx.add_sa(in, nullptr));
    const Bytes l2tp = l2tp_packet(77, 9);
    Bytes wire, back;
    ASSERT_TRUE(p.tx.encap(1, l2tp, wire).ok());
    // The NAT rewrites the outer source.
    store_be32(wire.data() + 12, kNat);
    golden::refresh_ipv4_checksum(wire);
    store_be16(wire.data() + 20, 61001);
    auto r = p.rx.decap(wire, back);
    ASSERT_TRUE(r.ok()) << lm::to_string(r.reason);
    EXPECT_EQ(r.src_addr, kNat);
    EXPECT_EQ(r.src_port, 61001);
    EXPECT_EQ(load_be32(back.data() + 12), kNat);
    const ByteView seg = ByteView(back).subspan(20);
    if (mode == golden::NatChecksum::kPassthrough) {
      EXPECT_EQ(load_be16(seg.data() + 6), 0);
    } else {
      EXPECT_NE(load_be16(seg.data() + 6), 0);
      EXPECT_TRUE(golden::udp_checksum_ok(kNat, kRouter, seg));
      EXPECT_FALSE(golden::udp_checksum_ok(kClient, kRouter, seg));
    }
    EXPECT_TRUE(std::equal(back.begin() + 28, back.end(), l2tp.begin() + 28));
  }
}

// The counter IV is AES-128(iv_key, SPI | 0 | 0 | SEQ): deterministic, so the RTL can be compared
// byte for byte; 3DES takes the first 8 bytes.
TEST(EspIv, CounterModeIsDeterministic) {
  for (const Suite& s : {kSuites[0], kSuites[6]}) {
    SaConfig c = make_cfg(s, lm::Encap::kNone, 0x5001, 77);
    c.direction = lm::Direction::kOutbound;
    c.iv_mode = golden::IvMode::kCounter;
    c.iv_key = pattern(16, 78);
    EspEngine a, b;
    ASSERT_TRUE(a.add_sa(c, nullptr));
    ASSERT_TRUE(b.add_sa(c, nullptr));
    Bytes wa, wb;
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(a.encap(1, l2tp_packet(50, 1), wa).ok());
      ASSERT_TRUE(b.encap(1, l2tp_packet(50, 1), wb).ok());
      EXPECT_EQ(wa, wb);
    }
    auto aes = golden::AesBlock::create(c.iv_key);
    std::array<std::uint8_t, 16> blk{};
    store_be32(blk.data(), c.spi);
    store_be32(blk.data() + 12, 3);
    const auto iv = aes->encrypt(blk);
    EXPECT_TRUE(std::equal(wa.begin() + 28,
                           wa.begin() + 28 + static_cast<long>(golden::cipher_block_len(s.cipher)),
                           iv.begin()));
  }
}

TEST(EspIv, RandomModeDiffersPerPacket) {
  SaConfig c = make_cfg(kSuites[0], lm::Encap::kNone, 0x5002, 79);
  c.direction = lm::Direction::kOutbound;
  EspEngine a;
  ASSERT_TRUE(a.add_sa(c, nullptr));
  Bytes w1, w2;
  a.encap(1, l2tp_packet(50, 1), w1);
  a.encap(1, l2tp_packet(50, 1), w2);
  EXPECT_FALSE(std::equal(w1.begin() + 28, w1.begin() + 44, w2.begin() + 28));
}

TEST(Esp, RemoveSaForgetsIt) {
  SaPair p;
  install(p, make_cfg(kSuites[0], lm::Encap::kNone, 0x6001, 88));
  Bytes w, out;
  ASSERT_TRUE(p.tx.encap(p.out, l2tp_packet(5, 1), w).ok());
  EXPECT_TRUE(p.rx.remove_sa(p.in));
  EXPECT_FALSE(p.rx.remove_sa(p.in));
  EXPECT_EQ(p.rx.decap(w, out).reason, DropReason::kUnknownSpi);
}
