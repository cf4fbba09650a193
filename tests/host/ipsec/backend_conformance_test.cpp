// The IPsec back-end conformance suite: what IKE and the LNS rely on, checked against a peer that
// is the golden model itself (a client's SAs mirrored). Written against ipsec::Backend and a
// FramePort so that the line-module back end runs the same suite when it lands (issue 6): add its
// factory to kBackends.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <set>

#include "l2sec/golden/esp.hpp"
#include "l2sec/golden/ipv4.hpp"
#include "l2sec/ipsec/frame_port.hpp"
#include "l2sec/ipsec/soft_backend.hpp"
#if L2SEC_WITH_LINE_MODULE_SIM
#include "l2sec/driver/sim_device.hpp"
#include "l2sec/ipsec/line_module_backend.hpp"
#include "l2sec/sim/lm/line_card.hpp"
#endif

namespace l2sec::ipsec {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kGateway = 0xc6120002;       // 198.18.0.2
constexpr std::uint32_t kNatOutside = 0xc6120101;    // 198.18.1.1: the client's NAT
constexpr std::uint32_t kClientInside = 0xc612000f;  // 198.18.0.15
constexpr std::uint16_t kNatPort = 40123;
constexpr std::uint16_t kLacPort = 1701;

Bytes hex(const char* text) { return from_hex(text).value(); }

Bytes random(std::size_t n) {
  Bytes b(n);
  golden::random_bytes(b);
  return b;
}

struct Factory {
  const char* name;
  std::function<std::unique_ptr<Backend>(std::unique_ptr<FramePort>)> make;
};

const Factory kBackends[] = {
    {"software",
     [](std::unique_ptr<FramePort> port) -> std::unique_ptr<Backend> {
       return std::make_unique<SoftBackend>(std::move(port));
     }},
#if L2SEC_WITH_LINE_MODULE_SIM
    // The line module: firmware + Verilated lm_top in this process (driver::SimDevice), its line
    // port the test's MemoryPort (IPv4 packets framed as Ethernet). Built as l2sec_ipsec_lm_tests.
    {"line_module_sim",
     [](std::unique_ptr<FramePort> port) -> std::unique_ptr<Backend> {
       std::string error;
       auto device = driver::SimDevice::create(
           "sim:conformance", std::make_unique<lmsim::EthernetPort>(std::move(port)),
           lmsim::LineCardOptions{}, &error);
       if (!device) {
         ADD_FAILURE() << error;
         return nullptr;
       }
       auto backend = LineModuleBackend::create(std::move(device), {}, &error);
       if (!backend) ADD_FAILURE() << error;
       return backend;
     }},
#endif
};

// A client's view: the golden model holding the mirror of the gateway's SAs.
struct Client {
  golden::EspEngine engine;
  golden::SaHandle out = golden::kNoSa;  // client -> gateway (the gateway's inbound)
  golden::SaHandle in = golden::kNoSa;   // gateway -> client
};

class BackendConformance : public ::testing::TestWithParam<Factory> {
 protected:
  void SetUp() override {
    auto [ours, wire] = make_memory_link();
    wire_ = std::move(wire);
    backend_ = GetParam().make(std::move(ours));
    ASSERT_NE(backend_, nullptr);
  }

  // One SA pair for handle, like IKE would install it after Quick Mode, plus the client mirror.
  void install(SaHandle handle, Client& client, lm::Cipher cipher, lm::Integ integ, lm::Encap encap,
               std::uint16_t nat_port = kNatPort, std::uint32_t* spi_in_out = nullptr,
               Lifetime soft = {}, Lifetime hard = {}) {
    golden::SaConfig in;
    in.spi = backend_->allocate_spi();
    in.direction = lm::Direction::kInbound;
    in.cipher = cipher;
    in.integ = integ;
    in.icv_len = integ == lm::Integ::kHmacSha256 ? lm::IcvLen::kIcv128 : lm::IcvLen::kIcv96;
    in.encap = encap;
    in.enc_key = random(golden::cipher_key_len(cipher));
    in.auth_key = random(golden::integ_key_len(integ));
    in.local_addr = kGateway;
    in.peer_addr = encap == lm::Encap::kUdp ? kNatOutside : kClientInside;
    in.peer_port = nat_port;
    in.local_port = golden::kPortNatT;
    if (encap == lm::Encap::kUdp) {
      in.natoa_peer = kClientInside;
      in.natoa_local = kGateway;
    }
    in.only_next_header = golden::kIpProtoUdp;
    golden::SaConfig out = in;
    out.spi = 0x70000000u + next_out_spi_++;
    out.direction = lm::Direction::kOutbound;
    out.enc_key = random(golden::cipher_key_len(cipher));
    out.auth_key = random(golden::integ_key_len(integ));
    ASSERT_TRUE(backend_->add_sa({handle, in, soft, hard}).ok());
    ASSERT_TRUE(backend_->add_sa({handle, out, soft, hard}).ok());
    if (spi_in_out != nullptr) *spi_in_out = in.spi;

    // The client's side: its outbound is our inbound, seen from behind the NAT.
    nat_port_ = nat_port;
    golden::SaConfig c_out = in;
    c_out.direction = lm::Direction::kOutbound;
    c_out.local_addr = kClientInside;
    c_out.peer_addr = kGateway;
    c_out.local_port = golden::kPortNatT;
    c_out.peer_port = golden::kPortNatT;
    c_out.natoa_peer.reset();
    c_out.natoa_local.reset();
    golden::SaConfig c_in = out;
    c_in.direction = lm::Direction::kInbound;
    c_in.local_addr = kClientInside;
    c_in.peer_addr = kGateway;
    c_in.local_port = golden::kPortNatT;
    c_in.peer_port = golden::kPortNatT;
    c_in.natoa_peer.reset();
    c_in.natoa_local.reset();
    std::string error;
    client.out = client.engine.add_sa(c_out, &error).value_or(golden::kNoSa);
    client.in = client.engine.add_sa(c_in, &error).value_or(golden::kNoSa);
    ASSERT_NE(client.out, golden::kNoSa) << error;
    ASSERT_NE(client.in, golden::kNoSa) << error;
  }

  // An L2TP message sealed by the client's outbound SA, addressed as the client (inside) sent it.
  static Bytes client_seals(Client& client, ByteView l2tp, std::uint16_t lac_port = kLacPort) {
    const Bytes pkt =
        golden::build_udp_packet(kClientInside, kGateway, lac_port, golden::kPortL2tp, l2tp);
    const ByteView segment = ByteView(pkt).subspan(golden::kIpv4MinHeader);
    Bytes esp;
    const auto r = client.engine.encap_payload(client.out, golden::kIpProtoUdp, segment,
                                               golden::Ipv4Header{}, esp);
    EXPECT_TRUE(r.ok()) << lm::to_string(r.reason);
    return esp;
  }

  // The client sends L2TP through its SA; the packet arrives on our port after the NAT.
  void client_sends(Client& client, ByteView l2tp, std::uint16_t lac_port = kLacPort) {
    wire_->send(nat_out(client_seals(client, l2tp, lac_port)));
  }

  // The client's NAT: inside 198.18.0.15:4500 <-> outside 198.18.1.1:nat_port for ESP in UDP.
  Bytes nat_out(Bytes pkt) const {
    if (pkt[9] != golden::kIpProtoUdp) return pkt;
    store_be32(pkt.data() + 12, kNatOutside);
    store_be16(pkt.data() + 20, nat_port_);
    golden::refresh_ipv4_checksum(pkt);
    return pkt;
  }
  Bytes nat_in(Bytes pkt) const {
    if (pkt[9] != golden::kIpProtoUdp) return pkt;
    EXPECT_EQ(load_be32(pkt.data() + 16), kNatOutside);
    EXPECT_EQ(load_be16(pkt.data() + 22), nat_port_);
    store_be32(pkt.data() + 16, kClientInside);
    store_be16(pkt.data() + 22, golden::kPortNatT);
    golden::refresh_ipv4_checksum(pkt);
    return pkt;
  }
  // What the client receives from the gateway, after its NAT.
  std::optional<Bytes> client_receives() {
    auto pkt = wire_->receive();
    if (!pkt) return std::nullopt;
    return nat_in(std::move(*pkt));
  }

  std::uint16_t nat_port_ = kNatPort;
  std::uint32_t next_out_spi_ = 1;
  std::unique_ptr<MemoryPort> wire_;  // the far side of the line-module port
  std::unique_ptr<Backend> backend_;
};

const Bytes kL2tpHello = hex("c80200140001000000010001800800000000000600");

TEST_P(BackendConformance, ProtectedL2tpArrivesWithItsHandleAndRepliesGoBackThroughTheSa) {
  for (const auto encap : {lm::Encap::kUdp, lm::Encap::kNone}) {
    SetUp();
    Client client;
    install(7, client, lm::Cipher::kAesCbc128, lm::Integ::kHmacSha1, encap);
    client_sends(client, kL2tpHello, 1702);
    const auto hp = backend_->receive();
    ASSERT_TRUE(hp.has_value());
    EXPECT_EQ(hp->pkt_class, encap == lm::Encap::kUdp ? lm::PktClass::kEspUdp : lm::PktClass::kEsp);
    EXPECT_EQ(hp->handle, 7u);
    EXPECT_TRUE(hp->is_protected());
    EXPECT_EQ(hp->inner_src_port, 1702);
    EXPECT_EQ(hp->inner_dst_port, golden::kPortL2tp);
    EXPECT_EQ(hp->payload, kL2tpHello);
    EXPECT_FALSE(backend_->receive().has_value());

    const Bytes reply = hex("c802000c0001000000000000");
    ASSERT_TRUE(backend_->send_l2tp(7, 1702, reply).ok());
    const auto wire = client_receives();
    ASSERT_TRUE(wire.has_value());
    Bytes inner;
    const auto r = client.engine.decap(*wire, inner);
    ASSERT_TRUE(r.ok()) << lm::to_string(r.reason);
    // Transport mode: IPv4 + UDP 1701 -> 1702 + the message, checksum valid for the client.
    ASSERT_EQ(inner.size(), 20 + 8 + reply.size());
    EXPECT_EQ(load_be16(inner.data() + 20), golden::kPortL2tp);
    EXPECT_EQ(load_be16(inner.data() + 22), 1702);
    EXPECT_TRUE(golden::udp_checksum_ok(kGateway, kClientInside, ByteView(inner).subspan(20)));
    EXPECT_TRUE(std::equal(reply.begin(), reply.end(), inner.begin() + 28));
  }
}

// 3DES, which the line module does not implement: the back end serves it on its software path
// (chosen per SA, shown in the SA's status) and it carries L2TP both ways all the same, in plain
// ESP and in ESP-in-UDP. On the line module the inbound ESP reaches the host through a host-path
// SA-table entry and the sealed replies leave through TX_IP.
TEST_P(BackendConformance, TripleDesIsServedOnTheSoftwarePathBothWays) {
  for (const auto encap : {lm::Encap::kUdp, lm::Encap::kNone}) {
    SetUp();
    Client client;
    std::uint32_t spi_in = 0;
    install(11, client, lm::Cipher::kDes3Cbc, lm::Integ::kHmacSha1, encap, kNatPort, &spi_in);
    for (int i = 0; i < 3; ++i) {
      const Bytes msg = random(20 + 37 * i);
      client_sends(client, msg, 1703);
      const auto hp = backend_->receive();
      ASSERT_TRUE(hp.has_value()) << "packet " << i;
      EXPECT_EQ(hp->pkt_class,
                encap == lm::Encap::kUdp ? lm::PktClass::kEspUdp : lm::PktClass::kEsp);
      EXPECT_EQ(hp->handle, 11u);
      EXPECT_TRUE(hp->is_protected());
      EXPECT_EQ(hp->spi, spi_in);
      EXPECT_EQ(hp->inner_src_port, 1703);
      EXPECT_EQ(hp->inner_dst_port, golden::kPortL2tp);
      EXPECT_EQ(hp->payload, msg);
      EXPECT_FALSE(backend_->receive().has_value());

      const Bytes reply = random(12 + 29 * i);
      ASSERT_TRUE(backend_->send_l2tp(11, 1703, reply).ok());
      const auto wire = client_receives();
      ASSERT_TRUE(wire.has_value()) << "reply " << i;
      EXPECT_EQ((*wire)[9], encap == lm::Encap::kUdp ? golden::kIpProtoUdp : golden::kIpProtoEsp);
      Bytes inner;
      const auto r = client.engine.decap(*wire, inner);
      ASSERT_TRUE(r.ok()) << lm::to_string(r.reason);
      ASSERT_EQ(inner.size(), 20 + 8 + reply.size());
      EXPECT_EQ(load_be16(inner.data() + 22), 1703);
      EXPECT_TRUE(golden::udp_checksum_ok(kGateway, kClientInside, ByteView(inner).subspan(20)));
      EXPECT_TRUE(std::equal(reply.begin(), reply.end(), inner.begin() + 28));
      EXPECT_FALSE(wire_->receive().has_value());
    }
    // The SA's status names its data path and counts what it carried.
    const auto in = backend_->query_sa(spi_in, lm::Direction::kInbound);
    ASSERT_TRUE(in.has_value());
    EXPECT_EQ(in->path, DataPath::kSoftware);
    EXPECT_EQ(in->handle, 11u);
    EXPECT_EQ(in->sa.cipher, lm::Cipher::kDes3Cbc);
    EXPECT_EQ(in->stats.packets, 3u);
    int listed = 0;
    for (const auto& st : backend_->list_sas()) {
      if (st.handle != 11) continue;
      ++listed;
      EXPECT_EQ(st.path, DataPath::kSoftware);
      EXPECT_TRUE(std::all_of(st.sa.enc_key.begin(), st.sa.enc_key.end(),
                              [](std::uint8_t b) { return b == 0; }));
    }
    EXPECT_EQ(listed, 2);
    // Deleted, its packets are unknown again.
    ASSERT_TRUE(backend_->del_sa(spi_in, lm::Direction::kInbound).ok());
    client_sends(client, kL2tpHello);
    EXPECT_FALSE(backend_->receive().has_value());
  }
}

// Beside a 3DES client, an AES one stays on the line module (where there is one).
TEST_P(BackendConformance, TheDataPathIsChosenPerSa) {
  Client des, aes;
  std::uint32_t des_in = 0, aes_in = 0;
  install(21, des, lm::Cipher::kDes3Cbc, lm::Integ::kHmacSha1, lm::Encap::kUdp, 40021, &des_in);
  install(22, aes, lm::Cipher::kAesCbc128, lm::Integ::kHmacSha1, lm::Encap::kUdp, 40022, &aes_in);
  const auto d = backend_->query_sa(des_in, lm::Direction::kInbound);
  const auto a = backend_->query_sa(aes_in, lm::Direction::kInbound);
  ASSERT_TRUE(d && a);
  EXPECT_EQ(d->path, DataPath::kSoftware);
  const bool line_module = backend_->name() == "line-module";
  EXPECT_EQ(a->path, line_module ? DataPath::kLineModule : DataPath::kSoftware);
  nat_port_ = 40021;
  client_sends(des, kL2tpHello);
  nat_port_ = 40022;
  client_sends(aes, kL2tpHello);
  std::set<SaHandle> handles;
  while (auto hp = backend_->receive()) handles.insert(hp->handle);
  EXPECT_EQ(handles, (std::set<SaHandle>{21, 22}));
}

TEST_P(BackendConformance, TwoClientsBehindOneNatStayApart) {
  Client a, b;
  install(1, a, lm::Cipher::kAesCbc256, lm::Integ::kHmacSha256, lm::Encap::kUdp, 40001);
  install(2, b, lm::Cipher::kAesCbc128, lm::Integ::kHmacSha1, lm::Encap::kUdp, 40002);
  nat_port_ = 40001;
  client_sends(a, kL2tpHello);  // same inner address and port 1701 for both
  nat_port_ = 40002;
  client_sends(b, kL2tpHello);
  const auto first = backend_->receive();
  const auto second = backend_->receive();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->handle, 1u);
  EXPECT_EQ(first->peer.port, 40001);
  EXPECT_EQ(second->handle, 2u);
  EXPECT_EQ(second->peer.port, 40002);
  // A reply on handle 2 decrypts at b, not at a.
  ASSERT_TRUE(backend_->send_l2tp(2, kLacPort, kL2tpHello).ok());
  nat_port_ = 40002;
  const auto wire = client_receives();
  ASSERT_TRUE(wire);
  Bytes inner;
  EXPECT_FALSE(a.engine.decap(*wire, inner).ok());
  EXPECT_TRUE(b.engine.decap(*wire, inner).ok());
}

TEST_P(BackendConformance, IkeOnBothPortsAndTheNonEspMarker) {
  const Bytes ike = hex("0011223344556677000000000000000001100200000000000000001c");
  wire_->send(golden::build_udp_packet(kNatOutside, kGateway, 500, 500, ike));
  Bytes marked(4, 0);
  marked.insert(marked.end(), ike.begin(), ike.end());
  wire_->send(golden::build_udp_packet(kNatOutside, kGateway, kNatPort, 4500, marked));
  auto p500 = backend_->receive();
  auto p4500 = backend_->receive();
  ASSERT_TRUE(p500 && p4500);
  EXPECT_EQ(p500->pkt_class, lm::PktClass::kIke);
  EXPECT_EQ(p4500->pkt_class, lm::PktClass::kIkeNatt);
  EXPECT_EQ(p500->payload, ike);
  EXPECT_EQ(p4500->payload, ike);  // marker removed
  EXPECT_EQ(p4500->peer, (Endpoint{kNatOutside, kNatPort}));
  EXPECT_EQ(p4500->local, (Endpoint{kGateway, 4500}));

  ASSERT_TRUE(backend_->send_ike({kGateway, 4500}, {kNatOutside, kNatPort}, ike).ok());
  const auto wire = wire_->receive();
  ASSERT_TRUE(wire);
  const ByteView udp_payload = ByteView(*wire).subspan(28);
  EXPECT_EQ(Bytes(udp_payload.begin(), udp_payload.begin() + 4), Bytes(4, 0));
  EXPECT_EQ(Bytes(udp_payload.begin() + 4, udp_payload.end()), ike);
}

TEST_P(BackendConformance, KeepalivesReplaysAndJunkAreCountedNotHandedUp) {
  Client client;
  install(3, client, lm::Cipher::kAesCbc128, lm::Integ::kHmacSha1, lm::Encap::kUdp);
  const Bytes keepalive{0xff};
  wire_->send(golden::build_udp_packet(kNatOutside, kGateway, kNatPort, 4500, keepalive));
  client_sends(client, kL2tpHello);
  const auto good = wire_->pending();
  ASSERT_EQ(good, 0u);  // the wire end holds nothing of ours
  // A packet, then the same packet again (a replay).
  const Bytes esp = client_seals(client, kL2tpHello);
  wire_->send(nat_out(esp));
  wire_->send(nat_out(esp));  // replayed
  Bytes corrupt = client_seals(client, kL2tpHello);
  corrupt[corrupt.size() - 1] ^= 1;  // a fresh sequence number with a bad ICV
  wire_->send(nat_out(corrupt));
  wire_->send(hex("45000014000000004001"));  // truncated IPv4

  int handed_up = 0;
  while (auto hp = backend_->receive()) ++handed_up;
  EXPECT_EQ(handed_up, 2);  // the two good ESP packets; nothing else
  auto* soft = dynamic_cast<SoftBackend*>(backend_.get());
  if (soft != nullptr) {
    EXPECT_EQ(soft->counters().keepalives_discarded, 1u);
    EXPECT_EQ(soft->counters().drops[static_cast<std::size_t>(lm::DropReason::kReplay)], 1u);
    EXPECT_EQ(soft->counters().drops[static_cast<std::size_t>(lm::DropReason::kBadIcv)], 1u);
  }
  std::uint32_t spi_in = 0;
  for (const auto& st : backend_->list_sas()) {
    if (st.handle == 3 && st.sa.direction == lm::Direction::kInbound) spi_in = st.sa.spi;
  }
  const auto st = backend_->query_sa(spi_in, lm::Direction::kInbound);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->stats.packets, 2u);
  EXPECT_EQ(st->stats.replay_drop, 1u);
  EXPECT_EQ(st->stats.icv_fail, 1u);
  EXPECT_TRUE(std::all_of(st->sa.enc_key.begin(), st->sa.enc_key.end(), [](std::uint8_t b) {
    return b == 0;
  })) << "query_sa must not hand out keys";
}

TEST_P(BackendConformance, RekeyIsMakeBeforeBreakAndTheHandleStays) {
  Client old_client, new_client;
  std::uint32_t old_in = 0, new_in = 0;
  install(5, old_client, lm::Cipher::kAesCbc128, lm::Integ::kHmacSha1, lm::Encap::kUdp, kNatPort,
          &old_in);
  install(5, new_client, lm::Cipher::kAesCbc128, lm::Integ::kHmacSha1, lm::Encap::kUdp, kNatPort,
          &new_in);
  // Both inbound SAs work during the overlap, under the same handle.
  client_sends(old_client, kL2tpHello);
  client_sends(new_client, kL2tpHello);
  auto a = backend_->receive();
  auto b = backend_->receive();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->handle, 5u);
  EXPECT_EQ(b->handle, 5u);
  EXPECT_NE(a->spi, b->spi);
  // Outbound already uses the new SA.
  ASSERT_TRUE(backend_->send_l2tp(5, kLacPort, kL2tpHello).ok());
  auto wire = client_receives();
  Bytes inner;
  ASSERT_TRUE(wire);
  EXPECT_TRUE(new_client.engine.decap(*wire, inner).ok());
  // Retire the old inbound SA: its packets are now unknown.
  ASSERT_TRUE(backend_->del_sa(old_in, lm::Direction::kInbound).ok());
  client_sends(old_client, kL2tpHello);
  EXPECT_FALSE(backend_->receive().has_value());
  EXPECT_FALSE(backend_->del_sa(old_in, lm::Direction::kInbound).ok());
}

// Quick Mode hands out our inbound SPI (QM2) before the SA is installed (after QM3); other pairs
// installed in between must not take what that SPI needs, so every pending SA still lands on the
// same data path as the pairs around it (on a line module: the RTL, not the host's slow path).
TEST_P(BackendConformance, SpisHandedOutStayInstallableWhileOtherPairsInstall) {
  constexpr int kPending = 150;
  auto sa = [](std::uint32_t spi, lm::Direction dir) {
    golden::SaConfig c;
    c.spi = spi;
    c.direction = dir;
    c.cipher = lm::Cipher::kAesCbc128;
    c.integ = lm::Integ::kHmacSha1;
    c.icv_len = lm::IcvLen::kIcv96;
    c.encap = lm::Encap::kUdp;
    c.enc_key = random(16);
    c.auth_key = random(20);
    c.local_addr = kGateway;
    c.peer_addr = kNatOutside;
    c.peer_port = kNatPort;
    c.local_port = golden::kPortNatT;
    return c;
  };
  std::vector<std::uint32_t> pending;
  for (int i = 0; i < kPending; ++i) pending.push_back(backend_->allocate_spi());
  // Other clients' pairs complete first: their outbound SAs go in while ours are pending.
  for (int i = 0; i < kPending; ++i) {
    const auto h = static_cast<SaHandle>(1000 + i);
    ASSERT_TRUE(
        backend_
            ->add_sa({h,
                      sa(0x60000000u + static_cast<std::uint32_t>(i), lm::Direction::kOutbound),
                      {},
                      {}})
            .ok());
  }
  const auto path = backend_->query_sa(0x60000000u, lm::Direction::kOutbound)->path;
  for (int i = 0; i < kPending; ++i) {
    const auto h = static_cast<SaHandle>(2000 + i);
    ASSERT_TRUE(
        backend_
            ->add_sa({h, sa(pending[static_cast<std::size_t>(i)], lm::Direction::kInbound), {}, {}})
            .ok());
  }
  int other_path = 0;
  for (const auto spi : pending) {
    const auto st = backend_->query_sa(spi, lm::Direction::kInbound);
    ASSERT_TRUE(st.has_value());
    if (st->path != path) ++other_path;
  }
  EXPECT_EQ(other_path, 0) << "of " << kPending << " inbound SAs whose SPI was handed out first";
}

TEST_P(BackendConformance, LifetimesRaiseEventsAndHardExpiryDeletes) {
  Client client;
  std::uint32_t spi_in = 0;
  install(9, client, lm::Cipher::kAesCbc128, lm::Integ::kHmacSha1, lm::Encap::kUdp, kNatPort,
          &spi_in, Lifetime{60, 0}, Lifetime{0, 100});
  const auto t0 = Clock::now();
  backend_->tick(t0 + 10s);
  EXPECT_FALSE(backend_->next_event().has_value());
  backend_->tick(t0 + 61s);
  int soft = 0;
  while (auto ev = backend_->next_event()) soft += ev->kind == EventKind::kSoftExpire;
  EXPECT_EQ(soft, 2);  // both directions
  // 100 bytes hard limit: a few packets in, the inbound SA goes.
  for (int i = 0; i < 6; ++i) client_sends(client, kL2tpHello);
  while (backend_->receive()) {
  }
  bool hard = false;
  while (auto ev = backend_->next_event()) {
    if (ev->kind == EventKind::kHardExpire && ev->spi == spi_in) hard = true;
  }
  EXPECT_TRUE(hard);
  EXPECT_FALSE(backend_->query_sa(spi_in, lm::Direction::kInbound).has_value());
}

TEST_P(BackendConformance, PeerMovedIsReportedAndFollowed) {
  Client client;
  install(4, client, lm::Cipher::kAesCbc128, lm::Integ::kHmacSha1, lm::Encap::kUdp, kNatPort);
  const Bytes pkt = client_seals(client, kL2tpHello);
  nat_port_ = 40999;  // the NAT rebinds to a new outside port
  wire_->send(nat_out(pkt));
  const auto hp = backend_->receive();
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->peer.port, 40999);
  const auto ev = backend_->next_event();
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->kind, EventKind::kPeerMoved);
  EXPECT_EQ(ev->peer, (Endpoint{kNatOutside, 40999}));
  ASSERT_TRUE(backend_->update_peer(4, ev->peer).ok());
  ASSERT_TRUE(backend_->send_l2tp(4, kLacPort, kL2tpHello).ok());
  const auto wire = wire_->receive();
  ASSERT_TRUE(wire);
  EXPECT_EQ(load_be16(wire->data() + 22), 40999);  // outer UDP destination port
}

TEST_P(BackendConformance, SendWithoutAnSaIsRefused) {
  const auto st = backend_->send_l2tp(42, kLacPort, kL2tpHello);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.reason, lm::DropReason::kUnknownSpi);
  EXPECT_FALSE(backend_->update_peer(42, {1, 2}).ok());
  EXPECT_FALSE(wire_->receive().has_value());
}

void PrintTo(const Factory& f, std::ostream* os) { *os << f.name; }

INSTANTIATE_TEST_SUITE_P(Backends, BackendConformance, ::testing::ValuesIn(kBackends),
                         [](const auto& p) { return std::string(p.param.name); });

// The real UDP port on loopback: datagrams become IPv4/UDP packets with the well-known ports.
TEST(UdpPort, WrapsAndUnwrapsDatagramsOnLoopback) {
  UdpPortOptions opt;
  opt.local_addr = 0x7f000001;
  opt.ike_port = 0;  // ephemeral ports for the test; presented as 500/4500/1701 all the same
  opt.natt_port = 0;
  opt.l2tp_port = 0;
  std::string error;
  auto port = UdpPort::open(opt, &error);
  ASSERT_TRUE(port) << error;
  // Refuses plain ESP and packets not from our address.
  Bytes esp = golden::build_udp_packet(0x7f000001, 0x7f000001, 500, 500, Bytes{1, 2, 3});
  esp[9] = golden::kIpProtoEsp;
  golden::refresh_ipv4_checksum(esp);
  EXPECT_FALSE(port->send(esp));
  EXPECT_FALSE(port->send(golden::build_udp_packet(0x7f000002, 0x7f000001, 500, 500, Bytes{1})));
  EXPECT_EQ(port->counters().tx_refused, 2u);
  EXPECT_FALSE(port->receive().has_value());

  // A client socket talks to the NAT-T socket: the datagram arrives as the packet it was.
  const int client = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(client, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(0x7f000001);
  to.sin_port = htons(port->bound_port(4500));
  const std::uint8_t keepalive = 0xff;
  ASSERT_EQ(sendto(client, &keepalive, 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to), 1);
  sockaddr_in me{};
  socklen_t len = sizeof me;
  ASSERT_EQ(getsockname(client, reinterpret_cast<sockaddr*>(&me), &len), 0);
  std::optional<Bytes> pkt;
  for (int i = 0; i < 100 && !pkt; ++i) {
    pkt = port->receive();
    if (!pkt) usleep(1000);
  }
  ASSERT_TRUE(pkt);
  ASSERT_EQ(pkt->size(), 20u + 8u + 1u);
  EXPECT_EQ(load_be32(pkt->data() + 12), 0x7f000001u);
  EXPECT_EQ(load_be16(pkt->data() + 20), ntohs(me.sin_port));
  EXPECT_EQ(load_be16(pkt->data() + 22), 4500);  // presented with the well-known port
  EXPECT_EQ((*pkt)[28], 0xff);
  // The reply goes out of the NAT-T socket to the client.
  const Bytes reply =
      golden::build_udp_packet(0x7f000001, 0x7f000001, 4500, ntohs(me.sin_port), Bytes{7, 8});
  ASSERT_TRUE(port->send(reply));
  std::uint8_t buf[16];
  sockaddr_in from{};
  len = sizeof from;
  ssize_t n = -1;
  for (int i = 0; i < 100 && n < 0; ++i) {
    n = recvfrom(client, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) usleep(1000);
  }
  ASSERT_EQ(n, 2);
  EXPECT_EQ(buf[0], 7);
  EXPECT_EQ(ntohs(from.sin_port), port->bound_port(4500));
  close(client);
}

}  // namespace
}  // namespace l2sec::ipsec
