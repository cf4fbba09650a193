#include "l2sec/fw/mailbox.hpp"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "l2sec/golden/crypto.hpp"

namespace l2sec::fw {
namespace {

// ---- little-endian writer and bounds-checked reader

class Writer {
 public:
  explicit Writer(Bytes& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v));
    u8(static_cast<std::uint8_t>(v >> 8));
  }
  void u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v));
    u16(static_cast<std::uint16_t>(v >> 16));
  }
  void u64(std::uint64_t v) {
    u32(static_cast<std::uint32_t>(v));
    u32(static_cast<std::uint32_t>(v >> 32));
  }
  void boolean(bool b) { u8(b ? 1 : 0); }
  void raw(ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void blob(ByteView b) {
    u32(static_cast<std::uint32_t>(b.size()));
    raw(b);
  }
  void text(std::string_view s) {
    const std::size_t n = std::min(s.size(), kMaxErrorText);
    u16(static_cast<std::uint16_t>(n));
    out_.insert(out_.end(), s.begin(), s.begin() + static_cast<std::ptrdiff_t>(n));
  }
  void endpoint(const Endpoint& e) {
    u32(e.addr);
    u16(e.port);
  }

 private:
  Bytes& out_;
};

class Reader {
 public:
  explicit Reader(ByteView in) : in_(in) {}
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  bool at_end() const { return pos_ == in_.size(); }
  std::size_t remaining() const { return in_.size() - pos_; }
  void fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
  }

  std::uint8_t u8(const char* what) {
    if (!need(1, what)) return 0;
    return in_[pos_++];
  }
  std::uint16_t u16(const char* what) {
    if (!need(2, what)) return 0;
    const auto v = static_cast<std::uint16_t>(in_[pos_] | (in_[pos_ + 1] << 8));
    pos_ += 2;
    return v;
  }
  std::uint32_t u32(const char* what) {
    const std::uint32_t lo = u16(what);
    const std::uint32_t hi = u16(what);
    return lo | (hi << 16);
  }
  std::uint64_t u64(const char* what) {
    const std::uint64_t lo = u32(what);
    const std::uint64_t hi = u32(what);
    return lo | (hi << 32);
  }
  bool boolean(const char* what) {
    const auto v = u8(what);
    if (v > 1) fail(std::string(what) + ": boolean " + std::to_string(v) + " is not 0 or 1");
    return v == 1;
  }
  template <typename E, std::size_t N>
  E enumeration(const std::array<E, N>& values, const char* what) {
    const auto v = u8(what);
    for (const E e : values) {
      if (static_cast<std::uint8_t>(e) == v) return e;
    }
    fail(std::string(what) + ": value " + std::to_string(v) + " undefined");
    return values[0];
  }
  void raw(MutableByteView out, const char* what) {
    if (!need(out.size(), what)) return;
    std::memcpy(out.data(), in_.data() + pos_, out.size());
    pos_ += out.size();
  }
  Bytes blob(std::size_t max, const char* what) {
    const std::uint32_t n = u32(what);
    if (!ok()) return {};
    if (n > max) {
      fail(std::string(what) + ": " + std::to_string(n) + " bytes, more than " +
           std::to_string(max));
      return {};
    }
    if (!need(n, what)) return {};
    Bytes b(in_.begin() + static_cast<std::ptrdiff_t>(pos_),
            in_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
    pos_ += n;
    return b;
  }
  std::string text(const char* what) {
    const std::uint16_t n = u16(what);
    if (!ok()) return {};
    if (n > kMaxErrorText) {
      fail(std::string(what) + ": " + std::to_string(n) + " characters, more than " +
           std::to_string(kMaxErrorText));
      return {};
    }
    if (!need(n, what)) return {};
    std::string s(reinterpret_cast<const char*>(in_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  Endpoint endpoint(const char* what) {
    Endpoint e;
    e.addr = u32(what);
    e.port = u16(what);
    return e;
  }

 private:
  bool need(std::size_t n, const char* what) {
    if (!ok()) return false;
    if (remaining() < n) {
      fail(std::string(what) + ": body ends early");
      return false;
    }
    return true;
  }

  ByteView in_;
  std::size_t pos_ = 0;
  std::string error_;
};

// ---- bodies

void put(Writer& w, const Lifetime& l) {
  w.u64(l.seconds);
  w.u64(l.bytes);
}
Lifetime get_lifetime(Reader& r) {
  Lifetime l;
  l.seconds = r.u64("lifetime seconds");
  l.bytes = r.u64("lifetime bytes");
  return l;
}

void put(Writer& w, const SaParams& p) {
  w.u32(p.spi);
  w.u8(static_cast<std::uint8_t>(p.direction));
  w.u8(static_cast<std::uint8_t>(p.cipher));
  w.u8(static_cast<std::uint8_t>(p.integ));
  w.u8(static_cast<std::uint8_t>(p.icv_len));
  w.u8(static_cast<std::uint8_t>(p.encap));
  w.boolean(p.nat_passthrough);
  w.u32(p.local_addr);
  w.u32(p.peer_addr);
  w.u16(p.local_port);
  w.u16(p.peer_port);
  w.u32(p.natoa_peer);
  w.u32(p.natoa_local);
  w.u8(p.replay_win_log2);
  w.u32(p.initial_seq);
  w.u8(p.key_len);
  w.raw(p.key);
  for (const auto v : p.hmac_istate) w.u32(v);
  for (const auto v : p.hmac_ostate) w.u32(v);
  w.raw(p.iv_key);
}
SaParams get_sa_params(Reader& r) {
  SaParams p;
  p.spi = r.u32("SPI");
  p.direction = r.enumeration(lm::kDirectionValues, "direction");
  p.cipher = r.enumeration(lm::kCipherValues, "cipher");
  p.integ = r.enumeration(lm::kIntegValues, "integrity");
  p.icv_len = r.enumeration(lm::kIcvLenValues, "ICV length");
  p.encap = r.enumeration(lm::kEncapValues, "encapsulation");
  p.nat_passthrough = r.boolean("NAT passthrough");
  p.local_addr = r.u32("local address");
  p.peer_addr = r.u32("peer address");
  p.local_port = r.u16("local port");
  p.peer_port = r.u16("peer port");
  p.natoa_peer = r.u32("NAT-OA peer");
  p.natoa_local = r.u32("NAT-OA local");
  p.replay_win_log2 = r.u8("replay window");
  if (p.replay_win_log2 >= (1u << lm::sa_entry::kReplayWinLog2.width)) {
    r.fail("replay window log2 " + std::to_string(p.replay_win_log2) + " does not fit the entry");
  }
  p.initial_seq = r.u32("initial sequence number");
  p.key_len = r.u8("key length");
  if (p.key_len > p.key.size()) {
    r.fail("key length " + std::to_string(p.key_len) + " above " + std::to_string(p.key.size()));
  }
  r.raw(p.key, "key");
  if (r.ok() && std::any_of(p.key.begin() + std::min<std::size_t>(p.key_len, p.key.size()),
                            p.key.end(), [](std::uint8_t b) { return b != 0; })) {
    r.fail("key bytes beyond the key length are not zero");
  }
  for (auto& v : p.hmac_istate) v = r.u32("HMAC inner state");
  for (auto& v : p.hmac_ostate) v = r.u32("HMAC outer state");
  r.raw(p.iv_key, "IV key");
  return p;
}

void put(Writer& w, const SaCounters& c) {
  w.u64(c.packets);
  w.u64(c.bytes);
  w.u64(c.icv_fail);
  w.u64(c.replay_drop);
  w.u64(c.pad_fail);
  w.u64(c.other_drop);
}
SaCounters get_sa_counters(Reader& r) {
  SaCounters c;
  c.packets = r.u64("packets");
  c.bytes = r.u64("bytes");
  c.icv_fail = r.u64("ICV failures");
  c.replay_drop = r.u64("replay drops");
  c.pad_fail = r.u64("pad failures");
  c.other_drop = r.u64("other drops");
  return c;
}

template <std::size_t N>
void put(Writer& w, const std::array<std::uint64_t, N>& a) {
  for (const auto v : a) w.u64(v);
}
template <std::size_t N>
void get_array(Reader& r, std::array<std::uint64_t, N>& a, const char* what) {
  for (auto& v : a) v = r.u64(what);
}

void put(Writer& w, const HelloInfo& h) {
  w.u16(h.version);
  w.u32(h.regmap_version);
  w.u32(h.rtl_version);
  w.u32(h.build_id);
  w.u32(h.caps);
  w.u32(h.capacity);
  w.u8(h.max_win_log2);
  w.u8(h.ports);
  w.u32(h.outbox_capacity);
}
HelloInfo get_hello_info(Reader& r) {
  HelloInfo h;
  h.version = r.u16("version");
  h.regmap_version = r.u32("register map version");
  h.rtl_version = r.u32("RTL version");
  h.build_id = r.u32("build id");
  h.caps = r.u32("capabilities");
  h.capacity = r.u32("capacity");
  h.max_win_log2 = r.u8("max window");
  h.ports = r.u8("ports");
  h.outbox_capacity = r.u32("outbox capacity");
  return h;
}

void put(Writer& w, const SaInfo& s) {
  w.u32(s.handle);
  put(w, s.sa);
  put(w, s.soft);
  put(w, s.hard);
  w.u16(s.slot);
  w.u8(s.gen);
  w.boolean(s.active_outbound);
  w.boolean(s.retiring);
  put(w, s.counters);
  w.u32(s.last_seq);
  w.u64(s.age_ms);
}
SaInfo get_sa_info(Reader& r) {
  SaInfo s;
  s.handle = r.u32("handle");
  s.sa = get_sa_params(r);
  s.soft = get_lifetime(r);
  s.hard = get_lifetime(r);
  s.slot = r.u16("slot");
  s.gen = r.u8("generation");
  s.active_outbound = r.boolean("active outbound");
  s.retiring = r.boolean("retiring");
  s.counters = get_sa_counters(r);
  s.last_seq = r.u32("last sequence number");
  s.age_ms = r.u64("age");
  return s;
}

void put(Writer& w, const CountersInfo& c) {
  put(w, c.parser_class);
  put(w, c.parser_drop);
  w.u64(c.decap_packets);
  put(w, c.decap_drop);
  w.u64(c.encap_packets);
  put(w, c.encap_drop);
  put(w, c.keepalives);
  w.u16(static_cast<std::uint16_t>(c.firmware.size()));
  put(w, c.firmware);
}
CountersInfo get_counters_info(Reader& r) {
  CountersInfo c;
  get_array(r, c.parser_class, "parser class counters");
  get_array(r, c.parser_drop, "parser drop counters");
  c.decap_packets = r.u64("decap packets");
  get_array(r, c.decap_drop, "decap drop counters");
  c.encap_packets = r.u64("encap packets");
  get_array(r, c.encap_drop, "encap drop counters");
  get_array(r, c.keepalives, "keepalive counters");
  const auto n = r.u16("firmware counter count");
  if (r.ok() && n != c.firmware.size()) {
    r.fail("firmware counter count " + std::to_string(n) + ", this version has " +
           std::to_string(c.firmware.size()));
  }
  get_array(r, c.firmware, "firmware counters");
  return c;
}

constexpr std::uint8_t kHasSlot = 1, kHasHello = 2, kHasSa = 4, kHasCounters = 8;

void put_reply(Writer& w, const Reply& m) {
  w.u16(m.answers);
  w.u8(static_cast<std::uint8_t>(m.result));
  w.u8(static_cast<std::uint8_t>(m.reason));
  w.text(m.result == Result::kOk ? std::string_view{} : std::string_view{m.error});
  const std::uint8_t flags =
      static_cast<std::uint8_t>((m.slot ? kHasSlot : 0) | (m.hello ? kHasHello : 0) |
                                (m.sa ? kHasSa : 0) | (m.counters ? kHasCounters : 0));
  w.u8(flags);
  if (m.slot) w.u16(*m.slot);
  if (m.hello) put(w, *m.hello);
  if (m.sa) put(w, *m.sa);
  if (m.counters) put(w, *m.counters);
}
Reply get_reply(Reader& r, MsgType type) {
  Reply m;
  m.answers = r.u16("answered type");
  if (r.ok() && type != MsgType::kErrorReply &&
      reply_type(static_cast<MsgType>(m.answers)) != type) {
    r.fail("reply of type " + std::string(to_string(type)) + " answers type " +
           std::to_string(m.answers));
  }
  const auto result = r.u8("result");
  if (result > kResultMax) r.fail("result " + std::to_string(result) + " undefined");
  m.result = static_cast<Result>(result);
  m.reason = r.enumeration(lm::kDropReasonValues, "drop reason");
  m.error = r.text("error text");
  if (r.ok() && m.result == Result::kOk && !m.error.empty()) r.fail("error text on success");
  const auto flags = r.u8("reply parts");
  if (flags & ~(kHasSlot | kHasHello | kHasSa | kHasCounters)) {
    r.fail("reply parts 0x" + std::to_string(flags) + " undefined");
  }
  if (r.ok() && (flags & kHasSlot)) m.slot = r.u16("slot");
  if (r.ok() && (flags & kHasHello)) m.hello = get_hello_info(r);
  if (r.ok() && (flags & kHasSa)) m.sa = get_sa_info(r);
  if (r.ok() && (flags & kHasCounters)) m.counters = get_counters_info(r);
  return m;
}

void put_rx_head(Writer& w, const RxPacket& p) {
  w.u8(static_cast<std::uint8_t>(p.pkt_class));
  w.u8(p.port);
  w.endpoint(p.local);
  w.endpoint(p.peer);
  w.u32(p.handle);
  w.u32(p.spi);
  w.boolean(p.is_protected);
  w.u16(p.inner_src_port);
  w.u16(p.inner_dst_port);
}

std::uint8_t get_port(Reader& r) {
  const auto port = r.u8("line port");
  if (port >= kMaxPorts) r.fail("line port " + std::to_string(port) + " out of range");
  return port;
}

// Writes the header with a length placeholder; finish() fills it in.
void begin(Bytes& out, MsgType type, std::uint32_t seq) {
  out.clear();
  Writer w(out);
  w.raw(kMagic);
  w.u16(kVersion);
  w.u16(static_cast<std::uint16_t>(type));
  w.u32(seq);
  w.u32(0);
}
void finish(Bytes& out) {
  const auto len = static_cast<std::uint32_t>(out.size() - kHeaderSize);
  for (unsigned i = 0; i < 4; ++i) out[12 + i] = static_cast<std::uint8_t>(len >> (8 * i));
}

template <class>
inline constexpr bool kAlwaysFalse = false;

}  // namespace

std::string_view to_string(MsgType t) {
  switch (t) {
    case MsgType::kHello:
      return "HELLO";
    case MsgType::kSaAdd:
      return "SA_ADD";
    case MsgType::kSaDel:
      return "SA_DEL";
    case MsgType::kSaUpdatePeer:
      return "SA_UPDATE_PEER";
    case MsgType::kSaQuery:
      return "SA_QUERY";
    case MsgType::kCounters:
      return "COUNTERS";
    case MsgType::kTxIke:
      return "TX_IKE";
    case MsgType::kTxL2tp:
      return "TX_L2TP";
    case MsgType::kTxL2tpClear:
      return "TX_L2TP_CLEAR";
    case MsgType::kTxIp:
      return "TX_IP";
    case MsgType::kEvent:
      return "EVENT";
    case MsgType::kRxPacket:
      return "RX_PACKET";
    case MsgType::kHelloReply:
      return "HELLO_REPLY";
    case MsgType::kSaAddReply:
      return "SA_ADD_REPLY";
    case MsgType::kSaDelReply:
      return "SA_DEL_REPLY";
    case MsgType::kSaUpdatePeerReply:
      return "SA_UPDATE_PEER_REPLY";
    case MsgType::kSaQueryReply:
      return "SA_QUERY_REPLY";
    case MsgType::kCountersReply:
      return "COUNTERS_REPLY";
    case MsgType::kTxIkeReply:
      return "TX_IKE_REPLY";
    case MsgType::kTxL2tpReply:
      return "TX_L2TP_REPLY";
    case MsgType::kTxL2tpClearReply:
      return "TX_L2TP_CLEAR_REPLY";
    case MsgType::kTxIpReply:
      return "TX_IP_REPLY";
    case MsgType::kErrorReply:
      return "ERROR_REPLY";
  }
  return "?";
}

bool is_request(MsgType t) {
  const auto v = static_cast<std::uint16_t>(t);
  return v >= static_cast<std::uint16_t>(MsgType::kHello) &&
         v <= static_cast<std::uint16_t>(MsgType::kTxIp);
}

MsgType reply_type(MsgType request) {
  if (!is_request(request)) return MsgType::kErrorReply;
  return static_cast<MsgType>(static_cast<std::uint16_t>(request) | 0x80u);
}

std::string_view to_string(Result r) {
  switch (r) {
    case Result::kOk:
      return "ok";
    case Result::kBadMessage:
      return "bad message";
    case Result::kBadVersion:
      return "bad version";
    case Result::kUnknownType:
      return "unknown type";
    case Result::kNotFound:
      return "not found";
    case Result::kExists:
      return "exists";
    case Result::kCollision:
      return "slot collision";
    case Result::kNoSpace:
      return "no space";
    case Result::kUnsupported:
      return "unsupported";
    case Result::kHardware:
      return "hardware error";
    case Result::kNoRoute:
      return "no outbound SA";
    case Result::kBusy:
      return "busy";
    case Result::kHostPath:
      return "host path";
  }
  return "?";
}

std::string_view to_string(EventKind k) {
  switch (k) {
    case EventKind::kSoftExpire:
      return "soft-expire";
    case EventKind::kHardExpire:
      return "hard-expire";
    case EventKind::kSeqOverflow:
      return "seq-overflow";
    case EventKind::kPeerMoved:
      return "peer-moved";
  }
  return "?";
}

std::string_view to_string(FwCounter c) {
  static constexpr std::array<std::string_view, kFwCounterCount> kNames = {
      "requests",      "bad_requests",  "refused",          "sa_installed",
      "sa_deleted",    "sa_collisions", "hw_errors",        "rx_frames",
      "rx_to_host",    "rx_bad_meta",   "rx_unknown_sa",    "rx_not_l2tp",
      "rx_keepalives", "rx_malformed",  "rx_other",         "rx_fragments",
      "tx_ike",        "tx_l2tp",       "tx_l2tp_clear",    "tx_busy",
      "tx_no_sa",      "events",        "fpga_events",      "fpga_events_unknown",
      "peer_moved",    "soft_expired",  "hard_expired",     "seq_overflows",
      "retired",       "outbox_drops",  "fpga_events_lost", "sa_host_path",
      "rx_host_path",  "tx_ip"};
  const auto i = static_cast<std::size_t>(c);
  return i < kNames.size() ? kNames[i] : "?";
}

std::optional<SaParams> expand_sa(const golden::SaConfig& cfg, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<SaParams> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  SaParams p;
  p.spi = cfg.spi;
  p.direction = cfg.direction;
  p.cipher = cfg.cipher;
  p.integ = cfg.integ;
  p.icv_len = cfg.icv_len;
  p.encap = cfg.encap;
  p.nat_passthrough = cfg.nat_checksum == golden::NatChecksum::kPassthrough;
  p.local_addr = cfg.local_addr;
  p.peer_addr = cfg.peer_addr;
  p.local_port = cfg.local_port;
  p.peer_port = cfg.peer_port;
  p.natoa_peer = cfg.natoa_peer.value_or(0);
  p.natoa_local = cfg.natoa_local.value_or(0);
  unsigned log2 = 5;
  while (log2 < 10 && (1u << log2) < cfg.replay_window) ++log2;
  if ((1u << log2) < cfg.replay_window) {
    return fail("replay window " + std::to_string(cfg.replay_window) + " above 1024");
  }
  p.replay_win_log2 = static_cast<std::uint8_t>(log2);
  p.initial_seq = cfg.last_seq;
  if (cfg.enc_key.size() > p.key.size() ||
      (cfg.cipher != lm::Cipher::kNone &&
       cfg.enc_key.size() != golden::cipher_key_len(cfg.cipher))) {
    return fail("cipher key of " + std::to_string(cfg.enc_key.size()) + " bytes for " +
                std::string(lm::to_string(cfg.cipher)));
  }
  p.key_len = static_cast<std::uint8_t>(cfg.enc_key.size());
  std::copy(cfg.enc_key.begin(), cfg.enc_key.end(), p.key.begin());
  if (cfg.integ != lm::Integ::kNone) {
    if (cfg.auth_key.empty()) return fail("no authentication key");
    const auto st = golden::hmac_precompute(cfg.integ, cfg.auth_key);
    p.hmac_istate = st.inner;
    p.hmac_ostate = st.outer;
  }
  if (!cfg.iv_key.empty()) {
    if (cfg.iv_key.size() != p.iv_key.size()) {
      return fail("IV key of " + std::to_string(cfg.iv_key.size()) + " bytes, not 16");
    }
    std::copy(cfg.iv_key.begin(), cfg.iv_key.end(), p.iv_key.begin());
  }
  return p;
}

SaParams without_keys(SaParams p) {
  p.key.fill(0);
  p.hmac_istate.fill(0);
  p.hmac_ostate.fill(0);
  p.iv_key.fill(0);
  return p;
}

MsgType type_of(const Message& m) {
  return std::visit(
      [](const auto& b) -> MsgType {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, Hello>)
          return MsgType::kHello;
        else if constexpr (std::is_same_v<T, SaAdd>)
          return MsgType::kSaAdd;
        else if constexpr (std::is_same_v<T, SaDel>)
          return MsgType::kSaDel;
        else if constexpr (std::is_same_v<T, SaUpdatePeer>)
          return MsgType::kSaUpdatePeer;
        else if constexpr (std::is_same_v<T, SaQuery>)
          return MsgType::kSaQuery;
        else if constexpr (std::is_same_v<T, CountersRequest>)
          return MsgType::kCounters;
        else if constexpr (std::is_same_v<T, TxIke>)
          return MsgType::kTxIke;
        else if constexpr (std::is_same_v<T, TxL2tp>)
          return MsgType::kTxL2tp;
        else if constexpr (std::is_same_v<T, TxL2tpClear>)
          return MsgType::kTxL2tpClear;
        else if constexpr (std::is_same_v<T, TxIp>)
          return MsgType::kTxIp;
        else if constexpr (std::is_same_v<T, Reply>) {
          return b.unreadable ? MsgType::kErrorReply : reply_type(static_cast<MsgType>(b.answers));
        } else if constexpr (std::is_same_v<T, Event>)
          return MsgType::kEvent;
        else if constexpr (std::is_same_v<T, RxPacket>)
          return MsgType::kRxPacket;
        else
          static_assert(kAlwaysFalse<T>);
      },
      m.body);
}

void encode(const Message& m, Bytes& out) {
  begin(out, type_of(m), m.seq);
  Writer w(out);
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, Hello>) {
          w.u16(b.min_version);
          w.u16(b.max_version);
        } else if constexpr (std::is_same_v<T, SaAdd>) {
          w.u32(b.handle);
          put(w, b.sa);
          put(w, b.soft);
          put(w, b.hard);
        } else if constexpr (std::is_same_v<T, SaDel>) {
          w.u32(b.spi);
          w.u8(static_cast<std::uint8_t>(b.direction));
          w.u32(b.grace_ms);
        } else if constexpr (std::is_same_v<T, SaUpdatePeer>) {
          w.u32(b.handle);
          w.endpoint(b.peer);
        } else if constexpr (std::is_same_v<T, SaQuery>) {
          w.u32(b.spi);
          w.u8(static_cast<std::uint8_t>(b.direction));
        } else if constexpr (std::is_same_v<T, CountersRequest>) {
        } else if constexpr (std::is_same_v<T, TxIke> || std::is_same_v<T, TxL2tpClear>) {
          w.u8(b.port);
          w.endpoint(b.local);
          w.endpoint(b.peer);
          w.blob(b.message);
        } else if constexpr (std::is_same_v<T, TxL2tp>) {
          w.u32(b.handle);
          w.u16(b.lac_port);
          w.blob(b.message);
        } else if constexpr (std::is_same_v<T, TxIp>) {
          w.u8(b.port);
          w.blob(b.packet);
        } else if constexpr (std::is_same_v<T, Reply>) {
          put_reply(w, b);
        } else if constexpr (std::is_same_v<T, Event>) {
          w.u8(static_cast<std::uint8_t>(b.kind));
          w.u32(b.handle);
          w.u32(b.spi);
          w.u8(static_cast<std::uint8_t>(b.direction));
          w.endpoint(b.peer);
        } else if constexpr (std::is_same_v<T, RxPacket>) {
          put_rx_head(w, b);
          w.blob(b.payload);
        } else {
          static_assert(kAlwaysFalse<T>);
        }
      },
      m.body);
  finish(out);
}

Bytes encode(const Message& m) {
  Bytes out;
  encode(m, out);
  return out;
}

void encode_rx_packet(std::uint32_t seq, const RxPacket& head, ByteView payload, Bytes& out) {
  begin(out, MsgType::kRxPacket, seq);
  Writer w(out);
  put_rx_head(w, head);
  w.blob(payload);
  finish(out);
}

std::optional<Message> decode(ByteView bytes, DecodeError* error) {
  DecodeError scratch;
  DecodeError& err = error ? *error : scratch;
  err = DecodeError{};
  auto fail = [&](Result result, std::string why) -> std::optional<Message> {
    err.result = result;
    err.reason = std::move(why);
    return std::nullopt;
  };
  if (bytes.size() < kHeaderSize) {
    return fail(Result::kBadMessage, "message of " + std::to_string(bytes.size()) +
                                         " bytes is shorter than the 16-byte header");
  }
  if (!std::equal(kMagic.begin(), kMagic.end(), bytes.begin())) {
    return fail(Result::kBadMessage, "bad magic (not \"L2MB\")");
  }
  Reader hr(bytes.subspan(4, kHeaderSize - 4));
  const auto version = hr.u16("version");
  const auto type = hr.u16("type");
  const auto seq = hr.u32("seq");
  const auto length = hr.u32("length");
  err.header_read = true;
  err.seq = seq;
  err.type = type;
  if (version != kVersion) {
    return fail(Result::kBadVersion, "version " + std::to_string(version) +
                                         " not supported (this side speaks " +
                                         std::to_string(kVersion) + ")");
  }
  if (length > kMaxBody) {
    return fail(Result::kBadMessage,
                "body length " + std::to_string(length) + " above " + std::to_string(kMaxBody));
  }
  if (length != bytes.size() - kHeaderSize) {
    return fail(Result::kBadMessage, "body length " + std::to_string(length) + " but " +
                                         std::to_string(bytes.size() - kHeaderSize) +
                                         " bytes follow the header");
  }
  Reader r(bytes.subspan(kHeaderSize));
  Message m;
  m.seq = seq;
  const auto t = static_cast<MsgType>(type);
  switch (t) {
    case MsgType::kHello: {
      Hello b;
      b.min_version = r.u16("min version");
      b.max_version = r.u16("max version");
      if (r.ok() && b.min_version > b.max_version) r.fail("min version above max version");
      m.body = b;
      break;
    }
    case MsgType::kSaAdd: {
      SaAdd b;
      b.handle = r.u32("handle");
      b.sa = get_sa_params(r);
      b.soft = get_lifetime(r);
      b.hard = get_lifetime(r);
      m.body = b;
      break;
    }
    case MsgType::kSaDel: {
      SaDel b;
      b.spi = r.u32("SPI");
      b.direction = r.enumeration(lm::kDirectionValues, "direction");
      b.grace_ms = r.u32("grace period");
      m.body = b;
      break;
    }
    case MsgType::kSaUpdatePeer: {
      SaUpdatePeer b;
      b.handle = r.u32("handle");
      b.peer = r.endpoint("peer");
      m.body = b;
      break;
    }
    case MsgType::kSaQuery: {
      SaQuery b;
      b.spi = r.u32("SPI");
      b.direction = r.enumeration(lm::kDirectionValues, "direction");
      m.body = b;
      break;
    }
    case MsgType::kCounters:
      m.body = CountersRequest{};
      break;
    case MsgType::kTxIke:
    case MsgType::kTxL2tpClear: {
      TxIke b;
      b.port = get_port(r);
      b.local = r.endpoint("local endpoint");
      b.peer = r.endpoint("peer endpoint");
      b.message = r.blob(kMaxPayload, "message");
      if (t == MsgType::kTxIke) {
        m.body = std::move(b);
      } else {
        m.body = TxL2tpClear{b.port, b.local, b.peer, std::move(b.message)};
      }
      break;
    }
    case MsgType::kTxL2tp: {
      TxL2tp b;
      b.handle = r.u32("handle");
      b.lac_port = r.u16("LAC port");
      b.message = r.blob(kMaxPayload, "message");
      m.body = std::move(b);
      break;
    }
    case MsgType::kTxIp: {
      TxIp b;
      b.port = get_port(r);
      b.packet = r.blob(kMaxIpPacket, "packet");
      if (r.ok() && b.packet.size() < kMinIpPacket) {
        r.fail("packet of " + std::to_string(b.packet.size()) + " bytes, shorter than " +
               std::to_string(kMinIpPacket));
      }
      m.body = std::move(b);
      break;
    }
    case MsgType::kEvent: {
      Event b;
      const auto kind = r.u8("event kind");
      if (kind > static_cast<std::uint8_t>(EventKind::kPeerMoved)) {
        r.fail("event kind " + std::to_string(kind) + " undefined");
      }
      b.kind = static_cast<EventKind>(kind);
      b.handle = r.u32("handle");
      b.spi = r.u32("SPI");
      b.direction = r.enumeration(lm::kDirectionValues, "direction");
      b.peer = r.endpoint("peer");
      m.body = b;
      break;
    }
    case MsgType::kRxPacket: {
      RxPacket b;
      b.pkt_class = r.enumeration(lm::kPktClassValues, "packet class");
      b.port = get_port(r);
      b.local = r.endpoint("local endpoint");
      b.peer = r.endpoint("peer endpoint");
      b.handle = r.u32("handle");
      b.spi = r.u32("SPI");
      b.is_protected = r.boolean("protected");
      b.inner_src_port = r.u16("inner source port");
      b.inner_dst_port = r.u16("inner destination port");
      b.payload = r.blob(kMaxBody, "payload");
      m.body = std::move(b);
      break;
    }
    case MsgType::kHelloReply:
    case MsgType::kSaAddReply:
    case MsgType::kSaDelReply:
    case MsgType::kSaUpdatePeerReply:
    case MsgType::kSaQueryReply:
    case MsgType::kCountersReply:
    case MsgType::kTxIkeReply:
    case MsgType::kTxL2tpReply:
    case MsgType::kTxL2tpClearReply:
    case MsgType::kTxIpReply:
    case MsgType::kErrorReply: {
      Reply b = get_reply(r, t);
      b.unreadable = t == MsgType::kErrorReply;
      // An ERROR_REPLY answers a type that was not understood (or a version): never a known
      // request's ordinary reply type.
      if (r.ok() && t == MsgType::kErrorReply && b.result == Result::kOk) {
        r.fail("ERROR_REPLY with result ok");
      }
      m.body = std::move(b);
      break;
    }
    default:
      return fail(
          Result::kUnknownType, "unknown message type 0x" + [&] {
            static constexpr char kHex[] = "0123456789abcdef";
            std::string s;
            for (int shift = 12; shift >= 0; shift -= 4) s += kHex[(type >> shift) & 0xf];
            return s;
          }());
  }
  if (!r.ok()) return fail(Result::kBadMessage, std::string(to_string(t)) + ": " + r.error());
  if (!r.at_end()) {
    return fail(Result::kBadMessage, std::string(to_string(t)) + ": " +
                                         std::to_string(r.remaining()) + " bytes after the body");
  }
  return m;
}

std::optional<TxL2tpView> decode_tx_l2tp(ByteView bytes) {
  constexpr std::size_t kFixed = 4 + 2 + 4;  // handle, LAC port, message length
  if (bytes.size() < kHeaderSize + kFixed ||
      !std::equal(kMagic.begin(), kMagic.end(), bytes.begin())) {
    return std::nullopt;
  }
  Reader r(bytes.subspan(4));
  const auto version = r.u16("version");
  const auto type = r.u16("type");
  TxL2tpView v;
  v.seq = r.u32("seq");
  const auto length = r.u32("length");
  if (version != kVersion || type != static_cast<std::uint16_t>(MsgType::kTxL2tp) ||
      length != bytes.size() - kHeaderSize) {
    return std::nullopt;
  }
  v.handle = r.u32("handle");
  v.lac_port = r.u16("LAC port");
  const auto n = r.u32("message");
  if (!r.ok() || n > kMaxPayload || n != r.remaining()) return std::nullopt;
  v.message = bytes.subspan(kHeaderSize + kFixed, n);
  return v;
}

}  // namespace l2sec::fw
