// A C++ model of the line module's register space and host streams for the firmware tests: the
// self-describing block chain, sa_table STAGE/CMD/BUSY/ERROR with the entry and stats RAMs (the
// semantics of rtl/sa/README.md), the ctrl.EVENT FIFO, counter registers, and queues for the two
// host streams. Every write32 is logged so tests can check the exact register sequence.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <utility>
#include <vector>

#include "l2sec/fw/fpga_io.hpp"
#include "lm_regs.hpp"

namespace l2sec::fw::test {

class MockFpga final : public FpgaIo {
 public:
  struct Write {
    std::uint32_t offset;
    std::uint32_t value;
  };
  using Entry = std::array<std::uint32_t, lm::sa_table::kStageCount>;
  using Stats = std::array<std::uint32_t, lm::sa_stats::kWords>;

  explicit MockFpga(std::uint32_t capacity = 256, std::uint32_t max_win_log2 = 6)
      : capacity_(capacity), max_win_log2_(max_win_log2), entries_(capacity), stats_(capacity) {
    for (const auto& b : lm::kBlocks) {
      regs_[b.base] = b.type_id;
      regs_[b.base + 4] = b.version_id;
      regs_[b.base + 8] = b.next_ptr;
    }
    regs_[lm::ident::kCaps] = lm::ident::caps::kPorts.set(0xf, 1);
    regs_[lm::ident::kRtlVersion] = 0x000100;
  }

  // ---- FpgaIo
  std::uint32_t read32(std::uint32_t offset) override {
    ++reads_;
    namespace t = lm::sa_table;
    if (offset == t::kCaps) {
      std::uint32_t v = t::caps::kCapacity.set(0, capacity_);
      v = t::caps::kEntryWords.set(v, lm::sa_entry::kWords);
      return t::caps::kMaxWinLog2.set(v, max_win_log2_);
    }
    if (offset == t::kCmd) {
      std::uint32_t v = cmd_;
      if (busy_left_ > 0) {
        --busy_left_;
        return t::cmd::kBusy.set(v, 1);
      }
      return t::cmd::kError.set(v, cmd_error_ ? 1u : 0u);
    }
    if (offset >= t::kStage && offset < t::kStage + 4 * t::kStageCount) {
      return stage_[(offset - t::kStage) / 4];
    }
    if (offset == lm::ctrl::kEvent) {
      if (events_.empty()) return 0;
      const std::uint32_t v = events_.front();
      events_.pop_front();
      return v;
    }
    const auto it = regs_.find(offset);
    return it == regs_.end() ? 0 : it->second;
  }

  void write32(std::uint32_t offset, std::uint32_t value) override {
    writes_.push_back({offset, value});
    namespace t = lm::sa_table;
    if (offset >= t::kStage && offset < t::kStage + 4 * t::kStageCount) {
      stage_[(offset - t::kStage) / 4] = value;
      return;
    }
    if (offset == t::kCmd) {
      execute(value);
      return;
    }
    if (offset == lm::ctrl::kIrqStatus) {  // w1c
      regs_[offset] &= ~value;
      return;
    }
    regs_[offset] = value;
  }

  bool rx_frame(RxMeta& meta, Bytes& frame) override {
    if (rx_.empty()) return false;
    meta = rx_.front().first;
    frame = std::move(rx_.front().second);
    rx_.pop_front();
    return true;
  }

  bool tx_frame(const TxMeta& meta, ByteView frame) override {
    if (refuse_tx_ > 0) {
      --refuse_tx_;
      return false;
    }
    ++tx_count_;
    if (keep_tx_) tx_.emplace_back(meta, Bytes(frame.begin(), frame.end()));
    return true;
  }

  // ---- test controls
  void set_reg(std::uint32_t offset, std::uint32_t v) { regs_[offset] = v; }
  std::uint32_t reg(std::uint32_t offset) const {
    const auto it = regs_.find(offset);
    return it == regs_.end() ? 0 : it->second;
  }
  void set_busy_reads(unsigned n) { busy_per_cmd_ = n; }
  void fail_commands(bool on) { fail_all_ = on; }
  void refuse_tx(unsigned n) { refuse_tx_ = n; }
  void keep_tx(bool on) { keep_tx_ = on; }  // off: frames are only counted (no allocation)
  std::uint64_t tx_count() const { return tx_count_; }
  void push_event(std::uint16_t index, lm::EventKind kind) {
    namespace e = lm::ctrl::event;
    events_.push_back(e::kValid.set(
        e::kKind.set(e::kSaIndex.set(0, index), static_cast<std::uint32_t>(kind)), 1));
    regs_[lm::ctrl::kIrqStatus] |= lm::ctrl::irq_status::kEvent.set(0, 1);
  }
  void push_rx(const RxMeta& meta, Bytes data) { rx_.emplace_back(meta, std::move(data)); }
  // What an engine's stats update does: a good packet of n payload bytes.
  void count_packet(std::uint16_t index, std::uint64_t bytes) {
    namespace s = lm::sa_stats;
    Stats& st = stats_.at(index);
    add64(st, s::kPackets.word, 1);
    add64(st, s::kBytes.word, bytes);
  }
  void count_drop(std::uint16_t index, const lm::LayoutField& counter) {
    ++stats_.at(index)[counter.word];
  }

  void set_entry(std::uint16_t i, const Entry& e) { entries_.at(i) = e; }
  const Entry& entry(std::uint16_t i) const { return entries_.at(i); }
  bool valid(std::uint16_t i) const {
    return lm::sa_entry::kValid.bits().get(entries_.at(i)[0]) != 0;
  }
  std::uint32_t gen(std::uint16_t i) const {
    return lm::sa_entry::kGen.bits().get(entries_.at(i)[0]);
  }
  std::vector<Write>& writes() { return writes_; }
  std::vector<std::pair<TxMeta, Bytes>>& tx() { return tx_; }
  std::size_t rx_pending() const { return rx_.size(); }
  std::uint64_t reads() const { return reads_; }
  // The CMD writes in the log, decoded as (op, index).
  std::vector<std::pair<lm::SaCmdOp, std::uint16_t>> commands() const {
    std::vector<std::pair<lm::SaCmdOp, std::uint16_t>> out;
    for (const auto& w : writes_) {
      if (w.offset != lm::sa_table::kCmd) continue;
      out.emplace_back(static_cast<lm::SaCmdOp>(lm::sa_table::cmd::kOp.get(w.value)),
                       static_cast<std::uint16_t>(lm::sa_table::cmd::kIndex.get(w.value)));
    }
    return out;
  }

 private:
  static void add64(Stats& st, unsigned word, std::uint64_t v) {
    std::uint64_t x = (std::uint64_t{st[word]} << 32) | st[word + 1];
    x += v;
    st[word] = static_cast<std::uint32_t>(x >> 32);
    st[word + 1] = static_cast<std::uint32_t>(x);
  }

  void execute(std::uint32_t value) {
    namespace t = lm::sa_table;
    const std::uint32_t index = t::cmd::kIndex.get(value);
    const auto op = static_cast<lm::SaCmdOp>(t::cmd::kOp.get(value));
    cmd_ = t::cmd::kIndex.set(t::cmd::kOp.set(0, t::cmd::kOp.get(value)), index);
    busy_left_ = busy_per_cmd_;
    cmd_error_ = fail_all_ || index >= capacity_;
    if (cmd_error_) return;
    Entry& e = entries_[index];
    switch (op) {
      case lm::SaCmdOp::kWrite:
        for (unsigned w = 0; w < lm::sa_entry::kWords; ++w) e[w] = stage_[w];
        break;
      case lm::SaCmdOp::kRead:
        for (unsigned w = 0; w < lm::sa_entry::kWords; ++w) stage_[w] = e[w];
        break;
      case lm::SaCmdOp::kInvalidate:
        e[0] = lm::sa_entry::kValid.bits().set(e[0], 0);
        break;
      case lm::SaCmdOp::kReadStats:
        for (unsigned w = 0; w < lm::sa_stats::kWords; ++w) stage_[w] = stats_[index][w];
        break;
      case lm::SaCmdOp::kClearStats:
        stats_[index] = Stats{};
        break;
      default:
        cmd_error_ = true;
        break;
    }
  }

  std::uint32_t capacity_;
  std::uint32_t max_win_log2_;
  std::map<std::uint32_t, std::uint32_t> regs_;
  std::vector<Entry> entries_;
  std::vector<Stats> stats_;
  Entry stage_{};
  std::uint32_t cmd_ = 0;
  unsigned busy_per_cmd_ = 0, busy_left_ = 0;
  bool cmd_error_ = false, fail_all_ = false;
  unsigned refuse_tx_ = 0;
  bool keep_tx_ = true;
  std::uint64_t tx_count_ = 0;
  std::deque<std::uint32_t> events_;
  std::deque<std::pair<RxMeta, Bytes>> rx_;
  std::vector<std::pair<TxMeta, Bytes>> tx_;
  std::vector<Write> writes_;
  std::uint64_t reads_ = 0;
};

}  // namespace l2sec::fw::test
