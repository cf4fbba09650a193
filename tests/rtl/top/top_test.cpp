// The line-module top (rtl/top/lm_top.v) through TopHarness, against the golden model: block
// discovery, SA install, random ESP traffic both ways under random back-pressure, exception
// classes, keepalive discard, decap drop counters, sequence overflow events and irq.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "l2sec/golden/classify.hpp"
#include "l2sec/golden/esp.hpp"
#include "l2sec/golden/ipv4.hpp"
#include "l2sec/sim/sa_entry.hpp"
#include "l2sec/sim/top_harness.hpp"
#include "lm_regs.hpp"

namespace l2sec::sim {
namespace {

constexpr std::uint32_t kLocalAddr = 0xC6120002;  // 198.18.0.2
constexpr std::array<std::uint8_t, 6> kLocalMac = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
constexpr std::array<std::uint8_t, 6> kGatewayMac = {0x02, 0x00, 0x5e, 0x10, 0x00, 0xfe};

std::uint64_t Seed() {
  const char* s = std::getenv("L2SEC_TEST_SEED");
  return s ? std::strtoull(s, nullptr, 0) : 20240611u;
}

Bytes RandomBytes(std::mt19937_64& rng, std::size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

// Inner UDP header (1701 -> 1701, checksum 0) and an L2TP-ish body: the transport payload.
Bytes L2tpPayload(std::mt19937_64& rng, std::size_t n) {
  Bytes p = RandomBytes(rng, n);
  if (n >= 8) {
    store_be16(&p[0], golden::kPortL2tp);
    store_be16(&p[2], golden::kPortL2tp);
    store_be16(&p[4], static_cast<std::uint16_t>(n));
    store_be16(&p[6], 0);
  }
  return p;
}

Bytes EthHeader(const std::array<std::uint8_t, 6>& dst, const std::array<std::uint8_t, 6>& src) {
  Bytes h(dst.begin(), dst.end());
  h.insert(h.end(), src.begin(), src.end());
  h.push_back(0x08);
  h.push_back(0x00);
  return h;
}

// One SA pair with a peer: the RTL's inbound and outbound entries, the golden engines on both ends.
struct Peer {
  golden::SaConfig in_cfg;   // ours, inbound (RTL slot in_index)
  golden::SaConfig out_cfg;  // ours, outbound (RTL slot out_index)
  std::uint16_t in_index = 0, out_index = 0;
  golden::SaHandle peer_out = 0;  // the peer's outbound SA (encapsulates toward us)
  golden::SaHandle our_in = 0;    // golden decap of what the peer sends
  golden::SaHandle our_out = 0;   // golden encap of what we send
  golden::SaHandle peer_in = 0;   // the peer's inbound SA (decapsulates what we send)
};

struct Suite {
  lm::Cipher cipher;
  lm::Integ integ;
  lm::IcvLen icv;
};
constexpr std::array<lm::Cipher, 3> kCiphers = {lm::Cipher::kAesCbc128, lm::Cipher::kAesCbc192,
                                                lm::Cipher::kAesCbc256};
constexpr std::array<std::pair<lm::Integ, lm::IcvLen>, 3> kIntegs = {
    std::pair{lm::Integ::kHmacSha1, lm::IcvLen::kIcv96},
    std::pair{lm::Integ::kHmacSha256, lm::IcvLen::kIcv128},
    std::pair{lm::Integ::kHmacSha256, lm::IcvLen::kIcv96}};

std::size_t KeyLen(lm::Cipher c) {
  return c == lm::Cipher::kAesCbc128 ? 16 : c == lm::Cipher::kAesCbc192 ? 24 : 32;
}

class World {
 public:
  explicit World(std::uint64_t seed) : rng(seed) {}

  // n peers with suites cycling through all 9 AES x HMAC combinations, both encapsulations.
  void MakePeers(TopHarness& h, unsigned n) {
    for (unsigned i = 0; i < n; ++i) {
      Peer p;
      const lm::Cipher cipher = kCiphers[i % 3];
      const auto [integ, icv] = kIntegs[(i / 3) % 3];
      const bool udp = (i / 9 + i) % 2 == 0;
      const std::uint32_t peer_addr = 0xC6130000u + 10 + i;  // 198.19.0.x
      const std::uint16_t peer_port = static_cast<std::uint16_t>(udp ? 40000 + i : 4500);
      golden::SaConfig base;
      base.cipher = cipher;
      base.integ = integ;
      base.icv_len = icv;
      base.encap = udp ? lm::Encap::kUdp : lm::Encap::kNone;
      base.iv_mode = golden::IvMode::kCounter;
      // Inbound SPI: low 12 bits name the slot (the SA table's direct mapping).
      p.in_index = static_cast<std::uint16_t>(0x100 + 2 * i);
      p.out_index = static_cast<std::uint16_t>(0x101 + 2 * i);
      golden::SaConfig in = base;
      in.spi = (static_cast<std::uint32_t>(rng() & 0xfffff) + 0x100u) << 12 | p.in_index;
      in.direction = lm::Direction::kInbound;
      in.enc_key = RandomBytes(rng, KeyLen(cipher));
      in.auth_key = RandomBytes(rng, integ == lm::Integ::kHmacSha1 ? 20 : 32);
      in.iv_key = RandomBytes(rng, 16);
      in.local_addr = kLocalAddr;
      in.peer_addr = peer_addr;
      in.local_port = 4500;
      in.peer_port = peer_port;
      golden::SaConfig out = in;
      out.spi = static_cast<std::uint32_t>(rng() | 0x1000u);
      out.direction = lm::Direction::kOutbound;
      out.enc_key = RandomBytes(rng, KeyLen(cipher));
      out.auth_key = RandomBytes(rng, integ == lm::Integ::kHmacSha1 ? 20 : 32);
      out.iv_key = RandomBytes(rng, 16);
      p.in_cfg = in;
      p.out_cfg = out;
      // The peer's mirror images.
      golden::SaConfig peer_out = in;
      peer_out.direction = lm::Direction::kOutbound;
      std::swap(peer_out.local_addr, peer_out.peer_addr);
      std::swap(peer_out.local_port, peer_out.peer_port);
      golden::SaConfig peer_in = out;
      peer_in.direction = lm::Direction::kInbound;
      std::swap(peer_in.local_addr, peer_in.peer_addr);
      std::swap(peer_in.local_port, peer_in.peer_port);
      std::string err;
      p.peer_out = *peer_engine.add_sa(peer_out, &err);
      p.our_in = *our_engine.add_sa(in, &err);
      p.our_out = *our_engine.add_sa(out, &err);
      p.peer_in = *peer_rx_engine.add_sa(peer_in, &err);
      EXPECT_TRUE(h.install_sa(p.in_index, in));
      EXPECT_TRUE(h.install_sa(p.out_index, out));
      peers.push_back(p);
    }
  }

  // A protected frame from peer p carrying payload (the golden encapsulation).
  Bytes PeerFrame(const Peer& p, const Bytes& payload) {
    golden::Ipv4Header f;
    f.id = static_cast<std::uint16_t>(rng());
    Bytes pkt;
    EXPECT_TRUE(peer_engine.encap_payload(p.peer_out, golden::kIpProtoUdp, payload, f, pkt).ok());
    return golden::ethernet_frame(pkt);
  }

  std::mt19937_64 rng;
  golden::EspEngine peer_engine, our_engine, peer_rx_engine;
  std::vector<Peer> peers;
};

class TopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TopHarnessOptions o;
    o.seed = Seed();
    h = std::make_unique<TopHarness>(o);
    h->set_macs(kLocalMac, kGatewayMac);
    h->enable(true);
  }
  std::uint32_t DecapDrops(lm::DropReason r) {
    return h->read32(lm::decap::kDropCount + 4 * static_cast<unsigned>(r));
  }
  std::uint32_t EncapDrops(lm::DropReason r) {
    return h->read32(lm::encap::kDropCount + 4 * static_cast<unsigned>(r));
  }
  std::unique_ptr<TopHarness> h;
};

TEST_F(TopTest, BlockDiscoveryAndIdentity) {
  const auto chain = h->walk_blocks();
  ASSERT_EQ(chain.size(), lm::kBlocks.size());
  for (std::size_t i = 0; i < chain.size(); ++i) {
    EXPECT_EQ(chain[i].first, lm::kBlocks[i].base) << lm::kBlocks[i].name;
    EXPECT_EQ(chain[i].second, lm::kBlocks[i].type_id) << lm::kBlocks[i].name;
    EXPECT_EQ(h->read32(lm::kBlocks[i].base + 4), lm::kBlocks[i].version_id);
  }
  std::string name;
  for (unsigned w = 0; w < lm::ident::kNameCount; ++w) {
    const std::uint32_t v = h->read32(lm::ident::kName + 4 * w);
    for (int s = 24; s >= 0; s -= 8) {
      if (const char c = static_cast<char>(v >> s)) name.push_back(c);
    }
  }
  EXPECT_EQ(name, "l2sec-lm");
  const std::uint32_t caps = h->read32(lm::ident::kCaps);
  EXPECT_EQ(lm::ident::caps::kPorts.get(caps), 1u);
  EXPECT_EQ(lm::ident::caps::kAes.get(caps), 1u);
  EXPECT_EQ(lm::ident::caps::kHmacSha1.get(caps), 1u);
  EXPECT_EQ(lm::ident::caps::kHmacSha256.get(caps), 1u);
  EXPECT_NE(h->read32(lm::ident::kRtlVersion), 0u);
  h->write32(lm::ident::kScratch, 0xa5a5f00d);
  EXPECT_EQ(h->read32(lm::ident::kScratch), 0xa5a5f00du);
  EXPECT_EQ(h->read32(lm::ctrl::kLocalMacLo), load_be32(&kLocalMac[2]));
  EXPECT_EQ(h->read32(0x0700), 0u);  // no block there
  const std::uint32_t sa_caps = h->read32(lm::sa_table::kCaps);
  EXPECT_EQ(lm::sa_table::caps::kCapacity.get(sa_caps), lm::sa_entry::kCapacity);
}

TEST_F(TopTest, SaInstallReadsBack) {
  World w(Seed());
  w.MakePeers(*h, 2);
  const auto e = h->read_sa_entry(w.peers[1].in_index);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(*e, pack_sa_entry(w.peers[1].in_cfg, 6, 1));
}

// Random ESP traffic both ways at once, compared byte for byte with the golden model.
TEST_F(TopTest, RandomTrafficBothWays) {
  World w(Seed() + 1);
  w.MakePeers(*h, 36);  // 9 suites x {ESP, ESP in UDP} twice
  constexpr unsigned kPerDirection = 5000;
  std::mt19937_64& rng = w.rng;
  auto size = [&]() -> std::size_t {
    const unsigned r = static_cast<unsigned>(rng() % 100);
    if (r < 2) return 1400 + rng() % 500;  // up to the 2 KiB lane buffer
    if (r < 10) return rng() % 8;          // tiny
    return rng() % 1401;
  };
  struct ExpRx {
    const Peer* p;
    golden::DecapResult res;
    Bytes data;
  };
  struct ExpTx {
    const Peer* p;
    Bytes frame;
    Bytes payload;
  };
  std::deque<ExpRx> exp_rx;
  std::deque<ExpTx> exp_tx;
  std::map<std::uint16_t, std::uint64_t> rx_pkts, rx_bytes, tx_pkts, tx_bytes;
  unsigned got_rx = 0, got_tx = 0;
  auto drain = [&]() {
    while (auto r = h->pop_host_rx()) {
      ASSERT_FALSE(exp_rx.empty()) << "unexpected host rx packet";
      const ExpRx e = std::move(exp_rx.front());
      exp_rx.pop_front();
      const HostRxHeader& hd = r->first;
      EXPECT_EQ(r->second, e.data) << "host rx packet " << got_rx;
      EXPECT_TRUE(hd.sa_valid);
      EXPECT_EQ(hd.sa_index, e.p->in_index);
      EXPECT_EQ(hd.pkt_class,
                e.p->in_cfg.encap == lm::Encap::kUdp ? lm::PktClass::kEspUdp : lm::PktClass::kEsp);
      EXPECT_EQ(hd.spi, e.res.spi);
      EXPECT_EQ(hd.seq, e.res.seq);
      EXPECT_EQ(hd.src_addr, e.p->in_cfg.peer_addr);
      EXPECT_EQ(hd.dst_addr, kLocalAddr);
      EXPECT_EQ(hd.src_port, e.res.src_port);
      EXPECT_EQ(hd.dst_port, e.p->in_cfg.encap == lm::Encap::kUdp ? 4500 : 0);
      EXPECT_EQ(hd.payload_offset, 28);
      EXPECT_EQ(hd.len, e.data.size());
      EXPECT_EQ(hd.port, 0);
      ++got_rx;
    }
    while (auto f = h->pop_line_tx()) {
      ASSERT_FALSE(exp_tx.empty()) << "unexpected line tx frame";
      const ExpTx e = std::move(exp_tx.front());
      exp_tx.pop_front();
      EXPECT_EQ(*f, e.frame) << "line tx frame " << got_tx;
      // The peer can open it.
      Bytes inner;
      // The peer sits behind a NAT that maps its port back to 4500 (UDP checksum 0: no fix-up).
      Bytes ipb(f->begin() + 14, f->end());
      if (e.p->out_cfg.encap == lm::Encap::kUdp) store_be16(&ipb[22], golden::kPortNatT);
      const ByteView ip(ipb);
      const auto res = w.peer_rx_engine.decap(ip, inner);
      EXPECT_TRUE(res.ok()) << lm::to_string(res.reason);
      if (res.ok()) {
        EXPECT_EQ(Bytes(inner.begin() + 20, inner.end()), e.payload);
      }
      ++got_tx;
    }
  };
  const Bytes eth = EthHeader(kGatewayMac, kLocalMac);
  for (unsigned phase = 0; phase < 2; ++phase) {
    if (phase == 1) h->set_backpressure(60, 50);
    for (unsigned i = 0; i < kPerDirection / 2; ++i) {
      // Ingress
      const Peer& pi = w.peers[rng() % w.peers.size()];
      const Bytes pl = L2tpPayload(rng, size());
      const Bytes frame = w.PeerFrame(pi, pl);
      ExpRx er{&pi, {}, {}};
      er.res = w.our_engine.decap(ByteView(frame.data() + 14, frame.size() - 14), er.data);
      ASSERT_TRUE(er.res.ok());
      rx_pkts[pi.in_index] += 1;
      rx_bytes[pi.in_index] += er.data.size() - 20;
      exp_rx.push_back(std::move(er));
      h->push_line_rx(frame);
      // Egress
      const Peer& po = w.peers[rng() % w.peers.size()];
      const Bytes tpl = L2tpPayload(rng, size());
      HostTxHeader th;
      th.encap = true;
      th.sa_index = po.out_index;
      th.id = static_cast<std::uint16_t>(rng());
      th.ttl = static_cast<std::uint8_t>(1 + rng() % 255);
      th.tos = static_cast<std::uint8_t>(rng());
      golden::Ipv4Header f;
      f.id = th.id;
      f.ttl = th.ttl;
      f.tos = th.tos;
      Bytes pkt;
      ASSERT_TRUE(w.our_engine.encap_payload(po.our_out, 17, tpl, f, pkt).ok());
      Bytes ef = eth;
      ef.insert(ef.end(), pkt.begin(), pkt.end());
      tx_pkts[po.out_index] += 1;
      tx_bytes[po.out_index] += tpl.size();
      exp_tx.push_back({&po, std::move(ef), tpl});
      h->push_host_tx(th, tpl);
      if (i % 64 == 63) {
        h->step(8000);
        drain();
      }
    }
    ASSERT_TRUE(h->run_until_idle(50'000'000));
    drain();
  }
  EXPECT_EQ(got_rx, kPerDirection);
  EXPECT_EQ(got_tx, kPerDirection);
  EXPECT_EQ(h->read32(lm::decap::kPackets), kPerDirection);
  EXPECT_EQ(h->read32(lm::encap::kPackets), kPerDirection);
  for (const Peer& p : w.peers) {
    const auto si = h->read_sa_stats(p.in_index);
    ASSERT_TRUE(si.has_value());
    EXPECT_EQ(si->packets, rx_pkts[p.in_index]);
    EXPECT_EQ(si->bytes, rx_bytes[p.in_index]);
    const auto so = h->read_sa_stats(p.out_index);
    ASSERT_TRUE(so.has_value());
    EXPECT_EQ(so->packets, tx_pkts[p.out_index]);
    EXPECT_EQ(so->bytes, tx_bytes[p.out_index]);
  }
  std::printf("lm_top random traffic: %u packets each way in %llu cycles\n", kPerDirection,
              static_cast<unsigned long long>(h->cycles()));
}

// IKE 500, IKE_NATT, L2TP_CLEAR, ARP and a fragment come up whole with the classifier's metadata;
// keepalives are discarded and counted; raw frames from the host go out as they are.
TEST_F(TopTest, ExceptionClassesAndKeepalive) {
  std::mt19937_64 rng(Seed() + 2);
  const std::uint32_t peer = 0xC6130063;
  std::vector<Bytes> frames;
  frames.push_back(golden::ethernet_frame(
      golden::build_udp_packet(peer, kLocalAddr, 500, 500, RandomBytes(rng, 120))));
  Bytes natt = {0, 0, 0, 0};
  const Bytes ike = RandomBytes(rng, 200);
  natt.insert(natt.end(), ike.begin(), ike.end());
  frames.push_back(
      golden::ethernet_frame(golden::build_udp_packet(peer, kLocalAddr, 4500, 4500, natt)));
  frames.push_back(golden::ethernet_frame(
      golden::build_udp_packet(peer, kLocalAddr, 1701, 1701, RandomBytes(rng, 77))));
  Bytes arp = EthHeader({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, kGatewayMac);
  arp[12] = 0x08;
  arp[13] = 0x06;
  const Bytes arp_body = RandomBytes(rng, 28);
  arp.insert(arp.end(), arp_body.begin(), arp_body.end());
  frames.push_back(arp);
  Bytes frag = golden::build_udp_packet(peer, kLocalAddr, 4500, 4500, RandomBytes(rng, 300));
  frag[6] = 0x20;  // more fragments
  golden::refresh_ipv4_checksum(frag);
  frames.push_back(golden::ethernet_frame(frag));
  const Bytes keepalive =
      golden::ethernet_frame(golden::build_udp_packet(peer, kLocalAddr, 4500, 4500, Bytes{0xff}));

  for (const Bytes& f : frames) {
    h->push_line_rx(f);
    h->push_line_rx(keepalive);
  }
  const Bytes raw = RandomBytes(rng, 90);
  h->push_host_tx(HostTxHeader{}, raw);
  ASSERT_TRUE(h->run_until_idle(200000));
  for (const Bytes& f : frames) {
    const auto r = h->pop_host_rx();
    ASSERT_TRUE(r.has_value());
    const auto c = golden::classify(f, false);
    EXPECT_EQ(r->second, f);
    EXPECT_EQ(r->first.pkt_class, c.pkt_class) << lm::to_string(c.pkt_class);
    EXPECT_FALSE(r->first.sa_valid);
    EXPECT_EQ(r->first.src_addr, c.src_addr);
    EXPECT_EQ(r->first.dst_addr, c.dst_addr);
    EXPECT_EQ(r->first.src_port, c.src_port);
    EXPECT_EQ(r->first.dst_port, c.dst_port);
    EXPECT_EQ(r->first.payload_offset, c.payload_offset);
    EXPECT_EQ(r->first.len, f.size());
  }
  EXPECT_FALSE(h->pop_host_rx().has_value());
  const auto out = h->pop_line_tx();
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(*out, raw);
  const auto ka = static_cast<unsigned>(lm::PktClass::kNatKeepalive);
  EXPECT_EQ(h->read32(lm::parser::kClassCount + 4 * ka), frames.size());
  EXPECT_EQ(
      h->read32(lm::parser::kDropCount + 4 * static_cast<unsigned>(lm::DropReason::kNatKeepalive)),
      frames.size());
}

// Decap drops: counted per reason in the decap block and per SA, nothing goes up.
TEST_F(TopTest, DecapDropsCounted) {
  World w(Seed() + 3);
  w.MakePeers(*h, 2);
  const Peer& p = w.peers[0];
  std::mt19937_64& rng = w.rng;
  std::map<lm::DropReason, unsigned> want;
  unsigned good = 0;
  for (unsigned i = 0; i < 40; ++i) {
    const Bytes frame = w.PeerFrame(p, L2tpPayload(rng, 40 + rng() % 200));
    Bytes out;
    auto push = [&](const Bytes& f) {
      const auto res = w.our_engine.decap(ByteView(f.data() + 14, f.size() - 14), out);
      if (res.ok())
        ++good;
      else
        ++want[res.reason];
      h->push_line_rx(f);
    };
    switch (i % 4) {
      case 0:
        push(frame);
        break;
      case 1:
        push(frame);
        push(frame);
        break;   // replay
      case 2: {  // flipped ciphertext byte
        Bytes f = frame;
        f[f.size() - 20] ^= 0x40;
        push(f);
        break;
      }
      default: {  // unknown SPI
        Bytes f = frame;
        const std::size_t esp = 14 + 20 + (p.in_cfg.encap == lm::Encap::kUdp ? 8 : 0);
        f[esp] ^= 0x80;
        push(f);
        break;
      }
    }
  }
  ASSERT_TRUE(h->run_until_idle(2'000'000));
  unsigned got = 0;
  while (h->pop_host_rx()) ++got;
  EXPECT_EQ(got, good);
  EXPECT_GT(want[lm::DropReason::kReplay], 0u);
  EXPECT_GT(want[lm::DropReason::kBadIcv], 0u);
  EXPECT_GT(want[lm::DropReason::kUnknownSpi], 0u);
  for (const auto& [r, n] : want) EXPECT_EQ(DecapDrops(r), n) << lm::to_string(r);
  EXPECT_EQ(h->read32(lm::decap::kPackets), good);
  const auto s = h->read_sa_stats(p.in_index);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->packets, good);
  EXPECT_EQ(s->replay_drop, want[lm::DropReason::kReplay]);
  EXPECT_EQ(s->icv_fail, want[lm::DropReason::kBadIcv]);
}

// Host-path entries (CIPHER = DES3_CBC, the software back end's SAs): a hit goes up whole and
// untouched as an exception frame with sa_valid, the slot and the SPI; the decap lanes never see
// it. A miss still drops as UNKNOWN_SPI; an encap request on such an entry is UNSUPPORTED_SUITE.
TEST_F(TopTest, HostPathEntryGoesUpWholeWithItsSa) {
  std::mt19937_64 rng(Seed() + 6);
  golden::EspEngine peer_engine;
  struct HostSa {
    std::uint16_t index;
    golden::SaConfig cfg;
    golden::SaHandle peer_out;
  };
  std::vector<HostSa> sas;
  for (const bool udp : {true, false}) {
    HostSa s;
    s.index = static_cast<std::uint16_t>(udp ? 0x2a0 : 0x2a1);
    golden::SaConfig in;
    in.spi = (static_cast<std::uint32_t>(rng() & 0xfffff) + 0x100u) << 12 | s.index;
    in.direction = lm::Direction::kInbound;
    in.cipher = lm::Cipher::kDes3Cbc;
    in.integ = lm::Integ::kHmacSha1;
    in.icv_len = lm::IcvLen::kIcv96;
    in.encap = udp ? lm::Encap::kUdp : lm::Encap::kNone;
    in.enc_key = RandomBytes(rng, 24);
    in.auth_key = RandomBytes(rng, 20);
    in.local_addr = kLocalAddr;
    in.peer_addr = 0xC6130077u + (udp ? 1 : 0);
    in.local_port = 4500;
    in.peer_port = static_cast<std::uint16_t>(udp ? 40077 : 4500);
    s.cfg = in;
    // The FPGA holds no keys for it: key, HMAC states and IV key words are zero.
    auto e = pack_sa_entry(in, 6, 1);
    for (unsigned w = lm::sa_entry::kKey.word; w < lm::sa_entry::kSoftBytes.word; ++w) e[w] = 0;
    ASSERT_TRUE(h->write_sa_entry(s.index, e));
    golden::SaConfig peer_out = in;
    peer_out.direction = lm::Direction::kOutbound;
    std::swap(peer_out.local_addr, peer_out.peer_addr);
    std::swap(peer_out.local_port, peer_out.peer_port);
    std::string err;
    s.peer_out = peer_engine.add_sa(peer_out, &err).value_or(golden::kNoSa);
    ASSERT_NE(s.peer_out, golden::kNoSa) << err;
    sas.push_back(s);
  }
  std::vector<Bytes> frames;
  for (unsigned i = 0; i < 6; ++i) {
    const HostSa& s = sas[i % 2];
    Bytes pkt;
    ASSERT_TRUE(peer_engine
                    .encap_payload(s.peer_out, golden::kIpProtoUdp,
                                   L2tpPayload(rng, 30 + rng() % 300), golden::Ipv4Header{}, pkt)
                    .ok());
    frames.push_back(golden::ethernet_frame(pkt));
    h->push_line_rx(frames.back());
  }
  // The same SPI's slot but another SPI: a miss, dropped by the lanes.
  Bytes unknown = frames[0];
  unknown[14 + 20 + 8] ^= 0x80;
  h->push_line_rx(unknown);
  // An encap request on an outbound DES3_CBC entry (the firmware never writes one): the lanes
  // refuse the suite.
  golden::SaConfig out = sas[0].cfg;
  out.direction = lm::Direction::kOutbound;
  ASSERT_TRUE(h->install_sa(0x2a2, out));
  HostTxHeader th;
  th.encap = true;
  th.sa_index = 0x2a2;
  h->push_host_tx(th, L2tpPayload(rng, 64));
  ASSERT_TRUE(h->run_until_idle(2'000'000));
  for (unsigned i = 0; i < frames.size(); ++i) {
    const HostSa& s = sas[i % 2];
    const auto r = h->pop_host_rx();
    ASSERT_TRUE(r.has_value()) << i;
    const auto c = golden::classify(frames[i], false);
    EXPECT_EQ(r->second, frames[i]) << "host-path ESP goes up untouched";
    EXPECT_EQ(r->first.pkt_class,
              s.cfg.encap == lm::Encap::kUdp ? lm::PktClass::kEspUdp : lm::PktClass::kEsp);
    EXPECT_TRUE(r->first.sa_valid);
    EXPECT_EQ(r->first.sa_index, s.index);
    EXPECT_EQ(r->first.spi, s.cfg.spi);
    EXPECT_EQ(r->first.src_addr, s.cfg.peer_addr);
    EXPECT_EQ(r->first.dst_addr, kLocalAddr);
    EXPECT_EQ(r->first.src_port, c.src_port);
    EXPECT_EQ(r->first.payload_offset, c.payload_offset);
    EXPECT_EQ(r->first.len, frames[i].size());
  }
  EXPECT_FALSE(h->pop_host_rx().has_value());
  EXPECT_FALSE(h->pop_line_tx().has_value());
  EXPECT_EQ(DecapDrops(lm::DropReason::kUnknownSpi), 1u);
  EXPECT_EQ(DecapDrops(lm::DropReason::kUnsupportedSuite), 0u);
  EXPECT_EQ(h->read32(lm::decap::kPackets), 0u);
  EXPECT_EQ(EncapDrops(lm::DropReason::kUnsupportedSuite), 1u);
}

// The last sequence number: SEQ_OVERFLOW is counted, pushes ctrl.EVENT and raises irq.
TEST_F(TopTest, SeqOverflowEventAndIrq) {
  World w(Seed() + 4);
  w.MakePeers(*h, 1);
  Peer& p = w.peers[0];
  golden::SaConfig out = p.out_cfg;
  out.last_seq = 0xfffffffe;
  ASSERT_TRUE(h->install_sa(p.out_index, out, 6, 2));
  h->write32(lm::ctrl::kIrqEnable, 1u << lm::ctrl::irq_status::kEvent.lsb);
  EXPECT_FALSE(h->irq());
  HostTxHeader th;
  th.encap = true;
  th.sa_index = p.out_index;
  const Bytes pl = L2tpPayload(w.rng, 100);
  h->push_host_tx(th, pl);  // seq 0xffffffff: sent
  h->push_host_tx(th, pl);  // overflow
  ASSERT_TRUE(h->run_until_idle(200000));
  EXPECT_TRUE(h->pop_line_tx().has_value());
  EXPECT_FALSE(h->pop_line_tx().has_value());
  EXPECT_TRUE(h->irq());
  EXPECT_EQ(EncapDrops(lm::DropReason::kSeqOverflow), 1u);
  const std::uint32_t ev = h->read32(lm::ctrl::kEvent);
  EXPECT_EQ(lm::ctrl::event::kValid.get(ev), 1u);
  EXPECT_EQ(lm::ctrl::event::kSaIndex.get(ev), p.out_index);
  EXPECT_EQ(lm::ctrl::event::kKind.get(ev), static_cast<unsigned>(lm::EventKind::kSeqOverflow));
  EXPECT_EQ(h->read32(lm::ctrl::kEvent), 0u);  // popped
  h->step(2);
  EXPECT_FALSE(h->irq());
  const auto s = h->read_sa_stats(p.out_index);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->packets, 1u);
  EXPECT_EQ(s->other_drop, 1u);
}

// ENABLE=0: frames are discarded both ways and counted.
TEST_F(TopTest, DisabledDiscards) {
  h->enable(false);
  std::mt19937_64 rng(Seed() + 5);
  h->push_line_rx(golden::ethernet_frame(
      golden::build_udp_packet(0xC6130001, kLocalAddr, 500, 500, RandomBytes(rng, 50))));
  h->push_host_tx(HostTxHeader{}, RandomBytes(rng, 64));
  ASSERT_TRUE(h->run_until_idle(100000));
  EXPECT_FALSE(h->pop_host_rx().has_value());
  EXPECT_FALSE(h->pop_line_tx().has_value());
  EXPECT_EQ(h->read32(lm::ctrl::kRxDiscards), 1u);
  EXPECT_EQ(h->read32(lm::ctrl::kTxDiscards), 1u);
}

}  // namespace
}  // namespace l2sec::sim
