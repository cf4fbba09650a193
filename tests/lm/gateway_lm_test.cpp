// The whole gateway over the line module: our own IKEv1 initiator, LAC and PPP client behind a
// simulated NAT bring a session up against the gateway running on LineModuleBackend, so IKE goes
// through the firmware's exception path and TX_IKE, and L2TP/PPP through the Verilated ESP lanes
// (driver::SimDevice in this process). The client side (NatPort, Client) is the in-process gateway
// test's, tests/host/daemon/test_client.hpp.
#include <gtest/gtest.h>

#include <memory>

#include "l2sec/config/parser.hpp"
#include "l2sec/daemon/gateway.hpp"
#include "l2sec/driver/sim_device.hpp"
#include "l2sec/golden/ipv4.hpp"
#include "l2sec/ipsec/line_module_backend.hpp"
#include "l2sec/sim/lm/line_card.hpp"
#include "test_client.hpp"

namespace l2sec::daemon {
namespace {

using namespace std::chrono_literals;

using namespace test;  // NatPort, Client, the addresses

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
