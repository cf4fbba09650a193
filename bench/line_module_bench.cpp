// Benchmark of the simulated line card: packets/s and bits/s (L2TP payload bits) through the whole
// line module as the host sees it (LineModuleBackend -> SimDevice rings -> firmware -> Verilated
// lm_top -> line port, and back), at 64, 512 and 1400-byte payloads each way, next to the bare
// Verilated lm_top driven directly through its TopHarness on the same frames (SA written by the
// harness, frames pushed on the line RX / host TX streams): simulated cycles/s and packets/s.
// AES-128-CBC + HMAC-SHA1-96, ESP in UDP, one SA pair; packets queued back to back. Medians of 3.
// The ratio says what the firmware, the mailbox and the driver cost on top of the RTL simulation.
//
// Usage: l2sec-lm-bench [--quick]   (--quick: few packets, one run; the smoke test)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "l2sec/driver/sim_device.hpp"
#include "l2sec/golden/classify.hpp"
#include "l2sec/golden/crypto.hpp"
#include "l2sec/golden/esp.hpp"
#include "l2sec/golden/ipv4.hpp"
#include "l2sec/ipsec/frame_port.hpp"
#include "l2sec/ipsec/line_module_backend.hpp"
#include "l2sec/log.hpp"
#include "l2sec/sim/lm/line_card.hpp"
#include "l2sec/sim/top_harness.hpp"

namespace {

using namespace l2sec;
using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kGateway = 0xc6120002;
constexpr std::uint32_t kClient = 0xc6120101;
constexpr std::uint16_t kClientPort = 40000;

Bytes random(std::size_t n) {
  Bytes b(n);
  golden::random_bytes(b);
  return b;
}

Bytes l2tp(std::size_t n, std::uint32_t tag) {
  Bytes m(n, 0);
  m[0] = 0x02;
  m[1] = 0x02;
  for (std::size_t i = 4; i < n; ++i) m[i] = static_cast<std::uint8_t>(i + tag);
  return m;
}

struct Pair {
  golden::SaConfig in, out;  // the gateway's
  golden::EspEngine client;
  golden::SaHandle c_out = golden::kNoSa, c_in = golden::kNoSa;
};

std::unique_ptr<Pair> make_pair(std::uint32_t spi_in) {
  auto p = std::make_unique<Pair>();
  auto& in = p->in;
  in.spi = spi_in;
  in.direction = lm::Direction::kInbound;
  in.encap = lm::Encap::kUdp;
  in.enc_key = random(16);
  in.auth_key = random(20);
  in.local_addr = kGateway;
  in.peer_addr = kClient;
  in.peer_port = kClientPort;
  in.iv_key = random(16);
  in.iv_mode = golden::IvMode::kCounter;
  p->out = in;
  p->out.spi = 0x70000001;
  p->out.direction = lm::Direction::kOutbound;
  p->out.enc_key = random(16);
  p->out.auth_key = random(20);
  golden::SaConfig c_out = in;
  c_out.direction = lm::Direction::kOutbound;
  std::swap(c_out.local_addr, c_out.peer_addr);
  c_out.local_port = kClientPort;
  c_out.peer_port = golden::kPortNatT;
  c_out.iv_mode = golden::IvMode::kRandom;
  golden::SaConfig c_in = p->out;
  c_in.direction = lm::Direction::kInbound;
  std::swap(c_in.local_addr, c_in.peer_addr);
  c_in.local_port = kClientPort;
  c_in.peer_port = golden::kPortNatT;
  c_in.replay_window = 1024;
  std::string e;
  p->c_out = p->client.add_sa(c_out, &e).value_or(golden::kNoSa);
  p->c_in = p->client.add_sa(c_in, &e).value_or(golden::kNoSa);
  return p;
}

// n ESP packets from the client (IPv4, outer UDP to 4500), payload bytes of L2TP each.
std::vector<Bytes> sealed(Pair& p, std::size_t payload, unsigned n) {
  std::vector<Bytes> out;
  for (unsigned i = 0; i < n; ++i) {
    const Bytes pkt =
        golden::build_udp_packet(kClient, kGateway, 1701, golden::kPortL2tp, l2tp(payload, i));
    Bytes esp;
    p.client.encap_payload(p.c_out, golden::kIpProtoUdp,
                           ByteView(pkt).subspan(golden::kIpv4MinHeader), golden::Ipv4Header{},
                           esp);
    out.push_back(std::move(esp));
  }
  return out;
}

struct Figure {
  double seconds = 0;
  std::uint64_t packets = 0, cycles = 0;
  double pps() const { return seconds > 0 ? static_cast<double>(packets) / seconds : 0; }
  double cps() const { return seconds > 0 ? static_cast<double>(cycles) / seconds : 0; }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// ---- the bare top

Figure bare(bool decap, std::size_t payload, unsigned n) {
  auto p = make_pair(0x10000123);
  sim::TopHarness h;
  h.enable(true, false);
  h.set_macs({0x02, 0x00, 0x5e, 0x12, 0x00, 0x02}, {0x02, 0x00, 0x5e, 0x12, 0x00, 0x01});
  const auto in_slot = static_cast<std::uint16_t>(p->in.spi % lm::sa_entry::kCapacity);
  if (!h.install_sa(in_slot, p->in) || !h.install_sa(4095, p->out)) {
    std::fprintf(stderr, "bare: SA install failed\n");
    return {};
  }
  Figure f;
  const std::uint64_t c0 = h.cycles();
  if (decap) {
    const auto pkts = sealed(*p, payload, n);
    const auto t0 = Clock::now();
    for (const auto& pkt : pkts) h.push_line_rx(golden::ethernet_frame(pkt));
    while (f.packets < n) {
      if (!h.run_until_idle(50'000'000)) break;
      while (h.pop_host_rx()) ++f.packets;
      if (!h.busy() && h.host_rx_pending() == 0) break;
    }
    f.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  } else {
    sim::HostTxHeader hdr;
    hdr.encap = true;
    hdr.sa_index = 4095;
    std::vector<Bytes> segs;
    for (unsigned i = 0; i < n; ++i) {
      Bytes seg(8 + payload);
      store_be16(seg.data(), 1701);
      store_be16(seg.data() + 2, 1701);
      store_be16(seg.data() + 4, static_cast<std::uint16_t>(seg.size()));
      const Bytes m = l2tp(payload, i);
      std::memcpy(seg.data() + 8, m.data(), m.size());
      segs.push_back(std::move(seg));
    }
    const auto t0 = Clock::now();
    for (const auto& s : segs) h.push_host_tx(hdr, s);
    while (f.packets < n) {
      if (!h.run_until_idle(50'000'000)) break;
      while (h.pop_line_tx()) ++f.packets;
      if (!h.busy() && h.line_tx_pending() == 0) break;
    }
    f.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  f.cycles = h.cycles() - c0;
  return f;
}

// ---- the whole line card through the back end

Figure card(bool decap, std::size_t payload, unsigned n) {
  auto p = make_pair(0);
  auto [ours, wire] = ipsec::make_memory_link();
  std::string error;
  auto device =
      driver::SimDevice::create("sim:bench", std::make_unique<lmsim::EthernetPort>(std::move(ours)),
                                lmsim::LineCardOptions{}, &error);
  if (!device) {
    std::fprintf(stderr, "card: %s\n", error.c_str());
    return {};
  }
  auto* dev = device.get();
  ipsec::LineModuleBackendOptions opt;
  opt.synchronous_tx = false;  // transmits queue up like a real driver's
  auto backend = ipsec::LineModuleBackend::create(std::move(device), opt, &error);
  if (!backend) {
    std::fprintf(stderr, "card: %s\n", error.c_str());
    return {};
  }
  p->in.spi = backend->allocate_spi();
  // The client's outbound must carry the SPI the back end chose.
  {
    golden::SaConfig c_out = p->in;
    c_out.direction = lm::Direction::kOutbound;
    std::swap(c_out.local_addr, c_out.peer_addr);
    c_out.local_port = kClientPort;
    c_out.peer_port = golden::kPortNatT;
    c_out.iv_mode = golden::IvMode::kRandom;
    p->client.remove_sa(p->c_out);
    p->c_out = p->client.add_sa(c_out, &error).value_or(golden::kNoSa);
  }
  if (!backend->add_sa({1, p->in, {}, {}}).ok() || !backend->add_sa({1, p->out, {}, {}}).ok()) {
    std::fprintf(stderr, "card: SA install failed\n");
    return {};
  }
  Figure f;
  const std::uint64_t c0 = dev->card().harness().cycles();
  if (decap) {
    const auto pkts = sealed(*p, payload, n);
    const auto t0 = Clock::now();
    for (const auto& pkt : pkts) wire->send(pkt);
    for (int idle = 0; f.packets < n && idle < 3;) {
      if (auto hp = backend->receive()) {
        ++f.packets;
        idle = 0;
      } else {
        ++idle;
      }
    }
    f.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  } else {
    const auto t0 = Clock::now();
    for (unsigned i = 0; i < n; ++i) backend->send_l2tp(1, 1701, l2tp(payload, i));
    for (int idle = 0; f.packets < n && idle < 3;) {
      backend->service();
      const auto before = f.packets;
      while (wire->receive()) ++f.packets;
      idle = f.packets == before ? idle + 1 : 0;
    }
    f.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  f.cycles = dev->card().harness().cycles() - c0;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const unsigned n = quick ? 4 : 200;
  const int runs = quick ? 1 : 3;
  l2sec::log::set_level(l2sec::log::Level::kWarning);
  std::printf(
      "Simulated line card (back end -> SimDevice -> firmware -> Verilated lm_top, 4 lanes) vs\n"
      "the bare Verilated lm_top (TopHarness); AES-128-CBC + HMAC-SHA1-96, ESP in UDP, %u packets\n"
      "back to back, median of %d\n",
      n, runs);
  std::printf("%-6s %7s | %10s %10s %10s | %10s %10s %10s | %6s\n", "dir", "payload", "card pkt/s",
              "card Mb/s", "cyc/pkt", "bare pkt/s", "bare Mb/s", "Mcyc/s", "ratio");
  bool all = true;
  for (const bool decap : {true, false}) {
    for (const std::size_t payload : {64u, 512u, 1400u}) {
      std::vector<double> c_pps, b_pps, b_cps, c_cpp;
      std::uint64_t c_pkts = 0, b_pkts = 0;
      for (int r = 0; r < runs; ++r) {
        const Figure b = bare(decap, payload, n);
        const Figure c = card(decap, payload, n);
        b_pps.push_back(b.pps());
        b_cps.push_back(b.cps());
        c_pps.push_back(c.pps());
        c_cpp.push_back(c.packets ? static_cast<double>(c.cycles) / static_cast<double>(c.packets)
                                  : 0);
        c_pkts = c.packets;
        b_pkts = b.packets;
      }
      const double cp = median(c_pps), bp = median(b_pps);
      std::printf("%-6s %7zu | %10.0f %10.2f %10.0f | %10.0f %10.2f %10.2f | %6.2f\n",
                  decap ? "decap" : "encap", payload, cp, cp * payload * 8 / 1e6, median(c_cpp), bp,
                  bp * payload * 8 / 1e6, median(b_cps) / 1e6, bp > 0 ? cp / bp : 0);
      if (c_pkts != n || b_pkts != n) {
        std::printf("  (incomplete: card %llu, bare %llu of %u packets)\n",
                    static_cast<unsigned long long>(c_pkts),
                    static_cast<unsigned long long>(b_pkts), n);
        all = false;
      }
    }
  }
  std::printf(
      "ratio: card packets/s over bare packets/s (1.00: the firmware, mailbox and driver "
      "cost nothing beside the RTL simulation)\n");
  return all ? 0 : 1;
}
