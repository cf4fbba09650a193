// Shared pieces of the ESP engine test benches: the SA-table entry words for a golden SaConfig,
// AXI-Stream beat packing, and a seeded random source for valid/ready back-pressure.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "l2sec/golden/bytes.hpp"
#include "l2sec/golden/crypto.hpp"
#include "l2sec/golden/esp.hpp"
// Relative, so every includer (tests/rtl/esp, bench, tests/firmware) gets it without a new link.
#include "../../../sim/lmtop/include/l2sec/sim/sa_entry.hpp"
#include "lm_regs.hpp"

namespace l2sec::rtltest::esp {

using Entry = sim::SaEntryWords;

inline std::uint32_t SetField(std::uint32_t word, const lm::LayoutField& f, std::uint32_t v) {
  return sim::set_sa_field(word, f, v);
}

// The packed runtime entry the SA table would hold for cfg (the firmware's job); one packing for
// these benches and the line-module harness (sim/lmtop/include/l2sec/sim/sa_entry.hpp).
inline Entry MakeEntry(const golden::SaConfig& cfg, unsigned win_log2, std::uint8_t gen,
                       bool valid = true) {
  return sim::pack_sa_entry(cfg, win_log2, gen, valid);
}

// One AXI-Stream beat: bytes[0] in tdata[7:0].
struct Beat {
  std::uint64_t data = 0;
  std::uint8_t keep = 0;
  bool last = false;
};

inline std::vector<Beat> ToBeats(const l2sec::Bytes& pkt) {
  std::vector<Beat> beats;
  for (std::size_t off = 0; off < pkt.size() || (off == 0 && pkt.empty()); off += 8) {
    Beat b;
    for (std::size_t i = 0; i < 8 && off + i < pkt.size(); ++i) {
      b.data |= std::uint64_t{pkt[off + i]} << (8 * i);
      b.keep = static_cast<std::uint8_t>(b.keep | (1u << i));
    }
    b.last = off + 8 >= pkt.size();
    beats.push_back(b);
    if (pkt.empty()) break;
  }
  return beats;
}

inline void AppendBeat(l2sec::Bytes& out, std::uint64_t data, std::uint8_t keep) {
  for (unsigned i = 0; i < 8; ++i) {
    if ((keep >> i) & 1u) out.push_back(static_cast<std::uint8_t>(data >> (8 * i)));
  }
}

// Random valid/ready: high with probability percent/100 (100 = always).
class Pressure {
 public:
  Pressure(std::uint64_t seed, unsigned percent) : rng_(seed), percent_(percent) {}
  bool Next() { return percent_ >= 100 || rng_() % 100 < percent_; }
  void set_percent(unsigned p) { percent_ = p; }

 private:
  std::mt19937_64 rng_;
  unsigned percent_;
};

// Per-SA counters as the SA table would sum them from the engines' stats updates.
struct StatSums {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  std::uint64_t icv_fail = 0;
  std::uint64_t replay_drop = 0;
  std::uint64_t pad_fail = 0;
  std::uint64_t other_drop = 0;

  void Add(lm::DropReason r, std::uint32_t bytes_in) {
    switch (r) {
      case lm::DropReason::kNone:
        ++packets;
        bytes += bytes_in;
        break;
      case lm::DropReason::kBadIcv:
        ++icv_fail;
        break;
      case lm::DropReason::kReplay:
        ++replay_drop;
        break;
      case lm::DropReason::kBadPad:
        ++pad_fail;
        break;
      default:
        ++other_drop;
        break;
    }
  }
};

}  // namespace l2sec::rtltest::esp
