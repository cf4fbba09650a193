// The whole gateway over the line module: our own IKEv1 initiator, LAC and PPP client behind a
// simulated NAT bring a session up against the gateway running on LineModuleBackend, so IKE goes
// through the firmware's exception path and TX_IKE, and L2TP/PPP through the Verilated ESP lanes
// (driver::SimDevice in this process). The client side is the in-process gateway test's
// (tests/host/daemon/gateway_test.cpp), copied: NatPort, Client.
#include <gtest/gtest.h>

#include <memory>

#include "l2sec/config/parser.hpp"
#include "l2sec/daemon/gateway.hpp"
#include "l2sec/driver/sim_device.hpp"
#include "l2sec/golden/ipv4.hpp"
#include "l2sec/ike/initiator.hpp"
#include "l2sec/ipsec/line_module_backend.hpp"
#include "l2sec/ipsec/soft_backend.hpp"
#include "l2sec/l2tp/lac.hpp"
#include "l2sec/sim/lm/line_card.hpp"
#include "test_peer.hpp"

namespace l2sec::daemon {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kGateway = 0xc6120002;       // 198.18.0.2, the default config's profile
constexpr std::uint32_t kClientInside = 0xc612000f;  // 198.18.0.15 behind the NAT
constexpr std::uint32_t kNatOutside = 0xc6120101;    // 198.18.1.1

void fix_udp_checksum(Bytes& pkt) {
  const std::size_t hl = (pkt[0] & 0x0f) * 4u;
  if (pkt[9] != golden::kIpProtoUdp) return;
  const bool had = load_be16(pkt.data() + hl + 6) != 0;
  store_be16(pkt.data() + hl + 6, 0);
  if (had) {
    const std::uint16_t c = golden::udp_checksum(
        load_be32(pkt.data() + 12), load_be32(pkt.data() + 16), ByteView(pkt).subspan(hl));
    store_be16(pkt.data() + hl + 6, c == 0 ? 0xffff : c);
  }
  golden::refresh_ipv4_checksum(pkt);
}

// The client's side of a NAT: inside address:port <-> outside address:mapped port (500 -> base,
// 4500 -> base + 1). Packets for other mappings are dropped, as a NAT would.
class NatPort final : public ipsec::FramePort {
 public:
  NatPort(std::unique_ptr<ipsec::MemoryPort> wire, std::uint16_t base)
      : wire_(std::move(wire)), base_(base) {}
  bool send(ByteView packet) override {
    Bytes p(packet.begin(), packet.end());
    if (p[9] != golden::kIpProtoUdp) return false;  // a NAT without IPsec passthrough
    const std::uint16_t inside_port = load_be16(p.data() + 20);
    store_be32(p.data() + 12, kNatOutside);
    store_be16(p.data() + 20, static_cast<std::uint16_t>(base_ + (inside_port == 4500 ? 1 : 0)));
    fix_udp_checksum(p);
    return wire_->send(p);
  }
  std::optional<Bytes> receive() override {
    for (;;) {
      auto p = wire_->receive();
      if (!p) return p;
      const std::uint16_t port = load_be16(p->data() + 22);
      if (load_be32(p->data() + 16) != kNatOutside || (port != base_ && port != base_ + 1)) {
        continue;
      }
      store_be32(p->data() + 16, kClientInside);
      store_be16(p->data() + 22, port == base_ + 1 ? 4500 : 500);
      fix_udp_checksum(*p);
      return p;
    }
  }
  int fd() const override { return -1; }

 private:
  std::unique_ptr<ipsec::MemoryPort> wire_;
  std::uint16_t base_;
};

// One L2TP/IPsec client: IKE initiator, LAC and PPP peer on its own software back end.
struct Client {
  Client(std::unique_ptr<ipsec::FramePort> port, const std::string& psk, const std::string& user,
         const std::string& password, ike::Phase1Proposal p1, ike::EspProposal esp)
      : backend(std::move(port)) {
    ike::InitiatorConfig ic;
    ic.local = {kClientInside, 500};
    ic.remote = {kGateway, 500};
    ic.psk = psk;
    ic.ike = p1;
    ic.esp = esp;
    initiator = std::make_unique<ike::Initiator>(ic, backend);
    ppp::test::PeerConfig pc;
    pc.user = user;
    pc.password = password;
    pc.request_dns = true;
    peer = std::make_unique<ppp::test::TestPeer>(
        pc, [this](ByteView f) { lac->send_frame(session, f); });
  }

  void pump(ipsec::Clock::time_point now) {
    if (!started) {
      started = true;
      initiator->start(now);
    }
    while (auto pkt = backend.receive()) {
      if (pkt->pkt_class == lm::PktClass::kIke || pkt->pkt_class == lm::PktClass::kIkeNatt) {
        initiator->on_packet(*pkt, now);
      } else if (pkt->is_protected() && lac) {
        lac->on_datagram(pkt->payload, now);
      }
    }
    initiator->tick(now);
    if (initiator->state() == ike::InitiatorState::kDone && !lac) {
      l2tp::LacConfig lc;
      lac = std::make_unique<l2tp::Lac>(lc, [this](ByteView d) {
        const auto st = backend.send_l2tp(1, golden::kPortL2tp, d);
        EXPECT_TRUE(st.ok()) << st.error;
      });
      lac->on_frame = [this](std::uint16_t, ByteView f) { peer->receive(f, clock); };
      lac->connect(now);
    }
    if (lac) {
      clock = now;
      lac->tick(now);
      if (lac->state() == l2tp::Lac::State::kEstablished && session == 0) {
        session = lac->open_session(now);
      }
      if (session != 0 && !ppp_started &&
          lac->call_state(session) == l2tp::Lac::CallState::kEstablished) {
        ppp_started = true;
        peer->start(now);
      }
      if (ppp_started) peer->tick(now);
    }
  }

  ipsec::SoftBackend backend;
  std::unique_ptr<ike::Initiator> initiator;
  std::unique_ptr<l2tp::Lac> lac;
  std::unique_ptr<ppp::test::TestPeer> peer;
  std::uint16_t session = 0;
  bool started = false;
  bool ppp_started = false;
  ipsec::Clock::time_point clock{};
};

Bytes icmp_echo(std::uint32_t src, std::uint32_t dst, std::uint16_t seq) {
  Bytes icmp = {8, 0, 0, 0, 0x12, 0x34, 0, 0, 'l', '2', 's', 'e', 'c'};
  store_be16(icmp.data() + 6, seq);
  store_be16(icmp.data() + 2, golden::inet_checksum(icmp));
  Bytes ip(20 + icmp.size());
  golden::Ipv4Header h;
  h.total_length = static_cast<std::uint16_t>(ip.size());
  h.protocol = 1;
  h.src = src;
  h.dst = dst;
  golden::write_ipv4(h, ip);
  std::copy(icmp.begin(), icmp.end(), ip.begin() + 20);
  return ip;
}

TEST(GatewayOnLineModule, ClientBehindNatGetsASessionAndPingsThroughTheRtl) {
  const auto parsed = config::parse(config::default_config_text(), "<default>");
  ASSERT_TRUE(parsed.ok());
  const config::RouterConfig& cfg = *parsed.config;
  const auto* tp = config::find_transport_profile(cfg, "default", kGateway);
  ASSERT_NE(tp, nullptr);
  const auto* vr = config::find_virtual_router(cfg, "default");
  const auto* db = config::find_local_database(cfg, vr->local_database);
  ASSERT_NE(db, nullptr);
  ASSERT_FALSE(db->users.empty());

  auto [gw_end, client_end] = ipsec::make_memory_link();
  std::string error;
  auto device = driver::SimDevice::create("sim:gateway",
                                          std::make_unique<lmsim::EthernetPort>(std::move(gw_end)),
                                          lmsim::LineCardOptions{}, &error);
  ASSERT_TRUE(device) << error;
  auto* card = &device->card();
  auto backend = ipsec::LineModuleBackend::create(std::move(device), {}, &error);
  ASSERT_TRUE(backend) << error;
  auto gateway = Gateway::create(cfg, "default", *backend, nullptr, &error);
  ASSERT_TRUE(gateway) << error;
  Client c(std::make_unique<NatPort>(std::move(client_end), 40000), tp->pre_shared_key,
           db->users[0].name, db->users[0].password, {}, {});

  auto now = ipsec::Clock::now();
  auto run_until = [&](const std::function<bool()>& pred, std::chrono::seconds limit) {
    for (const auto t = now; now - t < limit; now += 10ms) {
      gateway->poll_once(now);
      c.pump(now);
      if (pred()) return true;
    }
    return false;
  };
  ASSERT_TRUE(run_until([&] { return c.peer->ipcp_open(); }, 60s))
      << "IKE " << static_cast<int>(c.initiator->state()) << " " << c.initiator->error();
  const auto sessions = gateway->sessions();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].l2tp.peer, (ipsec::Endpoint{kNatOutside, 40001}));
  ASSERT_TRUE(sessions[0].sa.has_value());
  // The child SA lives in the line module, not on the software path.
  const auto st = backend->query_sa(sessions[0].sa->spi_in, lm::Direction::kInbound);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->path, ipsec::DataPath::kLineModule);
  EXPECT_GT(st->stats.packets, 0u);
  // Ping the gateway's own PPP address: ESP decap and encap in the RTL both ways.
  const std::uint32_t lns = c.peer->server_address();
  c.peer->send_ip(icmp_echo(c.peer->address(), lns, 1));
  ASSERT_TRUE(run_until([&] { return !c.peer->ip_received().empty(); }, 5s));
  EXPECT_EQ(c.peer->ip_received().back()[20], 0);  // echo reply
  const auto counters = backend->counters_of_device();
  ASSERT_TRUE(counters);
  EXPECT_GT(counters->decap_packets, 3u);
  EXPECT_GT(counters->encap_packets, 3u);
  EXPECT_GT(counters->firmware[static_cast<std::size_t>(fw::FwCounter::kTxIke)], 2u);
  EXPECT_GT(card->counters().frames_in, counters->decap_packets);  // IKE went up too
}

}  // namespace
}  // namespace l2sec::daemon
