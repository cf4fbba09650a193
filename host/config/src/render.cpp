// render(): the canonical CLI for a configuration, the way `show configuration` prints it.
#include <sstream>
#include <string>

#include "l2sec/config/config.hpp"
#include "l2sec/golden/bytes.hpp"

namespace l2sec::config {

namespace {

// A token the tokenizer reads back as itself: quoted when it is empty, holds white space or a
// quote or backslash, or starts with the comment character.
std::string quote(const std::string& token) {
  bool plain = !token.empty() && token.front() != '!';
  for (char c : token) {
    if (c == ' ' || c == '\t' || c == '"' || c == '\\' || c == '\r' || c == '\n') plain = false;
  }
  if (plain) return token;
  std::string out = "\"";
  for (char c : token) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

class Writer {
 public:
  void line(int depth, const std::string& text) {
    out_ << std::string(static_cast<std::size_t>(depth) * 2, ' ') << text << '\n';
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

std::string ip(Ipv4 a) { return ipv4_to_string(a); }

}  // namespace

std::string render(const RouterConfig& c) {
  const RouterConfig factory = factory_config();
  const VirtualRouter factory_vr = factory.virtual_routers.front();
  Writer w;
  w.line(0, "! " + quote(c.hostname) + " configuration");
  w.line(0, "hostname " + quote(c.hostname));

  if (c.l2tp.hello_interval != factory.l2tp.hello_interval) {
    w.line(0, "l2tp tunnel hello " + std::to_string(c.l2tp.hello_interval));
  }
  if (c.l2tp.idle_timeout != factory.l2tp.idle_timeout) {
    w.line(0, "l2tp tunnel idle-timeout " + std::to_string(c.l2tp.idle_timeout));
  }
  if (c.l2tp.destruct_timeout != factory.l2tp.destruct_timeout) {
    w.line(0, "l2tp destruct-timeout " + std::to_string(c.l2tp.destruct_timeout));
  }

  for (const auto& db : c.local_databases) {
    w.line(0, "aaa local database " + quote(db.name));
    for (const auto& user : db.users) {
      w.line(1, "username " + quote(user.name) + " password " + quote(user.password));
    }
    w.line(1, "exit");
  }

  for (const auto& key : c.manual_keys) {
    w.line(0, "ipsec key manual pre-share " + ip(key.peer));
    if (!key.key.empty()) w.line(1, "key " + quote(key.key));
    w.line(1, "exit");
  }

  if (!c.ca_certificate.empty()) w.line(0, "ipsec ca-certificate " + quote(c.ca_certificate));
  if (!c.certificate.empty()) {
    w.line(0, "ipsec certificate " + quote(c.certificate) + " private-key " + quote(c.private_key));
  }

  const IsakmpPolicyRule default_rule;
  for (const auto& rule : c.isakmp_rules) {
    w.line(0, "ipsec isakmp-policy-rule " + std::to_string(rule.priority));
    if (rule.encryption != default_rule.encryption) {
      w.line(1, "encryption " + std::string(to_string(rule.encryption)));
    }
    if (rule.hash != default_rule.hash) w.line(1, "hash " + std::string(to_string(rule.hash)));
    if (rule.group != default_rule.group) w.line(1, "group " + to_string(rule.group));
    if (rule.authentication != default_rule.authentication) {
      w.line(1, "authentication " + std::string(to_string(rule.authentication)));
    }
    if (rule.lifetime_seconds != default_rule.lifetime_seconds) {
      w.line(1, "lifetime " + std::to_string(rule.lifetime_seconds));
    }
    w.line(1, "exit");
  }

  const TransportProfile default_profile;
  for (const auto& p : c.transport_profiles) {
    w.line(0, "ipsec transport profile " + quote(p.name) + " virtual-router " +
                  quote(p.virtual_router) + " ip address " + ip(p.local_address));
    if (p.application) w.line(1, "application " + std::string(to_string(*p.application)));
    if (!p.pre_shared_key.empty()) w.line(1, "pre-share " + quote(p.pre_shared_key));
    if (!p.transforms.empty()) {
      std::string line = "transform-set";
      for (const auto& t : p.transforms) line += " " + to_string(t);
      w.line(1, line);
    }
    if (p.sha256_96) w.line(1, "sha256-96");
    if (p.pfs_group) w.line(1, "pfs group " + to_string(*p.pfs_group));
    if (p.lifetime_seconds != default_profile.lifetime_seconds) {
      w.line(1, "lifetime seconds " + std::to_string(p.lifetime_seconds));
    }
    if (p.lifetime_kilobytes != default_profile.lifetime_kilobytes) {
      w.line(1, "lifetime kilobytes " + std::to_string(p.lifetime_kilobytes));
    }
    w.line(1, "exit");
  }

  for (const auto& vr : c.virtual_routers) {
    w.line(0, "virtual-router " + quote(vr.name));
    if (vr.nat_t != factory_vr.nat_t) w.line(0, "no ipsec option nat-t");
    if (vr.aggressive_mode) w.line(0, "ipsec option aggressive-mode");
    if (vr.local_database != factory_vr.local_database) {
      w.line(0, "aaa local select database " + quote(vr.local_database));
    }
    if (vr.dns_primary) w.line(0, "aaa dns primary " + ip(*vr.dns_primary));
    if (vr.dns_secondary) w.line(0, "aaa dns secondary " + ip(*vr.dns_secondary));
    if (!vr.ppp_authentication.empty()) {
      std::string line = "ppp authentication";
      for (auto m : vr.ppp_authentication) line += " " + std::string(to_string(m));
      w.line(0, line);
    }
    for (const auto& lo : vr.loopbacks) {
      w.line(0, "interface loopback " + std::to_string(lo.number));
      if (lo.address) w.line(1, "ip address " + ip(*lo.address) + " " + ip(lo.mask));
      w.line(1, "exit");
    }
    if (vr.unnumbered_loopback) {
      w.line(0, "ip unnumbered loopback " + std::to_string(*vr.unnumbered_loopback));
    }
    for (const auto& pool : vr.pools) {
      w.line(0, "ip local pool " + quote(pool.name) + " " + ip(pool.start) + " " + ip(pool.end));
    }
    for (const auto& dest : vr.destination_profiles) {
      w.line(0, "l2tp destination profile " + quote(dest.name) + " ip address " + ip(dest.address));
      for (const auto& host : dest.hosts) {
        w.line(1, "remote host " + quote(host.remote_host));
        if (host.ipsec_transport) w.line(2, "enable ipsec-transport");
        if (host.single_shot) w.line(2, "single-shot-tunnel");
        if (host.local_address) w.line(2, "local ip address " + ip(*host.local_address));
        if (!host.tunnel_password.empty()) {
          w.line(2, "tunnel password " + quote(host.tunnel_password));
        }
        if (!host.profile.empty()) w.line(2, "profile " + quote(host.profile));
        w.line(2, "exit");
      }
      w.line(1, "exit");
    }
  }
  if (c.virtual_routers.size() > 1) w.line(0, "virtual-router default");
  w.line(0, "end");
  return w.str();
}

}  // namespace l2sec::config
