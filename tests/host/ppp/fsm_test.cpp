// The RFC 1661 automaton on its own: two instances back to back, and single transitions of the
// state table driven by hand.
#include "l2sec/ppp/fsm.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <random>

namespace l2sec::ppp {
namespace {

using State = Fsm::State;
using std::chrono::milliseconds;

Bytes mru_option() {  // one option: MRU 1500
  Bytes b(4);
  b[0] = 1;
  b[1] = 4;
  store_be16(b.data() + 2, 1500);
  return b;
}

struct Rec : Fsm::Handler {
  std::deque<Bytes> out;
  Bytes request = mru_option();
  std::optional<Fsm::Verdict> verdict = Fsm::Verdict::kAck;
  std::vector<bool> nak_allowed;
  int ups = 0, downs = 0, starts = 0, finishes = 0, naks = 0, rejects = 0;

  void send_packet(ByteView p) override { out.emplace_back(p.begin(), p.end()); }
  void build_request(Bytes& o) override { o = request; }
  std::optional<Fsm::Verdict> check_request(ByteView options, bool allowed, Bytes& reply) override {
    nak_allowed.push_back(allowed);
    if (verdict && *verdict != Fsm::Verdict::kAck) reply.assign(options.begin(), options.end());
    if (verdict == Fsm::Verdict::kNak && !allowed) return Fsm::Verdict::kReject;
    return verdict;
  }
  bool on_nak(ByteView) override {
    ++naks;
    return true;
  }
  bool on_reject(ByteView) override {
    ++rejects;
    request.clear();
    return true;
  }
  void layer_up() override { ++ups; }
  void layer_down() override { ++downs; }
  void layer_started() override { ++starts; }
  void layer_finished() override { ++finishes; }
};

Bytes packet(std::uint8_t code, std::uint8_t id, Bytes data = {}) {
  Bytes p(4 + data.size());
  p[0] = code;
  p[1] = id;
  store_be16(p.data() + 2, static_cast<std::uint16_t>(p.size()));
  std::copy(data.begin(), data.end(), p.begin() + 4);
  return p;
}

struct Pair {
  Rec ha, hb;
  Fsm a{"A", {}, ha}, b{"B", {}, hb};
  Fsm::Clock::time_point now{};
  // Moves every queued packet across until both are quiet; `keep` decides delivery.
  void run(const std::function<bool()>& keep = [] { return true; }) {
    for (int i = 0; i < 1000 && (!ha.out.empty() || !hb.out.empty()); ++i) {
      if (!ha.out.empty()) {
        Bytes p = ha.out.front();
        ha.out.pop_front();
        if (keep()) b.input(p, now);
      }
      if (!hb.out.empty()) {
        Bytes p = hb.out.front();
        hb.out.pop_front();
        if (keep()) a.input(p, now);
      }
    }
  }
};

TEST(PppFsm, TwoInstancesOpen) {
  Pair p;
  p.a.open(p.now);
  p.b.open(p.now);
  EXPECT_EQ(p.a.state(), State::kStarting);
  EXPECT_EQ(p.ha.starts, 1);
  p.a.up(p.now);
  p.b.up(p.now);
  p.run();
  EXPECT_EQ(p.a.state(), State::kOpened);
  EXPECT_EQ(p.b.state(), State::kOpened);
  EXPECT_EQ(p.ha.ups, 1);
  EXPECT_EQ(p.hb.ups, 1);
  EXPECT_FALSE(p.a.deadline().has_value());  // no timer in Opened
  // A closes: Terminate handshake, both end up finished.
  p.a.close(p.now);
  EXPECT_EQ(p.a.state(), State::kClosing);
  p.run();
  EXPECT_EQ(p.a.state(), State::kClosed);
  EXPECT_EQ(p.b.state(), State::kStopping);
  EXPECT_EQ(p.ha.finishes, 1);
  EXPECT_EQ(p.ha.downs, 1);
  EXPECT_EQ(p.hb.downs, 1);
  p.now += milliseconds(3000);
  p.b.tick(p.now);  // zero restart counter: one period, then Stopped
  EXPECT_EQ(p.b.state(), State::kStopped);
  EXPECT_EQ(p.hb.finishes, 1);
  EXPECT_EQ(p.b.finish_reason(), "peer terminated");
}

TEST(PppFsm, OpensUnderRandomLossAndDuplication) {
  for (unsigned seed = 1; seed <= 200; ++seed) {
    SCOPED_TRACE(seed);
    Pair p;
    std::mt19937 rng(seed);
    p.a.open(p.now);
    p.b.open(p.now);
    p.a.up(p.now);
    p.b.up(p.now);
    for (int t = 0; t < 30 && !(p.a.state() == State::kOpened && p.b.state() == State::kOpened);
         ++t) {
      p.run([&] { return rng() % 100 >= 30; });
      p.now += milliseconds(3000);
      p.a.tick(p.now);
      p.b.tick(p.now);
    }
    p.run();
    // Max-configure 10 against 30% loss: both open, or (rarely) one gave up cleanly.
    const bool open = p.a.state() == State::kOpened && p.b.state() == State::kOpened;
    const bool gave_up = p.ha.finishes > 0 || p.hb.finishes > 0;
    EXPECT_TRUE(open || gave_up);
    if (open) {
      EXPECT_GE(p.ha.ups, 1);
      EXPECT_EQ(p.ha.ups - p.ha.downs, 1);
      EXPECT_EQ(p.hb.ups - p.hb.downs, 1);
    }
  }
}

TEST(PppFsm, ClosedAnswersRequestsWithTerminateAck) {
  Rec h;
  Fsm f("X", {}, h);
  f.up({});
  ASSERT_EQ(f.state(), State::kClosed);
  EXPECT_EQ(f.input(packet(1, 7, {1, 4, 5, 0xdc}), {}), Fsm::Input::kAccepted);
  ASSERT_EQ(h.out.size(), 1u);
  EXPECT_EQ(h.out[0], packet(6, 7));
  EXPECT_EQ(f.state(), State::kClosed);
}

TEST(PppFsm, PacketsBeforeUpAreUnexpected) {
  Rec h;
  Fsm f("X", {}, h);
  EXPECT_EQ(f.input(packet(1, 7), {}), Fsm::Input::kUnexpected);
  f.open({});
  EXPECT_EQ(f.input(packet(1, 7), {}), Fsm::Input::kUnexpected);
  EXPECT_TRUE(h.out.empty());
}

TEST(PppFsm, StoppedRestartsOnConfigureRequest) {
  Rec h;
  Fsm f("X", {milliseconds(1000), 1, 2, 5}, h);
  f.open({});
  f.up({});
  f.tick(Fsm::Clock::time_point{} + milliseconds(1000));  // max-configure 1: TO- -> Stopped
  ASSERT_EQ(f.state(), State::kStopped);
  EXPECT_EQ(h.finishes, 1);
  h.out.clear();
  f.input(packet(1, 3, {1, 4, 5, 0xdc}), {});
  EXPECT_EQ(f.state(), State::kAckSent);
  ASSERT_EQ(h.out.size(), 2u);  // scr, sca
  EXPECT_EQ(h.out[0][0], 1);
  EXPECT_EQ(h.out[1][0], 2);
}

TEST(PppFsm, DuplicateAckDoesNotActTwice) {
  Rec h;
  Fsm f("X", {}, h);
  f.open({});
  f.up({});
  const std::uint8_t id = h.out.back()[1];
  const Bytes ack = packet(2, id, h.request);
  EXPECT_EQ(f.input(ack, {}), Fsm::Input::kAccepted);
  EXPECT_EQ(f.state(), State::kAckRcvd);
  // Without the guard a second Ack in Ack-Rcvd would be a crossed connection (scr, Req-Sent).
  EXPECT_EQ(f.input(ack, {}), Fsm::Input::kUnexpected);
  EXPECT_EQ(f.state(), State::kAckRcvd);
}

TEST(PppFsm, AckMustMatchTheRequest) {
  Rec h;
  Fsm f("X", {}, h);
  f.open({});
  f.up({});
  const std::uint8_t id = h.out.back()[1];
  EXPECT_EQ(f.input(packet(2, id, {1, 4, 5, 0xdd}), {}), Fsm::Input::kMalformed);
  EXPECT_EQ(f.input(packet(2, static_cast<std::uint8_t>(id + 1), h.request), {}),
            Fsm::Input::kUnexpected);
  EXPECT_EQ(f.state(), State::kReqSent);
}

TEST(PppFsm, RejectRemovesOptionAndResends) {
  Rec h;
  Fsm f("X", {}, h);
  f.open({});
  f.up({});
  const std::uint8_t id = h.out.back()[1];
  h.out.clear();
  f.input(packet(4, id, h.request), {});
  EXPECT_EQ(h.rejects, 1);
  ASSERT_EQ(h.out.size(), 1u);
  EXPECT_EQ(h.out[0], packet(1, h.out[0][1]));  // an empty request now
  EXPECT_NE(h.out[0][1], id);
}

TEST(PppFsm, MaxFailureTurnsNaksIntoRejects) {
  Rec h;
  h.verdict = Fsm::Verdict::kNak;
  Fsm f("X", {milliseconds(3000), 10, 2, 3}, h);
  f.open({});
  f.up({});
  for (int i = 0; i < 5; ++i) f.input(packet(1, static_cast<std::uint8_t>(i), {9, 2}), {});
  const std::vector<bool> expect = {true, true, true, false, false};
  EXPECT_EQ(h.nak_allowed, expect);
  EXPECT_EQ(h.out.back()[0], 4);  // Configure-Reject
}

TEST(PppFsm, CodeRejectOfACoreCodeIsCatastrophic) {
  Pair p;
  p.a.open(p.now);
  p.b.open(p.now);
  p.a.up(p.now);
  p.b.up(p.now);
  p.run();
  ASSERT_EQ(p.a.state(), State::kOpened);
  // RXJ+ (Echo rejected): stays open.
  EXPECT_EQ(p.a.input(packet(7, 1, {9, 1, 0, 4}), p.now), Fsm::Input::kAccepted);
  EXPECT_EQ(p.a.state(), State::kOpened);
  // RXJ- (Configure-Request rejected): tld, str, Stopping.
  EXPECT_EQ(p.a.input(packet(7, 2, {1, 1, 0, 4}), p.now), Fsm::Input::kAccepted);
  EXPECT_EQ(p.a.state(), State::kStopping);
  EXPECT_EQ(p.ha.downs, 1);
  EXPECT_EQ(p.ha.out.back()[0], 5);
}

TEST(PppFsm, UnknownCodeIsCodeRejected) {
  Rec h;
  Fsm f("X", {}, h);
  f.open({});
  f.up({});
  h.out.clear();
  const Bytes junk = packet(0x33, 9, {1, 2, 3});
  EXPECT_EQ(f.input(junk, {}), Fsm::Input::kCodeRejected);
  ASSERT_EQ(h.out.size(), 1u);
  EXPECT_EQ(h.out[0][0], 7);
  EXPECT_EQ(Bytes(h.out[0].begin() + 4, h.out[0].end()), junk);
  EXPECT_EQ(f.state(), State::kReqSent);
}

TEST(PppFsm, OpenedRenegotiatesOnConfigureRequest) {
  Pair p;
  p.a.open(p.now);
  p.b.open(p.now);
  p.a.up(p.now);
  p.b.up(p.now);
  p.run();
  ASSERT_EQ(p.a.state(), State::kOpened);
  p.hb.out.clear();
  p.a.input(packet(1, 99, {1, 4, 5, 0xdc}), p.now);  // tld, scr, sca
  EXPECT_EQ(p.a.state(), State::kAckSent);
  EXPECT_EQ(p.ha.downs, 1);
  ASSERT_EQ(p.ha.out.size(), 2u);
  p.ha.out.pop_back();  // the Ack went to nobody; B answers A's request
  p.run();
  EXPECT_EQ(p.a.state(), State::kOpened);
  EXPECT_EQ(p.ha.ups, 2);
}

TEST(PppFsm, LowerLayerDown) {
  Pair p;
  p.a.open(p.now);
  p.b.open(p.now);
  p.a.up(p.now);
  p.b.up(p.now);
  p.run();
  p.a.down(p.now);
  EXPECT_EQ(p.a.state(), State::kStarting);
  EXPECT_EQ(p.ha.downs, 1);
  p.a.close(p.now);
  EXPECT_EQ(p.a.state(), State::kInitial);
  EXPECT_EQ(p.ha.finishes, 1);
}

}  // namespace
}  // namespace l2sec::ppp
