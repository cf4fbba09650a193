#include "l2sec/ike/isakmp.hpp"

#include <algorithm>

namespace l2sec::ike {

namespace {

// The rule table: what every payload type we accept needs at least, past its generic header.
struct PayloadRule {
  PayloadType type;
  std::size_t min_body;
  std::string_view name;
};

constexpr PayloadRule kPayloadRules[] = {
    {PayloadType::kSa, 8, "SA"},
    {PayloadType::kProposal, 4, "PROPOSAL"},
    {PayloadType::kTransform, 4, "TRANSFORM"},
    {PayloadType::kKe, 1, "KE"},
    {PayloadType::kId, 4, "ID"},
    {PayloadType::kCert, 1, "CERT"},
    {PayloadType::kCertReq, 1, "CERTREQ"},
    {PayloadType::kHash, 1, "HASH"},
    {PayloadType::kSig, 1, "SIG"},
    {PayloadType::kNonce, 8, "NONCE"},  // RFC 2409 5: 8..256 bytes
    {PayloadType::kNotify, 8, "N"},
    {PayloadType::kDelete, 8, "D"},
    {PayloadType::kVendorId, 1, "VID"},
    {PayloadType::kNatD, 1, "NAT-D"},
    {PayloadType::kNatOa, 8, "NAT-OA"},
    {PayloadType::kNatDDraft, 1, "NAT-D(draft)"},
    {PayloadType::kNatOaDraft, 8, "NAT-OA(draft)"},
};

const PayloadRule* rule_for(PayloadType t) {
  for (const auto& r : kPayloadRules) {
    if (r.type == t) return &r;
  }
  return nullptr;
}

template <typename T>
std::optional<T> fail(ParseError* error, ParseError e) {
  if (error) *error = e;
  return std::nullopt;
}

bool set_error(ParseError* error, ParseError e) {
  if (error) *error = e;
  return false;
}

void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put32(Bytes& b, std::uint32_t v) {
  put16(b, static_cast<std::uint16_t>(v >> 16));
  put16(b, static_cast<std::uint16_t>(v));
}

bool parse_attributes(ByteView data, std::vector<Attribute>& out, ParseError* error) {
  std::size_t pos = 0;
  while (pos < data.size()) {
    if (data.size() - pos < 4) return set_error(error, ParseError::kBadAttribute);
    const std::uint16_t t = load_be16(&data[pos]);
    const std::uint16_t v = load_be16(&data[pos + 2]);
    Attribute a;
    a.type = t & 0x7fff;
    pos += 4;
    if (t & 0x8000) {
      a.tv = true;
      a.value = v;
    } else {
      a.tv = false;
      if (data.size() - pos < v) return set_error(error, ParseError::kBadAttribute);
      a.data.assign(data.begin() + static_cast<std::ptrdiff_t>(pos),
                    data.begin() + static_cast<std::ptrdiff_t>(pos + v));
      pos += v;
    }
    if (out.size() >= 64) return set_error(error, ParseError::kBadAttribute);
    out.push_back(std::move(a));
  }
  return true;
}

std::optional<Transform> parse_transform(ByteView body, ParseError* error) {
  if (body.size() < 4) return fail<Transform>(error, ParseError::kBadTransform);
  Transform t;
  t.number = body[0];
  t.id = body[1];
  if (body[2] != 0 || body[3] != 0) return fail<Transform>(error, ParseError::kBadReserved);
  if (!parse_attributes(body.subspan(4), t.attributes, error)) return std::nullopt;
  return t;
}

std::optional<Proposal> parse_proposal(ByteView body, ParseError* error) {
  if (body.size() < 4) return fail<Proposal>(error, ParseError::kBadProposal);
  Proposal p;
  p.number = body[0];
  p.protocol = body[1];
  const std::size_t spi_size = body[2];
  const std::size_t count = body[3];
  if (body.size() < 4 + spi_size) return fail<Proposal>(error, ParseError::kBadProposal);
  if (spi_size > 16) return fail<Proposal>(error, ParseError::kBadProposal);
  p.spi.assign(body.begin() + 4, body.begin() + static_cast<std::ptrdiff_t>(4 + spi_size));
  std::size_t pos = 4 + spi_size;
  std::uint8_t next = 3;
  while (pos < body.size()) {
    if (next != 3) return fail<Proposal>(error, ParseError::kBadTransform);
    if (body.size() - pos < 4) return fail<Proposal>(error, ParseError::kBadTransform);
    next = body[pos];
    if (body[pos + 1] != 0) return fail<Proposal>(error, ParseError::kBadReserved);
    const std::size_t len = load_be16(&body[pos + 2]);
    if (len < 8 || len > body.size() - pos) return fail<Proposal>(error, ParseError::kBadTransform);
    auto t = parse_transform(body.subspan(pos + 4, len - 4), error);
    if (!t) return std::nullopt;
    p.transforms.push_back(std::move(*t));
    pos += len;
  }
  if (next != 0 || p.transforms.size() != count || count == 0) {
    return fail<Proposal>(error, ParseError::kBadProposal);
  }
  return p;
}

void append_attr(Bytes& b, const Attribute& a) {
  if (a.tv) {
    put16(b, static_cast<std::uint16_t>(a.type | 0x8000));
    put16(b, a.value);
  } else {
    put16(b, a.type & 0x7fff);
    put16(b, static_cast<std::uint16_t>(a.data.size()));
    b.insert(b.end(), a.data.begin(), a.data.end());
  }
}

}  // namespace

std::string_view to_string(PayloadType t) {
  if (t == PayloadType::kNone) return "NONE";
  if (const auto* r = rule_for(t)) return r->name;
  return "UNKNOWN";
}

std::string_view to_string(ExchangeType t) {
  switch (t) {
    case ExchangeType::kNone:
      return "NONE";
    case ExchangeType::kBase:
      return "BASE";
    case ExchangeType::kIdentityProtection:
      return "MAIN_MODE";
    case ExchangeType::kAuthOnly:
      return "AUTH_ONLY";
    case ExchangeType::kAggressive:
      return "AGGRESSIVE";
    case ExchangeType::kInformational:
      return "INFORMATIONAL";
    case ExchangeType::kQuickMode:
      return "QUICK_MODE";
  }
  return "UNKNOWN";
}

std::string_view to_string(ParseError e) {
  switch (e) {
    case ParseError::kNone:
      return "none";
    case ParseError::kTruncatedHeader:
      return "truncated header";
    case ParseError::kBadVersion:
      return "bad version";
    case ParseError::kLengthMismatch:
      return "length mismatch";
    case ParseError::kTooLong:
      return "too long";
    case ParseError::kBadFlags:
      return "bad flags";
    case ParseError::kZeroInitiatorCookie:
      return "zero initiator cookie";
    case ParseError::kPayloadTruncated:
      return "payload truncated";
    case ParseError::kPayloadLengthTooShort:
      return "payload length too short";
    case ParseError::kTrailingBytes:
      return "trailing bytes";
    case ParseError::kTooManyPayloads:
      return "too many payloads";
    case ParseError::kUnknownPayload:
      return "unknown payload";
    case ParseError::kBadSa:
      return "bad SA";
    case ParseError::kBadProposal:
      return "bad proposal";
    case ParseError::kBadTransform:
      return "bad transform";
    case ParseError::kBadAttribute:
      return "bad attribute";
    case ParseError::kBadId:
      return "bad ID";
    case ParseError::kBadNotify:
      return "bad notify";
    case ParseError::kBadDelete:
      return "bad delete";
    case ParseError::kBadNatOa:
      return "bad NAT-OA";
    case ParseError::kBadReserved:
      return "reserved field not zero";
    case ParseError::kCount:
      break;
  }
  return "?";
}

std::optional<std::uint64_t> Attribute::as_int() const {
  if (tv) return value;
  if (data.empty() || data.size() > 8) return std::nullopt;
  std::uint64_t v = 0;
  for (auto b : data) v = (v << 8) | b;
  return v;
}

Attribute Attribute::basic(std::uint16_t type, std::uint16_t value) {
  Attribute a;
  a.type = type;
  a.tv = true;
  a.value = value;
  return a;
}

Attribute Attribute::integer(std::uint16_t type, std::uint64_t value) {
  if (value <= 0xffff) return basic(type, static_cast<std::uint16_t>(value));
  Attribute a;
  a.type = type;
  a.tv = false;
  const auto v = static_cast<std::uint32_t>(std::min<std::uint64_t>(value, 0xffffffffu));
  a.data = {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
            static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
  return a;
}

const Attribute* Transform::find(std::uint16_t type) const {
  for (const auto& a : attributes) {
    if (a.type == type) return &a;
  }
  return nullptr;
}

std::optional<std::uint32_t> IdPayload::ipv4() const {
  if (type != kIdIpv4Addr || data.size() != 4) return std::nullopt;
  return load_be32(data.data());
}

IdPayload IdPayload::from_ipv4(std::uint32_t addr, std::uint8_t protocol, std::uint16_t port) {
  IdPayload id;
  id.type = kIdIpv4Addr;
  id.protocol = protocol;
  id.port = port;
  id.data.resize(4);
  store_be32(id.data.data(), addr);
  return id;
}

const Payload* Message::find(PayloadType t) const {
  for (const auto& p : payloads) {
    if (p.type == t) return &p;
  }
  return nullptr;
}

std::vector<const Payload*> Message::find_all(PayloadType t) const {
  std::vector<const Payload*> out;
  for (const auto& p : payloads) {
    if (p.type == t) out.push_back(&p);
  }
  return out;
}

std::optional<Header> parse_header(ByteView d, ParseError* error) {
  if (d.size() < kHeaderLen) return fail<Header>(error, ParseError::kTruncatedHeader);
  Header h;
  std::copy_n(d.begin(), 8, h.icookie.begin());
  std::copy_n(d.begin() + 8, 8, h.rcookie.begin());
  h.next = static_cast<PayloadType>(d[16]);
  h.version = d[17];
  h.exchange = static_cast<ExchangeType>(d[18]);
  h.flags = d[19];
  h.message_id = load_be32(&d[20]);
  h.length = load_be32(&d[24]);
  if ((h.version >> 4) != 1) return fail<Header>(error, ParseError::kBadVersion);
  if (h.flags & 0xf8) return fail<Header>(error, ParseError::kBadFlags);
  if (std::all_of(h.icookie.begin(), h.icookie.end(), [](auto b) { return b == 0; })) {
    return fail<Header>(error, ParseError::kZeroInitiatorCookie);
  }
  if (h.length > kMaxMessageLen + kHeaderLen) return fail<Header>(error, ParseError::kTooLong);
  if (h.length != d.size()) return fail<Header>(error, ParseError::kLengthMismatch);
  return h;
}

bool parse_payloads(PayloadType first, ByteView body, bool allow_padding, Message& out,
                    ParseError* error) {
  PayloadType next = first;
  std::size_t pos = 0;
  out.payloads.clear();
  while (next != PayloadType::kNone) {
    const PayloadRule* rule = rule_for(next);
    if (!rule || next == PayloadType::kProposal || next == PayloadType::kTransform) {
      return set_error(error, ParseError::kUnknownPayload);
    }
    if (out.payloads.size() >= kMaxPayloads) return set_error(error, ParseError::kTooManyPayloads);
    if (body.size() - pos < kGenericHeaderLen) {
      return set_error(error, ParseError::kPayloadTruncated);
    }
    const auto following = static_cast<PayloadType>(body[pos]);
    if (body[pos + 1] != 0) return set_error(error, ParseError::kBadReserved);
    const std::size_t len = load_be16(&body[pos + 2]);
    if (len < kGenericHeaderLen + rule->min_body) {
      return set_error(error, ParseError::kPayloadLengthTooShort);
    }
    if (len > body.size() - pos) return set_error(error, ParseError::kPayloadTruncated);
    Payload p;
    p.type = next;
    p.offset = pos;
    p.body.assign(body.begin() + static_cast<std::ptrdiff_t>(pos + kGenericHeaderLen),
                  body.begin() + static_cast<std::ptrdiff_t>(pos + len));
    out.payloads.push_back(std::move(p));
    pos += len;
    next = following;
  }
  out.payload_end = pos;
  if (!allow_padding && pos != body.size()) return set_error(error, ParseError::kTrailingBytes);
  return true;
}

std::optional<Message> parse_message(ByteView d, ParseError* error) {
  auto h = parse_header(d, error);
  if (!h) return std::nullopt;
  Message m;
  m.header = *h;
  if (!parse_payloads(h->next, d.subspan(kHeaderLen), false, m, error)) return std::nullopt;
  return m;
}

std::optional<SaPayload> parse_sa(ByteView body, ParseError* error) {
  if (body.size() < 8) return fail<SaPayload>(error, ParseError::kBadSa);
  SaPayload sa;
  sa.doi = load_be32(&body[0]);
  sa.situation = load_be32(&body[4]);
  if (sa.doi != kDoiIpsec) return fail<SaPayload>(error, ParseError::kBadSa);
  std::size_t pos = 8;
  std::uint8_t next = 2;
  while (pos < body.size()) {
    if (next != 2) return fail<SaPayload>(error, ParseError::kBadSa);
    if (body.size() - pos < 4) return fail<SaPayload>(error, ParseError::kBadProposal);
    next = body[pos];
    if (body[pos + 1] != 0) return fail<SaPayload>(error, ParseError::kBadReserved);
    const std::size_t len = load_be16(&body[pos + 2]);
    if (len < 8 || len > body.size() - pos) {
      return fail<SaPayload>(error, ParseError::kBadProposal);
    }
    auto p = parse_proposal(body.subspan(pos + 4, len - 4), error);
    if (!p) return std::nullopt;
    if (sa.proposals.size() >= 32) return fail<SaPayload>(error, ParseError::kBadSa);
    sa.proposals.push_back(std::move(*p));
    pos += len;
  }
  if (next != 0 || sa.proposals.empty()) return fail<SaPayload>(error, ParseError::kBadSa);
  return sa;
}

std::optional<IdPayload> parse_id(ByteView body, ParseError* error) {
  if (body.size() < 4) return fail<IdPayload>(error, ParseError::kBadId);
  IdPayload id;
  id.type = body[0];
  id.protocol = body[1];
  id.port = load_be16(&body[2]);
  id.data.assign(body.begin() + 4, body.end());
  if (id.type == kIdIpv4Addr && id.data.size() != 4)
    return fail<IdPayload>(error, ParseError::kBadId);
  if (id.type == kIdIpv4Subnet && id.data.size() != 8) {
    return fail<IdPayload>(error, ParseError::kBadId);
  }
  if (id.data.empty()) return fail<IdPayload>(error, ParseError::kBadId);
  return id;
}

std::optional<NotifyPayload> parse_notify(ByteView body, ParseError* error) {
  if (body.size() < 8) return fail<NotifyPayload>(error, ParseError::kBadNotify);
  NotifyPayload n;
  n.doi = load_be32(&body[0]);
  n.protocol = body[4];
  const std::size_t spi_size = body[5];
  n.type = load_be16(&body[6]);
  if (body.size() - 8 < spi_size || spi_size > 16) {
    return fail<NotifyPayload>(error, ParseError::kBadNotify);
  }
  n.spi.assign(body.begin() + 8, body.begin() + static_cast<std::ptrdiff_t>(8 + spi_size));
  n.data.assign(body.begin() + static_cast<std::ptrdiff_t>(8 + spi_size), body.end());
  return n;
}

std::optional<DeletePayload> parse_delete(ByteView body, ParseError* error) {
  if (body.size() < 8) return fail<DeletePayload>(error, ParseError::kBadDelete);
  DeletePayload d;
  d.doi = load_be32(&body[0]);
  d.protocol = body[4];
  d.spi_size = body[5];
  const std::size_t count = load_be16(&body[6]);
  if (d.spi_size == 0 || d.spi_size > 16 || count == 0 || body.size() - 8 != count * d.spi_size) {
    return fail<DeletePayload>(error, ParseError::kBadDelete);
  }
  for (std::size_t i = 0; i < count; ++i) {
    const auto* s = body.data() + 8 + i * d.spi_size;
    d.spis.emplace_back(s, s + d.spi_size);
  }
  return d;
}

std::optional<NatOaPayload> parse_nat_oa(ByteView body, ParseError* error) {
  if (body.size() != 8 || body[0] != kIdIpv4Addr) {
    return fail<NatOaPayload>(error, ParseError::kBadNatOa);
  }
  if (body[1] != 0 || body[2] != 0 || body[3] != 0) {
    return fail<NatOaPayload>(error, ParseError::kBadReserved);
  }
  NatOaPayload n;
  n.id_type = body[0];
  n.addr = load_be32(&body[4]);
  return n;
}

std::optional<CertPayload> parse_cert(ByteView body, ParseError* error) {
  if (body.empty()) return fail<CertPayload>(error, ParseError::kPayloadLengthTooShort);
  CertPayload c;
  c.encoding = body[0];
  c.data.assign(body.begin() + 1, body.end());
  return c;
}

void write_header(const Header& h, std::uint8_t* out) {
  std::copy(h.icookie.begin(), h.icookie.end(), out);
  std::copy(h.rcookie.begin(), h.rcookie.end(), out + 8);
  out[16] = static_cast<std::uint8_t>(h.next);
  out[17] = h.version;
  out[18] = static_cast<std::uint8_t>(h.exchange);
  out[19] = h.flags;
  store_be32(out + 20, h.message_id);
  store_be32(out + 24, h.length);
}

Bytes encode_attributes(const std::vector<Attribute>& attrs) {
  Bytes b;
  for (const auto& a : attrs) append_attr(b, a);
  return b;
}

Bytes encode_sa(const SaPayload& sa) {
  Bytes b;
  put32(b, sa.doi);
  put32(b, sa.situation);
  for (std::size_t i = 0; i < sa.proposals.size(); ++i) {
    const Proposal& p = sa.proposals[i];
    Bytes pb;
    pb.push_back(p.number);
    pb.push_back(p.protocol);
    pb.push_back(static_cast<std::uint8_t>(p.spi.size()));
    pb.push_back(static_cast<std::uint8_t>(p.transforms.size()));
    pb.insert(pb.end(), p.spi.begin(), p.spi.end());
    for (std::size_t j = 0; j < p.transforms.size(); ++j) {
      const Transform& t = p.transforms[j];
      const Bytes attrs = encode_attributes(t.attributes);
      pb.push_back(j + 1 < p.transforms.size() ? 3 : 0);
      pb.push_back(0);
      put16(pb, static_cast<std::uint16_t>(8 + attrs.size()));
      pb.push_back(t.number);
      pb.push_back(t.id);
      put16(pb, 0);
      pb.insert(pb.end(), attrs.begin(), attrs.end());
    }
    b.push_back(i + 1 < sa.proposals.size() ? 2 : 0);
    b.push_back(0);
    put16(b, static_cast<std::uint16_t>(4 + pb.size()));
    b.insert(b.end(), pb.begin(), pb.end());
  }
  return b;
}

Bytes encode_id(const IdPayload& id) {
  Bytes b{id.type, id.protocol};
  put16(b, id.port);
  b.insert(b.end(), id.data.begin(), id.data.end());
  return b;
}

Bytes encode_notify(const NotifyPayload& n) {
  Bytes b;
  put32(b, n.doi);
  b.push_back(n.protocol);
  b.push_back(static_cast<std::uint8_t>(n.spi.size()));
  put16(b, n.type);
  b.insert(b.end(), n.spi.begin(), n.spi.end());
  b.insert(b.end(), n.data.begin(), n.data.end());
  return b;
}

Bytes encode_delete(const DeletePayload& d) {
  Bytes b;
  put32(b, d.doi);
  b.push_back(d.protocol);
  b.push_back(d.spi_size);
  put16(b, static_cast<std::uint16_t>(d.spis.size()));
  for (const auto& s : d.spis) b.insert(b.end(), s.begin(), s.end());
  return b;
}

Bytes encode_nat_oa(const NatOaPayload& n) {
  Bytes b{n.id_type, 0, 0, 0};
  put32(b, n.addr);
  return b;
}

Bytes encode_cert(const CertPayload& c) {
  Bytes b{c.encoding};
  b.insert(b.end(), c.data.begin(), c.data.end());
  return b;
}

void PayloadChain::add(PayloadType type, ByteView body) {
  if (offsets_.empty()) {
    first_ = type;
  } else {
    bytes_[offsets_.back()] = static_cast<std::uint8_t>(type);
  }
  offsets_.push_back(bytes_.size());
  bytes_.push_back(0);
  bytes_.push_back(0);
  put16(bytes_, static_cast<std::uint16_t>(kGenericHeaderLen + body.size()));
  bytes_.insert(bytes_.end(), body.begin(), body.end());
}

Bytes assemble(Header h, const PayloadChain& chain) {
  Bytes out(kHeaderLen);
  h.next = chain.first();
  h.length = static_cast<std::uint32_t>(kHeaderLen + chain.bytes().size());
  write_header(h, out.data());
  out.insert(out.end(), chain.bytes().begin(), chain.bytes().end());
  return out;
}

namespace vid {
// MD5("RFC 3947"), and the draft-ietf-ipsec-nat-t-ike vendor IDs as the drafts list them.
const std::array<std::uint8_t, 16> kNatTRfc3947 = {0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45,
                                                   0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f};
const std::array<std::uint8_t, 16> kNatTDraft02 = {0xcd, 0x60, 0x46, 0x43, 0x35, 0xdf, 0x21, 0xf8,
                                                   0x7c, 0xfd, 0xb2, 0xfc, 0x68, 0xb6, 0xa4, 0x48};
const std::array<std::uint8_t, 16> kNatTDraft02n = {0x90, 0xcb, 0x80, 0x91, 0x3e, 0xbb, 0x69, 0x6e,
                                                    0x08, 0x63, 0x81, 0xb5, 0xec, 0x42, 0x7b, 0x1f};
const std::array<std::uint8_t, 16> kNatTDraft03 = {0x7d, 0x94, 0x19, 0xa6, 0x53, 0x10, 0xca, 0x6f,
                                                   0x2c, 0x17, 0x9d, 0x92, 0x15, 0x52, 0x9d, 0x56};
// RFC 3706 section 5.2.
const std::array<std::uint8_t, 16> kDpd = {0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9,
                                           0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00};
}  // namespace vid

}  // namespace l2sec::ike
