// The command language: every command, its no form, mode transitions, keyword prefixes and the
// errors (file, line, text, what was expected).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_util.hpp"

namespace l2sec::config::test {
namespace {

// A transport profile every test config that enables ipsec-transport needs.
constexpr std::string_view kProfile =
    "ipsec transport profile p virtual-router default ip address 198.18.0.2\n"
    "application l2tp\n"
    "pre-share secret\n"
    "exit\n";

TEST(ConfigParse, EmptyTextIsTheFactoryConfig) {
  EXPECT_EQ(parse_ok(""), factory_config());
  EXPECT_EQ(parse_ok("! only a comment\n\n   \n  ! indented comment\r\n"), factory_config());
  const RouterConfig f = factory_config();
  ASSERT_EQ(f.virtual_routers.size(), 1u);
  EXPECT_EQ(f.virtual_routers[0].name, "default");
  EXPECT_TRUE(f.virtual_routers[0].nat_t);
}

TEST(ConfigParse, Hostname) {
  EXPECT_EQ(parse_ok("hostname boston").hostname, "boston");
  EXPECT_EQ(parse_ok("hostname boston\nno hostname").hostname, factory_config().hostname);
  EXPECT_EQ(parse_ok("hostname \"big router\"").hostname, "big router");
}

TEST(ConfigParse, NatTOnByDefaultNoAndDefaultForms) {
  EXPECT_TRUE(vr(parse_ok("virtual-router westford"), "westford").nat_t);
  auto c = parse_ok("virtual-router westford\nno ipsec option nat-t\n");
  EXPECT_FALSE(vr(c, "westford").nat_t);
  EXPECT_TRUE(vr(c, "default").nat_t) << "only the current virtual router changes";
  c = parse_ok("virtual-router westford\nno ipsec option nat-t\nipsec option nat-t\n");
  EXPECT_TRUE(vr(c, "westford").nat_t);
  c = parse_ok("no ipsec option nat-t\ndefault ipsec option nat-t\n");
  EXPECT_TRUE(vr(c).nat_t);
}

TEST(ConfigParse, VirtualRouterContextAndRemoval) {
  auto c = parse_ok(
      "virtual-router westford\n"
      "ip local pool w 198.19.1.1 198.19.1.9\n"
      "virtual-router default\n"
      "ip local pool d 198.19.2.1 198.19.2.9\n"
      "virtual-router westford\n");
  ASSERT_EQ(c.virtual_routers.size(), 2u);
  EXPECT_EQ(vr(c, "westford").pools.at(0).name, "w");
  EXPECT_EQ(vr(c).pools.at(0).name, "d");

  c = parse_ok(
      "virtual-router westford\n"
      "ipsec transport profile t ip address 198.18.0.9\n"
      "application l2tp\npre-share k\nexit\n"
      "no virtual-router westford\n"
      "ip local pool back-in-default 198.19.3.1 198.19.3.2\n");
  EXPECT_EQ(c.virtual_routers.size(), 1u);
  EXPECT_TRUE(c.transport_profiles.empty()) << "the profile belonged to the removed router";
  EXPECT_EQ(vr(c).pools.at(0).name, "back-in-default");

  EXPECT_EQ(errors_of("no virtual-router default").at(0),
            "test.cfg:1: \"no virtual-router default\": the default virtual router cannot be "
            "removed");
  EXPECT_EQ(errors_of("no virtual-router nowhere").at(0),
            "test.cfg:1: \"no virtual-router nowhere\": no virtual router \"nowhere\"");
}

TEST(ConfigParse, IsakmpPolicyRuleEveryField) {
  auto c = parse_ok(
      "ipsec isakmp-policy-rule 20\n"
      "encryption aes256\nhash sha2-256\ngroup 19\nauthentication rsa-sig\nlifetime 3600\n"
      "exit\n"
      "ipsec isakmp-policy-rule 5\n"
      "encryption aes192\ngroup 20\n"
      "exit\n");
  ASSERT_EQ(c.isakmp_rules.size(), 2u);
  EXPECT_EQ(c.isakmp_rules[0].priority, 5u) << "kept in priority order";
  EXPECT_EQ(c.isakmp_rules[0].encryption, IkeEncryption::kAes192);
  EXPECT_EQ(c.isakmp_rules[0].group, DhGroup::k20);
  EXPECT_EQ(c.isakmp_rules[0].hash, IkeHash::kSha1);
  const auto& r = c.isakmp_rules[1];
  EXPECT_EQ(r.encryption, IkeEncryption::kAes256);
  EXPECT_EQ(r.hash, IkeHash::kSha256);
  EXPECT_EQ(r.group, DhGroup::k19);
  EXPECT_EQ(r.authentication, IkeAuthentication::kRsaSig);
  EXPECT_EQ(r.lifetime_seconds, 3600u);

  // Every no form restores the default; re-entering the rule edits it.
  c = parse_ok(
      "ipsec isakmp-policy-rule 20\n"
      "encryption aes256\nhash sha2-256\ngroup 19\nauthentication rsa-sig\nlifetime 3600\n"
      "exit\n"
      "ipsec isakmp-policy-rule 20\n"
      "no encryption\nno hash\nno group\nno authentication\nno lifetime\n");
  ASSERT_EQ(c.isakmp_rules.size(), 1u);
  IsakmpPolicyRule expected;
  expected.priority = 20;
  EXPECT_EQ(c.isakmp_rules[0], expected);

  c = parse_ok("ipsec isakmp-policy-rule 1\nexit\nno ipsec isakmp-policy-rule 1\n");
  EXPECT_TRUE(c.isakmp_rules.empty());
  EXPECT_EQ(errors_of("no ipsec isakmp-policy-rule 7").at(0),
            "test.cfg:1: \"no ipsec isakmp-policy-rule 7\": no ipsec isakmp-policy-rule 7");
}

TEST(ConfigParse, TransportProfileEveryField) {
  auto c = parse_ok(
      "ipsec transport profile corp virtual-router default ip address 198.18.0.2\n"
      "application l2tp-nat-passthrough\n"
      "pre-share \"group key with spaces\"\n"
      "transform-set esp-aes256-sha256 esp-3des-sha\n"
      "pfs group 14\n"
      "lifetime seconds 7200 kilobytes 1000000\n"
      "exit\n");
  ASSERT_EQ(c.transport_profiles.size(), 1u);
  const auto& p = c.transport_profiles[0];
  EXPECT_EQ(p.name, "corp");
  EXPECT_EQ(p.virtual_router, "default");
  EXPECT_EQ(p.local_address, ip("198.18.0.2"));
  EXPECT_EQ(p.application, TransportApplication::kL2tpNatPassthrough);
  EXPECT_TRUE(nat_passthrough(c, "default"));
  EXPECT_EQ(p.pre_shared_key, "group key with spaces");
  ASSERT_EQ(p.transforms.size(), 2u);
  EXPECT_EQ(to_string(p.transforms[0]), "esp-aes256-sha256");
  EXPECT_EQ(p.transforms[1], (Transform{EspCipher::k3des, EspIntegrity::kHmacSha1}));
  EXPECT_EQ(p.pfs_group, DhGroup::k14);
  EXPECT_EQ(p.lifetime_seconds, 7200u);
  EXPECT_EQ(p.lifetime_kilobytes, 1000000u);
  EXPECT_EQ(find_transport_profile(c, "default", ip("198.18.0.2")), &p);

  c = parse_ok(
      "ipsec transport profile corp ip address 198.18.0.2\n"
      "lifetime seconds 300\nlifetime kilobytes 5\n"
      "application l2tp\npre-share k\n"
      "exit\n");
  EXPECT_EQ(c.transport_profiles[0].virtual_router, "default") << "the current virtual router";
  EXPECT_EQ(c.transport_profiles[0].lifetime_seconds, 300u);
  EXPECT_EQ(c.transport_profiles[0].lifetime_kilobytes, 5u);
  EXPECT_EQ(effective_transforms(c.transport_profiles[0]), default_transforms());
  EXPECT_FALSE(nat_passthrough(c, "default"));
}

TEST(ConfigParse, TransportProfileNoForms) {
  auto c = parse_ok(
      "ipsec transport profile corp ip address 198.18.0.2\n"
      "application l2tp\npre-share k\ntransform-set esp-aes128-sha\npfs group 2\n"
      "lifetime seconds 300 kilobytes 9\n"
      "no transform-set\nno pfs group\nno lifetime\n"
      "exit\n");
  const auto& p = c.transport_profiles.at(0);
  EXPECT_TRUE(p.transforms.empty());
  EXPECT_FALSE(p.pfs_group.has_value());
  EXPECT_EQ(p.lifetime_seconds, TransportProfile{}.lifetime_seconds);
  EXPECT_EQ(p.lifetime_kilobytes, 0u);

  // no application / no pre-share leave a profile validate() refuses.
  auto errors = errors_of(
      "ipsec transport profile corp ip address 198.18.0.2\n"
      "application l2tp\npre-share k\nno application\nno pre-share\nexit\n");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0],
            "test.cfg:1: \"ipsec transport profile corp ip address 198.18.0.2\": ipsec transport "
            "profile corp: no application (expected: application l2tp or l2tp-nat-passthrough)");
  EXPECT_EQ(errors[1],
            "test.cfg:1: \"ipsec transport profile corp ip address 198.18.0.2\": ipsec transport "
            "profile corp: no group preshared key (expected: pre-share <key>)");

  c = parse_ok(std::string(kProfile) + "no ipsec transport profile p\n");
  EXPECT_TRUE(c.transport_profiles.empty());
  c = parse_ok(std::string(kProfile) +
               "no ipsec transport profile p virtual-router default ip address 198.18.0.2\n");
  EXPECT_TRUE(c.transport_profiles.empty());
  EXPECT_EQ(errors_of("no ipsec transport profile zz").at(0),
            "test.cfg:1: \"no ipsec transport profile zz\": no ipsec transport profile \"zz\"");
  EXPECT_EQ(
      errors_of(std::string(kProfile) + "ipsec transport profile p ip address 198.18.0.3\n").at(0),
      "test.cfg:5: \"ipsec transport profile p ip address 198.18.0.3\": transport profile "
      "\"p\" is bound to virtual-router default ip address 198.18.0.2");
  EXPECT_EQ(errors_of("ipsec transport profile p ip address 198.18.0.2\n"
                      "transform-set esp-aes128-sha esp-aes128-sha\n")
                .at(0),
            "test.cfg:2: \"transform-set esp-aes128-sha esp-aes128-sha\": \"esp-aes128-sha\" "
            "listed twice");
}

TEST(ConfigParse, ManualKey) {
  auto c = parse_ok("ipsec key manual pre-share 198.18.5.5\nkey \"s3cret!\"\nexit\n");
  ASSERT_EQ(c.manual_keys.size(), 1u);
  EXPECT_EQ(c.manual_keys[0].peer, ip("198.18.5.5"));
  EXPECT_EQ(c.manual_keys[0].key, "s3cret!");
  c = parse_ok(
      "ipsec key manual pre-share 198.18.5.5\nkey a\nexit\n"
      "no ipsec key manual pre-share 198.18.5.5\n");
  EXPECT_TRUE(c.manual_keys.empty());
  const auto errors = errors_of("ipsec key manual pre-share 198.18.5.5\nkey a\nno key\n");
  EXPECT_EQ(errors.at(0),
            "test.cfg:1: \"ipsec key manual pre-share 198.18.5.5\": ipsec key manual pre-share "
            "198.18.5.5: no key (expected: key <string>)");
}

TEST(ConfigParse, CertificatesForRsaSignatures) {
  auto c = parse_ok(
      "ipsec ca-certificate /etc/l2sec/ca.pem\n"
      "ipsec certificate \"/etc/l2sec/gw cert.pem\" private-key /etc/l2sec/gw.key\n"
      "ipsec isakmp-policy-rule 10\nauthentication rsa-sig\nexit\n");
  EXPECT_EQ(c.ca_certificate, "/etc/l2sec/ca.pem");
  EXPECT_EQ(c.certificate, "/etc/l2sec/gw cert.pem");
  EXPECT_EQ(c.private_key, "/etc/l2sec/gw.key");
  c = parse_ok(
      "ipsec ca-certificate /a.pem\nipsec certificate /b.pem private-key /c.key\n"
      "no ipsec ca-certificate\nno ipsec certificate /b.pem private-key /c.key\n");
  EXPECT_TRUE(c.ca_certificate.empty());
  EXPECT_TRUE(c.certificate.empty());
  EXPECT_TRUE(c.private_key.empty());
  // rsa-sig rules parse without certificates (l2secd leaves them out, with a warning).
  c = parse_ok("ipsec isakmp-policy-rule 10\nauthentication rsa-sig\nexit\n");
  EXPECT_TRUE(c.certificate.empty());
  EXPECT_FALSE(errors_of("ipsec certificate /b.pem\n").empty());  // private-key is required
}

TEST(ConfigParse, Sha256TruncatedTo96BitsForAndroid) {
  auto c = parse_ok(
      "ipsec transport profile p ip address 198.18.0.2\napplication l2tp\npre-share k\n"
      "transform-set esp-aes128-sha256 esp-3des-sha\nsha256-96\nexit\n");
  EXPECT_TRUE(c.transport_profiles.at(0).sha256_96);
  c = parse_ok(
      "ipsec transport profile p ip address 198.18.0.2\napplication l2tp\npre-share k\n"
      "sha256-96\nno sha256-96\nexit\n");
  EXPECT_FALSE(c.transport_profiles.at(0).sha256_96);
}

TEST(ConfigParse, AggressiveModeOption) {
  auto c = parse_ok("ipsec option aggressive-mode\nvirtual-router w\n");
  EXPECT_TRUE(c.virtual_routers.at(0).aggressive_mode);
  EXPECT_FALSE(c.virtual_routers.at(1).aggressive_mode);
  c = parse_ok("ipsec option aggressive-mode\nno ipsec option aggressive-mode\n");
  EXPECT_FALSE(c.virtual_routers.at(0).aggressive_mode);
  c = parse_ok("ipsec option aggressive-mode\ndefault ipsec option aggressive-mode\n");
  EXPECT_FALSE(c.virtual_routers.at(0).aggressive_mode);
  EXPECT_FALSE(factory_config().virtual_routers.at(0).aggressive_mode);
}

TEST(ConfigParse, DestinationAndHostProfileFromTheSeed) {
  auto c = parse_ok(std::string(kProfile) +
                    "l2tp destination profile boston4 ip address 0.0.0.0\n"
                    "remote host default\n"
                    "enable ipsec-transport\n"
                    "single-shot-tunnel\n"
                    "profile georgeProfile1\n"
                    "local ip address 10.0.0.1\n"
                    "tunnel password \"tun pw\"\n");
  const auto& dests = vr(c).destination_profiles;
  ASSERT_EQ(dests.size(), 1u);
  EXPECT_EQ(dests[0].name, "boston4");
  EXPECT_EQ(dests[0].address, 0u);
  ASSERT_EQ(dests[0].hosts.size(), 1u);
  const auto& h = dests[0].hosts[0];
  EXPECT_EQ(h.remote_host, "default");
  EXPECT_TRUE(h.ipsec_transport);
  EXPECT_TRUE(h.single_shot);
  EXPECT_EQ(h.profile, "georgeProfile1");
  EXPECT_EQ(h.local_address, ip("10.0.0.1"));
  EXPECT_EQ(h.tunnel_password, "tun pw");

  // Every no form of the host profile.
  c = parse_ok(std::string(kProfile) +
               "l2tp destination profile boston4 ip address 0.0.0.0\n"
               "remote host default\n"
               "enable ipsec-transport\nsingle-shot-tunnel\nprofile g\nlocal ip address 10.0.0.1\n"
               "tunnel password t\n"
               "no enable ipsec-transport\nno single-shot-tunnel\nno profile\n"
               "no local ip address\nno tunnel password\n");
  EXPECT_EQ(vr(c).destination_profiles.at(0).hosts.at(0), HostProfile{});

  c = parse_ok(
      "l2tp destination profile b ip address 198.18.9.9\n"
      "remote host lac1\nexit\nremote host lac2\nexit\nno remote host lac1\n");
  ASSERT_EQ(vr(c).destination_profiles.at(0).hosts.size(), 1u);
  EXPECT_EQ(vr(c).destination_profiles.at(0).hosts[0].remote_host, "lac2");

  c = parse_ok(
      "l2tp destination profile b ip address 198.18.9.9\nexit\n"
      "no l2tp destination profile b\n");
  EXPECT_TRUE(vr(c).destination_profiles.empty());
  EXPECT_EQ(errors_of("no l2tp destination profile b").at(0),
            "test.cfg:1: \"no l2tp destination profile b\": no l2tp destination profile \"b\" on "
            "virtual router default");
  EXPECT_EQ(errors_of("l2tp destination profile b ip address 198.18.9.9\nexit\n"
                      "l2tp destination profile b ip address 198.18.9.8\n")
                .at(0),
            "test.cfg:3: \"l2tp destination profile b ip address 198.18.9.8\": destination "
            "profile \"b\" already has ip address 198.18.9.9");
}

TEST(ConfigParse, DestinationProfileInANamedVirtualRouter) {
  auto c = parse_ok(
      "virtual-router boston\n"
      "virtual-router default\n"
      "l2tp destination profile boston ip address 198.18.76.12 virtual-router boston\n"
      "remote host lac\n");
  EXPECT_TRUE(vr(c).destination_profiles.empty());
  ASSERT_EQ(vr(c, "boston").destination_profiles.size(), 1u);
  EXPECT_EQ(vr(c, "boston").destination_profiles[0].hosts.at(0).remote_host, "lac");
  EXPECT_EQ(errors_of("l2tp destination profile b ip address 0.0.0.0 virtual-router nope").at(0),
            "test.cfg:1: \"l2tp destination profile b ip address 0.0.0.0 virtual-router nope\": "
            "virtual router \"nope\" does not exist");
}

TEST(ConfigParse, L2tpTimers) {
  auto c = parse_ok("l2tp tunnel hello 30\nl2tp tunnel idle-timeout 0\nl2tp destruct-timeout 10\n");
  EXPECT_EQ(c.l2tp.hello_interval, 30u);
  EXPECT_EQ(c.l2tp.idle_timeout, 0u);
  EXPECT_EQ(c.l2tp.destruct_timeout, 10u);
  c = parse_ok(
      "l2tp tunnel hello 30\nl2tp tunnel idle-timeout 0\nl2tp destruct-timeout 10\n"
      "no l2tp tunnel hello\nno l2tp tunnel idle-timeout\nno l2tp destruct-timeout\n");
  EXPECT_EQ(c.l2tp, L2tpTimers{});
  EXPECT_EQ(errors_of("l2tp destruct-timeout 5").at(0),
            "test.cfg:1: \"l2tp destruct-timeout 5\": 5 is out of range for <seconds> "
            "(expected: 10-3600)");
  EXPECT_EQ(errors_of("l2tp tunnel hello soon").at(0),
            "test.cfg:1: \"l2tp tunnel hello soon\": \"soon\" is not a number for <seconds> "
            "(expected: 0-3600)");
}

TEST(ConfigParse, Pools) {
  auto c = parse_ok(
      "ip local pool corp 198.19.0.10 198.19.0.250\n"
      "ip local pool one 198.19.1.1\n");
  ASSERT_EQ(vr(c).pools.size(), 2u);
  EXPECT_EQ(vr(c).pools[0], (IpPool{"corp", ip("198.19.0.10"), ip("198.19.0.250")}));
  EXPECT_EQ(vr(c).pools[1], (IpPool{"one", ip("198.19.1.1"), ip("198.19.1.1")}));
  c = parse_ok(
      "ip local pool corp 198.19.0.10 198.19.0.250\n"
      "ip local pool corp 198.19.0.20 198.19.0.30\n");
  ASSERT_EQ(vr(c).pools.size(), 1u) << "the same name redefines the range";
  EXPECT_EQ(vr(c).pools[0].start, ip("198.19.0.20"));
  c = parse_ok("ip local pool corp 198.19.0.10 198.19.0.250\nno ip local pool corp\n");
  EXPECT_TRUE(vr(c).pools.empty());
  EXPECT_EQ(errors_of("no ip local pool corp").at(0),
            "test.cfg:1: \"no ip local pool corp\": no ip local pool \"corp\" on virtual router "
            "default");
}

TEST(ConfigParse, DnsUsersDatabasesAndAuthentication) {
  auto c = parse_ok(
      "aaa dns primary 198.19.0.53\naaa dns secondary 198.19.0.54\n"
      "username alice password a1\n"
      "aaa local username bob password b1\n"
      "aaa local database west\n"
      "  username carol password c1\n"
      "  exit\n"
      "aaa local username dave password d1 database west\n"
      "aaa local select database west\n"
      "ppp authentication ms-chap-v2 chap pap\n");
  EXPECT_EQ(vr(c).dns_primary, ip("198.19.0.53"));
  EXPECT_EQ(vr(c).dns_secondary, ip("198.19.0.54"));
  const LocalDatabase* def = find_local_database(c, "default");
  ASSERT_NE(def, nullptr);
  EXPECT_EQ(def->users, (std::vector<LocalUser>{{"alice", "a1"}, {"bob", "b1"}}));
  const LocalDatabase* west = find_local_database(c, "west");
  ASSERT_NE(west, nullptr);
  EXPECT_EQ(west->users, (std::vector<LocalUser>{{"carol", "c1"}, {"dave", "d1"}}));
  EXPECT_EQ(vr(c).local_database, "west");
  EXPECT_EQ(vr(c).ppp_authentication,
            (std::vector<PppAuthentication>{PppAuthentication::kMsChapV2, PppAuthentication::kChap,
                                            PppAuthentication::kPap}));

  c = parse_ok(
      "aaa dns primary 198.19.0.53\naaa dns secondary 198.19.0.54\n"
      "no aaa dns primary\nno aaa dns secondary\n"
      "username alice password a1\nusername alice password a2\n"
      "aaa local database west\nusername carol password c1\nusername erin password e1\n"
      "no username carol\nexit\n"
      "aaa local username dave password d1 database west\n"
      "no aaa local username dave database west\n"
      "aaa local username bob password b1\nno aaa local username bob\n"
      "aaa local select database west\nno aaa local select database\n"
      "ppp authentication pap\nno ppp authentication\n");
  EXPECT_FALSE(vr(c).dns_primary.has_value());
  EXPECT_FALSE(vr(c).dns_secondary.has_value());
  EXPECT_EQ(find_local_database(c, "default")->users, (std::vector<LocalUser>{{"alice", "a2"}}));
  EXPECT_EQ(find_local_database(c, "west")->users, (std::vector<LocalUser>{{"erin", "e1"}}));
  EXPECT_EQ(vr(c).local_database, "default");
  EXPECT_TRUE(vr(c).ppp_authentication.empty());

  c = parse_ok("username alice password a1\nno username alice\nno aaa local database default\n");
  EXPECT_TRUE(c.local_databases.empty());

  EXPECT_EQ(errors_of("aaa local username dave password d1 database nope").at(0),
            "test.cfg:1: \"aaa local username dave password d1 database nope\": no local database "
            "\"nope\"");
  EXPECT_EQ(errors_of("no username ghost").at(0),
            "test.cfg:1: \"no username ghost\": no local database \"default\"");
  EXPECT_EQ(errors_of("username a password b\nno username ghost").at(0),
            "test.cfg:2: \"no username ghost\": no user \"ghost\" in local database \"default\"");
  EXPECT_EQ(errors_of("ppp authentication chap pap chap").at(0),
            "test.cfg:1: \"ppp authentication chap pap chap\": \"chap\" listed twice");
}

TEST(ConfigParse, LoopbackAndLnsAddress) {
  auto c = parse_ok(
      "interface loopback 0\nip address 198.19.0.1 255.255.255.255\nexit\n"
      "ip unnumbered loopback 0\n");
  ASSERT_EQ(vr(c).loopbacks.size(), 1u);
  EXPECT_EQ(vr(c).loopbacks[0].address, ip("198.19.0.1"));
  EXPECT_EQ(lns_ppp_address(vr(c)), ip("198.19.0.1"));
  c = parse_ok(
      "interface loopback 0\nip address 198.19.0.1 255.255.255.255\nno ip address\nexit\n"
      "ip unnumbered loopback 0\nno ip unnumbered loopback\n");
  EXPECT_EQ(vr(c).loopbacks.at(0), Loopback{});
  EXPECT_FALSE(lns_ppp_address(vr(c)).has_value());
  c = parse_ok("interface loopback 3\nexit\nno interface loopback 3\n");
  EXPECT_TRUE(vr(c).loopbacks.empty());
  EXPECT_EQ(errors_of("no interface loopback 3").at(0),
            "test.cfg:1: \"no interface loopback 3\": no interface loopback 3 on virtual router "
            "default");
}

TEST(ConfigParse, NoFormsAcceptTheOldValue) {
  // Like the router, `no <command> <value>` undoes `<command> <value>`.
  auto c = parse_ok(
      "hostname boston\nno hostname boston\n"
      "l2tp tunnel hello 5\nno l2tp tunnel hello 5\n"
      "aaa dns primary 198.19.0.53\nno aaa dns primary 198.19.0.53\n"
      "ppp authentication chap pap\nno ppp authentication chap pap\n"
      "ip local pool p 198.19.0.10 198.19.0.20\nno ip local pool p 198.19.0.10 198.19.0.20\n"
      "ipsec isakmp-policy-rule 1\nencryption aes128\nno encryption aes128\nexit\n"
      "ipsec transport profile t ip address 198.18.0.2\n"
      "application l2tp\npre-share old\nno pre-share old\npre-share new\n"
      "transform-set esp-aes128-sha\nno transform-set esp-aes128-sha\n"
      "l2tp destination profile d ip address 0.0.0.0\nremote host h\n"
      "tunnel password x\nno tunnel password x\n");
  EXPECT_EQ(c.hostname, factory_config().hostname);
  EXPECT_EQ(c.l2tp.hello_interval, L2tpTimers{}.hello_interval);
  EXPECT_FALSE(vr(c).dns_primary.has_value());
  EXPECT_TRUE(vr(c).ppp_authentication.empty());
  EXPECT_TRUE(vr(c).pools.empty());
  EXPECT_EQ(c.isakmp_rules.at(0).encryption, IkeEncryption::k3des);
  EXPECT_EQ(c.transport_profiles.at(0).pre_shared_key, "new");
  EXPECT_TRUE(c.transport_profiles.at(0).transforms.empty());
  EXPECT_TRUE(vr(c).destination_profiles.at(0).hosts.at(0).tunnel_password.empty());
  // Flags take no value.
  EXPECT_EQ(errors_of("no ipsec option nat-t yes").at(0),
            "test.cfg:1: \"no ipsec option nat-t yes\": unexpected \"yes\" (expected: end of "
            "command)");
}

TEST(ConfigParse, ModesExitEndAndIndentation) {
  // A command of an outer mode leaves the submode without exit; indentation does not matter.
  auto c = parse_ok(std::string(kProfile) +
                    "l2tp destination profile a ip address 0.0.0.0\n"
                    "        remote host default\n"
                    "enable ipsec-transport\n"
                    "remote host other\n"  // back to the destination profile
                    "single-shot-tunnel\n"
                    "ip local pool x 198.19.0.10 198.19.0.20\n"  // back to global
                    "l2tp destination profile b ip address 198.18.3.3\n"
                    "remote host h\n"
                    "end\n"
                    "hostname after-end\n");
  const auto& d = vr(c).destination_profiles;
  ASSERT_EQ(d.size(), 2u);
  EXPECT_TRUE(d[0].hosts.at(0).ipsec_transport);
  EXPECT_FALSE(d[0].hosts.at(0).single_shot);
  EXPECT_TRUE(d[0].hosts.at(1).single_shot);
  EXPECT_EQ(vr(c).pools.size(), 1u);
  EXPECT_EQ(c.hostname, "after-end");

  // exit from the host profile goes to the destination profile, not to global.
  c = parse_ok(
      "l2tp destination profile a ip address 0.0.0.0\n"
      "remote host h1\nexit\nremote host h2\nexit\nexit\nexit\nhostname x\n");
  EXPECT_EQ(vr(c).destination_profiles.at(0).hosts.size(), 2u);

  // Commands of a submode are unknown outside it.
  EXPECT_EQ(errors_of("single-shot-tunnel").at(0),
            "test.cfg:1: \"single-shot-tunnel\": unknown command \"single-shot-tunnel\" "
            "(expected: aaa, default, end, exit, hostname, interface, ip, ipsec, l2tp, no, ppp, "
            "username, virtual-router)");
  EXPECT_EQ(errors_of("l2tp destination profile a ip address 0.0.0.0\nremote host h\nexit\n"
                      "single-shot-tunnel\n")
                .at(0),
            "test.cfg:4: \"single-shot-tunnel\": unknown command \"single-shot-tunnel\" "
            "(expected: end, exit, no, remote)");
  EXPECT_EQ(errors_of("ipsec isakmp-policy-rule 1\nexit\nhash sha\n").at(0),
            "test.cfg:3: \"hash sha\": unknown command \"hash\" (expected: aaa, default, end, "
            "exit, hostname, interface, ip, ipsec, l2tp, no, ppp, username, virtual-router)");
}

TEST(ConfigParse, KeywordPrefixesLikeTheRouter) {
  auto c = parse_ok(
      "virt westford\n"
      "no ips opt nat\n"
      "ip loc po corp 198.19.0.10 198.19.0.20\n"
      "l2tp desti prof a ip addr 0.0.0.0\n"
      "rem ho default\n"
      "single\n");
  EXPECT_FALSE(vr(c, "westford").nat_t);
  EXPECT_EQ(vr(c, "westford").pools.size(), 1u);
  EXPECT_TRUE(vr(c, "westford").destination_profiles.at(0).hosts.at(0).single_shot);
  c = parse_ok(
      "ipsec isakmp 3\nencr aes2\nhash sha2\ngroup 14\nauth rsa\n"
      "ipsec transport profile p ip address 198.18.0.2\napp l2tp-nat\npre k\n"
      "transform-set esp-aes128-sha esp-3des-sha2\n");
  EXPECT_EQ(c.isakmp_rules.at(0).encryption, IkeEncryption::kAes256);
  EXPECT_EQ(c.isakmp_rules.at(0).hash, IkeHash::kSha256);
  EXPECT_EQ(c.isakmp_rules.at(0).authentication, IkeAuthentication::kRsaSig);
  EXPECT_EQ(c.transport_profiles.at(0).application, TransportApplication::kL2tpNatPassthrough);
  EXPECT_EQ(to_string(c.transport_profiles.at(0).transforms.at(1)), "esp-3des-sha256");
  // Keywords are not case sensitive; values keep their case.
  c = parse_ok("HOSTNAME Boston\nIPSEC OPTION NAT-T\n");
  EXPECT_EQ(c.hostname, "Boston");

  EXPECT_EQ(errors_of("l2tp d 5").at(0),
            "test.cfg:1: \"l2tp d 5\": ambiguous \"d\" (could be: destination, destruct-timeout)");
  EXPECT_EQ(errors_of("ipsec isakmp-policy-rule 1\nencryption aes1\n").at(0),
            "test.cfg:2: \"encryption aes1\": ambiguous \"aes1\" (could be: aes128, aes192)");
  // Numbers are never abbreviated: "1" is not group 14.
  EXPECT_EQ(errors_of("ipsec isakmp-policy-rule 1\ngroup 1\n").at(0),
            "test.cfg:2: \"group 1\": unknown option \"1\" (expected: 2, 5, 14, 19, 20)");
}

TEST(ConfigParse, ErrorsNameFileLineTextAndWhatWasExpected) {
  const std::string text =
      "hostname boston\n"
      "virtual-router westford\n"
      "ipsec option nat-x\n";
  ParseResult r = parse(text, "boston.cfg");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].file, "boston.cfg");
  EXPECT_EQ(r.errors[0].line, 3);
  EXPECT_EQ(r.errors[0].text, "ipsec option nat-x");
  EXPECT_EQ(r.errors[0].to_string(),
            "boston.cfg:3: \"ipsec option nat-x\": unknown option \"nat-x\" (expected: "
            "aggressive-mode, nat-t)");

  EXPECT_EQ(errors_of("ipsec option").at(0),
            "test.cfg:1: \"ipsec option\": incomplete command (expected: aggressive-mode, nat-t)");
  EXPECT_EQ(errors_of("ipsec option nat-t now").at(0),
            "test.cfg:1: \"ipsec option nat-t now\": unexpected \"now\" (expected: end of "
            "command)");
  EXPECT_EQ(errors_of("ip local pool corp 198.19.0.300 198.19.0.5").at(0),
            "test.cfg:1: \"ip local pool corp 198.19.0.300 198.19.0.5\": invalid IP address "
            "\"198.19.0.300\" for <start-address> (expected: A.B.C.D)");
  EXPECT_EQ(errors_of("ip local pool corp").at(0),
            "test.cfg:1: \"ip local pool corp\": incomplete command (expected: <start-address> "
            "(A.B.C.D), <address> (A.B.C.D))");
  EXPECT_EQ(errors_of("ppp authentication").at(0),
            "test.cfg:1: \"ppp authentication\": incomplete command (expected: pap, chap, "
            "ms-chap-v2)");
  EXPECT_EQ(errors_of("ppp authentication chap eap").at(0),
            "test.cfg:1: \"ppp authentication chap eap\": unknown option \"eap\" (expected: pap, "
            "chap, ms-chap-v2, end of command)");
  EXPECT_EQ(errors_of("hostname \"unterminated").at(0),
            "test.cfg:1: \"hostname \"unterminated\": unterminated quoted string");
  // Inside a submode, the error of the mode that understood the most of the line is reported.
  EXPECT_EQ(errors_of("l2tp destination profile a ip address 0.0.0.0\nremote host h\n"
                      "ipsec option nat-x\n")
                .at(0),
            "test.cfg:3: \"ipsec option nat-x\": unknown option \"nat-x\" (expected: "
            "aggressive-mode, nat-t)");
  EXPECT_EQ(errors_of("ipsec isakmp-policy-rule 1\nlifetime 10\n").at(0),
            "test.cfg:2: \"lifetime 10\": 10 is out of range for <seconds> (expected: 60-86400)");
}

TEST(ConfigParse, EveryBadLineIsReportedAndNothingIsApplied) {
  const std::string text =
      "hostname ok\n"
      "bogus one\n"
      "ipsec option nat-x\n"
      "\n"
      "ip local pool p 1.2.3\n";
  ParseResult r = parse(text, "x.cfg");
  EXPECT_FALSE(r.config.has_value());
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_EQ(r.errors[0].line, 2);
  EXPECT_EQ(r.errors[1].line, 3);
  EXPECT_EQ(r.errors[2].line, 5);

  ConfigStore store(parse_ok("hostname before\nip local pool p 198.19.0.10 198.19.0.20\n"));
  const RouterConfig before = store.current();
  auto errors = store.apply("hostname after\nno ip local pool p\nipsec option nat-x\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(store.current(), before) << "an error leaves the previous config in effect";
  errors = store.replace("hostname after\nfrobnicate\n");
  EXPECT_EQ(errors.size(), 1u);
  EXPECT_EQ(store.current(), before);

  errors = store.apply("hostname after\nno ip local pool p\n", "cli");
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(store.current().hostname, "after");
  EXPECT_TRUE(vr(store.current()).pools.empty());
  errors = store.replace("ip local pool q 198.19.0.10 198.19.0.20\n");
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(store.current().hostname, factory_config().hostname) << "replace starts from scratch";
}

TEST(ConfigParse, GarbageNeverCrashes) {
  // Random bytes and random token soups: always a clean result, never an exception.
  std::uint32_t state = 12345;
  auto next = [&] {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
  };
  const char* words[] = {
      "no",      "ipsec",   "l2tp",     "ip",      "pool", "remote",         "host",      "exit",
      "end",     "\"",      "0.0.0.0",  "999",     "-1",   "default",        "local",     "aaa",
      "group",   "14",      "lifetime", "seconds", "!",    "virtual-router", "transport", "profile",
      "address", "username"};
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    const int lines = static_cast<int>(next() % 8);
    for (int l = 0; l < lines; ++l) {
      const int n = static_cast<int>(next() % 7);
      for (int k = 0; k < n; ++k) {
        if (next() % 10 == 0) {
          text += static_cast<char>(next() % 256);
        } else {
          text += words[next() % (sizeof(words) / sizeof(words[0]))];
        }
        text += ' ';
      }
      text += '\n';
    }
    ParseResult r;
    EXPECT_NO_THROW(r = parse(text, "fuzz.cfg"));
    EXPECT_EQ(r.ok(), r.errors.empty());
  }
}

TEST(ConfigParse, ReadsFilesAndReportsUnreadableOnes) {
  const auto path = std::filesystem::temp_directory_path() / "l2sec_config_test_boston.cfg";
  {
    std::ofstream out(path);
    out << "hostname boston\nipsec option nat-x\n";
  }
  ParseResult r = parse_file(path);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].to_string(), path.string() +
                                         ":2: \"ipsec option nat-x\": unknown option \"nat-x\" "
                                         "(expected: aggressive-mode, nat-t)");
  {
    std::ofstream out(path);
    out << "hostname boston\n";
  }
  r = parse_file(path);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config->hostname, "boston");
  std::filesystem::remove(path);
  r = parse_file(path);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].to_string(), path.string() + ": cannot read the file");
}

}  // namespace
}  // namespace l2sec::config::test

namespace l2sec::config::test {
namespace {

TEST(ConfigLookups, PreSharedKeyPrecedence) {
  RouterConfig c = parse_ok(
      "ipsec transport profile t ip address 198.18.0.2\napplication l2tp\npre-share group\nexit\n"
      "ipsec key manual pre-share 198.18.7.7\nkey peer\nexit\n"
      "ipsec key manual pre-share 0.0.0.0\nkey wildcard\nexit\n");
  auto key = [&](std::string_view local, std::string_view peer) {
    const std::string* k = find_pre_shared_key(c, "default", ip(local), ip(peer));
    return k != nullptr ? *k : std::string("<none>");
  };
  EXPECT_EQ(key("198.18.0.2", "198.18.7.7"), "peer");
  EXPECT_EQ(key("198.18.0.2", "198.18.7.8"), "wildcard");  // before the group key (JUNOSe)
  EXPECT_EQ(key("198.18.0.3", "198.18.7.8"), "wildcard");
  c.manual_keys.pop_back();
  EXPECT_EQ(key("198.18.0.2", "198.18.7.8"), "group");
  EXPECT_EQ(key("198.18.0.3", "198.18.7.8"), "<none>");
  EXPECT_EQ(find_pre_shared_key(factory_config(), "default", ip("198.18.0.2"), 1), nullptr);
}

TEST(ConfigParse, LongNoFormsAndOuterCommandsInSubmodes) {
  auto c = parse_ok(std::string(kProfile) +
                    "l2tp destination profile d ip address 198.18.9.9\nexit\n"
                    "no l2tp destination profile d ip address 198.18.9.9\n"
                    "no ipsec transport profile p ip address 198.18.0.2\n");
  EXPECT_TRUE(vr(c).destination_profiles.empty());
  EXPECT_TRUE(c.transport_profiles.empty());

  // In the loopback's mode, `ip address` is the loopback's and `ip local pool` is global's.
  c = parse_ok(
      "interface loopback 0\n"
      "ip address 198.19.0.1 255.255.255.255\n"
      "ip local pool p 198.19.0.10 198.19.0.20\n");
  EXPECT_EQ(vr(c).loopbacks.at(0).address, ip("198.19.0.1"));
  EXPECT_EQ(vr(c).pools.size(), 1u);
  EXPECT_EQ(errors_of("interface loopback 0\nip local pool p 198.19.0.10 198.19.0.20\n"
                      "ip address 198.19.0.2 255.255.255.255\n")
                .at(0),
            "test.cfg:3: \"ip address 198.19.0.2 255.255.255.255\": unknown option \"address\" "
            "(expected: local, unnumbered)");

  // virtual-router from a submode leaves it and switches the context.
  c = parse_ok(
      "l2tp destination profile d ip address 0.0.0.0\nremote host h\n"
      "virtual-router w\nl2tp destination profile e ip address 0.0.0.0\n");
  EXPECT_EQ(vr(c).destination_profiles.size(), 1u);
  EXPECT_EQ(vr(c, "w").destination_profiles.at(0).name, "e");
}

TEST(ConfigParse, ByteOrderMarkAndCrLf) {
  const RouterConfig c = parse_ok("\xEF\xBB\xBFhostname bom\r\nip local pool p 198.19.0.10\r\n");
  EXPECT_EQ(c.hostname, "bom");
  EXPECT_EQ(vr(c).pools.at(0).end, ip("198.19.0.10"));
}

}  // namespace
}  // namespace l2sec::config::test
