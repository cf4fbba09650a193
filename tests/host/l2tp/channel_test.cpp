// The reliable delivery layer on its own: the peer's window bounds what is in flight, Nr
// acknowledges, duplicates are acknowledged and dropped, out-of-order messages wait for the gap,
// bogus Nr values are ignored, backoff is 1, 2, 4, 8, 8 s and the retry limit ends it.
#include "l2sec/l2tp/channel.hpp"

#include <gtest/gtest.h>

using namespace l2sec;
using namespace l2sec::l2tp;
using namespace std::chrono_literals;

namespace {

struct Wire {
  std::vector<Bytes> out;
  ControlChannel ch{ChannelConfig{}, "",
                    [this](ByteView d) { out.emplace_back(d.begin(), d.end()); }};
};

Message hello() {
  Message m;
  m.type = static_cast<std::uint16_t>(MsgType::kHello);
  return m;
}

Header hdr(std::uint16_t ns, std::uint16_t nr) {
  Header h;
  h.control = true;
  h.ns = ns;
  h.nr = nr;
  return h;
}

Decoded msg() {
  Decoded d;
  d.message = hello();
  return d;
}

Decoded zlb() {
  Decoded d;
  d.zlb = true;
  return d;
}

std::uint16_t ns_of(const Bytes& b) { return load_be16(b.data() + 8); }
std::uint16_t nr_of(const Bytes& b) { return load_be16(b.data() + 10); }

}  // namespace

TEST(L2tpChannel, PeerWindowBoundsInFlight) {
  Wire w;
  const auto t = Clock::time_point{} + 100s;
  w.ch.set_peer_window(2);
  for (int i = 0; i < 5; ++i) w.ch.send(hello(), 0, t);
  ASSERT_EQ(w.out.size(), 2u);
  EXPECT_EQ(ns_of(w.out[0]), 0);
  EXPECT_EQ(ns_of(w.out[1]), 1);
  w.ch.receive(hdr(0, 1), zlb(), t);  // acknowledges Ns 0: one more may go
  ASSERT_EQ(w.out.size(), 3u);
  EXPECT_EQ(ns_of(w.out[2]), 2);
  w.ch.receive(hdr(0, 5), zlb(), t);  // Nr beyond what was sent: ignored
  EXPECT_EQ(w.ch.counters().bad_nr, 1u);
  EXPECT_EQ(w.out.size(), 3u);
  w.ch.receive(hdr(0, 3), zlb(), t);
  ASSERT_EQ(w.out.size(), 5u);
  w.ch.receive(hdr(0, 5), zlb(), t);
  EXPECT_TRUE(w.ch.all_acked());
}

TEST(L2tpChannel, DuplicatesAndReordering) {
  Wire w;
  const auto t = Clock::time_point{} + 100s;
  EXPECT_EQ(w.ch.receive(hdr(0, 0), msg(), t).size(), 1u);
  w.ch.flush_ack();
  ASSERT_EQ(w.out.size(), 1u);  // ZLB with Nr 1
  EXPECT_EQ(nr_of(w.out[0]), 1);
  EXPECT_EQ(w.ch.receive(hdr(0, 0), msg(), t).size(), 0u);  // duplicate
  EXPECT_EQ(w.ch.counters().duplicates, 1u);
  w.ch.flush_ack();
  EXPECT_EQ(w.out.size(), 2u);                                // acknowledged again
  EXPECT_EQ(w.ch.receive(hdr(3, 0), msg(), t).size(), 0u);    // held
  EXPECT_EQ(w.ch.receive(hdr(2, 0), msg(), t).size(), 0u);    // held
  EXPECT_EQ(w.ch.receive(hdr(2, 0), msg(), t).size(), 0u);    // held twice: a duplicate
  EXPECT_EQ(w.ch.receive(hdr(100, 0), msg(), t).size(), 0u);  // beyond our window
  EXPECT_EQ(w.ch.counters().out_of_window, 1u);
  const auto released = w.ch.receive(hdr(1, 0), msg(), t);
  ASSERT_EQ(released.size(), 3u);
  EXPECT_EQ(released[0].header.ns, 1);
  EXPECT_EQ(released[1].header.ns, 2);
  EXPECT_EQ(released[2].header.ns, 3);
  EXPECT_EQ(w.ch.nr_expected(), 4);
  // A reply carries the acknowledgement: no ZLB needed.
  const auto before = w.out.size();
  w.ch.send(hello(), 0, t);
  w.ch.flush_ack();
  ASSERT_EQ(w.out.size(), before + 1);
  EXPECT_EQ(nr_of(w.out.back()), 4);
}

TEST(L2tpChannel, BackoffAndRetryLimit) {
  Wire w;
  const auto t0 = Clock::time_point{} + 100s;
  w.ch.send(hello(), 0, t0);
  std::vector<std::chrono::milliseconds> at;
  for (auto t = t0; t < t0 + 60s && !w.ch.failed(); t += 10ms) {
    const auto n = w.out.size();
    w.ch.tick(t);
    if (w.out.size() > n)
      at.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(t - t0));
  }
  ASSERT_EQ(at.size(), 5u);
  EXPECT_EQ(at[0], 1000ms);
  EXPECT_EQ(at[1], 3000ms);
  EXPECT_EQ(at[2], 7000ms);
  EXPECT_EQ(at[3], 15000ms);
  EXPECT_EQ(at[4], 23000ms);
  EXPECT_TRUE(w.ch.failed());
  EXPECT_EQ(w.ch.counters().retransmits, 5u);
  // Retransmissions are the same message with the current Nr.
  EXPECT_EQ(ns_of(w.out[4]), 0);
}

TEST(L2tpChannel, SequenceWrap) {
  Wire w;
  const auto t = Clock::time_point{} + 100s;
  // Walk the expected Ns up to 65535 and across.
  for (std::uint32_t i = 0; i < 65540; ++i) {
    ASSERT_EQ(w.ch.receive(hdr(static_cast<std::uint16_t>(i), 0), msg(), t).size(), 1u) << i;
  }
  EXPECT_EQ(w.ch.nr_expected(), 4);
  EXPECT_EQ(w.ch.receive(hdr(65535, 0), msg(), t).size(), 0u);  // old: a duplicate
}
