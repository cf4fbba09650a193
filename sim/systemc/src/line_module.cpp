// LineModule: the SystemC model of the whole line module (see line_module.hpp).
#include "l2sec/sim/systemc/line_module.hpp"

#include <verilated.h>
#include <verilated_fst_sc.h>

#include <random>
#include <stdexcept>
#include <systemc>

#include "Vlm_top_sc.h"

namespace l2sec::sim::sc {

namespace {

using sc_core::SC_NS;
using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

constexpr std::uint64_t kPeriodPs = 6400;

// The flat ports of lm_top (as Verilator's SystemC mode types them), once for the signals, their
// binding and the VCD trace.
#define L2SEC_LM_PORTS(X)                             \
  X(bool, rst)                                        \
  X(std::uint64_t, s_axis_line_rx_tdata)              \
  X(std::uint32_t, s_axis_line_rx_tkeep)              \
  X(bool, s_axis_line_rx_tvalid)                      \
  X(bool, s_axis_line_rx_tready)                      \
  X(bool, s_axis_line_rx_tlast)                       \
  X(std::uint64_t, m_axis_line_tx_tdata)              \
  X(std::uint32_t, m_axis_line_tx_tkeep)              \
  X(bool, m_axis_line_tx_tvalid)                      \
  X(bool, m_axis_line_tx_tready)                      \
  X(bool, m_axis_line_tx_tlast)                       \
  X(bool, m_axis_host_rx_hdr_valid)                   \
  X(bool, m_axis_host_rx_hdr_ready)                   \
  X(std::uint32_t, m_axis_host_rx_hdr_pkt_class)      \
  X(bool, m_axis_host_rx_hdr_sa_valid)                \
  X(std::uint32_t, m_axis_host_rx_hdr_sa_index)       \
  X(std::uint32_t, m_axis_host_rx_hdr_spi)            \
  X(std::uint32_t, m_axis_host_rx_hdr_seq)            \
  X(std::uint32_t, m_axis_host_rx_hdr_src_addr)       \
  X(std::uint32_t, m_axis_host_rx_hdr_dst_addr)       \
  X(std::uint32_t, m_axis_host_rx_hdr_src_port)       \
  X(std::uint32_t, m_axis_host_rx_hdr_dst_port)       \
  X(std::uint32_t, m_axis_host_rx_hdr_payload_offset) \
  X(std::uint32_t, m_axis_host_rx_hdr_len)            \
  X(std::uint32_t, m_axis_host_rx_hdr_port)           \
  X(std::uint64_t, m_axis_host_rx_tdata)              \
  X(std::uint32_t, m_axis_host_rx_tkeep)              \
  X(bool, m_axis_host_rx_tvalid)                      \
  X(bool, m_axis_host_rx_tready)                      \
  X(bool, m_axis_host_rx_tlast)                       \
  X(bool, s_axis_host_tx_hdr_valid)                   \
  X(bool, s_axis_host_tx_hdr_ready)                   \
  X(bool, s_axis_host_tx_hdr_encap)                   \
  X(std::uint32_t, s_axis_host_tx_hdr_sa_index)       \
  X(std::uint32_t, s_axis_host_tx_hdr_next_header)    \
  X(std::uint32_t, s_axis_host_tx_hdr_tos)            \
  X(std::uint32_t, s_axis_host_tx_hdr_id)             \
  X(std::uint32_t, s_axis_host_tx_hdr_frag)           \
  X(std::uint32_t, s_axis_host_tx_hdr_ttl)            \
  X(std::uint32_t, s_axis_host_tx_hdr_port)           \
  X(std::uint64_t, s_axis_host_tx_tdata)              \
  X(std::uint32_t, s_axis_host_tx_tkeep)              \
  X(bool, s_axis_host_tx_tvalid)                      \
  X(bool, s_axis_host_tx_tready)                      \
  X(bool, s_axis_host_tx_tlast)                       \
  X(std::uint32_t, s_axil_awaddr)                     \
  X(std::uint32_t, s_axil_awprot)                     \
  X(bool, s_axil_awvalid)                             \
  X(bool, s_axil_awready)                             \
  X(std::uint32_t, s_axil_wdata)                      \
  X(std::uint32_t, s_axil_wstrb)                      \
  X(bool, s_axil_wvalid)                              \
  X(bool, s_axil_wready)                              \
  X(std::uint32_t, s_axil_bresp)                      \
  X(bool, s_axil_bvalid)                              \
  X(bool, s_axil_bready)                              \
  X(std::uint32_t, s_axil_araddr)                     \
  X(std::uint32_t, s_axil_arprot)                     \
  X(bool, s_axil_arvalid)                             \
  X(bool, s_axil_arready)                             \
  X(std::uint32_t, s_axil_rdata)                      \
  X(std::uint32_t, s_axil_rresp)                      \
  X(bool, s_axil_rvalid)                              \
  X(bool, s_axil_rready)                              \
  X(bool, irq)

struct Signals {
#define L2SEC_DECLARE(type, name) sc_core::sc_signal<type, sc_core::SC_MANY_WRITERS> name{#name};
  L2SEC_LM_PORTS(L2SEC_DECLARE)
#undef L2SEC_DECLARE
};

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

void append_beat(Bytes& out, std::uint64_t data, std::uint32_t keep) {
  for (unsigned i = 0; i < 8; ++i) {
    if ((keep >> i) & 1u) out.push_back(static_cast<std::uint8_t>(data >> (8 * i)));
  }
}

// The rising edge a process woken by it is at: edge k is at (k - 1) * P + P / 2.
std::uint64_t edge_now() {
  return (sc_core::sc_time_stamp().value() - kPeriodPs / 2) / kPeriodPs + 1;
}

// Back-pressure knobs and the one random generator of the port models. The draws are made in
// TopHarness's order (line RX valid, host TX valid, line TX ready, host RX ready, host RX header
// ready, for each cycle), from the same seed, so with the same input both models back-pressure
// on the same edges.
struct Knobs {
  unsigned valid_percent = 100, ready_percent = 100;
};

class Roller {
 public:
  Roller(std::uint64_t seed, const Knobs& knobs) : rng_(seed), knobs_(knobs) {}
  bool valid() { return roll(knobs_.valid_percent); }
  bool ready() { return roll(knobs_.ready_percent); }
  std::mt19937_64& rng() { return rng_; }

 private:
  bool roll(unsigned percent) {
    return percent >= 100 || std::uniform_int_distribution<unsigned>(0, 99)(rng_) < percent;
  }
  std::mt19937_64 rng_;
  const Knobs& knobs_;
};

// Port models. sample() runs on each rising edge (the handshakes as the edge saw them); drive()
// sets the inputs for the next edge. Between edges drive() may run again from the state saved
// after the edge's sample() when input is queued (offered at once, as TopHarness offers it).

// s_axis_line_rx: Ethernet frames into the line module.
class LineRxSource {
 public:
  explicit LineRxSource(Signals& s) : s_(s) {}
  void push(ByteView frame) { frames_.push_back(to_beats(frame)); }
  bool busy() const { return !frames_.empty(); }
  void sample() {
    if (presenting_ && s_.s_axis_line_rx_tready.read()) {
      presenting_ = false;
      const bool last = frames_.front().front().last;
      frames_.front().pop_front();
      if (last || frames_.front().empty()) frames_.pop_front();
    }
  }
  void drive(Roller& roll) {
    if (!presenting_ && !frames_.empty()) presenting_ = roll.valid();
    if (presenting_) {
      const Beat& b = frames_.front().front();
      s_.s_axis_line_rx_tdata.write(b.data);
      s_.s_axis_line_rx_tkeep.write(b.keep);
      s_.s_axis_line_rx_tlast.write(b.last);
    }
    s_.s_axis_line_rx_tvalid.write(presenting_);
  }
  bool presenting_ = false;

 private:
  Signals& s_;
  std::deque<std::deque<Beat>> frames_;
};

// m_axis_line_tx: Ethernet frames out of the line module.
class LineTxSink {
 public:
  explicit LineTxSink(Signals& s) : s_(s) {}
  std::deque<LineTxFrame> done;
  bool open() const { return !cur_.empty(); }
  std::uint64_t last_output = 0;
  void sample() {
    if (s_.m_axis_line_tx_tvalid.read() && s_.m_axis_line_tx_tready.read()) {
      append_beat(cur_, s_.m_axis_line_tx_tdata.read(), s_.m_axis_line_tx_tkeep.read());
      last_output = edge_now();
      if (s_.m_axis_line_tx_tlast.read()) {
        done.push_back({std::move(cur_), last_output});
        cur_.clear();
      }
    }
  }
  void drive(Roller& roll) { s_.m_axis_line_tx_tready.write(roll.ready()); }

 private:
  Signals& s_;
  Bytes cur_;
};

// s_axis_host_tx + hdr: packets from the firmware (or the caller).
class HostTxSource {
 public:
  explicit HostTxSource(Signals& s) : s_(s) {}
  void push(const HostTxHeader& header, ByteView data) {
    items_.push_back(Item{header, to_beats(data), false});
  }
  std::size_t queued() const { return items_.size(); }
  void sample() {
    if (hdr_presenting_ && s_.s_axis_host_tx_hdr_ready.read()) {
      hdr_presenting_ = false;
      items_.front().hdr_sent = true;
    } else if (presenting_ && s_.s_axis_host_tx_tready.read()) {
      presenting_ = false;
      Item& it = items_.front();
      it.beats.pop_front();
      if (it.beats.empty()) items_.pop_front();
    }
  }
  void drive(Roller& roll) {
    bool hdr_valid = false, valid = false;
    if (!items_.empty()) {
      const Item& it = items_.front();
      if (!it.hdr_sent) {
        if (!hdr_presenting_) hdr_presenting_ = roll.valid();
        hdr_valid = hdr_presenting_;
        s_.s_axis_host_tx_hdr_encap.write(it.hdr.encap);
        s_.s_axis_host_tx_hdr_sa_index.write(it.hdr.sa_index);
        s_.s_axis_host_tx_hdr_next_header.write(it.hdr.next_header);
        s_.s_axis_host_tx_hdr_tos.write(it.hdr.tos);
        s_.s_axis_host_tx_hdr_id.write(it.hdr.id);
        s_.s_axis_host_tx_hdr_frag.write(it.hdr.frag);
        s_.s_axis_host_tx_hdr_ttl.write(it.hdr.ttl);
        s_.s_axis_host_tx_hdr_port.write(it.hdr.port);
      } else {
        if (!presenting_) presenting_ = roll.valid();
        valid = presenting_;
        const Beat& b = it.beats.front();
        s_.s_axis_host_tx_tdata.write(b.data);
        s_.s_axis_host_tx_tkeep.write(b.keep);
        s_.s_axis_host_tx_tlast.write(b.last);
      }
    }
    s_.s_axis_host_tx_hdr_valid.write(hdr_valid);
    s_.s_axis_host_tx_tvalid.write(valid);
  }
  bool hdr_presenting_ = false, presenting_ = false;

 private:
  struct Item {
    HostTxHeader hdr;
    std::deque<Beat> beats;
    bool hdr_sent = false;
  };
  Signals& s_;
  std::deque<Item> items_;
};

// m_axis_host_rx + hdr: packets for the firmware (or the caller).
class HostRxSink {
 public:
  explicit HostRxSink(Signals& s) : s_(s) {}
  std::deque<HostRxPacket> done;
  sc_core::sc_event arrived;
  bool open() const { return hdr_.has_value(); }
  std::uint64_t last_output = 0;
  void sample() {
    const bool hdr_fire = s_.m_axis_host_rx_hdr_valid.read() && s_.m_axis_host_rx_hdr_ready.read();
    const bool fire = s_.m_axis_host_rx_tvalid.read() && s_.m_axis_host_rx_tready.read();
    if (hdr_fire) {
      if (hdr_) throw std::logic_error("lm_top: host rx header before the previous data");
      HostRxHeader h;
      h.pkt_class = static_cast<lm::PktClass>(s_.m_axis_host_rx_hdr_pkt_class.read());
      h.sa_valid = s_.m_axis_host_rx_hdr_sa_valid.read();
      h.sa_index = static_cast<std::uint16_t>(s_.m_axis_host_rx_hdr_sa_index.read());
      h.spi = s_.m_axis_host_rx_hdr_spi.read();
      h.seq = s_.m_axis_host_rx_hdr_seq.read();
      h.src_addr = s_.m_axis_host_rx_hdr_src_addr.read();
      h.dst_addr = s_.m_axis_host_rx_hdr_dst_addr.read();
      h.src_port = static_cast<std::uint16_t>(s_.m_axis_host_rx_hdr_src_port.read());
      h.dst_port = static_cast<std::uint16_t>(s_.m_axis_host_rx_hdr_dst_port.read());
      h.payload_offset = static_cast<std::uint16_t>(s_.m_axis_host_rx_hdr_payload_offset.read());
      h.len = static_cast<std::uint16_t>(s_.m_axis_host_rx_hdr_len.read());
      h.port = static_cast<std::uint8_t>(s_.m_axis_host_rx_hdr_port.read());
      hdr_ = h;
    }
    if (fire) {
      if (!hdr_) throw std::logic_error("lm_top: host rx data without a header");
      append_beat(cur_, s_.m_axis_host_rx_tdata.read(), s_.m_axis_host_rx_tkeep.read());
      if (s_.m_axis_host_rx_tlast.read()) {
        done.push_back({*hdr_, std::move(cur_), edge_now()});
        cur_.clear();
        hdr_.reset();
        arrived.notify(SC_ZERO_TIME);
      }
    }
    if (hdr_fire || fire) last_output = edge_now();
  }
  void drive(Roller& roll) {
    s_.m_axis_host_rx_tready.write(roll.ready());
    s_.m_axis_host_rx_hdr_ready.write(roll.ready());
  }

 private:
  Signals& s_;
  std::optional<HostRxHeader> hdr_;
  Bytes cur_;
};

// AXI-Lite master: blocking transactions from SC_THREADs, one at a time (a mutex shares the bus).
// Address and data are driven at once, taken on the edges whose handshakes fire; bready and rready
// are always 1 (TopHarness's sequence, so both take the same cycles).
class AxiLiteMaster {
 public:
  AxiLiteMaster(sc_core::sc_clock& clk, Signals& s) : clk_(clk), s_(s) {
    s_.s_axil_bready.write(true);
    s_.s_axil_rready.write(true);
    s_.s_axil_wstrb.write(0xf);
  }
  std::uint32_t read32(std::uint32_t addr) {
    Lock lock(mutex_);
    s_.s_axil_araddr.write(addr & 0xffffu);
    s_.s_axil_arprot.write(0);
    s_.s_axil_arvalid.write(true);
    bool ar_pending = true;
    for (unsigned i = 0;; ++i) {
      if (i > 100000) throw std::runtime_error("lm_top: AXI-Lite read timed out");
      sc_core::wait(clk_.posedge_event());
      if (ar_pending && s_.s_axil_arready.read()) {
        ar_pending = false;
        s_.s_axil_arvalid.write(false);
      }
      if (s_.s_axil_rvalid.read()) break;
    }
    ++transactions_;
    return s_.s_axil_rdata.read();
  }
  void write32(std::uint32_t addr, std::uint32_t value) {
    Lock lock(mutex_);
    s_.s_axil_awaddr.write(addr & 0xffffu);
    s_.s_axil_awprot.write(0);
    s_.s_axil_wdata.write(value);
    s_.s_axil_awvalid.write(true);
    s_.s_axil_wvalid.write(true);
    bool aw_pending = true, w_pending = true;
    for (unsigned i = 0;; ++i) {
      if (i > 100000) throw std::runtime_error("lm_top: AXI-Lite write timed out");
      sc_core::wait(clk_.posedge_event());
      if (aw_pending && s_.s_axil_awready.read()) {
        aw_pending = false;
        s_.s_axil_awvalid.write(false);
      }
      if (w_pending && s_.s_axil_wready.read()) {
        w_pending = false;
        s_.s_axil_wvalid.write(false);
      }
      if (s_.s_axil_bvalid.read()) break;
    }
    ++transactions_;
  }
  std::uint64_t transactions() const { return transactions_; }

 private:
  struct Lock {
    explicit Lock(sc_core::sc_mutex& m) : m_(m) { m_.lock(); }
    ~Lock() { m_.unlock(); }
    sc_core::sc_mutex& m_;
  };
  sc_core::sc_clock& clk_;
  Signals& s_;
  sc_core::sc_mutex mutex_;
  std::uint64_t transactions_ = 0;
};

// The firmware's FpgaIo in the model: registers through the AXI-Lite master (called from the
// firmware's SC_THREAD, so every access costs its cycles), streams through the port models.
class ScFpgaIo final : public fw::FpgaIo {
 public:
  ScFpgaIo(AxiLiteMaster& bus, HostRxSink& rx, HostTxSource& tx, sc_core::sc_event& queued,
           std::size_t tx_capacity)
      : bus_(bus), rx_(rx), tx_(tx), queued_(queued), tx_capacity_(tx_capacity) {}
  std::uint32_t read32(std::uint32_t offset) override { return bus_.read32(offset); }
  void write32(std::uint32_t offset, std::uint32_t value) override { bus_.write32(offset, value); }
  bool rx_frame(fw::RxMeta& meta, Bytes& frame) override {
    if (rx_.done.empty()) return false;
    HostRxPacket& p = rx_.done.front();
    const HostRxHeader& h = p.header;
    meta.pkt_class = h.pkt_class;
    meta.sa_valid = h.sa_valid;
    meta.sa_index = h.sa_index;
    meta.spi = h.spi;
    meta.seq = h.seq;
    meta.src_addr = h.src_addr;
    meta.dst_addr = h.dst_addr;
    meta.src_port = h.src_port;
    meta.dst_port = h.dst_port;
    meta.payload_offset = h.payload_offset;
    meta.len = h.len;
    meta.port = h.port;
    frame.assign(p.data.begin(), p.data.end());
    rx_.done.pop_front();
    return true;
  }
  bool tx_frame(const fw::TxMeta& meta, ByteView frame) override {
    if (tx_.queued() >= tx_capacity_) return false;
    HostTxHeader h;
    h.encap = meta.encap;
    h.sa_index = meta.sa_index;
    h.next_header = meta.next_header;
    h.tos = meta.tos;
    h.ttl = meta.ttl;
    h.id = meta.id;
    h.frag = meta.frag;
    h.port = meta.port;
    tx_.push(h, frame);
    queued_.notify(SC_ZERO_TIME);
    return true;
  }

 private:
  AxiLiteMaster& bus_;
  HostRxSink& rx_;
  HostTxSource& tx_;
  sc_core::sc_event& queued_;
  std::size_t tx_capacity_;
};

}  // namespace

// The sc_module: clock, reset, lm_top, port models, bus, firmware.
class LineModuleTop : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(LineModuleTop);
  LineModuleTop(sc_core::sc_module_name name, const LineModuleOptions& opt)
      : sc_module(name),
        opt_(opt),
        clk("clk", sc_time(kClockPeriodNs, SC_NS), 0.5, sc_time(kClockPeriodNs / 2, SC_NS), true),
        knobs{opt.valid_percent, opt.ready_percent},
        roll(opt.seed, knobs),
        line_rx(s),
        line_tx(s),
        host_tx(s),
        host_rx(s),
        bus(clk, s),
        io(bus, host_rx, host_tx, kick, opt.host_tx_capacity) {
    Verilated::randReset(0);
    if (ends_with(opt.trace_path, ".fst")) Verilated::traceEverOn(true);
    top = std::make_unique<Vlm_top_sc>("lm_top");
    top->clk(clk);
#define L2SEC_BIND(type, name) top->name(s.name);
    L2SEC_LM_PORTS(L2SEC_BIND)
#undef L2SEC_BIND
    s.rst.write(true);
    saved = save();
    // Runs at initialization too: the inputs of edge 1.
    SC_METHOD(ports);
    sensitive << clk.posedge_event() << kick;
    SC_THREAD(reset_thread);
    SC_THREAD(host_bus_thread);
    if (opt.firmware) SC_THREAD(firmware_thread);
    if (ends_with(opt.trace_path, ".vcd")) {
      std::string base = opt.trace_path.substr(0, opt.trace_path.size() - 4);
      vcd = sc_core::sc_create_vcd_trace_file(base.c_str());
      vcd->set_time_unit(1, sc_core::SC_PS);
      sc_core::sc_trace(vcd, clk, "clk");
#define L2SEC_TRACE(type, name) sc_core::sc_trace(vcd, s.name, #name);
      L2SEC_LM_PORTS(L2SEC_TRACE)
#undef L2SEC_TRACE
    }
  }
  ~LineModuleTop() override { close_trace(); }

  void start_of_simulation() override {
    if (ends_with(opt_.trace_path, ".fst")) {
      fst = std::make_unique<VerilatedFstSc>();
      top->trace(fst.get(), 99);
      fst->open(opt_.trace_path.c_str());
    }
  }
  void close_trace() {
    if (fst) {
      fst->flush();
      fst->close();
    }
    if (vcd) {
      sc_core::sc_close_vcd_trace_file(vcd);
      vcd = nullptr;
    }
  }

  static bool ends_with(const std::string& s, const char* suffix) {
    const std::string x(suffix);
    return s.size() > x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
  }

  // The port models: on an edge, sample every port and save the state the next inputs are drawn
  // from; then draw and drive in TopHarness's order. Input queued between edges (kick) redraws
  // from the saved state, so the draws are those TopHarness makes when the input was there
  // before the cycle began.
  struct Saved {
    std::mt19937_64 rng;
    bool line_rx_presenting = false, host_tx_hdr_presenting = false, host_tx_presenting = false;
  };
  Saved save() {
    return Saved{roll.rng(), line_rx.presenting_, host_tx.hdr_presenting_, host_tx.presenting_};
  }
  void ports() {
    if (clk.posedge()) {
      line_rx.sample();
      host_tx.sample();
      line_tx.sample();
      host_rx.sample();
      saved = save();
    } else {
      roll.rng() = saved.rng;
      line_rx.presenting_ = saved.line_rx_presenting;
      host_tx.hdr_presenting_ = saved.host_tx_hdr_presenting;
      host_tx.presenting_ = saved.host_tx_presenting;
    }
    line_rx.drive(roll);
    host_tx.drive(roll);
    line_tx.drive(roll);
    host_rx.drive(roll);
  }
  void queued() {
    if (sc_core::sc_get_status() != sc_core::SC_ELABORATION) kick.notify(SC_ZERO_TIME);
  }

  void reset_thread() {
    // As TopHarness::reset(): 4 edges in reset, then 40 for the parser's counter clear.
    for (int i = 0; i < 4; ++i) wait(clk.posedge_event());
    s.rst.write(false);
    for (int i = 0; i < 40; ++i) wait(clk.posedge_event());
    reset_done = true;
    reset_event.notify(SC_ZERO_TIME);
  }

  // Register accesses from outside the simulation.
  struct BusRequest {
    bool write = false;
    std::uint32_t addr = 0, value = 0;
    bool done = false;
  };
  void host_bus_thread() {
    for (;;) {
      while (bus_requests.empty()) wait(bus_event);
      BusRequest& r = *bus_requests.front();
      if (r.write) {
        bus.write32(r.addr, r.value);
      } else {
        r.value = bus.read32(r.addr);
      }
      r.done = true;
      bus_requests.pop_front();
    }
  }

  std::uint64_t now_ms() const {
    return static_cast<std::uint64_t>(sc_core::sc_time_stamp().to_seconds() * 1000.0);
  }

  void firmware_thread() {
    if (!reset_done) wait(reset_event);
    firmware = std::make_unique<fw::Firmware>(io, opt_.firmware_config);
    firmware_started = true;
    Bytes msg;
    const sc_time idle(kClockPeriodNs * opt_.firmware_idle_cycles, SC_NS);
    for (;;) {
      bool busy = false;
      while (!requests.empty()) {
        Bytes req = std::move(requests.front());
        requests.pop_front();
        responses.push_back(firmware->handle(req));
        busy = true;
      }
      busy = firmware->poll(now_ms()) || busy;
      while (firmware->take_message(msg)) messages.push_back(msg);
      if (!busy && requests.empty() && host_rx.done.empty()) {
        wait(idle, host_rx.arrived | request_event | irq_rise());
      }
    }
  }
  const sc_core::sc_event& irq_rise() const { return s.irq.posedge_event(); }

  LineModuleOptions opt_;
  sc_core::sc_clock clk;
  Signals s;
  Knobs knobs;
  Roller roll;
  sc_core::sc_event kick;
  Saved saved;
  LineRxSource line_rx;
  LineTxSink line_tx;
  HostTxSource host_tx;
  HostRxSink host_rx;
  AxiLiteMaster bus;
  ScFpgaIo io;
  std::unique_ptr<Vlm_top_sc> top;
  std::unique_ptr<VerilatedFstSc> fst;
  sc_core::sc_trace_file* vcd = nullptr;

  bool reset_done = false;
  sc_core::sc_event reset_event;
  std::deque<BusRequest*> bus_requests;
  sc_core::sc_event bus_event;

  std::unique_ptr<fw::Firmware> firmware;
  bool firmware_started = false;
  std::deque<Bytes> requests, responses, messages;
  sc_core::sc_event request_event;
};

struct LineModule::Impl {
  std::unique_ptr<LineModuleTop> m;
  bool started = false;
};

LineModule::LineModule(const LineModuleOptions& options) : impl_(std::make_unique<Impl>()) {
  if (sc_core::sc_get_status() != sc_core::SC_ELABORATION) {
    throw std::logic_error("LineModule: SystemC elaborates once per process");
  }
  impl_->m = std::make_unique<LineModuleTop>("line_module", options);
}

LineModule::~LineModule() {
  if (impl_ && impl_->m) {
    impl_->m->close_trace();
    impl_->m->top->final();
  }
}

void LineModule::run_cycles(std::uint64_t n) {
  impl_->started = true;
  sc_core::sc_start(sc_time(kClockPeriodNs * static_cast<double>(n), SC_NS));
}

std::uint64_t LineModule::cycles() const {
  return (sc_core::sc_time_stamp().value() + kPeriodPs / 2) / kPeriodPs;
}

bool LineModule::run_until_idle(std::uint64_t max_cycles, std::uint64_t idle_cycles) {
  LineModuleTop& m = *impl_->m;
  const std::uint64_t end = cycles() + max_cycles;
  while (cycles() < end) {
    run_cycles(16);
    const std::uint64_t last = std::max(m.line_tx.last_output, m.host_rx.last_output);
    if (!busy() && cycles() - last >= idle_cycles) return true;
  }
  return false;
}

void LineModule::close_trace() { impl_->m->close_trace(); }

std::uint32_t LineModule::read32(std::uint32_t addr) {
  LineModuleTop& m = *impl_->m;
  if (!m.reset_done) run_until([&] { return m.reset_done; }, 1000, 1);
  LineModuleTop::BusRequest r{false, addr, 0, false};
  m.bus_requests.push_back(&r);
  m.bus_event.notify(SC_ZERO_TIME);
  if (!run_until([&] { return r.done; }, 1'000'000, 1)) {
    throw std::runtime_error("LineModule: register read timed out");
  }
  return r.value;
}

void LineModule::write32(std::uint32_t addr, std::uint32_t value) {
  LineModuleTop& m = *impl_->m;
  if (!m.reset_done) run_until([&] { return m.reset_done; }, 1000, 1);
  LineModuleTop::BusRequest r{true, addr, value, false};
  m.bus_requests.push_back(&r);
  m.bus_event.notify(SC_ZERO_TIME);
  if (!run_until([&] { return r.done; }, 1'000'000, 1)) {
    throw std::runtime_error("LineModule: register write timed out");
  }
}

std::uint64_t LineModule::bus_transactions() const { return impl_->m->bus.transactions(); }

void LineModule::push_line_rx(ByteView frame) {
  impl_->m->line_rx.push(frame);
  impl_->m->queued();
}

std::optional<LineTxFrame> LineModule::pop_line_tx() {
  auto& d = impl_->m->line_tx.done;
  if (d.empty()) return std::nullopt;
  LineTxFrame f = std::move(d.front());
  d.pop_front();
  return f;
}

void LineModule::push_host_tx(const HostTxHeader& header, ByteView data) {
  impl_->m->host_tx.push(header, data);
  impl_->m->queued();
}

std::optional<HostRxPacket> LineModule::pop_host_rx() {
  auto& d = impl_->m->host_rx.done;
  if (d.empty()) return std::nullopt;
  HostRxPacket p = std::move(d.front());
  d.pop_front();
  return p;
}

std::size_t LineModule::line_tx_pending() const { return impl_->m->line_tx.done.size(); }
std::size_t LineModule::host_rx_pending() const { return impl_->m->host_rx.done.size(); }

bool LineModule::busy() const {
  const LineModuleTop& m = *impl_->m;
  return m.line_rx.busy() || m.host_tx.queued() != 0 || m.line_tx.open() || m.host_rx.open();
}

bool LineModule::irq() const { return impl_->m->s.irq.read(); }

void LineModule::set_backpressure(unsigned valid_percent, unsigned ready_percent) {
  impl_->m->knobs = Knobs{valid_percent, ready_percent};
}

bool LineModule::firmware_started() const { return impl_->m->firmware_started; }
const fw::Firmware* LineModule::firmware() const { return impl_->m->firmware.get(); }

void LineModule::post_request(ByteView request) {
  LineModuleTop& m = *impl_->m;
  m.requests.emplace_back(request.begin(), request.end());
  if (sc_core::sc_get_status() != sc_core::SC_ELABORATION) m.request_event.notify(SC_ZERO_TIME);
}

std::optional<Bytes> LineModule::take_response() {
  auto& d = impl_->m->responses;
  if (d.empty()) return std::nullopt;
  Bytes b = std::move(d.front());
  d.pop_front();
  return b;
}

std::optional<Bytes> LineModule::take_message() {
  auto& d = impl_->m->messages;
  if (d.empty()) return std::nullopt;
  Bytes b = std::move(d.front());
  d.pop_front();
  return b;
}

std::optional<Bytes> LineModule::request(ByteView req, std::uint64_t max_cycles) {
  LineModuleTop& m = *impl_->m;
  const std::size_t before = m.responses.size();
  post_request(req);
  if (!run_until([&] { return m.responses.size() > before; }, max_cycles, 8)) return std::nullopt;
  Bytes b = std::move(m.responses.back());
  m.responses.pop_back();
  return b;
}

}  // namespace l2sec::sim::sc
