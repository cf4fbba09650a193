// ChassisBackend: one back end over several line modules (slots), here two SoftBackends on
// in-memory ports with their own port addresses. SAs go to the slot owning their local address,
// traffic goes through the slot holding its handle, events and packets come from every slot.
#include "l2sec/ipsec/chassis_backend.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <set>

#include "l2sec/golden/esp.hpp"
#include "l2sec/golden/ipv4.hpp"
#include "l2sec/ipsec/frame_port.hpp"
#include "l2sec/ipsec/soft_backend.hpp"

namespace l2sec::ipsec {
namespace {

constexpr std::uint32_t kSlot0Addr = 0xc6120002;  // 198.18.0.2
constexpr std::uint32_t kSlot1Addr = 0xc6120003;  // 198.18.0.3
constexpr std::uint32_t kNobody = 0xc6120009;     // 198.18.0.9: no slot owns it
constexpr std::uint32_t kClient = 0xc612000f;     // 198.18.0.15 (no NAT here)

Bytes random(std::size_t n) {
  Bytes b(n);
  golden::random_bytes(b);
  return b;
}

const Bytes kL2tp = from_hex("c80200140001000000010001800800000000000600").value();

// The client side of one slot: the wire and a golden engine holding the mirror SAs.
struct Far {
  std::unique_ptr<MemoryPort> wire;
  golden::EspEngine engine;
  golden::SaHandle out = golden::kNoSa, in = golden::kNoSa;
};

class ChassisBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<ChassisSlot> slots;
    const std::uint32_t addrs[2] = {kSlot0Addr, kSlot1Addr};
    for (int i = 0; i < 2; ++i) {
      auto [ours, wire] = make_memory_link();
      far_[i].wire = std::move(wire);
      auto soft = std::make_unique<SoftBackend>(std::move(ours));
      soft_[i] = soft.get();
      slots.push_back({"soft" + std::to_string(i), {addrs[i]}, std::move(soft)});
    }
    std::string error;
    chassis_ = ChassisBackend::create(std::move(slots), {}, &error);
    ASSERT_TRUE(chassis_) << error;
  }

  // An SA pair for handle on the address local (ESP in UDP, no NAT), and the far side's mirror.
  void install(SaHandle handle, std::uint32_t local, Far& far, std::uint32_t* spi_in = nullptr,
               Lifetime hard = {}) {
    golden::SaConfig in;
    in.spi = chassis_->allocate_spi();
    in.direction = lm::Direction::kInbound;
    in.cipher = lm::Cipher::kAesCbc128;
    in.integ = lm::Integ::kHmacSha1;
    in.icv_len = lm::IcvLen::kIcv96;
    in.encap = lm::Encap::kUdp;
    in.enc_key = random(16);
    in.auth_key = random(20);
    in.local_addr = local;
    in.local_port = golden::kPortNatT;
    in.peer_addr = kClient;
    in.peer_port = golden::kPortNatT;
    in.only_next_header = golden::kIpProtoUdp;
    golden::SaConfig out = in;
    out.spi = 0x70000000u + handle;
    out.direction = lm::Direction::kOutbound;
    out.enc_key = random(16);
    out.auth_key = random(20);
    ASSERT_TRUE(chassis_->add_sa({handle, in, {}, hard}).ok());
    ASSERT_TRUE(chassis_->add_sa({handle, out, {}, {}}).ok());
    if (spi_in != nullptr) *spi_in = in.spi;
    golden::SaConfig c_out = in, c_in = out;
    c_out.direction = lm::Direction::kOutbound;
    c_in.direction = lm::Direction::kInbound;
    for (auto* c : {&c_out, &c_in}) {
      c->local_addr = kClient;
      c->peer_addr = local;
    }
    std::string error;
    far.out = far.engine.add_sa(c_out, &error).value_or(golden::kNoSa);
    far.in = far.engine.add_sa(c_in, &error).value_or(golden::kNoSa);
    ASSERT_NE(far.out, golden::kNoSa) << error;
    ASSERT_NE(far.in, golden::kNoSa) << error;
  }

  // The far side seals L2TP to local and sends it on its wire.
  static void far_sends(Far& far, std::uint32_t local, ByteView l2tp) {
    const Bytes pkt = golden::build_udp_packet(kClient, local, 1701, golden::kPortL2tp, l2tp);
    Bytes esp;
    const auto r = far.engine.encap_payload(far.out, golden::kIpProtoUdp,
                                            ByteView(pkt).subspan(golden::kIpv4MinHeader),
                                            golden::Ipv4Header{}, esp);
    ASSERT_TRUE(r.ok()) << lm::to_string(r.reason);
    far.wire->send(esp);
  }

  Far far_[2];
  SoftBackend* soft_[2] = {nullptr, nullptr};
  std::unique_ptr<ChassisBackend> chassis_;
};

TEST_F(ChassisBackendTest, RefusesBadSlotSets) {
  std::string error;
  EXPECT_FALSE(ChassisBackend::create({}, {}, &error));
  EXPECT_NE(error.find("no line module"), std::string::npos) << error;
  std::vector<ChassisSlot> slots;
  for (int i = 0; i < 2; ++i) {
    auto [ours, wire] = make_memory_link();
    slots.push_back({"s", {kSlot0Addr}, std::make_unique<SoftBackend>(std::move(ours))});
  }
  EXPECT_FALSE(ChassisBackend::create(std::move(slots), {}, &error));
  EXPECT_NE(error.find("198.18.0.2"), std::string::npos) << error;
}

TEST_F(ChassisBackendTest, SasLandInTheSlotOwningTheirLocalAddress) {
  std::uint32_t spi0 = 0, spi1 = 0;
  install(10, kSlot0Addr, far_[0], &spi0);
  install(11, kSlot1Addr, far_[1], &spi1);
  EXPECT_EQ(chassis_->slot_of_handle(10), 0u);
  EXPECT_EQ(chassis_->slot_of_handle(11), 1u);
  EXPECT_TRUE(soft_[0]->query_sa(spi0, lm::Direction::kInbound));
  EXPECT_FALSE(soft_[1]->query_sa(spi0, lm::Direction::kInbound));
  EXPECT_TRUE(soft_[1]->query_sa(spi1, lm::Direction::kInbound));
  EXPECT_FALSE(soft_[0]->query_sa(spi1, lm::Direction::kInbound));
  EXPECT_EQ(soft_[0]->list_sas().size(), 2u);
  EXPECT_EQ(soft_[1]->list_sas().size(), 2u);

  const auto q0 = chassis_->query_sa(spi0, lm::Direction::kInbound);
  ASSERT_TRUE(q0);
  EXPECT_EQ(q0->slot, 0);
  EXPECT_EQ(q0->handle, 10u);
  const auto q1 = chassis_->query_sa(0x70000000u + 11, lm::Direction::kOutbound);
  ASSERT_TRUE(q1);
  EXPECT_EQ(q1->slot, 1);
  const auto all = chassis_->list_sas();
  ASSERT_EQ(all.size(), 4u);
  for (const auto& s : all) {
    ASSERT_TRUE(s.slot.has_value());
    EXPECT_EQ(*s.slot, s.handle == 10 ? 0 : 1);
  }
  // A handle never spans two slots.
  golden::SaConfig stray = q0->sa;
  stray.spi = 0x71000000u;
  stray.direction = lm::Direction::kOutbound;
  stray.local_addr = kSlot1Addr;
  stray.enc_key = random(16);
  stray.auth_key = random(20);
  EXPECT_FALSE(chassis_->add_sa({10, stray, {}, {}}).ok());
  EXPECT_EQ(chassis_->counters().handle_conflicts, 1u);
}

TEST_F(ChassisBackendTest, TrafficBothWaysThroughEachSlotWithItsHandle) {
  install(10, kSlot0Addr, far_[0]);
  install(11, kSlot1Addr, far_[1]);
  for (int i = 0; i < 2; ++i) {
    const std::uint32_t local = i == 0 ? kSlot0Addr : kSlot1Addr;
    const SaHandle handle = i == 0 ? 10 : 11;
    // In: the far side of slot i sends; it comes up with slot i's handle and address, once.
    far_sends(far_[i], local, kL2tp);
    auto pkt = chassis_->receive();
    ASSERT_TRUE(pkt);
    EXPECT_EQ(pkt->handle, handle);
    EXPECT_EQ(pkt->local.addr, local);
    EXPECT_EQ(pkt->payload, kL2tp);
    EXPECT_FALSE(chassis_->receive());
    EXPECT_EQ(chassis_->counters().slots[static_cast<std::size_t>(i)].rx_packets, 1u);
    // Out: through the handle's slot, on its wire only.
    ASSERT_TRUE(chassis_->send_l2tp(handle, 1701, kL2tp).ok());
    EXPECT_FALSE(far_[1 - i].wire->receive()) << "a packet for slot " << i << " on the other";
    auto esp = far_[i].wire->receive();
    ASSERT_TRUE(esp);
    EXPECT_EQ(load_be32(esp->data() + 12), local);  // from the slot's address
    Bytes inner;
    const auto r = far_[i].engine.decap(*esp, inner);
    ASSERT_TRUE(r.ok()) << lm::to_string(r.reason);
    EXPECT_EQ(r.sa, far_[i].in);
    EXPECT_EQ(Bytes(inner.begin() + golden::kIpv4MinHeader + 8, inner.end()), kL2tp);
  }
  EXPECT_FALSE(chassis_->send_l2tp(99, 1701, kL2tp).ok());
  EXPECT_EQ(chassis_->counters().unknown_handle, 1u);
}

TEST_F(ChassisBackendTest, IkeAndClearL2tpGoOutOfTheSlotOwningTheLocalAddress) {
  const Bytes msg(40, 0x5a);
  ASSERT_TRUE(chassis_->send_ike({kSlot1Addr, 500}, {kClient, 500}, msg).ok());
  EXPECT_FALSE(far_[0].wire->receive());
  auto p = far_[1].wire->receive();
  ASSERT_TRUE(p);
  EXPECT_EQ(load_be32(p->data() + 12), kSlot1Addr);
  ASSERT_TRUE(chassis_->send_l2tp_clear({kSlot0Addr, 1701}, {kClient, 1701}, kL2tp).ok());
  EXPECT_FALSE(far_[1].wire->receive());
  EXPECT_TRUE(far_[0].wire->receive());
  const auto st = chassis_->send_ike({kNobody, 500}, {kClient, 500}, msg);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.error.find("198.18.0.9"), std::string::npos) << st.error;
  // IKE from each side comes up with the address it was sent to.
  for (int i = 0; i < 2; ++i) {
    const std::uint32_t local = i == 0 ? kSlot0Addr : kSlot1Addr;
    Bytes isakmp(28, 0);
    isakmp[0] = 1;
    far_[i].wire->send(golden::build_udp_packet(kClient, local, 500, 500, isakmp));
  }
  std::set<std::uint32_t> seen;
  while (auto pkt = chassis_->receive()) {
    EXPECT_EQ(pkt->pkt_class, lm::PktClass::kIke);
    seen.insert(pkt->local.addr);
  }
  EXPECT_EQ(seen, (std::set<std::uint32_t>{kSlot0Addr, kSlot1Addr}));
}

TEST_F(ChassisBackendTest, UnknownLocalAddressIsRefusedAndCounted) {
  golden::SaConfig in;
  in.spi = chassis_->allocate_spi();
  in.direction = lm::Direction::kInbound;
  in.cipher = lm::Cipher::kAesCbc128;
  in.integ = lm::Integ::kHmacSha1;
  in.enc_key = random(16);
  in.auth_key = random(20);
  in.local_addr = kNobody;
  in.peer_addr = kClient;
  const auto st = chassis_->add_sa({5, in, {}, {}});
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.error.find("no line module owns local address 198.18.0.9"), std::string::npos)
      << st.error;
  EXPECT_EQ(chassis_->counters().no_slot, 1u);
  EXPECT_TRUE(chassis_->list_sas().empty());
  EXPECT_FALSE(chassis_->query_sa(in.spi, lm::Direction::kInbound));
  EXPECT_FALSE(chassis_->slot_of_handle(5));
}

TEST_F(ChassisBackendTest, DeleteAndQueryBySpi) {
  std::uint32_t spi0 = 0, spi1 = 0;
  install(10, kSlot0Addr, far_[0], &spi0);
  install(11, kSlot1Addr, far_[1], &spi1);
  EXPECT_EQ(chassis_->slot_of_sa(spi1, lm::Direction::kInbound), 1u);
  ASSERT_TRUE(chassis_->del_sa(spi1, lm::Direction::kInbound).ok());
  EXPECT_FALSE(chassis_->query_sa(spi1, lm::Direction::kInbound));
  EXPECT_FALSE(soft_[1]->query_sa(spi1, lm::Direction::kInbound));
  EXPECT_TRUE(chassis_->query_sa(spi0, lm::Direction::kInbound));
  EXPECT_FALSE(chassis_->del_sa(spi1, lm::Direction::kInbound).ok());
  // The handle stays with slot 1 while its outbound SA lives; then it is gone.
  EXPECT_EQ(chassis_->slot_of_handle(11), 1u);
  ASSERT_TRUE(chassis_->del_sa(0x70000000u + 11, lm::Direction::kOutbound).ok());
  EXPECT_FALSE(chassis_->slot_of_handle(11));
  EXPECT_TRUE(soft_[1]->list_sas().empty());
  EXPECT_EQ(soft_[0]->list_sas().size(), 2u);
  EXPECT_EQ(chassis_->list_sas().size(), 2u);
}

TEST_F(ChassisBackendTest, EventsFromBothSlots) {
  std::uint32_t spi0 = 0, spi1 = 0;
  install(10, kSlot0Addr, far_[0], &spi0, {0, 1});  // hard lifetime: one byte
  install(11, kSlot1Addr, far_[1], &spi1, {0, 1});
  far_sends(far_[0], kSlot0Addr, kL2tp);
  far_sends(far_[1], kSlot1Addr, kL2tp);
  while (chassis_->receive()) {
  }
  chassis_->tick(Clock::now());
  std::set<std::uint32_t> expired;
  while (auto ev = chassis_->next_event()) {
    if (ev->kind == EventKind::kHardExpire) expired.insert(ev->spi);
  }
  EXPECT_EQ(expired, (std::set<std::uint32_t>{spi0, spi1}));
  EXPECT_EQ(chassis_->counters().slots[0].events, chassis_->counters().slots[1].events);
  // The chassis forgot them too.
  EXPECT_FALSE(chassis_->slot_of_sa(spi0, lm::Direction::kInbound));
  EXPECT_FALSE(chassis_->slot_of_sa(spi1, lm::Direction::kInbound));
}

TEST_F(ChassisBackendTest, SpisAreUniqueAcrossSlotsAndTheirIndexesFreeInEvery) {
  std::set<std::uint32_t> spis, indexes;
  for (SaHandle h = 1; h <= 200; ++h) {
    std::uint32_t spi = 0;
    install(h, h % 2 == 0 ? kSlot0Addr : kSlot1Addr, far_[h % 2 == 0 ? 0 : 1], &spi);
    EXPECT_GT(spi, 255u);
    EXPECT_TRUE(spis.insert(spi).second);
    EXPECT_TRUE(indexes.insert(spi % lm::sa_entry::kCapacity).second);
  }
  // Allocated but not yet installed SPIs are not handed out twice either.
  for (int i = 0; i < 200; ++i) {
    const auto spi = chassis_->allocate_spi();
    EXPECT_TRUE(spis.insert(spi).second);
    EXPECT_TRUE(indexes.insert(spi % lm::sa_entry::kCapacity).second);
  }
  // An SPI taken in one slot is refused in the other.
  std::uint32_t spi = 0;
  install(500, kSlot0Addr, far_[0], &spi);
  const auto q = chassis_->query_sa(spi, lm::Direction::kInbound);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->slot, 0);
  golden::SaConfig dup = q->sa;
  dup.local_addr = kSlot1Addr;
  dup.enc_key = random(16);
  dup.auth_key = random(20);
  const auto st = chassis_->add_sa({999, dup, {}, {}});
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.error.find("already installed (slot 0)"), std::string::npos) << st.error;
  EXPECT_FALSE(soft_[1]->query_sa(spi, lm::Direction::kInbound));
}

TEST_F(ChassisBackendTest, ReceiveIsFairAcrossSlots) {
  for (int n = 0; n < 3; ++n) {
    for (int i = 0; i < 2; ++i) {
      Bytes isakmp(28, 0);
      const std::uint32_t local = i == 0 ? kSlot0Addr : kSlot1Addr;
      far_[i].wire->send(golden::build_udp_packet(kClient, local, 500, 500, isakmp));
    }
  }
  std::vector<std::uint32_t> order;
  while (auto pkt = chassis_->receive()) order.push_back(pkt->local.addr);
  ASSERT_EQ(order.size(), 6u);
  for (std::size_t k = 1; k < order.size(); ++k) EXPECT_NE(order[k], order[k - 1]);
}

TEST_F(ChassisBackendTest, PollFdCoversPolledOnlySlots) {
  // MemoryPorts have no descriptor: the chassis' timer makes its descriptor readable.
  EXPECT_GE(chassis_->poll_fd(), 0);
  std::vector<ChassisSlot> slots;
  auto [ours, wire] = make_memory_link();
  slots.push_back({"s", {kSlot0Addr}, std::make_unique<SoftBackend>(std::move(ours))});
  ChassisBackendOptions o;
  o.polled_slot_interval = std::chrono::milliseconds(0);
  std::string error;
  auto c = ChassisBackend::create(std::move(slots), o, &error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->poll_fd(), -1);
}

}  // namespace
}  // namespace l2sec::ipsec
