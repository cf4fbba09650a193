#include "l2sec/golden/replay_window.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>

using l2sec::golden::ReplayWindow;

TEST(ReplayWindow, DefaultIs64AndZeroIsNeverValid) {
  ReplayWindow w;
  EXPECT_EQ(w.size(), 64u);
  EXPECT_FALSE(w.check(0));
  EXPECT_TRUE(w.check(1));
}

TEST(ReplayWindow, DuplicatesAndOldOnesRejected) {
  ReplayWindow w(64);
  EXPECT_TRUE(w.update(1));
  EXPECT_FALSE(w.check(1));
  EXPECT_TRUE(w.update(100));
  EXPECT_FALSE(w.check(36));  // 100 - 36 = 64: just left of the window
  EXPECT_TRUE(w.check(37));   // the oldest one still inside
  EXPECT_TRUE(w.update(37));
  EXPECT_FALSE(w.update(37));
  EXPECT_TRUE(w.update(99));
  EXPECT_EQ(w.highest(), 100u);
}

TEST(ReplayWindow, CheckDoesNotMoveTheWindow) {
  ReplayWindow w(64);
  w.update(10);
  EXPECT_TRUE(w.check(1000));
  EXPECT_TRUE(w.check(10 - 5));  // still inside: check(1000) changed nothing
}

TEST(ReplayWindow, ConfigurableTo1024AndClamped) {
  EXPECT_EQ(ReplayWindow(1024).size(), 1024u);
  EXPECT_EQ(ReplayWindow(1).size(), ReplayWindow::kMinSize);
  EXPECT_EQ(ReplayWindow(1u << 20).size(), ReplayWindow::kMaxSize);
}

TEST(ReplayWindow, LargeJumpClearsEverything) {
  ReplayWindow w(128);
  for (std::uint32_t s = 1; s <= 128; ++s) ASSERT_TRUE(w.update(s));
  ASSERT_TRUE(w.update(1'000'000));
  for (std::uint32_t s = 1'000'000 - 127; s < 1'000'000; ++s) EXPECT_TRUE(w.check(s)) << s;
}

// Against a reference that remembers every sequence number: reordered, duplicated streams.
TEST(ReplayWindow, MatchesReferenceOnRandomStreams) {
  for (unsigned size : {32u, 64u, 100u, 1024u}) {
    std::mt19937 rng(size);
    ReplayWindow w(size);
    std::set<std::uint32_t> seen;
    std::uint32_t top = 0;
    for (int i = 0; i < 20000; ++i) {
      std::uint32_t s;
      switch (rng() % 4) {
        case 0:
          s = top + 1 + rng() % 3;
          break;
        case 1:
          s = top > size * 2 ? top - rng() % (size * 2) : 1 + rng() % (top + 1);
          break;
        case 2:
          s = seen.empty() ? 1 : *seen.rbegin() - (rng() % 8 < *seen.rbegin() ? rng() % 8 : 0);
          break;
        default:
          s = top + rng() % (size * 3);
          break;
      }
      const bool expect = s != 0 && !seen.count(s) && (s > top || top - s < size);
      ASSERT_EQ(w.check(s), expect) << "size " << size << " seq " << s << " top " << top;
      if (expect) {
        w.update(s);
        seen.insert(s);
        top = std::max(top, s);
      }
    }
  }
}
