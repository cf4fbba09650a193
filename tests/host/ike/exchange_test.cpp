// Main Mode + Quick Mode between our Initiator and the Responder in one process, through fake back
// ends, with and without a NAT in between; the installed SAs must interoperate through the golden
// ESP model in both directions.
#include <gtest/gtest.h>

#include "l2sec/golden/esp.hpp"
#include "l2sec/ike/protocol.hpp"
#include "l2sec/log.hpp"
#include "two_peers.hpp"

using namespace l2sec;
using namespace l2sec::ike;
using namespace l2sec::ike::testing;

namespace {

const Clock::time_point kT0 = Clock::time_point{} + std::chrono::hours(1000);

struct Case {
  const char* name;
  Phase1Proposal ike;
  EspProposal esp;
  std::uint16_t pfs;
  bool nat;
  bool rfc;
};

const ipsec::SaSpec* find(const FakeBackend& b, lm::Direction d) {
  for (const auto& [k, s] : b.sas) {
    if (s.sa.direction == d) return &s;
  }
  return nullptr;
}

// One L2TP datagram from `from`'s outbound SA to `to`'s inbound SA, with the NAT rewriting the
// client's side in between. Returns the decapsulated UDP payload (empty on failure).
Bytes pass_esp(const ipsec::SaSpec& out_sa, const ipsec::SaSpec& in_sa, bool responder_sends,
               bool nat, bool check_checksum = true) {
  golden::EspEngine tx, rx;
  std::string err;
  auto h_out = tx.add_sa(out_sa.sa, &err);
  EXPECT_TRUE(h_out) << err;
  auto h_in = rx.add_sa(in_sa.sa, &err);
  EXPECT_TRUE(h_in) << err;
  if (!h_out || !h_in) return {};
  const Bytes l2tp = {0xc8, 0x02, 0x00, 0x14, 0, 1, 0, 0, 0, 0, 0, 0, 0x80, 8, 0, 0, 0, 0, 0, 1};
  Bytes seg(8 + l2tp.size());
  store_be16(&seg[0], 1701);
  store_be16(&seg[2], 1701);
  store_be16(&seg[4], static_cast<std::uint16_t>(seg.size()));
  std::copy(l2tp.begin(), l2tp.end(), seg.begin() + 8);
  store_be16(&seg[6], golden::udp_checksum(out_sa.sa.local_addr, out_sa.sa.peer_addr, seg));
  Bytes wire;
  golden::Ipv4Header fields;
  auto r = tx.encap_payload(*h_out, 17, seg, fields, wire);
  EXPECT_TRUE(r.ok()) << lm::to_string(r.reason);
  if (nat) {
    // The NAT: towards the client rewrite the destination, from the client the source.
    const std::size_t addr_off = responder_sends ? 16 : 12;
    const std::size_t port_off = responder_sends ? 22 : 20;
    if (responder_sends) {
      store_be32(&wire[addr_off], kClient);
      if (out_sa.sa.encap == lm::Encap::kUdp) store_be16(&wire[port_off], golden::kPortNatT);
    } else {
      store_be32(&wire[addr_off], kNatAddr);
      if (out_sa.sa.encap == lm::Encap::kUdp) store_be16(&wire[port_off], kNatPort4500);
    }
    golden::refresh_ipv4_checksum(wire);
  }
  Bytes plain;
  auto d = rx.decap(wire, plain);
  EXPECT_TRUE(d.ok()) << lm::to_string(d.reason);
  if (!d.ok()) return {};
  EXPECT_EQ(d.next_header, 17);
  lm::DropReason reason{};
  auto ip = golden::parse_ipv4(plain, &reason);
  EXPECT_TRUE(ip);
  const ByteView udp = ByteView(plain).subspan(ip->ihl_bytes);
  if (check_checksum) {
    EXPECT_TRUE(golden::udp_checksum_ok(ip->src, ip->dst, udp))
        << "inner UDP checksum after NAT-OA";
  }
  return Bytes(udp.begin() + 8, udp.end());
}

class Exchange : public ::testing::TestWithParam<Case> {};

}  // namespace

TEST_P(Exchange, MainModeQuickModeInstallsMatchingSas) {
  const Case& c = GetParam();
  auto icfg = TwoPeers::initiator_config();
  icfg.ike = c.ike;
  icfg.esp = c.esp;
  icfg.pfs_group = c.pfs;
  icfg.rfc3947 = c.rfc;
  TwoPeers net(TwoPeers::responder_config(), icfg, c.nat);
  std::vector<ChildInfo> up;
  net.responder->on_child_up = [&](const ChildInfo& i) { up.push_back(i); };
  net.run(kT0);
  ASSERT_EQ(net.initiator->state(), InitiatorState::kDone) << net.initiator->error();
  const auto& rc = net.responder->counters();
  EXPECT_EQ(rc.ike_established, 1u);
  EXPECT_EQ(rc.children_installed, 1u);
  EXPECT_EQ(rc.nat_detected, c.nat ? 1u : 0u);
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].encap, c.nat ? lm::Encap::kUdp : lm::Encap::kNone);
  EXPECT_EQ(up[0].peer_inner_addr, kClient);
  EXPECT_EQ(up[0].lac_port, 1701);
  EXPECT_EQ(net.initiator->nat_detected(), c.nat);

  auto sas = net.responder->ike_sas();
  ASSERT_EQ(sas.size(), 1u);
  EXPECT_EQ(sas[0].state, IkeState::kEstablished);
  EXPECT_EQ(sas[0].suite, c.ike);
  EXPECT_TRUE(sas[0].group_psk);
  EXPECT_EQ(sas[0].nat_t, c.rfc ? NatTMethod::kRfc3947 : NatTMethod::kDraft02);
  EXPECT_EQ(sas[0].peer_id, "198.18.0.15");
  if (c.nat) {
    EXPECT_EQ(sas[0].peer, (Endpoint{kNatAddr, kNatPort4500}));  // floated to 4500
    EXPECT_EQ(sas[0].local.port, 4500);
  }

  // Both sides: two SAs each, SPIs crossed, keys equal, encapsulation as negotiated.
  ASSERT_EQ(net.rb.sas.size(), 2u);
  ASSERT_EQ(net.ib.sas.size(), 2u);
  const auto* r_in = find(net.rb, lm::Direction::kInbound);
  const auto* r_out = find(net.rb, lm::Direction::kOutbound);
  const auto* i_in = find(net.ib, lm::Direction::kInbound);
  const auto* i_out = find(net.ib, lm::Direction::kOutbound);
  ASSERT_TRUE(r_in && r_out && i_in && i_out);
  EXPECT_EQ(net.rb.added.front().sa.direction, lm::Direction::kInbound) << "inbound first";
  EXPECT_EQ(r_in->sa.spi, i_out->sa.spi);
  EXPECT_EQ(r_out->sa.spi, i_in->sa.spi);
  EXPECT_EQ(r_in->sa.enc_key, i_out->sa.enc_key);
  EXPECT_EQ(r_in->sa.auth_key, i_out->sa.auth_key);
  EXPECT_EQ(r_out->sa.enc_key, i_in->sa.enc_key);
  EXPECT_NE(r_in->sa.enc_key, r_out->sa.enc_key);
  EXPECT_EQ(r_in->sa.enc_key.size(), golden::cipher_key_len(c.esp.cipher));
  EXPECT_EQ(r_in->sa.auth_key.size(), golden::integ_key_len(c.esp.integ));
  EXPECT_EQ(r_in->handle, r_out->handle);
  EXPECT_EQ(r_in->handle, up[0].handle);
  EXPECT_EQ(r_in->sa.only_next_header, 17);
  EXPECT_EQ(r_out->sa.encap, c.nat ? lm::Encap::kUdp : lm::Encap::kNone);
  EXPECT_EQ(r_out->sa.peer_addr, c.nat ? kNatAddr : kClient);
  if (c.nat) {
    EXPECT_EQ(r_out->sa.peer_port, kNatPort4500);
    EXPECT_EQ(r_out->sa.natoa_peer, kClient);
    if (c.rfc) {
      EXPECT_EQ(r_out->sa.natoa_local, kRouter);
    }
  }
  EXPECT_GT(r_in->hard.seconds, 0u);
  EXPECT_LT(r_in->soft.seconds, r_in->hard.seconds);

  // draft-02 carries only the sender's own NAT-OA: our test initiator cannot learn its public
  // address, so it cannot fix the inner checksum of what we send (real clients ignore it).
  const Bytes down = pass_esp(*r_out, *i_in, true, c.nat, c.rfc || !c.nat);
  EXPECT_EQ(down.size(), 20u);
  const Bytes upstream = pass_esp(*i_out, *r_in, false, c.nat);
  EXPECT_EQ(upstream.size(), 20u);
}

INSTANTIATE_TEST_SUITE_P(Suites, Exchange,
                         ::testing::Values(Case{"aes128_sha1_modp2048",
                                                {lm::Cipher::kAesCbc128, HashAlg::kSha1, 14},
                                                {lm::Cipher::kAesCbc128, lm::Integ::kHmacSha1},
                                                0,
                                                false,
                                                true},
                                           Case{"aes128_sha1_modp2048_nat",
                                                {lm::Cipher::kAesCbc128, HashAlg::kSha1, 14},
                                                {lm::Cipher::kAesCbc128, lm::Integ::kHmacSha1},
                                                0,
                                                true,
                                                true},
                                           Case{"aes256_sha256_modp2048_nat",
                                                {lm::Cipher::kAesCbc256, HashAlg::kSha256, 14},
                                                {lm::Cipher::kAesCbc256, lm::Integ::kHmacSha256},
                                                0,
                                                true,
                                                true},
                                           Case{"des3_sha1_modp1024",
                                                {lm::Cipher::kDes3Cbc, HashAlg::kSha1, 2},
                                                {lm::Cipher::kDes3Cbc, lm::Integ::kHmacSha1},
                                                0,
                                                false,
                                                true},
                                           Case{"des3_sha1_modp1024_nat_draft",
                                                {lm::Cipher::kDes3Cbc, HashAlg::kSha1, 2},
                                                {lm::Cipher::kDes3Cbc, lm::Integ::kHmacSha1},
                                                0,
                                                true,
                                                false},
                                           Case{"ecp256_pfs_nat",
                                                {lm::Cipher::kAesCbc128, HashAlg::kSha256, 19},
                                                {lm::Cipher::kAesCbc128, lm::Integ::kHmacSha256},
                                                19,
                                                true,
                                                true},
                                           Case{"ecp384_pfs_modp2048",
                                                {lm::Cipher::kAesCbc256, HashAlg::kSha384, 20},
                                                {lm::Cipher::kAesCbc256, lm::Integ::kHmacSha1},
                                                14,
                                                false,
                                                true}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(ExchangeFailures, WrongPskFailsCleanlyOnBothSides) {
  log::Level old = log::level();
  log::set_level(log::Level::kError);
  TwoPeers net(TwoPeers::responder_config("right"), TwoPeers::initiator_config("wrong"), true);
  net.run(kT0);
  // The initiator retransmits MM5 and gives up.
  for (int s = 1; s <= 10; ++s) {
    net.initiator->tick(kT0 + std::chrono::seconds(3 * s));
    net.pump(kT0 + std::chrono::seconds(3 * s));
  }
  log::set_level(old);
  EXPECT_EQ(net.initiator->state(), InitiatorState::kFailed);
  EXPECT_GE(net.initiator->counters().retransmits, 3u);
  const auto& rc = net.responder->counters();
  EXPECT_GE(rc.decrypt_failed + rc.auth_failed, 4u);  // the MM5 and its retransmissions
  EXPECT_EQ(rc.ike_established, 0u);
  EXPECT_TRUE(net.rb.added.empty());
  EXPECT_TRUE(net.ib.added.empty());
  // The half-open SA survives junk and then times out.
  ASSERT_EQ(net.responder->half_open(), 1u);
  net.responder->tick(kT0 + std::chrono::seconds(60));
  EXPECT_EQ(net.responder->half_open(), 0u);
  EXPECT_EQ(rc.half_open_expired, 1u);
}

TEST(ExchangeFailures, NoCommonProposalIsRefusedWithNotify) {
  auto rcfg = TwoPeers::responder_config();
  rcfg.ike_proposals = {{lm::Cipher::kAesCbc256, HashAlg::kSha256, 14}};
  TwoPeers net(rcfg, TwoPeers::initiator_config(), false);
  net.run(kT0);
  EXPECT_EQ(net.initiator->state(), InitiatorState::kFailed);
  EXPECT_EQ(net.responder->counters().no_proposal, 1u);
  EXPECT_TRUE(net.responder->ike_sas().empty());
}

TEST(ExchangeFailures, NoKeyForTheTargetedAddress) {
  IkeConfig rcfg;
  rcfg.group_psk[kRouter + 1] = "other address";
  TwoPeers net(rcfg, TwoPeers::initiator_config(), false);
  net.run(kT0);
  EXPECT_NE(net.initiator->state(), InitiatorState::kDone);
  EXPECT_EQ(net.responder->counters().no_psk, 1u);
  EXPECT_TRUE(net.responder->ike_sas().empty());
}

TEST(ExchangeFailures, PerPeerKeyWinsOverGroupKey) {
  auto rcfg = TwoPeers::responder_config("group");
  rcfg.peer_psk[kClient] = "peer";
  TwoPeers net(rcfg, TwoPeers::initiator_config("peer"), false);
  net.run(kT0);
  ASSERT_EQ(net.initiator->state(), InitiatorState::kDone) << net.initiator->error();
  EXPECT_FALSE(net.responder->ike_sas().at(0).group_psk);
}

TEST(ExchangeFailures, WildcardKeyComesAfterThePeerKeyAndBeforeTheGroupKey) {
  auto rcfg = TwoPeers::responder_config("group");
  rcfg.peer_psk[0] = "wildcard";  // ipsec key manual pre-share 0.0.0.0
  {
    TwoPeers net(rcfg, TwoPeers::initiator_config("wildcard"), false);
    net.run(kT0);
    ASSERT_EQ(net.initiator->state(), InitiatorState::kDone) << net.initiator->error();
    EXPECT_FALSE(net.responder->ike_sas().at(0).group_psk);
  }
  rcfg.peer_psk[kClient] = "peer";
  {
    TwoPeers net(rcfg, TwoPeers::initiator_config("peer"), false);
    net.run(kT0);
    ASSERT_EQ(net.initiator->state(), InitiatorState::kDone) << net.initiator->error();
  }
  {
    log::Level old = log::level();
    log::set_level(log::Level::kError);
    TwoPeers net(rcfg, TwoPeers::initiator_config("group"), false);  // shadowed by the others
    net.run(kT0);
    log::set_level(old);
    EXPECT_NE(net.initiator->state(), InitiatorState::kDone);
    EXPECT_EQ(net.responder->counters().ike_established, 0u);
  }
}

TEST(ExchangeFeatures, RetransmittedRequestGetsTheSameResponse) {
  TwoPeers net(TwoPeers::responder_config(), TwoPeers::initiator_config(), true);
  // Message 5 on the wire is MM6 (0 MM1, 1 MM2, 2 MM3, 3 MM4, 4 MM5, 5 MM6): lose it once.
  net.drop = [](std::size_t i) { return i == 5; };
  net.run(kT0);
  EXPECT_EQ(net.initiator->state(), InitiatorState::kMm5Sent);
  net.initiator->tick(kT0 + std::chrono::seconds(3));
  net.pump(kT0 + std::chrono::seconds(3));
  ASSERT_EQ(net.initiator->state(), InitiatorState::kDone) << net.initiator->error();
  EXPECT_EQ(net.responder->counters().retransmits_answered, 1u);
  EXPECT_EQ(net.responder->counters().ike_established, 1u);
}

TEST(ExchangeFeatures, QuickModeResponseIsRetransmittedUntilQm3) {
  TwoPeers net(TwoPeers::responder_config(), TwoPeers::initiator_config(), false);
  net.drop = [](std::size_t i) { return i == 7; };  // QM2
  net.run(kT0);
  EXPECT_EQ(net.initiator->state(), InitiatorState::kQm1Sent);
  net.responder->tick(kT0 + std::chrono::seconds(3));
  net.pump(kT0 + std::chrono::seconds(3));
  ASSERT_EQ(net.initiator->state(), InitiatorState::kDone);
  EXPECT_EQ(net.responder->counters().qm_retransmits, 1u);
  EXPECT_EQ(net.responder->counters().children_installed, 1u);
}

TEST(ExchangeFeatures, DpdIsAnsweredAndDeleteRemovesTheChild) {
  TwoPeers net(TwoPeers::responder_config(), TwoPeers::initiator_config(), true);
  std::vector<SaHandle> down;
  net.responder->on_child_down = [&](SaHandle h) { down.push_back(h); };
  net.run(kT0);
  ASSERT_EQ(net.initiator->state(), InitiatorState::kDone);
  net.initiator->send_dpd();
  net.pump(kT0);
  EXPECT_EQ(net.responder->counters().dpd_requests, 1u);
  EXPECT_EQ(net.initiator->counters().dpd_acks, 1u);
  net.initiator->send_delete_child();
  net.pump(kT0);
  EXPECT_EQ(net.responder->counters().children_deleted, 1u);
  EXPECT_TRUE(net.responder->child_sas().empty());
  EXPECT_TRUE(net.rb.sas.empty());
  ASSERT_EQ(down.size(), 1u);
  net.initiator->send_delete_ike();
  net.pump(kT0);
  EXPECT_TRUE(net.responder->ike_sas().empty());
  EXPECT_EQ(net.responder->counters().ike_deleted, 1u);
}

TEST(ExchangeFeatures, ResponderProbesIdlePeerAndDropsItWhenDead) {
  auto rcfg = TwoPeers::responder_config();
  rcfg.dpd_interval = std::chrono::seconds(10);
  rcfg.dpd_retries = 2;
  TwoPeers net(rcfg, TwoPeers::initiator_config(), false);
  std::vector<SaHandle> down;
  net.responder->on_child_down = [&](SaHandle h) { down.push_back(h); };
  net.run(kT0);
  ASSERT_EQ(net.initiator->state(), InitiatorState::kDone);
  for (int s = 11; s <= 50; s += 11) net.responder->tick(kT0 + std::chrono::seconds(s));
  EXPECT_EQ(net.responder->counters().dpd_sent, 2u);
  EXPECT_EQ(net.responder->counters().dpd_dead, 1u);
  EXPECT_TRUE(net.responder->ike_sas().empty());
  EXPECT_EQ(down.size(), 1u);
}

TEST(ExchangeFeatures, NatMappingChangeIsFollowed) {
  TwoPeers net(TwoPeers::responder_config(), TwoPeers::initiator_config(), true);
  net.run(kT0);
  ASSERT_EQ(net.initiator->state(), InitiatorState::kDone);
  net.port_shift = 100;  // the NAT rebinds the client's 4500 mapping
  net.initiator->send_dpd();
  net.pump(kT0);
  ASSERT_EQ(net.rb.peer_updates.size(), 1u);
  EXPECT_EQ(net.rb.peer_updates[0].second, (Endpoint{kNatAddr, kNatPort4500 + 100}));
  EXPECT_EQ(net.responder->child_sas().at(0).peer.port, kNatPort4500 + 100);
  EXPECT_EQ(net.initiator->counters().dpd_acks, 1u) << "the ACK went to the new mapping";
}

TEST(ExchangeFeatures, NatTOffMeansNoVendorIdsAndPlainEsp) {
  auto rcfg = TwoPeers::responder_config();
  rcfg.nat_t = false;
  TwoPeers net(rcfg, TwoPeers::initiator_config(), true);
  net.run(kT0);
  ASSERT_EQ(net.initiator->state(), InitiatorState::kDone) << net.initiator->error();
  EXPECT_FALSE(net.initiator->nat_detected());
  EXPECT_EQ(net.responder->ike_sas().at(0).nat_t, NatTMethod::kNone);
  EXPECT_EQ(net.responder->child_sas().at(0).encap, lm::Encap::kNone);
  // set_config turns it back on for new IKE SAs only.
  rcfg.nat_t = true;
  net.responder->set_config(rcfg);
  EXPECT_EQ(net.responder->ike_sas().at(0).nat_t, NatTMethod::kNone);
}

TEST(ExchangeFeatures, InitialContactDeletesTheOldSasOfThatPeer) {
  FakeBackend rb(0x2000), ib1(0x9000), ib2(0xa000);
  Responder r(TwoPeers::responder_config(), rb);
  std::vector<SaHandle> down;
  r.on_child_down = [&](SaHandle h) { down.push_back(h); };
  auto run = [&](FakeBackend& ib) {
    Initiator i(TwoPeers::initiator_config(), ib);
    i.start(kT0);
    for (int round = 0; round < 20; ++round) {
      auto a = std::move(ib.sent);
      ib.sent.clear();
      for (auto& m : a)
        r.on_packet({TwoPeers::class_for(m.peer.port), m.peer, m.local, 0, 0, 0, 0, m.message},
                    kT0);
      auto b = std::move(rb.sent);
      rb.sent.clear();
      for (auto& m : b)
        i.on_packet({TwoPeers::class_for(m.local.port), m.peer, m.local, 0, 0, 0, 0, m.message},
                    kT0);
    }
    return i.state();
  };
  ASSERT_EQ(run(ib1), InitiatorState::kDone);
  ASSERT_EQ(r.ike_sas().size(), 1u);
  ASSERT_EQ(run(ib2), InitiatorState::kDone);  // the client rebooted
  EXPECT_EQ(r.counters().initial_contact, 2u);
  EXPECT_EQ(r.ike_sas().size(), 1u);
  EXPECT_EQ(r.child_sas().size(), 1u);
  EXPECT_EQ(down.size(), 1u);
}

TEST(ExchangeFeatures, LongLifetimeIsShortenedWithResponderLifetime) {
  auto rcfg = TwoPeers::responder_config();
  rcfg.child_lifetime_max_s = 1200;
  auto icfg = TwoPeers::initiator_config();
  icfg.child_life_s = 7200;
  TwoPeers net(rcfg, icfg, false);
  net.run(kT0);
  ASSERT_EQ(net.initiator->state(), InitiatorState::kDone);
  EXPECT_EQ(find(net.rb, lm::Direction::kInbound)->hard.seconds, 1200u);
  EXPECT_EQ(find(net.ib, lm::Direction::kInbound)->hard.seconds, 1200u);
}

TEST(ExchangeFeatures, JunkChangesNothing) {
  log::Level old = log::level();
  log::set_level(log::Level::kError);
  TwoPeers net(TwoPeers::responder_config(), TwoPeers::initiator_config(), true);
  net.run(kT0);
  ASSERT_EQ(net.initiator->state(), InitiatorState::kDone);
  const auto before = net.responder->counters();
  const auto sa = net.responder->ike_sas().at(0);
  // Garbage with the right cookies: QM, informational and MM, encrypted flag set.
  for (auto ex : {ExchangeType::kQuickMode, ExchangeType::kInformational,
                  ExchangeType::kIdentityProtection}) {
    for (std::size_t len : {0, 16, 33, 64}) {
      Header h;
      h.icookie = sa.icookie;
      h.rcookie = sa.rcookie;
      h.exchange = ex;
      h.flags = kFlagEncryption;
      h.message_id = 77;
      h.next = PayloadType::kHash;
      h.length = static_cast<std::uint32_t>(kHeaderLen + len);
      Bytes m(kHeaderLen + len, 0x5a);
      write_header(h, m.data());
      net.responder->on_packet({lm::PktClass::kIkeNatt, sa.local, sa.peer, 0, 0, 0, 0, m}, kT0);
    }
  }
  net.responder->on_packet({lm::PktClass::kEspUdp, sa.local, sa.peer, 0, 0, 0, 0, Bytes(40, 1)},
                           kT0);
  log::set_level(old);
  const auto& after = net.responder->counters();
  EXPECT_EQ(after.rx_packets, before.rx_packets + 13);
  EXPECT_EQ(after.wrong_class, before.wrong_class + 1);
  EXPECT_EQ(after.tx_packets, before.tx_packets);
  EXPECT_EQ(net.responder->ike_sas().size(), 1u);
  EXPECT_EQ(net.responder->child_sas().size(), 1u);
  EXPECT_EQ(net.rb.sas.size(), 2u);
  // Still working: DPD answered.
  net.initiator->send_dpd();
  net.pump(kT0);
  EXPECT_EQ(net.initiator->counters().dpd_acks, 1u);
}

TEST(ExchangeFeatures, GroupKeySasCarryOnlyL2tpSelectors) {
  TwoPeers net(TwoPeers::responder_config(), TwoPeers::initiator_config(), false);
  net.run(kT0);
  ASSERT_EQ(net.initiator->state(), InitiatorState::kDone);
  // A Quick Mode asking for UDP port 500 instead of 1701, properly authenticated.
  EspOffer o;
  SaPayload sa;
  Proposal p;
  p.protocol = kProtoEsp;
  p.spi = {0, 1, 0, 0};
  p.transforms.push_back(esp_transform(o));
  sa.proposals.push_back(p);
  PayloadChain rest;
  rest.add(PayloadType::kSa, encode_sa(sa));
  rest.add(PayloadType::kNonce, Bytes(16, 3));
  rest.add(PayloadType::kId, encode_id(IdPayload::from_ipv4(kClient, 17, 500)));
  rest.add(PayloadType::kId, encode_id(IdPayload::from_ipv4(kRouter, 17, 500)));
  const Bytes msg =
      net.initiator->protect(ExchangeType::kQuickMode, 4242, rest.first(), rest.bytes());
  const auto ike = net.responder->ike_sas().at(0);
  net.responder->on_packet({lm::PktClass::kIke, ike.local, ike.peer, 0, 0, 0, 0, msg}, kT0);
  EXPECT_EQ(net.responder->counters().selectors_refused, 1u);
  EXPECT_EQ(net.responder->child_sas().size(), 1u);
  EXPECT_EQ(net.rb.sas.size(), 2u);
}

TEST(ExchangeFeatures, HardExpiryDropsThePairAndTellsThePeer) {
  TwoPeers net(TwoPeers::responder_config(), TwoPeers::initiator_config(), true);
  std::vector<SaHandle> down;
  net.responder->on_child_down = [&](SaHandle h) { down.push_back(h); };
  net.run(kT0);
  ASSERT_EQ(net.initiator->state(), InitiatorState::kDone);
  const ChildInfo c = net.responder->child_sas().at(0);
  net.rb.sas.erase({c.spi_in, lm::Direction::kInbound});  // what the back end does
  ipsec::Event ev;
  ev.kind = ipsec::EventKind::kHardExpire;
  ev.handle = c.handle;
  ev.spi = c.spi_in;
  net.responder->on_event(ev, kT0);
  EXPECT_TRUE(net.responder->child_sas().empty());
  EXPECT_TRUE(net.rb.sas.empty());
  ASSERT_EQ(down, std::vector<SaHandle>{c.handle});
  ASSERT_EQ(net.rb.sent.size(), 1u);  // the DELETE
  auto h = parse_header(net.rb.sent[0].message, nullptr);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->exchange, ExchangeType::kInformational);
}

TEST(ExchangeLimits, HalfOpenAndPerPeerLimitsAndAggressiveMode) {
  log::Level old = log::level();
  log::set_level(log::Level::kError);
  auto rcfg = TwoPeers::responder_config();
  rcfg.max_half_open = 2;
  FakeBackend rb;
  Responder r(rcfg, rb);
  for (int n = 0; n < 4; ++n) {
    FakeBackend ib;
    auto icfg = TwoPeers::initiator_config();
    icfg.local.addr = kClient + static_cast<std::uint32_t>(n);
    Initiator i(icfg, ib);
    i.start(kT0);
    r.on_packet(
        {lm::PktClass::kIke, ib.sent[0].peer, ib.sent[0].local, 0, 0, 0, 0, ib.sent[0].message},
        kT0);
  }
  EXPECT_EQ(r.half_open(), 2u);
  EXPECT_EQ(r.counters().half_open_limit, 2u);

  rcfg.max_half_open = 100;
  rcfg.max_ike_per_peer = 1;
  r.set_config(rcfg);
  FakeBackend ib;
  Initiator i(TwoPeers::initiator_config(), ib);  // same address as the first one
  i.start(kT0);
  r.on_packet(
      {lm::PktClass::kIke, ib.sent[0].peer, ib.sent[0].local, 0, 0, 0, 0, ib.sent[0].message}, kT0);
  EXPECT_EQ(r.counters().peer_limit, 1u);

  Bytes aggressive = ib.sent[0].message;
  aggressive[18] = static_cast<std::uint8_t>(ExchangeType::kAggressive);
  aggressive[0] ^= 1;
  r.on_packet({lm::PktClass::kIke, ib.sent[0].peer, ib.sent[0].local, 0, 0, 0, 0, aggressive}, kT0);
  log::set_level(old);
  EXPECT_EQ(r.counters().aggressive_refused, 1u);
  EXPECT_EQ(r.half_open(), 2u);
}

TEST(ExchangeFeatures, ClientRekeyKeepsTheHandleAndMakesBeforeBreak) {
  TwoPeers net(TwoPeers::responder_config(), TwoPeers::initiator_config(), true);
  std::vector<ChildInfo> up;
  std::vector<SaHandle> down;
  net.responder->on_child_up = [&](const ChildInfo& i) { up.push_back(i); };
  net.responder->on_child_down = [&](SaHandle h) { down.push_back(h); };
  net.run(kT0);
  ASSERT_EQ(net.initiator->state(), InitiatorState::kDone);
  const std::uint32_t old_spi = net.initiator->spi_in();
  ASSERT_TRUE(net.initiator->rekey_child(kT0));
  net.pump(kT0);
  ASSERT_EQ(net.initiator->state(), InitiatorState::kDone);
  ASSERT_EQ(up.size(), 2u);
  EXPECT_EQ(up[0].handle, up[1].handle);
  EXPECT_NE(up[0].spi_in, up[1].spi_in);
  EXPECT_EQ(net.rb.sas.size(), 4u);  // old and new pair until the client deletes the old one
  // The new inbound SA was installed before the new outbound one.
  ASSERT_EQ(net.rb.added.size(), 4u);
  EXPECT_EQ(net.rb.added[2].sa.direction, lm::Direction::kInbound);
  EXPECT_EQ(net.rb.added[3].sa.direction, lm::Direction::kOutbound);
  net.initiator->send_delete_child(old_spi);
  net.pump(kT0);
  EXPECT_EQ(net.responder->child_sas().size(), 1u);
  EXPECT_EQ(net.rb.sas.size(), 2u);
  EXPECT_TRUE(down.empty()) << "the handle lives on in the new pair";
  net.initiator->send_delete_child();
  net.pump(kT0);
  EXPECT_EQ(down, std::vector<SaHandle>{up[0].handle});
}

TEST(ExchangeFeatures, TwoClientsBehindOneNatStayApart) {
  FakeBackend rb(0x2000);
  Responder r(TwoPeers::responder_config(), rb);
  std::vector<ChildInfo> up;
  r.on_child_up = [&](const ChildInfo& i) { up.push_back(i); };
  // Both clients are 198.18.0.15 inside; the NAT gives them different outside ports.
  auto run = [&](FakeBackend& ib, std::uint16_t shift) {
    Initiator i(TwoPeers::initiator_config(), ib);
    auto out = [&](Endpoint e) {
      return Endpoint{kNatAddr,
                      static_cast<std::uint16_t>((e.port == 500 ? 61001 : 61002) + shift)};
    };
    i.start(kT0);
    for (int round = 0; round < 20; ++round) {
      for (auto& m : std::exchange(ib.sent, {})) {
        r.on_packet({TwoPeers::class_for(m.peer.port), m.peer, out(m.local), 0, 0, 0, 0, m.message},
                    kT0);
      }
      for (auto& m : std::exchange(rb.sent, {})) {
        if (m.peer.port < 61001 + shift || m.peer.port > 61002 + shift) {
          rb.sent.push_back(m);  // the other client's: not ours to deliver
          continue;
        }
        const Endpoint inside{
            kClient, m.peer.port == 61001 + shift ? std::uint16_t{500} : std::uint16_t{4500}};
        i.on_packet({TwoPeers::class_for(inside.port), inside, m.local, 0, 0, 0, 0, m.message},
                    kT0);
      }
    }
    return i.state();
  };
  FakeBackend ib1(0x9000), ib2(0xa000);
  ASSERT_EQ(run(ib1, 0), InitiatorState::kDone);
  rb.sent.clear();
  ASSERT_EQ(run(ib2, 10), InitiatorState::kDone);
  EXPECT_EQ(r.ike_sas().size(), 2u) << "INITIAL-CONTACT of one must not delete the other";
  ASSERT_EQ(up.size(), 2u);
  EXPECT_NE(up[0].handle, up[1].handle);
  EXPECT_EQ(up[0].peer, (Endpoint{kNatAddr, 61002}));
  EXPECT_EQ(up[1].peer, (Endpoint{kNatAddr, 61012}));
  EXPECT_EQ(r.child_sas().size(), 2u);
}

TEST(ExchangeFeatures, ReplayedInformationalDoesNotMoveThePeer) {
  TwoPeers net(TwoPeers::responder_config(), TwoPeers::initiator_config(), true);
  net.run(kT0);
  ASSERT_EQ(net.initiator->state(), InitiatorState::kDone);
  net.initiator->send_dpd();
  const auto dpd = net.ib.sent.back();
  net.pump(kT0);
  EXPECT_EQ(net.responder->counters().dpd_requests, 1u);
  // An attacker replays the captured R-U-THERE from elsewhere.
  const auto sa = net.responder->ike_sas().at(0);
  net.responder->on_packet(
      {lm::PktClass::kIkeNatt, sa.local, {0xc6130001, 4500}, 0, 0, 0, 0, dpd.message}, kT0);
  EXPECT_EQ(net.responder->counters().replays, 1u);
  EXPECT_EQ(net.responder->counters().dpd_requests, 1u);
  EXPECT_EQ(net.responder->ike_sas().at(0).peer, sa.peer);
  EXPECT_TRUE(net.rb.peer_updates.empty());
}

TEST(ExchangeFeatures, LostMm2IsResentForTheRetransmittedMm1) {
  TwoPeers net(TwoPeers::responder_config(), TwoPeers::initiator_config(), true);
  net.drop = [](std::size_t i) { return i == 1; };  // MM2
  net.run(kT0);
  EXPECT_EQ(net.initiator->state(), InitiatorState::kMm1Sent);
  net.initiator->tick(kT0 + std::chrono::seconds(3));
  net.pump(kT0 + std::chrono::seconds(3));
  ASSERT_EQ(net.initiator->state(), InitiatorState::kDone) << net.initiator->error();
  EXPECT_EQ(net.responder->counters().retransmits_answered, 1u);
  EXPECT_EQ(net.responder->ike_sas().size(), 1u);
}

TEST(ExchangeFeatures, FirstAcceptableTransformOfAWindowsLikeOfferIsChosen) {
  FakeBackend rb;
  Responder r(TwoPeers::responder_config(), rb);
  SaPayload sa;
  Proposal p;
  Transform des_md5;  // DES, MD5, group 1: nothing we take
  des_md5.number = 1;
  des_md5.id = kTransformKeyIke;
  des_md5.attributes = {Attribute::basic(p1::kEncryption, 1), Attribute::basic(p1::kHash, 1),
                        Attribute::basic(p1::kAuthMethod, 1), Attribute::basic(p1::kGroup, 1)};
  p.transforms.push_back(des_md5);
  Transform xauth = phase1_transform({lm::Cipher::kDes3Cbc, HashAlg::kSha1, 2}, 28800, 2);
  xauth.attributes[2] = Attribute::basic(p1::kAuthMethod, 65001);  // XAUTHInitPreShared
  p.transforms.push_back(xauth);
  p.transforms.push_back(phase1_transform({lm::Cipher::kAesCbc256, HashAlg::kSha1, 14}, 28800, 3));
  p.transforms.push_back(phase1_transform({lm::Cipher::kAesCbc128, HashAlg::kSha1, 14}, 28800, 4));
  sa.proposals.push_back(p);
  PayloadChain chain;
  chain.add(PayloadType::kSa, encode_sa(sa));
  chain.add(PayloadType::kVendorId, vid::kNatTDraft02n);
  Header h;
  h.icookie = {9, 9, 9, 9, 9, 9, 9, 9};
  h.exchange = ExchangeType::kIdentityProtection;
  r.on_packet(
      {lm::PktClass::kIke, {kRouter, 500}, {kNatAddr, 1025}, 0, 0, 0, 0, assemble(h, chain)}, kT0);
  ASSERT_EQ(rb.sent.size(), 1u);
  auto m = parse_message(rb.sent[0].message, nullptr);
  ASSERT_TRUE(m);
  auto reply = parse_sa(m->find(PayloadType::kSa)->body, nullptr);
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->proposals.at(0).transforms.size(), 1u);
  EXPECT_EQ(reply->proposals[0].transforms[0].number, 3);
  const auto vids = m->find_all(PayloadType::kVendorId);
  ASSERT_EQ(vids.size(), 2u);  // the NAT-T draft-02 VID the client knows, and DPD
  EXPECT_TRUE(
      std::equal(vid::kNatTDraft02.begin(), vid::kNatTDraft02.end(), vids[0]->body.begin()));
  EXPECT_EQ(r.ike_sas().at(0).nat_t, NatTMethod::kDraft02);
}
