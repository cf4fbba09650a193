// The test LAC as a load generator: many tunnels, each with one session, set up against one LNS
// over an in-memory lossless path (each LAC on its own SA handle). Prints set-ups per second
// (SCCRQ..ICCN, seven control messages and their acknowledgements per tunnel+session) and the
// heap the LNS holds per established session.
#include <gtest/gtest.h>
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <deque>

#include "harness.hpp"
#include "l2sec/log.hpp"

using namespace l2sec;
using namespace l2sec::l2tp;
using namespace std::chrono_literals;

namespace {

struct Pending {
  std::size_t lac;  // index
  bool to_lns;
  Bytes bytes;
};

}  // namespace

TEST(L2tpLoad, SetupsPerSecondAndMemoryPerSession) {
  constexpr std::size_t kTunnels = 5000;
  auto sink = log::set_sink([](log::Level, std::string_view, std::string_view) {});
  test::FakeBackend backend;
  std::deque<Pending> q;
  backend.on_send = [&](const test::Sent& s) { q.push_back({s.handle - 1, false, s.msg}); };
  std::size_t payloads = 0;
  LnsConfig cfg;
  auto heap0 = mallinfo2().uordblks;
  Lns lns(cfg, backend, [&](const SessionInfo& i, SessionIo& io) {
    ++payloads;
    return std::make_unique<test::EchoPayload>(i, io);
  });
  std::vector<std::unique_ptr<Lac>> lacs;
  lacs.reserve(kTunnels);
  for (std::size_t i = 0; i < kTunnels; ++i) {
    lacs.push_back(std::make_unique<Lac>(LacConfig{}, [&q, i](ByteView d) {
      q.push_back({i, true, Bytes(d.begin(), d.end())});
    }));
  }
  auto now = Clock::time_point{} + 1000s;
  auto pump = [&] {
    while (!q.empty()) {
      Pending p = std::move(q.front());
      q.pop_front();
      if (p.to_lns) {
        ipsec::HostPacket pkt;
        pkt.pkt_class = lm::PktClass::kEspUdp;
        pkt.handle = static_cast<ipsec::SaHandle>(p.lac + 1);
        pkt.peer = ipsec::Endpoint{0xc6120102, static_cast<std::uint16_t>(1024 + p.lac)};
        pkt.local = ipsec::Endpoint{0xc6120201, 4500};
        pkt.inner_src_port = 1701;
        pkt.payload = std::move(p.bytes);
        lns.on_packet(pkt, now);
      } else {
        lacs[p.lac]->on_datagram(p.bytes, now);
      }
    }
  };
  const auto heap_lacs = mallinfo2().uordblks;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::uint16_t> sids(kTunnels);
  for (std::size_t i = 0; i < kTunnels; ++i) {
    lacs[i]->connect(now);
    pump();
    sids[i] = lacs[i]->open_session(now);
    pump();
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::size_t up = 0;
  for (std::size_t i = 0; i < kTunnels; ++i) {
    up += lacs[i]->call_state(sids[i]) == Lac::CallState::kEstablished;
  }
  EXPECT_EQ(up, kTunnels);
  EXPECT_EQ(payloads, kTunnels);
  EXPECT_EQ(lns.sessions().size(), kTunnels);
  // The LNS's heap: everything allocated after the LACs existed, minus the LACs' own growth
  // (their channels keep nothing once acknowledged), so an upper bound for the LNS.
  const auto heap1 = mallinfo2().uordblks;
  const double per_session = static_cast<double>(heap1 - heap_lacs) / static_cast<double>(kTunnels);
  std::printf(
      "l2tp set-ups: %zu tunnel+session in %.3f s = %.0f set-ups/s (one core, LNS and LAC "
      "in one process)\n",
      kTunnels, secs, static_cast<double>(kTunnels) / secs);
  if (heap1 > heap_lacs) {
    std::printf(
        "LNS heap per tunnel+session (with an echo payload): %.0f bytes (LACs: %.0f "
        "bytes each)\n",
        per_session, static_cast<double>(heap_lacs - heap0) / kTunnels);
  } else {
    std::printf("heap not measurable here (a sanitizer's allocator bypasses mallinfo2)\n");
  }
  // A tick over every tunnel costs little when nothing is due.
  const auto t1 = std::chrono::steady_clock::now();
  lns.tick(now + 1s);
  const double tick_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
  std::printf("tick over %zu tunnels: %.2f ms\n", kTunnels, tick_ms);
  log::set_sink(sink);
}
