// The SystemC model of the whole line module (docs/line-module.md section 5): lm_top Verilated in
// SystemC mode, clocked at 156.25 MHz, with an AXI-Lite master, port models on the four streams
// and the firmware running as an SC_THREAD on an FpgaIo whose register accesses are AXI-Lite
// transactions in simulated time.
//
// Port models take and give whole frames: line RX (Ethernet frames in), line TX (Ethernet frames
// out), host TX (header + data in) and host RX (header + data out), each a queue with optional
// random valid/ready back-pressure. With the firmware on, host RX feeds the firmware (its rx_frame)
// and host TX is what the firmware sends (its tx_frame); the host side talks to the firmware
// through mailbox messages. With the firmware off, a test or bench drives the host streams itself.
//
// Timing: the clock's rising edges are at (k - 1) * 6.4 ns + 3.2 ns for edge k (k = 1, 2, ...), so
// run_cycles() pauses in the low phase; cycles() counts rising edges as TopHarness::cycles() does,
// and input queued between runs is offered before the next edge, as TopHarness offers it. The
// random back-pressure comes from one generator drawn in TopHarness's order. With the same input,
// seed and percentages, the SystemC model and TopHarness see the same handshakes on the same edges
// (tests/systemc checks it).
//
// SystemC elaborates once per process: make one LineModule before the first run_cycles().
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "l2sec/fw/firmware.hpp"
#include "l2sec/golden/bytes.hpp"
#include "l2sec/sim/top_harness.hpp"  // HostRxHeader, HostTxHeader (the same header beats)

namespace l2sec::sim::sc {

// 156.25 MHz: the line module's clock on the KC705 (constraints/).
inline constexpr double kClockPeriodNs = 6.4;

struct LineModuleOptions {
  // Trace file, empty: none. *.fst: the whole RTL hierarchy through Verilator's FST writer
  // (compiled in, opened at the start of simulation); *.vcd: SystemC's VCD writer on the
  // LineModule's signals (the flat lm_top ports, clock and reset).
  std::string trace_path;
  bool firmware =
      true;  // run the firmware as an SC_THREAD (false: the host streams are the caller's)
  fw::FirmwareConfig firmware_config{};
  std::uint64_t seed = 1;
  unsigned valid_percent = 100, ready_percent = 100;  // random back-pressure on every stream
  // Firmware: how long it sleeps when poll() found nothing (an irq, a received frame or a mailbox
  // request wakes it earlier), in clock cycles.
  unsigned firmware_idle_cycles = 1000;
  std::size_t host_tx_capacity =
      64;  // frames the host TX port model queues (tx_frame false beyond)
};

// A frame or packet that came out, with the rising edge its last beat was taken on.
struct LineTxFrame {
  Bytes frame;
  std::uint64_t cycle = 0;
};
struct HostRxPacket {
  HostRxHeader header;
  Bytes data;
  std::uint64_t cycle = 0;
};

class LineModule {
 public:
  explicit LineModule(const LineModuleOptions& options = {});
  ~LineModule();
  LineModule(const LineModule&) = delete;
  LineModule& operator=(const LineModule&) = delete;

  // Simulation: runs whole clock cycles (sc_start); cycles() is the number of rising edges so far.
  void run_cycles(std::uint64_t n);
  std::uint64_t cycles() const;
  // Runs until pred() holds (checked every `step` cycles) or max_cycles passed; false then.
  template <typename Pred>
  bool run_until(Pred pred, std::uint64_t max_cycles, std::uint64_t step = 16) {
    for (std::uint64_t done = 0; !pred(); done += step) {
      if (done >= max_cycles) return false;
      run_cycles(step);
    }
    return true;
  }
  // Clocks until all queued input is taken and nothing came out for idle_cycles.
  bool run_until_idle(std::uint64_t max_cycles, std::uint64_t idle_cycles = 6000);
  // Flushes and closes the trace file (also done by the destructor).
  void close_trace();

  // AXI-Lite from outside the simulation: each runs cycles until its transaction is done (the
  // firmware's own accesses, if any, share the bus).
  std::uint32_t read32(std::uint32_t addr);
  void write32(std::uint32_t addr, std::uint32_t value);
  // Cycles spent on the bus by the firmware and by outside accesses, and transactions made.
  std::uint64_t bus_transactions() const;

  // Line streams.
  void push_line_rx(ByteView frame);
  std::optional<LineTxFrame> pop_line_tx();
  // Host streams (firmware off; with it on, these are the firmware's).
  void push_host_tx(const HostTxHeader& header, ByteView data);
  std::optional<HostRxPacket> pop_host_rx();
  std::size_t line_tx_pending() const;
  std::size_t host_rx_pending() const;
  bool busy() const;  // input queued or a packet half-way out
  bool irq() const;
  void set_backpressure(unsigned valid_percent, unsigned ready_percent);

  // Firmware (options.firmware): start() done, its result, and the host mailbox.
  bool firmware_started() const;
  const fw::Firmware* firmware() const;
  // Queues a mailbox request; the firmware thread answers it in simulated time.
  void post_request(ByteView request);
  std::optional<Bytes> take_response();
  // Unsolicited messages (EVENT, RX_PACKET) as the firmware's take_message() gives them.
  std::optional<Bytes> take_message();
  // post_request, then runs until the response (nullopt after max_cycles).
  std::optional<Bytes> request(ByteView request, std::uint64_t max_cycles = 2'000'000);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace l2sec::sim::sc
