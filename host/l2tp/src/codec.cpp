#include "l2sec/l2tp/codec.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>

#include "l2sec/golden/crypto.hpp"

namespace l2sec::l2tp {
namespace {

constexpr std::uint16_t kFlagT = 0x8000;
constexpr std::uint16_t kFlagL = 0x4000;
constexpr std::uint16_t kFlagS = 0x0800;
constexpr std::uint16_t kFlagO = 0x0200;
constexpr std::uint16_t kFlagP = 0x0100;
constexpr std::uint16_t kVerMask = 0x000f;
constexpr std::uint16_t kVersion = 2;

constexpr std::uint16_t kAvpM = 0x8000;
constexpr std::uint16_t kAvpH = 0x4000;
constexpr std::uint16_t kAvpReserved = 0x3c00;
constexpr std::uint16_t kAvpLenMask = 0x03ff;
constexpr std::size_t kAvpHeader = 6;
constexpr std::size_t kMaxAvpLen = kAvpLenMask;

constexpr std::uint16_t kAny = 1023 - kAvpHeader;

// RFC 2661 4.4: every attribute of vendor 0. Bounds are for the clear value.
constexpr std::array kRules = {
    AvpRule{AvpType::kMessageType, "Message Type", 2, 2, true, false},
    AvpRule{AvpType::kResultCode, "Result Code", 2, kAny, true, true},
    AvpRule{AvpType::kProtocolVersion, "Protocol Version", 2, 2, true, false},
    AvpRule{AvpType::kFramingCapabilities, "Framing Capabilities", 4, 4, true, true},
    AvpRule{AvpType::kBearerCapabilities, "Bearer Capabilities", 4, 4, true, true},
    AvpRule{AvpType::kTieBreaker, "Tie Breaker", 8, 8, false, false},
    AvpRule{AvpType::kFirmwareRevision, "Firmware Revision", 2, 2, false, true},
    AvpRule{AvpType::kHostName, "Host Name", 1, kAny, true, false},
    AvpRule{AvpType::kVendorName, "Vendor Name", 0, kAny, false, true},
    AvpRule{AvpType::kAssignedTunnelId, "Assigned Tunnel ID", 2, 2, true, true},
    AvpRule{AvpType::kReceiveWindowSize, "Receive Window Size", 2, 2, true, false},
    AvpRule{AvpType::kChallenge, "Challenge", 1, kAny, true, true},
    AvpRule{AvpType::kQ931CauseCode, "Q.931 Cause Code", 3, kAny, true, false},
    AvpRule{AvpType::kChallengeResponse, "Challenge Response", 16, 16, true, true},
    AvpRule{AvpType::kAssignedSessionId, "Assigned Session ID", 2, 2, true, true},
    AvpRule{AvpType::kCallSerialNumber, "Call Serial Number", 4, 4, true, true},
    AvpRule{AvpType::kMinimumBps, "Minimum BPS", 4, 4, true, true},
    AvpRule{AvpType::kMaximumBps, "Maximum BPS", 4, 4, true, true},
    AvpRule{AvpType::kBearerType, "Bearer Type", 4, 4, true, true},
    AvpRule{AvpType::kFramingType, "Framing Type", 4, 4, true, true},
    AvpRule{AvpType::kCalledNumber, "Called Number", 0, kAny, true, true},
    AvpRule{AvpType::kCallingNumber, "Calling Number", 0, kAny, true, true},
    AvpRule{AvpType::kSubAddress, "Sub-Address", 0, kAny, true, true},
    AvpRule{AvpType::kTxConnectSpeed, "(Tx) Connect Speed", 4, 4, true, true},
    AvpRule{AvpType::kPhysicalChannelId, "Physical Channel ID", 4, 4, false, true},
    AvpRule{AvpType::kInitialReceivedLcpConfreq, "Initial Received LCP CONFREQ", 0, kAny, false,
            true},
    AvpRule{AvpType::kLastSentLcpConfreq, "Last Sent LCP CONFREQ", 0, kAny, false, true},
    AvpRule{AvpType::kLastReceivedLcpConfreq, "Last Received LCP CONFREQ", 0, kAny, false, true},
    AvpRule{AvpType::kProxyAuthenType, "Proxy Authen Type", 2, 2, false, true},
    AvpRule{AvpType::kProxyAuthenName, "Proxy Authen Name", 0, kAny, false, true},
    AvpRule{AvpType::kProxyAuthenChallenge, "Proxy Authen Challenge", 0, kAny, false, true},
    AvpRule{AvpType::kProxyAuthenId, "Proxy Authen ID", 2, 2, false, true},
    AvpRule{AvpType::kProxyAuthenResponse, "Proxy Authen Response", 0, kAny, false, true},
    AvpRule{AvpType::kCallErrors, "Call Errors", 26, 26, true, true},
    AvpRule{AvpType::kAccm, "ACCM", 10, 10, true, true},
    AvpRule{AvpType::kRandomVector, "Random Vector", 1, kAny, true, false},
    AvpRule{AvpType::kPrivateGroupId, "Private Group ID", 0, kAny, false, true},
    AvpRule{AvpType::kRxConnectSpeed, "Rx Connect Speed", 4, 4, false, true},
    AvpRule{AvpType::kSequencingRequired, "Sequencing Required", 0, 0, true, false},
};

// RFC 2661 section 6: the AVPs each message must carry (besides Message Type).
struct Required {
  MsgType type;
  std::vector<AvpType> avps;
};
const std::vector<Required>& required_table() {
  static const std::vector<Required> table = {
      {MsgType::kSccrq,
       {AvpType::kProtocolVersion, AvpType::kHostName, AvpType::kFramingCapabilities,
        AvpType::kAssignedTunnelId}},
      {MsgType::kSccrp,
       {AvpType::kProtocolVersion, AvpType::kHostName, AvpType::kFramingCapabilities,
        AvpType::kAssignedTunnelId}},
      {MsgType::kScccn, {}},
      {MsgType::kStopccn, {AvpType::kAssignedTunnelId, AvpType::kResultCode}},
      {MsgType::kHello, {}},
      {MsgType::kOcrq,
       {AvpType::kAssignedSessionId, AvpType::kCallSerialNumber, AvpType::kMinimumBps,
        AvpType::kMaximumBps, AvpType::kBearerType, AvpType::kFramingType, AvpType::kCalledNumber}},
      {MsgType::kOcrp, {AvpType::kAssignedSessionId}},
      {MsgType::kOccn, {AvpType::kTxConnectSpeed, AvpType::kFramingType}},
      {MsgType::kIcrq, {AvpType::kAssignedSessionId, AvpType::kCallSerialNumber}},
      {MsgType::kIcrp, {AvpType::kAssignedSessionId}},
      {MsgType::kIccn, {AvpType::kTxConnectSpeed, AvpType::kFramingType}},
      {MsgType::kCdn, {AvpType::kResultCode, AvpType::kAssignedSessionId}},
      {MsgType::kWen, {AvpType::kCallErrors}},
      {MsgType::kSli, {AvpType::kAccm}},
  };
  return table;
}

Bytes u16_bytes(std::uint16_t v) {
  Bytes b(2);
  store_be16(b.data(), v);
  return b;
}

void put16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void append_avp(Bytes& out, bool m, bool h, std::uint16_t vendor, std::uint16_t type,
                ByteView value) {
  const std::size_t len = std::min(kAvpHeader + value.size(), kMaxAvpLen);
  put16(out, static_cast<std::uint16_t>((m ? kAvpM : 0) | (h ? kAvpH : 0) | len));
  put16(out, vendor);
  put16(out, type);
  out.insert(out.end(), value.begin(), value.begin() + static_cast<long>(len - kAvpHeader));
}

}  // namespace

std::string_view to_string(MsgType t) {
  switch (t) {
    case MsgType::kSccrq:
      return "SCCRQ";
    case MsgType::kSccrp:
      return "SCCRP";
    case MsgType::kScccn:
      return "SCCCN";
    case MsgType::kStopccn:
      return "StopCCN";
    case MsgType::kHello:
      return "HELLO";
    case MsgType::kOcrq:
      return "OCRQ";
    case MsgType::kOcrp:
      return "OCRP";
    case MsgType::kOccn:
      return "OCCN";
    case MsgType::kIcrq:
      return "ICRQ";
    case MsgType::kIcrp:
      return "ICRP";
    case MsgType::kIccn:
      return "ICCN";
    case MsgType::kCdn:
      return "CDN";
    case MsgType::kWen:
      return "WEN";
    case MsgType::kSli:
      return "SLI";
  }
  return "unknown";
}

bool is_known_message_type(std::uint16_t t) {
  return (t >= 1 && t <= 4) || (t >= 6 && t <= 12) || (t >= 14 && t <= 16);
}

bool is_session_message(MsgType t) {
  switch (t) {
    case MsgType::kOcrq:
    case MsgType::kOcrp:
    case MsgType::kOccn:
    case MsgType::kIcrq:
    case MsgType::kIcrp:
    case MsgType::kIccn:
    case MsgType::kCdn:
    case MsgType::kWen:
    case MsgType::kSli:
      return true;
    default:
      return false;
  }
}

const AvpRule* avp_rule(std::uint16_t type) {
  for (const AvpRule& r : kRules) {
    if (static_cast<std::uint16_t>(r.type) == type) return &r;
  }
  return nullptr;
}

std::string avp_name(std::uint16_t vendor, std::uint16_t type) {
  if (vendor == 0) {
    if (const AvpRule* r = avp_rule(type)) return std::string(r->name);
  }
  return "vendor " + std::to_string(vendor) + " attribute " + std::to_string(type);
}

std::string_view to_string(Error e) {
  switch (e) {
    case Error::kNone:
      return "ok";
    case Error::kTruncated:
      return "truncated";
    case Error::kBadVersion:
      return "bad version";
    case Error::kBadControlBits:
      return "bad control header bits";
    case Error::kBadLength:
      return "bad length field";
    case Error::kBadOffset:
      return "bad offset";
    case Error::kBadAvpLength:
      return "bad AVP length";
    case Error::kNoMessageType:
      return "first AVP is not Message Type";
    case Error::kBadAvpValue:
      return "bad AVP value";
    case Error::kHiddenNoSecret:
      return "hidden AVP without a shared secret";
    case Error::kHiddenNoVector:
      return "hidden AVP without Random Vector";
    case Error::kBadHiddenLength:
      return "bad hidden AVP length";
    case Error::kMissingAvp:
      return "missing required AVP";
    case Error::kUnknownMandatoryAvp:
      return "unknown mandatory AVP";
  }
  return "?";
}

std::optional<Header> parse_header(ByteView d, Error* error) {
  auto fail = [&](Error e) -> std::optional<Header> {
    if (error) *error = e;
    return std::nullopt;
  };
  if (d.size() < 6) return fail(Error::kTruncated);
  const std::uint16_t flags = load_be16(d.data());
  Header h;
  if ((flags & kVerMask) != kVersion) return fail(Error::kBadVersion);
  h.control = (flags & kFlagT) != 0;
  h.has_length = (flags & kFlagL) != 0;
  h.has_seq = (flags & kFlagS) != 0;
  h.has_offset = (flags & kFlagO) != 0;
  h.priority = (flags & kFlagP) != 0;
  if (h.control && (!h.has_length || !h.has_seq || h.has_offset || h.priority)) {
    return fail(Error::kBadControlBits);
  }
  std::size_t pos = 2;
  std::size_t end = d.size();
  if (h.has_length) {
    h.length = load_be16(d.data() + pos);
    pos += 2;
    if (h.length > d.size()) return fail(Error::kTruncated);
    end = h.length;
  }
  if (d.size() < pos + 4) return fail(Error::kTruncated);
  h.tunnel = load_be16(d.data() + pos);
  h.session = load_be16(d.data() + pos + 2);
  pos += 4;
  if (h.has_seq) {
    if (d.size() < pos + 4) return fail(Error::kTruncated);
    h.ns = load_be16(d.data() + pos);
    h.nr = load_be16(d.data() + pos + 2);
    pos += 4;
  }
  if (h.has_offset) {
    if (d.size() < pos + 2) return fail(Error::kTruncated);
    const std::uint16_t off = load_be16(d.data() + pos);
    pos += 2 + off;
    if (pos > end) return fail(Error::kBadOffset);
  }
  if (pos > end) return fail(Error::kBadLength);
  h.payload_offset = pos;
  if (error) *error = Error::kNone;
  return h;
}

const Avp* Message::find(AvpType t) const {
  const auto want = static_cast<std::uint16_t>(t);
  for (const Avp& a : avps) {
    if (a.vendor == 0 && a.type == want) return &a;
  }
  return nullptr;
}

std::optional<std::uint16_t> Message::u16(AvpType t) const {
  const Avp* a = find(t);
  if (!a || a->value.size() < 2) return std::nullopt;
  return load_be16(a->value.data());
}

std::optional<std::uint32_t> Message::u32(AvpType t) const {
  const Avp* a = find(t);
  if (!a || a->value.size() < 4) return std::nullopt;
  return load_be32(a->value.data());
}

std::optional<std::string> Message::str(AvpType t) const {
  const Avp* a = find(t);
  if (!a) return std::nullopt;
  return std::string(a->value.begin(), a->value.end());
}

Message& Message::add(AvpType t, Bytes value, bool hidden) {
  const AvpRule* r = avp_rule(static_cast<std::uint16_t>(t));
  Avp a;
  a.type = static_cast<std::uint16_t>(t);
  a.mandatory = r ? r->mandatory : true;
  a.hidden = hidden && r && r->may_hide;
  a.value = std::move(value);
  avps.push_back(std::move(a));
  return *this;
}

Message& Message::add_u16(AvpType t, std::uint16_t v, bool hidden) {
  return add(t, u16_bytes(v), hidden);
}

Message& Message::add_u32(AvpType t, std::uint32_t v, bool hidden) {
  Bytes b(4);
  store_be32(b.data(), v);
  return add(t, std::move(b), hidden);
}

Message& Message::add_string(AvpType t, std::string_view s, bool hidden) {
  return add(t, Bytes(s.begin(), s.end()), hidden);
}

Message& Message::add_result(std::uint16_t result, std::uint16_t error, std::string_view text) {
  Bytes b = u16_bytes(result);
  if (error != 0 || !text.empty()) {
    put16(b, error);
    b.insert(b.end(), text.begin(), text.end());
  }
  return add(AvpType::kResultCode, std::move(b));
}

std::optional<ResultCode> parse_result_code(const Avp& avp) {
  if (avp.value.size() < 2 || avp.value.size() == 3) return std::nullopt;
  ResultCode r;
  r.result = load_be16(avp.value.data());
  if (avp.value.size() >= 4) {
    r.error = load_be16(avp.value.data() + 2);
    r.message.assign(avp.value.begin() + 4, avp.value.end());
  }
  return r;
}

Bytes md5(ByteView data) {
  Bytes out(16);
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_md5(), nullptr) != 1 ||
      len != 16) {
    out.assign(16, 0);  // cannot happen with OpenSSL's built-in MD5
  }
  return out;
}

namespace {
// XORs `data` in place with the RFC 2661 4.3 MD5 chain. `chain_from_output` selects whether
// each next hash covers the ciphertext we produce (hiding) or the one we read (unhiding).
void md5_chain(std::uint16_t type, MutableByteView data, std::string_view secret, ByteView vector,
               bool hiding) {
  Bytes seed;
  put16(seed, type);
  seed.insert(seed.end(), secret.begin(), secret.end());
  seed.insert(seed.end(), vector.begin(), vector.end());
  Bytes b = md5(seed);
  for (std::size_t off = 0; off < data.size(); off += 16) {
    const std::size_t n = std::min<std::size_t>(16, data.size() - off);
    Bytes cipher(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (hiding) {
        data[off + i] ^= b[i];
        cipher[i] = data[off + i];
      } else {
        cipher[i] = data[off + i];
        data[off + i] ^= b[i];
      }
    }
    Bytes next(secret.begin(), secret.end());
    next.insert(next.end(), cipher.begin(), cipher.end());
    b = md5(next);
  }
}
}  // namespace

Bytes hide_value(std::uint16_t type, ByteView value, std::string_view secret, ByteView vector,
                 ByteView padding) {
  Bytes sub;
  put16(sub, static_cast<std::uint16_t>(value.size()));
  sub.insert(sub.end(), value.begin(), value.end());
  sub.insert(sub.end(), padding.begin(), padding.end());
  md5_chain(type, sub, secret, vector, true);
  return sub;
}

std::optional<Bytes> unhide_value(std::uint16_t type, ByteView hidden, std::string_view secret,
                                  ByteView vector) {
  if (hidden.size() < 2) return std::nullopt;
  Bytes sub(hidden.begin(), hidden.end());
  md5_chain(type, sub, secret, vector, false);
  const std::size_t len = load_be16(sub.data());
  if (len > sub.size() - 2) return std::nullopt;
  return Bytes(sub.begin() + 2, sub.begin() + 2 + static_cast<long>(len));
}

Bytes challenge_response(std::uint8_t id, std::string_view secret, ByteView challenge) {
  Bytes in;
  in.push_back(id);
  in.insert(in.end(), secret.begin(), secret.end());
  in.insert(in.end(), challenge.begin(), challenge.end());
  return md5(in);
}

Decoded decode_control(ByteView body, std::string_view secret) {
  Decoded out;
  auto fail = [&](Error e, std::string detail) {
    out.error = e;
    out.detail = std::move(detail);
    return out;
  };
  if (body.empty()) {
    out.zlb = true;
    return out;
  }
  std::optional<Bytes> vector;
  std::size_t pos = 0;
  bool first = true;
  while (pos < body.size()) {
    if (body.size() - pos < kAvpHeader) return fail(Error::kBadAvpLength, "AVP header truncated");
    const std::uint16_t w = load_be16(body.data() + pos);
    const std::size_t len = w & kAvpLenMask;
    if (len < kAvpHeader || len > body.size() - pos) {
      return fail(Error::kBadAvpLength,
                  "AVP length " + std::to_string(len) + " at offset " + std::to_string(pos));
    }
    Avp a;
    a.mandatory = (w & kAvpM) != 0;
    a.hidden = (w & kAvpH) != 0;
    a.vendor = load_be16(body.data() + pos + 2);
    a.type = load_be16(body.data() + pos + 4);
    a.value.assign(body.begin() + static_cast<long>(pos + kAvpHeader),
                   body.begin() + static_cast<long>(pos + len));
    pos += len;
    const bool reserved = (w & kAvpReserved) != 0;
    const AvpRule* rule = (a.vendor == 0 && !reserved) ? avp_rule(a.type) : nullptr;
    if (first) {
      first = false;
      if (!rule || rule->type != AvpType::kMessageType) {
        return fail(Error::kNoMessageType, avp_name(a.vendor, a.type) + " is first");
      }
    } else if (rule && rule->type == AvpType::kMessageType) {
      return fail(Error::kBadAvpValue, "second Message Type AVP");
    }
    if (!rule) {
      // Unrecognised (or reserved bits set, 4.1): M set tears down, otherwise ignored.
      if (a.mandatory && !out.unknown_mandatory) out.unknown_mandatory = a;
      continue;
    }
    if (a.hidden) {
      if (!rule->may_hide) return fail(Error::kBadAvpValue, std::string(rule->name) + " hidden");
      if (secret.empty()) return fail(Error::kHiddenNoSecret, std::string(rule->name));
      if (!vector) return fail(Error::kHiddenNoVector, std::string(rule->name));
      auto clear = unhide_value(a.type, a.value, secret, *vector);
      if (!clear) return fail(Error::kBadHiddenLength, std::string(rule->name));
      a.value = std::move(*clear);
      out.message.has_hidden = true;
    }
    if (a.value.size() < rule->min_len || a.value.size() > rule->max_len) {
      return fail(Error::kBadAvpValue,
                  std::string(rule->name) + " length " + std::to_string(a.value.size()));
    }
    if (rule->type == AvpType::kResultCode && a.value.size() == 3) {
      return fail(Error::kBadAvpValue, "Result Code length 3");
    }
    if (rule->type == AvpType::kMessageType) {
      out.message.type = load_be16(a.value.data());
      if (!is_known_message_type(out.message.type)) {
        if (a.mandatory) {
          out.unknown_mandatory = a;
          return fail(Error::kUnknownMandatoryAvp,
                      "unknown message type " + std::to_string(out.message.type));
        }
        out.ignore = true;
        return out;
      }
      continue;
    }
    if (rule->type == AvpType::kRandomVector) {
      vector = a.value;
      continue;
    }
    out.message.avps.push_back(std::move(a));
  }
  for (const Required& r : required_table()) {
    if (static_cast<std::uint16_t>(r.type) != out.message.type) continue;
    for (AvpType t : r.avps) {
      if (!out.message.has(t)) {
        return fail(Error::kMissingAvp, std::string(to_string(r.type)) + " without " +
                                            avp_name(0, static_cast<std::uint16_t>(t)));
      }
    }
  }
  if (out.unknown_mandatory) {
    out.error = Error::kUnknownMandatoryAvp;
    out.detail = avp_name(out.unknown_mandatory->vendor, out.unknown_mandatory->type);
  }
  return out;
}

Bytes encode_control(std::uint16_t tunnel, std::uint16_t session, std::uint16_t ns,
                     std::uint16_t nr, const Message& m, std::string_view secret) {
  Bytes out;
  out.reserve(64);
  put16(out, kFlagT | kFlagL | kFlagS | kVersion);
  put16(out, 0);  // length, filled below
  put16(out, tunnel);
  put16(out, session);
  put16(out, ns);
  put16(out, nr);
  append_avp(out, true, false, 0, static_cast<std::uint16_t>(AvpType::kMessageType),
             u16_bytes(m.type));
  Bytes vector;
  for (const Avp& a : m.avps) {
    const bool hide = a.hidden && !secret.empty();
    if (hide && vector.empty()) {
      vector.resize(16);
      golden::random_bytes(vector);
      append_avp(out, true, false, 0, static_cast<std::uint16_t>(AvpType::kRandomVector), vector);
    }
    if (hide) {
      std::array<std::uint8_t, 1> pad_len{};
      golden::random_bytes(pad_len);
      Bytes padding(pad_len[0] % 16);
      golden::random_bytes(padding);
      append_avp(out, a.mandatory, true, a.vendor, a.type,
                 hide_value(a.type, a.value, secret, vector, padding));
    } else {
      append_avp(out, a.mandatory, false, a.vendor, a.type, a.value);
    }
  }
  store_be16(out.data() + 2, static_cast<std::uint16_t>(std::min<std::size_t>(out.size(), 0xffff)));
  return out;
}

Bytes encode_zlb(std::uint16_t tunnel, std::uint16_t session, std::uint16_t ns, std::uint16_t nr) {
  Bytes out;
  put16(out, kFlagT | kFlagL | kFlagS | kVersion);
  put16(out, 12);
  put16(out, tunnel);
  put16(out, session);
  put16(out, ns);
  put16(out, nr);
  return out;
}

Bytes encode_data(std::uint16_t tunnel, std::uint16_t session, std::optional<DataSeq> seq,
                  ByteView ppp_frame) {
  Bytes out;
  out.reserve(ppp_frame.size() + 12);
  put16(out, static_cast<std::uint16_t>(kFlagL | (seq ? kFlagS : 0) | kVersion));
  put16(out, 0);
  put16(out, tunnel);
  put16(out, session);
  if (seq) {
    put16(out, seq->ns);
    put16(out, seq->nr);
  }
  out.insert(out.end(), ppp_frame.begin(), ppp_frame.end());
  store_be16(out.data() + 2, static_cast<std::uint16_t>(std::min<std::size_t>(out.size(), 0xffff)));
  return out;
}

}  // namespace l2sec::l2tp
