// The simulated line card (docs/line-module.md section 5): the Verilated lm_top (sim/lmtop's
// TopHarness), the firmware running on an FpgaIo adapter over it, and a line port carrying real
// traffic. The host side is four message queues, one per driver::Ring, holding host-mailbox
// messages: SimDevice (driver/sim) uses them in-process, the lmsim process copies them to and from
// its shared-memory rings.
//
// run() is one service pass:
//   1. every request waiting on the to-device queues goes to Firmware::handle();
//   2. the clock runs in steps of cycles_per_step: frames from the port go to the line RX stream
//      (a bounded number per step), line TX frames go to the port, the firmware polls (host RX
//      stream to RX_PACKET, FPGA events, lifetimes), its outbox goes to the from-device queues;
//      until the port has nothing, the model took all its input and nothing came out for
//      TopHarnessOptions::idle_cycles (packets spend thousands of cycles in a lane), and the
//      firmware has nothing more to say; or until the budget of cycles is spent;
//   3. the responses of step 1 are published last, so that when a TX_* response is seen, its
//      frame has left the line TX stream (on a simulated device a transmit is synchronous).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "l2sec/fw/firmware.hpp"
#include "l2sec/fw/fpga_io.hpp"
#include "l2sec/golden/bytes.hpp"
#include "l2sec/sim/lm/line_port.hpp"
#include "l2sec/sim/top_harness.hpp"

namespace l2sec::lmsim {

// driver::Ring's numbering, without depending on the driver.
enum class Queue : std::uint8_t {
  kMboxToDevice,
  kMboxFromDevice,
  kPacketToDevice,
  kPacketFromDevice
};
inline constexpr std::size_t kQueueCount = 4;

struct LineCardOptions {
  fw::FirmwareConfig firmware = default_firmware_config();
  sim::TopHarnessOptions harness;
  std::uint64_t cycles_per_step = 256;  // clock cycles between looks at port/firmware
  // One run()'s budget: under continuous traffic run() returns after this many cycles (about a
  // second on a loaded machine), so the host and lmsim's control socket stay responsive.
  std::uint64_t max_cycles_per_run = 250'000;
  std::size_t max_line_rx_per_step = 16;  // frames taken from the port per step
  std::size_t queue_limit = 4096;         // messages per queue; beyond: full / back-pressure
  // The firmware's millisecond clock; default: steady_clock. Tests advance it by hand.
  std::function<std::uint64_t()> clock_ms;

  // The firmware settings a simulated card wants: lifetimes checked on every poll (a simulated
  // second is long), everything else as the firmware's defaults.
  static fw::FirmwareConfig default_firmware_config() {
    fw::FirmwareConfig c;
    c.lifetime_interval_ms = 0;
    return c;
  }
};

struct LineCardCounters {
  std::uint64_t runs = 0, cycles = 0;
  std::uint64_t requests = 0, responses = 0, unsolicited = 0;
  std::uint64_t frames_in = 0, frames_out = 0;
  std::uint64_t budget_exhausted = 0;  // run() stopped with work left
};

// The FpgaIo the firmware runs on: AXI-Lite and the host streams of the Verilated top.
class HarnessIo final : public fw::FpgaIo {
 public:
  explicit HarnessIo(sim::TopHarness& h) : h_(h) {}
  std::uint32_t read32(std::uint32_t offset) override;
  void write32(std::uint32_t offset, std::uint32_t value) override;
  bool rx_frame(fw::RxMeta& meta, Bytes& frame) override;
  bool tx_frame(const fw::TxMeta& meta, ByteView frame) override;
  std::uint64_t pushed = 0;  // packets offered on the host TX stream

 private:
  sim::TopHarness& h_;
};

class LineCard {
 public:
  // nullptr and *error when the firmware cannot start on the RTL (block walk, versions).
  static std::unique_ptr<LineCard> create(std::unique_ptr<LinePort> port, LineCardOptions options,
                                          std::string* error);
  LineCard(const LineCard&) = delete;
  LineCard& operator=(const LineCard&) = delete;

  // Host side. deliver: a to-device queue; false when it holds queue_limit messages.
  bool deliver(Queue q, ByteView message);
  // take: the next message of a from-device queue; false when none.
  bool take(Queue q, Bytes& out);
  std::size_t queued(Queue q) const { return queues_[static_cast<std::size_t>(q)].size(); }

  // One service pass (above); returns the cycles run. True in *idle when it stopped because
  // nothing was left to do.
  std::uint64_t run(bool* idle = nullptr);
  std::uint64_t run(std::uint64_t max_cycles, bool* idle);

  // The card's clock offset (tests: lifetimes in seconds without waiting).
  void advance_clock(std::chrono::milliseconds by) { clock_offset_ms_ += by.count(); }
  std::uint64_t now_ms() const;

  sim::TopHarness& harness() { return *harness_; }
  fw::FpgaIo& fpga() { return io_; }
  fw::Firmware& firmware() { return *firmware_; }
  LinePort& port() { return *port_; }
  const LineCardCounters& counters() const { return counters_; }
  int port_fd() const { return port_->fd(); }

 private:
  LineCard(std::unique_ptr<LinePort> port, LineCardOptions options);
  void route_outbox();
  bool outputs_full() const;

  LineCardOptions options_;
  std::unique_ptr<LinePort> port_;
  std::unique_ptr<sim::TopHarness> harness_;
  HarnessIo io_;
  std::unique_ptr<fw::Firmware> firmware_;
  std::array<std::deque<Bytes>, kQueueCount> queues_;
  std::deque<std::pair<Queue, Bytes>> held_;  // step 3
  std::uint64_t last_activity_ = 0;           // cycle of the last input, output or request
  Bytes scratch_;
  std::chrono::steady_clock::time_point epoch_ = std::chrono::steady_clock::now();
  std::int64_t clock_offset_ms_ = 0;
  LineCardCounters counters_;
};

}  // namespace l2sec::lmsim
