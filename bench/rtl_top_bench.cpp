// Benchmark of the line-module top (rtl/top/lm_top.v), Verilated with LANES=4 (the default) and
// LANES=8, CAPACITY=256: cycles per packet and bits per cycle (transport payload bits) for ingress
// (ESP frames from the line to decapsulated packets at the host RX) and egress (host TX payloads to
// ESP frames on the line) at 64, 512 and 1400-byte payloads. AES-128-CBC + HMAC-SHA1-96, ESP in
// UDP, always-valid/always-ready streams. Cases: one packet at a time; queued on one SA (every
// packet on one lane); queued over 8 SAs (packets in flight in all lanes); both directions at once
// over 8 SAs each (1400 B). Every output is compared byte for byte with the golden model (and the
// host RX header's SA fields); a mismatch or a missing packet ends the run with no figures.
// Then Verilator cycles/s (median of several runs) and Verilator against Icarus on the same top
// (LANES=4, CAPACITY=256) and the same stimulus (bench/rtl_top_bench_tb.v), measured in this run.
//
// Usage: l2sec-rtl-top-bench [--quick]   (--quick: few packets, one timing run, no Icarus: the
// smoke test)
#include <unistd.h>
#include <verilated.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "Vlm_top_l4.h"
#include "Vlm_top_l8.h"
#include "l2sec/golden/classify.hpp"
#include "l2sec/golden/esp.hpp"
#include "l2sec/golden/ipv4.hpp"
#include "l2sec/sim/sa_entry.hpp"
#include "lm_regs.hpp"

namespace {

using l2sec::Bytes;
using l2sec::ByteView;
namespace golden = l2sec::golden;
namespace lm = l2sec::lm;
using Clock = std::chrono::steady_clock;

constexpr unsigned kCapacity = 256;  // the models' SA table depth
constexpr unsigned kSas = 8;         // SAs per direction: inbound at 0..7, outbound at 8..15
static_assert(2 * kSas <= kCapacity && 0x5a5a1000u % kCapacity == 0, "SA slots and SPIs");
constexpr std::uint32_t kLocalAddr = 0xC6120002;  // 198.18.0.2
constexpr std::array<std::uint8_t, 6> kLocalMac = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
constexpr std::array<std::uint8_t, 6> kGatewayMac = {0x02, 0x00, 0x5e, 0x10, 0x00, 0xfe};

[[noreturn]] void Fail(const std::string& what) {
  std::printf("FAILED: %s (no figures for wrong output)\n", what.c_str());
  std::fflush(stdout);
  std::exit(1);
}

struct Beat {
  std::uint64_t data = 0;
  std::uint8_t keep = 0;
  bool last = false;
};

void AppendBeats(std::deque<Beat>& out, ByteView bytes) {
  std::size_t off = 0;
  do {
    Beat b;
    for (std::size_t i = 0; i < 8 && off + i < bytes.size(); ++i) {
      b.data |= std::uint64_t{bytes[off + i]} << (8 * i);
      b.keep = static_cast<std::uint8_t>(b.keep | (1u << i));
    }
    off += 8;
    b.last = off >= bytes.size();
    out.push_back(b);
  } while (off < bytes.size());
}

void AppendBytes(Bytes& out, std::uint64_t data, std::uint8_t keep) {
  for (unsigned i = 0; i < 8; ++i) {
    if ((keep >> i) & 1u) out.push_back(static_cast<std::uint8_t>(data >> (8 * i)));
  }
}

struct TxItem {
  std::uint16_t sa_index = 0;
  std::uint16_t id = 0;
  std::deque<Beat> beats;
  bool hdr_sent = false;
};

struct RxOut {
  bool sa_valid = false;
  unsigned sa_index = 0;
  std::uint32_t seq = 0;
  unsigned len = 0;
  Bytes data;
};

// The minimal lm_top driver (the same protocol as sim/lmtop's TopHarness, which is built for the
// one default model): queued line RX frames and host TX packets, always-ready outputs collected,
// blocking AXI-Lite access.
template <typename Model>
class Top {
 public:
  Top() : ctx_(std::make_unique<VerilatedContext>()) {
    ctx_->randReset(0);
    dut_ = std::make_unique<Model>(ctx_.get(), "lm_top");
    dut_->rst = 1;
    for (int i = 0; i < 4; ++i) Tick();
    dut_->rst = 0;
    for (int i = 0; i < 40; ++i) Tick();  // the parser's counter clear
  }
  ~Top() { dut_->final(); }
  Top(const Top&) = delete;
  Top& operator=(const Top&) = delete;

  void PushLine(ByteView frame) { AppendBeats(line_in_, frame); }
  void PushHost(std::uint16_t sa_index, std::uint16_t id, ByteView payload) {
    TxItem it{sa_index, id, {}, false};
    AppendBeats(it.beats, payload);
    host_in_.push_back(std::move(it));
  }

  void Tick() {
    Model& d = *dut_;
    d.clk = 0;
    d.s_axis_line_rx_tvalid = !line_in_.empty();
    if (!line_in_.empty()) {
      d.s_axis_line_rx_tdata = line_in_.front().data;
      d.s_axis_line_rx_tkeep = line_in_.front().keep;
      d.s_axis_line_rx_tlast = line_in_.front().last;
    }
    d.s_axis_host_tx_hdr_valid = 0;
    d.s_axis_host_tx_tvalid = 0;
    if (!host_in_.empty()) {
      const TxItem& it = host_in_.front();
      if (!it.hdr_sent) {
        d.s_axis_host_tx_hdr_valid = 1;
        d.s_axis_host_tx_hdr_encap = 1;
        d.s_axis_host_tx_hdr_sa_index = it.sa_index;
        d.s_axis_host_tx_hdr_next_header = golden::kIpProtoUdp;
        d.s_axis_host_tx_hdr_tos = 0;
        d.s_axis_host_tx_hdr_id = it.id;
        d.s_axis_host_tx_hdr_frag = 0;
        d.s_axis_host_tx_hdr_ttl = 64;
        d.s_axis_host_tx_hdr_port = 0;
      } else {
        d.s_axis_host_tx_tvalid = 1;
        d.s_axis_host_tx_tdata = it.beats.front().data;
        d.s_axis_host_tx_tkeep = it.beats.front().keep;
        d.s_axis_host_tx_tlast = it.beats.front().last;
      }
    }
    d.m_axis_line_tx_tready = 1;
    d.m_axis_host_rx_tready = 1;
    d.m_axis_host_rx_hdr_ready = 1;
    d.s_axil_awvalid = aw_pending_;
    d.s_axil_wvalid = w_pending_;
    d.s_axil_bready = 1;
    d.s_axil_arvalid = ar_pending_;
    d.s_axil_rready = 1;
    d.eval();

    if (d.s_axis_line_rx_tvalid && d.s_axis_line_rx_tready) line_in_.pop_front();
    if (d.s_axis_host_tx_hdr_valid && d.s_axis_host_tx_hdr_ready) host_in_.front().hdr_sent = true;
    if (d.s_axis_host_tx_tvalid && d.s_axis_host_tx_tready) {
      host_in_.front().beats.pop_front();
      if (host_in_.front().beats.empty()) host_in_.pop_front();
    }
    if (d.m_axis_line_tx_tvalid) {
      AppendBytes(line_cur_, d.m_axis_line_tx_tdata, d.m_axis_line_tx_tkeep);
      if (d.m_axis_line_tx_tlast) {
        line_out_.push_back(std::move(line_cur_));
        line_cur_.clear();
        last_tx_cycle_ = cycles_ + 1;
      }
    }
    if (d.m_axis_host_rx_hdr_valid) {
      if (rx_hdr_open_) Fail("host rx header before the previous packet's data");
      rx_cur_ = RxOut{};
      rx_cur_.sa_valid = d.m_axis_host_rx_hdr_sa_valid;
      rx_cur_.sa_index = d.m_axis_host_rx_hdr_sa_index;
      rx_cur_.seq = d.m_axis_host_rx_hdr_seq;
      rx_cur_.len = d.m_axis_host_rx_hdr_len;
      rx_hdr_open_ = true;
    }
    if (d.m_axis_host_rx_tvalid) {
      if (!rx_hdr_open_) Fail("host rx data without a header");
      AppendBytes(rx_cur_.data, d.m_axis_host_rx_tdata, d.m_axis_host_rx_tkeep);
      if (d.m_axis_host_rx_tlast) {
        host_out_.push_back(std::move(rx_cur_));
        rx_cur_ = RxOut{};
        last_rx_cycle_ = cycles_ + 1;
        rx_hdr_open_ = false;
      }
    }
    if (d.s_axil_awvalid && d.s_axil_awready) aw_pending_ = false;
    if (d.s_axil_wvalid && d.s_axil_wready) w_pending_ = false;
    if (d.s_axil_arvalid && d.s_axil_arready) ar_pending_ = false;
    if (d.s_axil_bvalid) b_seen_ = true;
    if (d.s_axil_rvalid) {
      r_seen_ = true;
      r_data_ = d.s_axil_rdata;
    }
    d.clk = 1;
    d.eval();
    ++cycles_;
  }

  void Write32(std::uint32_t addr, std::uint32_t value) {
    dut_->s_axil_awaddr = static_cast<std::uint16_t>(addr);
    dut_->s_axil_awprot = 0;
    dut_->s_axil_wdata = value;
    dut_->s_axil_wstrb = 0xf;
    aw_pending_ = w_pending_ = true;
    b_seen_ = false;
    for (unsigned i = 0; !b_seen_; ++i) {
      if (i > 10000) Fail("AXI-Lite write timed out");
      Tick();
    }
  }

  std::uint32_t Read32(std::uint32_t addr) {
    dut_->s_axil_araddr = static_cast<std::uint16_t>(addr);
    dut_->s_axil_arprot = 0;
    ar_pending_ = true;
    r_seen_ = false;
    for (unsigned i = 0; !r_seen_; ++i) {
      if (i > 10000) Fail("AXI-Lite read timed out");
      Tick();
    }
    return r_data_;
  }

  // Runs until rx host RX packets and tx line TX frames have come out in all (counted from the
  // start); returns the cycles this call took.
  std::uint64_t RunUntil(std::size_t rx, std::size_t tx, std::uint64_t max_cycles) {
    const std::uint64_t start = cycles_;
    while (host_out_.size() < rx || line_out_.size() < tx) {
      if (cycles_ - start > max_cycles) Fail("packets missing (dropped or stuck)");
      Tick();
    }
    return cycles_ - start;
  }

  std::deque<RxOut>& host_out() { return host_out_; }
  std::deque<Bytes>& line_out() { return line_out_; }
  std::uint64_t cycles() const { return cycles_; }
  // The cycle count at the end of the last host RX packet / line TX frame.
  std::uint64_t last_rx_cycle() const { return last_rx_cycle_; }
  std::uint64_t last_tx_cycle() const { return last_tx_cycle_; }

 private:
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Model> dut_;
  std::deque<Beat> line_in_;
  std::deque<TxItem> host_in_;
  Bytes line_cur_;
  std::deque<Bytes> line_out_;
  RxOut rx_cur_;
  bool rx_hdr_open_ = false;
  std::deque<RxOut> host_out_;
  bool aw_pending_ = false, w_pending_ = false, ar_pending_ = false;
  bool b_seen_ = false, r_seen_ = false;
  std::uint32_t r_data_ = 0;
  std::uint64_t cycles_ = 0;
  std::uint64_t last_rx_cycle_ = 0, last_tx_cycle_ = 0;
};

// An AXI-Lite write and the idle cycles after it (the Icarus stimulus replays these).
struct RegWrite {
  std::uint32_t addr = 0, value = 0;
  unsigned wait = 0;
};

// The register writes that bring the module up with the given SAs: MACs, SA installs, ENABLE.
std::vector<RegWrite> BringUp(const std::vector<std::pair<unsigned, golden::SaConfig>>& sas) {
  std::vector<RegWrite> w;
  auto hi = [](const std::array<std::uint8_t, 6>& a) {
    return static_cast<std::uint32_t>((a[0] << 8) | a[1]);
  };
  w.push_back({lm::ctrl::kLocalMacHi, hi(kLocalMac), 0});
  w.push_back({lm::ctrl::kLocalMacLo, l2sec::load_be32(&kLocalMac[2]), 0});
  w.push_back({lm::ctrl::kGatewayMacHi, hi(kGatewayMac), 0});
  w.push_back({lm::ctrl::kGatewayMacLo, l2sec::load_be32(&kGatewayMac[2]), 0});
  for (const auto& [index, cfg] : sas) {
    const auto words = l2sec::sim::pack_sa_entry(cfg, 6, 1);
    for (unsigned i = 0; i < words.size(); ++i)
      w.push_back({lm::sa_table::kStage + 4 * i, words[i], 0});
    namespace c = lm::sa_table::cmd;
    w.push_back(
        {lm::sa_table::kCmd,
         c::kOp.set(c::kIndex.set(0, index), static_cast<std::uint32_t>(lm::SaCmdOp::kWrite)),
         200});
  }
  w.push_back({lm::ctrl::kControl, lm::ctrl::control::kEnable.set(0, 1), 0});
  return w;
}

golden::SaConfig Suite(unsigned i, bool inbound) {
  golden::SaConfig c;
  // Inbound: the SPI's low bits name the slot (the SA table's direct mapping, SPI mod CAPACITY).
  c.spi = inbound ? 0x5a5a1000u + i : 0x7e7e2000u + i;
  c.direction = inbound ? lm::Direction::kInbound : lm::Direction::kOutbound;
  c.cipher = lm::Cipher::kAesCbc128;
  c.integ = lm::Integ::kHmacSha1;
  c.icv_len = lm::IcvLen::kIcv96;
  c.encap = lm::Encap::kUdp;
  c.enc_key = Bytes(16, static_cast<std::uint8_t>(0x40 + i + (inbound ? 0 : 0x10)));
  c.auth_key = Bytes(20, static_cast<std::uint8_t>(0x17 + i + (inbound ? 0 : 0x10)));
  c.iv_key = Bytes(16, static_cast<std::uint8_t>(0x99 + i));
  c.iv_mode = golden::IvMode::kCounter;
  c.local_addr = kLocalAddr;
  c.peer_addr = 0xC6130000u + 10 + i;  // 198.19.0.x
  c.local_port = golden::kPortNatT;
  c.peer_port = static_cast<std::uint16_t>(40000 + i);
  return c;
}

// Inner UDP header (1701 -> 1701) and a patterned L2TP-ish body: the transport payload.
Bytes L2tpPayload(std::size_t n, unsigned salt) {
  Bytes p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(i * 7 + salt);
  if (n >= 8) {
    l2sec::store_be16(&p[0], golden::kPortL2tp);
    l2sec::store_be16(&p[2], golden::kPortL2tp);
    l2sec::store_be16(&p[4], static_cast<std::uint16_t>(n));
    l2sec::store_be16(&p[6], 0);
  }
  return p;
}

Bytes EthHeader() {
  Bytes h(kGatewayMac.begin(), kGatewayMac.end());
  h.insert(h.end(), kLocalMac.begin(), kLocalMac.end());
  h.push_back(0x08);
  h.push_back(0x00);
  return h;
}

struct ExpRx {
  unsigned sa_index = 0;
  std::uint32_t seq = 0;
  Bytes data;
};

// The golden side of the world: the peer that sends to us, our decap and encap.
class World {
 public:
  World() {
    std::string err;
    for (unsigned i = 0; i < kSas; ++i) {
      const golden::SaConfig in = Suite(i, true);
      golden::SaConfig peer_out = in;
      peer_out.direction = lm::Direction::kOutbound;
      std::swap(peer_out.local_addr, peer_out.peer_addr);
      std::swap(peer_out.local_port, peer_out.peer_port);
      peer_out_.push_back(*peer_.add_sa(peer_out, &err));
      our_in_.push_back(*ours_.add_sa(in, &err));
      our_out_.push_back(*ours_.add_sa(Suite(i, false), &err));
      sas_.emplace_back(i, in);
      sas_.emplace_back(kSas + i, Suite(i, false));
    }
  }
  const std::vector<std::pair<unsigned, golden::SaConfig>>& sas() const { return sas_; }

  // An ESP frame from the peer on inbound SA sa; its expected host RX output queued.
  Bytes Ingress(unsigned sa, std::size_t len) {
    golden::Ipv4Header f;
    f.id = static_cast<std::uint16_t>(++id_);
    Bytes pkt;
    if (!peer_.encap_payload(peer_out_[sa], golden::kIpProtoUdp, L2tpPayload(len, id_), f, pkt)
             .ok())
      Fail("golden peer encap");
    ExpRx e;
    e.sa_index = sa;
    const auto res = ours_.decap(pkt, e.data);
    if (!res.ok()) Fail("golden decap");
    e.seq = res.seq;
    exp_rx_.push_back(std::move(e));
    return golden::ethernet_frame(pkt);
  }

  // A payload for outbound SA sa (slot kSas + sa) with IPv4 id; its expected line frame queued.
  Bytes Egress(unsigned sa, std::size_t len, std::uint16_t* id) {
    *id = static_cast<std::uint16_t>(++id_);
    golden::Ipv4Header f;
    f.id = *id;
    const Bytes payload = L2tpPayload(len, id_);
    Bytes pkt;
    if (!ours_.encap_payload(our_out_[sa], golden::kIpProtoUdp, payload, f, pkt).ok())
      Fail("golden encap");
    Bytes frame = EthHeader();
    frame.insert(frame.end(), pkt.begin(), pkt.end());
    exp_tx_.push_back(std::move(frame));
    return payload;
  }

  // Compares (and consumes) everything that came out against the expected queues.
  void Check(std::deque<RxOut>& rx, std::deque<Bytes>& tx) {
    while (!rx.empty()) {
      if (exp_rx_.empty()) Fail("unexpected host rx packet");
      const RxOut& r = rx.front();
      const ExpRx& e = exp_rx_.front();
      if (r.data != e.data) Fail("host rx packet " + std::to_string(checked_rx_) + " differs");
      if (!r.sa_valid || r.sa_index != e.sa_index || r.seq != e.seq || r.len != e.data.size())
        Fail("host rx header " + std::to_string(checked_rx_));
      rx.pop_front();
      exp_rx_.pop_front();
      ++checked_rx_;
    }
    while (!tx.empty()) {
      if (exp_tx_.empty()) Fail("unexpected line tx frame");
      if (tx.front() != exp_tx_.front())
        Fail("line tx frame " + std::to_string(checked_tx_) + " differs");
      tx.pop_front();
      exp_tx_.pop_front();
      ++checked_tx_;
    }
  }
  std::uint64_t checked() const { return checked_rx_ + checked_tx_; }

 private:
  golden::EspEngine peer_, ours_;
  std::vector<golden::SaHandle> peer_out_, our_in_, our_out_;
  std::vector<std::pair<unsigned, golden::SaConfig>> sas_;
  std::deque<ExpRx> exp_rx_;
  std::deque<Bytes> exp_tx_;
  unsigned id_ = 0;
  std::uint64_t checked_rx_ = 0, checked_tx_ = 0;
};

template <typename Model>
void Apply(Top<Model>& t, const std::vector<RegWrite>& writes) {
  for (const RegWrite& w : writes) {
    t.Write32(w.addr, w.value);
    if (w.addr == lm::sa_table::kCmd) {
      for (unsigned i = 0;; ++i) {
        const std::uint32_t v = t.Read32(lm::sa_table::kCmd);
        if (!lm::sa_table::cmd::kBusy.get(v)) {
          if (lm::sa_table::cmd::kError.get(v)) Fail("SA install reported ERROR");
          break;
        }
        if (i > 1000) Fail("sa_table BUSY stuck");
      }
    }
  }
}

struct Row {
  double one = 0, one_sa = 0, spread = 0;  // cycles per packet
};

struct LaneFigures {
  unsigned lanes = 0;
  Row ingress[3], egress[3];
  double both_in = 0, both_out = 0;  // bits/cycle each way, both at once, 1400 B
  double both_cycles = 0;            // cycles per packet, the later direction
  double rate = 0;                   // Verilator cycles/s, median
  std::uint64_t checked = 0;
};

constexpr std::array<std::size_t, 3> kLens = {64, 512, 1400};

template <typename Model>
LaneFigures Measure(unsigned lanes, unsigned n, unsigned reps) {
  LaneFigures fig;
  fig.lanes = lanes;
  World w;
  Top<Model> t;
  Apply(t, BringUp(w.sas()));
  auto cap = [](std::size_t pkts) { return 20'000 + 12'000 * static_cast<std::uint64_t>(pkts); };
  // Runs until rx host RX packets and tx line frames are out, checks (and consumes) them.
  auto run = [&](std::size_t rx, std::size_t tx) {
    const std::uint64_t c = t.RunUntil(rx, tx, cap(rx + tx));
    w.Check(t.host_out(), t.line_out());
    return static_cast<double>(c);
  };
  for (std::size_t k = 0; k < kLens.size(); ++k) {
    const std::size_t len = kLens[k];
    // Ingress
    double total = 0;
    for (unsigned i = 0; i < n; ++i) {
      t.PushLine(w.Ingress(0, len));
      total += run(1, 0);
    }
    fig.ingress[k].one = total / n;
    for (unsigned i = 0; i < n; ++i) t.PushLine(w.Ingress(0, len));
    fig.ingress[k].one_sa = run(n, 0) / n;
    for (unsigned i = 0; i < n * kSas; ++i) t.PushLine(w.Ingress(i % kSas, len));
    fig.ingress[k].spread = run(n * kSas, 0) / (n * kSas);
    // Egress
    std::uint16_t id = 0;
    total = 0;
    for (unsigned i = 0; i < n; ++i) {
      const Bytes p = w.Egress(0, len, &id);
      t.PushHost(kSas, id, p);
      total += run(0, 1);
    }
    fig.egress[k].one = total / n;
    for (unsigned i = 0; i < n; ++i) {
      const Bytes p = w.Egress(0, len, &id);
      t.PushHost(kSas, id, p);
    }
    fig.egress[k].one_sa = run(0, n) / n;
    for (unsigned i = 0; i < n * kSas; ++i) {
      const Bytes p = w.Egress(i % kSas, len, &id);
      t.PushHost(static_cast<std::uint16_t>(kSas + i % kSas), id, p);
    }
    fig.egress[k].spread = run(0, n * kSas) / (n * kSas);
  }
  // Both directions at once, 1400 B over 8 SAs each; repeated for the wall-clock rate. Stimulus and
  // expectations are made before the clock starts; the check runs after it stops.
  std::vector<double> rates;
  double both = 0, both_in = 0, both_out = 0;
  for (unsigned r = 0; r < reps; ++r) {
    std::uint16_t id = 0;
    for (unsigned i = 0; i < n * kSas; ++i) {
      t.PushLine(w.Ingress(i % kSas, 1400));
      const Bytes p = w.Egress(i % kSas, 1400, &id);
      t.PushHost(static_cast<std::uint16_t>(kSas + i % kSas), id, p);
    }
    const std::uint64_t start = t.cycles();
    const auto t0 = Clock::now();
    const std::uint64_t c = t.RunUntil(n * kSas, n * kSas, cap(2 * n * kSas));
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    w.Check(t.host_out(), t.line_out());
    both = static_cast<double>(c);
    both_in = static_cast<double>(t.last_rx_cycle() - start);
    both_out = static_cast<double>(t.last_tx_cycle() - start);
    rates.push_back(static_cast<double>(c) / s);
  }
  std::sort(rates.begin(), rates.end());
  fig.rate = rates[rates.size() / 2];
  fig.both_cycles = both / (n * kSas);
  fig.both_in = 8.0 * 1400 * (n * kSas) / both_in;
  fig.both_out = 8.0 * 1400 * (n * kSas) / both_out;
  fig.checked = w.checked();
  return fig;
}

void Print(const LaneFigures& f) {
  std::printf("\nlm_top LANES=%u (CAPACITY=256), AES-128-CBC + HMAC-SHA1-96, ESP in UDP\n",
              f.lanes);
  std::printf("%-8s %7s | %22s | %22s | %22s\n", "", "", "one at a time", "queued, one SA",
              "queued, 8 SAs");
  std::printf("%-8s %7s | %10s %11s | %10s %11s | %10s %11s\n", "dir", "payload", "cyc/pkt",
              "bits/cyc", "cyc/pkt", "bits/cyc", "cyc/pkt", "bits/cyc");
  for (unsigned d = 0; d < 2; ++d) {
    for (std::size_t k = 0; k < kLens.size(); ++k) {
      const Row& r = d == 0 ? f.ingress[k] : f.egress[k];
      const double bits = 8.0 * static_cast<double>(kLens[k]);
      std::printf("%-8s %7zu | %10.0f %11.2f | %10.0f %11.2f | %10.0f %11.2f\n",
                  d == 0 ? "ingress" : "egress", kLens[k], r.one, bits / r.one, r.one_sa,
                  bits / r.one_sa, r.spread, bits / r.spread);
    }
  }
  std::printf(
      "both ways at once, 1400 B, 8 SAs each: %.0f cycles per packet (the later direction); "
      "ingress %.2f + egress %.2f bits/cycle\n",
      f.both_cycles, f.both_in, f.both_out);
  std::printf("checked byte for byte against the golden model: %llu packets\n",
              static_cast<unsigned long long>(f.checked));
  std::printf("Verilator: %.3f M cycles/s (median, both-ways runs)\n", f.rate / 1e6);
}

// The Icarus comparison: LANES=4, one inbound SA, `packets` 1400-byte ESP frames. The same
// stimulus runs on the Verilated LANES=4 model (median of reps) and in bench/rtl_top_bench_tb.v
// (register writes and line beats from $readmemh files); both outputs are checked.
struct SimRate {
  std::uint64_t cycles = 0;
  double seconds = 0;
};

bool WriteStimulus(const std::string& regs_path, const std::string& beats_path,
                   const std::vector<RegWrite>& writes, const std::vector<Bytes>& frames,
                   unsigned* n_beats) {
  FILE* f = std::fopen(regs_path.c_str(), "w");
  if (f == nullptr) return false;
  for (const RegWrite& w : writes)
    std::fprintf(f, "%04x%04x%08x\n", w.wait, w.addr & 0xffff, w.value);
  std::fclose(f);
  std::deque<Beat> beats;
  for (const Bytes& fr : frames) AppendBeats(beats, fr);
  f = std::fopen(beats_path.c_str(), "w");
  if (f == nullptr) return false;
  for (const Beat& b : beats)
    std::fprintf(f, "%x%02x%016llx\n", b.last ? 1 : 0, b.keep,
                 static_cast<unsigned long long>(b.data));
  std::fclose(f);
  *n_beats = static_cast<unsigned>(beats.size());
  return true;
}

bool RunIcarus(unsigned packets, SimRate* verilator, SimRate* icarus, unsigned reps) {
  // Stimulus: bring-up with one inbound SA, then the frames.
  std::vector<Bytes> frames;
  std::vector<ExpRx> expected;
  const std::vector<std::pair<unsigned, golden::SaConfig>> sas = {{0, Suite(0, true)}};
  {
    World w;
    for (unsigned i = 0; i < packets; ++i) frames.push_back(w.Ingress(0, 1400));
  }
  // Expected outputs: the golden decap of the same frames.
  {
    golden::EspEngine ours;
    std::string err;
    if (!ours.add_sa(Suite(0, true), &err)) Fail(err);
    for (const Bytes& fr : frames) {
      ExpRx e;
      const auto res = ours.decap(ByteView(fr.data() + 14, fr.size() - 14), e.data);
      if (!res.ok()) Fail("golden decap (Icarus stimulus)");
      e.seq = res.seq;
      expected.push_back(std::move(e));
    }
  }
  const std::vector<RegWrite> writes = BringUp(sas);
  // Verilator: the same writes (each followed by its idle cycles instead of polling BUSY).
  std::vector<double> secs;
  for (unsigned r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    Top<Vlm_top_l4> t;
    for (const RegWrite& w : writes) {
      t.Write32(w.addr, w.value);
      for (unsigned i = 0; i < w.wait; ++i) t.Tick();
    }
    for (const Bytes& fr : frames) t.PushLine(fr);
    t.RunUntil(packets, 0, 100'000);
    secs.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    verilator->cycles = t.cycles();
    for (std::size_t i = 0; i < expected.size(); ++i) {
      if (t.host_out()[i].data != expected[i].data) Fail("Verilator host rx (Icarus stimulus)");
    }
  }
  std::sort(secs.begin(), secs.end());
  verilator->seconds = secs[secs.size() / 2];

  const std::string base = "/tmp/l2sec-rtl-top-bench-" + std::to_string(::getpid());
  unsigned n_beats = 0;
  if (!WriteStimulus(base + ".regs", base + ".beats", writes, frames, &n_beats)) return false;
  const std::string compile = std::string(L2SEC_IVERILOG) +
                              " -g2012 -I" L2SEC_GENERATED_DIR " -o " + base +
                              ".vvp -s lm_top_bench_tb " L2SEC_ICARUS_SOURCES;
  if (std::system(compile.c_str()) != 0) return false;
  const std::string run = std::string(L2SEC_VVP) + " -n " + base + ".vvp +regs=" + base +
                          ".regs +n_regs=" + std::to_string(writes.size()) + " +beats=" + base +
                          ".beats +n_beats=" + std::to_string(n_beats) +
                          " +packets=" + std::to_string(packets);
  const auto t0 = Clock::now();
  FILE* p = ::popen(run.c_str(), "r");
  if (p == nullptr) return false;
  char line[256];
  bool ok = false;
  std::vector<Bytes> got(1);
  while (std::fgets(line, sizeof line, p) != nullptr) {
    unsigned long long c = 0, data = 0;
    unsigned keep = 0, last = 0;
    if (std::sscanf(line, "cycles %llu", &c) == 1) {
      icarus->cycles = c;
      ok = true;
    } else if (std::sscanf(line, "rx %llx %x %u", &data, &keep, &last) == 3) {
      AppendBytes(got.back(), data, static_cast<std::uint8_t>(keep));
      if (last) got.emplace_back();
    }
  }
  ::pclose(p);
  icarus->seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  for (const char* ext : {".vvp", ".regs", ".beats"}) std::remove((base + ext).c_str());
  got.pop_back();
  if (got.size() != expected.size()) Fail("Icarus: host rx packet count");
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (got[i] != expected[i].data) Fail("Icarus host rx packet " + std::to_string(i) + " differs");
  }
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const unsigned n = quick ? 2 : 16;
  const unsigned reps = quick ? 1 : 3;
  const auto t0 = Clock::now();
  std::printf(
      "lm_top, Verilated -O3, CAPACITY=256 (reduced from 4096 for build time; the per-packet\n"
      "path does not depend on it). Payload = the transport payload (inner UDP + L2TP), "
      "bits/cycle\n"
      "= payload bits per cycle. %u packets per case (x8 over 8 SAs)%s.\n",
      n, quick ? ", --quick" : "");
  Print(Measure<Vlm_top_l4>(4, n, reps));
  Print(Measure<Vlm_top_l8>(8, n, reps));
  if (quick) {
    std::printf("\nIcarus: skipped (--quick). Total %.1f s\n",
                std::chrono::duration<double>(Clock::now() - t0).count());
    return 0;
  }
  // One and two frames: the difference leaves out the start-up (vvp's elaboration, bring-up).
  SimRate vl[2], ic[2];
  for (unsigned k = 0; k < 2; ++k) {
    if (!RunIcarus(k + 1, &vl[k], &ic[k], 5)) {
      std::printf("\nIcarus: run failed\n");
      return 1;
    }
  }
  auto rate = [](const SimRate& r) { return static_cast<double>(r.cycles) / r.seconds; };
  auto marginal = [](const SimRate& one, const SimRate& two) {
    return static_cast<double>(two.cycles - one.cycles) / (two.seconds - one.seconds);
  };
  std::printf(
      "\nSimulators, same run, same design (lm_top LANES=4, CAPACITY=256) and stimulus (bring-up\n"
      "with one SA by AXI-Lite, then 1 or 2 ESP frames of 1400 B; host RX checked against the\n"
      "golden model):\n");
  for (unsigned k = 0; k < 2; ++k) {
    std::printf(
        "  %u frame%s: Verilator %llu cycles in %.4f s (median of 5) = %.3f M cycles/s; "
        "Icarus %llu cycles in %.3f s = %.2f k cycles/s (incl. vvp start-up)\n",
        k + 1, k == 0 ? " " : "s", static_cast<unsigned long long>(vl[k].cycles), vl[k].seconds,
        rate(vl[k]) / 1e6, static_cast<unsigned long long>(ic[k].cycles), ic[k].seconds,
        rate(ic[k]) / 1e3);
  }
  const double vl_m = marginal(vl[0], vl[1]);
  const double ic_m = marginal(ic[0], ic[1]);
  std::printf(
      "  second frame alone (2 frames minus 1): Verilator %.3f M cycles/s, Icarus %.2f k "
      "cycles/s\n",
      vl_m / 1e6, ic_m / 1e3);
  std::printf("Verilator / Icarus: %.0fx (2 frames, incl. start-up), %.0fx (second frame alone)\n",
              rate(vl[1]) / rate(ic[1]), vl_m / ic_m);
  std::printf("Total %.1f s\n", std::chrono::duration<double>(Clock::now() - t0).count());
  return 0;
}
