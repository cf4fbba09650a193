// The command language: a table of command patterns per mode, matched token by token with
// unambiguous keyword prefixes (like the router's CLI), and the handlers that change the data.
#include "l2sec/config/parser.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "l2sec/golden/bytes.hpp"

namespace l2sec::config {

std::string Diagnostic::to_string() const {
  std::string out = file;
  if (line > 0) {
    out += ":" + std::to_string(line) + ": \"" + text + "\"";
  }
  out += ": " + message;
  return out;
}

namespace {

// ---- Modes ------------------------------------------------------------------------------------

enum class Mode { kConfig, kIsakmp, kTransport, kManualKey, kDest, kHost, kLocalDb, kLoopback };

Mode parent(Mode m) { return m == Mode::kHost ? Mode::kDest : Mode::kConfig; }

// ---- Patterns ---------------------------------------------------------------------------------

enum class Kind { kKeyword, kChoice, kWord, kIp, kNumber };

struct Elem {
  Kind kind = Kind::kKeyword;
  std::vector<std::string> words;  // keyword or choice
  std::string label;               // <label> of a parameter
  std::uint64_t lo = 0, hi = 0;    // number range
  bool repeat = false;             // one or more
  bool exact = false;              // choice matched only in full (numbers)
};

struct Ctx;
using Args = std::vector<std::string>;
using Handler = std::function<std::optional<std::string>(Ctx&, const Args&)>;

struct Spec {
  Mode mode;
  std::vector<Elem> elems;
  Handler handler;
};

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto pos = s.find(sep, start);
    out.emplace_back(s.substr(start, pos == std::string_view::npos ? s.npos : pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

// Pattern syntax: keyword | {a|b} | {=2|5} (exact-only choice) | <label> | <label:ip> |
// <label:lo-hi>; a trailing "..." repeats the element one or more times.
Elem parse_elem(std::string tok) {
  Elem e;
  if (tok.size() > 3 && tok.ends_with("...")) {
    e.repeat = true;
    tok.resize(tok.size() - 3);
  }
  if (tok.front() == '{') {
    e.kind = Kind::kChoice;
    std::string body = tok.substr(1, tok.size() - 2);
    if (body.front() == '=') {
      e.exact = true;
      body.erase(0, 1);
    }
    e.words = split(body, '|');
  } else if (tok.front() == '<') {
    const std::string body = tok.substr(1, tok.size() - 2);
    const auto colon = body.find(':');
    e.kind = Kind::kWord;
    e.label = "<" + body.substr(0, colon) + ">";
    if (colon != std::string::npos) {
      const std::string type = body.substr(colon + 1);
      if (type == "ip") {
        e.kind = Kind::kIp;
      } else {
        const auto dash = type.find('-');
        e.kind = Kind::kNumber;
        e.lo = std::stoull(type.substr(0, dash));
        e.hi = std::stoull(type.substr(dash + 1));
      }
    }
  } else {
    e.words = {tok};
  }
  return e;
}

std::vector<std::string> describe(const Elem& e) {
  switch (e.kind) {
    case Kind::kKeyword:
    case Kind::kChoice:
      return e.words;
    case Kind::kWord:
      return {e.label};
    case Kind::kIp:
      return {e.label + " (A.B.C.D)"};
    case Kind::kNumber:
      return {e.label + " (" + std::to_string(e.lo) + "-" + std::to_string(e.hi) + ")"};
  }
  return {};
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

enum class Hit { kExact, kParam, kPrefix, kNone };

struct ElemMatch {
  Hit hit = Hit::kNone;
  std::vector<std::string> values;  // the value; several words for an ambiguous prefix
  std::string error;                // why a parameter refused the token
};

ElemMatch match_elem(const Elem& e, const std::string& token) {
  ElemMatch m;
  switch (e.kind) {
    case Kind::kKeyword:
    case Kind::kChoice: {
      const std::string t = lower(token);
      for (const auto& w : e.words) {
        if (w == t) {
          m.hit = Hit::kExact;
          m.values = {w};
          return m;
        }
      }
      if (e.exact) return m;
      for (const auto& w : e.words) {
        if (w.starts_with(t)) m.values.push_back(w);
      }
      if (!m.values.empty()) m.hit = Hit::kPrefix;
      return m;
    }
    case Kind::kWord:
      m.hit = Hit::kParam;
      m.values = {token};
      return m;
    case Kind::kIp: {
      if (auto a = ipv4_from_string(token)) {
        m.hit = Hit::kParam;
        m.values = {ipv4_to_string(*a)};
      } else {
        m.error = "invalid IP address \"" + token + "\" for " + e.label + " (expected: A.B.C.D)";
      }
      return m;
    }
    case Kind::kNumber: {
      const std::string range = std::to_string(e.lo) + "-" + std::to_string(e.hi);
      const bool digits =
          !token.empty() && token.size() <= 19 &&
          std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!digits) {
        m.error = "\"" + token + "\" is not a number for " + e.label + " (expected: " + range + ")";
        return m;
      }
      const std::uint64_t v = std::stoull(token);
      if (v < e.lo || v > e.hi) {
        m.error = token + " is out of range for " + e.label + " (expected: " + range + ")";
        return m;
      }
      m.hit = Hit::kParam;
      m.values = {std::to_string(v)};
      return m;
    }
  }
  return m;
}

struct Cand {
  const Spec* spec;
  Args args;
};

const Elem* elem_at(const Spec& s, std::size_t i) {
  if (i < s.elems.size()) return &s.elems[i];
  if (!s.elems.empty() && s.elems.back().repeat) return &s.elems.back();
  return nullptr;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

// The expected alternatives at position i, keywords first in alphabetical order, then parameters.
std::string expected_at(const std::vector<Cand>& cands, std::size_t i) {
  std::vector<std::string> keywords, params;
  bool only_keywords = true;  // then sorted; a choice keeps its own order (e.g. DH groups)
  bool end_ok = false;
  for (const auto& c : cands) {
    const Elem* e = elem_at(*c.spec, i);
    if (e == nullptr || (i >= c.spec->elems.size() && e->repeat)) end_ok = true;
    if (e == nullptr) continue;
    const bool keyword = e->kind == Kind::kKeyword || e->kind == Kind::kChoice;
    if (e->kind == Kind::kChoice) only_keywords = false;
    auto& list = keyword ? keywords : params;
    for (auto& d : describe(*e)) {
      if (std::find(list.begin(), list.end(), d) == list.end()) list.push_back(d);
    }
  }
  if (only_keywords) std::sort(keywords.begin(), keywords.end());
  std::vector<std::string> all = keywords;
  all.insert(all.end(), params.begin(), params.end());
  if (end_ok) all.push_back("end of command");
  return join(all);
}

struct MatchResult {
  const Spec* spec = nullptr;
  Args args;
  std::size_t depth = 0;  // tokens matched before the error
  std::string error;
};

MatchResult match(const std::vector<Spec>& specs, Mode mode, const std::vector<std::string>& tok) {
  std::vector<Cand> cands;
  for (const auto& s : specs) {
    if (s.mode == mode) cands.push_back({&s, {}});
  }
  MatchResult r;
  for (std::size_t i = 0; i < tok.size(); ++i) {
    std::vector<Cand> exact, params, prefixes;
    std::set<std::string> prefix_words;
    std::string param_error;
    for (const auto& c : cands) {
      const Elem* e = elem_at(*c.spec, i);
      if (e == nullptr) continue;
      ElemMatch m = match_elem(*e, tok[i]);
      Cand next = c;
      if (e->kind != Kind::kKeyword && m.values.size() == 1) next.args.push_back(m.values[0]);
      switch (m.hit) {
        case Hit::kExact:
          exact.push_back(std::move(next));
          break;
        case Hit::kParam:
          params.push_back(std::move(next));
          break;
        case Hit::kPrefix:
          prefix_words.insert(m.values.begin(), m.values.end());
          if (m.values.size() == 1) prefixes.push_back(std::move(next));
          break;
        case Hit::kNone:
          if (param_error.empty()) param_error = m.error;
          break;
      }
    }
    std::vector<Cand> next;
    if (!exact.empty()) {
      next = std::move(exact);
    } else if (!params.empty()) {
      next = std::move(params);
    } else if (prefix_words.size() > 1) {
      r.depth = i;
      r.error = "ambiguous \"" + tok[i] +
                "\" (could be: " + join({prefix_words.begin(), prefix_words.end()}) + ")";
      return r;
    } else if (!prefixes.empty()) {
      next = std::move(prefixes);
    } else {
      r.depth = i;
      if (!param_error.empty()) {
        r.error = param_error;
      } else if (i == 0) {
        r.error = "unknown command \"" + tok[i] + "\" (expected: " + expected_at(cands, i) + ")";
      } else {
        const std::string expected = expected_at(cands, i);
        r.error = (expected == "end of command" ? "unexpected \"" : "unknown option \"") + tok[i] +
                  "\" (expected: " + expected + ")";
      }
      return r;
    }
    cands = std::move(next);
  }
  for (const auto& c : cands) {
    if (tok.size() >= c.spec->elems.size()) {
      r.spec = c.spec;
      r.args = c.args;
      r.depth = tok.size();
      return r;
    }
  }
  r.depth = tok.size();
  r.error = "incomplete command (expected: " + expected_at(cands, tok.size()) + ")";
  return r;
}

// ---- Parser state and handlers ----------------------------------------------------------------

struct Ctx {
  Ctx(RouterConfig& config, std::map<std::string, int>& origin_lines)
      : cfg(config), origins(origin_lines) {}
  RouterConfig& cfg;
  std::map<std::string, int>& origins;
  int line = 0;
  Mode mode = Mode::kConfig;
  std::string vr = "default";
  // The object the current submode edits.
  std::uint32_t isakmp = 0;
  std::string transport;
  Ipv4 manual_peer = 0;
  std::string dest_vr;
  std::string dest;
  std::string host;
  std::string db;
  std::uint32_t loopback = 0;

  void introduce(const std::string& key) { origins.emplace(key, line); }
  void touch(const std::string& key) { origins[key] = line; }

  VirtualRouter* find_vr(const std::string& name) {
    for (auto& v : cfg.virtual_routers) {
      if (v.name == name) return &v;
    }
    return nullptr;
  }
  VirtualRouter& cur_vr() {
    VirtualRouter* v = find_vr(vr);
    if (v == nullptr) {  // never: the context always names an existing virtual router
      throw std::logic_error("virtual router context lost");
    }
    return *v;
  }
  std::string vr_key() const { return "virtual-router " + vr; }

  IsakmpPolicyRule* find_rule(std::uint32_t priority) {
    for (auto& r : cfg.isakmp_rules) {
      if (r.priority == priority) return &r;
    }
    return nullptr;
  }
  TransportProfile* find_transport(const std::string& name) {
    for (auto& p : cfg.transport_profiles) {
      if (p.name == name) return &p;
    }
    return nullptr;
  }
  ManualKey* find_key(Ipv4 peer) {
    for (auto& k : cfg.manual_keys) {
      if (k.peer == peer) return &k;
    }
    return nullptr;
  }
  LocalDatabase* find_db(const std::string& name) {
    for (auto& d : cfg.local_databases) {
      if (d.name == name) return &d;
    }
    return nullptr;
  }
  LocalDatabase& db_or_create(const std::string& name) {
    if (LocalDatabase* d = find_db(name)) return *d;
    cfg.local_databases.push_back({name, {}});
    introduce("aaa local database " + name);
    return cfg.local_databases.back();
  }
  DestinationProfile* find_dest(VirtualRouter& v, const std::string& name) {
    for (auto& d : v.destination_profiles) {
      if (d.name == name) return &d;
    }
    return nullptr;
  }
  DestinationProfile& cur_dest() { return *find_dest(*find_vr(dest_vr), dest); }
  HostProfile& cur_host() {
    for (auto& h : cur_dest().hosts) {
      if (h.remote_host == host) return h;
    }
    throw std::logic_error("host profile context lost");
  }
  Loopback* find_loopback(VirtualRouter& v, std::uint32_t number) {
    for (auto& l : v.loopbacks) {
      if (l.number == number) return &l;
    }
    return nullptr;
  }
};

using Result = std::optional<std::string>;
const Result kOk = std::nullopt;

Ipv4 ip_arg(const std::string& s) { return *ipv4_from_string(s); }
std::uint32_t u32_arg(const std::string& s) { return static_cast<std::uint32_t>(std::stoull(s)); }

DhGroup group_arg(const std::string& s) { return static_cast<DhGroup>(std::stoi(s)); }

IkeEncryption encryption_arg(const std::string& s) {
  if (s == "aes128") return IkeEncryption::kAes128;
  if (s == "aes192") return IkeEncryption::kAes192;
  if (s == "aes256") return IkeEncryption::kAes256;
  return IkeEncryption::k3des;
}

PppAuthentication ppp_arg(const std::string& s) {
  if (s == "pap") return PppAuthentication::kPap;
  if (s == "chap") return PppAuthentication::kChap;
  return PppAuthentication::kMsChapV2;
}

std::string transform_choice() {
  std::string out = "{";
  for (const char* c : {"3des", "aes128", "aes192", "aes256"}) {
    for (const char* a : {"sha", "sha256"}) {
      if (out.size() > 1) out += "|";
      out += std::string("esp-") + c + "-" + a;
    }
  }
  return out + "}...";
}

std::optional<std::string> set_user(Ctx& c, const std::string& db_name, const std::string& user,
                                    const std::string& password) {
  LocalDatabase& db = c.db_or_create(db_name);
  c.introduce("aaa local database " + db_name + " username " + user);
  for (auto& u : db.users) {
    if (u.name == user) {
      u.password = password;
      return kOk;
    }
  }
  db.users.push_back({user, password});
  return kOk;
}

std::optional<std::string> remove_user(Ctx& c, const std::string& db_name,
                                       const std::string& user) {
  LocalDatabase* db = c.find_db(db_name);
  if (db == nullptr) return "no local database \"" + db_name + "\"";
  auto it = std::find_if(db->users.begin(), db->users.end(),
                         [&](const LocalUser& u) { return u.name == user; });
  if (it == db->users.end()) {
    return "no user \"" + user + "\" in local database \"" + db_name + "\"";
  }
  db->users.erase(it);
  return kOk;
}

std::optional<std::string> enter_transport(Ctx& c, const std::string& name, const std::string& vr,
                                           const std::string& address) {
  const Ipv4 local = ip_arg(address);
  if (TransportProfile* p = c.find_transport(name)) {
    if (p->virtual_router != vr || p->local_address != local) {
      return "transport profile \"" + name + "\" is bound to virtual-router " + p->virtual_router +
             " ip address " + ipv4_to_string(p->local_address);
    }
  } else {
    TransportProfile profile;
    profile.name = name;
    profile.virtual_router = vr;
    profile.local_address = local;
    c.cfg.transport_profiles.push_back(profile);
    c.introduce("ipsec transport profile " + name);
  }
  c.transport = name;
  c.mode = Mode::kTransport;
  return kOk;
}

std::optional<std::string> enter_dest(Ctx& c, const std::string& name, const std::string& vr,
                                      const std::string& address) {
  VirtualRouter* v = c.find_vr(vr);
  if (v == nullptr) return "virtual router \"" + vr + "\" does not exist";
  const Ipv4 a = ip_arg(address);
  if (DestinationProfile* d = c.find_dest(*v, name)) {
    if (d->address != a) {
      return "destination profile \"" + name + "\" already has ip address " +
             ipv4_to_string(d->address);
    }
  } else {
    v->destination_profiles.push_back({name, a, {}});
    c.introduce("virtual-router " + vr + " l2tp destination profile " + name);
  }
  c.dest_vr = vr;
  c.dest = name;
  c.mode = Mode::kDest;
  return kOk;
}

std::optional<std::string> remove_dest(Ctx& c, const std::string& name) {
  auto& list = c.cur_vr().destination_profiles;
  auto it = std::find_if(list.begin(), list.end(),
                         [&](const DestinationProfile& d) { return d.name == name; });
  if (it == list.end()) {
    return "no l2tp destination profile \"" + name + "\" on virtual router " + c.vr;
  }
  list.erase(it);
  return kOk;
}

std::vector<Spec> build_specs() {
  std::vector<Spec> specs;
  auto add = [&](Mode mode, const std::string& pattern, Handler h) {
    Spec s{mode, {}, std::move(h)};
    for (auto& t : split(pattern, ' ')) s.elems.push_back(parse_elem(t));
    specs.push_back(std::move(s));
  };
  // A no form that also accepts (and ignores) the value the command was given, like the router:
  // `no pre-share oldkey` is `no pre-share`.
  auto add_no = [&](Mode mode, const std::string& pattern, const Handler& h) {
    add(mode, pattern, h);
    add(mode, pattern + " <value>...", h);
  };
  const Mode all_modes[] = {Mode::kConfig, Mode::kIsakmp, Mode::kTransport, Mode::kManualKey,
                            Mode::kDest,   Mode::kHost,   Mode::kLocalDb,   Mode::kLoopback};
  for (Mode m : all_modes) {
    add(m, "exit", [](Ctx& c, const Args&) {
      c.mode = parent(c.mode);
      return kOk;
    });
    add(m, "end", [](Ctx& c, const Args&) {
      c.mode = Mode::kConfig;
      return kOk;
    });
  }
  const Mode C = Mode::kConfig;

  // -- Global configuration ----------------------------------------------------------------------
  add(C, "hostname <name>", [](Ctx& c, const Args& a) {
    c.cfg.hostname = a[0];
    c.touch("hostname");
    return kOk;
  });
  add_no(C, "no hostname", [](Ctx& c, const Args&) {
    c.cfg.hostname = factory_config().hostname;
    return kOk;
  });
  add(C, "virtual-router <name>", [](Ctx& c, const Args& a) {
    if (c.find_vr(a[0]) == nullptr) {
      VirtualRouter v;
      v.name = a[0];
      c.cfg.virtual_routers.push_back(v);
      c.introduce("virtual-router " + a[0]);
    }
    c.vr = a[0];
    return kOk;
  });
  add(C, "no virtual-router <name>", [](Ctx& c, const Args& a) -> Result {
    if (a[0] == "default") return "the default virtual router cannot be removed";
    auto& list = c.cfg.virtual_routers;
    auto it = std::find_if(list.begin(), list.end(),
                           [&](const VirtualRouter& v) { return v.name == a[0]; });
    if (it == list.end()) return "no virtual router \"" + a[0] + "\"";
    list.erase(it);
    std::erase_if(c.cfg.transport_profiles,
                  [&](const TransportProfile& p) { return p.virtual_router == a[0]; });
    if (c.vr == a[0]) c.vr = "default";
    return kOk;
  });
  add(C, "ipsec option nat-t", [](Ctx& c, const Args&) {
    c.cur_vr().nat_t = true;
    return kOk;
  });
  add(C, "no ipsec option nat-t", [](Ctx& c, const Args&) {
    c.cur_vr().nat_t = false;
    return kOk;
  });
  add(C, "default ipsec option nat-t", [](Ctx& c, const Args&) {
    c.cur_vr().nat_t = true;
    return kOk;
  });

  add(C, "ipsec option aggressive-mode", [](Ctx& c, const Args&) {
    c.cur_vr().aggressive_mode = true;
    return kOk;
  });
  add(C, "no ipsec option aggressive-mode", [](Ctx& c, const Args&) {
    c.cur_vr().aggressive_mode = false;
    return kOk;
  });
  add(C, "default ipsec option aggressive-mode", [](Ctx& c, const Args&) {
    c.cur_vr().aggressive_mode = false;
    return kOk;
  });
  add(C, "ipsec ca-certificate <file>", [](Ctx& c, const Args& a) {
    c.cfg.ca_certificate = a[0];
    c.touch("ipsec ca-certificate");
    return kOk;
  });
  add_no(C, "no ipsec ca-certificate", [](Ctx& c, const Args&) {
    c.cfg.ca_certificate.clear();
    return kOk;
  });
  add(C, "ipsec certificate <file> private-key <key-file>", [](Ctx& c, const Args& a) {
    c.cfg.certificate = a[0];
    c.cfg.private_key = a[1];
    c.touch("ipsec certificate");
    return kOk;
  });
  add_no(C, "no ipsec certificate", [](Ctx& c, const Args&) {
    c.cfg.certificate.clear();
    c.cfg.private_key.clear();
    return kOk;
  });

  add(C, "ipsec isakmp-policy-rule <priority:1-10000>", [](Ctx& c, const Args& a) {
    const std::uint32_t p = u32_arg(a[0]);
    if (c.find_rule(p) == nullptr) {
      IsakmpPolicyRule rule;
      rule.priority = p;
      auto& rules = c.cfg.isakmp_rules;
      auto pos = std::find_if(rules.begin(), rules.end(),
                              [&](const IsakmpPolicyRule& r) { return r.priority > p; });
      rules.insert(pos, rule);
      c.introduce("ipsec isakmp-policy-rule " + a[0]);
    }
    c.isakmp = p;
    c.mode = Mode::kIsakmp;
    return kOk;
  });
  add(C, "no ipsec isakmp-policy-rule <priority:1-10000>", [](Ctx& c, const Args& a) -> Result {
    const auto n = std::erase_if(
        c.cfg.isakmp_rules, [&](const IsakmpPolicyRule& r) { return r.priority == u32_arg(a[0]); });
    if (n == 0) return "no ipsec isakmp-policy-rule " + a[0];
    return kOk;
  });

  add(C, "ipsec transport profile <name> virtual-router <vr> ip address <local-address:ip>",
      [](Ctx& c, const Args& a) { return enter_transport(c, a[0], a[1], a[2]); });
  add(C, "ipsec transport profile <name> ip address <local-address:ip>",
      [](Ctx& c, const Args& a) { return enter_transport(c, a[0], c.vr, a[1]); });
  auto remove_transport = [](Ctx& c, const Args& a) -> Result {
    const auto n = std::erase_if(c.cfg.transport_profiles,
                                 [&](const TransportProfile& p) { return p.name == a[0]; });
    if (n == 0) return "no ipsec transport profile \"" + a[0] + "\"";
    return kOk;
  };
  add(C, "no ipsec transport profile <name>", remove_transport);
  add(C, "no ipsec transport profile <name> virtual-router <vr> ip address <local-address:ip>",
      remove_transport);
  add(C, "no ipsec transport profile <name> ip address <local-address:ip>", remove_transport);

  add(C, "ipsec key manual pre-share <peer-address:ip>", [](Ctx& c, const Args& a) {
    const Ipv4 peer = ip_arg(a[0]);
    if (c.find_key(peer) == nullptr) {
      c.cfg.manual_keys.push_back({peer, {}});
      c.introduce("ipsec key manual pre-share " + a[0]);
    }
    c.manual_peer = peer;
    c.mode = Mode::kManualKey;
    return kOk;
  });
  add(C, "no ipsec key manual pre-share <peer-address:ip>", [](Ctx& c, const Args& a) -> Result {
    const auto n = std::erase_if(c.cfg.manual_keys,
                                 [&](const ManualKey& k) { return k.peer == ip_arg(a[0]); });
    if (n == 0) return "no ipsec key manual pre-share " + a[0];
    return kOk;
  });

  add(C, "l2tp destination profile <name> ip address <destination-address:ip>",
      [](Ctx& c, const Args& a) { return enter_dest(c, a[0], c.vr, a[1]); });
  add(C, "l2tp destination profile <name> ip address <destination-address:ip> virtual-router <vr>",
      [](Ctx& c, const Args& a) { return enter_dest(c, a[0], a[2], a[1]); });
  add(C, "no l2tp destination profile <name>",
      [](Ctx& c, const Args& a) { return remove_dest(c, a[0]); });
  add(C, "no l2tp destination profile <name> ip address <destination-address:ip>",
      [](Ctx& c, const Args& a) { return remove_dest(c, a[0]); });

  add(C, "l2tp tunnel hello <seconds:0-3600>", [](Ctx& c, const Args& a) {
    c.cfg.l2tp.hello_interval = u32_arg(a[0]);
    return kOk;
  });
  add_no(C, "no l2tp tunnel hello", [](Ctx& c, const Args&) {
    c.cfg.l2tp.hello_interval = L2tpTimers{}.hello_interval;
    return kOk;
  });
  add(C, "l2tp tunnel idle-timeout <seconds:0-86400>", [](Ctx& c, const Args& a) {
    c.cfg.l2tp.idle_timeout = u32_arg(a[0]);
    return kOk;
  });
  add_no(C, "no l2tp tunnel idle-timeout", [](Ctx& c, const Args&) {
    c.cfg.l2tp.idle_timeout = L2tpTimers{}.idle_timeout;
    return kOk;
  });
  add(C, "l2tp destruct-timeout <seconds:10-3600>", [](Ctx& c, const Args& a) {
    c.cfg.l2tp.destruct_timeout = u32_arg(a[0]);
    return kOk;
  });
  add_no(C, "no l2tp destruct-timeout", [](Ctx& c, const Args&) {
    c.cfg.l2tp.destruct_timeout = L2tpTimers{}.destruct_timeout;
    return kOk;
  });

  auto set_pool = [](Ctx& c, const std::string& name, Ipv4 start, Ipv4 end) {
    auto& pools = c.cur_vr().pools;
    c.touch(c.vr_key() + " ip local pool " + name);
    for (auto& p : pools) {
      if (p.name == name) {
        p.start = start;
        p.end = end;
        return kOk;
      }
    }
    pools.push_back({name, start, end});
    return kOk;
  };
  add(C, "ip local pool <name> <start-address:ip> <end-address:ip>",
      [set_pool](Ctx& c, const Args& a) { return set_pool(c, a[0], ip_arg(a[1]), ip_arg(a[2])); });
  add(C, "ip local pool <name> <address:ip>",
      [set_pool](Ctx& c, const Args& a) { return set_pool(c, a[0], ip_arg(a[1]), ip_arg(a[1])); });
  add_no(C, "no ip local pool <name>", [](Ctx& c, const Args& a) -> Result {
    const auto n = std::erase_if(c.cur_vr().pools, [&](const IpPool& p) { return p.name == a[0]; });
    if (n == 0) return "no ip local pool \"" + a[0] + "\" on virtual router " + c.vr;
    return kOk;
  });

  add(C, "aaa dns primary <address:ip>", [](Ctx& c, const Args& a) {
    c.cur_vr().dns_primary = ip_arg(a[0]);
    c.touch(c.vr_key() + " aaa dns");
    return kOk;
  });
  add(C, "aaa dns secondary <address:ip>", [](Ctx& c, const Args& a) {
    c.cur_vr().dns_secondary = ip_arg(a[0]);
    c.touch(c.vr_key() + " aaa dns");
    return kOk;
  });
  add_no(C, "no aaa dns primary", [](Ctx& c, const Args&) {
    c.cur_vr().dns_primary.reset();
    return kOk;
  });
  add_no(C, "no aaa dns secondary", [](Ctx& c, const Args&) {
    c.cur_vr().dns_secondary.reset();
    return kOk;
  });

  add(C, "aaa local database <name>", [](Ctx& c, const Args& a) {
    c.db_or_create(a[0]);
    c.db = a[0];
    c.mode = Mode::kLocalDb;
    return kOk;
  });
  add(C, "no aaa local database <name>", [](Ctx& c, const Args& a) -> Result {
    const auto n = std::erase_if(c.cfg.local_databases,
                                 [&](const LocalDatabase& d) { return d.name == a[0]; });
    if (n == 0) return "no local database \"" + a[0] + "\"";
    return kOk;
  });
  add(C, "aaa local username <user> password <password>",
      [](Ctx& c, const Args& a) { return set_user(c, "default", a[0], a[1]); });
  add(C, "aaa local username <user> password <password> database <database>",
      [](Ctx& c, const Args& a) -> Result {
        if (c.find_db(a[2]) == nullptr) return "no local database \"" + a[2] + "\"";
        return set_user(c, a[2], a[0], a[1]);
      });
  add(C, "no aaa local username <user>",
      [](Ctx& c, const Args& a) { return remove_user(c, "default", a[0]); });
  add(C, "no aaa local username <user> database <database>",
      [](Ctx& c, const Args& a) { return remove_user(c, a[1], a[0]); });
  add(C, "username <user> password <password>",
      [](Ctx& c, const Args& a) { return set_user(c, "default", a[0], a[1]); });
  add(C, "no username <user>",
      [](Ctx& c, const Args& a) { return remove_user(c, "default", a[0]); });
  add(C, "aaa local select database <database>", [](Ctx& c, const Args& a) {
    c.cur_vr().local_database = a[0];
    c.touch(c.vr_key() + " aaa local select database");
    return kOk;
  });
  add_no(C, "no aaa local select database", [](Ctx& c, const Args&) {
    c.cur_vr().local_database = "default";
    return kOk;
  });

  add(C, "interface loopback <number:0-32767>", [](Ctx& c, const Args& a) {
    const std::uint32_t n = u32_arg(a[0]);
    VirtualRouter& v = c.cur_vr();
    if (c.find_loopback(v, n) == nullptr) {
      Loopback lo;
      lo.number = n;
      v.loopbacks.push_back(lo);
      c.introduce(c.vr_key() + " interface loopback " + a[0]);
    }
    c.loopback = n;
    c.mode = Mode::kLoopback;
    return kOk;
  });
  add(C, "no interface loopback <number:0-32767>", [](Ctx& c, const Args& a) -> Result {
    const auto n = std::erase_if(c.cur_vr().loopbacks,
                                 [&](const Loopback& l) { return l.number == u32_arg(a[0]); });
    if (n == 0) return "no interface loopback " + a[0] + " on virtual router " + c.vr;
    return kOk;
  });
  add(C, "ip unnumbered loopback <number:0-32767>", [](Ctx& c, const Args& a) {
    c.cur_vr().unnumbered_loopback = u32_arg(a[0]);
    c.touch(c.vr_key() + " ip unnumbered loopback");
    return kOk;
  });
  add_no(C, "no ip unnumbered loopback", [](Ctx& c, const Args&) {
    c.cur_vr().unnumbered_loopback.reset();
    return kOk;
  });
  add(C, "ppp authentication {pap|chap|ms-chap-v2}...", [](Ctx& c, const Args& a) -> Result {
    std::vector<PppAuthentication> methods;
    for (const auto& m : a) {
      if (std::find(methods.begin(), methods.end(), ppp_arg(m)) != methods.end()) {
        return "\"" + m + "\" listed twice";
      }
      methods.push_back(ppp_arg(m));
    }
    c.cur_vr().ppp_authentication = methods;
    c.touch(c.vr_key() + " ppp authentication");
    return kOk;
  });
  add_no(C, "no ppp authentication", [](Ctx& c, const Args&) {
    c.cur_vr().ppp_authentication.clear();
    return kOk;
  });

  // -- ISAKMP policy rule (config-ipsec-isakmp-policy) -----------------------------------------
  const Mode I = Mode::kIsakmp;
  add(I, "encryption {3des|aes128|aes192|aes256}", [](Ctx& c, const Args& a) {
    c.find_rule(c.isakmp)->encryption = encryption_arg(a[0]);
    return kOk;
  });
  add_no(I, "no encryption", [](Ctx& c, const Args&) {
    c.find_rule(c.isakmp)->encryption = IsakmpPolicyRule{}.encryption;
    return kOk;
  });
  add(I, "hash {sha|sha2-256}", [](Ctx& c, const Args& a) {
    c.find_rule(c.isakmp)->hash = a[0] == "sha" ? IkeHash::kSha1 : IkeHash::kSha256;
    return kOk;
  });
  add_no(I, "no hash", [](Ctx& c, const Args&) {
    c.find_rule(c.isakmp)->hash = IsakmpPolicyRule{}.hash;
    return kOk;
  });
  add(I, "group {=2|5|14|19|20}", [](Ctx& c, const Args& a) {
    c.find_rule(c.isakmp)->group = group_arg(a[0]);
    return kOk;
  });
  add_no(I, "no group", [](Ctx& c, const Args&) {
    c.find_rule(c.isakmp)->group = IsakmpPolicyRule{}.group;
    return kOk;
  });
  add(I, "authentication {pre-share|rsa-sig}", [](Ctx& c, const Args& a) {
    c.find_rule(c.isakmp)->authentication =
        a[0] == "pre-share" ? IkeAuthentication::kPreShare : IkeAuthentication::kRsaSig;
    return kOk;
  });
  add_no(I, "no authentication", [](Ctx& c, const Args&) {
    c.find_rule(c.isakmp)->authentication = IsakmpPolicyRule{}.authentication;
    return kOk;
  });
  add(I, "lifetime <seconds:60-86400>", [](Ctx& c, const Args& a) {
    c.find_rule(c.isakmp)->lifetime_seconds = u32_arg(a[0]);
    return kOk;
  });
  add_no(I, "no lifetime", [](Ctx& c, const Args&) {
    c.find_rule(c.isakmp)->lifetime_seconds = IsakmpPolicyRule{}.lifetime_seconds;
    return kOk;
  });

  // -- IPsec transport profile (config-ipsec-transport-profile) --------------------------------
  const Mode T = Mode::kTransport;
  add(T, "application {l2tp|l2tp-nat-passthrough}", [](Ctx& c, const Args& a) {
    c.find_transport(c.transport)->application =
        a[0] == "l2tp" ? TransportApplication::kL2tp : TransportApplication::kL2tpNatPassthrough;
    return kOk;
  });
  add_no(T, "no application", [](Ctx& c, const Args&) {
    c.find_transport(c.transport)->application.reset();
    return kOk;
  });
  add(T, "pre-share <key>", [](Ctx& c, const Args& a) -> Result {
    if (a[0].empty()) return "empty preshared key";
    c.find_transport(c.transport)->pre_shared_key = a[0];
    return kOk;
  });
  add_no(T, "no pre-share", [](Ctx& c, const Args&) {
    c.find_transport(c.transport)->pre_shared_key.clear();
    return kOk;
  });
  add(T, "transform-set " + transform_choice(), [](Ctx& c, const Args& a) -> Result {
    std::vector<Transform> list;
    for (const auto& name : a) {
      const Transform t = *transform_from_string(name);
      if (std::find(list.begin(), list.end(), t) != list.end()) {
        return "\"" + name + "\" listed twice";
      }
      list.push_back(t);
    }
    if (list.size() > 6) return "at most 6 transforms";
    c.find_transport(c.transport)->transforms = list;
    return kOk;
  });
  add_no(T, "no transform-set", [](Ctx& c, const Args&) {
    c.find_transport(c.transport)->transforms.clear();
    return kOk;
  });
  add(T, "sha256-96", [](Ctx& c, const Args&) {
    c.find_transport(c.transport)->sha256_96 = true;
    return kOk;
  });
  add(T, "no sha256-96", [](Ctx& c, const Args&) {
    c.find_transport(c.transport)->sha256_96 = false;
    return kOk;
  });
  add(T, "pfs group {=2|5|14|19|20}", [](Ctx& c, const Args& a) {
    c.find_transport(c.transport)->pfs_group = group_arg(a[0]);
    return kOk;
  });
  add_no(T, "no pfs group", [](Ctx& c, const Args&) {
    c.find_transport(c.transport)->pfs_group.reset();
    return kOk;
  });
  add(T, "lifetime seconds <seconds:120-86400>", [](Ctx& c, const Args& a) {
    c.find_transport(c.transport)->lifetime_seconds = u32_arg(a[0]);
    return kOk;
  });
  add(T, "lifetime kilobytes <kilobytes:0-4294967295>", [](Ctx& c, const Args& a) {
    c.find_transport(c.transport)->lifetime_kilobytes = std::stoull(a[0]);
    return kOk;
  });
  add(T, "lifetime seconds <seconds:120-86400> kilobytes <kilobytes:0-4294967295>",
      [](Ctx& c, const Args& a) {
        c.find_transport(c.transport)->lifetime_seconds = u32_arg(a[0]);
        c.find_transport(c.transport)->lifetime_kilobytes = std::stoull(a[1]);
        return kOk;
      });
  add_no(T, "no lifetime", [](Ctx& c, const Args&) {
    TransportProfile* p = c.find_transport(c.transport);
    p->lifetime_seconds = TransportProfile{}.lifetime_seconds;
    p->lifetime_kilobytes = TransportProfile{}.lifetime_kilobytes;
    return kOk;
  });

  // -- Manual preshared key (config-manual-key) ------------------------------------------------
  add(Mode::kManualKey, "key <key>", [](Ctx& c, const Args& a) -> Result {
    if (a[0].empty()) return "empty key";
    c.find_key(c.manual_peer)->key = a[0];
    return kOk;
  });
  add_no(Mode::kManualKey, "no key", [](Ctx& c, const Args&) {
    c.find_key(c.manual_peer)->key.clear();
    return kOk;
  });

  // -- L2TP destination profile (config-l2tp-dest-profile) -------------------------------------
  add(Mode::kDest, "remote host <name>", [](Ctx& c, const Args& a) {
    DestinationProfile& d = c.cur_dest();
    const bool exists = std::any_of(d.hosts.begin(), d.hosts.end(),
                                    [&](const HostProfile& h) { return h.remote_host == a[0]; });
    if (!exists) {
      HostProfile h;
      h.remote_host = a[0];
      d.hosts.push_back(h);
      c.introduce("virtual-router " + c.dest_vr + " l2tp destination profile " + c.dest +
                  " remote host " + a[0]);
    }
    c.host = a[0];
    c.mode = Mode::kHost;
    return kOk;
  });
  add(Mode::kDest, "no remote host <name>", [](Ctx& c, const Args& a) -> Result {
    const auto n = std::erase_if(c.cur_dest().hosts,
                                 [&](const HostProfile& h) { return h.remote_host == a[0]; });
    if (n == 0) return "no remote host \"" + a[0] + "\" in destination profile " + c.dest;
    return kOk;
  });

  // -- L2TP host profile (config-l2tp-dest-profile-host) ---------------------------------------
  const Mode H = Mode::kHost;
  add(H, "enable ipsec-transport", [](Ctx& c, const Args&) {
    c.cur_host().ipsec_transport = true;
    return kOk;
  });
  add(H, "no enable ipsec-transport", [](Ctx& c, const Args&) {
    c.cur_host().ipsec_transport = false;
    return kOk;
  });
  add(H, "single-shot-tunnel", [](Ctx& c, const Args&) {
    c.cur_host().single_shot = true;
    return kOk;
  });
  add(H, "no single-shot-tunnel", [](Ctx& c, const Args&) {
    c.cur_host().single_shot = false;
    return kOk;
  });
  add(H, "local ip address <address:ip>", [](Ctx& c, const Args& a) {
    c.cur_host().local_address = ip_arg(a[0]);
    return kOk;
  });
  add_no(H, "no local ip address", [](Ctx& c, const Args&) {
    c.cur_host().local_address.reset();
    return kOk;
  });
  add(H, "tunnel password <password>", [](Ctx& c, const Args& a) -> Result {
    if (a[0].empty()) return "empty tunnel password";
    c.cur_host().tunnel_password = a[0];
    return kOk;
  });
  add_no(H, "no tunnel password", [](Ctx& c, const Args&) {
    c.cur_host().tunnel_password.clear();
    return kOk;
  });
  add(H, "profile <name>", [](Ctx& c, const Args& a) -> Result {
    if (a[0].empty()) return "empty profile name";
    c.cur_host().profile = a[0];
    return kOk;
  });
  add_no(H, "no profile", [](Ctx& c, const Args&) {
    c.cur_host().profile.clear();
    return kOk;
  });

  // -- Local user database (config-local-database) ---------------------------------------------
  add(Mode::kLocalDb, "username <user> password <password>",
      [](Ctx& c, const Args& a) { return set_user(c, c.db, a[0], a[1]); });
  add(Mode::kLocalDb, "no username <user>",
      [](Ctx& c, const Args& a) { return remove_user(c, c.db, a[0]); });

  // -- Loopback interface (config-if) ------------------------------------------------------------
  add(Mode::kLoopback, "ip address <address:ip> <mask:ip>", [](Ctx& c, const Args& a) {
    Loopback* lo = c.find_loopback(c.cur_vr(), c.loopback);
    lo->address = ip_arg(a[0]);
    lo->mask = ip_arg(a[1]);
    return kOk;
  });
  add_no(Mode::kLoopback, "no ip address", [](Ctx& c, const Args&) {
    Loopback* lo = c.find_loopback(c.cur_vr(), c.loopback);
    lo->address.reset();
    lo->mask = Loopback{}.mask;
    return kOk;
  });
  return specs;
}

const std::vector<Spec>& specs() {
  static const std::vector<Spec> table = build_specs();
  return table;
}

// ---- Lines and tokens -------------------------------------------------------------------------

// White-space separated tokens; "..." quotes (with \" and \\ inside). nullopt: unterminated.
std::optional<std::vector<std::string>> tokenize(std::string_view line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    std::string token;
    bool quoted = false;
    for (; i < line.size(); ++i) {
      const char ch = line[i];
      if (quoted) {
        if (ch == '\\' && i + 1 < line.size()) {
          token += line[++i];
        } else if (ch == '"') {
          quoted = false;
        } else {
          token += ch;
        }
      } else if (ch == '"') {
        quoted = true;
      } else if (ch == ' ' || ch == '\t') {
        break;
      } else {
        token += ch;
      }
    }
    if (quoted) return std::nullopt;
    out.push_back(std::move(token));
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

constexpr std::size_t kMaxErrors = 50;

}  // namespace

ParseResult apply(const RouterConfig& base, std::string_view text, std::string_view file) {
  ParseResult result;
  RouterConfig cfg = base;
  if (find_virtual_router(cfg, "default") == nullptr) {
    cfg.virtual_routers.insert(cfg.virtual_routers.begin(),
                               factory_config().virtual_routers.front());
  }
  std::map<std::string, int> origins;
  std::vector<std::string> lines;
  Ctx ctx(cfg, origins);
  auto error = [&](int line, std::string_view line_text, std::string message) {
    if (result.errors.size() < kMaxErrors) {
      result.errors.push_back(
          {std::string(file), line, std::string(line_text), std::move(message)});
    }
  };

  std::size_t start = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;  // a UTF-8 byte order mark
  int line_no = 0;
  while (start <= text.size()) {
    const auto nl = text.find('\n', start);
    const std::string_view raw =
        text.substr(start, nl == std::string_view::npos ? text.npos : nl - start);
    start = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    const std::string_view line = trim(raw);
    lines.emplace_back(line);
    if (line.empty() || line.front() == '!') continue;
    if (line.find('\0') != std::string_view::npos) {
      error(line_no, line, "NUL character in line");
      continue;
    }
    auto tokens = tokenize(line);
    if (!tokens) {
      error(line_no, line, "unterminated quoted string");
      continue;
    }
    ctx.line = line_no;

    // Innermost mode first, then its parents: a command of an outer mode leaves the submode.
    std::vector<Mode> chain{ctx.mode};
    while (chain.back() != Mode::kConfig) chain.push_back(parent(chain.back()));
    std::optional<MatchResult> best_error;
    bool done = false;
    for (Mode m : chain) {
      MatchResult r = match(specs(), m, *tokens);
      if (r.spec != nullptr) {
        ctx.mode = m;
        if (auto problem = r.spec->handler(ctx, r.args)) error(line_no, line, *problem);
        done = true;
        break;
      }
      if (!best_error || r.depth > best_error->depth) best_error = std::move(r);
    }
    if (!done) error(line_no, line, best_error->error);
  }

  if (result.errors.empty()) {
    for (const auto& p : validate(cfg)) {
      // The line that introduced the object, or failing that its closest enclosing object.
      std::string key = p.where;
      int line = 0;
      while (true) {
        if (auto it = origins.find(key); it != origins.end()) {
          line = it->second;
          break;
        }
        const auto space = key.rfind(' ');
        if (space == std::string::npos) break;
        key.resize(space);
      }
      error(line, line > 0 ? std::string_view(lines[static_cast<std::size_t>(line - 1)]) : "",
            p.where + ": " + p.message);
    }
  }
  if (result.errors.empty()) result.config = std::move(cfg);
  return result;
}

ParseResult parse(std::string_view text, std::string_view file) {
  return apply(factory_config(), text, file);
}

ParseResult parse_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ParseResult r;
    r.errors.push_back({path.string(), 0, "", "cannot read the file"});
    return r;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path.string());
}

ConfigStore::ConfigStore() : current_(factory_config()) {}
ConfigStore::ConfigStore(RouterConfig initial) : current_(std::move(initial)) {}

std::vector<Diagnostic> ConfigStore::apply(std::string_view text, std::string_view file) {
  ParseResult r = config::apply(current_, text, file);
  if (r.ok()) current_ = std::move(*r.config);
  return r.errors;
}

std::vector<Diagnostic> ConfigStore::replace(std::string_view text, std::string_view file) {
  ParseResult r = parse(text, file);
  if (r.ok()) current_ = std::move(*r.config);
  return r.errors;
}

RouterConfig default_config() {
  ParseResult r = parse(default_config_text(), "default.cfg");
  if (!r.ok()) throw std::logic_error("embedded configuration: " + r.errors.front().to_string());
  return std::move(*r.config);
}

}  // namespace l2sec::config
