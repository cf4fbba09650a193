// The LNS on the real software IPsec back end: two clients behind one NAT (same inside address
// 198.18.0.15, both LACs on UDP 1701 and with the same tunnel ID, NAT ports 40001 and 40002) send
// L2TP through their own ESP-in-UDP SAs. Each gets its own tunnel and session, replies come back
// through the right SA (the other client's SA could not even decrypt them), and data flows.
#include "l2sec/ipsec/soft_backend.hpp"

#include <gtest/gtest.h>

#include "harness.hpp"
#include "l2sec/golden/crypto.hpp"
#include "l2sec/golden/esp.hpp"
#include "l2sec/golden/ipv4.hpp"
#include "l2sec/ipsec/frame_port.hpp"
#include "l2sec/log.hpp"

using namespace l2sec;
using namespace l2sec::l2tp;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t kGateway = 0xc6120002;       // 198.18.0.2
constexpr std::uint32_t kNatOutside = 0xc6120101;    // 198.18.1.1
constexpr std::uint32_t kClientInside = 0xc612000f;  // 198.18.0.15

Bytes random(std::size_t n) {
  Bytes b(n);
  golden::random_bytes(b);
  return b;
}

struct EspClient {
  ipsec::SaHandle handle = ipsec::kNoHandle;
  std::uint16_t nat_port = 0;
  golden::EspEngine engine;
  golden::SaHandle out = golden::kNoSa, in = golden::kNoSa;
  std::unique_ptr<Lac> lac;
  std::vector<Bytes> frames;
  std::uint64_t undecryptable = 0;
};

class LnsOverSoftBackend : public ::testing::Test {
 protected:
  void SetUp() override {
    auto [ours, wire] = ipsec::make_memory_link();
    wire_ = std::move(wire);
    backend_ = std::make_unique<ipsec::SoftBackend>(std::move(ours));
    lns_ =
        std::make_unique<Lns>(LnsConfig{}, *backend_, [this](const SessionInfo& i, SessionIo& io) {
          payloads_.push_back(std::make_shared<test::PayloadRecord>());
          return std::make_unique<test::EchoPayload>(i, io, payloads_.back());
        });
  }

  // One SA pair as IKE would install it after Quick Mode, ESP in UDP through the NAT, and the
  // client's mirror of it.
  void install(EspClient& c) {
    golden::SaConfig in;
    in.spi = backend_->allocate_spi();
    in.direction = lm::Direction::kInbound;
    in.cipher = lm::Cipher::kAesCbc128;
    in.integ = lm::Integ::kHmacSha1;
    in.icv_len = lm::IcvLen::kIcv96;
    in.encap = lm::Encap::kUdp;
    in.enc_key = random(16);
    in.auth_key = random(20);
    in.local_addr = kGateway;
    in.peer_addr = kNatOutside;
    in.peer_port = c.nat_port;
    in.local_port = golden::kPortNatT;
    in.natoa_peer = kClientInside;
    in.natoa_local = kGateway;
    in.only_next_header = golden::kIpProtoUdp;
    golden::SaConfig out = in;
    out.spi = 0x70000000u + c.handle;
    out.direction = lm::Direction::kOutbound;
    out.enc_key = random(16);
    out.auth_key = random(20);
    ASSERT_TRUE(backend_->add_sa({c.handle, in, {}, {}}).ok());
    ASSERT_TRUE(backend_->add_sa({c.handle, out, {}, {}}).ok());
    golden::SaConfig c_out = in;
    c_out.direction = lm::Direction::kOutbound;
    c_out.local_addr = kClientInside;
    c_out.peer_addr = kGateway;
    c_out.peer_port = golden::kPortNatT;
    c_out.natoa_peer.reset();
    c_out.natoa_local.reset();
    golden::SaConfig c_in = out;
    c_in.direction = lm::Direction::kInbound;
    c_in.local_addr = kClientInside;
    c_in.peer_addr = kGateway;
    c_in.peer_port = golden::kPortNatT;
    c_in.natoa_peer.reset();
    c_in.natoa_local.reset();
    std::string error;
    c.out = c.engine.add_sa(c_out, &error).value_or(golden::kNoSa);
    c.in = c.engine.add_sa(c_in, &error).value_or(golden::kNoSa);
    ASSERT_NE(c.out, golden::kNoSa) << error;
    ASSERT_NE(c.in, golden::kNoSa) << error;
  }

  EspClient& add_client(ipsec::SaHandle handle, std::uint16_t nat_port) {
    clients_.push_back(std::make_unique<EspClient>());
    EspClient* c = clients_.back().get();
    c->handle = handle;
    c->nat_port = nat_port;
    install(*c);
    LacConfig lc;
    lc.tunnel_id = 0x0101;  // both LACs pick the same ID
    c->lac = std::make_unique<Lac>(lc, [this, c](ByteView l2tp) { client_sends(*c, l2tp); });
    c->lac->on_frame = [c](std::uint16_t, ByteView f) {
      c->frames.emplace_back(f.begin(), f.end());
    };
    return *c;
  }

  // Inside: 198.18.0.15:1701 -> gateway:1701 in ESP in UDP 4500; the NAT maps 4500 to nat_port.
  void client_sends(EspClient& c, ByteView l2tp) {
    const Bytes pkt = golden::build_udp_packet(kClientInside, kGateway, kL2tpPort, kL2tpPort, l2tp);
    golden::Ipv4Header fields;
    Bytes esp;
    ASSERT_TRUE(
        c.engine.encap_payload(c.out, golden::kIpProtoUdp, ByteView(pkt).subspan(20), fields, esp)
            .ok());
    store_be32(esp.data() + 12, kNatOutside);
    store_be16(esp.data() + 20, c.nat_port);
    golden::refresh_ipv4_checksum(esp);
    wire_->send(esp);
  }

  // Delivers everything in both directions until nothing moves.
  void pump() {
    for (bool moved = true; moved;) {
      moved = false;
      while (auto p = backend_->receive()) {
        lns_->on_packet(*p, now_);
        moved = true;
      }
      while (auto pkt = wire_->receive()) {
        moved = true;
        Bytes b = std::move(*pkt);
        const std::uint16_t nat_port = load_be16(b.data() + 22);
        for (auto& c : clients_) {
          if (c->nat_port != nat_port) continue;
          store_be32(b.data() + 16, kClientInside);
          store_be16(b.data() + 22, golden::kPortNatT);
          golden::refresh_ipv4_checksum(b);
          Bytes inner;
          // Every client tries: only the SA's owner can authenticate it.
          for (auto& other : clients_) {
            Bytes scratch;
            if (other.get() != c.get() && other->engine.decap(b, scratch).ok()) {
              ++other->undecryptable;  // must never happen
            }
          }
          if (!c->engine.decap(b, inner).ok()) {
            ++c->undecryptable;
            continue;
          }
          EXPECT_EQ(load_be16(inner.data() + 20), kL2tpPort);  // from 1701
          EXPECT_EQ(load_be16(inner.data() + 22), kL2tpPort);  // to the LAC's port
          c->lac->on_datagram(ByteView(inner).subspan(28), now_);
        }
      }
    }
  }

  Clock::time_point now_ = Clock::now();
  std::unique_ptr<ipsec::MemoryPort> wire_;
  std::unique_ptr<ipsec::SoftBackend> backend_;
  std::unique_ptr<Lns> lns_;
  std::vector<std::shared_ptr<test::PayloadRecord>> payloads_;
  std::vector<std::unique_ptr<EspClient>> clients_;
};

}  // namespace

TEST_F(LnsOverSoftBackend, TwoClientsBehindOneNatThroughRealEsp) {
  auto& a = add_client(11, 40001);
  auto& b = add_client(12, 40002);
  a.lac->connect(now_);
  b.lac->connect(now_);
  pump();
  ASSERT_EQ(a.lac->state(), Lac::State::kEstablished);
  ASSERT_EQ(b.lac->state(), Lac::State::kEstablished);
  EXPECT_NE(a.lac->peer_tunnel_id(), b.lac->peer_tunnel_id());
  const auto sa = a.lac->open_session(now_);
  const auto sb = b.lac->open_session(now_);
  pump();
  ASSERT_EQ(a.lac->call_state(sa), Lac::CallState::kEstablished);
  ASSERT_EQ(b.lac->call_state(sb), Lac::CallState::kEstablished);
  const Bytes fa = {0xff, 0x03, 0xc0, 0x21, 0x09, 0x01, 0x00, 0x04};
  const Bytes fb = {0xff, 0x03, 0xc0, 0x21, 0x09, 0x02, 0x00, 0x04};
  a.lac->send_frame(sa, fa);
  b.lac->send_frame(sb, fb);
  pump();
  ASSERT_EQ(a.frames.size(), 1u);
  ASSERT_EQ(b.frames.size(), 1u);
  EXPECT_EQ(a.frames[0], fa);
  EXPECT_EQ(b.frames[0], fb);
  EXPECT_EQ(a.undecryptable, 0u);
  EXPECT_EQ(b.undecryptable, 0u);
  std::map<ipsec::SaHandle, std::size_t> per_sa;
  for (const auto& s : lns_->sessions()) {
    ++per_sa[s.info.handle];
    EXPECT_EQ(s.info.peer.addr, kNatOutside);
    EXPECT_EQ(s.info.peer.port, s.info.handle == 11 ? 40001 : 40002);
    EXPECT_EQ(s.info.lac_port, kL2tpPort);
    EXPECT_EQ(s.info.peer_tunnel_id, 0x0101);
  }
  EXPECT_EQ(per_sa[11], 1u);
  EXPECT_EQ(per_sa[12], 1u);
  EXPECT_EQ(lns_->counters().malformed, 0u);
  EXPECT_EQ(lns_->counters().unknown_tunnel, 0u);
  EXPECT_EQ(lns_->counters().send_errors, 0u);
}
