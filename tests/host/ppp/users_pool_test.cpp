// The local user file and the IPv4 address pool.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "l2sec/ppp/ipv4_pool.hpp"
#include "l2sec/ppp/local_users.hpp"

namespace l2sec::ppp {
namespace {

std::string parse_error(std::string_view text) {
  std::string err;
  auto u = LocalUsers::parse(text, "users.txt", &err);
  EXPECT_FALSE(u.has_value()) << text;
  return err;
}

TEST(LocalUsers, ParsesUsersCommentsAndBlankLines) {
  std::string err;
  auto u = LocalUsers::parse(
      "# local users\n"
      "alice secret\n"
      "\n"
      "   bob\t hunter2  \r\n"
      "  # indented comment\n"
      "carol p#ss\n",
      "users.txt", &err);
  ASSERT_TRUE(u) << err;
  EXPECT_EQ(u->size(), 3u);
  EXPECT_EQ(u->password("alice"), "secret");
  EXPECT_EQ(u->password("bob"), "hunter2");
  EXPECT_EQ(u->password("carol"), "p#ss");
  EXPECT_EQ(u->password("Alice"), std::nullopt);
  EXPECT_EQ(u->password("mallory"), std::nullopt);
}

TEST(LocalUsers, ErrorsNameTheLine) {
  EXPECT_EQ(parse_error("alice secret\nbob\n"), "users.txt:2: user 'bob' has no password");
  EXPECT_EQ(parse_error("# x\n\nalice a b\n"),
            "users.txt:3: expected 'username password', found 3 fields");
  EXPECT_EQ(parse_error("alice a\nbob b\nalice c\n"), "users.txt:3: user 'alice' defined twice");
  EXPECT_EQ(parse_error("alice a\x01x\n"), "users.txt:1: control character in line");
  EXPECT_EQ(parse_error("alice " + std::string(300, 'x') + "\n"),
            "users.txt:1: user name or password longer than 255 bytes");
}

TEST(LocalUsers, FromMapAndFromFile) {
  LocalUsers m(LocalUsers::Map{{"u", "p"}});
  EXPECT_EQ(m.password("u"), "p");
  const auto path = std::filesystem::temp_directory_path() /
                    ("l2sec-users-" + std::to_string(::getpid()) + ".txt");
  {
    std::ofstream f(path);
    f << "dave pw1\n";
  }
  std::string err;
  auto u = LocalUsers::load(path.string(), &err);
  ASSERT_TRUE(u) << err;
  EXPECT_EQ(u->password("dave"), "pw1");
  std::filesystem::remove(path);
  EXPECT_FALSE(LocalUsers::load(path.string(), &err));
  EXPECT_EQ(err, path.string() + ": cannot open user file");
}

TEST(Ipv4Pool, AllocatesEveryAddressOnceThenReuses) {
  const auto first = ipv4_from_string("198.18.10.1").value();
  std::string err;
  auto pool = Ipv4Pool::create(first, first + 9, &err);
  ASSERT_TRUE(pool) << err;
  std::set<std::uint32_t> got;
  for (int i = 0; i < 10; ++i) {
    auto a = pool->allocate();
    ASSERT_TRUE(a);
    EXPECT_GE(*a, first);
    EXPECT_LE(*a, first + 9);
    EXPECT_TRUE(got.insert(*a).second) << "duplicate " << ipv4_to_string(*a);
  }
  EXPECT_EQ(pool->in_use(), 10u);
  EXPECT_FALSE(pool->allocate().has_value());
  EXPECT_EQ(pool->exhausted(), 1u);
  pool->release(first + 4);
  EXPECT_FALSE(pool->allocated(first + 4));
  EXPECT_EQ(pool->allocate(), first + 4);
  EXPECT_EQ(pool->in_use(), 10u);
}

TEST(Ipv4Pool, ReleasedAddressesWaitTheirTurn) {
  const auto first = ipv4_from_string("198.18.10.1").value();
  auto pool = Ipv4Pool::create(first, first + 3, nullptr).value();
  const auto a = pool.allocate().value();
  pool.release(a);
  // Round robin: the next allocation is a different address, not the one just freed.
  EXPECT_NE(pool.allocate().value(), a);
}

TEST(Ipv4Pool, BadReleasesAreCountedAndIgnored) {
  const auto first = ipv4_from_string("198.18.10.1").value();
  auto pool = Ipv4Pool::create(first, first + 1, nullptr).value();
  pool.release(first);        // not allocated
  pool.release(first + 100);  // not in the pool
  EXPECT_EQ(pool.bad_releases(), 2u);
  EXPECT_EQ(pool.in_use(), 0u);
  const auto a = pool.allocate().value();
  pool.release(a);
  pool.release(a);  // twice
  EXPECT_EQ(pool.bad_releases(), 3u);
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST(Ipv4Pool, RejectsBadRanges) {
  std::string err;
  EXPECT_FALSE(Ipv4Pool::create(10, 5, &err));
  EXPECT_NE(err.find("first address above last"), std::string::npos) << err;
  EXPECT_FALSE(Ipv4Pool::create(0, 5, &err));
  EXPECT_NE(err.find("0.0.0.0"), std::string::npos) << err;
  EXPECT_FALSE(Ipv4Pool::create(1, 1u << 25, &err));
  EXPECT_NE(err.find("more than"), std::string::npos) << err;
}

}  // namespace
}  // namespace l2sec::ppp
