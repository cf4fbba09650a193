// One PPP link at the LNS: LCP and IPCP on the shared RFC 1661 automaton, PAP / CHAP-MD5 /
// MS-CHAPv2 as the authenticator, Protocol-Reject for everything else, IP in both directions.
#include "l2sec/ppp/session.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

#include "l2sec/log.hpp"
#include "l2sec/ppp/chap_crypto.hpp"
#include "l2sec/ppp/protocols.hpp"

namespace l2sec::ppp {

std::vector<AuthProtocol> default_auth_protocols() {
  return {AuthProtocol::kMsChapV2, AuthProtocol::kChapMd5, AuthProtocol::kPap};
}

std::string_view to_string(AuthProtocol p) {
  switch (p) {
    case AuthProtocol::kNone:
      return "none";
    case AuthProtocol::kPap:
      return "PAP";
    case AuthProtocol::kChapMd5:
      return "CHAP-MD5";
    case AuthProtocol::kMsChapV2:
      return "MS-CHAPv2";
  }
  return "?";
}

std::string_view to_string(Phase p) {
  switch (p) {
    case Phase::kDead:
      return "Dead";
    case Phase::kEstablish:
      return "Establish";
    case Phase::kAuthenticate:
      return "Authenticate";
    case Phase::kNetwork:
      return "Network";
    case Phase::kOpen:
      return "Open";
    case Phase::kTerminate:
      return "Terminate";
  }
  return "?";
}

namespace {

struct Option {
  std::uint8_t type;
  ByteView value;  // after type and length
  ByteView whole;
};

// Splits a configuration option list; false when an option's length is below 2 or runs past the
// end.
bool parse_options(ByteView in, std::vector<Option>& out) {
  std::size_t i = 0;
  while (i < in.size()) {
    if (in.size() - i < 2) return false;
    const std::size_t len = in[i + 1];
    if (len < 2 || len > in.size() - i) return false;
    out.push_back({in[i], in.subspan(i + 2, len - 2), in.subspan(i, len)});
    i += len;
  }
  return true;
}

void put_option(Bytes& out, std::uint8_t type, ByteView value) {
  out.push_back(type);
  out.push_back(static_cast<std::uint8_t>(value.size() + 2));
  out.insert(out.end(), value.begin(), value.end());
}
void put_u16(Bytes& out, std::uint8_t type, std::uint16_t v) {
  std::uint8_t b[2];
  store_be16(b, v);
  put_option(out, type, b);
}
void put_u32(Bytes& out, std::uint8_t type, std::uint32_t v) {
  std::uint8_t b[4];
  store_be32(b, v);
  put_option(out, type, b);
}

std::uint32_t random_u32() {
  std::uint32_t v = 0;
  while (v == 0) {
    std::uint8_t b[4];
    if (RAND_bytes(b, sizeof b) != 1) {
      // RAND_bytes does not fail on a seeded system; keep going with something non-zero.
      static std::uint32_t fallback = 0x5eed1234;
      fallback = fallback * 1664525u + 1013904223u;
      return fallback | 1u;
    }
    v = load_be32(b);
  }
  return v;
}

ByteView view(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string printable(ByteView b) {
  std::string s;
  for (std::uint8_t c : b.first(std::min<std::size_t>(b.size(), 64))) {
    s += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  return s;
}

std::optional<AuthProtocol> auth_from_option(ByteView value) {
  if (value.size() < 2) return std::nullopt;
  const std::uint16_t proto = load_be16(value.data());
  if (proto == kProtoPap && value.size() == 2) return AuthProtocol::kPap;
  if (proto == kProtoChap && value.size() == 3) {
    if (value[2] == kChapAlgMd5) return AuthProtocol::kChapMd5;
    if (value[2] == kChapAlgMsV2) return AuthProtocol::kMsChapV2;
  }
  return std::nullopt;
}

Bytes auth_option_value(AuthProtocol p) {
  switch (p) {
    case AuthProtocol::kPap:
      return {0xc0, 0x23};
    case AuthProtocol::kChapMd5:
      return {0xc2, 0x23, kChapAlgMd5};
    case AuthProtocol::kMsChapV2:
      return {0xc2, 0x23, kChapAlgMsV2};
    case AuthProtocol::kNone:
      break;
  }
  return {};
}

std::string hex_upper(ByteView b) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string s;
  for (std::uint8_t c : b) {
    s += kHex[c >> 4];
    s += kHex[c & 15];
  }
  return s;
}

Fsm::Options fsm_options(const Config& c) {
  Fsm::Options o;
  o.restart_timer = std::chrono::duration_cast<std::chrono::milliseconds>(c.restart_timer);
  o.max_configure = c.max_configure;
  o.max_terminate = c.max_terminate;
  o.max_failure = c.max_failure;
  return o;
}

}  // namespace

struct Session::Impl {
  Impl(const Config& c, Authenticator& a, AddressPool& p, Hooks h)
      : cfg(c),
        auth(a),
        pool(p),
        hooks(std::move(h)),
        lcp_handler(*this),
        ipcp_handler(*this),
        lcp("LCP", fsm_options(c), lcp_handler),
        ipcp("IPCP", fsm_options(c), ipcp_handler) {}

  // ---- LCP -------------------------------------------------------------------------------
  struct LcpHandler : Fsm::Handler {
    explicit LcpHandler(Impl& impl) : s(impl) {}
    Impl& s;
    // Our request.
    bool send_mru = true, send_auth = false, send_magic = true;
    std::uint16_t mru = 1500;
    std::optional<AuthProtocol> auth;  // requested now
    std::vector<AuthProtocol> tried;   // Nak'd by the peer
    std::uint32_t magic = 0;
    bool renew_magic = false;
    // The peer's acknowledged options.
    std::uint16_t peer_mru = 1500;
    std::uint32_t peer_magic = 0;
    unsigned loops = 0;

    void send_packet(ByteView packet) override { s.send(kProtoLcp, packet); }

    void reset_request() override {
      send_mru = s.cfg.mru != 0;
      mru = s.cfg.mru;
      send_magic = true;
      magic = random_u32();
      renew_magic = false;
      tried.clear();
      auth.reset();
      for (AuthProtocol p : s.cfg.auth) {
        if (p != AuthProtocol::kNone) {
          auth = p;
          break;
        }
      }
      send_auth = auth.has_value();
    }

    void build_request(Bytes& out) override {
      if (renew_magic) {
        magic = random_u32();
        renew_magic = false;
      }
      if (send_mru) put_u16(out, kLcpMru, mru);
      if (send_auth && auth) put_option(out, kLcpAuth, auth_option_value(*auth));
      if (send_magic) put_u32(out, kLcpMagic, magic);
    }

    std::optional<Fsm::Verdict> check_request(ByteView options, bool nak_allowed,
                                              Bytes& reply) override {
      std::vector<Option> opts;
      if (!parse_options(options, opts)) return std::nullopt;
      Bytes rej, nak;
      std::uint16_t new_mru = 1500;
      std::uint32_t new_magic = 0;
      for (const Option& o : opts) {
        switch (o.type) {
          case kLcpMru:
            if (o.value.size() != 2) {
              rej.insert(rej.end(), o.whole.begin(), o.whole.end());
            } else if (load_be16(o.value.data()) < 128) {
              put_u16(nak, kLcpMru, 1500);
            } else {
              new_mru = load_be16(o.value.data());
            }
            break;
          case kLcpAccm:  // synchronous link: accepted, no effect
            if (o.value.size() != 4) rej.insert(rej.end(), o.whole.begin(), o.whole.end());
            break;
          case kLcpMagic: {
            if (o.value.size() != 4) {
              rej.insert(rej.end(), o.whole.begin(), o.whole.end());
              break;
            }
            const std::uint32_t m = load_be32(o.value.data());
            if (m == 0 || (send_magic && m == magic)) {
              if (m != 0) {
                ++loops;
                renew_magic = true;
                log::warning("ppp") << "LCP: peer's magic number equals ours (" << loops
                                    << " times): looped-back link?";
              }
              std::uint32_t suggestion = random_u32();
              if (suggestion == magic) suggestion ^= 0x1;
              put_u32(nak, kLcpMagic, suggestion);
            } else {
              new_magic = m;
            }
            break;
          }
          default:  // Auth-Protocol (we do not authenticate to the client), PFC, ACFC, others
            rej.insert(rej.end(), o.whole.begin(), o.whole.end());
            break;
        }
      }
      if (!rej.empty()) {
        reply = std::move(rej);
        return Fsm::Verdict::kReject;
      }
      if (!nak.empty()) {
        if (!nak_allowed) {
          // Max-Failure: the options we would Nak are rejected instead (RFC 1661 4.6).
          for (const Option& o : opts) {
            if (o.type == kLcpMru || o.type == kLcpMagic) {
              reply.insert(reply.end(), o.whole.begin(), o.whole.end());
            }
          }
          return Fsm::Verdict::kReject;
        }
        reply = std::move(nak);
        return Fsm::Verdict::kNak;
      }
      peer_mru = new_mru;
      peer_magic = new_magic;
      return Fsm::Verdict::kAck;
    }

    bool on_nak(ByteView options) override {
      std::vector<Option> opts;
      if (!parse_options(options, opts)) return false;
      for (const Option& o : opts) {
        if (o.type == kLcpMru && o.value.size() == 2 && send_mru) {
          const std::uint16_t v = load_be16(o.value.data());
          if (v >= 128) mru = v;
        } else if (o.type == kLcpMagic && send_magic) {
          renew_magic = true;
        } else if (o.type == kLcpAuth && send_auth && auth) {
          const auto suggested = auth_from_option(o.value);
          tried.push_back(*auth);
          auto usable = [&](AuthProtocol p) {
            return p != AuthProtocol::kNone &&
                   std::find(s.cfg.auth.begin(), s.cfg.auth.end(), p) != s.cfg.auth.end() &&
                   std::find(tried.begin(), tried.end(), p) == tried.end();
          };
          std::optional<AuthProtocol> next;
          if (suggested && usable(*suggested)) {
            next = suggested;
          } else {
            for (AuthProtocol p : s.cfg.auth) {
              if (usable(p)) {
                next = p;
                break;
              }
            }
          }
          log::info("ppp") << "LCP: peer Nak'd " << to_string(*auth) << ", suggests "
                           << (suggested ? to_string(*suggested) : "something unknown")
                           << (next ? "; switching to " : "; nothing left to offer")
                           << (next ? to_string(*next) : "");
          if (next) {
            auth = next;
          } else {
            s.request_close("no authentication protocol acceptable to the client");
          }
        }
      }
      return true;
    }

    bool on_reject(ByteView options) override {
      std::vector<Option> opts;
      if (!parse_options(options, opts)) return false;
      for (const Option& o : opts) {
        if (o.type == kLcpMru && send_mru) {
          send_mru = false;
        } else if (o.type == kLcpMagic && send_magic) {
          send_magic = false;
        } else if (o.type == kLcpAuth && send_auth) {
          if (std::find(s.cfg.auth.begin(), s.cfg.auth.end(), AuthProtocol::kNone) !=
              s.cfg.auth.end()) {
            send_auth = false;
          } else {
            s.request_close("client refuses to authenticate");
          }
        } else {
          return false;  // not something we asked for
        }
      }
      return true;
    }

    void layer_up() override { s.lcp_up(); }
    void layer_down() override { s.lcp_down(); }
    void layer_finished() override { s.finish(s.lcp.finish_reason()); }

    Extra on_extra_code(std::uint8_t code, std::uint8_t id, ByteView data) override {
      return s.lcp_extra(code, id, data);
    }
  };

  // ---- IPCP ------------------------------------------------------------------------------
  struct IpcpHandler : Fsm::Handler {
    explicit IpcpHandler(Impl& impl) : s(impl) {}
    Impl& s;
    bool send_addr = false;

    void send_packet(ByteView packet) override { s.send(kProtoIpcp, packet); }
    void reset_request() override { send_addr = s.cfg.local_addr != 0; }
    void build_request(Bytes& out) override {
      if (send_addr) put_u32(out, kIpcpAddress, s.cfg.local_addr);
    }

    std::optional<Fsm::Verdict> check_request(ByteView options, bool nak_allowed,
                                              Bytes& reply) override {
      std::vector<Option> opts;
      if (!parse_options(options, opts)) return std::nullopt;
      Bytes rej, nak;
      bool has_addr = false;
      const std::uint32_t assigned = s.peer_addr.value_or(0);
      auto want = [&](const Option& o, std::uint32_t value) {
        if (o.value.size() != 4) {
          rej.insert(rej.end(), o.whole.begin(), o.whole.end());
        } else if (load_be32(o.value.data()) != value) {
          if (nak_allowed) {
            put_u32(nak, o.type, value);
          } else {
            rej.insert(rej.end(), o.whole.begin(), o.whole.end());
          }
        }
      };
      for (const Option& o : opts) {
        switch (o.type) {
          case kIpcpAddress:
            has_addr = true;
            want(o, assigned);
            break;
          case kIpcpDns1:
          case kIpcpDns2: {
            const std::uint32_t dns = o.type == kIpcpDns1 ? s.cfg.dns1 : s.cfg.dns2;
            if (dns == 0) {
              rej.insert(rej.end(), o.whole.begin(), o.whole.end());
            } else {
              want(o, dns);
            }
            break;
          }
          default:  // IP-Compression-Protocol, IP-Addresses, NBNS, unknown
            rej.insert(rej.end(), o.whole.begin(), o.whole.end());
            break;
        }
      }
      if (!rej.empty()) {
        reply = std::move(rej);
        return Fsm::Verdict::kReject;
      }
      // A client that asks for no address is told the one it gets (RFC 1661 5.3 allows a Nak to
      // carry options the request did not have).
      if (!has_addr && nak_allowed) put_u32(nak, kIpcpAddress, assigned);
      if (!nak.empty()) {
        reply = std::move(nak);
        return Fsm::Verdict::kNak;
      }
      return Fsm::Verdict::kAck;
    }

    bool on_nak(ByteView options) override {
      std::vector<Option> opts;
      if (!parse_options(options, opts)) return false;
      for (const Option& o : opts) {
        if (o.type == kIpcpAddress && o.value.size() == 4) {
          log::info("ppp") << "IPCP: client suggests " << ipv4_to_string(load_be32(o.value.data()))
                           << " for our address; keeping " << ipv4_to_string(s.cfg.local_addr);
        }
      }
      return true;
    }
    bool on_reject(ByteView options) override {
      std::vector<Option> opts;
      if (!parse_options(options, opts)) return false;
      for (const Option& o : opts) {
        if (o.type != kIpcpAddress || !send_addr) return false;
        send_addr = false;
      }
      return true;
    }
    void layer_up() override { s.ipcp_up(); }
    void layer_down() override { log::info("ppp") << s.who() << ": IPCP down"; }
    void layer_finished() override { s.request_close("IPCP failed: " + s.ipcp.finish_reason()); }
  };

  // ---- members ---------------------------------------------------------------------------
  Config cfg;
  Authenticator& auth;
  AddressPool& pool;
  Hooks hooks;
  Counters ctr;
  LcpHandler lcp_handler;
  IpcpHandler ipcp_handler;
  Fsm lcp;
  Fsm ipcp;
  Clock::time_point now{};
  bool started = false, finished = false;
  std::string close_reason;  // why we are going down (first cause wins)
  std::optional<std::string> pending_close;

  std::string user;
  std::optional<std::uint32_t> peer_addr;
  AuthProtocol negotiated = AuthProtocol::kNone;
  enum class AuthState : std::uint8_t {
    kNone,
    kWaiting,
    kDone,
    kFailed
  } auth_state = AuthState::kNone;
  Clock::time_point auth_deadline{};
  Challenge16 challenge{};
  std::uint8_t chap_id = 0;
  unsigned chap_retries = 0;
  std::optional<Clock::time_point> chap_resend;
  Bytes last_auth_reply;  // re-sent when the client repeats its (answered) request

  std::optional<Clock::time_point> next_echo;
  unsigned echo_outstanding = 0;

  // ---- output ----------------------------------------------------------------------------
  void send(std::uint16_t proto, ByteView payload) {
    Bytes f(4 + payload.size());
    f[0] = 0xff;
    f[1] = 0x03;
    store_be16(f.data() + 2, proto);
    std::copy(payload.begin(), payload.end(), f.begin() + 4);
    ++ctr.frames_out;
    if (hooks.send_frame) hooks.send_frame(f);
  }
  void send_code(std::uint16_t proto, std::uint8_t code, std::uint8_t id, ByteView data) {
    Bytes p(4 + data.size());
    p[0] = code;
    p[1] = id;
    store_be16(p.data() + 2, static_cast<std::uint16_t>(p.size()));
    std::copy(data.begin(), data.end(), p.begin() + 4);
    send(proto, p);
  }

  // The link in log lines: the user once known (client bytes, so made printable), else "link".
  std::string who() const { return user.empty() ? std::string("link") : printable(view(user)); }

  void bad(std::string_view what) {
    ++ctr.bad_frames;
    log::warning("ppp") << who() << ": " << what << ", dropped";
  }
  void discard(std::string_view what) {
    ++ctr.discarded;
    log::debug("ppp") << what << " in phase " << to_string(phase()) << ", discarded";
  }

  // ---- phases ----------------------------------------------------------------------------
  Phase phase() const {
    if (!started || finished) return Phase::kDead;
    switch (lcp.state()) {
      case Fsm::State::kClosing:
      case Fsm::State::kStopping:
        return Phase::kTerminate;
      case Fsm::State::kOpened:
        break;
      default:
        return Phase::kEstablish;
    }
    if (auth_state == AuthState::kWaiting || auth_state == AuthState::kFailed) {
      return Phase::kAuthenticate;
    }
    return ipcp.state() == Fsm::State::kOpened ? Phase::kOpen : Phase::kNetwork;
  }

  void request_close(std::string reason) {
    if (!pending_close) pending_close = std::move(reason);
  }
  void run_pending() {
    while (pending_close && !finished) {
      std::string r = std::move(*pending_close);
      pending_close.reset();
      do_close(r);
    }
    pending_close.reset();
  }
  void do_close(const std::string& reason) {
    if (close_reason.empty()) close_reason = reason;
    log::info("ppp") << who() << ": closing: " << reason;
    lcp.close(now);  // takes IPCP down with it
  }

  void lcp_up() {
    negotiated =
        lcp_handler.send_auth && lcp_handler.auth ? *lcp_handler.auth : AuthProtocol::kNone;
    log::info("ppp") << "LCP up: auth " << to_string(negotiated) << ", peer MRU "
                     << lcp_handler.peer_mru;
    echo_outstanding = 0;
    if (cfg.echo_interval.count() > 0) next_echo = now + cfg.echo_interval;
    if (negotiated == AuthProtocol::kNone) {
      auth_state = AuthState::kDone;
      network_phase();
      return;
    }
    auth_state = AuthState::kWaiting;
    auth_deadline = now + cfg.auth_timeout;
    if (negotiated == AuthProtocol::kChapMd5 || negotiated == AuthProtocol::kMsChapV2) {
      for (auto& b : challenge) b = static_cast<std::uint8_t>(random_u32());
      chap_id = static_cast<std::uint8_t>(chap_id + 1 + (random_u32() & 0x3f));
      chap_retries = cfg.max_configure;
      send_challenge();
    }
  }

  void send_challenge() {
    Bytes d;
    d.push_back(static_cast<std::uint8_t>(challenge.size()));
    d.insert(d.end(), challenge.begin(), challenge.end());
    d.insert(d.end(), cfg.name.begin(), cfg.name.end());
    send_code(kProtoChap, kChapChallenge, chap_id, d);
    if (chap_retries > 0) --chap_retries;
    chap_resend = now + cfg.restart_timer;
  }

  void lcp_down() {
    next_echo.reset();
    chap_resend.reset();
    ipcp.down(now);
    if (!finished && lcp.state() == Fsm::State::kOpened) {
      // Renegotiation (the client sent a new Configure-Request): authenticate again.
      log::info("ppp") << "LCP renegotiation";
    }
    auth_state = AuthState::kNone;
  }

  void network_phase() {
    chap_resend.reset();
    if (!peer_addr) {
      peer_addr = pool.allocate();
      if (!peer_addr) {
        request_close("address pool exhausted");
        return;
      }
    }
    ipcp.up(now);
    ipcp.open(now);
  }

  void ipcp_up() {
    log::notice("ppp") << who() << ": up, address " << ipv4_to_string(peer_addr.value_or(0));
    if (hooks.on_up) hooks.on_up();
  }

  void finish(const std::string& fsm_reason) {
    if (finished) return;
    finished = true;
    next_echo.reset();
    chap_resend.reset();
    const std::string reason = close_reason.empty() ? fsm_reason : close_reason;
    log::notice("ppp") << who() << ": down: " << reason;
    // The hook still sees the address (for the owner's accounting); then it goes back.
    if (hooks.on_down) hooks.on_down(reason);
    if (peer_addr) {
      pool.release(*peer_addr);
      peer_addr.reset();
    }
  }

  // ---- LCP extra codes -------------------------------------------------------------------
  Fsm::Handler::Extra lcp_extra(std::uint8_t code, std::uint8_t id, ByteView data) {
    using Extra = Fsm::Handler::Extra;
    const bool opened = lcp.state() == Fsm::State::kOpened;
    switch (code) {
      case kProtocolReject: {
        if (data.size() < 2) return Extra::kBad;
        if (!opened) return Extra::kHandled;
        const std::uint16_t proto = load_be16(data.data());
        log::info("ppp") << "client Protocol-Rejected 0x" << to_hex(data.first(2));
        if (proto == kProtoLcp) return Extra::kBad;
        if (proto == kProtoIpcp) ipcp.reject_catastrophic(now);
        return Extra::kHandled;
      }
      case kEchoRequest: {
        if (data.size() < 4) return Extra::kBad;
        if (!opened) return Extra::kHandled;  // RFC 1661 5.8: only in Opened
        const std::uint32_t m = load_be32(data.data());
        if (lcp_handler.send_magic && m == lcp_handler.magic) {
          return Extra::kBad;  // our own request came back: looped link
        }
        Bytes reply(data.begin(), data.end());
        store_be32(reply.data(), lcp_handler.send_magic ? lcp_handler.magic : 0);
        const std::size_t max = lcp_handler.peer_mru > 4 ? lcp_handler.peer_mru - 4u : 0u;
        if (reply.size() > max) reply.resize(std::max<std::size_t>(max, 4));
        lcp.send_extra(kEchoReply, id, reply);
        return Extra::kHandled;
      }
      case kEchoReply: {
        if (data.size() < 4) return Extra::kBad;
        if (!opened) return Extra::kHandled;
        const std::uint32_t m = load_be32(data.data());
        if (lcp_handler.peer_magic != 0 && m != lcp_handler.peer_magic) return Extra::kBad;
        echo_outstanding = 0;
        ++ctr.echo_replies;
        return Extra::kHandled;
      }
      case kDiscardRequest:
        return Extra::kHandled;
      case 12:  // Identification (RFC 1570): Windows sends it; nothing to do
      case 13:  // Time-Remaining (RFC 1570)
        return Extra::kHandled;
      default:
        return Extra::kUnknown;
    }
  }

  // ---- authentication --------------------------------------------------------------------
  void auth_ok(std::string name) {
    user = std::move(name);
    auth_state = AuthState::kDone;
    log::notice("ppp") << who() << ": authenticated with " << to_string(negotiated);
    network_phase();
  }
  void auth_fail(const std::string& reason) {
    ++ctr.auth_failures;
    auth_state = AuthState::kFailed;
    chap_resend.reset();
    log::warning("ppp") << reason;
    request_close(reason);
  }

  void on_pap(ByteView p) {
    if (p.size() < 4 || load_be16(p.data() + 2) < 4 || load_be16(p.data() + 2) > p.size()) {
      return bad("PAP: bad length");
    }
    const std::uint8_t code = p[0], id = p[1];
    const ByteView d = p.subspan(4, load_be16(p.data() + 2) - 4u);
    if (code != kPapRequest) return bad("PAP: unexpected code " + std::to_string(code));
    if (d.size() < 1 || d.size() < 2u + d[0] || d.size() < 2u + d[0] + d[1u + d[0]]) {
      return bad("PAP: Authenticate-Request with bad field lengths");
    }
    const std::string name(reinterpret_cast<const char*>(d.data() + 1), d[0]);
    const std::string pw(reinterpret_cast<const char*>(d.data() + 2 + d[0]), d[1u + d[0]]);
    if (auth_state == AuthState::kDone) {
      // The Ack was lost: answer the repeated request the same way.
      if (name == user) send_code(kProtoPap, kPapAck, id, last_auth_reply);
      return;
    }
    if (auth_state != AuthState::kWaiting) return discard("PAP request");
    const auto secret = auth.password(name);
    const bool ok = secret && equal_ct(view(*secret), view(pw));
    static constexpr std::string_view kOk = "Login ok", kBad = "Login incorrect";
    const std::string_view text = ok ? kOk : kBad;
    Bytes msg(1 + text.size());
    msg[0] = static_cast<std::uint8_t>(text.size());
    std::memcpy(msg.data() + 1, text.data(), text.size());
    send_code(kProtoPap, ok ? kPapAck : kPapNak, id, msg);
    if (ok) {
      last_auth_reply = msg;
      auth_ok(name);
    } else {
      auth_fail("PAP: authentication failed for user '" + printable(view(name)) + "'" +
                (secret ? "" : " (unknown user)"));
    }
  }

  void on_chap(ByteView p) {
    if (p.size() < 4 || load_be16(p.data() + 2) < 4 || load_be16(p.data() + 2) > p.size()) {
      return bad("CHAP: bad length");
    }
    const std::uint8_t code = p[0], id = p[1];
    const ByteView d = p.subspan(4, load_be16(p.data() + 2) - 4u);
    if (code != kChapResponse) return bad("CHAP: unexpected code " + std::to_string(code));
    if (d.empty() || d.size() < 1u + d[0]) return bad("CHAP: Response with bad Value-Size");
    if (id != chap_id) return bad("CHAP: Response to an old challenge (identifier mismatch)");
    const ByteView value = d.subspan(1, d[0]);
    const std::string name(reinterpret_cast<const char*>(d.data() + 1 + d[0]), d.size() - 1 - d[0]);
    if (auth_state == AuthState::kDone) {
      if (name == user) send_code(kProtoChap, kChapSuccess, id, last_auth_reply);
      return;
    }
    if (auth_state != AuthState::kWaiting) return discard("CHAP response");
    const bool ms = negotiated == AuthProtocol::kMsChapV2;
    if (value.size() != (ms ? 49u : 16u)) return bad("CHAP: Response value of wrong size");
    auto secret = auth.password(name);
    if (!secret && ms) secret = auth.password(mschap_strip_domain(name));
    bool ok = false;
    std::string success = "Welcome";
    if (secret && !ms) {
      const Hash16 expect = chap_md5_response(id, *secret, challenge);
      ok = equal_ct(expect, value);
    } else if (secret && ms) {
      Challenge16 peer{};
      std::copy(value.begin(), value.begin() + 16, peer.begin());
      NtResponse nt{};
      std::copy(value.begin() + 24, value.begin() + 48, nt.begin());
      const auto expect = generate_nt_response(challenge, peer, name, *secret);
      ok = expect && equal_ct(*expect, nt);
      if (ok) {
        const auto s = generate_authenticator_response(*secret, nt, peer, challenge, name);
        ok = s.has_value();
        if (s) success = *s + " M=Access granted";
      }
      if (!expect) log::error("ppp") << "MS-CHAPv2 unavailable (no MD4/DES in OpenSSL)";
    }
    if (ok) {
      last_auth_reply.assign(success.begin(), success.end());
      send_code(kProtoChap, kChapSuccess, id, last_auth_reply);
      auth_ok(name);
      return;
    }
    std::string failure = "Access denied";
    if (ms) {
      // RFC 2759 6: E=691 (authentication failure), R=0 (no retry), C=challenge, V=3.
      failure = "E=691 R=0 C=" + hex_upper(challenge) + " V=3 M=Authentication failed";
    }
    send_code(kProtoChap, kChapFailure, id, view(failure));
    auth_fail(std::string(to_string(negotiated)) + ": authentication failed for user '" +
              printable(view(name)) + "'" + (secret ? "" : " (unknown user)"));
  }

  // ---- input -----------------------------------------------------------------------------
  void on_frame(ByteView f) {
    ++ctr.frames_in;
    if (!started || finished) return discard("frame");
    if (f.size() >= 2 && f[0] == 0xff && f[1] == 0x03) f = f.subspan(2);
    if (f.empty()) return bad("empty PPP frame");
    std::uint16_t proto = 0;
    if (f[0] & 1) {  // compressed (one-byte) protocol field
      proto = f[0];
      f = f.subspan(1);
    } else {
      if (f.size() < 2) return bad("truncated PPP protocol field");
      proto = load_be16(f.data());
      f = f.subspan(2);
      // RFC 1661 2: the low octet is odd, the high octet even (guaranteed by the branch).
      if ((proto & 1) == 0) {
        return bad("invalid PPP protocol field 0x" +
                   to_hex(std::array<std::uint8_t, 2>{static_cast<std::uint8_t>(proto >> 8),
                                                      static_cast<std::uint8_t>(proto)}));
      }
    }
    const bool lcp_open = lcp.state() == Fsm::State::kOpened;
    switch (proto) {
      case kProtoLcp:
        return control(lcp, f);
      case kProtoPap:
        if (!lcp_open || negotiated != AuthProtocol::kPap) return discard("PAP packet");
        return on_pap(f);
      case kProtoChap:
        if (!lcp_open ||
            (negotiated != AuthProtocol::kChapMd5 && negotiated != AuthProtocol::kMsChapV2)) {
          return discard("CHAP packet");
        }
        return on_chap(f);
      case kProtoIpcp:
        if (!lcp_open || auth_state != AuthState::kDone || !peer_addr) {
          return discard("IPCP packet");
        }
        return control(ipcp, f);
      case kProtoIp:
        if (ipcp.state() != Fsm::State::kOpened) return discard("IP packet");
        ++ctr.ip_in;
        if (hooks.deliver_ip) hooks.deliver_ip(f);
        return;
      default:
        break;
    }
    if (!lcp_open)
      return discard("protocol 0x" +
                     to_hex(std::array<std::uint8_t, 2>{static_cast<std::uint8_t>(proto >> 8),
                                                        static_cast<std::uint8_t>(proto)}));
    // CCP, ECP, IPv6CP and everything else: Protocol-Reject (RFC 1661 5.7), truncated to the
    // client's MRU.
    Bytes d(2);
    store_be16(d.data(), proto);
    d.insert(d.end(), f.begin(), f.end());
    const std::size_t max = lcp_handler.peer_mru > 4 ? lcp_handler.peer_mru - 4u : 2u;
    if (d.size() > max) d.resize(std::max<std::size_t>(max, 2));
    lcp.send_extra(kProtocolReject, d);
    ++ctr.protocol_rejects;
    log::info("ppp") << "Protocol-Reject of 0x" << to_hex(ByteView(d).first(2))
                     << (proto == kProtoCcp      ? " (CCP: no compression)"
                         : proto == kProtoEcp    ? " (ECP: no PPP encryption)"
                         : proto == kProtoIpv6cp ? " (IPv6CP)"
                                                 : "");
  }

  void control(Fsm& fsm, ByteView packet) {
    switch (fsm.input(packet, now)) {
      case Fsm::Input::kAccepted:
        return;
      case Fsm::Input::kMalformed:
        return bad(fsm.name() + ": malformed packet (" + std::to_string(packet.size()) +
                   " bytes, code " + (packet.empty() ? "-" : std::to_string(packet[0])) + ")");
      case Fsm::Input::kUnexpected:
        return bad(fsm.name() + ": unexpected packet (code " + std::to_string(packet[0]) +
                   ") in state " + std::string(to_string(fsm.state())));
      case Fsm::Input::kCodeRejected:
        return bad(fsm.name() + ": unknown code " + std::to_string(packet[0]) +
                   ", Code-Reject sent");
    }
  }

  // ---- timers ----------------------------------------------------------------------------
  void tick() {
    if (!started || finished) return;
    lcp.tick(now);
    ipcp.tick(now);
    if (auth_state == AuthState::kWaiting) {
      if (now >= auth_deadline) {
        auth_fail("authentication timeout (" + std::to_string(cfg.auth_timeout.count()) + " s)");
      } else if (chap_resend && now >= *chap_resend) {
        if (chap_retries > 0) {
          send_challenge();
        } else {
          chap_resend.reset();
          auth_fail("no CHAP response after " + std::to_string(cfg.max_configure) + " challenges");
        }
      }
    }
    if (next_echo && now >= *next_echo && lcp.state() == Fsm::State::kOpened) {
      if (echo_outstanding >= cfg.echo_failures) {
        if (close_reason.empty()) {
          close_reason = "keepalive lost (" + std::to_string(echo_outstanding) +
                         " LCP Echo-Requests unanswered)";
        }
        log::warning("ppp") << who() << ": " << close_reason;
        // The link is dead: no Terminate handshake, straight down.
        lcp.down(now);
        lcp.close(now);
        return;
      }
      std::uint8_t m[4];
      store_be32(m, lcp_handler.send_magic ? lcp_handler.magic : 0);
      lcp.send_extra(kEchoRequest, m);
      ++echo_outstanding;
      ++ctr.echo_sent;
      next_echo = now + cfg.echo_interval;
    }
  }
};

Session::Session(const Config& config, Authenticator& auth, AddressPool& pool, Hooks hooks)
    : impl_(std::make_unique<Impl>(config, auth, pool, std::move(hooks))) {}

Session::~Session() {
  if (impl_->peer_addr) impl_->pool.release(*impl_->peer_addr);
}

void Session::start(Clock::time_point now) {
  Impl& s = *impl_;
  if (s.started) return;
  s.now = now;
  s.started = true;
  s.lcp.open(now);  // Initial -> Starting
  s.lcp.up(now);    // Starting -> Req-Sent: our Configure-Request goes out
  s.run_pending();
}

void Session::on_frame(ByteView frame, Clock::time_point now) {
  impl_->now = now;
  impl_->on_frame(frame);
  impl_->run_pending();
}

void Session::send_ip(ByteView ip_packet) {
  Impl& s = *impl_;
  if (s.finished || s.ipcp.state() != Fsm::State::kOpened) {
    ++s.ctr.ip_dropped;
    return;
  }
  ++s.ctr.ip_out;
  s.send(kProtoIp, ip_packet);
}

void Session::tick(Clock::time_point now) {
  impl_->now = now;
  impl_->tick();
  impl_->run_pending();
}

void Session::close(std::string_view reason, Clock::time_point now) {
  Impl& s = *impl_;
  s.now = now;
  if (!s.started || s.finished) return;
  s.do_close(std::string(reason));
  s.run_pending();
}

Phase Session::phase() const { return impl_->phase(); }
const std::string& Session::user() const { return impl_->user; }
std::optional<std::uint32_t> Session::peer_addr() const { return impl_->peer_addr; }
AuthProtocol Session::auth_protocol() const { return impl_->negotiated; }
const Counters& Session::counters() const { return impl_->ctr; }
Fsm::State Session::lcp_state() const { return impl_->lcp.state(); }
Fsm::State Session::ipcp_state() const { return impl_->ipcp.state(); }
std::uint16_t Session::peer_mru() const { return impl_->lcp_handler.peer_mru; }
std::uint32_t Session::magic() const { return impl_->lcp_handler.magic; }

std::optional<Clock::time_point> Session::next_timer() const {
  const Impl& s = *impl_;
  if (!s.started || s.finished) return std::nullopt;
  std::optional<Clock::time_point> t;
  auto consider = [&t](std::optional<Clock::time_point> c) {
    if (c && (!t || *c < *t)) t = c;
  };
  consider(s.lcp.deadline());
  consider(s.ipcp.deadline());
  if (s.auth_state == Impl::AuthState::kWaiting) {
    consider(s.auth_deadline);
    consider(s.chap_resend);
  }
  if (s.lcp.state() == Fsm::State::kOpened) consider(s.next_echo);
  return t;
}

}  // namespace l2sec::ppp
