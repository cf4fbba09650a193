// The whole gateway over a chassis of two line modules: two simulated line cards in this process
// (driver::SimDevice, each with its own Ethernet port and port address) under one
// ipsec::ChassisBackend, one client behind a NAT on each card's wire. Each session's SAs must sit
// in its own card, and traffic must flow through each.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "l2sec/config/parser.hpp"
#include "l2sec/daemon/gateway.hpp"
#include "l2sec/driver/sim_device.hpp"
#include "l2sec/golden/ipv4.hpp"
#include "l2sec/ipsec/chassis_backend.hpp"
#include "l2sec/ipsec/line_module_backend.hpp"
#include "l2sec/sim/lm/line_card.hpp"
#include "test_client.hpp"

namespace l2sec::daemon {
namespace {

using namespace std::chrono_literals;
using test::Client;
using test::icmp_echo;
using test::kClientInside;
using test::kGateway;
using test::kNatOutside;
using test::NatPort;

constexpr std::uint32_t kGateway2 = 0xc6120003;  // 198.18.0.3: the second card's port
constexpr const char* kPsk2 = "l2sec-second-card-psk";

// The default configuration plus a transport profile for the second card's address (with its
// own group key, so IKE must see which address a client dialled).
std::string two_card_config() {
  std::string text(config::default_config_text());
  const std::string profile =
      "ipsec transport profile lns2 virtual-router default ip address 198.18.0.3\n"
      "  application l2tp\n"
      "  pre-share \"" +
      std::string(kPsk2) +
      "\"\n"
      "  transform-set esp-aes128-sha esp-aes256-sha\n"
      "  lifetime seconds 3600\n"
      "  exit\n";
  const auto at = text.find("!\nvirtual-router default");
  EXPECT_NE(at, std::string::npos);
  text.insert(at, profile);
  return text;
}

std::unique_ptr<ipsec::LineModuleBackend> card(const char* name,
                                               std::unique_ptr<ipsec::MemoryPort> wire) {
  std::string error;
  auto device =
      driver::SimDevice::create(name, std::make_unique<lmsim::EthernetPort>(std::move(wire)),
                                lmsim::LineCardOptions{}, &error);
  if (!device) {
    ADD_FAILURE() << error;
    return nullptr;
  }
  auto backend = ipsec::LineModuleBackend::create(std::move(device), {}, &error);
  if (!backend) ADD_FAILURE() << error;
  return backend;
}

TEST(GatewayOnChassis, OneClientThroughEachOfTwoLineCards) {
  const auto parsed = config::parse(two_card_config(), "<two cards>");
  ASSERT_TRUE(parsed.ok()) << (parsed.errors.empty() ? "" : parsed.errors[0].to_string());
  const config::RouterConfig& cfg = *parsed.config;
  const auto* tp = config::find_transport_profile(cfg, "default", kGateway);
  ASSERT_NE(tp, nullptr);
  ASSERT_NE(config::find_transport_profile(cfg, "default", kGateway2), nullptr);
  const auto* vr = config::find_virtual_router(cfg, "default");
  const auto* db = config::find_local_database(cfg, vr->local_database);
  ASSERT_NE(db, nullptr);
  ASSERT_GE(db->users.size(), 2u);

  auto [gw0, wire0] = ipsec::make_memory_link();
  auto [gw1, wire1] = ipsec::make_memory_link();
  auto lm0 = card("sim:card0", std::move(gw0));
  auto lm1 = card("sim:card1", std::move(gw1));
  ASSERT_TRUE(lm0 && lm1);
  ipsec::LineModuleBackend* cards[2] = {lm0.get(), lm1.get()};
  std::vector<ipsec::ChassisSlot> slots;
  slots.push_back({"sim:card0", {kGateway}, std::move(lm0)});
  slots.push_back({"sim:card1", {kGateway2}, std::move(lm1)});
  std::string error;
  auto chassis = ipsec::ChassisBackend::create(std::move(slots), {}, &error);
  ASSERT_TRUE(chassis) << error;
  auto gateway = Gateway::create(cfg, "default", *chassis, nullptr, &error);
  ASSERT_TRUE(gateway) << error;

  // Client 0 dials 198.18.0.2 on card 0's wire, client 1 198.18.0.3 on card 1's.
  Client c0(std::make_unique<NatPort>(std::move(wire0), 40000), tp->pre_shared_key,
            db->users[0].name, db->users[0].password, {}, {});
  Client c1(std::make_unique<NatPort>(std::move(wire1), 41000), kPsk2, db->users[1].name,
            db->users[1].password, {}, {});
  ike::InitiatorConfig ic;
  ic.local = {kClientInside, 500};
  ic.remote = {kGateway2, 500};
  ic.psk = kPsk2;
  c1.initiator = std::make_unique<ike::Initiator>(ic, c1.backend);
  Client* clients[2] = {&c0, &c1};

  auto now = ipsec::Clock::now();
  auto run_until = [&](const std::function<bool()>& pred, std::chrono::seconds limit) {
    for (const auto t = now; now - t < limit; now += 10ms) {
      gateway->poll_once(now);
      c0.pump(now);
      c1.pump(now);
      if (pred()) return true;
    }
    return false;
  };
  ASSERT_TRUE(run_until([&] { return c0.peer->ipcp_open() && c1.peer->ipcp_open(); }, 60s))
      << "IKE " << static_cast<int>(c0.initiator->state()) << " " << c0.initiator->error() << " / "
      << static_cast<int>(c1.initiator->state()) << " " << c1.initiator->error();
  const auto sessions = gateway->sessions();
  ASSERT_EQ(sessions.size(), 2u);
  for (const auto& s : sessions) {
    ASSERT_TRUE(s.sa.has_value());
    // The NAT's base port says which client (and so which card) this is.
    const std::size_t k = s.l2tp.peer.port == 40001 ? 0 : 1;
    EXPECT_EQ(s.l2tp.peer,
              (ipsec::Endpoint{kNatOutside, static_cast<std::uint16_t>(k == 0 ? 40001 : 41001)}));
    EXPECT_EQ(s.user, db->users[k].name);
    EXPECT_EQ(chassis->slot_of_handle(s.l2tp.handle), k);
    EXPECT_EQ(chassis->slot_of_sa(s.sa->spi_in, lm::Direction::kInbound), k);
    EXPECT_EQ(chassis->slot_of_sa(s.sa->spi_out, lm::Direction::kOutbound), k);
    // In its own card, in the line module's engines; not in the other card.
    const auto in = cards[k]->query_sa(s.sa->spi_in, lm::Direction::kInbound);
    ASSERT_TRUE(in);
    EXPECT_EQ(in->path, ipsec::DataPath::kLineModule);
    EXPECT_EQ(in->sa.local_addr, k == 0 ? kGateway : kGateway2);
    EXPECT_GT(in->stats.packets, 0u);
    const auto out = cards[k]->query_sa(s.sa->spi_out, lm::Direction::kOutbound);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->path, ipsec::DataPath::kLineModule);
    EXPECT_FALSE(cards[1 - k]->query_sa(s.sa->spi_in, lm::Direction::kInbound));
    const auto via = chassis->query_sa(s.sa->spi_in, lm::Direction::kInbound);
    ASSERT_TRUE(via);
    EXPECT_EQ(via->slot, k);
  }
  const std::string show = gateway->show("ipsec sa");
  EXPECT_NE(show.find(" slot 0"), std::string::npos) << show;
  EXPECT_NE(show.find(" slot 1"), std::string::npos) << show;

  // Each client pings the gateway's PPP address: ESP decap and encap in its own card's RTL.
  for (std::size_t k = 0; k < 2; ++k) {
    Client& c = *clients[k];
    c.peer->send_ip(icmp_echo(c.peer->address(), c.peer->server_address(), 1));
    ASSERT_TRUE(run_until([&] { return !c.peer->ip_received().empty(); }, 5s)) << "client " << k;
    EXPECT_EQ(c.peer->ip_received().back()[20], 0);  // echo reply
  }
  for (std::size_t k = 0; k < 2; ++k) {
    const auto counters = cards[k]->counters_of_device();
    ASSERT_TRUE(counters);
    EXPECT_GT(counters->decap_packets, 3u) << "card " << k;
    EXPECT_GT(counters->encap_packets, 3u) << "card " << k;
    EXPECT_GT(counters->firmware[static_cast<std::size_t>(fw::FwCounter::kTxIke)], 2u)
        << "card " << k;
    EXPECT_GT(chassis->counters().slots[k].rx_packets, 0u);
    EXPECT_EQ(cards[k]->list_sas().size(), 2u) << "card " << k;
  }
  EXPECT_EQ(chassis->counters().no_slot, 0u);
}

}  // namespace
}  // namespace l2sec::daemon
