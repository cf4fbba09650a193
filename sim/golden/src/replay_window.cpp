#include "l2sec/golden/replay_window.hpp"

#include <algorithm>

namespace l2sec::golden {

ReplayWindow::ReplayWindow(unsigned size)
    : size_(std::clamp(size, kMinSize, kMaxSize)),
      bits_((size_ + 63) / 64 * 64 + 64),
      map_(bits_ / 64, 0) {}

bool ReplayWindow::test_bit(std::uint32_t seq) const {
  const unsigned b = seq % bits_;
  return (map_[b / 64] >> (b % 64)) & 1u;
}

void ReplayWindow::set_bit(std::uint32_t seq) {
  const unsigned b = seq % bits_;
  map_[b / 64] |= std::uint64_t{1} << (b % 64);
}

void ReplayWindow::clear_bit(std::uint32_t seq) {
  const unsigned b = seq % bits_;
  map_[b / 64] &= ~(std::uint64_t{1} << (b % 64));
}

bool ReplayWindow::check(std::uint32_t seq) const {
  if (seq == 0) return false;
  if (seq > top_) return true;
  if (top_ - seq >= size_) return false;
  return !test_bit(seq);
}

bool ReplayWindow::update(std::uint32_t seq) {
  if (!check(seq)) return false;
  if (seq > top_) {
    const std::uint32_t advance = seq - top_;
    if (advance >= bits_) {
      std::fill(map_.begin(), map_.end(), 0);
    } else {
      for (std::uint32_t s = top_ + 1; s != seq; ++s) clear_bit(s);
      clear_bit(seq);
    }
    top_ = seq;
  }
  set_bit(seq);
  return true;
}

}  // namespace l2sec::golden
