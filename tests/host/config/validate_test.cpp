// Whole-configuration validation: each problem, and the line that introduced it.
#include <gtest/gtest.h>

#include <algorithm>

#include "test_util.hpp"

namespace l2sec::config::test {
namespace {

constexpr std::string_view kProfile =
    "ipsec transport profile p virtual-router default ip address 198.18.0.2\n"
    "application l2tp\n"
    "pre-share secret\n"
    "exit\n";

// The one error of `text`, which must be the only one.
std::string only_error(std::string_view text) {
  auto errors = errors_of(text);
  std::string all;
  for (const auto& e : errors) all += e + "\n";
  EXPECT_EQ(errors.size(), 1u) << all;
  return errors.empty() ? "" : errors.front();
}

TEST(ConfigValidate, PoolRanges) {
  EXPECT_EQ(only_error("hostname a\nip local pool corp 198.19.0.250 198.19.0.10\n"),
            "test.cfg:2: \"ip local pool corp 198.19.0.250 198.19.0.10\": virtual-router default "
            "ip local pool corp: start 198.19.0.250 is after end 198.19.0.10");
  EXPECT_EQ(only_error("ip local pool a 198.19.0.10 198.19.0.20\n"
                       "ip local pool b 198.19.0.20 198.19.0.30\n"),
            "test.cfg:2: \"ip local pool b 198.19.0.20 198.19.0.30\": virtual-router default ip "
            "local pool b: overlaps ip local pool a");
  EXPECT_EQ(only_error("ip local pool m 198.19.0.10 224.0.0.1\n"),
            "test.cfg:1: \"ip local pool m 198.19.0.10 224.0.0.1\": virtual-router default ip "
            "local pool m: range 198.19.0.10-224.0.0.1 is not made of unicast host addresses");
  EXPECT_EQ(only_error("interface loopback 0\nip address 198.19.0.1 255.255.255.255\nexit\n"
                       "ip unnumbered loopback 0\n"
                       "ip local pool corp 198.19.0.1 198.19.0.250\n"),
            "test.cfg:5: \"ip local pool corp 198.19.0.1 198.19.0.250\": virtual-router default "
            "ip local pool corp: contains the LNS's own PPP address 198.19.0.1");
  // Pools of different virtual routers may overlap.
  parse_ok(
      "ip local pool a 198.19.0.10 198.19.0.20\nvirtual-router w\n"
      "ip local pool a 198.19.0.10 198.19.0.20\n");
}

TEST(ConfigValidate, TransportProfiles) {
  EXPECT_EQ(only_error("ipsec transport profile p virtual-router ghost ip address 198.18.0.2\n"
                       "application l2tp\npre-share k\n"),
            "test.cfg:1: \"ipsec transport profile p virtual-router ghost ip address "
            "198.18.0.2\": ipsec transport profile p: virtual router \"ghost\" does not exist");
  EXPECT_EQ(only_error("ipsec transport profile p ip address 0.0.0.0\napplication l2tp\n"
                       "pre-share k\n"),
            "test.cfg:1: \"ipsec transport profile p ip address 0.0.0.0\": ipsec transport "
            "profile p: local address 0.0.0.0 is not a unicast host address");
  EXPECT_EQ(only_error(std::string(kProfile) +
                       "ipsec transport profile q ip address 198.18.0.2\napplication l2tp\n"
                       "pre-share k\n"),
            "test.cfg:5: \"ipsec transport profile q ip address 198.18.0.2\": ipsec transport "
            "profile q: another transport profile already binds 198.18.0.2 on virtual router "
            "default");
  // The PSK is needed when a rule (or the built-in one) authenticates by preshared key.
  EXPECT_EQ(only_error("ipsec transport profile p ip address 198.18.0.2\napplication l2tp\n"),
            "test.cfg:1: \"ipsec transport profile p ip address 198.18.0.2\": ipsec transport "
            "profile p: no group preshared key (expected: pre-share <key>)");
  parse_ok(
      "ipsec isakmp-policy-rule 1\nauthentication rsa-sig\nexit\n"
      "ipsec transport profile p ip address 198.18.0.2\napplication l2tp\n");
}

TEST(ConfigValidate, HostProfileNeedsATransportProfileForIpsecTransport) {
  EXPECT_EQ(only_error("l2tp destination profile boston4 ip address 0.0.0.0\n"
                       "remote host default\n"
                       "enable ipsec-transport\n"),
            "test.cfg:2: \"remote host default\": virtual-router default l2tp destination profile "
            "boston4 remote host default: enable ipsec-transport, but virtual router default has "
            "no ipsec transport profile");
  parse_ok(std::string(kProfile) +
           "l2tp destination profile boston4 ip address 0.0.0.0\nremote host default\n"
           "enable ipsec-transport\n");
  EXPECT_EQ(only_error("l2tp destination profile b ip address 255.255.255.255\n"),
            "test.cfg:1: \"l2tp destination profile b ip address 255.255.255.255\": "
            "virtual-router default l2tp destination profile b: 255.255.255.255 is neither "
            "0.0.0.0 nor a host address");
  EXPECT_EQ(only_error("l2tp destination profile b ip address 0.0.0.0\nremote host h\n"
                       "local ip address 127.0.0.1\n"),
            "test.cfg:2: \"remote host h\": virtual-router default l2tp destination profile b "
            "remote host h: local ip address 127.0.0.1 is not a unicast host address");
}

TEST(ConfigValidate, ReferencesResolve) {
  EXPECT_EQ(only_error("hostname a\nip unnumbered loopback 4\n"),
            "test.cfg:2: \"ip unnumbered loopback 4\": virtual-router default ip unnumbered "
            "loopback: interface loopback 4 does not exist");
  EXPECT_EQ(only_error("interface loopback 4\nexit\nip unnumbered loopback 4\n"),
            "test.cfg:3: \"ip unnumbered loopback 4\": virtual-router default ip unnumbered "
            "loopback: interface loopback 4 has no ip address");
  EXPECT_EQ(only_error("virtual-router w\naaa local select database west\n"),
            "test.cfg:2: \"aaa local select database west\": virtual-router w aaa local select "
            "database: local database \"west\" does not exist");
  parse_ok("aaa local database west\nexit\naaa local select database west\n");
}

TEST(ConfigValidate, AddressesAndMasks) {
  EXPECT_EQ(only_error("hostname a\naaa dns primary 0.0.0.0\n"),
            "test.cfg:2: \"aaa dns primary 0.0.0.0\": virtual-router default aaa dns: 0.0.0.0 is "
            "not a unicast host address");
  EXPECT_EQ(only_error("interface loopback 1\nip address 198.19.0.1 255.0.255.0\n"),
            "test.cfg:1: \"interface loopback 1\": virtual-router default interface loopback 1: "
            "mask 255.0.255.0 is not contiguous");
  EXPECT_EQ(only_error("interface loopback 1\nip address 224.1.1.1 255.255.255.255\n"),
            "test.cfg:1: \"interface loopback 1\": virtual-router default interface loopback 1: "
            "224.1.1.1 is not a unicast host address");
}

TEST(ConfigValidate, ProblemsOfABaseConfigHaveNoLine) {
  RouterConfig base = factory_config();
  base.virtual_routers[0].pools.push_back({"bad", 20, 10});
  ParseResult r = apply(base, "hostname x\n", "cli");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 0);
  EXPECT_EQ(r.errors[0].to_string(),
            "cli: virtual-router default ip local pool bad: start 0.0.0.20 is after end 0.0.0.10");
}

TEST(ConfigValidate, ProgrammaticConfigs) {
  RouterConfig c = factory_config();
  EXPECT_TRUE(validate(c).empty());
  c.virtual_routers.push_back(c.virtual_routers[0]);
  c.isakmp_rules.push_back({});
  c.local_databases.push_back({"db", {{"u", ""}, {"u", "p"}}});
  c.manual_keys.push_back({1, ""});
  c.l2tp.destruct_timeout = 5;
  const auto problems = validate(c);
  auto has = [&](std::string_view where, std::string_view message) {
    return std::find(problems.begin(), problems.end(),
                     Problem{std::string(where), std::string(message)}) != problems.end();
  };
  EXPECT_TRUE(has("virtual-router default", "defined twice"));
  EXPECT_TRUE(has("ipsec isakmp-policy-rule 0", "priority outside 1-10000"));
  EXPECT_TRUE(has("aaa local database db username u", "empty password"));
  EXPECT_TRUE(has("aaa local database db username u", "defined twice"));
  EXPECT_TRUE(has("ipsec key manual pre-share 0.0.0.1", "no key (expected: key <string>)"));
  EXPECT_TRUE(has("l2tp destruct-timeout", "outside 10-3600 seconds"));
  EXPECT_EQ(problems.size(), 6u);
}

}  // namespace
}  // namespace l2sec::config::test
