// The whole gateway in one process: our own IKEv1 initiator, LAC and PPP client (each written
// apart from the gateway's side) behind a simulated NAT bring a session up through the software
// back end, with the embedded default configuration. The real client (strongSwan + xl2tpd + pppd
// in a QEMU guest) is the interop suite's job; this is the fast check of the wiring between IKE,
// the back end, the LNS and PPP.
#include "l2sec/daemon/gateway.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <thread>

#include "l2sec/config/parser.hpp"
#include "l2sec/daemon/control.hpp"
#include "l2sec/golden/ipv4.hpp"
#include "test_client.hpp"

namespace l2sec::daemon {
namespace {

using namespace std::chrono_literals;

using namespace test;  // NatPort, Client, the addresses

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto parsed = config::parse(config::default_config_text(), "<default>");
    ASSERT_TRUE(parsed.ok());
    cfg_ = *parsed.config;
    const auto* tp = config::find_transport_profile(cfg_, "default", kGateway);
    ASSERT_NE(tp, nullptr);
    psk_ = tp->pre_shared_key;
    const auto* vr = config::find_virtual_router(cfg_, "default");
    const auto* db = config::find_local_database(cfg_, vr->local_database);
    ASSERT_NE(db, nullptr);
    ASSERT_GE(db->users.size(), 2u);
    users_ = db->users;
  }

  void start_gateway() {
    auto hub = std::make_unique<HubPort>();
    hub_ = hub.get();
    gw_backend_ = std::make_unique<ipsec::SoftBackend>(std::move(hub));
    std::string error;
    gateway_ = Gateway::create(cfg_, "default", *gw_backend_, nullptr, &error);
    ASSERT_TRUE(gateway_) << error;
  }

  Client& add_client(std::uint16_t nat_base, const config::LocalUser& user,
                     ike::Phase1Proposal p1 = {}, ike::EspProposal esp = {}) {
    auto [gw_end, client_end] = ipsec::make_memory_link();
    hub_->ends.push_back(std::move(gw_end));
    clients_.push_back(
        std::make_unique<Client>(std::make_unique<NatPort>(std::move(client_end), nat_base), psk_,
                                 user.name, user.password, p1, esp));
    return *clients_.back();
  }

  // Runs everything in simulated time until pred() or the deadline.
  bool run_until(const std::function<bool()>& pred, std::chrono::seconds limit = 60s) {
    for (auto t = now_; now_ - t < limit; now_ += 10ms) {
      gateway_->poll_once(now_);
      for (auto& c : clients_) c->pump(now_);
      if (pred()) return true;
    }
    return false;
  }

  // The gateway's port fans out to every client link by the peer's outside port.
  struct HubPort final : ipsec::FramePort {
    bool send(ByteView packet) override {
      for (auto& e : ends) e->send(packet);  // each NAT drops what is not for it
      return true;
    }
    std::optional<Bytes> receive() override {
      for (auto& e : ends) {
        if (auto p = e->receive()) return p;
      }
      return std::nullopt;
    }
    int fd() const override { return -1; }
    std::vector<std::unique_ptr<ipsec::MemoryPort>> ends;
  };

  config::RouterConfig cfg_;
  std::string psk_;
  std::vector<config::LocalUser> users_;
  HubPort* hub_ = nullptr;
  std::unique_ptr<ipsec::SoftBackend> gw_backend_;
  std::unique_ptr<Gateway> gateway_;
  std::vector<std::unique_ptr<Client>> clients_;
  ipsec::Clock::time_point now_ = ipsec::Clock::now();
};

TEST_F(GatewayTest, ClientBehindNatGetsAnAddressAndPingsTheGateway) {
  start_gateway();
  Client& c = add_client(40000, users_[0]);
  ASSERT_TRUE(run_until([&] { return c.peer->ipcp_open(); }))
      << "IKE " << static_cast<int>(c.initiator->state()) << " " << c.initiator->error();
  EXPECT_TRUE(c.initiator->nat_detected());
  const auto sessions = gateway_->sessions();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].user, users_[0].name);
  EXPECT_EQ(sessions[0].address, c.peer->address());
  EXPECT_NE(c.peer->address(), 0u);
  ASSERT_TRUE(sessions[0].sa.has_value());
  EXPECT_EQ(sessions[0].sa->encap, lm::Encap::kUdp);
  EXPECT_EQ(sessions[0].l2tp.peer, (ipsec::Endpoint{kNatOutside, 40001}));
  EXPECT_EQ(c.peer->dns1(), 0xc6130035u);  // 198.19.0.53 from the default config
  // The gateway answers ping on its own PPP address, through ESP both ways.
  const std::uint32_t lns = c.peer->server_address();
  EXPECT_EQ(lns, 0xc6130001u);
  c.peer->send_ip(icmp_echo(c.peer->address(), lns, 1));
  ASSERT_TRUE(run_until([&] { return !c.peer->ip_received().empty(); }, 5s));
  const Bytes& reply = c.peer->ip_received().back();
  EXPECT_EQ(reply[20], 0);  // echo reply
  EXPECT_EQ(load_be32(reply.data() + 12), lns);
  EXPECT_EQ(gateway_->counters().own_address_pings, 1u);
  // A packet with a source the client was not given is dropped and counted.
  c.peer->send_ip(icmp_echo(0xc6130063, lns, 2));
  run_until([] { return false; }, 1s);
  EXPECT_EQ(gateway_->counters().spoofed, 1u);
  EXPECT_NE(gateway_->show("l2tp session").find(users_[0].name), std::string::npos);
  EXPECT_NE(gateway_->show("ipsec sa").find("udp-encap"), std::string::npos);
}

// Live show over the control socket: abbreviations, errors that name the word, and the answer
// served from the gateway's own poll loop.
TEST_F(GatewayTest, ControlSocketAnswersShowCommandsWhileSessionsAreUp) {
  start_gateway();
  Client& c = add_client(40000, users_[0]);
  ASSERT_TRUE(run_until([&] { return c.peer->ipcp_open(); }));

  EXPECT_EQ(execute_command(*gateway_, "show l2tp session"), gateway_->show("l2tp session"));
  EXPECT_EQ(execute_command(*gateway_, "  sh  l2 sess "), gateway_->show("l2tp session"));
  EXPECT_EQ(execute_command(*gateway_, "sh ip sa"), gateway_->show("ipsec sa"));
  EXPECT_EQ(execute_command(*gateway_, "sh i sa"), "% Ambiguous command at \"i\" (ike, ipsec)\n");
  EXPECT_EQ(execute_command(*gateway_, "show l2tp"),
            "% Incomplete command (expected: tunnel session)\n");
  EXPECT_EQ(execute_command(*gateway_, "show ike sa detail"),
            "% Invalid input detected at \"detail\"\n");
  EXPECT_EQ(execute_command(*gateway_, "reload"), "% Invalid input detected at \"reload\"\n");
  EXPECT_NE(execute_command(*gateway_, "show gateway counters").find("host packets "),
            std::string::npos);

  const std::string path =
      ::testing::TempDir() + "l2secd-test-" + std::to_string(::getpid()) + ".sock";
  std::string error;
  auto control = ControlServer::open(
      path, [this](std::string_view line) { return execute_command(*gateway_, line); }, &error);
  ASSERT_TRUE(control) << error;
  // A second daemon on the same path is refused while the first answers.
  EXPECT_FALSE(ControlServer::open(
      path, [](std::string_view) { return std::string(); }, &error));
  EXPECT_NE(error.find("in use"), std::string::npos) << error;
  gateway_->add_poll_source(control->fd(), [&] { control->serve(); });

  std::optional<std::string> reply;
  std::thread client([&] {
    std::string e;
    reply = control_request(path, "show l2tp session", &e);
  });
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    client.join();
    stop = true;
  });
  gateway_->run(stop);
  stopper.join();
  ASSERT_TRUE(reply.has_value());
  EXPECT_NE(reply->find("user " + users_[0].name), std::string::npos) << *reply;
  EXPECT_EQ(control->counters().commands, 1u);
  control.reset();
  EXPECT_FALSE(control_request(path, "show ike sa", &error));
  EXPECT_NE(error.find("no daemon answers"), std::string::npos) << error;
}

TEST_F(GatewayTest, TwoClientsBehindOneNatStayApart) {
  start_gateway();
  // Same inside address, same ports (500, 4500, L2TP 1701); only the NAT mapping differs.
  Client& a = add_client(40000, users_[0]);
  Client& b = add_client(41000, users_[1], {lm::Cipher::kAesCbc256, ike::HashAlg::kSha256, 14},
                         {lm::Cipher::kAesCbc256, lm::Integ::kHmacSha256});
  ASSERT_TRUE(run_until([&] { return a.peer->ipcp_open() && b.peer->ipcp_open(); }));
  const auto sessions = gateway_->sessions();
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_NE(sessions[0].l2tp.handle, sessions[1].l2tp.handle);
  EXPECT_NE(a.peer->address(), b.peer->address());
  // Each gets its own echo back.
  a.peer->send_ip(icmp_echo(a.peer->address(), a.peer->server_address(), 1));
  b.peer->send_ip(icmp_echo(b.peer->address(), b.peer->server_address(), 2));
  ASSERT_TRUE(run_until(
      [&] { return !a.peer->ip_received().empty() && !b.peer->ip_received().empty(); }, 5s));
  EXPECT_EQ(load_be32(a.peer->ip_received().back().data() + 16), a.peer->address());
  EXPECT_EQ(load_be32(b.peer->ip_received().back().data() + 16), b.peer->address());
}

TEST_F(GatewayTest, ThreeDesWindowsStyleClientComesUp) {
  start_gateway();
  Client& c = add_client(40000, users_[0], {lm::Cipher::kDes3Cbc, ike::HashAlg::kSha1, 2},
                         {lm::Cipher::kDes3Cbc, lm::Integ::kHmacSha1});
  ASSERT_TRUE(run_until([&] { return c.peer->ipcp_open(); }));
  EXPECT_EQ(gateway_->sessions().size(), 1u);
}

TEST_F(GatewayTest, WrongPasswordBringsNoSession) {
  start_gateway();
  config::LocalUser wrong = users_[0];
  wrong.password += "-wrong";
  Client& c = add_client(40000, wrong);
  ASSERT_TRUE(run_until([&] { return c.peer->auth_ok().has_value(); }));
  EXPECT_FALSE(*c.peer->auth_ok());
  run_until([] { return false; }, 2s);
  EXPECT_TRUE(gateway_->sessions().empty());
  EXPECT_FALSE(c.peer->ipcp_open());
}

TEST_F(GatewayTest, WrongPresharedKeyFailsInMainMode) {
  start_gateway();
  psk_ += "-wrong";
  Client& c = add_client(40000, users_[0]);
  run_until([&] { return c.initiator->state() == ike::InitiatorState::kFailed; }, 30s);
  EXPECT_NE(c.initiator->state(), ike::InitiatorState::kDone);
  EXPECT_TRUE(gateway_->backend().list_sas().empty());
  EXPECT_GE(gateway_->ike().counters().decrypt_failed + gateway_->ike().counters().auth_failed, 1u);
}

}  // namespace
}  // namespace l2sec::daemon
