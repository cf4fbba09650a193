// The lmsim shared-memory rings: message boundaries, wrap-around, full, the header checks, and a
// producer and a consumer in two processes (fork) with the eventfd doorbell between them.
#include "l2sec/sim/lm/shm_ring.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <numeric>
#include <random>

#include "l2sec/sim/lm/unix_socket.hpp"

namespace l2sec::lmsim {
namespace {

std::string unique_name(const char* what) {
  return "/l2sec-test-" + std::string(what) + "-" + std::to_string(getpid());
}

Bytes pattern(std::size_t n, std::uint32_t seed) {
  Bytes b(n);
  std::mt19937 rng(seed);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

TEST(ShmRing, KeepsMessageBoundariesAndOrder) {
  std::string error;
  auto seg = ShmSegment::create(unique_name("bounds"), 4096, &error);
  ASSERT_TRUE(seg) << error;
  SpscRing r = seg->ring(0);
  EXPECT_TRUE(r.empty());
  EXPECT_FALSE(r.pop().has_value());
  const std::size_t sizes[] = {0, 1, 2, 3, 4, 5, 7, 8, 100, 333};
  for (std::size_t i = 0; i < std::size(sizes); ++i) {
    ASSERT_TRUE(r.push(pattern(sizes[i], static_cast<std::uint32_t>(i))));
  }
  for (std::size_t i = 0; i < std::size(sizes); ++i) {
    const auto m = r.pop();
    ASSERT_TRUE(m);
    EXPECT_EQ(*m, pattern(sizes[i], static_cast<std::uint32_t>(i))) << "message " << i;
  }
  EXPECT_FALSE(r.pop().has_value());
  // The other rings are independent.
  ASSERT_TRUE(seg->ring(1).push(pattern(9, 1)));
  EXPECT_TRUE(seg->ring(0).empty());
  EXPECT_FALSE(seg->ring(2).pop().has_value());
  EXPECT_EQ(seg->ring(1).pop(), pattern(9, 1));
}

TEST(ShmRing, FullRefusesAndWrapsAroundTheEnd) {
  std::string error;
  auto seg = ShmSegment::create(unique_name("full"), 4096, &error);
  ASSERT_TRUE(seg) << error;
  SpscRing r = seg->ring(3);
  ASSERT_EQ(r.capacity(), 4096u);
  EXPECT_FALSE(r.push(Bytes(r.max_message() + 1)));   // never fits
  EXPECT_TRUE(r.push(Bytes(r.max_message(), 0x5a)));  // the largest fits an empty ring exactly
  EXPECT_FALSE(r.push(Bytes{}));                      // now full, even for an empty message
  EXPECT_EQ(r.refused_full(), 2u);
  EXPECT_EQ(r.pop()->size(), r.max_message());
  // 1000-byte records (1004 with the length) do not divide 4096: every few pushes one straddles
  // the end of the circle. Fill to refusal, drain partly, refill, many times over.
  std::uint32_t next_in = 0, next_out = 0;
  for (int round = 0; round < 50; ++round) {
    while (r.push(pattern(997 + next_in % 5, next_in))) ++next_in;
    EXPECT_GE(next_in - next_out, 3u);  // 4096 bytes hold at least three records
    for (int k = 0; k < 2 && next_out < next_in; ++k, ++next_out) {
      const auto m = r.pop();
      ASSERT_TRUE(m);
      ASSERT_EQ(*m, pattern(997 + next_out % 5, next_out)) << "message " << next_out;
    }
  }
  while (auto m = r.pop()) {
    ASSERT_EQ(*m, pattern(997 + next_out % 5, next_out));
    ++next_out;
  }
  EXPECT_EQ(next_out, next_in);
  EXPECT_GT(next_in, 100u);  // wrapped many times
}

TEST(ShmRing, OpenChecksTheHeaderAndTheCreatorUnlinks) {
  const std::string name = unique_name("open");
  std::string error;
  {
    auto seg = ShmSegment::create(name, 8192, &error);
    ASSERT_TRUE(seg) << error;
    auto other = ShmSegment::open(name, &error);
    ASSERT_TRUE(other) << error;
    ASSERT_TRUE(seg->ring(0).push(pattern(10, 7)));
    EXPECT_EQ(other->ring(0).pop(), pattern(10, 7));  // the same memory, another mapping
  }
  EXPECT_FALSE(ShmSegment::open(name, &error));  // unlinked with its creator
  EXPECT_NE(error.find("shm_open"), std::string::npos) << error;
}

TEST(ShmRing, TwoProcessesWithDoorbells) {
  std::string error;
  auto seg = ShmSegment::create(unique_name("fork"), 16384, &error);
  ASSERT_TRUE(seg) << error;
  Doorbell to_child, to_parent;
  ASSERT_TRUE(to_child.valid() && to_parent.valid());
  constexpr std::uint32_t kMessages = 20000;
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // The child echoes every message of ring 0 on ring 1, with its index appended, after opening
    // the segment by name like lmsim's peer does.
    auto mine = ShmSegment::open(seg->name(), &error);
    if (!mine) _exit(2);
    SpscRing in = mine->ring(0), out = mine->ring(1);
    Bytes m;
    for (std::uint32_t n = 0; n < kMessages;) {
      pollfd p{to_child.fd(), POLLIN, 0};
      poll(&p, 1, 1000);
      to_child.drain();
      while (n < kMessages && in.pop(m)) {
        m.push_back(static_cast<std::uint8_t>(n));
        while (!out.push(m)) usleep(10);  // the parent drains
        to_parent.ring();
        ++n;
      }
    }
    _exit(0);
  }
  SpscRing out = seg->ring(0), in = seg->ring(1);
  std::uint32_t sent = 0, got = 0;
  Bytes m;
  while (got < kMessages) {
    while (sent < kMessages && out.push(pattern(sent % 700, sent))) {
      ++sent;
      to_child.ring();
    }
    pollfd p{to_parent.fd(), POLLIN, 0};
    poll(&p, 1, 1000);
    to_parent.drain();
    while (in.pop(m)) {
      Bytes want = pattern(got % 700, got);
      want.push_back(static_cast<std::uint8_t>(got));
      ASSERT_EQ(m, want) << "message " << got;
      ++got;
    }
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(seg->ring(0).pushed(), kMessages);
  EXPECT_TRUE(seg->ring(0).empty());
  EXPECT_TRUE(seg->ring(1).empty());
}

TEST(UnixSocket, PassesDescriptorsWithAMessage) {
  const std::string path = "@l2sec-test-sock-" + std::to_string(getpid());
  std::string error;
  Fd listener = unix_listen(path, &error);
  ASSERT_TRUE(listener.valid()) << error;
  Fd client = unix_connect(path, &error);
  ASSERT_TRUE(client.valid()) << error;
  Fd server(accept(listener.get(), nullptr, nullptr));
  ASSERT_TRUE(server.valid());
  Doorbell bell;
  const int fds[] = {bell.fd()};
  ASSERT_TRUE(send_message(server.get(), Bytes{1, 2, 3}, fds));
  std::vector<Fd> got;
  const auto m = receive_message(client.get(), &got);
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, (Bytes{1, 2, 3}));
  ASSERT_EQ(got.size(), 1u);
  Doorbell theirs(got[0].release());
  theirs.ring();  // the same eventfd under another number
  EXPECT_EQ(bell.drain(), 1u);
  server.reset();
  EXPECT_FALSE(receive_message(client.get()).has_value());  // EOF
}

}  // namespace
}  // namespace l2sec::lmsim
