// The embedded default configuration: parses and validates clean and holds what the main job
// needs (addresses from 198.18.0.0/15 only).
#include <gtest/gtest.h>

#include <regex>

#include "test_util.hpp"

namespace l2sec::config::test {
namespace {

bool in_benchmark_space(Ipv4 a) { return (a & 0xfffe0000u) == 0xc6120000u; }  // 198.18.0.0/15

TEST(ConfigDefault, ParsesAndValidatesClean) {
  ParseResult r = parse(default_config_text(), "default.cfg");
  std::string all;
  for (const auto& e : r.errors) all += e.to_string() + "\n";
  ASSERT_TRUE(r.ok()) << all;
  EXPECT_TRUE(validate(*r.config).empty());
  EXPECT_EQ(default_config(), *r.config);
}

TEST(ConfigDefault, HoldsTheGatewaysMainJob) {
  const RouterConfig c = default_config();
  EXPECT_EQ(c.hostname, "l2sec");
  ASSERT_EQ(c.virtual_routers.size(), 1u);
  const VirtualRouter& v = c.virtual_routers[0];
  EXPECT_EQ(v.name, "default");
  EXPECT_TRUE(v.nat_t);
  EXPECT_FALSE(nat_passthrough(c, "default"));

  // One transport profile on 198.18.0.2 with the group PSK, for L2TP.
  ASSERT_EQ(c.transport_profiles.size(), 1u);
  const TransportProfile* p = find_transport_profile(c, "default", ip("198.18.0.2"));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->application, TransportApplication::kL2tp);
  EXPECT_FALSE(p->pre_shared_key.empty());
  const auto transforms = effective_transforms(*p);
  for (const char* t : {"esp-aes128-sha", "esp-aes256-sha", "esp-aes256-sha256", "esp-3des-sha"}) {
    EXPECT_NE(std::find(transforms.begin(), transforms.end(), *transform_from_string(t)),
              transforms.end())
        << t;
  }

  // IKE: aes128-sha1-modp2048, aes256-sha256-modp2048, 3des-sha1-modp1024, all by PSK.
  ASSERT_EQ(c.isakmp_rules.size(), 3u);
  auto has_rule = [&](IkeEncryption e, IkeHash h, DhGroup g) {
    return std::any_of(c.isakmp_rules.begin(), c.isakmp_rules.end(), [&](const auto& r) {
      return r.encryption == e && r.hash == h && r.group == g &&
             r.authentication == IkeAuthentication::kPreShare;
    });
  };
  EXPECT_TRUE(has_rule(IkeEncryption::kAes128, IkeHash::kSha1, DhGroup::k14));
  EXPECT_TRUE(has_rule(IkeEncryption::kAes256, IkeHash::kSha256, DhGroup::k14));
  EXPECT_TRUE(has_rule(IkeEncryption::k3des, IkeHash::kSha1, DhGroup::k2));

  // Any LAC, IPsec only.
  ASSERT_EQ(v.destination_profiles.size(), 1u);
  EXPECT_EQ(v.destination_profiles[0].address, 0u);
  ASSERT_EQ(v.destination_profiles[0].hosts.size(), 1u);
  EXPECT_EQ(v.destination_profiles[0].hosts[0].remote_host, "default");
  EXPECT_TRUE(v.destination_profiles[0].hosts[0].ipsec_transport);

  // PPP: pool, LNS address, DNS, methods, users.
  ASSERT_EQ(v.pools.size(), 1u);
  EXPECT_EQ(v.pools[0].start, ip("198.19.0.10"));
  EXPECT_EQ(v.pools[0].end, ip("198.19.0.250"));
  EXPECT_EQ(lns_ppp_address(v), ip("198.19.0.1"));
  EXPECT_EQ(v.dns_primary, ip("198.19.0.53"));
  EXPECT_EQ(v.ppp_authentication,
            (std::vector<PppAuthentication>{PppAuthentication::kChap, PppAuthentication::kPap,
                                            PppAuthentication::kMsChapV2}));
  const LocalDatabase* db = find_local_database(c, v.local_database);
  ASSERT_NE(db, nullptr);
  ASSERT_EQ(db->users.size(), 2u);
  EXPECT_EQ(db->users[0].name, "alice");
  EXPECT_EQ(db->users[1].name, "bob");
  EXPECT_EQ(c.l2tp, L2tpTimers{});
}

TEST(ConfigDefault, UsesOnlyBenchmarkingAddresses) {
  const std::string text(default_config_text());
  const std::regex dotted(R"((\d+)\.(\d+)\.(\d+)\.(\d+))");
  int seen = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), dotted);
       it != std::sregex_iterator(); ++it) {
    const std::string s = it->str();
    const Ipv4 a = ip(s);
    // Masks and the "any LAC" wildcard are not addresses.
    if (s == "0.0.0.0" || s == "255.255.255.255") continue;
    EXPECT_TRUE(in_benchmark_space(a)) << s;
    ++seen;
  }
  EXPECT_GE(seen, 6);
}

}  // namespace
}  // namespace l2sec::config::test
