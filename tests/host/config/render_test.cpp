// render(): the canonical text, and parse(render(c)) == c over hand-written and random configs.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "test_util.hpp"

namespace l2sec::config::test {
namespace {

void expect_round_trip(const RouterConfig& c) {
  const std::string text = render(c);
  ParseResult r = parse(text, "rendered.cfg");
  std::string all;
  for (const auto& e : r.errors) all += e.to_string() + "\n";
  ASSERT_TRUE(r.ok()) << all << "---\n" << text;
  EXPECT_EQ(*r.config, c) << text;
  EXPECT_EQ(render(*r.config), text) << "render is canonical";
}

TEST(ConfigRender, FactoryConfigIsShort) {
  EXPECT_EQ(render(factory_config()),
            "! l2sec configuration\n"
            "hostname l2sec\n"
            "virtual-router default\n"
            "end\n");
  expect_round_trip(factory_config());
}

TEST(ConfigRender, CanonicalText) {
  const RouterConfig c = parse_ok(
      "hostname boston\n"
      "l2tp destruct-timeout 300\n"
      "virtual-router westford\n"
      "no ipsec option nat-t\n"
      "ipsec transport profile west ip address 198.18.0.7\n"
      "pre-share \"two words\"\n"
      "application l2tp\n"
      "pfs group 5\n"
      "transform-set esp-aes192-sha256\n"
      "lifetime kilobytes 100\n"
      "l2tp destination profile boston4 ip address 0.0.0.0\n"
      "remote host default\n"
      "single-shot-tunnel\n"
      "enable ipsec-transport\n"
      "ipsec isakmp-policy-rule 10\n"
      "group 14\n"
      "username alice password \"quote\\\"d\"\n");
  EXPECT_EQ(render(c),
            "! boston configuration\n"
            "hostname boston\n"
            "l2tp destruct-timeout 300\n"
            "aaa local database default\n"
            "  username alice password \"quote\\\"d\"\n"
            "  exit\n"
            "ipsec isakmp-policy-rule 10\n"
            "  group 14\n"
            "  exit\n"
            "ipsec transport profile west virtual-router westford ip address 198.18.0.7\n"
            "  application l2tp\n"
            "  pre-share \"two words\"\n"
            "  transform-set esp-aes192-sha256\n"
            "  pfs group 5\n"
            "  lifetime kilobytes 100\n"
            "  exit\n"
            "virtual-router default\n"
            "virtual-router westford\n"
            "no ipsec option nat-t\n"
            "l2tp destination profile boston4 ip address 0.0.0.0\n"
            "  remote host default\n"
            "    enable ipsec-transport\n"
            "    single-shot-tunnel\n"
            "    exit\n"
            "  exit\n"
            "virtual-router default\n"
            "end\n");
  expect_round_trip(c);
}

TEST(ConfigRender, HandWrittenConfigsRoundTrip) {
  expect_round_trip(parse_ok(default_config_text()));
  expect_round_trip(parse_ok(
      "hostname \"!odd name\"\n"
      "aaa local database empty\nexit\n"
      "ipsec key manual pre-share 0.0.0.0\nkey \"a \\\\ b\"\nexit\n"
      "ipsec isakmp-policy-rule 9999\nencryption aes192\nhash sha2-256\ngroup 20\n"
      "authentication rsa-sig\nlifetime 60\nexit\n"
      "ipsec ca-certificate \"/etc/l2sec/ca cert.pem\"\n"
      "ipsec certificate /etc/l2sec/gw.pem private-key /etc/l2sec/gw.key\n"
      "ipsec transport profile t ip address 198.18.0.2\napplication l2tp\npre-share k\nexit\n"
      "l2tp destination profile none ip address 198.18.44.1\nexit\n"
      "l2tp destination profile hosts ip address 0.0.0.0\nremote host lac1\n"
      "tunnel password tp\nprofile prof\nlocal ip address 198.18.0.2\nexit\n"
      "remote host default\nexit\nexit\n"
      "interface loopback 7\nexit\n"
      "ip local pool single 198.19.9.9\n"));
  expect_round_trip(
      parse_ok("virtual-router a\nvirtual-router b\nip local pool p 198.19.0.10 198.19.0.20\n"
               "aaa dns secondary 198.19.0.54\nppp authentication pap\n"
               "interface loopback 1\nip address 198.19.5.1 255.255.255.0\nexit\n"
               "ip unnumbered loopback 1\n"
               "l2tp tunnel hello 0\nl2tp tunnel idle-timeout 86400\n"));
}

// ---- Random configurations --------------------------------------------------------------------

class Gen {
 public:
  explicit Gen(unsigned seed) : rng_(seed) {}

  std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>(rng_() % n); }
  bool coin() { return below(2) == 1; }

  // Names and secrets with the characters a config file can hold, quotes and spaces included.
  std::string text(bool plain) {
    static const std::string safe =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@";
    static const std::string odd = " \"\\!#\t{}<>|";
    std::string out;
    const std::uint32_t n = 1 + below(12);
    for (std::uint32_t i = 0; i < n; ++i) {
      if (!plain && below(4) == 0) {
        out += odd[below(static_cast<std::uint32_t>(odd.size()))];
      } else {
        out += safe[below(static_cast<std::uint32_t>(safe.size()))];
      }
    }
    return out;
  }

  template <typename T>
  void shuffle(std::vector<T>& v) {
    std::shuffle(v.begin(), v.end(), rng_);
  }

  RouterConfig config() {
    RouterConfig c = factory_config();
    c.hostname = text(false);
    c.l2tp.hello_interval = below(3601);
    c.l2tp.idle_timeout = below(86401);
    c.l2tp.destruct_timeout = 10 + below(3591);

    const std::uint32_t n_db = below(3);
    for (std::uint32_t d = 0; d < n_db; ++d) {
      LocalDatabase db{d == 0 && coin() ? "default" : "db" + std::to_string(d), {}};
      const std::uint32_t n_users = below(4);
      for (std::uint32_t u = 0; u < n_users; ++u) {
        db.users.push_back({text(true) + std::to_string(u), text(false)});
      }
      c.local_databases.push_back(db);
    }

    for (std::uint32_t k = 0, n = below(3); k < n; ++k) {
      c.manual_keys.push_back({0xc6120000u + k * 7u + 1u, text(false)});
    }

    std::vector<std::uint32_t> priorities;
    for (std::uint32_t k = 0, n = below(4); k < n; ++k)
      priorities.push_back(1 + k * 1000 + below(999));
    for (auto p : priorities) {
      IsakmpPolicyRule r;
      r.priority = p;
      r.encryption = static_cast<IkeEncryption>(below(4));
      r.hash = coin() ? IkeHash::kSha1 : IkeHash::kSha256;
      const DhGroup groups[] = {DhGroup::k2, DhGroup::k5, DhGroup::k14, DhGroup::k19, DhGroup::k20};
      r.group = groups[below(5)];
      r.authentication = coin() ? IkeAuthentication::kPreShare : IkeAuthentication::kRsaSig;
      r.lifetime_seconds = 60 + below(86341);
      c.isakmp_rules.push_back(r);
      if (r.authentication == IkeAuthentication::kRsaSig || below(4) == 0) {
        c.ca_certificate = "/" + text(false);
        c.certificate = "/" + text(false);
        c.private_key = "/" + text(false);
      }
    }

    const std::uint32_t n_vr = 1 + below(3);
    for (std::uint32_t v = 1; v < n_vr; ++v) {
      VirtualRouter vr;
      vr.name = "vr" + std::to_string(v) + text(true);
      c.virtual_routers.push_back(vr);
    }
    for (std::uint32_t v = 0; v < c.virtual_routers.size(); ++v) {
      VirtualRouter& vr = c.virtual_routers[v];
      const Ipv4 corp = 0xc6130000u | (v << 8);  // 198.19.v.0
      vr.nat_t = coin();
      vr.aggressive_mode = coin();
      if (!c.local_databases.empty() && coin()) {
        vr.local_database =
            c.local_databases[below(static_cast<std::uint32_t>(c.local_databases.size()))].name;
      }
      if (coin()) vr.dns_primary = corp + 53;
      if (coin()) vr.dns_secondary = corp + 54;
      std::vector<PppAuthentication> methods = {PppAuthentication::kPap, PppAuthentication::kChap,
                                                PppAuthentication::kMsChapV2};
      shuffle(methods);
      methods.resize(below(4));
      vr.ppp_authentication = methods;
      if (coin()) {
        Loopback lo;
        lo.number = below(100);
        lo.address = corp + 1;
        lo.mask = ~((1u << below(9)) - 1u);
        vr.loopbacks.push_back(lo);
        if (coin()) vr.unnumbered_loopback = lo.number;
      }
      for (std::uint32_t k = 0, n = below(4); k < n; ++k) {
        vr.pools.push_back({"pool" + std::to_string(k) + text(true), corp + 10 * k + 10,
                            corp + 10 * k + 10 + below(10)});
      }

      TransportProfile p;
      p.name = "tp" + std::to_string(v) + text(true);
      p.virtual_router = vr.name;
      p.local_address = 0xc6120002u + (v << 8);  // 198.18.v.2
      p.application =
          coin() ? TransportApplication::kL2tp : TransportApplication::kL2tpNatPassthrough;
      p.pre_shared_key = text(false);
      std::vector<Transform> all;
      for (auto cipher :
           {EspCipher::k3des, EspCipher::kAes128, EspCipher::kAes192, EspCipher::kAes256}) {
        for (auto integrity : {EspIntegrity::kHmacSha1, EspIntegrity::kHmacSha256}) {
          all.push_back({cipher, integrity});
        }
      }
      shuffle(all);
      all.resize(below(7));
      p.transforms = all;
      const DhGroup groups[] = {DhGroup::k2, DhGroup::k5, DhGroup::k14, DhGroup::k19, DhGroup::k20};
      if (coin()) p.pfs_group = groups[below(5)];
      p.lifetime_seconds = 120 + below(86281);
      p.lifetime_kilobytes = coin() ? 0 : rng_() % 4294967296ull;
      p.sha256_96 = coin();
      if (coin()) c.transport_profiles.push_back(p);
      const bool has_transport =
          !c.transport_profiles.empty() && c.transport_profiles.back().virtual_router == vr.name;

      for (std::uint32_t d = 0, n = below(3); d < n; ++d) {
        DestinationProfile dest;
        dest.name = "dest" + std::to_string(d) + text(true);
        dest.address = coin() ? 0 : 0xc6120000u + 100 + d;
        for (std::uint32_t h = 0, nh = below(3); h < nh; ++h) {
          HostProfile host;
          host.remote_host = h == 0 ? "default" : "lac" + std::to_string(h) + text(true);
          host.ipsec_transport = has_transport && coin();
          host.single_shot = coin();
          if (coin()) host.local_address = 0xc6120002u + (v << 8);
          if (coin()) host.tunnel_password = text(false);
          if (coin()) host.profile = text(true);
          dest.hosts.push_back(host);
        }
        vr.destination_profiles.push_back(dest);
      }
    }
    return c;
  }

 private:
  std::mt19937_64 rng_;
};

TEST(ConfigRender, RandomConfigsRoundTrip) {
  for (unsigned seed = 1; seed <= 300; ++seed) {
    Gen gen(seed);
    const RouterConfig c = gen.config();
    const auto problems = validate(c);
    ASSERT_TRUE(problems.empty()) << "seed " << seed << ": " << problems.front().where << ": "
                                  << problems.front().message;
    SCOPED_TRACE("seed " + std::to_string(seed));
    expect_round_trip(c);
    if (HasFatalFailure() || HasNonfatalFailure()) break;
  }
}

TEST(ConfigRender, RoundTripDetectsADifference) {
  // The property is not vacuous: a config that differs renders differently.
  Gen gen(7);
  const RouterConfig a = gen.config();
  RouterConfig b = a;
  b.virtual_routers[0].nat_t = !b.virtual_routers[0].nat_t;
  EXPECT_NE(render(a), render(b));
  EXPECT_NE(*parse(render(b)).config, a);
}

}  // namespace
}  // namespace l2sec::config::test
