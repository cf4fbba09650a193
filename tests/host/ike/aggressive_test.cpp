// Aggressive Mode with preshared keys (RFC 2409 5.4, NAT-D in messages 2 and 3 per RFC 3947):
// refused (counted, logged, INVALID-EXCHANGE-TYPE) unless `ipsec option aggressive-mode`, then
// accepted with and without a NAT, followed by Quick Mode; a wrong key changes nothing.
#include <gtest/gtest.h>

#include "l2sec/log.hpp"
#include "two_peers.hpp"

using namespace l2sec;
using namespace l2sec::ike;
using namespace l2sec::ike::testing;

namespace {

const Clock::time_point kT0 = Clock::time_point{} + std::chrono::hours(1000);

InitiatorConfig aggressive(const std::string& psk = "group-secret") {
  auto c = TwoPeers::initiator_config(psk);
  c.aggressive = true;
  return c;
}

IkeConfig enabled() {
  auto c = TwoPeers::responder_config();
  c.aggressive_mode = true;
  return c;
}

}  // namespace

TEST(AggressiveMode, RefusedUnlessConfigured) {
  log::Level old = log::level();
  log::set_level(log::Level::kError);
  TwoPeers net(TwoPeers::responder_config(), aggressive(), true);
  net.run(kT0);
  log::set_level(old);
  EXPECT_EQ(net.initiator->state(), InitiatorState::kFailed);
  EXPECT_NE(net.initiator->error().find("notify 7"), std::string::npos) << net.initiator->error();
  EXPECT_EQ(net.responder->counters().aggressive_refused, 1u);
  EXPECT_TRUE(net.responder->ike_sas().empty());
  EXPECT_TRUE(net.rb.added.empty());
}

TEST(AggressiveMode, AcceptedBehindNatThenQuickMode) {
  TwoPeers net(enabled(), aggressive(), true);
  net.run(kT0);
  ASSERT_EQ(net.initiator->state(), InitiatorState::kDone) << net.initiator->error();
  const auto& rc = net.responder->counters();
  EXPECT_EQ(rc.aggressive_refused, 0u);
  EXPECT_EQ(rc.ike_established, 1u);
  EXPECT_EQ(rc.children_installed, 1u);
  EXPECT_EQ(rc.nat_detected, 1u);
  const auto sas = net.responder->ike_sas();
  ASSERT_EQ(sas.size(), 1u);
  EXPECT_EQ(sas[0].state, IkeState::kEstablished);
  EXPECT_TRUE(sas[0].nat_peer);
  EXPECT_TRUE(sas[0].group_psk);
  EXPECT_EQ(sas[0].peer_id, "198.18.0.15");
  EXPECT_EQ(sas[0].peer.port, kNatPort4500);  // the float to 4500 with AM3 was followed
  ASSERT_EQ(net.rb.sas.size(), 2u);
  for (const auto& [k, s] : net.rb.sas) EXPECT_EQ(s.sa.encap, lm::Encap::kUdp);
}

TEST(AggressiveMode, AcceptedWithoutNat) {
  TwoPeers net(enabled(), aggressive(), false);
  net.run(kT0);
  ASSERT_EQ(net.initiator->state(), InitiatorState::kDone) << net.initiator->error();
  EXPECT_EQ(net.responder->counters().nat_detected, 0u);
  ASSERT_EQ(net.rb.sas.size(), 2u);
  for (const auto& [k, s] : net.rb.sas) EXPECT_EQ(s.sa.encap, lm::Encap::kNone);
  // Informational exchanges work on the Aggressive Mode SA (its IV chain is right).
  net.initiator->send_dpd();
  net.pump(kT0);
  EXPECT_EQ(net.responder->counters().dpd_requests, 1u);
  EXPECT_EQ(net.initiator->counters().dpd_acks, 1u);
}

TEST(AggressiveMode, WrongKeyChangesNothing) {
  log::Level old = log::level();
  log::set_level(log::Level::kError);
  TwoPeers net(enabled(), aggressive("wrong"), false);
  net.run(kT0);
  log::set_level(old);
  // Our initiator already refuses AM2 (HASH_R): it sends no AM3. A forged AM3 is refused.
  EXPECT_EQ(net.initiator->state(), InitiatorState::kFailed);
  ASSERT_EQ(net.responder->ike_sas().size(), 1u);
  EXPECT_EQ(net.responder->ike_sas()[0].state, IkeState::kAmSent);
  const auto sa = net.responder->ike_sas()[0];
  PayloadChain chain;
  chain.add(PayloadType::kHash, Bytes(20, 0x42));
  Header h;
  h.icookie = sa.icookie;
  h.rcookie = sa.rcookie;
  h.exchange = ExchangeType::kAggressive;
  ipsec::HostPacket p;
  p.pkt_class = lm::PktClass::kIke;
  p.local = {kRouter, 500};
  p.peer = {kClient, 500};
  p.payload = assemble(h, chain);
  log::set_level(log::Level::kError);
  net.responder->on_packet(p, kT0);
  log::set_level(old);
  EXPECT_EQ(net.responder->counters().auth_failed, 1u);
  EXPECT_EQ(net.responder->counters().ike_established, 0u);
  EXPECT_EQ(net.responder->ike_sas()[0].state, IkeState::kAmSent);
}
