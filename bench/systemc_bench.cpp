// Benchmark of the SystemC model of the line module (sim/systemc) against the bare Verilated C++
// model (sim/lmtop TopHarness) on the same traffic: 1400-byte L2TP payloads, AES-128 / HMAC-SHA-1,
// ESP in UDP from 4 peers (4 SAs each way, so the 4 lanes each way have packets in flight), a batch
// of decap frames on line RX and encap packets on host TX pushed at once, always-valid and
// always-ready streams, no firmware. Simulated cycles per wall-clock second and packets per second,
// the median of 3 rounds, printed side by side with the ratio.
//
// Usage: l2sec-sc-bench [--quick] [--trace FILE.fst|FILE.vcd]
//   --quick: one small round (the smoke test); --trace: trace the SystemC model's run to FILE.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "l2sec/sim/systemc/esp_peer.hpp"
#include "l2sec/sim/systemc/line_module.hpp"
#include "l2sec/sim/top_harness.hpp"

namespace {

using l2sec::Bytes;
using l2sec::sim::HostTxHeader;
using l2sec::sim::TopHarness;
using l2sec::sim::sc::EspPeer;
using l2sec::sim::sc::LineModule;
using Clock = std::chrono::steady_clock;

constexpr unsigned kPeers = 4;
constexpr std::size_t kPayload = 1400;
constexpr std::uint64_t kChunk = 256;  // cycles per run call, both models

struct Batch {
  std::vector<Bytes> frames;  // line rx
  std::vector<std::pair<HostTxHeader, Bytes>> tx;
};

struct Sample {
  double seconds = 0;
  std::uint64_t cycles = 0, packets = 0;
  double cycles_per_s() const { return static_cast<double>(cycles) / seconds; }
  double packets_per_s() const { return static_cast<double>(packets) / seconds; }
};

Batch MakeBatch(std::vector<std::unique_ptr<EspPeer>>& peers, unsigned per_direction) {
  Batch b;
  for (unsigned i = 0; i < per_direction; ++i) {
    EspPeer& p = *peers[i % peers.size()];
    const Bytes msg = l2sec::sim::sc::random_bytes(p.rng, kPayload - 8);
    const Bytes tp = l2sec::sim::sc::l2tp_transport(msg);
    b.frames.push_back(p.frame_from_peer(tp));
    HostTxHeader h;
    h.encap = true;
    h.sa_index = p.out_index;
    h.id = static_cast<std::uint16_t>(i);
    b.tx.emplace_back(h, tp);
  }
  return b;
}

// Pushes a batch and runs until every packet is out; wall time, cycles, packets.
template <typename Model, typename Run, typename Drain>
Sample RunBatch(Model& m, const Batch& b, Run run, Drain drain) {
  const std::uint64_t want = b.frames.size() + b.tx.size();
  const auto t0 = Clock::now();
  const std::uint64_t c0 = m.cycles();
  for (const Bytes& f : b.frames) m.push_line_rx(f);
  for (const auto& [h, d] : b.tx) m.push_host_tx(h, d);
  std::uint64_t got = 0;
  while (got < want) {
    run(kChunk);
    got += drain();
    if (m.cycles() - c0 > 50'000'000) {
      std::fprintf(stderr, "stuck: %llu of %llu packets out\n",
                   static_cast<unsigned long long>(got), static_cast<unsigned long long>(want));
      break;
    }
  }
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  return Sample{s, m.cycles() - c0, got};
}

Sample Median(std::vector<Sample> v) {
  std::sort(v.begin(), v.end(),
            [](const Sample& a, const Sample& b) { return a.cycles_per_s() < b.cycles_per_s(); });
  return v[v.size() / 2];
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  bool quick = false;
  std::string trace;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--trace") == 0 && i + 1 < argc) {
      trace = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--quick] [--trace FILE.fst|FILE.vcd]\n", argv[0]);
      return 2;
    }
  }
  const unsigned rounds = quick ? 1 : 3;
  const unsigned per_direction = quick ? 4 : 64;

  std::vector<std::unique_ptr<EspPeer>> peers;
  for (unsigned i = 0; i < kPeers; ++i) peers.push_back(std::make_unique<EspPeer>(1000 + i, i));
  std::vector<Batch> batches;
  for (unsigned r = 0; r < rounds; ++r) batches.push_back(MakeBatch(peers, per_direction));

  l2sec::sim::sc::LineModuleOptions o;
  o.firmware = false;
  o.trace_path = trace;
  LineModule lm(o);
  TopHarness h;
  bool ok = true;
  for (auto& p : peers) {
    ok = l2sec::sim::sc::install_entry(lm, p->in_index, p->in_cfg) && ok;
    ok = l2sec::sim::sc::install_entry(lm, p->out_index, p->out_cfg) && ok;
    ok = l2sec::sim::sc::install_entry(h, p->in_index, p->in_cfg) && ok;
    ok = l2sec::sim::sc::install_entry(h, p->out_index, p->out_cfg) && ok;
  }
  l2sec::sim::sc::write_macs(lm);
  l2sec::sim::sc::write_macs(h);
  lm.write32(l2sec::lm::ctrl::kControl, l2sec::lm::ctrl::control::kEnable.set(0, 1));
  h.write32(l2sec::lm::ctrl::kControl, l2sec::lm::ctrl::control::kEnable.set(0, 1));
  if (!ok) {
    std::fprintf(stderr, "SA install failed\n");
    return 1;
  }

  std::vector<Sample> sc_samples, cpp_samples;
  for (const Batch& b : batches) {
    cpp_samples.push_back(RunBatch(
        h, b, [&](std::uint64_t n) { h.step(static_cast<unsigned>(n)); },
        [&] {
          std::uint64_t n = 0;
          while (h.pop_host_rx()) ++n;
          while (h.pop_line_tx()) ++n;
          return n;
        }));
    sc_samples.push_back(RunBatch(
        lm, b, [&](std::uint64_t n) { lm.run_cycles(n); },
        [&] {
          std::uint64_t n = 0;
          while (lm.pop_host_rx()) ++n;
          while (lm.pop_line_tx()) ++n;
          return n;
        }));
  }
  const Sample s = Median(sc_samples), c = Median(cpp_samples);
  const std::uint64_t want = 2ull * per_direction;
  if (!trace.empty()) std::printf("SystemC model traced to %s\n", trace.c_str());
  std::printf(
      "line module, %u x %zu-byte ESP decap + %u x encap in flight (4 SAs each way, "
      "%u round%s, median)\n",
      per_direction, kPayload, per_direction, rounds, rounds > 1 ? "s" : "");
  std::printf("%-28s %14s %18s %12s\n", "", "SystemC", "C++ (TopHarness)", "SystemC/C++");
  std::printf("%-28s %14llu %18llu\n", "simulated cycles per batch",
              static_cast<unsigned long long>(s.cycles), static_cast<unsigned long long>(c.cycles));
  std::printf("%-28s %14.0f %18.0f %12.3f\n", "cycles per wall second", s.cycles_per_s(),
              c.cycles_per_s(), s.cycles_per_s() / c.cycles_per_s());
  std::printf("%-28s %14.1f %18.1f %12.3f\n", "packets per wall second", s.packets_per_s(),
              c.packets_per_s(), s.packets_per_s() / c.packets_per_s());
  std::printf("%-28s %14.1f %18.1f\n", "wall ms per batch", s.seconds * 1e3, c.seconds * 1e3);
  const bool all_out = s.packets == want && c.packets == want;
  if (!all_out) std::fprintf(stderr, "not every packet came out\n");
  return all_out ? 0 : 1;
}
