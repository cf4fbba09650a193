// Verilated SA table (rtl/sa/lm_sa_table.v, CAPACITY=256) driven through a small AXI-Lite
// bus-functional model with random valid/ready delays, checked against a C++ model of the table.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "Vlm_sa_table.h"
#include "l2sec/golden/crypto.hpp"
#include "lm_regs.hpp"
#include "rtl_test_util.h"

namespace {

namespace lm = l2sec::lm;
namespace golden = l2sec::golden;
using l2sec::rtltest::TestSeed;

constexpr unsigned kCapacity = 256;  // -GCAPACITY in tests/rtl/sa/CMakeLists.txt
constexpr unsigned kMaxWinLog2 = 6;
constexpr unsigned kEntryWords = lm::sa_entry::kWords;
constexpr unsigned kStatsWords = lm::sa_stats::kWords;
using Entry = std::array<std::uint32_t, kEntryWords>;
using Stats = std::array<std::uint32_t, kStatsWords>;

// CMD.OP values (documented in the OP field of the map, not generated as constants).
using Op = lm::SaCmdOp;

std::uint32_t SetField(std::uint32_t word, const lm::LayoutField& f, std::uint32_t v) {
  return f.bits().set(word, v);
}
std::uint32_t GetField(const Entry& e, const lm::LayoutField& f) { return f.bits().get(e[f.word]); }

// A random entry for slot `index`: SPI low bits = index, HMAC states from the golden model.
Entry RandomEntry(std::mt19937_64& rng, unsigned index, bool valid, lm::Direction dir) {
  namespace f = lm::sa_entry;
  Entry e{};
  for (auto& w : e) w = static_cast<std::uint32_t>(rng());
  std::uint32_t w0 = 0;
  const auto integ = (rng() & 1) ? lm::Integ::kHmacSha1 : lm::Integ::kHmacSha256;
  w0 = SetField(w0, f::kValid, valid ? 1 : 0);
  w0 = SetField(w0, f::kDirection, static_cast<std::uint32_t>(dir));
  w0 = SetField(w0, f::kEncap, static_cast<std::uint32_t>(rng() % 2));
  w0 = SetField(w0, f::kCipher, static_cast<std::uint32_t>(1 + rng() % 3));
  w0 = SetField(w0, f::kInteg, static_cast<std::uint32_t>(integ));
  w0 = SetField(w0, f::kIcvLen,
                integ == lm::Integ::kHmacSha1 ? 0 : static_cast<std::uint32_t>(rng() % 2));
  w0 = SetField(w0, f::kReplayWinLog2, static_cast<std::uint32_t>(5 + rng() % 2));
  w0 = SetField(w0, f::kNatPassthrough, static_cast<std::uint32_t>(rng() % 2));
  w0 = SetField(w0, f::kGen, static_cast<std::uint32_t>(rng() % 256));
  e[f::kValid.word] = w0;
  const auto spi = (static_cast<std::uint32_t>(rng()) & ~(kCapacity - 1)) | index;
  e[f::kSpi.word] = SetField(0, f::kSpi, spi);
  const auto hmac_key = l2sec::rtltest::RandomBytes(rng, golden::integ_key_len(integ));
  const auto states = golden::hmac_precompute(integ, hmac_key);
  for (unsigned i = 0; i < f::kHmacIstate.words; ++i) {
    e[f::kHmacIstate.word + i] = states.inner[i];
    e[f::kHmacOstate.word + i] = states.outer[i];
  }
  return e;
}

// What a lookup must return for one entry: the entry's word 0 on a hit, kMiss otherwise.
constexpr std::int64_t kMiss = -1;
std::int64_t ExpectLookup(const Entry& e, std::uint32_t spi, std::uint32_t dst) {
  namespace f = lm::sa_entry;
  const bool hit =
      GetField(e, f::kValid) == 1 &&
      GetField(e, f::kDirection) == static_cast<std::uint32_t>(lm::Direction::kInbound) &&
      GetField(e, f::kSpi) == spi && GetField(e, f::kLocalAddr) == dst;
  if (!hit) return kMiss;
  return e[f::kValid.word];
}

struct LookupResult {
  bool hit;
  unsigned index;
  std::uint32_t word0;
};

// Testbench: the model, a clock, the AXI-Lite BFM and per-cycle hooks for the engine ports.
class SaTableTb {
 public:
  explicit SaTableTb(std::uint64_t seed) : rng_(seed) {
    ctx_ = std::make_unique<VerilatedContext>();
    top_ = std::make_unique<Vlm_sa_table>(ctx_.get());
    top_->rst = 1;
    for (int i = 0; i < 4; ++i) Tick();
    top_->rst = 0;
    Tick();
  }
  ~SaTableTb() { top_->final(); }
  SaTableTb(const SaTableTb&) = delete;
  SaTableTb& operator=(const SaTableTb&) = delete;

  Vlm_sa_table& top() { return *top_; }
  std::mt19937_64& rng() { return rng_; }
  std::uint64_t cycle() const { return cycle_; }

  // Called before every rising edge (drive engine inputs) and after it (sample outputs).
  std::function<void()> before_edge;
  std::function<void()> after_edge;

  void Tick() {
    if (before_edge) before_edge();
    top_->clk = 0;
    top_->eval();
    ctx_->timeInc(1);
    top_->clk = 1;
    top_->eval();
    ctx_->timeInc(1);
    ++cycle_;
    if (after_edge) after_edge();
  }

  unsigned Delay() { return (rng_() % 4 == 0) ? static_cast<unsigned>(rng_() % 5) : 0; }

  void Write(std::uint32_t addr, std::uint32_t data) {
    unsigned aw_delay = Delay();
    unsigned w_delay = Delay();
    bool aw_done = false;
    bool w_done = false;
    top_->s_axil_bready = 0;
    for (int guard = 0; !(aw_done && w_done); ++guard) {
      ASSERT_LT(guard, 10000) << "AXI-Lite write stuck at " << std::hex << addr;
      top_->s_axil_awvalid = !aw_done && aw_delay == 0;
      top_->s_axil_awaddr = addr;
      top_->s_axil_wvalid = !w_done && w_delay == 0;
      top_->s_axil_wdata = data;
      top_->s_axil_wstrb = 0xf;
      top_->clk = 0;
      top_->eval();
      const bool aw_fire = top_->s_axil_awvalid && top_->s_axil_awready;
      const bool w_fire = top_->s_axil_wvalid && top_->s_axil_wready;
      Tick();
      aw_done = aw_done || aw_fire;
      w_done = w_done || w_fire;
      if (aw_delay > 0) --aw_delay;
      if (w_delay > 0) --w_delay;
    }
    top_->s_axil_awvalid = 0;
    top_->s_axil_wvalid = 0;
    unsigned b_delay = Delay();
    for (int guard = 0;; ++guard) {
      ASSERT_LT(guard, 10000) << "AXI-Lite write response missing";
      top_->s_axil_bready = b_delay == 0;
      top_->clk = 0;
      top_->eval();
      const bool b_fire = top_->s_axil_bvalid && top_->s_axil_bready;
      if (b_fire) {
        EXPECT_EQ(top_->s_axil_bresp, 0u);
      }
      Tick();
      if (b_fire) break;
      if (b_delay > 0) --b_delay;
    }
    top_->s_axil_bready = 0;
  }

  std::uint32_t Read(std::uint32_t addr) {
    unsigned ar_delay = Delay();
    std::uint32_t data = 0;
    top_->s_axil_rready = 0;
    for (int guard = 0;; ++guard) {
      if (guard > 10000) {
        ADD_FAILURE() << "AXI-Lite read stuck";
        return 0;
      }
      top_->s_axil_arvalid = ar_delay == 0;
      top_->s_axil_araddr = addr;
      top_->clk = 0;
      top_->eval();
      const bool ar_fire = top_->s_axil_arvalid && top_->s_axil_arready;
      Tick();
      if (ar_fire) break;
      --ar_delay;
    }
    top_->s_axil_arvalid = 0;
    unsigned r_delay = Delay();
    for (int guard = 0;; ++guard) {
      if (guard > 10000) {
        ADD_FAILURE() << "AXI-Lite read data missing";
        return 0;
      }
      top_->s_axil_rready = r_delay == 0;
      top_->clk = 0;
      top_->eval();
      const bool r_fire = top_->s_axil_rvalid && top_->s_axil_rready;
      if (r_fire) {
        data = top_->s_axil_rdata;
        EXPECT_EQ(top_->s_axil_rresp, 0u);
      }
      Tick();
      if (r_fire) break;
      if (r_delay > 0) --r_delay;
    }
    top_->s_axil_rready = 0;
    return data;
  }

  // Writes CMD and polls it until BUSY clears; returns the final CMD word.
  std::uint32_t Command(Op op, std::uint32_t index) {
    std::uint32_t cmd = 0;
    cmd = lm::sa_table::cmd::kIndex.set(cmd, index);
    cmd = lm::sa_table::cmd::kOp.set(cmd, static_cast<std::uint32_t>(op));
    Write(lm::sa_table::kCmd, cmd);
    for (int guard = 0; guard < 1000; ++guard) {
      const std::uint32_t v = Read(lm::sa_table::kCmd);
      if (lm::sa_table::cmd::kBusy.get(v) == 0) return v;
    }
    ADD_FAILURE() << "CMD stays BUSY";
    return 0;
  }

  void WriteStage(const std::uint32_t* words, unsigned n) {
    for (unsigned i = 0; i < n; ++i) Write(lm::sa_table::kStage + 4 * i, words[i]);
  }
  std::vector<std::uint32_t> ReadStage(unsigned n) {
    std::vector<std::uint32_t> out(n);
    for (unsigned i = 0; i < n; ++i) out[i] = Read(lm::sa_table::kStage + 4 * i);
    return out;
  }

  // Installs an entry with the documented sequence; returns CMD after the op.
  std::uint32_t Install(unsigned index, const Entry& e) {
    WriteStage(e.data(), kEntryWords);
    return Command(Op::kWrite, index);
  }

  Entry ReadEntry(unsigned index) {
    const auto cmd = Command(Op::kRead, index);
    EXPECT_EQ(lm::sa_table::cmd::kError.get(cmd), 0u);
    const auto words = ReadStage(kEntryWords);
    Entry e{};
    for (unsigned i = 0; i < kEntryWords; ++i) e[i] = words[i];
    return e;
  }

  Stats ReadStats(unsigned index) {
    const auto cmd = Command(Op::kReadStats, index);
    EXPECT_EQ(lm::sa_table::cmd::kError.get(cmd), 0u);
    const auto words = ReadStage(kStatsWords);
    Stats s{};
    for (unsigned i = 0; i < kStatsWords; ++i) s[i] = words[i];
    return s;
  }

  // One lookup in isolation: request, then the response exactly two cycles later.
  LookupResult LookupNow(std::uint32_t spi, std::uint32_t dst) {
    top_->lookup_req_valid = 1;
    top_->lookup_req_spi = spi;
    top_->lookup_req_dst_addr = dst;
    Tick();
    top_->lookup_req_valid = 0;
    EXPECT_EQ(top_->lookup_resp_valid, 0u);
    Tick();
    EXPECT_EQ(top_->lookup_resp_valid, 1u) << "lookup latency is 2 cycles";
    LookupResult r{top_->lookup_resp_hit != 0, top_->lookup_resp_index, top_->lookup_resp_word0};
    Tick();
    EXPECT_EQ(top_->lookup_resp_valid, 0u);
    return r;
  }

  std::uint32_t ReadWord(unsigned index, unsigned word) {
    top_->word_rd_valid = 1;
    top_->word_rd_index = index;
    top_->word_rd_word = word;
    Tick();
    top_->word_rd_valid = 0;
    EXPECT_EQ(top_->word_rd_data_valid, 1u);
    return top_->word_rd_data;
  }

  void StatUpdate(unsigned index, unsigned bytes, lm::DropReason reason) {
    top_->stat_update_valid = 1;
    top_->stat_update_index = index;
    top_->stat_update_bytes = bytes;
    top_->stat_update_reason = static_cast<std::uint32_t>(reason);
    Tick();
    top_->stat_update_valid = 0;
  }

 private:
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vlm_sa_table> top_;
  std::mt19937_64 rng_;
  std::uint64_t cycle_ = 0;
};

// Model of the per-SA counters.
void ApplyStat(Stats& s, unsigned bytes, lm::DropReason reason) {
  namespace f = lm::sa_stats;
  auto add64 = [&](const lm::LayoutField& fld, std::uint64_t v) {
    std::uint64_t x = (std::uint64_t{s[fld.word]} << 32) | s[fld.word + 1];
    x += v;
    s[fld.word] = static_cast<std::uint32_t>(x >> 32);
    s[fld.word + 1] = static_cast<std::uint32_t>(x);
  };
  switch (reason) {
    case lm::DropReason::kNone:
      add64(f::kPackets, 1);
      add64(f::kBytes, bytes);
      break;
    case lm::DropReason::kBadIcv:
      ++s[f::kIcvFail.word];
      break;
    case lm::DropReason::kReplay:
      ++s[f::kReplayDrop.word];
      break;
    case lm::DropReason::kBadPad:
      ++s[f::kPadFail.word];
      break;
    default:
      ++s[f::kOtherDrop.word];
      break;
  }
}

lm::DropReason RandomReason(std::mt19937_64& rng) {
  if (rng() % 2) return lm::DropReason::kNone;
  return static_cast<lm::DropReason>(rng() % 18);
}

class SaTableTest : public ::testing::Test {
 protected:
  SaTableTb tb{TestSeed()};
};

TEST_F(SaTableTest, IdentityAndCaps) {
  EXPECT_EQ(tb.Read(lm::sa_table::kType), lm::sa_table::kTypeId);
  EXPECT_EQ(tb.Read(lm::sa_table::kVersion), lm::sa_table::kVersionId);
  EXPECT_EQ(tb.Read(lm::sa_table::kNext), lm::sa_table::kNextPtr);
  const auto caps = tb.Read(lm::sa_table::kCaps);
  EXPECT_EQ(lm::sa_table::caps::kCapacity.get(caps), kCapacity);
  EXPECT_EQ(lm::sa_table::caps::kEntryWords.get(caps), kEntryWords);
  EXPECT_EQ(lm::sa_table::caps::kMaxWinLog2.get(caps), kMaxWinLog2);
  const auto cmd = tb.Read(lm::sa_table::kCmd);
  EXPECT_EQ(lm::sa_table::cmd::kBusy.get(cmd), 0u);
  EXPECT_EQ(lm::sa_table::cmd::kError.get(cmd), 0u);
  // Outside the block's registers reads are 0.
  EXPECT_EQ(tb.Read(lm::sa_table::kBase + 0x40), 0u);
}

TEST_F(SaTableTest, StageWordsReadBack) {
  std::vector<std::uint32_t> words(lm::sa_table::kStageCount);
  for (auto& w : words) w = static_cast<std::uint32_t>(tb.rng()());
  tb.WriteStage(words.data(), lm::sa_table::kStageCount);
  EXPECT_EQ(tb.ReadStage(lm::sa_table::kStageCount), words);
}

TEST_F(SaTableTest, WriteReadBackRandomEntries) {
  std::vector<std::pair<unsigned, Entry>> written;
  for (int i = 0; i < 12; ++i) {
    const unsigned index = static_cast<unsigned>(tb.rng()() % kCapacity);
    const auto e = RandomEntry(tb.rng(), index, true, lm::Direction::kInbound);
    const auto cmd = tb.Install(index, e);
    EXPECT_EQ(lm::sa_table::cmd::kError.get(cmd), 0u);
    EXPECT_EQ(lm::sa_table::cmd::kIndex.get(cmd), index);
    EXPECT_EQ(lm::sa_table::cmd::kOp.get(cmd), static_cast<std::uint32_t>(Op::kWrite));
    std::erase_if(written, [&](const auto& p) { return p.first == index; });
    written.emplace_back(index, e);
  }
  for (const auto& [index, e] : written) {
    EXPECT_EQ(tb.ReadEntry(index), e) << "index " << index;
    // The engine's word port sees the same words.
    for (unsigned w = 0; w < kEntryWords; ++w) EXPECT_EQ(tb.ReadWord(index, w), e[w]);
  }
}

TEST_F(SaTableTest, InvalidateClearsOnlyValid) {
  const unsigned index = 77;
  const auto e = RandomEntry(tb.rng(), index, true, lm::Direction::kInbound);
  tb.Install(index, e);
  const auto spi = GetField(e, lm::sa_entry::kSpi);
  const auto dst = GetField(e, lm::sa_entry::kLocalAddr);
  EXPECT_TRUE(tb.LookupNow(spi, dst).hit);
  const auto cmd = tb.Command(Op::kInvalidate, index);
  EXPECT_EQ(lm::sa_table::cmd::kError.get(cmd), 0u);
  auto expect = e;
  expect[lm::sa_entry::kValid.word] =
      lm::sa_entry::kValid.bits().set(expect[lm::sa_entry::kValid.word], 0);
  EXPECT_EQ(tb.ReadEntry(index), expect);
  EXPECT_FALSE(tb.LookupNow(spi, dst).hit);
}

TEST_F(SaTableTest, BadIndexAndBadOpSetError) {
  for (std::uint32_t index : {kCapacity, kCapacity + 1, 0xffffu}) {
    const auto cmd = tb.Command(Op::kWrite, index);
    EXPECT_EQ(lm::sa_table::cmd::kError.get(cmd), 1u) << index;
    EXPECT_EQ(lm::sa_table::cmd::kBusy.get(cmd), 0u);
  }
  for (std::uint32_t op : {0u, 6u, 7u}) {
    const auto cmd = tb.Command(static_cast<Op>(op), 3);
    EXPECT_EQ(lm::sa_table::cmd::kError.get(cmd), 1u) << op;
  }
  // A good op clears ERROR.
  EXPECT_EQ(lm::sa_table::cmd::kError.get(tb.Command(Op::kRead, kCapacity - 1)), 0u);
  // A refused WRITE does not touch the table.
  const auto e = RandomEntry(tb.rng(), 0, true, lm::Direction::kInbound);
  tb.WriteStage(e.data(), kEntryWords);
  EXPECT_EQ(lm::sa_table::cmd::kError.get(tb.Command(Op::kWrite, kCapacity)), 1u);
  EXPECT_FALSE(
      tb.LookupNow(GetField(e, lm::sa_entry::kSpi), GetField(e, lm::sa_entry::kLocalAddr)).hit);
}

TEST_F(SaTableTest, LookupHitAndMissRules) {
  namespace f = lm::sa_entry;
  const unsigned index = 0x5a;
  auto e = RandomEntry(tb.rng(), index, true, lm::Direction::kInbound);
  tb.Install(index, e);
  const auto spi = GetField(e, f::kSpi);
  const auto dst = GetField(e, f::kLocalAddr);
  auto r = tb.LookupNow(spi, dst);
  EXPECT_TRUE(r.hit);
  EXPECT_EQ(r.index, index);
  EXPECT_EQ(r.word0, e[0]);
  EXPECT_FALSE(tb.LookupNow(spi ^ 0x80000000u, dst).hit) << "same slot, other SPI";
  EXPECT_FALSE(tb.LookupNow(spi ^ 1u, dst).hit) << "other slot";
  EXPECT_FALSE(tb.LookupNow(spi, dst ^ 1u).hit) << "other destination";
  // Outbound SA in the slot: no decap hit.
  e[0] = f::kDirection.bits().set(e[0], static_cast<std::uint32_t>(lm::Direction::kOutbound));
  tb.Install(index, e);
  EXPECT_FALSE(tb.LookupNow(spi, dst).hit) << "outbound";
  // Not valid: no hit.
  e[0] = f::kDirection.bits().set(e[0], static_cast<std::uint32_t>(lm::Direction::kInbound));
  e[0] = f::kValid.bits().set(e[0], 0);
  tb.Install(index, e);
  EXPECT_FALSE(tb.LookupNow(spi, dst).hit) << "invalid";
  e[0] = f::kValid.bits().set(e[0], 1);
  tb.Install(index, e);
  EXPECT_TRUE(tb.LookupNow(spi, dst).hit);
}

TEST_F(SaTableTest, LookupDuringRewriteNeverSeesHalfEntry) {
  namespace f = lm::sa_entry;
  const unsigned index = 9;
  const auto a = RandomEntry(tb.rng(), index, true, lm::Direction::kInbound);
  auto b = RandomEntry(tb.rng(), index, true, lm::Direction::kInbound);
  b[f::kLocalAddr.word] = a[f::kLocalAddr.word] ^ 0x100u;  // Different key words.
  tb.Install(index, a);
  // Lookups for A and B alternate every cycle while B overwrites A in place.
  std::deque<bool> issued;  // true: looked up A
  bool flip = false;
  std::vector<int> seen_a;
  std::vector<int> seen_b;
  std::optional<unsigned> word_check;
  int words_checked = 0;
  tb.before_edge = [&] {
    flip = !flip;
    const Entry& x = flip ? a : b;
    tb.top().lookup_req_valid = 1;
    tb.top().lookup_req_spi = GetField(x, f::kSpi);
    tb.top().lookup_req_dst_addr = GetField(x, f::kLocalAddr);
    issued.push_back(flip);
    // After a hit on B, the engine reads B's words: all of them must be written already.
    tb.top().word_rd_valid = word_check ? 1 : 0;
    tb.top().word_rd_index = index;
    tb.top().word_rd_word = word_check ? *word_check : 0;
  };
  tb.after_edge = [&] {
    if (!tb.top().lookup_resp_valid) return;
    const bool is_a = issued.front();
    issued.pop_front();
    const Entry& x = is_a ? a : b;
    if (tb.top().lookup_resp_hit) {
      EXPECT_EQ(tb.top().lookup_resp_word0, x[0]);
    }
    (is_a ? seen_a : seen_b).push_back(tb.top().lookup_resp_hit ? 1 : 0);
    if (word_check && tb.top().word_rd_data_valid) {
      EXPECT_EQ(tb.top().word_rd_data, b[*word_check]) << "word " << *word_check;
      ++words_checked;
    }
    word_check.reset();
    if (!is_a && tb.top().lookup_resp_hit) {
      word_check = static_cast<unsigned>(tb.rng()() % kEntryWords);
    }
  };
  tb.Install(index, b);
  for (int i = 0; i < 8; ++i) tb.Tick();
  tb.before_edge = nullptr;
  tb.after_edge = nullptr;
  tb.top().lookup_req_valid = 0;
  tb.top().word_rd_valid = 0;
  EXPECT_GT(words_checked, 0);
  // A: hits, then misses for good. B: misses, then hits for good.
  ASSERT_FALSE(seen_a.empty());
  EXPECT_EQ(seen_a.front(), 1);
  EXPECT_EQ(seen_a.back(), 0);
  EXPECT_TRUE(std::is_sorted(seen_a.rbegin(), seen_a.rend()));
  EXPECT_EQ(seen_b.front(), 0);
  EXPECT_EQ(seen_b.back(), 1);
  EXPECT_TRUE(std::is_sorted(seen_b.begin(), seen_b.end()));
}

TEST_F(SaTableTest, StatsUpdateReadAndClear) {
  std::vector<Stats> model(kCapacity, Stats{});
  // Back-to-back updates to one SA (forwarding), then scattered ones.
  for (int i = 0; i < 50; ++i) {
    const unsigned bytes = static_cast<unsigned>(tb.rng()() % 1500);
    const auto reason = RandomReason(tb.rng());
    tb.StatUpdate(3, bytes, reason);
    ApplyStat(model[3], bytes, reason);
  }
  for (int i = 0; i < 400; ++i) {
    const unsigned index = static_cast<unsigned>(tb.rng()() % 8);
    const unsigned bytes = static_cast<unsigned>(tb.rng()() % 65536);
    const auto reason = RandomReason(tb.rng());
    tb.StatUpdate(index, bytes, reason);
    ApplyStat(model[index], bytes, reason);
    if (tb.rng()() % 3 == 0) tb.Tick();
  }
  for (unsigned index = 0; index < 8; ++index) EXPECT_EQ(tb.ReadStats(index), model[index]);
  EXPECT_EQ(lm::sa_table::cmd::kError.get(tb.Command(Op::kClearStats, 3)), 0u);
  EXPECT_EQ(tb.ReadStats(3), Stats{});
  EXPECT_EQ(tb.ReadStats(4), model[4]);
  EXPECT_EQ(lm::sa_table::cmd::kError.get(tb.Command(Op::kReadStats, kCapacity)), 1u);
}

// Thousands of mixed host commands against the model, with lookups, engine word reads and stats
// updates running in the background every cycle.
TEST_F(SaTableTest, RandomMixedAgainstModel) {
  namespace f = lm::sa_entry;
  std::vector<Entry> model(kCapacity, Entry{});
  std::vector<Stats> stats(kCapacity, Stats{});
  std::optional<unsigned> busy_index;  // Slot of the host command in progress.
  std::optional<Entry> busy_new;       // Its entry after a WRITE/INVALIDATE.
  bool busy_stats = false;
  struct Pending {
    std::uint32_t spi;
    std::uint32_t dst;
    std::vector<std::int64_t> allowed;
  };
  std::deque<Pending> lookups;
  std::deque<std::optional<std::uint32_t>> word_reads;  // nullopt: slot in flux, don't check
  std::uint64_t hits = 0;
  std::uint64_t lookups_done = 0;
  std::uint64_t updates = 0;
  // A few SPIs the random lookups draw from: installed entries, and near misses.
  auto& rng = tb.rng();

  tb.before_edge = [&] {
    auto& top = tb.top();
    top.lookup_req_valid = 0;
    top.word_rd_valid = 0;
    top.stat_update_valid = 0;
    if (rng() % 2) {
      const unsigned index = static_cast<unsigned>(rng() % kCapacity);
      const Entry& e = model[index];
      std::uint32_t spi = GetField(e, f::kSpi);
      std::uint32_t dst = GetField(e, f::kLocalAddr);
      switch (rng() % 6) {
        case 0:
          spi ^= 1u << (rng() % 32);
          break;
        case 1:
          dst ^= 1u << (rng() % 32);
          break;
        default:
          break;
      }
      Pending p{spi, dst, {}};
      const unsigned slot = spi % kCapacity;
      p.allowed.push_back(ExpectLookup(model[slot], spi, dst));
      if (busy_index && *busy_index == slot && busy_new) {
        p.allowed.push_back(kMiss);
        p.allowed.push_back(ExpectLookup(*busy_new, spi, dst));
      }
      top.lookup_req_valid = 1;
      top.lookup_req_spi = spi;
      top.lookup_req_dst_addr = dst;
      lookups.push_back(std::move(p));
    }
    if (rng() % 4 == 0) {
      const unsigned index = static_cast<unsigned>(rng() % kCapacity);
      const unsigned word = static_cast<unsigned>(rng() % kEntryWords);
      top.word_rd_valid = 1;
      top.word_rd_index = index;
      top.word_rd_word = word;
      const bool in_flux = busy_index && *busy_index == index;
      word_reads.push_back(in_flux ? std::nullopt
                                   : std::optional<std::uint32_t>(model[index][word]));
    }
    if (rng() % 3 == 0) {
      const unsigned index = static_cast<unsigned>(rng() % kCapacity);
      if (!(busy_stats && busy_index && *busy_index == index)) {
        const unsigned bytes = static_cast<unsigned>(rng() % 2000);
        const auto reason = RandomReason(rng);
        top.stat_update_valid = 1;
        top.stat_update_index = index;
        top.stat_update_bytes = bytes;
        top.stat_update_reason = static_cast<std::uint32_t>(reason);
        ApplyStat(stats[index], bytes, reason);
        ++updates;
      }
    }
  };
  tb.after_edge = [&] {
    auto& top = tb.top();
    if (top.lookup_resp_valid) {
      ASSERT_FALSE(lookups.empty());
      const auto p = lookups.front();
      lookups.pop_front();
      const std::int64_t got = top.lookup_resp_hit ? std::int64_t{top.lookup_resp_word0} : kMiss;
      bool ok = false;
      for (const auto& a : p.allowed) ok = ok || a == got;
      EXPECT_TRUE(ok) << "lookup spi " << std::hex << p.spi << " dst " << p.dst;
      if (top.lookup_resp_hit) {
        EXPECT_EQ(top.lookup_resp_index, p.spi % kCapacity);
      }
      hits += top.lookup_resp_hit ? 1 : 0;
      ++lookups_done;
    }
    if (top.word_rd_data_valid) {
      ASSERT_FALSE(word_reads.empty());
      const auto w = word_reads.front();
      word_reads.pop_front();
      if (w) {
        EXPECT_EQ(top.word_rd_data, *w);
      }
    }
  };

  // Seed a set of valid inbound entries so lookups hit often.
  for (unsigned i = 0; i < 24; ++i) {
    const unsigned index = static_cast<unsigned>(rng() % kCapacity);
    const auto e = RandomEntry(rng, index, true, lm::Direction::kInbound);
    busy_index = index;
    busy_new = e;
    tb.Install(index, e);
    model[index] = e;
    busy_index.reset();
    busy_new.reset();
  }

  constexpr int kOps = 3000;
  int ops_done = 0;
  for (int n = 0; n < kOps && !HasFailure(); ++n) {
    const unsigned index = static_cast<unsigned>(rng() % kCapacity);
    const unsigned kind = static_cast<unsigned>(rng() % 100);
    if (kind < 10) {
      // WRITE: mostly valid inbound, some outbound or invalid.
      const bool valid = rng() % 8 != 0;
      const auto dir = rng() % 6 == 0 ? lm::Direction::kOutbound : lm::Direction::kInbound;
      const auto e = RandomEntry(rng, index, valid, dir);
      tb.WriteStage(e.data(), kEntryWords);
      busy_index = index;
      busy_new = e;
      const auto cmd = tb.Command(Op::kWrite, index);
      EXPECT_EQ(lm::sa_table::cmd::kError.get(cmd), 0u);
      model[index] = e;
    } else if (kind < 20) {
      const auto cmd = tb.Command(Op::kRead, index);
      EXPECT_EQ(lm::sa_table::cmd::kError.get(cmd), 0u);
      const unsigned w = static_cast<unsigned>(rng() % kEntryWords);
      EXPECT_EQ(tb.Read(lm::sa_table::kStage + 4 * w), model[index][w]);
    } else if (kind < 25) {
      auto e = model[index];
      e[f::kValid.word] = f::kValid.bits().set(e[f::kValid.word], 0);
      busy_index = index;
      busy_new = e;
      EXPECT_EQ(lm::sa_table::cmd::kError.get(tb.Command(Op::kInvalidate, index)), 0u);
      model[index] = e;
    } else if (kind < 35) {
      busy_index = index;
      busy_stats = true;
      EXPECT_EQ(lm::sa_table::cmd::kError.get(tb.Command(Op::kReadStats, index)), 0u);
      const unsigned w = static_cast<unsigned>(rng() % kStatsWords);
      EXPECT_EQ(tb.Read(lm::sa_table::kStage + 4 * w), stats[index][w]) << "stats word " << w;
    } else if (kind < 38) {
      busy_index = index;
      busy_stats = true;
      EXPECT_EQ(lm::sa_table::cmd::kError.get(tb.Command(Op::kClearStats, index)), 0u);
      stats[index] = Stats{};
    } else if (kind < 41) {
      const bool bad_op = rng() % 2;
      const auto cmd = bad_op ? tb.Command(static_cast<Op>(rng() % 2 ? 0 : 6 + rng() % 2), index)
                              : tb.Command(Op::kRead, kCapacity + rng() % 1000);
      EXPECT_EQ(lm::sa_table::cmd::kError.get(cmd), 1u);
    } else {
      // Idle cycles: background traffic only.
      for (int i = 0; i < 4; ++i) tb.Tick();
    }
    busy_index.reset();
    busy_new.reset();
    busy_stats = false;
    ++ops_done;
  }
  tb.before_edge = nullptr;
  tb.top().lookup_req_valid = 0;
  tb.top().word_rd_valid = 0;
  tb.top().stat_update_valid = 0;
  for (int i = 0; i < 4; ++i) tb.Tick();
  tb.after_edge = nullptr;
  EXPECT_EQ(ops_done, kOps);
  EXPECT_GT(hits, 100u);
  EXPECT_GT(lookups_done, hits);
  // Final sweep: every entry and every stats record equals the model.
  for (unsigned index = 0; index < kCapacity && !HasFailure(); index += 7) {
    EXPECT_EQ(tb.ReadEntry(index), model[index]) << index;
    EXPECT_EQ(tb.ReadStats(index), stats[index]) << index;
  }
  RecordProperty("lookups", static_cast<int>(lookups_done));
  RecordProperty("hits", static_cast<int>(hits));
  RecordProperty("stat_updates", static_cast<int>(updates));
}

}  // namespace
