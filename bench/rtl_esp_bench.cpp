// Benchmark of the ESP engines (rtl/esp), Verilated with LANES=8: cycles per packet and bits per
// cycle for decap and encap at 64, 512 and 1400-byte payloads (AES-128 / HMAC-SHA-1, ESP in UDP,
// always-valid/always-ready streams): one packet at a time; back to back with one SA (every packet
// on one lane: the single-lane figure); back to back over 8 SAs on the 8 lanes (packets in flight).
// Then the simulators side by side on the same design and stimulus (the 8-lane encap engine, one
// SA, 1400-byte packets; Icarus runs tests/rtl/esp/esp_bench_tb.v): Verilator cycles/s against
// Icarus cycles/s, measured in this run.
//
// Usage: l2sec-rtl-esp-bench [--quick]   (--quick: few packets, no Icarus run; the smoke test)
#include <unistd.h>
#include <verilated.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "Vlm_esp_decap_lanes.h"
#include "Vlm_esp_encap_lanes.h"
#include "esp_harness.h"
#include "l2sec/golden/ipv4.hpp"

namespace {

using l2sec::Bytes;
using l2sec::rtltest::esp::Beat;
using l2sec::rtltest::esp::Entry;
using l2sec::rtltest::esp::MakeEntry;
using l2sec::rtltest::esp::ToBeats;
namespace golden = l2sec::golden;
namespace lm = l2sec::lm;

using Clock = std::chrono::steady_clock;

// Drives one engine model with always-valid input and always-ready output. set_hdr fills the
// header channel of the packet at the head of the queue.
template <typename Model>
class Runner {
 public:
  Runner() : ctx_(std::make_unique<VerilatedContext>()), dut_(std::make_unique<Model>(ctx_.get())) {
    dut_->rst = 1;
    for (int i = 0; i < 4; ++i) Tick();
    dut_->rst = 0;
  }

  void Push(const Bytes& in, const Entry& entry) {
    for (const auto& b : ToBeats(in)) beats_.push_back(b);
    entries_.push_back(entry);
  }

  void Tick() {
    dut_->clk = 0;
    dut_->s_axis_tvalid = !beats_.empty();
    if (!beats_.empty()) {
      dut_->s_axis_tdata = beats_.front().data;
      dut_->s_axis_tkeep = beats_.front().keep;
      dut_->s_axis_tlast = beats_.front().last;
    }
    dut_->s_hdr_valid = !entries_.empty();
    if (!entries_.empty()) SetHdr(entries_.front());
    dut_->m_axis_tready = 1;
    dut_->m_hdr_ready = 1;
    dut_->eval();
    const bool in_fire = dut_->s_axis_tvalid && dut_->s_axis_tready;
    const bool hdr_fire = dut_->s_hdr_valid && dut_->s_hdr_ready;
    if (dut_->m_axis_tvalid && dut_->m_axis_tlast) ++done_;
    if (dut_->m_hdr_valid && dut_->m_hdr_reason != 0) ++dropped_;
    dut_->clk = 1;
    dut_->eval();
    ++cycles_;
    if (in_fire) beats_.pop_front();
    if (hdr_fire) entries_.pop_front();
  }

  // Runs until n more packets have left; returns the cycles it took.
  std::uint64_t RunUntil(std::uint64_t n) {
    const std::uint64_t start = cycles_;
    const std::uint64_t target = done_ + n;
    while (done_ < target && dropped_ == 0 && cycles_ - start < 100'000'000) Tick();
    return cycles_ - start;
  }

  std::uint64_t cycles() const { return cycles_; }
  std::uint64_t dropped() const { return dropped_; }
  Model& dut() { return *dut_; }

 private:
  void SetHdr(const Entry& e);

  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Model> dut_;
  std::deque<Beat> beats_;
  std::deque<Entry> entries_;
  std::uint64_t cycles_ = 0;
  std::uint64_t done_ = 0;
  std::uint64_t dropped_ = 0;
};

template <>
void Runner<Vlm_esp_decap_lanes>::SetHdr(const Entry& e) {
  dut_->s_hdr_hit = 1;
  dut_->s_hdr_index = e[1] % 256;
  for (unsigned w = 0; w < e.size(); ++w) dut_->s_hdr_entry[w] = e[w];
}

template <>
void Runner<Vlm_esp_encap_lanes>::SetHdr(const Entry& e) {
  dut_->s_hdr_index = e[1] % 256;
  for (unsigned w = 0; w < e.size(); ++w) dut_->s_hdr_entry[w] = e[w];
  dut_->s_hdr_next_header = 17;
  dut_->s_hdr_tos = 0;
  dut_->s_hdr_id = 1;
  dut_->s_hdr_frag = 0x4000;
  dut_->s_hdr_ttl = 64;
}

// SA i sits at index i, so on lane i mod 8.
golden::SaConfig Suite(lm::Direction dir, unsigned i) {
  golden::SaConfig c;
  c.spi = 0x12345600u | i;
  c.direction = dir;
  c.cipher = lm::Cipher::kAesCbc128;
  c.integ = lm::Integ::kHmacSha1;
  c.icv_len = lm::IcvLen::kIcv96;
  c.encap = lm::Encap::kUdp;
  c.enc_key = Bytes(16, 0x42);
  c.auth_key = Bytes(20, 0x17);
  c.local_addr = 0xc6120201;
  c.peer_addr = 0xc6120102;
  c.peer_port = 40000;
  c.iv_mode = golden::IvMode::kCounter;
  c.iv_key = Bytes(16, 0x99);
  return c;
}

struct Figures {
  double one = 0;      // cycles per packet, one at a time
  double flight = 0;   // cycles per packet, next packets queued, one SA
  double spread = 0;   // cycles per packet, next packets queued, 8 SAs on 8 lanes
  double seconds = 0;  // wall time of the queued one-SA run
  std::uint64_t cycles = 0;
};
constexpr unsigned kSas = 8;

Figures MeasureEncap(std::size_t len, unsigned n) {
  std::vector<Entry> e;
  for (unsigned i = 0; i < kSas; ++i)
    e.push_back(MakeEntry(Suite(lm::Direction::kOutbound, i), 6, 1));
  const Bytes payload(len, 0x5a);
  Figures f;
  Runner<Vlm_esp_encap_lanes> r;
  std::uint64_t total = 0;
  for (unsigned i = 0; i < n; ++i) {
    r.Push(payload, e[0]);
    total += r.RunUntil(1);
  }
  f.one = static_cast<double>(total) / n;
  for (unsigned i = 0; i < n; ++i) r.Push(payload, e[0]);
  const auto t0 = Clock::now();
  f.cycles = r.RunUntil(n);
  f.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  f.flight = static_cast<double>(f.cycles) / n;
  for (unsigned i = 0; i < n * kSas; ++i) r.Push(payload, e[i % kSas]);
  f.spread = static_cast<double>(r.RunUntil(n * kSas)) / (n * kSas);
  if (r.dropped() != 0)
    std::printf("  (encap dropped %llu packets)\n", static_cast<unsigned long long>(r.dropped()));
  return f;
}

Figures MeasureDecap(std::size_t len, unsigned n) {
  golden::EspEngine client;
  std::vector<Entry> e;
  std::vector<golden::SaHandle> h;
  for (unsigned i = 0; i < kSas; ++i) {
    golden::SaConfig in = Suite(lm::Direction::kInbound, i);
    golden::SaConfig out = in;
    out.direction = lm::Direction::kOutbound;
    std::swap(out.local_addr, out.peer_addr);
    std::swap(out.local_port, out.peer_port);
    std::string err;
    h.push_back(*client.add_sa(out, &err));
    e.push_back(MakeEntry(in, 6, 1));
  }
  Bytes inner(len, 0x5a);
  if (len >= 8) {  // an L2TP-ish UDP header
    l2sec::store_be16(inner.data(), 1701);
    l2sec::store_be16(inner.data() + 2, 1701);
    l2sec::store_be16(inner.data() + 4, static_cast<std::uint16_t>(len));
  }
  auto next = [&](unsigned sa) {
    Bytes pkt;
    client.encap_payload(h[sa], len >= 8 ? 17 : 1, inner, golden::Ipv4Header{}, pkt);
    return pkt;
  };
  Figures f;
  Runner<Vlm_esp_decap_lanes> r;
  std::uint64_t total = 0;
  for (unsigned i = 0; i < n; ++i) {
    r.Push(next(0), e[0]);
    total += r.RunUntil(1);
  }
  f.one = static_cast<double>(total) / n;
  for (unsigned i = 0; i < n; ++i) r.Push(next(0), e[0]);
  const auto t0 = Clock::now();
  f.cycles = r.RunUntil(n);
  f.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  f.flight = static_cast<double>(f.cycles) / n;
  for (unsigned i = 0; i < n * kSas; ++i) r.Push(next(i % kSas), e[i % kSas]);
  f.spread = static_cast<double>(r.RunUntil(n * kSas)) / (n * kSas);
  if (r.dropped() != 0)
    std::printf("  (decap dropped %llu packets)\n", static_cast<unsigned long long>(r.dropped()));
  return f;
}

// Icarus on the same encap lane: compile the bench, run it, parse its cycle count.
bool RunIcarus(std::size_t len, unsigned n, std::uint64_t* cycles, double* seconds) {
  const std::string vvp = "/tmp/l2sec-rtl-esp-bench-" + std::to_string(::getpid()) + ".vvp";
  const std::string compile = std::string(L2SEC_IVERILOG) +
                              " -g2012 -I" L2SEC_GENERATED_DIR " -o " + vvp +
                              " -s esp_bench_tb " L2SEC_ICARUS_SOURCES;
  if (std::system(compile.c_str()) != 0) return false;
  const std::string run = std::string(L2SEC_VVP) + " -n " + vvp + " +bytes=" + std::to_string(len) +
                          " +packets=" + std::to_string(n);
  const auto t0 = Clock::now();
  FILE* p = ::popen(run.c_str(), "r");
  if (p == nullptr) return false;
  char line[256];
  bool ok = false;
  while (std::fgets(line, sizeof line, p) != nullptr) {
    unsigned long long c = 0;
    if (std::sscanf(line, "cycles %llu", &c) == 1) {
      *cycles = c;
      ok = true;
    }
  }
  ::pclose(p);
  *seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  std::remove(vvp.c_str());
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const unsigned n = quick ? 2 : 16;
  std::printf("ESP engines, 8 lanes each way, AES-128-CBC + HMAC-SHA1-96, ESP in UDP, Verilator\n");
  std::printf("%-6s %7s | %22s | %22s | %22s\n", "", "", "one at a time", "queued, one SA",
              "queued, 8 SAs / 8 lanes");
  std::printf("%-6s %7s | %10s %11s | %10s %11s | %10s %11s\n", "dir", "payload", "cyc/pkt",
              "bits/cyc", "cyc/pkt", "bits/cyc", "cyc/pkt", "bits/cyc");
  double vl_cycles = 0;
  double vl_seconds = 0;
  for (std::size_t len : {64, 512, 1400}) {
    const Figures d = MeasureDecap(len, n);
    const Figures e = MeasureEncap(len, n);
    const double bits = 8.0 * static_cast<double>(len);
    for (const auto& [dir, f] : {std::pair{"decap", d}, std::pair{"encap", e}}) {
      std::printf("%-6s %7zu | %10.0f %11.2f | %10.0f %11.2f | %10.0f %11.2f\n", dir, len, f.one,
                  bits / f.one, f.flight, bits / f.flight, f.spread, bits / f.spread);
    }
    if (len == 1400) {
      vl_cycles = static_cast<double>(e.cycles);
      vl_seconds = e.seconds;
    }
  }
  const double vl_rate = vl_cycles / vl_seconds;
  std::printf("Verilator: %.0f cycles in %.3f s = %.2f M cycles/s (8-lane encap, one SA, 1400 B)\n",
              vl_cycles, vl_seconds, vl_rate / 1e6);
  if (quick) {
    std::printf("Icarus: skipped (--quick)\n");
    return 0;
  }
  std::uint64_t ic_cycles = 0;
  double ic_seconds = 0;
  if (!RunIcarus(1400, 2, &ic_cycles, &ic_seconds)) {
    std::printf("Icarus: run failed\n");
    return 1;
  }
  const double ic_rate = static_cast<double>(ic_cycles) / ic_seconds;
  std::printf(
      "Icarus:    %llu cycles in %.3f s = %.2f k cycles/s (same design and stimulus, incl. "
      "start-up)\n",
      static_cast<unsigned long long>(ic_cycles), ic_seconds, ic_rate / 1e3);
  std::printf("Verilator / Icarus: %.0fx\n", vl_rate / ic_rate);
  return 0;
}
