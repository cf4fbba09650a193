// Our own rekeying (a Quick Mode as initiator on a soft expiry, make before break, the old pair
// deleted after the grace period), a simultaneous rekey by both ends leaving one pair, IKE SA
// expiry that keeps the children for a re-authenticating client, and deleting a pair by handle
// (the LNS's single-shot release).
#include <gtest/gtest.h>

#include "l2sec/log.hpp"
#include "two_peers.hpp"

using namespace l2sec;
using namespace l2sec::ike;
using namespace l2sec::ike::testing;

namespace {

const Clock::time_point kT0 = Clock::time_point{} + std::chrono::hours(1000);

class Quiet {
 public:
  Quiet() : old_(log::level()) { log::set_level(log::Level::kError); }
  ~Quiet() { log::set_level(old_); }

 private:
  log::Level old_;
};

struct Rekey : ::testing::Test {
  void SetUp() override { start(TwoPeers::initiator_config()); }
  void start(InitiatorConfig icfg) {
    net = std::make_unique<TwoPeers>(TwoPeers::responder_config(), std::move(icfg), true);
    net->responder->on_child_up = [this](const ChildInfo& i) { up.push_back(i); };
    net->responder->on_child_down = [this](SaHandle h) { down.push_back(h); };
    net->run(kT0);
    ASSERT_EQ(net->initiator->state(), InitiatorState::kDone) << net->initiator->error();
    ASSERT_EQ(up.size(), 1u);
  }
  void soft_expire(std::uint32_t spi, Clock::time_point now) {
    ipsec::Event ev;
    ev.kind = ipsec::EventKind::kSoftExpire;
    ev.handle = up[0].handle;
    ev.spi = spi;
    net->responder->on_event(ev, now);
  }
  // The keys of our inbound SA are the initiator's outbound ones and the other way round.
  void expect_pair_matches(std::uint32_t spi_in, std::uint32_t spi_out) {
    const auto& r = net->rb.sas;
    const auto& i = net->ib.sas;
    auto rin = r.find({spi_in, lm::Direction::kInbound});
    auto iout = i.find({spi_in, lm::Direction::kOutbound});
    auto rout = r.find({spi_out, lm::Direction::kOutbound});
    auto iin = i.find({spi_out, lm::Direction::kInbound});
    ASSERT_TRUE(rin != r.end() && iout != i.end() && rout != r.end() && iin != i.end());
    EXPECT_EQ(rin->second.sa.enc_key, iout->second.sa.enc_key);
    EXPECT_EQ(rin->second.sa.auth_key, iout->second.sa.auth_key);
    EXPECT_EQ(rout->second.sa.enc_key, iin->second.sa.enc_key);
    EXPECT_EQ(rout->second.sa.auth_key, iin->second.sa.auth_key);
  }
  std::unique_ptr<TwoPeers> net;
  std::vector<ChildInfo> up;
  std::vector<SaHandle> down;
};

}  // namespace

TEST_F(Rekey, SoftExpiryRekeysKeepingTheHandleThenDeletesTheOldPair) {
  const auto t1 = kT0 + std::chrono::seconds(3000);
  soft_expire(up[0].spi_in, t1);
  net->pump(t1);
  const auto& rc = net->responder->counters();
  EXPECT_EQ(rc.rekeys_started, 1u);
  EXPECT_EQ(rc.rekeys_done, 1u);
  EXPECT_EQ(net->initiator->counters().peer_rekeys, 1u);
  ASSERT_EQ(up.size(), 2u);
  EXPECT_EQ(up[1].handle, up[0].handle);
  EXPECT_NE(up[1].spi_in, up[0].spi_in);
  EXPECT_EQ(up[1].encap, lm::Encap::kUdp);
  // Inbound first, then outbound (which the back end makes active for the handle at once).
  ASSERT_EQ(net->rb.added.size(), 4u);
  EXPECT_EQ(net->rb.added[2].sa.direction, lm::Direction::kInbound);
  EXPECT_EQ(net->rb.added[3].sa.direction, lm::Direction::kOutbound);
  EXPECT_EQ(net->rb.added[3].handle, up[0].handle);
  expect_pair_matches(up[1].spi_in, up[1].spi_out);
  EXPECT_EQ(net->rb.sas.size(), 4u);  // make before break

  net->responder->tick(t1 + std::chrono::seconds(5));  // within the grace
  EXPECT_EQ(net->rb.sas.size(), 4u);
  net->responder->tick(t1 + std::chrono::seconds(11));
  net->pump(t1 + std::chrono::seconds(11));
  EXPECT_EQ(rc.children_retired, 1u);
  EXPECT_EQ(net->rb.sas.size(), 2u);
  EXPECT_EQ(net->responder->child_sas().at(0).spi_in, up[1].spi_in);
  EXPECT_EQ(net->initiator->counters().deletes, 1u);  // the DELETE for the old pair arrived
  EXPECT_TRUE(down.empty()) << "the handle (and the L2TP tunnel on it) lives on";
}

TEST_F(Rekey, PfsIsRepeated) {
  up.clear();
  auto icfg = TwoPeers::initiator_config();
  icfg.pfs_group = 14;
  start(icfg);
  soft_expire(up[0].spi_out, kT0);
  net->pump(kT0);
  ASSERT_EQ(up.size(), 2u);
  expect_pair_matches(up[1].spi_in, up[1].spi_out);
  EXPECT_EQ(net->responder->counters().rekeys_done, 1u);
}

TEST_F(Rekey, SimultaneousRekeyLeavesOnePair) {
  soft_expire(up[0].spi_in, kT0);                 // our QM1 is queued ...
  ASSERT_TRUE(net->initiator->rekey_child(kT0));  // ... and so is the client's
  net->pump(kT0);
  ASSERT_EQ(up.size(), 3u);
  EXPECT_EQ(net->responder->counters().rekeys_done, 1u);
  EXPECT_EQ(net->initiator->counters().peer_rekeys, 1u);
  net->responder->tick(kT0 + std::chrono::seconds(11));
  net->pump(kT0 + std::chrono::seconds(11));
  EXPECT_EQ(net->responder->counters().children_retired, 2u);
  const auto left = net->responder->child_sas();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].spi_in, up[2].spi_in);  // the pair installed last
  EXPECT_EQ(net->rb.sas.size(), 2u);
  EXPECT_TRUE(down.empty());
}

TEST_F(Rekey, AfterAClientRekeyTheOldPairsSoftExpiryDoesNothing) {
  ASSERT_TRUE(net->initiator->rekey_child(kT0));
  net->pump(kT0);
  ASSERT_EQ(up.size(), 2u);
  soft_expire(up[0].spi_in, kT0 + std::chrono::seconds(1));
  net->pump(kT0);
  EXPECT_EQ(net->responder->counters().rekeys_started, 0u);
}

TEST_F(Rekey, UnansweredRekeyIsCountedAndTheOldPairStays) {
  Quiet q;
  net->initiator->set_answer_rekeys(false);
  soft_expire(up[0].spi_in, kT0);
  net->pump(kT0);
  for (int s = 1; s <= 10; ++s) {
    net->responder->tick(kT0 + std::chrono::seconds(3 * s));
    net->pump(kT0 + std::chrono::seconds(3 * s));
  }
  const auto& rc = net->responder->counters();
  EXPECT_EQ(rc.rekeys_started, 1u);
  EXPECT_EQ(rc.rekeys_failed, 1u);
  EXPECT_GE(rc.qm_retransmits, 3u);
  EXPECT_EQ(net->responder->child_sas().size(), 1u);
  EXPECT_EQ(net->rb.sas.size(), 2u);
}

TEST_F(Rekey, IkeSaExpiryKeepsTheChildrenForTheNextIkeSa) {
  const auto life = std::chrono::seconds(net->responder->ike_sas().at(0).lifetime_s);
  const auto t1 = kT0 + life + std::chrono::seconds(1);
  net->responder->tick(t1);
  net->pump(t1);
  const auto& rc = net->responder->counters();
  EXPECT_EQ(rc.ike_expired, 1u);
  EXPECT_TRUE(net->responder->ike_sas().empty());
  EXPECT_EQ(net->responder->child_sas().size(), 1u);  // until its own expiry
  EXPECT_EQ(net->rb.sas.size(), 2u);
  EXPECT_TRUE(down.empty());
  // Without an IKE SA there is nothing to rekey on: the pair just runs out.
  soft_expire(up[0].spi_in, t1);
  EXPECT_EQ(rc.rekeys_started, 0u);
  // The client authenticates again (no INITIAL-CONTACT): the new IKE SA adopts the pair.
  auto icfg = TwoPeers::initiator_config();
  icfg.initial_contact = false;
  icfg.handle = 2;
  net->initiator = std::make_unique<Initiator>(icfg, net->ib);
  net->run(t1);
  ASSERT_EQ(net->initiator->state(), InitiatorState::kDone) << net->initiator->error();
  EXPECT_EQ(rc.children_adopted, 1u);
  const auto sas = net->responder->ike_sas();
  ASSERT_EQ(sas.size(), 1u);
  EXPECT_EQ(sas[0].children, 2u);
}

TEST_F(Rekey, DeleteByHandleSendsDeleteAndRemovesThePair) {
  EXPECT_FALSE(net->responder->delete_child_sa(99, "no such handle"));
  EXPECT_TRUE(net->responder->delete_child_sa(up[0].handle, "test"));
  net->pump(kT0);
  EXPECT_TRUE(net->rb.sas.empty());
  EXPECT_TRUE(net->responder->child_sas().empty());
  EXPECT_EQ(net->initiator->counters().deletes, 1u);
  EXPECT_EQ(down, std::vector<SaHandle>{up[0].handle});
}

TEST_F(Rekey, SingleShotReleaseWaitsForTheNextTick) {
  EXPECT_TRUE(net->responder->release_child_sa(up[0].handle));
  EXPECT_EQ(net->rb.sas.size(), 2u);  // not from inside the caller
  EXPECT_TRUE(down.empty());
  net->responder->tick(kT0);
  net->pump(kT0);
  EXPECT_TRUE(net->rb.sas.empty());
  EXPECT_EQ(net->initiator->counters().deletes, 1u);
  EXPECT_EQ(down, std::vector<SaHandle>{up[0].handle});
}

TEST(Sha256With96BitIcv, ChosenByConfigurationKeptByTheRekey) {
  auto rcfg = TwoPeers::responder_config();
  rcfg.esp_proposals = {{lm::Cipher::kAesCbc128, lm::Integ::kHmacSha256, true}};
  auto icfg = TwoPeers::initiator_config();
  icfg.esp = {lm::Cipher::kAesCbc128, lm::Integ::kHmacSha256, true};
  TwoPeers net(rcfg, icfg, true);
  net.run(kT0);
  ASSERT_EQ(net.initiator->state(), InitiatorState::kDone) << net.initiator->error();
  ASSERT_EQ(net.rb.sas.size(), 2u);
  for (const auto& [k, s] : net.rb.sas) EXPECT_EQ(s.sa.icv_len, lm::IcvLen::kIcv96);
  const auto child = net.responder->child_sas().at(0);
  EXPECT_EQ(to_string(child.suite), "aes128-sha256-96");
  ipsec::Event ev;
  ev.kind = ipsec::EventKind::kSoftExpire;
  ev.spi = child.spi_in;
  net.responder->on_event(ev, kT0);
  net.pump(kT0);
  ASSERT_EQ(net.rb.sas.size(), 4u);
  for (const auto& [k, s] : net.rb.sas) EXPECT_EQ(s.sa.icv_len, lm::IcvLen::kIcv96);
  // Without the setting the same offer gets the standard 128-bit ICV.
  rcfg.esp_proposals = {{lm::Cipher::kAesCbc128, lm::Integ::kHmacSha256}};
  icfg.esp.sha256_96 = false;
  TwoPeers plain(rcfg, icfg, true);
  plain.run(kT0);
  ASSERT_EQ(plain.rb.sas.size(), 2u);
  for (const auto& [k, s] : plain.rb.sas) EXPECT_EQ(s.sa.icv_len, lm::IcvLen::kIcv128);
}

TEST_F(Rekey, LostQm3IsSentAgainForTheRetransmittedQm2) {
  ipsec::HostPacket last_to_responder;
  net->tap = [&](ipsec::Endpoint src, ipsec::Endpoint dst, ByteView msg) {
    if (dst.addr != kRouter) return;
    last_to_responder.pkt_class = TwoPeers::class_for(dst.port);
    last_to_responder.local = dst;
    last_to_responder.peer = src;
    last_to_responder.payload.assign(msg.begin(), msg.end());
  };
  const std::size_t first = net->seq;
  net->drop = [&](std::size_t i) { return i == first + 2; };  // QM1, QM2, [QM3 lost]
  soft_expire(up[0].spi_in, kT0);
  net->pump(kT0);
  EXPECT_EQ(net->responder->counters().rekeys_done, 1u);
  EXPECT_EQ(net->initiator->counters().peer_rekeys, 0u);
  const auto answered = net->responder->counters().retransmits_answered;
  net->responder->on_packet(last_to_responder, kT0);  // the client resends its QM2
  net->pump(kT0);
  EXPECT_EQ(net->responder->counters().retransmits_answered, answered + 1);
  EXPECT_EQ(net->initiator->counters().peer_rekeys, 1u);
  EXPECT_EQ(net->responder->counters().rekeys_done, 1u);  // not installed twice
  ASSERT_EQ(up.size(), 2u);
  expect_pair_matches(up[1].spi_in, up[1].spi_out);
}
