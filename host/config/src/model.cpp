// The data model's helpers: keyword spellings, look-ups and whole-configuration validation.
#include <algorithm>
#include <set>
#include <string>

#include "l2sec/config/config.hpp"
#include "l2sec/golden/bytes.hpp"

namespace l2sec::config {

std::vector<Transform> default_transforms() {
  return {{EspCipher::kAes128, EspIntegrity::kHmacSha1},
          {EspCipher::kAes256, EspIntegrity::kHmacSha1},
          {EspCipher::k3des, EspIntegrity::kHmacSha1}};
}

std::vector<Transform> effective_transforms(const TransportProfile& profile) {
  return profile.transforms.empty() ? default_transforms() : profile.transforms;
}

RouterConfig factory_config() {
  RouterConfig config;
  VirtualRouter vr;
  vr.name = "default";
  config.virtual_routers.push_back(vr);
  return config;
}

const VirtualRouter* find_virtual_router(const RouterConfig& config, std::string_view name) {
  for (const auto& vr : config.virtual_routers) {
    if (vr.name == name) return &vr;
  }
  return nullptr;
}

const LocalDatabase* find_local_database(const RouterConfig& config, std::string_view name) {
  for (const auto& db : config.local_databases) {
    if (db.name == name) return &db;
  }
  return nullptr;
}

std::optional<Ipv4> lns_ppp_address(const VirtualRouter& vr) {
  if (!vr.unnumbered_loopback) return std::nullopt;
  for (const auto& lo : vr.loopbacks) {
    if (lo.number == *vr.unnumbered_loopback) return lo.address;
  }
  return std::nullopt;
}

bool nat_passthrough(const RouterConfig& config, std::string_view virtual_router) {
  return std::any_of(config.transport_profiles.begin(), config.transport_profiles.end(),
                     [&](const TransportProfile& p) {
                       return p.virtual_router == virtual_router &&
                              p.application == TransportApplication::kL2tpNatPassthrough;
                     });
}

const TransportProfile* find_transport_profile(const RouterConfig& config,
                                               std::string_view virtual_router, Ipv4 local) {
  for (const auto& p : config.transport_profiles) {
    if (p.virtual_router == virtual_router && p.local_address == local) return &p;
  }
  return nullptr;
}

const std::string* find_pre_shared_key(const RouterConfig& config, std::string_view virtual_router,
                                       Ipv4 local, Ipv4 peer) {
  auto manual = [&](Ipv4 address) -> const std::string* {
    for (const auto& k : config.manual_keys) {
      if (k.peer == address && !k.key.empty()) return &k.key;
    }
    return nullptr;
  };
  if (peer != 0) {
    if (const std::string* key = manual(peer)) return key;
  }
  if (const std::string* key = manual(0)) return key;
  const TransportProfile* profile = find_transport_profile(config, virtual_router, local);
  if (profile != nullptr && !profile->pre_shared_key.empty()) return &profile->pre_shared_key;
  return nullptr;
}

std::string_view to_string(IkeEncryption v) {
  switch (v) {
    case IkeEncryption::k3des:
      return "3des";
    case IkeEncryption::kAes128:
      return "aes128";
    case IkeEncryption::kAes192:
      return "aes192";
    case IkeEncryption::kAes256:
      return "aes256";
  }
  return "?";
}

std::string_view to_string(IkeHash v) { return v == IkeHash::kSha1 ? "sha" : "sha2-256"; }

std::string_view to_string(IkeAuthentication v) {
  return v == IkeAuthentication::kPreShare ? "pre-share" : "rsa-sig";
}

std::string_view to_string(TransportApplication v) {
  return v == TransportApplication::kL2tp ? "l2tp" : "l2tp-nat-passthrough";
}

std::string_view to_string(PppAuthentication v) {
  switch (v) {
    case PppAuthentication::kPap:
      return "pap";
    case PppAuthentication::kChap:
      return "chap";
    case PppAuthentication::kMsChapV2:
      return "ms-chap-v2";
  }
  return "?";
}

std::string to_string(DhGroup v) { return std::to_string(static_cast<int>(v)); }

namespace {
constexpr std::string_view kCipherNames[] = {"3des", "aes128", "aes192", "aes256"};
constexpr EspCipher kCiphers[] = {EspCipher::k3des, EspCipher::kAes128, EspCipher::kAes192,
                                  EspCipher::kAes256};
}  // namespace

std::string to_string(const Transform& t) {
  std::string out = "esp-";
  for (std::size_t i = 0; i < 4; ++i) {
    if (kCiphers[i] == t.cipher) out += kCipherNames[i];
  }
  out += t.integrity == EspIntegrity::kHmacSha1 ? "-sha" : "-sha256";
  return out;
}

std::optional<Transform> transform_from_string(std::string_view text) {
  for (std::size_t i = 0; i < 4; ++i) {
    for (auto integrity : {EspIntegrity::kHmacSha1, EspIntegrity::kHmacSha256}) {
      Transform t{kCiphers[i], integrity};
      if (to_string(t) == text) return t;
    }
  }
  return std::nullopt;
}

namespace {

bool is_unicast_host(Ipv4 a) {
  const Ipv4 first = a >> 24;
  return a != 0 && a != 0xffffffffu && first != 0 && first != 127 && first < 224;
}

std::string ip(Ipv4 a) { return ipv4_to_string(a); }

bool contiguous_mask(Ipv4 mask) {
  const Ipv4 inverted = ~mask;
  return (inverted & (inverted + 1)) == 0;
}

}  // namespace

std::vector<Problem> validate(const RouterConfig& config) {
  std::vector<Problem> out;
  auto problem = [&](std::string where, std::string message) {
    out.push_back({std::move(where), std::move(message)});
  };

  if (config.hostname.empty()) problem("hostname", "empty host name");
  if (config.virtual_routers.empty() || config.virtual_routers.front().name != "default") {
    problem("virtual-router default", "the default virtual router is missing");
  }

  // IKE: the rules are tried in priority order, so two with one priority cannot both exist.
  std::set<std::uint32_t> priorities;
  bool any_pre_share = config.isakmp_rules.empty();  // the built-in rule authenticates by PSK
  for (const auto& rule : config.isakmp_rules) {
    const std::string where = "ipsec isakmp-policy-rule " + std::to_string(rule.priority);
    if (!priorities.insert(rule.priority).second) problem(where, "duplicate priority");
    if (rule.priority < 1 || rule.priority > 10000) problem(where, "priority outside 1-10000");
    if (rule.lifetime_seconds < 60 || rule.lifetime_seconds > 86400) {
      problem(where,
              "lifetime " + std::to_string(rule.lifetime_seconds) + " outside 60-86400 seconds");
    }
    if (rule.authentication == IkeAuthentication::kPreShare) any_pre_share = true;
  }

  std::set<std::pair<std::string, Ipv4>> profile_addresses;
  std::set<std::string> profile_names;
  for (const auto& p : config.transport_profiles) {
    const std::string where = "ipsec transport profile " + p.name;
    if (!profile_names.insert(p.name).second) problem(where, "defined twice");
    if (find_virtual_router(config, p.virtual_router) == nullptr) {
      problem(where, "virtual router \"" + p.virtual_router + "\" does not exist");
    }
    if (!is_unicast_host(p.local_address)) {
      problem(where, "local address " + ip(p.local_address) + " is not a unicast host address");
    }
    if (!profile_addresses.insert({p.virtual_router, p.local_address}).second) {
      problem(where, "another transport profile already binds " + ip(p.local_address) +
                         " on virtual router " + p.virtual_router);
    }
    if (!p.application) {
      problem(where, "no application (expected: application l2tp or l2tp-nat-passthrough)");
    }
    if (any_pre_share && p.pre_shared_key.empty()) {
      problem(where, "no group preshared key (expected: pre-share <key>)");
    }
    if (p.lifetime_seconds < 120 || p.lifetime_seconds > 86400) {
      problem(where,
              "lifetime " + std::to_string(p.lifetime_seconds) + " outside 120-86400 seconds");
    }
    std::set<std::string> seen;
    for (const auto& t : p.transforms) {
      if (!seen.insert(to_string(t)).second) problem(where, "transform " + to_string(t) + " twice");
    }
  }

  std::set<Ipv4> peers;
  for (const auto& key : config.manual_keys) {
    const std::string where = "ipsec key manual pre-share " + ip(key.peer);
    if (!peers.insert(key.peer).second) problem(where, "defined twice");
    if (key.key.empty()) problem(where, "no key (expected: key <string>)");
  }

  if (config.certificate.empty() != config.private_key.empty()) {
    problem("ipsec certificate", "a certificate needs its private key and the other way round");
  }

  std::set<std::string> db_names;
  for (const auto& db : config.local_databases) {
    const std::string where = "aaa local database " + db.name;
    if (!db_names.insert(db.name).second) problem(where, "defined twice");
    std::set<std::string> users;
    for (const auto& user : db.users) {
      const std::string uwhere = where + " username " + user.name;
      if (!users.insert(user.name).second) problem(uwhere, "defined twice");
      if (user.password.empty()) problem(uwhere, "empty password");
    }
  }

  if (config.l2tp.hello_interval > 3600) problem("l2tp tunnel hello", "outside 0-3600 seconds");
  if (config.l2tp.idle_timeout > 86400) {
    problem("l2tp tunnel idle-timeout", "outside 0-86400 seconds");
  }
  if (config.l2tp.destruct_timeout < 10 || config.l2tp.destruct_timeout > 3600) {
    problem("l2tp destruct-timeout", "outside 10-3600 seconds");
  }

  std::set<std::string> vr_names;
  for (const auto& vr : config.virtual_routers) {
    const std::string where = "virtual-router " + vr.name;
    if (!vr_names.insert(vr.name).second) problem(where, "defined twice");

    if (vr.local_database != "default" &&
        find_local_database(config, vr.local_database) == nullptr) {
      problem(where + " aaa local select database",
              "local database \"" + vr.local_database + "\" does not exist");
    }
    for (auto dns : {vr.dns_primary, vr.dns_secondary}) {
      if (dns && !is_unicast_host(*dns)) {
        problem(where + " aaa dns", ip(*dns) + " is not a unicast host address");
      }
    }
    std::set<PppAuthentication> methods;
    for (auto m : vr.ppp_authentication) {
      if (!methods.insert(m).second) {
        problem(where + " ppp authentication", std::string(to_string(m)) + " listed twice");
      }
    }

    std::set<std::uint32_t> loopback_numbers;
    for (const auto& lo : vr.loopbacks) {
      const std::string lwhere = where + " interface loopback " + std::to_string(lo.number);
      if (!loopback_numbers.insert(lo.number).second) problem(lwhere, "defined twice");
      if (lo.address && !is_unicast_host(*lo.address)) {
        problem(lwhere, ip(*lo.address) + " is not a unicast host address");
      }
      if (!contiguous_mask(lo.mask)) problem(lwhere, "mask " + ip(lo.mask) + " is not contiguous");
    }
    const auto ppp_address = lns_ppp_address(vr);
    if (vr.unnumbered_loopback) {
      const std::string uwhere = where + " ip unnumbered loopback";
      if (loopback_numbers.count(*vr.unnumbered_loopback) == 0) {
        problem(uwhere, "interface loopback " + std::to_string(*vr.unnumbered_loopback) +
                            " does not exist");
      } else if (!ppp_address) {
        problem(uwhere, "interface loopback " + std::to_string(*vr.unnumbered_loopback) +
                            " has no ip address");
      }
    }

    std::set<std::string> pool_names;
    for (std::size_t i = 0; i < vr.pools.size(); ++i) {
      const auto& pool = vr.pools[i];
      const std::string pwhere = where + " ip local pool " + pool.name;
      if (!pool_names.insert(pool.name).second) problem(pwhere, "defined twice");
      if (pool.start > pool.end) {
        problem(pwhere, "start " + ip(pool.start) + " is after end " + ip(pool.end));
        continue;
      }
      if (!is_unicast_host(pool.start) || !is_unicast_host(pool.end)) {
        problem(pwhere, "range " + ip(pool.start) + "-" + ip(pool.end) +
                            " is not made of unicast host addresses");
      }
      if (ppp_address && *ppp_address >= pool.start && *ppp_address <= pool.end) {
        problem(pwhere, "contains the LNS's own PPP address " + ip(*ppp_address));
      }
      for (std::size_t j = 0; j < i; ++j) {
        const auto& other = vr.pools[j];
        if (other.start <= other.end && pool.start <= other.end && other.start <= pool.end) {
          problem(pwhere, "overlaps ip local pool " + other.name);
        }
      }
    }

    bool vr_has_transport =
        std::any_of(config.transport_profiles.begin(), config.transport_profiles.end(),
                    [&](const TransportProfile& p) { return p.virtual_router == vr.name; });
    std::set<std::string> dest_names;
    for (const auto& dest : vr.destination_profiles) {
      const std::string dwhere = where + " l2tp destination profile " + dest.name;
      if (!dest_names.insert(dest.name).second) problem(dwhere, "defined twice");
      if (dest.address != 0 && !is_unicast_host(dest.address)) {
        problem(dwhere, ip(dest.address) + " is neither 0.0.0.0 nor a host address");
      }
      std::set<std::string> hosts;
      for (const auto& host : dest.hosts) {
        const std::string hwhere = dwhere + " remote host " + host.remote_host;
        if (!hosts.insert(host.remote_host).second) problem(hwhere, "defined twice");
        if (host.ipsec_transport && !vr_has_transport) {
          problem(hwhere, "enable ipsec-transport, but virtual router " + vr.name +
                              " has no ipsec transport profile");
        }
        if (host.local_address && !is_unicast_host(*host.local_address)) {
          problem(hwhere,
                  "local ip address " + ip(*host.local_address) + " is not a unicast host address");
        }
      }
    }
  }
  return out;
}

}  // namespace l2sec::config
