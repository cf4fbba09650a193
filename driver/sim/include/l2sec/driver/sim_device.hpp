// The simulation back ends of driver::Device (docs/line-module.md section 4):
//
//   SimDevice    the simulated line card (sim/lm: Verilated lm_top + firmware + a line port) in
//                this process; service() runs it. Rings are in-process queues.
//   LmsimDevice  the same card in a separate `lmsim` process (sim/lm/lmsim.cpp), reached over its
//                Unix socket (@l2sec-lmsim-<name>: registers, and the doorbell and interrupt
//                eventfds passed with SCM_RIGHTS) and its shared-memory rings
//                (/l2sec-lmsim-<name>). One daemon can open several, one per lmsim.
//
// Specs for open_device() once register_sim_devices() ran:
//   sim:[key=value,...]   listen=ADDR (127.0.0.1), port-addr=ADDR, ike=N, natt=N, l2tp=N (the UDP
//                         ports of the line port; 500/4500/1701), tap=IFNAME (a TAP port instead),
//                         trace=FILE.fst
//   lmsim:<name>[,wait=MS]  connects to a running `lmsim --name <name>` (waits up to MS for it)
//
// Registers: BAR0 is the line module's AXI-Lite space (64 KiB). DMA: SimDevice hands out host
// memory with a made-up IOVA (nothing in the simulated card does DMA: the mailbox is on the rings);
// LmsimDevice has none (Errc::kUnsupported). One interrupt vector: lm_top's irq output.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "l2sec/driver/device.hpp"

namespace l2sec::lmsim {
class LineCard;
class LinePort;
struct LineCardOptions;
}  // namespace l2sec::lmsim

namespace l2sec::driver {

// Registers "sim" and "lmsim" with open_device(). Idempotent.
void register_sim_devices();

class SimDevice final : public Device {
 public:
  static std::unique_ptr<SimDevice> create(std::string name, std::unique_ptr<lmsim::LinePort> port,
                                           const lmsim::LineCardOptions& options,
                                           std::string* error);
  // "sim:" argument parsing (above) and create().
  static std::unique_ptr<SimDevice> open(std::string_view argument, std::string* error);
  ~SimDevice() override;

  std::string_view name() const override { return name_; }
  std::uint64_t bar_size() const override;
  std::uint32_t read32(std::uint64_t offset) override;
  void write32(std::uint64_t offset, std::uint32_t value) override;
  Result<DmaBuffer> alloc_dma(std::size_t bytes) override;
  unsigned irq_count() const override { return 1; }
  int irq_fd(unsigned vector) const override;
  Status ack_irq(unsigned vector) override;
  Status send(Ring ring, ByteView message) override;
  std::optional<Bytes> receive(Ring ring) override;
  int ring_fd(Ring ring) const override;
  Status service() override;

  lmsim::LineCard& card() { return *card_; }

 private:
  SimDevice(std::string name, std::unique_ptr<lmsim::LineCard> card);
  void signal();

  std::string name_;
  std::unique_ptr<lmsim::LineCard> card_;
  int irq_fd_ = -1;
  bool irq_raised_ = false;  // counted on irq_fd_, not acked yet
  int bell_fd_ = -1;         // rung when a from-device queue has messages
  int ready_fd_ = -1;        // epoll: bell + the line port
  std::uint64_t next_iova_ = 0x100000000ull;
};

class LmsimDevice final : public Device {
 public:
  static std::unique_ptr<LmsimDevice> connect(const std::string& name,
                                              std::chrono::milliseconds wait, std::string* error);
  static std::unique_ptr<LmsimDevice> open(std::string_view argument, std::string* error);
  ~LmsimDevice() override;

  std::string_view name() const override { return name_; }
  std::uint64_t bar_size() const override;
  std::uint32_t read32(std::uint64_t offset) override;
  void write32(std::uint64_t offset, std::uint32_t value) override;
  Result<DmaBuffer> alloc_dma(std::size_t bytes) override;
  unsigned irq_count() const override { return 1; }
  int irq_fd(unsigned vector) const override;
  Status ack_irq(unsigned vector) override;
  Status send(Ring ring, ByteView message) override;
  std::optional<Bytes> receive(Ring ring) override;
  int ring_fd(Ring ring) const override;
  Status service() override;

 private:
  struct Impl;
  explicit LmsimDevice(std::unique_ptr<Impl> impl);
  std::string name_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace l2sec::driver
