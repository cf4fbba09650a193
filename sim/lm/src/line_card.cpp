#include "l2sec/sim/lm/line_card.hpp"

#include "l2sec/log.hpp"

namespace l2sec::lmsim {
namespace {

std::size_t index(Queue q) { return static_cast<std::size_t>(q); }

}  // namespace

// ---- HarnessIo

std::uint32_t HarnessIo::read32(std::uint32_t offset) { return h_.read32(offset); }

void HarnessIo::write32(std::uint32_t offset, std::uint32_t value) { h_.write32(offset, value); }

bool HarnessIo::rx_frame(fw::RxMeta& meta, Bytes& frame) {
  auto got = h_.pop_host_rx();
  if (!got) return false;
  const sim::HostRxHeader& h = got->first;
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
  frame.assign(got->second.begin(), got->second.end());
  return true;
}

bool HarnessIo::tx_frame(const fw::TxMeta& meta, ByteView frame) {
  sim::HostTxHeader h;
  h.encap = meta.encap;
  h.sa_index = meta.sa_index;
  h.next_header = meta.next_header;
  h.tos = meta.tos;
  h.ttl = meta.ttl;
  h.id = meta.id;
  h.frag = meta.frag;
  h.port = meta.port;
  h_.push_host_tx(h, frame);
  ++pushed;
  return true;
}

// ---- LineCard

LineCard::LineCard(std::unique_ptr<LinePort> port, LineCardOptions options)
    : options_(std::move(options)),
      port_(std::move(port)),
      harness_(std::make_unique<sim::TopHarness>(options_.harness)),
      io_(*harness_) {}

std::unique_ptr<LineCard> LineCard::create(std::unique_ptr<LinePort> port, LineCardOptions options,
                                           std::string* error) {
  if (port == nullptr) {
    if (error) *error = "line card without a port";
    return nullptr;
  }
  std::unique_ptr<LineCard> card(new LineCard(std::move(port), std::move(options)));
  card->firmware_ = std::make_unique<fw::Firmware>(card->io_, card->options_.firmware);
  if (!card->firmware_->ready()) {
    if (error) *error = "line-module firmware did not start: " + card->firmware_->start_error();
    return nullptr;
  }
  card->last_activity_ = card->harness_->cycles();
  return card;
}

std::uint64_t LineCard::now_ms() const {
  if (options_.clock_ms) return options_.clock_ms() + static_cast<std::uint64_t>(clock_offset_ms_);
  const auto d = std::chrono::steady_clock::now() - epoch_;
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(d).count() + clock_offset_ms_);
}

bool LineCard::deliver(Queue q, ByteView message) {
  if (q != Queue::kMboxToDevice && q != Queue::kPacketToDevice) return false;
  auto& queue = queues_[index(q)];
  if (queue.size() >= options_.queue_limit) return false;
  queue.emplace_back(message.begin(), message.end());
  return true;
}

bool LineCard::take(Queue q, Bytes& out) {
  auto& queue = queues_[index(q)];
  if (queue.empty()) return false;
  out = std::move(queue.front());
  queue.pop_front();
  return true;
}

bool LineCard::outputs_full() const {
  return queues_[index(Queue::kPacketFromDevice)].size() >= options_.queue_limit ||
         queues_[index(Queue::kMboxFromDevice)].size() >= options_.queue_limit;
}

void LineCard::route_outbox() {
  while (firmware_->take_message(scratch_)) {
    // The message type (u16 at offset 6): received packets go on the packet queue, events on the
    // mailbox queue.
    const bool packet =
        scratch_.size() >= fw::kHeaderSize &&
        (scratch_[6] | (scratch_[7] << 8)) == static_cast<int>(fw::MsgType::kRxPacket);
    queues_[index(packet ? Queue::kPacketFromDevice : Queue::kMboxFromDevice)].push_back(
        std::move(scratch_));
    scratch_ = Bytes();
    ++counters_.unsolicited;
  }
}

std::uint64_t LineCard::run(bool* idle) { return run(options_.max_cycles_per_run, idle); }

std::uint64_t LineCard::run(std::uint64_t max_cycles, bool* idle) {
  ++counters_.runs;
  const std::uint64_t start = harness_->cycles();
  // 1. Requests; responses held until the frames they made are out.
  for (const Queue q : {Queue::kMboxToDevice, Queue::kPacketToDevice}) {
    auto& queue = queues_[index(q)];
    const Queue answer =
        q == Queue::kMboxToDevice ? Queue::kMboxFromDevice : Queue::kPacketFromDevice;
    while (!queue.empty()) {
      Bytes response;
      firmware_->handle(queue.front(), response);
      queue.pop_front();
      held_.emplace_back(answer, std::move(response));
      ++counters_.requests;
      last_activity_ = harness_->cycles();
    }
  }
  // 2. The clock, the port and the firmware.
  bool quiet = false;
  for (;;) {
    std::size_t pulled = 0;
    while (!outputs_full() && pulled < options_.max_line_rx_per_step) {
      auto frame = port_->receive_frame();
      if (!frame) break;
      harness_->push_line_rx(*frame);
      ++pulled;
      ++counters_.frames_in;
    }
    const std::uint64_t pushed_before = io_.pushed;
    const std::size_t outbox_before = counters_.unsolicited;
    if (pulled != 0) last_activity_ = harness_->cycles();
    const bool settled = pulled == 0 && !harness_->busy() &&
                         harness_->cycles() - last_activity_ >= options_.harness.idle_cycles;
    if (settled) {
      firmware_->poll(now_ms());  // lifetimes and events still get their look
      route_outbox();
      if (firmware_->outbox_size() == 0 && counters_.unsolicited == outbox_before &&
          io_.pushed == pushed_before) {
        quiet = true;
        break;
      }
      last_activity_ = harness_->cycles();
    }
    if (harness_->cycles() - start >= max_cycles) {
      ++counters_.budget_exhausted;
      break;
    }
    harness_->step(static_cast<unsigned>(options_.cycles_per_step));
    while (auto frame = harness_->pop_line_tx()) {
      port_->send_frame(*frame);
      ++counters_.frames_out;
      last_activity_ = harness_->cycles();
    }
    const std::size_t rx_before = harness_->host_rx_pending();
    firmware_->poll(now_ms());
    route_outbox();
    if (rx_before != 0 || counters_.unsolicited != outbox_before || io_.pushed != pushed_before) {
      last_activity_ = harness_->cycles();
    }
  }
  // 3. Responses.
  for (auto& [q, response] : held_) {
    queues_[index(q)].push_back(std::move(response));
    ++counters_.responses;
  }
  held_.clear();
  const std::uint64_t ran = harness_->cycles() - start;
  counters_.cycles += ran;
  if (idle != nullptr) *idle = quiet;
  return ran;
}

}  // namespace l2sec::lmsim
