// RFC 4303 3.4.3 anti-replay window: a bitmap of the last N sequence numbers right of the highest
// one received. check() before the ICV is verified, update() only after, so a forged packet cannot
// move the window.
#pragma once

#include <cstdint>
#include <vector>

namespace l2sec::golden {

class ReplayWindow {
 public:
  static constexpr unsigned kDefaultSize = 64;
  static constexpr unsigned kMinSize = 32;
  static constexpr unsigned kMaxSize = 4096;

  // size is clamped to [kMinSize, kMaxSize].
  explicit ReplayWindow(unsigned size = kDefaultSize);

  unsigned size() const { return size_; }
  std::uint32_t highest() const { return top_; }

  // False for sequence number 0, for one left of the window and for one already seen.
  bool check(std::uint32_t seq) const;
  // Records seq as received (call after check() and the ICV passed). Returns check(seq).
  bool update(std::uint32_t seq);

 private:
  bool test_bit(std::uint32_t seq) const;
  void set_bit(std::uint32_t seq);
  void clear_bit(std::uint32_t seq);

  unsigned size_;
  unsigned bits_;  // bitmap size: size_ rounded up to 64, plus 64 so advancing clears whole words
  std::uint32_t top_ = 0;
  std::vector<std::uint64_t> map_;
};

}  // namespace l2sec::golden
