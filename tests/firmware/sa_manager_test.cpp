// The firmware's SA table manager against the mock register file: start-up, install (the exact
// register writes, word 0 last, GEN bumps), collisions, delete, make-before-break rekey, lifetimes,
// FPGA events, queries.
#include <gtest/gtest.h>

#include "esp/esp_harness.h"
#include "fw_test_util.hpp"

namespace l2sec::fw::test {
namespace {

using lm::Direction;

TEST_F(FirmwareTest, StartupWalksTheBlockChainAndReadsCaps) {
  ASSERT_TRUE(fw->ready()) << fw->start_error();
  EXPECT_EQ(fw->capacity(), 256u);
  EXPECT_EQ(fw->max_win_log2(), 6);
  for (const auto& b : lm::kBlocks) {
    ASSERT_TRUE(fw->block_base(b.type_id).has_value()) << b.name;
    EXPECT_EQ(*fw->block_base(b.type_id), b.base) << b.name;
  }
  EXPECT_EQ(lm::ctrl::control::kEnable.get(fpga.reg(lm::ctrl::kControl)), 1u);
  EXPECT_EQ(fpga.reg(lm::ctrl::kIrqEnable), 0x7u);             // EVENT, RX, ERROR
  EXPECT_EQ(fpga.writes().back().offset, lm::ctrl::kControl);  // ENABLE last
  // MACs: the defaults are golden::ethernet_frame's.
  EXPECT_EQ(fpga.reg(lm::ctrl::kLocalMacHi), 0x0200u);
  EXPECT_EQ(fpga.reg(lm::ctrl::kLocalMacLo), 0x5e120002u);
  EXPECT_EQ(fpga.reg(lm::ctrl::kGatewayMacLo), 0x5e120001u);
  const Reply r = request(Hello{});
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_TRUE(r.hello.has_value());
  EXPECT_EQ(r.hello->capacity, 256u);
  EXPECT_EQ(r.hello->max_win_log2, 6);
  EXPECT_EQ(r.hello->regmap_version, lm::kRegmapVersion);
  EXPECT_EQ(r.hello->outbox_capacity, 64u);
}

TEST(FirmwareStartup, RefusesAModuleItCannotDrive) {
  {
    MockFpga fpga;
    fpga.set_reg(0, 0x12345678);  // not "LMID"
    Firmware fw(fpga);
    EXPECT_FALSE(fw.ready());
    EXPECT_NE(fw.start_error().find("ident"), std::string::npos) << fw.start_error();
    // Requests are answered with an error, not a crash.
    const auto resp = decode(fw.handle(encode(Message{5, Hello{}})));
    ASSERT_TRUE(resp.has_value());
    const auto& r = std::get<Reply>(resp->body);
    EXPECT_EQ(r.result, Result::kHardware);
    EXPECT_EQ(resp->seq, 5u);
  }
  {
    MockFpga fpga;
    fpga.set_reg(lm::sa_table::kBase + 4, 0x00020000);  // sa_table major version 2
    Firmware fw(fpga);
    EXPECT_FALSE(fw.ready());
    EXPECT_NE(fw.start_error().find("sa_table"), std::string::npos) << fw.start_error();
  }
  {
    MockFpga fpga;
    fpga.set_reg(lm::sa_table::kBase + 8, lm::ctrl::kBase);  // NEXT points backwards: a loop
    Firmware fw(fpga);
    EXPECT_FALSE(fw.ready());
    EXPECT_NE(fw.start_error().find("NEXT"), std::string::npos) << fw.start_error();
  }
}

TEST_F(FirmwareTest, InstallWritesTheEntryWithWordZeroLast) {
  const auto cfg = sa_config(0x1234'5605, Direction::kInbound);
  fpga.writes().clear();
  const Reply r = add(7, cfg, Lifetime{.bytes = 1000}, Lifetime{.bytes = 0x1'0000'0002ull});
  ASSERT_TRUE(r.ok()) << r.error;
  const std::uint16_t slot = 0x05;  // SPI mod 256
  ASSERT_EQ(r.slot, std::optional<std::uint16_t>(slot));

  // READ of the slot (its GEN, first use), CLEAR_STATS, then STAGE words 1..39 in order, STAGE 0,
  // CMD WRITE; nothing else.
  const auto& w = fpga.writes();
  ASSERT_EQ(w.size(), 2 + lm::sa_entry::kWords + 1);
  EXPECT_EQ(w[0].offset, lm::sa_table::kCmd);
  EXPECT_EQ(lm::sa_table::cmd::kOp.get(w[0].value), static_cast<std::uint32_t>(lm::SaCmdOp::kRead));
  EXPECT_EQ(w[1].offset, lm::sa_table::kCmd);
  EXPECT_EQ(lm::sa_table::cmd::kOp.get(w[1].value),
            static_cast<std::uint32_t>(lm::SaCmdOp::kClearStats));
  for (unsigned i = 1; i < lm::sa_entry::kWords; ++i) {
    EXPECT_EQ(w[1 + i].offset, lm::sa_table::kStage + 4 * i) << "write " << i;
  }
  EXPECT_EQ(w[1 + lm::sa_entry::kWords].offset, lm::sa_table::kStage);  // word 0 last
  EXPECT_EQ(lm::sa_entry::kValid.bits().get(w[1 + lm::sa_entry::kWords].value), 1u);
  EXPECT_EQ(w.back().offset, lm::sa_table::kCmd);
  EXPECT_EQ(lm::sa_table::cmd::kOp.get(w.back().value),
            static_cast<std::uint32_t>(lm::SaCmdOp::kWrite));
  EXPECT_EQ(lm::sa_table::cmd::kIndex.get(w.back().value), slot);

  // The entry is the one the RTL test benches pack for the same SA (GEN 1 on a fresh slot).
  const auto expect = rtltest::esp::MakeEntry(cfg, 6, 1);
  for (unsigned i = 0; i < lm::sa_entry::kSoftBytes.word; ++i) {
    EXPECT_EQ(fpga.entry(slot)[i], expect[i]) << "word " << i;
  }
  EXPECT_EQ(fpga.entry(slot)[lm::sa_entry::kSoftBytes.word], 0u);
  EXPECT_EQ(fpga.entry(slot)[lm::sa_entry::kSoftBytes.word + 1], 1000u);
  EXPECT_EQ(fpga.entry(slot)[lm::sa_entry::kHardBytes.word], 1u);
  EXPECT_EQ(fpga.entry(slot)[lm::sa_entry::kHardBytes.word + 1], 2u);
  EXPECT_EQ(fw->slot_of(cfg.spi, Direction::kInbound), std::optional<std::uint16_t>(slot));
  EXPECT_EQ(fw->counter(FwCounter::kSaInstalled), 1u);
}

TEST(FirmwareStartup, ForgetsAPreviousRunsEntriesAndContinuesTheirGen) {
  MockFpga fpga;
  MockFpga::Entry stale{};
  stale[0] = lm::sa_entry::kGen.bits().set(lm::sa_entry::kValid.bits().set(0, 1), 41);
  stale[1] = 0x0bad'0007;
  fpga.set_entry(7, stale);
  Firmware fw(fpga);
  ASSERT_TRUE(fw.ready());
  EXPECT_FALSE(fpga.valid(7));  // the old keys no longer decapsulate
  const auto cfg = sa_config(0x1234'0007, Direction::kInbound);
  const auto resp = decode(fw.handle(encode(Message{1, SaAdd{1, *expand_sa(cfg), {}, {}}})));
  ASSERT_TRUE(resp.has_value());
  ASSERT_TRUE(std::get<Reply>(resp->body).ok());
  EXPECT_EQ(fpga.gen(7), 42u);  // not 1: the engines may still hold state for GEN 41
  EXPECT_TRUE(fpga.valid(7));
}

TEST_F(FirmwareTest, PollsBusyAndReportsCmdError) {
  fpga.set_busy_reads(5);
  ASSERT_TRUE(add(1, sa_config(0x1000'0001, Direction::kInbound)).ok());
  EXPECT_TRUE(fpga.valid(1));
  fpga.fail_commands(true);
  const Reply r = add(2, sa_config(0x1000'0002, Direction::kInbound));
  EXPECT_EQ(r.result, Result::kHardware);
  EXPECT_FALSE(fw->slot_of(0x1000'0002, Direction::kInbound).has_value());
  EXPECT_GE(fw->counter(FwCounter::kHwErrors), 1u);
  fpga.fail_commands(false);
  // The handle of the failed SA was not kept: a fresh add works.
  EXPECT_TRUE(add(2, sa_config(0x1000'0002, Direction::kInbound)).ok());
}

TEST_F(FirmwareTest, GenBumpsAtEachReuseOfASlot) {
  const auto a = sa_config(0xaaaa'0010, Direction::kInbound);
  const auto b = sa_config(0xbbbb'0010, Direction::kInbound, 9);
  ASSERT_TRUE(add(1, a).ok());
  EXPECT_EQ(fpga.gen(0x10), 1u);
  fpga.writes().clear();
  ASSERT_TRUE(request(SaDel{a.spi, Direction::kInbound, 0}).ok());
  ASSERT_EQ(fpga.commands().size(), 1u);
  EXPECT_EQ(fpga.commands()[0], std::make_pair(lm::SaCmdOp::kInvalidate, std::uint16_t{0x10}));
  EXPECT_FALSE(fpga.valid(0x10));
  ASSERT_TRUE(add(2, b).ok());
  EXPECT_TRUE(fpga.valid(0x10));
  EXPECT_EQ(fpga.gen(0x10), 2u);
  EXPECT_EQ(fpga.entry(0x10)[1], b.spi);
  for (int i = 0; i < 300; ++i) {  // GEN is 8 bits and wraps
    ASSERT_TRUE(request(SaDel{b.spi, Direction::kInbound, 0}).ok());
    ASSERT_TRUE(add(2, b).ok());
  }
  EXPECT_EQ(fpga.gen(0x10), (2u + 300u) & 0xffu);
}

TEST_F(FirmwareTest, InboundSlotCollisionIsRefused) {
  ASSERT_TRUE(add(1, sa_config(0x1111'0042, Direction::kInbound)).ok());
  fpga.writes().clear();
  const Reply r = add(2, sa_config(0x2222'0042, Direction::kInbound));
  EXPECT_EQ(r.result, Result::kCollision);
  EXPECT_NE(r.error.find("slot 66"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("0x11110042"), std::string::npos) << r.error;
  EXPECT_TRUE(fpga.writes().empty());  // nothing touched
  EXPECT_EQ(fpga.entry(0x42)[1], 0x1111'0042u);
  EXPECT_EQ(fw->counter(FwCounter::kSaCollisions), 1u);
  // The same SA twice, and other refusals.
  EXPECT_EQ(add(1, sa_config(0x1111'0042, Direction::kInbound)).result, Result::kExists);
  // Outbound 3DES needs no entry (the host seals it; inbound 3DES gets a host-path entry).
  auto des = sa_config(0x3333'0001, Direction::kOutbound);
  des.cipher = lm::Cipher::kDes3Cbc;
  des.enc_key = pattern(24, 3);
  const Reply d = add(3, des);
  EXPECT_EQ(d.result, Result::kUnsupported);
  EXPECT_EQ(d.reason, lm::DropReason::kUnsupportedSuite);
  EXPECT_EQ(add(0, sa_config(0x3333'0002, Direction::kInbound)).result, Result::kBadMessage);
  auto big = sa_config(0x3333'0003, Direction::kInbound);
  big.replay_window = 4096;
  EXPECT_FALSE(expand_sa(big).has_value());
  EXPECT_EQ(fw->counter(FwCounter::kRefused), 4u);
}

// Inbound 3DES: a host-path entry (lookup fields, CIPHER = DES3_CBC, no keys) at SPI mod
// capacity, answered kHostPath with the slot; its ESP goes up whole, not protected.
TEST_F(FirmwareTest, Inbound3desIsInstalledAsAHostPathEntryWithoutKeys) {
  auto des = sa_config(0x4444'0017, Direction::kInbound);
  des.cipher = lm::Cipher::kDes3Cbc;
  des.enc_key = pattern(24, 3);
  const Reply r = add(21, des, {.bytes = 1000}, {.bytes = 2000});
  EXPECT_EQ(r.result, Result::kHostPath) << r.error;
  EXPECT_FALSE(r.ok());
  ASSERT_TRUE(r.slot.has_value());
  EXPECT_EQ(*r.slot, 0x17);
  EXPECT_EQ(fw->slot_of(des.spi, Direction::kInbound), std::optional<std::uint16_t>(0x17));
  const auto& e = fpga.entry(0x17);
  namespace f = lm::sa_entry;
  EXPECT_EQ(f::kValid.bits().get(e[0]), 1u);
  EXPECT_EQ(f::kDirection.bits().get(e[0]), static_cast<std::uint32_t>(Direction::kInbound));
  EXPECT_EQ(f::kCipher.bits().get(e[0]), static_cast<std::uint32_t>(lm::Cipher::kDes3Cbc));
  EXPECT_EQ(f::kEncap.bits().get(e[0]), static_cast<std::uint32_t>(lm::Encap::kUdp));
  EXPECT_EQ(e[f::kSpi.word], des.spi);
  EXPECT_EQ(e[f::kLocalAddr.word], kGateway);
  EXPECT_EQ(e[f::kPeerAddr.word], kNatOutside);
  // No key, HMAC state, IV key or byte lifetime reaches the FPGA.
  for (unsigned w = f::kKey.word; w < f::kWords; ++w) EXPECT_EQ(e[w], 0u) << "word " << w;
  EXPECT_EQ(fw->counter(FwCounter::kSaHostPath), 1u);
  EXPECT_EQ(fw->counter(FwCounter::kSaInstalled), 0u);
  EXPECT_EQ(fw->counter(FwCounter::kRefused), 0u);
  // Its slot is taken like any inbound SA's; query and delete work as usual.
  EXPECT_EQ(add(22, sa_config(0x5555'0017, Direction::kInbound)).result, Result::kCollision);
  const Reply q = request(SaQuery{des.spi, Direction::kInbound});
  ASSERT_TRUE(q.sa.has_value());
  EXPECT_EQ(q.sa->handle, 21u);
  EXPECT_EQ(q.sa->sa.cipher, lm::Cipher::kDes3Cbc);
  EXPECT_EQ(q.sa->sa.key_len, 0u);
  EXPECT_EQ(q.sa->hard, Lifetime{});  // the software path keeps its lifetimes
  ASSERT_TRUE(request(SaDel{des.spi, Direction::kInbound, 0}).ok());
  EXPECT_EQ(f::kValid.bits().get(fpga.entry(0x17)[0]), 0u);
  EXPECT_FALSE(fw->slot_of(des.spi, Direction::kInbound).has_value());
}

TEST_F(FirmwareTest, ReplayWindowIsCappedAtTheHardwareLimit) {
  auto c = sa_config(0x4444'0003, Direction::kInbound);
  c.replay_window = 1024;
  ASSERT_TRUE(add(1, c).ok());
  EXPECT_EQ(lm::sa_entry::kReplayWinLog2.bits().get(fpga.entry(3)[0]), 6u);
}

TEST_F(FirmwareTest, OutboundSasTakeFreeSlotsFromTheTop) {
  const Reply a = add(1, sa_config(0x5000'0001, Direction::kOutbound));
  const Reply b = add(2, sa_config(0x5000'0001, Direction::kOutbound));  // same SPI, other peer
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.slot, std::optional<std::uint16_t>(255));
  // Outbound SPIs are the peer's: two peers may choose the same one. Only one per SPI here.
  EXPECT_EQ(b.result, Result::kExists);
  const Reply c = add(2, sa_config(0x5000'0002, Direction::kOutbound));
  EXPECT_EQ(c.slot, std::optional<std::uint16_t>(254));
  EXPECT_EQ(lm::sa_entry::kDirection.bits().get(fpga.entry(254)[0]), 1u);
  EXPECT_EQ(fw->active_outbound(1), std::optional<std::uint16_t>(255));
  EXPECT_EQ(fw->active_outbound(2), std::optional<std::uint16_t>(254));
}

TEST_F(FirmwareTest, MakeBeforeBreakOutboundSwitchesAtOnceAndRetiresTheOldAfterGrace) {
  fw->poll(10'000);
  ASSERT_TRUE(add(7, sa_config(0x6000'0001, Direction::kOutbound)).ok());
  const auto old_slot = *fw->active_outbound(7);
  fpga.writes().clear();
  const Reply r = add(7, sa_config(0x6000'0002, Direction::kOutbound, 5));
  ASSERT_TRUE(r.ok());
  const auto new_slot = *r.slot;
  // The switch is the new entry's one table write; the old slot is not touched.
  for (const auto& [op, index] : fpga.commands()) EXPECT_EQ(index, new_slot);
  EXPECT_EQ(fpga.commands().back().first, lm::SaCmdOp::kWrite);
  EXPECT_EQ(fw->active_outbound(7), std::optional<std::uint16_t>(new_slot));
  EXPECT_TRUE(fpga.valid(old_slot));
  ASSERT_TRUE(request(TxL2tp{7, 1701, pattern(30, 1)}).ok());
  ASSERT_EQ(fpga.tx().size(), 1u);
  EXPECT_EQ(fpga.tx()[0].first.sa_index, new_slot);

  const auto q = request(SaQuery{0x6000'0001, Direction::kOutbound});
  ASSERT_TRUE(q.sa.has_value());
  EXPECT_TRUE(q.sa->retiring);
  EXPECT_FALSE(q.sa->active_outbound);

  fw->poll(10'999);
  EXPECT_TRUE(fpga.valid(old_slot));
  fw->poll(11'000);
  EXPECT_FALSE(fpga.valid(old_slot));
  EXPECT_TRUE(fpga.valid(new_slot));
  EXPECT_FALSE(fw->slot_of(0x6000'0001, Direction::kOutbound).has_value());
  EXPECT_EQ(fw->counter(FwCounter::kRetired), 1u);
  EXPECT_EQ(fw->active_outbound(7), std::optional<std::uint16_t>(new_slot));
}

TEST_F(FirmwareTest, DeletingTheActiveOutboundFallsBackToTheOther) {
  ASSERT_TRUE(add(7, sa_config(0x6100'0001, Direction::kOutbound)).ok());
  const auto first = *fw->active_outbound(7);
  ASSERT_TRUE(add(7, sa_config(0x6100'0002, Direction::kOutbound)).ok());
  ASSERT_TRUE(request(SaDel{0x6100'0002, Direction::kOutbound, 0}).ok());
  EXPECT_EQ(fw->active_outbound(7), std::optional<std::uint16_t>(first));
  ASSERT_TRUE(request(SaDel{0x6100'0001, Direction::kOutbound, 0}).ok());
  EXPECT_FALSE(fw->active_outbound(7).has_value());
  const Reply r = request(TxL2tp{7, 1701, pattern(10, 1)});
  EXPECT_EQ(r.result, Result::kNoRoute);
  EXPECT_EQ(r.reason, lm::DropReason::kUnknownSpi);
  EXPECT_EQ(fw->counter(FwCounter::kTxNoSa), 1u);
  EXPECT_EQ(request(SaDel{0x6100'0001, Direction::kOutbound, 0}).result, Result::kNotFound);
}

TEST_F(FirmwareTest, SecondInboundDecapsulatesBesideTheFirstUntilItsGraceEnds) {
  fw->poll(1'000);
  ASSERT_TRUE(add(9, sa_config(0x7000'0011, Direction::kInbound)).ok());
  ASSERT_TRUE(add(9, sa_config(0x7000'0012, Direction::kInbound, 4)).ok());
  EXPECT_TRUE(fpga.valid(0x11));
  EXPECT_TRUE(fpga.valid(0x12));
  ASSERT_TRUE(request(SaDel{0x7000'0011, Direction::kInbound, 500}).ok());
  EXPECT_FALSE(fw->poll(1'499));  // nothing to do
  EXPECT_TRUE(fpga.valid(0x11));
  EXPECT_TRUE(fw->poll(1'500));
  EXPECT_FALSE(fpga.valid(0x11));
  EXPECT_TRUE(fpga.valid(0x12));
  EXPECT_EQ(fw->counter(FwCounter::kRetired), 1u);
}

TEST_F(FirmwareTest, ByteLifetimesRaiseSoftAndHardOnceAndHardDeletes) {
  ASSERT_TRUE(
      add(3, sa_config(0x8000'0021, Direction::kInbound), {.bytes = 1000}, {.bytes = 2000}).ok());
  fpga.count_packet(0x21, 999);
  fw->poll(100);
  EXPECT_TRUE(events().empty());
  fpga.count_packet(0x21, 1);
  fw->poll(200);
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EventKind::kSoftExpire);
  EXPECT_EQ(ev[0].handle, 3u);
  EXPECT_EQ(ev[0].spi, 0x8000'0021u);
  EXPECT_EQ(ev[0].direction, Direction::kInbound);
  fpga.count_packet(0x21, 500);
  fw->poll(300);
  EXPECT_TRUE(events().empty());  // soft only once
  fpga.count_packet(0x21, 500);
  fw->poll(400);
  ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EventKind::kHardExpire);
  EXPECT_FALSE(fpga.valid(0x21));
  EXPECT_FALSE(fw->slot_of(0x8000'0021, Direction::kInbound).has_value());
  fw->poll(500);
  EXPECT_TRUE(events().empty());
  EXPECT_EQ(fw->counter(FwCounter::kSoftExpired), 1u);
  EXPECT_EQ(fw->counter(FwCounter::kHardExpired), 1u);
}

TEST_F(FirmwareTest, ByteLifetimeEventFromTheFpgaIsCheckedAtOnce) {
  FirmwareConfig c = config();
  c.lifetime_interval_ms = 1'000'000;  // no periodic checks after the first
  fw = std::make_unique<Firmware>(fpga, c);
  fw->poll(0);
  ASSERT_TRUE(add(3, sa_config(0x8100'0021, Direction::kOutbound), {.bytes = 100}, {}).ok());
  const auto slot = *fw->active_outbound(3);
  fpga.count_packet(slot, 150);
  fw->poll(10);
  EXPECT_TRUE(events().empty());
  fpga.push_event(slot, lm::EventKind::kSoftBytes);
  fw->poll(20);
  const auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EventKind::kSoftExpire);
  EXPECT_EQ(ev[0].direction, Direction::kOutbound);
}

TEST_F(FirmwareTest, SecondLifetimesRaiseSoftAndHardOnceAndHardDeletes) {
  fw->poll(5'000);
  ASSERT_TRUE(
      add(4, sa_config(0x9000'0031, Direction::kOutbound), {.seconds = 10}, {.seconds = 20}).ok());
  const auto slot = *fw->active_outbound(4);
  fw->poll(14'999);
  EXPECT_TRUE(events().empty());
  fw->poll(15'000);
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EventKind::kSoftExpire);
  EXPECT_EQ(ev[0].direction, Direction::kOutbound);
  fw->poll(20'000);
  EXPECT_TRUE(events().empty());
  fw->poll(25'000);
  ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EventKind::kHardExpire);
  EXPECT_FALSE(fpga.valid(slot));
  EXPECT_FALSE(fw->active_outbound(4).has_value());
}

TEST_F(FirmwareTest, SequenceOverflowEventIsRaisedOnce) {
  ASSERT_TRUE(add(5, sa_config(0xa000'0001, Direction::kOutbound)).ok());
  const auto slot = *fw->active_outbound(5);
  fpga.push_event(slot, lm::EventKind::kSeqOverflow);
  fpga.push_event(slot, lm::EventKind::kSeqOverflow);
  fpga.push_event(17, lm::EventKind::kSeqOverflow);  // a slot without an SA
  fw->poll(1);
  const auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EventKind::kSeqOverflow);
  EXPECT_EQ(ev[0].handle, 5u);
  EXPECT_EQ(ev[0].spi, 0xa000'0001u);
  EXPECT_EQ(ev[0].direction, Direction::kOutbound);
  EXPECT_EQ(fw->counter(FwCounter::kFpgaEvents), 3u);
  EXPECT_EQ(fw->counter(FwCounter::kFpgaEventsUnknown), 1u);
  EXPECT_EQ(fw->counter(FwCounter::kSeqOverflows), 1u);
}

TEST_F(FirmwareTest, LostFpgaEventsAreCountedAndCleared) {
  fpga.set_reg(lm::ctrl::kIrqStatus, lm::ctrl::irq_status::kError.set(0, 1));
  fpga.set_reg(lm::ctrl::kEventLost, 3);
  fw->poll(1);
  EXPECT_EQ(fw->counter(FwCounter::kFpgaEventsLost), 3u);
  EXPECT_EQ(lm::ctrl::irq_status::kError.get(fpga.reg(lm::ctrl::kIrqStatus)), 0u);
}

TEST_F(FirmwareTest, QueryReturnsCountersLastSequenceAndNoKeys) {
  auto out = sa_config(0xb000'0001, Direction::kOutbound);
  out.last_seq = 100;
  ASSERT_TRUE(add(6, out).ok());
  const auto slot = *fw->active_outbound(6);
  fpga.count_packet(slot, 40);
  fpga.count_packet(slot, 60);
  fpga.count_drop(slot, lm::sa_stats::kOtherDrop);
  const Reply r = request(SaQuery{out.spi, Direction::kOutbound});
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_TRUE(r.sa.has_value());
  EXPECT_EQ(r.sa->handle, 6u);
  EXPECT_EQ(r.sa->counters.packets, 2u);
  EXPECT_EQ(r.sa->counters.bytes, 100u);
  EXPECT_EQ(r.sa->counters.other_drop, 1u);
  EXPECT_EQ(r.sa->last_seq, 102u);
  EXPECT_TRUE(r.sa->active_outbound);
  EXPECT_EQ(r.sa->slot, slot);
  EXPECT_EQ(r.sa->sa.key, (std::array<std::uint8_t, 32>{}));
  EXPECT_EQ(r.sa->sa.hmac_istate, (std::array<std::uint32_t, 8>{}));
  EXPECT_EQ(r.sa->sa.spi, out.spi);
  EXPECT_EQ(r.sa->sa.peer_port, kNatPort);
  EXPECT_EQ(request(SaQuery{out.spi, Direction::kInbound}).result, Result::kNotFound);
}

TEST_F(FirmwareTest, UpdatePeerRewritesEverySaOfTheHandleKeepingGen) {
  ASSERT_TRUE(add(8, sa_config(0xc000'0005, Direction::kInbound)).ok());
  ASSERT_TRUE(add(8, sa_config(0xc000'0006, Direction::kOutbound)).ok());
  ASSERT_TRUE(add(9, sa_config(0xc000'0007, Direction::kInbound)).ok());
  const auto out_slot = *fw->active_outbound(8);
  const auto gen_in = fpga.gen(5), gen_out = fpga.gen(out_slot);
  ASSERT_TRUE(request(SaUpdatePeer{8, {0x0a000001, 50000}}).ok());
  for (const std::uint16_t s : {std::uint16_t{5}, out_slot}) {
    EXPECT_EQ(fpga.entry(s)[lm::sa_entry::kPeerAddr.word], 0x0a000001u);
    EXPECT_EQ(lm::sa_entry::kPeerPort.bits().get(fpga.entry(s)[lm::sa_entry::kPeerPort.word]),
              50000u);
    EXPECT_TRUE(fpga.valid(s));
  }
  EXPECT_EQ(fpga.gen(5), gen_in);
  EXPECT_EQ(fpga.gen(out_slot), gen_out);
  EXPECT_EQ(fpga.entry(7)[lm::sa_entry::kPeerAddr.word], kNatOutside);  // other handle
  EXPECT_EQ(request(SaUpdatePeer{99, {1, 2}}).result, Result::kNotFound);
}

}  // namespace
}  // namespace l2sec::fw::test
