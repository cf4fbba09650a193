// TopHarness over the Verilated lm_top (see top_harness.hpp).
#include "l2sec/sim/top_harness.hpp"

#include <verilated.h>
#include <verilated_fst_c.h>

#include <deque>
#include <random>
#include <stdexcept>

#include "Vlm_top.h"

namespace l2sec::sim {

namespace {

struct Beat {
  std::uint64_t data = 0;
  std::uint8_t keep = 0;
  bool last = false;
};

// Beats of a byte string, byte 0 in bits 7:0; an empty string is one beat with keep 0.
std::deque<Beat> to_beats(ByteView bytes) {
  std::deque<Beat> beats;
  std::size_t off = 0;
  do {
    Beat b;
    for (std::size_t i = 0; i < 8 && off + i < bytes.size(); ++i) {
      b.data |= std::uint64_t{bytes[off + i]} << (8 * i);
      b.keep = static_cast<std::uint8_t>(b.keep | (1u << i));
    }
    off += 8;
    b.last = off >= bytes.size();
    beats.push_back(b);
  } while (off < bytes.size());
  return beats;
}

void append_beat(Bytes& out, std::uint64_t data, std::uint8_t keep) {
  for (unsigned i = 0; i < 8; ++i) {
    if ((keep >> i) & 1u) out.push_back(static_cast<std::uint8_t>(data >> (8 * i)));
  }
}

struct TxItem {
  HostTxHeader hdr;
  std::deque<Beat> beats;
  bool hdr_sent = false;
};

}  // namespace

struct TopHarness::Impl {
  TopHarnessOptions opt;
  std::unique_ptr<VerilatedContext> ctx;
  std::unique_ptr<Vlm_top> top;
  std::unique_ptr<VerilatedFstC> trace;
  std::mt19937_64 rng;
  std::uint64_t cycle = 0;
  std::uint64_t last_output_cycle = 0;

  // Inputs
  std::deque<std::deque<Beat>> line_rx;
  std::deque<TxItem> host_tx;
  bool line_rx_presenting = false;
  bool host_tx_hdr_presenting = false;
  bool host_tx_presenting = false;

  // Outputs
  std::deque<Bytes> line_tx_done;
  Bytes line_tx_cur;
  bool line_tx_open = false;
  std::deque<std::pair<HostRxHeader, Bytes>> host_rx_done;
  std::optional<HostRxHeader> host_rx_hdr;
  Bytes host_rx_cur;
  bool host_rx_open = false;

  // AXI-Lite
  bool aw_pending = false, w_pending = false, ar_pending = false;
  bool b_seen = false, r_seen = false;
  std::uint32_t r_data = 0;

  bool roll(unsigned percent) {
    return percent >= 100 || std::uniform_int_distribution<unsigned>(0, 99)(rng) < percent;
  }

  void eval_half(bool clk) {
    top->clk = clk;
    top->eval();
    if (trace) trace->dump(ctx->time());
    ctx->timeInc(1);
  }

  void drive_inputs() {
    // line rx
    if (!line_rx_presenting && !line_rx.empty()) line_rx_presenting = roll(opt.valid_percent);
    if (line_rx_presenting) {
      const Beat& b = line_rx.front().front();
      top->s_axis_line_rx_tdata = b.data;
      top->s_axis_line_rx_tkeep = b.keep;
      top->s_axis_line_rx_tlast = b.last;
    }
    top->s_axis_line_rx_tvalid = line_rx_presenting;

    // host tx: header beat, then data
    top->s_axis_host_tx_hdr_valid = 0;
    top->s_axis_host_tx_tvalid = 0;
    if (!host_tx.empty()) {
      TxItem& it = host_tx.front();
      if (!it.hdr_sent) {
        if (!host_tx_hdr_presenting) host_tx_hdr_presenting = roll(opt.valid_percent);
        top->s_axis_host_tx_hdr_valid = host_tx_hdr_presenting;
        top->s_axis_host_tx_hdr_encap = it.hdr.encap;
        top->s_axis_host_tx_hdr_sa_index = it.hdr.sa_index;
        top->s_axis_host_tx_hdr_next_header = it.hdr.next_header;
        top->s_axis_host_tx_hdr_tos = it.hdr.tos;
        top->s_axis_host_tx_hdr_id = it.hdr.id;
        top->s_axis_host_tx_hdr_frag = it.hdr.frag;
        top->s_axis_host_tx_hdr_ttl = it.hdr.ttl;
        top->s_axis_host_tx_hdr_port = it.hdr.port;
      } else {
        if (!host_tx_presenting) host_tx_presenting = roll(opt.valid_percent);
        const Beat& b = it.beats.front();
        top->s_axis_host_tx_tvalid = host_tx_presenting;
        top->s_axis_host_tx_tdata = b.data;
        top->s_axis_host_tx_tkeep = b.keep;
        top->s_axis_host_tx_tlast = b.last;
      }
    }

    top->m_axis_line_tx_tready = roll(opt.ready_percent);
    top->m_axis_host_rx_tready = roll(opt.ready_percent);
    top->m_axis_host_rx_hdr_ready = roll(opt.ready_percent);

    top->s_axil_awvalid = aw_pending;
    top->s_axil_wvalid = w_pending;
    top->s_axil_bready = 1;
    top->s_axil_arvalid = ar_pending;
    top->s_axil_rready = 1;
  }

  void cycle_once() {
    drive_inputs();
    eval_half(false);
    // Handshakes as the rising edge will see them.
    const bool lrx_fire = top->s_axis_line_rx_tvalid && top->s_axis_line_rx_tready;
    const bool thdr_fire = top->s_axis_host_tx_hdr_valid && top->s_axis_host_tx_hdr_ready;
    const bool tx_fire = top->s_axis_host_tx_tvalid && top->s_axis_host_tx_tready;
    const bool ltx_fire = top->m_axis_line_tx_tvalid && top->m_axis_line_tx_tready;
    const bool rhdr_fire = top->m_axis_host_rx_hdr_valid && top->m_axis_host_rx_hdr_ready;
    const bool rx_fire = top->m_axis_host_rx_tvalid && top->m_axis_host_rx_tready;
    const bool aw_fire = top->s_axil_awvalid && top->s_axil_awready;
    const bool w_fire = top->s_axil_wvalid && top->s_axil_wready;
    const bool ar_fire = top->s_axil_arvalid && top->s_axil_arready;
    const bool b_fire = top->s_axil_bvalid && top->s_axil_bready;
    const bool r_fire = top->s_axil_rvalid && top->s_axil_rready;

    if (ltx_fire) {
      append_beat(line_tx_cur, top->m_axis_line_tx_tdata, top->m_axis_line_tx_tkeep);
      if (top->m_axis_line_tx_tlast) {
        line_tx_done.push_back(std::move(line_tx_cur));
        line_tx_cur.clear();
      }
    }
    line_tx_open = !line_tx_cur.empty();
    if (rhdr_fire) {
      HostRxHeader h;
      h.pkt_class = static_cast<lm::PktClass>(top->m_axis_host_rx_hdr_pkt_class);
      h.sa_valid = top->m_axis_host_rx_hdr_sa_valid;
      h.sa_index = top->m_axis_host_rx_hdr_sa_index;
      h.spi = top->m_axis_host_rx_hdr_spi;
      h.seq = top->m_axis_host_rx_hdr_seq;
      h.src_addr = top->m_axis_host_rx_hdr_src_addr;
      h.dst_addr = top->m_axis_host_rx_hdr_dst_addr;
      h.src_port = top->m_axis_host_rx_hdr_src_port;
      h.dst_port = top->m_axis_host_rx_hdr_dst_port;
      h.payload_offset = top->m_axis_host_rx_hdr_payload_offset;
      h.len = top->m_axis_host_rx_hdr_len;
      h.port = top->m_axis_host_rx_hdr_port;
      if (host_rx_hdr) throw std::logic_error("lm_top: host rx header before the previous data");
      host_rx_hdr = h;
    }
    if (rx_fire) {
      if (!host_rx_hdr) throw std::logic_error("lm_top: host rx data without a header");
      append_beat(host_rx_cur, top->m_axis_host_rx_tdata, top->m_axis_host_rx_tkeep);
      host_rx_open = true;
      if (top->m_axis_host_rx_tlast) {
        host_rx_done.emplace_back(*host_rx_hdr, std::move(host_rx_cur));
        host_rx_cur.clear();
        host_rx_hdr.reset();
        host_rx_open = false;
      }
    }
    if (ltx_fire || rhdr_fire || rx_fire) last_output_cycle = cycle;

    if (lrx_fire) {
      line_rx_presenting = false;
      const bool last = line_rx.front().front().last;
      line_rx.front().pop_front();
      if (last || line_rx.front().empty()) line_rx.pop_front();
    }
    if (thdr_fire) {
      host_tx_hdr_presenting = false;
      host_tx.front().hdr_sent = true;
    }
    if (tx_fire) {
      host_tx_presenting = false;
      TxItem& it = host_tx.front();
      it.beats.pop_front();
      if (it.beats.empty()) host_tx.pop_front();
    }
    if (aw_fire) aw_pending = false;
    if (w_fire) w_pending = false;
    if (ar_fire) ar_pending = false;
    if (b_fire) b_seen = true;
    if (r_fire) {
      r_seen = true;
      r_data = top->s_axil_rdata;
    }

    eval_half(true);
    ++cycle;
  }
};

TopHarness::TopHarness(const TopHarnessOptions& options) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.opt = options;
  m.rng.seed(options.seed);
  m.ctx = std::make_unique<VerilatedContext>();
  m.ctx->randReset(0);
  if (!options.fst_path.empty()) m.ctx->traceEverOn(true);
  m.top = std::make_unique<Vlm_top>(m.ctx.get(), "lm_top");
  if (!options.fst_path.empty()) {
    m.trace = std::make_unique<VerilatedFstC>();
    m.top->trace(m.trace.get(), 99);
    m.trace->open(options.fst_path.c_str());
  }
  reset();
}

TopHarness::~TopHarness() {
  if (impl_ && impl_->trace) impl_->trace->close();
  if (impl_ && impl_->top) impl_->top->final();
}

void TopHarness::step(unsigned cycles) {
  for (unsigned i = 0; i < cycles; ++i) impl_->cycle_once();
}

std::uint64_t TopHarness::cycles() const { return impl_->cycle; }

void TopHarness::reset() {
  Impl& m = *impl_;
  m.line_rx.clear();
  m.host_tx.clear();
  m.line_rx_presenting = m.host_tx_hdr_presenting = m.host_tx_presenting = false;
  m.line_tx_done.clear();
  m.line_tx_cur.clear();
  m.host_rx_done.clear();
  m.host_rx_cur.clear();
  m.host_rx_hdr.reset();
  m.aw_pending = m.w_pending = m.ar_pending = false;
  m.top->rst = 1;
  step(4);
  m.top->rst = 0;
  // The parser's counters clear for 32 cycles after reset; the line input waits meanwhile anyway.
  step(40);
}

void TopHarness::write32(std::uint32_t addr, std::uint32_t value) {
  Impl& m = *impl_;
  m.top->s_axil_awaddr = static_cast<std::uint16_t>(addr);
  m.top->s_axil_awprot = 0;
  m.top->s_axil_wdata = value;
  m.top->s_axil_wstrb = 0xf;
  m.aw_pending = m.w_pending = true;
  m.b_seen = false;
  for (unsigned i = 0; !m.b_seen; ++i) {
    if (i > 100000) throw std::runtime_error("lm_top: AXI-Lite write timed out");
    m.cycle_once();
  }
}

std::uint32_t TopHarness::read32(std::uint32_t addr) {
  Impl& m = *impl_;
  m.top->s_axil_araddr = static_cast<std::uint16_t>(addr);
  m.top->s_axil_arprot = 0;
  m.ar_pending = true;
  m.r_seen = false;
  for (unsigned i = 0; !m.r_seen; ++i) {
    if (i > 100000) throw std::runtime_error("lm_top: AXI-Lite read timed out");
    m.cycle_once();
  }
  return m.r_data;
}

void TopHarness::push_line_rx(ByteView frame) { impl_->line_rx.push_back(to_beats(frame)); }

std::optional<Bytes> TopHarness::pop_line_tx() {
  if (impl_->line_tx_done.empty()) return std::nullopt;
  Bytes b = std::move(impl_->line_tx_done.front());
  impl_->line_tx_done.pop_front();
  return b;
}

void TopHarness::push_host_tx(const HostTxHeader& header, ByteView data) {
  impl_->host_tx.push_back(TxItem{header, to_beats(data), false});
}

std::optional<std::pair<HostRxHeader, Bytes>> TopHarness::pop_host_rx() {
  if (impl_->host_rx_done.empty()) return std::nullopt;
  auto p = std::move(impl_->host_rx_done.front());
  impl_->host_rx_done.pop_front();
  return p;
}

std::size_t TopHarness::line_tx_pending() const { return impl_->line_tx_done.size(); }
std::size_t TopHarness::host_rx_pending() const { return impl_->host_rx_done.size(); }

bool TopHarness::irq() const { return impl_->top->irq != 0; }

bool TopHarness::busy() const {
  const Impl& m = *impl_;
  return !m.line_rx.empty() || !m.host_tx.empty() || !m.line_tx_cur.empty() ||
         !m.host_rx_cur.empty() || m.host_rx_hdr.has_value();
}

bool TopHarness::run_until_idle(std::uint64_t max_cycles) {
  Impl& m = *impl_;
  const std::uint64_t end = m.cycle + max_cycles;
  while (m.cycle < end) {
    m.cycle_once();
    if (!busy() && m.cycle - m.last_output_cycle >= m.opt.idle_cycles) return true;
  }
  return false;
}

void TopHarness::set_backpressure(unsigned valid_percent, unsigned ready_percent) {
  impl_->opt.valid_percent = valid_percent;
  impl_->opt.ready_percent = ready_percent;
}

void TopHarness::enable(bool on, bool nat_passthrough) {
  namespace c = lm::ctrl::control;
  std::uint32_t v = 0;
  v = c::kEnable.set(v, on ? 1u : 0u);
  v = c::kNatPassthrough.set(v, nat_passthrough ? 1u : 0u);
  write32(lm::ctrl::kControl, v);
}

void TopHarness::set_macs(const std::array<std::uint8_t, 6>& local,
                          const std::array<std::uint8_t, 6>& gateway) {
  auto hi = [](const std::array<std::uint8_t, 6>& a) {
    return static_cast<std::uint32_t>((a[0] << 8) | a[1]);
  };
  auto lo = [](const std::array<std::uint8_t, 6>& a) { return load_be32(&a[2]); };
  write32(lm::ctrl::kLocalMacHi, hi(local));
  write32(lm::ctrl::kLocalMacLo, lo(local));
  write32(lm::ctrl::kGatewayMacHi, hi(gateway));
  write32(lm::ctrl::kGatewayMacLo, lo(gateway));
}

namespace {
std::uint32_t sa_cmd(std::uint16_t index, lm::SaCmdOp op) {
  namespace c = lm::sa_table::cmd;
  return c::kOp.set(c::kIndex.set(0, index), static_cast<std::uint32_t>(op));
}
}  // namespace

static bool run_sa_cmd(TopHarness& h, std::uint16_t index, lm::SaCmdOp op) {
  h.write32(lm::sa_table::kCmd, sa_cmd(index, op));
  for (unsigned i = 0; i < 10000; ++i) {
    const std::uint32_t v = h.read32(lm::sa_table::kCmd);
    if (!lm::sa_table::cmd::kBusy.get(v)) return lm::sa_table::cmd::kError.get(v) == 0;
  }
  throw std::runtime_error("lm_top: sa_table command stuck BUSY");
}

bool TopHarness::write_sa_entry(std::uint16_t index, const SaEntryWords& words) {
  for (unsigned w = 0; w < words.size(); ++w) write32(lm::sa_table::kStage + 4 * w, words[w]);
  return run_sa_cmd(*this, index, lm::SaCmdOp::kWrite);
}

bool TopHarness::install_sa(std::uint16_t index, const golden::SaConfig& cfg, unsigned win_log2,
                            std::uint8_t gen) {
  return write_sa_entry(index, pack_sa_entry(cfg, win_log2, gen));
}

bool TopHarness::invalidate_sa(std::uint16_t index) {
  return run_sa_cmd(*this, index, lm::SaCmdOp::kInvalidate);
}

std::optional<SaEntryWords> TopHarness::read_sa_entry(std::uint16_t index) {
  if (!run_sa_cmd(*this, index, lm::SaCmdOp::kRead)) return std::nullopt;
  SaEntryWords e{};
  for (unsigned w = 0; w < e.size(); ++w) e[w] = read32(lm::sa_table::kStage + 4 * w);
  return e;
}

std::optional<TopHarness::SaCounters> TopHarness::read_sa_stats(std::uint16_t index) {
  if (!run_sa_cmd(*this, index, lm::SaCmdOp::kReadStats)) return std::nullopt;
  std::array<std::uint32_t, lm::sa_stats::kWords> s{};
  for (unsigned w = 0; w < s.size(); ++w) s[w] = read32(lm::sa_table::kStage + 4 * w);
  namespace f = lm::sa_stats;
  SaCounters c;
  c.packets = (std::uint64_t{s[f::kPackets.word]} << 32) | s[f::kPackets.word + 1];
  c.bytes = (std::uint64_t{s[f::kBytes.word]} << 32) | s[f::kBytes.word + 1];
  c.icv_fail = s[f::kIcvFail.word];
  c.replay_drop = s[f::kReplayDrop.word];
  c.pad_fail = s[f::kPadFail.word];
  c.other_drop = s[f::kOtherDrop.word];
  return c;
}

std::vector<std::pair<std::uint32_t, std::uint32_t>> TopHarness::walk_blocks() {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  std::uint32_t base = 0;
  for (unsigned n = 0; n < 64; ++n) {
    out.emplace_back(base, read32(base));
    const std::uint32_t next = read32(base + 8);
    if (next == 0 || next <= base) break;
    base = next;
  }
  return out;
}

}  // namespace l2sec::sim
