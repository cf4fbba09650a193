// The SystemC model of the line module (sim/systemc): elaboration, the register blocks, the
// firmware in simulated time (SA_ADD through its mailbox, ESP from the golden model in on the line,
// L2TP up to the host with its SA handle, TX_L2TP back out and opened by the golden peer),
// keepalive discard, FST and VCD traces, and cycle accuracy against the plain C++ TopHarness.
//
// SystemC elaborates once per process: ctest runs each test in its own process
// (gtest_discover_tests); run by hand, give --gtest_filter one test.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <systemc>
#include <tuple>
#include <vector>

#include "l2sec/fw/mailbox.hpp"
#include "l2sec/sim/systemc/esp_peer.hpp"
#include "l2sec/sim/systemc/line_module.hpp"
#include "l2sec/sim/top_harness.hpp"
#include "lm_regs.hpp"

namespace l2sec::sim::sc {
namespace {

std::uint64_t Seed() {
  const char* s = std::getenv("L2SEC_TEST_SEED");
  return s ? std::strtoull(s, nullptr, 0) : 20261124u;
}

class SystemCTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (sc_core::sc_get_status() != sc_core::SC_ELABORATION) {
      GTEST_SKIP() << "SystemC elaborates once per process: run one test per process";
    }
  }
  // A mailbox request through the firmware; the decoded reply.
  fw::Reply Request(LineModule& lm, fw::Body body) {
    fw::Message m{++seq_, std::move(body)};
    const auto resp = lm.request(fw::encode(m));
    EXPECT_TRUE(resp.has_value()) << "no response in time";
    if (!resp) return {};
    const auto dec = fw::decode(*resp);
    EXPECT_TRUE(dec.has_value());
    if (!dec) return {};
    EXPECT_EQ(dec->seq, seq_);
    const auto* r = std::get_if<fw::Reply>(&dec->body);
    EXPECT_NE(r, nullptr);
    return r ? *r : fw::Reply{};
  }
  std::uint32_t seq_ = 0;
};

LineModule& Started(LineModule& lm) {
  EXPECT_TRUE(lm.run_until([&] { return lm.firmware_started(); }, 100'000));
  return lm;
}

TEST_F(SystemCTest, ElaboratesAndFirmwareStarts) {
  LineModule lm;
  EXPECT_EQ(lm.cycles(), 0u);
  lm.run_cycles(10);
  EXPECT_EQ(lm.cycles(), 10u);
  Started(lm);
  ASSERT_NE(lm.firmware(), nullptr);
  EXPECT_TRUE(lm.firmware()->ready()) << lm.firmware()->start_error();
  EXPECT_EQ(lm.firmware()->capacity(), lm::sa_entry::kCapacity);
  // start() walked the blocks and wrote the MACs over AXI-Lite: that took simulated time.
  EXPECT_GT(lm.bus_transactions(), 10u);
  EXPECT_GT(lm.cycles(), 44u + 3 * lm.bus_transactions());
  std::printf("firmware start(): %llu AXI-Lite transactions, up by cycle %llu\n",
              static_cast<unsigned long long>(lm.bus_transactions()),
              static_cast<unsigned long long>(lm.cycles()));
  EXPECT_EQ(lm.read32(lm::ctrl::kControl) & lm::ctrl::control::kEnable.set(0, 1),
            lm::ctrl::control::kEnable.set(0, 1));
}

TEST_F(SystemCTest, RegisterBlocksIdentify) {
  LineModuleOptions o;
  o.firmware = false;
  LineModule lm(o);
  std::uint32_t base = 0;
  for (const auto& block : lm::kBlocks) {
    EXPECT_EQ(base, block.base) << block.name;
    EXPECT_EQ(lm.read32(base), block.type_id) << block.name;
    EXPECT_EQ(lm.read32(base + 4), block.version_id) << block.name;
    base = lm.read32(base + 8);
  }
  EXPECT_EQ(base, 0u);  // end of the chain
  std::string name;
  for (unsigned w = 0; w < lm::ident::kNameCount; ++w) {
    const std::uint32_t v = lm.read32(lm::ident::kName + 4 * w);
    for (int s = 24; s >= 0; s -= 8) {
      if (const char c = static_cast<char>(v >> s)) name.push_back(c);
    }
  }
  EXPECT_EQ(name, "l2sec-lm");
  // A register access is a bus transaction of a few cycles, not free.
  const std::uint64_t before = lm.cycles();
  lm.write32(lm::ident::kScratch, 0x5c5c0001);
  const std::uint64_t mid = lm.cycles();
  EXPECT_EQ(lm.read32(lm::ident::kScratch), 0x5c5c0001u);
  EXPECT_GE(mid - before, 2u);
  EXPECT_GE(lm.cycles() - mid, 2u);
  std::printf("AXI-Lite write: %llu cycles, read: %llu cycles\n",
              static_cast<unsigned long long>(mid - before),
              static_cast<unsigned long long>(lm.cycles() - mid));
}

// SA_ADD through the firmware, ESP in, L2TP up with the handle, TX_L2TP out, golden checks.
TEST_F(SystemCTest, FirmwareDecapAndEncapAgainstGolden) {
  LineModule lm;
  Started(lm);
  EspPeer peer(Seed(), 0);
  constexpr std::uint32_t kHandle = 7;
  const auto in_sa = fw::expand_sa(peer.in_cfg);
  const auto out_sa = fw::expand_sa(peer.out_cfg);
  ASSERT_TRUE(in_sa && out_sa);
  const std::uint64_t add_start = lm.cycles();
  fw::Reply r = Request(lm, fw::SaAdd{kHandle, *in_sa, {}, {}});
  ASSERT_TRUE(r.ok()) << r.error;
  std::printf("SA_ADD through the firmware: about %llu cycles\n",
              static_cast<unsigned long long>(lm.cycles() - add_start));
  r = Request(lm, fw::SaAdd{kHandle, *out_sa, {}, {}});
  ASSERT_TRUE(r.ok()) << r.error;
  const auto in_slot = lm.firmware()->slot_of(peer.in_cfg.spi, lm::Direction::kInbound);
  ASSERT_TRUE(in_slot.has_value());
  EXPECT_EQ(*in_slot, peer.in_cfg.spi % lm::sa_entry::kCapacity);

  // Ingress: three L2TP messages of different sizes.
  std::vector<Bytes> messages;
  for (std::size_t n : {12u, 333u, 1400u}) {
    messages.push_back(random_bytes(peer.rng, n));
    const Bytes frame = peer.frame_from_peer(l2tp_transport(messages.back()));
    Bytes expect;
    ASSERT_TRUE(peer.expect_decap(frame, expect).ok());
    lm.push_line_rx(frame);
  }
  std::vector<fw::RxPacket> got;
  const std::uint64_t rx_start = lm.cycles();
  ASSERT_TRUE(lm.run_until(
      [&] {
        while (auto m = lm.take_message()) {
          const auto d = fw::decode(*m);
          if (d && std::holds_alternative<fw::RxPacket>(d->body)) {
            got.push_back(std::get<fw::RxPacket>(d->body));
          }
        }
        return got.size() == messages.size();
      },
      200'000));
  std::printf("3 ESP frames in to 3 RX_PACKET messages out: about %llu cycles\n",
              static_cast<unsigned long long>(lm.cycles() - rx_start));
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].handle, kHandle);
    EXPECT_TRUE(got[i].is_protected);
    EXPECT_EQ(got[i].spi, peer.in_cfg.spi);
    EXPECT_EQ(got[i].pkt_class, lm::PktClass::kEspUdp);
    EXPECT_EQ(got[i].peer, (fw::Endpoint{peer.in_cfg.peer_addr, peer.in_cfg.peer_port}));
    EXPECT_EQ(got[i].inner_src_port, golden::kPortL2tp);
    EXPECT_EQ(got[i].payload, messages[i]) << "message " << i;
  }

  // Egress: a reply through the firmware's TX_L2TP; the golden peer opens what leaves the line.
  const Bytes reply = random_bytes(peer.rng, 600);
  r = Request(lm, fw::TxL2tp{kHandle, golden::kPortL2tp, reply});
  ASSERT_TRUE(r.ok()) << r.error;
  std::optional<LineTxFrame> out;
  ASSERT_TRUE(lm.run_until([&] { return (out = lm.pop_line_tx()).has_value(); }, 100'000));
  const auto opened = peer.peer_opens(out->frame);
  ASSERT_TRUE(opened.has_value()) << to_hex(out->frame);
  // Ports, length and the L2TP message as sent (the firmware fills in the inner UDP checksum).
  const Bytes want = l2tp_transport(reply);
  ASSERT_EQ(opened->size(), want.size());
  EXPECT_EQ(Bytes(opened->begin(), opened->begin() + 6), Bytes(want.begin(), want.begin() + 6));
  EXPECT_EQ(Bytes(opened->begin() + 8, opened->end()), reply);
  EXPECT_EQ(Bytes(out->frame.begin(), out->frame.begin() + 6),
            Bytes(kGatewayMac.begin(), kGatewayMac.end()));
  EXPECT_EQ(lm.read32(lm::decap::kPackets), 3u);
  EXPECT_EQ(lm.read32(lm::encap::kPackets), 1u);
}

// The irq wakes the firmware thread: an outbound SA at the last sequence number, a TX_L2TP, the
// encap lanes refuse to wrap (SEQ_OVERFLOW event in ctrl.EVENT, irq) and the firmware raises EVENT
// long before its idle timeout would have woken it.
TEST_F(SystemCTest, IrqWakesFirmwareForSeqOverflow) {
  LineModuleOptions o;
  o.firmware_idle_cycles = 1'000'000;
  LineModule lm(o);
  Started(lm);
  EspPeer peer(Seed(), 4);
  constexpr std::uint32_t kHandle = 9;
  auto out_sa = fw::expand_sa(peer.out_cfg);
  ASSERT_TRUE(out_sa.has_value());
  out_sa->initial_seq = 0xffffffffu;
  fw::Reply r = Request(lm, fw::SaAdd{kHandle, *out_sa, {}, {}});
  ASSERT_TRUE(r.ok()) << r.error;
  r = Request(lm, fw::TxL2tp{kHandle, golden::kPortL2tp, random_bytes(peer.rng, 100)});
  ASSERT_TRUE(r.ok()) << r.error;
  const std::uint64_t start = lm.cycles();
  std::optional<fw::Event> ev;
  ASSERT_TRUE(lm.run_until(
      [&] {
        while (auto m = lm.take_message()) {
          const auto d = fw::decode(*m);
          if (d && std::holds_alternative<fw::Event>(d->body)) ev = std::get<fw::Event>(d->body);
        }
        return ev.has_value();
      },
      100'000));
  EXPECT_EQ(ev->kind, fw::EventKind::kSeqOverflow);
  EXPECT_EQ(ev->handle, kHandle);
  EXPECT_EQ(ev->spi, peer.out_cfg.spi);
  EXPECT_LT(lm.cycles() - start, 20'000u);
  EXPECT_FALSE(lm.pop_line_tx().has_value());
  EXPECT_EQ(
      lm.read32(lm::encap::kDropCount + 4 * static_cast<unsigned>(lm::DropReason::kSeqOverflow)),
      1u);
}

TEST_F(SystemCTest, KeepaliveDiscardedAndCounted) {
  LineModule lm;
  Started(lm);
  EspPeer peer(Seed(), 1);
  lm.push_line_rx(peer.keepalive());
  lm.push_line_rx(peer.keepalive());
  lm.run_cycles(3000);
  EXPECT_FALSE(lm.take_message().has_value());  // nothing handed up
  const fw::Reply r = Request(lm, fw::CountersRequest{});
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_TRUE(r.counters.has_value());
  EXPECT_EQ(r.counters->keepalives[0], 2u);
  EXPECT_EQ(r.counters->parser_class[static_cast<std::size_t>(lm::PktClass::kNatKeepalive)], 2u);
  EXPECT_EQ(r.counters->firmware[static_cast<std::size_t>(fw::FwCounter::kRxFrames)], 0u);
}

std::string TempPath(const char* ext) {
  return ::testing::TempDir() + "l2sec_sc_trace_" + std::to_string(::getpid()) + ext;
}

Bytes ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

TEST_F(SystemCTest, FstTraceWritten) {
  LineModuleOptions o;
  o.trace_path = TempPath(".fst");
  std::remove(o.trace_path.c_str());
  {
    LineModule lm(o);
    Started(lm);
    lm.run_cycles(200);
    lm.close_trace();
  }
  const Bytes f = ReadFile(o.trace_path);
  // An FST file starts with its header block: type FST_BL_HDR (0), then the block length (329).
  ASSERT_GT(f.size(), 329u);
  EXPECT_EQ(f[0], 0u);
  EXPECT_EQ(load_be32(&f[1]), 0u);
  EXPECT_EQ(load_be32(&f[5]), 329u);
  std::remove(o.trace_path.c_str());
}

TEST_F(SystemCTest, VcdTraceWritten) {
  LineModuleOptions o;
  o.trace_path = TempPath(".vcd");
  std::remove(o.trace_path.c_str());
  {
    LineModule lm(o);
    Started(lm);
    lm.run_cycles(100);
    lm.close_trace();
  }
  const Bytes f = ReadFile(o.trace_path);
  const std::string text(f.begin(), f.end());
  EXPECT_NE(text.find("$enddefinitions"), std::string::npos);
  EXPECT_NE(text.find("s_axil_awvalid"), std::string::npos);
  EXPECT_NE(text.find("m_axis_host_rx_hdr_sa_index"), std::string::npos);
  std::remove(o.trace_path.c_str());
}

// The port models under random back-pressure (60 % valid, 50 % ready on every stream), no firmware:
// both directions at once, checked against the golden model.
TEST_F(SystemCTest, BackPressureAgainstGolden) {
  LineModuleOptions o;
  o.firmware = false;
  o.seed = Seed();
  o.valid_percent = 60;
  o.ready_percent = 50;
  LineModule lm(o);
  EspPeer peer(Seed() + 9, 3, lm::Cipher::kAesCbc256, lm::Integ::kHmacSha256, lm::IcvLen::kIcv128,
               false);
  ASSERT_TRUE(bring_up(lm, peer));
  std::vector<Bytes> expect_rx, expect_tx;
  for (unsigned i = 0; i < 24; ++i) {
    const Bytes msg = random_bytes(peer.rng, peer.rng() % 1400);
    const Bytes frame = peer.frame_from_peer(l2tp_transport(msg));
    Bytes dec;
    ASSERT_TRUE(peer.expect_decap(frame, dec).ok());
    expect_rx.push_back(dec);
    lm.push_line_rx(frame);
    HostTxHeader th;
    th.encap = true;
    th.sa_index = peer.out_index;
    expect_tx.push_back(l2tp_transport(msg));
    lm.push_host_tx(th, expect_tx.back());
  }
  ASSERT_TRUE(lm.run_until_idle(2'000'000));
  for (std::size_t i = 0; i < expect_rx.size(); ++i) {
    const auto p = lm.pop_host_rx();
    ASSERT_TRUE(p.has_value()) << "host rx " << i;
    EXPECT_EQ(p->data, expect_rx[i]) << "host rx " << i;
    EXPECT_EQ(p->header.sa_index, peer.in_index);
    EXPECT_EQ(p->header.pkt_class, lm::PktClass::kEsp);
    const auto f = lm.pop_line_tx();
    ASSERT_TRUE(f.has_value()) << "line tx " << i;
    EXPECT_EQ(peer.peer_opens(f->frame), expect_tx[i])
        << "line tx " << i << ": " << lm::to_string(peer.last_reason);
  }
  EXPECT_FALSE(lm.pop_host_rx().has_value());
  EXPECT_FALSE(lm.pop_line_tx().has_value());
}

// Cycle accuracy: the SystemC model and TopHarness, the same register sequence and the same traffic
// at the same cycle, must give the same bytes on the same edges. Both are also checked against the
// golden model. The port models draw their back-pressure as TopHarness does (one generator, same
// seed, same order), so this holds with random back-pressure too.
void CompareWithTopHarness(unsigned valid_percent, unsigned ready_percent) {
  LineModuleOptions o;
  o.firmware = false;
  o.seed = Seed();
  o.valid_percent = valid_percent;
  o.ready_percent = ready_percent;
  LineModule lm(o);
  TopHarnessOptions ho;
  ho.seed = Seed();
  ho.valid_percent = valid_percent;
  ho.ready_percent = ready_percent;
  TopHarness h(ho);
  EspPeer peer_a(Seed() + 5, 2);  // one peer, the same frames for both models

  ASSERT_TRUE(bring_up(lm, peer_a));
  ASSERT_TRUE(bring_up(h, peer_a));
  ASSERT_EQ(lm.cycles(), h.cycles()) << "register bring-up took different cycles";

  struct Out {
    std::uint64_t cycle;
    Bytes bytes;
    HostRxHeader hdr;
  };
  std::vector<Out> sc_rx, sc_tx, h_rx, h_tx;
  std::vector<Bytes> expect_rx, expect_tx_payload;
  for (std::size_t n : {40u, 1400u, 7u, 700u, 1400u, 64u}) {
    const Bytes msg = random_bytes(peer_a.rng, n);
    const Bytes frame = peer_a.frame_from_peer(l2tp_transport(msg));
    Bytes dec;
    ASSERT_TRUE(peer_a.expect_decap(frame, dec).ok());
    expect_rx.push_back(dec);
    lm.push_line_rx(frame);
    h.push_line_rx(frame);
    HostTxHeader th;
    th.encap = true;
    th.sa_index = peer_a.out_index;
    th.id = static_cast<std::uint16_t>(n);
    const Bytes tp = l2tp_transport(msg);
    expect_tx_payload.push_back(tp);
    lm.push_host_tx(th, tp);
    h.push_host_tx(th, tp);
  }
  constexpr std::uint64_t kRun = 60'000;
  const std::uint64_t start = h.cycles();
  for (std::uint64_t i = 0; i < kRun; ++i) {
    h.step(1);
    while (auto p = h.pop_host_rx()) h_rx.push_back({h.cycles(), p->second, p->first});
    while (auto f = h.pop_line_tx()) h_tx.push_back({h.cycles(), *f, {}});
  }
  lm.run_cycles(kRun);
  while (auto p = lm.pop_host_rx()) sc_rx.push_back({p->cycle, p->data, p->header});
  while (auto f = lm.pop_line_tx()) sc_tx.push_back({f->cycle, f->frame, {}});
  ASSERT_EQ(lm.cycles(), h.cycles());

  ASSERT_EQ(h_rx.size(), expect_rx.size());
  ASSERT_EQ(h_tx.size(), expect_tx_payload.size());
  ASSERT_EQ(sc_rx.size(), h_rx.size());
  ASSERT_EQ(sc_tx.size(), h_tx.size());
  for (std::size_t i = 0; i < h_rx.size(); ++i) {
    EXPECT_EQ(sc_rx[i].bytes, h_rx[i].bytes) << "host rx " << i;
    EXPECT_EQ(sc_rx[i].bytes, expect_rx[i]) << "host rx " << i << " against golden";
    EXPECT_EQ(sc_rx[i].cycle, h_rx[i].cycle) << "host rx " << i;
    EXPECT_EQ(sc_rx[i].hdr.sa_index, peer_a.in_index);
    EXPECT_TRUE(sc_rx[i].hdr.sa_valid);
    EXPECT_EQ(std::tie(sc_rx[i].hdr.spi, sc_rx[i].hdr.seq, sc_rx[i].hdr.src_port, sc_rx[i].hdr.len),
              std::tie(h_rx[i].hdr.spi, h_rx[i].hdr.seq, h_rx[i].hdr.src_port, h_rx[i].hdr.len));
  }
  for (std::size_t i = 0; i < h_tx.size(); ++i) {
    EXPECT_EQ(sc_tx[i].bytes, h_tx[i].bytes) << "line tx " << i;
    EXPECT_EQ(sc_tx[i].cycle, h_tx[i].cycle) << "line tx " << i;
    EXPECT_EQ(peer_a.peer_opens(sc_tx[i].bytes), expect_tx_payload[i])
        << "line tx " << i << ": " << lm::to_string(peer_a.last_reason);
  }
  if (!sc_rx.empty() && !sc_tx.empty()) {
    std::printf("last host rx at cycle +%llu, last line tx at +%llu (both models)\n",
                static_cast<unsigned long long>(sc_rx.back().cycle - start),
                static_cast<unsigned long long>(sc_tx.back().cycle - start));
  }
  // Register reads after the traffic agree too, on the same cycle.
  EXPECT_EQ(lm.read32(lm::decap::kPackets), h.read32(lm::decap::kPackets));
  EXPECT_EQ(lm.read32(lm::encap::kPackets), h.read32(lm::encap::kPackets));
  EXPECT_EQ(lm.cycles(), h.cycles());
}

TEST_F(SystemCTest, SameBytesAndCyclesAsTopHarness) { CompareWithTopHarness(100, 100); }

TEST_F(SystemCTest, SameBytesAndCyclesAsTopHarnessUnderBackPressure) {
  CompareWithTopHarness(60, 50);
}

}  // namespace
}  // namespace l2sec::sim::sc

int sc_main(int argc, char* argv[]) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
