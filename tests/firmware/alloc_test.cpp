// The per-packet paths allocate nothing once their buffers have grown: TX_L2TP (request in,
// response out, frame to the FPGA) and a received frame to an RX_PACKET in the outbox. Global
// operator new is replaced to count allocations in this test binary.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "fw_test_util.hpp"
#include "l2sec/golden/classify.hpp"
#include "l2sec/golden/ipv4.hpp"

namespace {
std::atomic<std::uint64_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace l2sec::fw::test {
namespace {

TEST_F(FirmwareTest, PacketPathsDoNotAllocateInSteadyState) {
  ASSERT_TRUE(add(3, sa_config(0x3000'0001, lm::Direction::kOutbound)).ok());
  fpga.keep_tx(false);
  const Bytes request = encode(Message{9, TxL2tp{3, 1701, pattern(1200, 1)}});
  Bytes response;
  for (int i = 0; i < 4; ++i) fw->handle(request, response);  // buffers grow
  const std::uint64_t before_tx = g_allocations.load();
  for (int i = 0; i < 1000; ++i) fw->handle(request, response);
  const std::uint64_t tx_allocs = g_allocations.load() - before_tx;
  EXPECT_EQ(tx_allocs, 0u);
  EXPECT_EQ(fpga.tx_count(), 1004u);
  const auto r = decode(response);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(std::get<Reply>(r->body).ok());

  const Bytes frame = golden::ethernet_frame(
      golden::build_udp_packet(kNatOutside, kGateway, 500, 500, pattern(300, 2)));
  const auto c = golden::classify(frame, false);
  RxMeta meta;
  meta.pkt_class = c.pkt_class;
  meta.src_addr = c.src_addr;
  meta.dst_addr = c.dst_addr;
  meta.src_port = c.src_port;
  meta.dst_port = c.dst_port;
  meta.payload_offset = c.payload_offset;
  meta.len = static_cast<std::uint16_t>(frame.size());
  Bytes msg;
  auto round = [&](int n) {
    for (int i = 0; i < n; ++i) fpga.push_rx(meta, frame);  // the FPGA's side allocates
    const std::uint64_t before = g_allocations.load();
    fw->poll(1);
    while (fw->take_message(msg)) {
    }
    return g_allocations.load() - before;
  };
  round(64);  // outbox buffers grow
  EXPECT_EQ(round(64), 0u);
  EXPECT_EQ(fw->counter(FwCounter::kRxToHost), 128u);
}

}  // namespace
}  // namespace l2sec::fw::test
