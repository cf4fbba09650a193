#include "l2sec/ike/protocol.hpp"

#include <sstream>

namespace l2sec::ike {

namespace {

std::uint16_t key_bits(lm::Cipher c) {
  return static_cast<std::uint16_t>(golden::cipher_key_len(c) * 8);
}

std::optional<lm::Cipher> aes_for_bits(std::uint64_t bits) {
  switch (bits) {
    case 128:
      return lm::Cipher::kAesCbc128;
    case 192:
      return lm::Cipher::kAesCbc192;
    case 256:
      return lm::Cipher::kAesCbc256;
    default:
      return std::nullopt;
  }
}

std::string_view cipher_name(lm::Cipher c) {
  switch (c) {
    case lm::Cipher::kAesCbc128:
      return "aes128";
    case lm::Cipher::kAesCbc192:
      return "aes192";
    case lm::Cipher::kAesCbc256:
      return "aes256";
    case lm::Cipher::kDes3Cbc:
      return "3des";
    case lm::Cipher::kNone:
      break;
  }
  return "none";
}

std::string group_name(std::uint16_t g) {
  switch (g) {
    case 2:
      return "modp1024";
    case 14:
      return "modp2048";
    case 19:
      return "ecp256";
    case 20:
      return "ecp384";
    default:
      return "group" + std::to_string(g);
  }
}

// Life type/duration pairs: each duration follows its type.
void read_lifetimes(const Transform& t, std::uint16_t type_attr, std::uint16_t dur_attr,
                    std::uint16_t seconds, std::uint16_t kb, std::uint64_t& life_s,
                    std::uint64_t& life_kb, std::string& why) {
  std::uint16_t current = 0;
  for (const auto& a : t.attributes) {
    if (a.type == type_attr) {
      current = a.tv ? a.value : 0;
      if (current != seconds && current != kb) why = "unknown life type";
    } else if (a.type == dur_attr) {
      auto v = a.as_int();
      if (!v || current == 0) {
        why = "life duration without type or too long";
        continue;
      }
      (current == seconds ? life_s : life_kb) = *v;
    }
  }
}

}  // namespace

std::string_view to_string(AuthMethod a) { return a == AuthMethod::kRsaSig ? "rsa-sig" : "psk"; }

std::string to_string(const Phase1Proposal& p) {
  return std::string(cipher_name(p.cipher)) + "-" + std::string(to_string(p.hash)) + "-" +
         group_name(p.group) + (p.auth == AuthMethod::kRsaSig ? "-rsasig" : "");
}

std::string to_string(const EspProposal& p) {
  return std::string(cipher_name(p.cipher)) + "-" +
         (p.integ == lm::Integ::kHmacSha256 ? (p.sha256_96 ? "sha256-96" : "sha256") : "sha1");
}

std::vector<Phase1Proposal> default_phase1_proposals() {
  std::vector<Phase1Proposal> v;
  for (auto c : {lm::Cipher::kAesCbc256, lm::Cipher::kAesCbc128, lm::Cipher::kAesCbc192,
                 lm::Cipher::kDes3Cbc}) {
    for (auto h : {HashAlg::kSha256, HashAlg::kSha1, HashAlg::kSha384}) {
      for (std::uint16_t g : std::initializer_list<std::uint16_t>{14, 19, 20, 2})
        v.push_back({c, h, g});
    }
  }
  return v;
}

std::vector<EspProposal> default_esp_proposals() {
  std::vector<EspProposal> v;
  for (auto c : {lm::Cipher::kAesCbc256, lm::Cipher::kAesCbc128, lm::Cipher::kAesCbc192,
                 lm::Cipher::kDes3Cbc}) {
    for (auto i : {lm::Integ::kHmacSha256, lm::Integ::kHmacSha1}) v.push_back({c, i});
  }
  return v;
}

Transform phase1_transform(const Phase1Proposal& p, std::uint64_t life_s, std::uint8_t number) {
  Transform t;
  t.number = number;
  t.id = kTransformKeyIke;
  const bool aes = p.cipher != lm::Cipher::kDes3Cbc;
  t.attributes.push_back(Attribute::basic(p1::kEncryption, aes ? p1::kEncAes : p1::kEnc3Des));
  if (aes) t.attributes.push_back(Attribute::basic(p1::kKeyLength, key_bits(p.cipher)));
  std::uint16_t h = p1::kHashSha1;
  if (p.hash == HashAlg::kSha256) h = p1::kHashSha256;
  if (p.hash == HashAlg::kSha384) h = p1::kHashSha384;
  t.attributes.push_back(Attribute::basic(p1::kHash, h));
  t.attributes.push_back(Attribute::basic(
      p1::kAuthMethod, p.auth == AuthMethod::kRsaSig ? p1::kAuthRsaSig : p1::kAuthPsk));
  t.attributes.push_back(Attribute::basic(p1::kGroup, p.group));
  if (life_s) {
    t.attributes.push_back(Attribute::basic(p1::kLifeType, p1::kLifeSeconds));
    t.attributes.push_back(Attribute::integer(p1::kLifeDuration, life_s));
  }
  return t;
}

Phase1Offer read_phase1_transform(const Transform& t) {
  Phase1Offer o;
  if (t.id != kTransformKeyIke) {
    o.why = "transform ID not KEY_IKE";
    return o;
  }
  std::optional<std::uint16_t> enc, hsh, grp, auth;
  std::optional<std::uint64_t> keylen;
  for (const auto& a : t.attributes) {
    if (!a.tv && a.type != p1::kLifeDuration) {
      o.why = "variable-length attribute " + std::to_string(a.type);
      return o;
    }
    switch (a.type) {
      case p1::kEncryption:
        enc = a.value;
        break;
      case p1::kHash:
        hsh = a.value;
        break;
      case p1::kAuthMethod:
        auth = a.value;
        break;
      case p1::kGroup:
        grp = a.value;
        break;
      case p1::kKeyLength:
        keylen = a.value;
        break;
      case p1::kLifeType:
      case p1::kLifeDuration:
        break;
      default:
        o.why = "unsupported attribute " + std::to_string(a.type);
        return o;
    }
  }
  std::uint64_t kb = 0;
  read_lifetimes(t, p1::kLifeType, p1::kLifeDuration, p1::kLifeSeconds, p1::kLifeKilobytes,
                 o.life_s, kb, o.why);
  if (!o.why.empty()) return o;
  if (!enc || !hsh || !auth || !grp) {
    o.why = "mandatory attribute missing";
    return o;
  }
  if (*enc == p1::kEncAes) {
    auto c = aes_for_bits(keylen.value_or(128));
    if (!c) {
      o.why = "bad AES key length";
      return o;
    }
    o.suite.cipher = *c;
  } else if (*enc == p1::kEnc3Des) {
    o.suite.cipher = lm::Cipher::kDes3Cbc;
  } else {
    o.why = "encryption algorithm " + std::to_string(*enc);
    return o;
  }
  if (*hsh == p1::kHashSha1) {
    o.suite.hash = HashAlg::kSha1;
  } else if (*hsh == p1::kHashSha256) {
    o.suite.hash = HashAlg::kSha256;
  } else if (*hsh == p1::kHashSha384) {
    o.suite.hash = HashAlg::kSha384;
  } else {
    o.why = "hash algorithm " + std::to_string(*hsh);
    return o;
  }
  o.suite.group = *grp;
  o.auth = *auth;
  if (*auth == p1::kAuthRsaSig) o.suite.auth = AuthMethod::kRsaSig;
  return o;
}

EspOffer read_esp_transform(const Transform& t) {
  EspOffer o;
  std::optional<std::uint16_t> auth;
  std::optional<std::uint64_t> keylen;
  bool mode_seen = false;
  for (const auto& a : t.attributes) {
    if (!a.tv && a.type != p2::kLifeDuration) {
      o.why = "variable-length attribute " + std::to_string(a.type);
      return o;
    }
    switch (a.type) {
      case p2::kEncapMode:
        o.mode = a.value;
        mode_seen = true;
        break;
      case p2::kAuthAlg:
        auth = a.value;
        break;
      case p2::kGroup:
        o.group = a.value;
        break;
      case p2::kKeyLength:
        keylen = a.value;
        break;
      case p2::kLifeType:
      case p2::kLifeDuration:
        break;
      default:
        o.why = "unsupported attribute " + std::to_string(a.type);
        return o;
    }
  }
  read_lifetimes(t, p2::kLifeType, p2::kLifeDuration, 1, 2, o.life_s, o.life_kb, o.why);
  if (!o.why.empty()) return o;
  if (!mode_seen) o.mode = p2::kModeTunnel;  // RFC 2407 4.5: unspecified means tunnel
  if (t.id == kEspTransformAes) {
    auto c = aes_for_bits(keylen.value_or(128));
    if (!c) {
      o.why = "bad AES key length";
      return o;
    }
    o.suite.cipher = *c;
  } else if (t.id == kEspTransform3Des) {
    o.suite.cipher = lm::Cipher::kDes3Cbc;
  } else {
    o.why = "ESP transform " + std::to_string(t.id);
    return o;
  }
  if (!auth) {
    o.why = "no authentication algorithm";
    return o;
  }
  if (*auth == p2::kAuthHmacSha1) {
    o.suite.integ = lm::Integ::kHmacSha1;
  } else if (*auth == p2::kAuthHmacSha256) {
    o.suite.integ = lm::Integ::kHmacSha256;
  } else {
    o.why = "authentication algorithm " + std::to_string(*auth);
    return o;
  }
  return o;
}

Transform esp_transform(const EspOffer& o, std::uint8_t number) {
  Transform t;
  t.number = number;
  const bool aes = o.suite.cipher != lm::Cipher::kDes3Cbc;
  t.id = aes ? kEspTransformAes : kEspTransform3Des;
  if (o.life_s) {
    t.attributes.push_back(Attribute::basic(p2::kLifeType, 1));
    t.attributes.push_back(Attribute::integer(p2::kLifeDuration, o.life_s));
  }
  if (o.life_kb) {
    t.attributes.push_back(Attribute::basic(p2::kLifeType, 2));
    t.attributes.push_back(Attribute::integer(p2::kLifeDuration, o.life_kb));
  }
  if (o.group) t.attributes.push_back(Attribute::basic(p2::kGroup, o.group));
  t.attributes.push_back(Attribute::basic(p2::kEncapMode, o.mode));
  t.attributes.push_back(Attribute::basic(p2::kAuthAlg, o.suite.integ == lm::Integ::kHmacSha256
                                                            ? p2::kAuthHmacSha256
                                                            : p2::kAuthHmacSha1));
  if (aes) t.attributes.push_back(Attribute::basic(p2::kKeyLength, key_bits(o.suite.cipher)));
  return t;
}

std::size_t esp_keymat_len(const EspProposal& p) {
  return golden::cipher_key_len(p.cipher) + golden::integ_key_len(p.integ);
}

Bytes hash_i(const Phase1Keys& k, ByteView gxi, ByteView gxr, const Cookie& ci, const Cookie& cr,
             ByteView sai_b, ByteView idii_b) {
  return prf(k.hash, k.skeyid.view(), {gxi, gxr, ci, cr, sai_b, idii_b});
}

Bytes hash_r(const Phase1Keys& k, ByteView gxi, ByteView gxr, const Cookie& ci, const Cookie& cr,
             ByteView sai_b, ByteView idir_b) {
  return prf(k.hash, k.skeyid.view(), {gxr, gxi, cr, ci, sai_b, idir_b});
}

Bytes exchange_hash(const Phase1Keys& k, std::uint32_t mid, ByteView nonce_i, ByteView rest) {
  std::uint8_t m[4];
  store_be32(m, mid);
  return prf(k.hash, k.skeyid_a.view(), {ByteView(m, 4), nonce_i, rest});
}

Bytes qm_hash3(const Phase1Keys& k, std::uint32_t mid, ByteView ni, ByteView nr) {
  std::uint8_t m[5] = {0};
  store_be32(m + 1, mid);
  return prf(k.hash, k.skeyid_a.view(), {ByteView(m, 5), ni, nr});
}

Bytes seal(Header h, PayloadType first, ByteView payloads, const Phase1Cipher& c, Bytes& iv) {
  Bytes ct = c.encrypt(payloads, iv);
  h.next = first;
  h.flags |= kFlagEncryption;
  h.length = static_cast<std::uint32_t>(kHeaderLen + ct.size());
  Bytes out(kHeaderLen);
  write_header(h, out.data());
  out.insert(out.end(), ct.begin(), ct.end());
  return out;
}

Bytes hash_then(ByteView hash_value, const PayloadChain& rest) {
  PayloadChain head;
  head.add(PayloadType::kHash, hash_value);
  Bytes out = head.bytes();
  out[0] = static_cast<std::uint8_t>(rest.first());
  out.insert(out.end(), rest.bytes().begin(), rest.bytes().end());
  return out;
}

std::optional<Opened> open_message(ByteView datagram, const Header& h, const Phase1Cipher& c,
                                   const Bytes& iv, ParseError* error) {
  Opened o;
  o.new_iv = iv;
  auto plain = c.decrypt(datagram.subspan(kHeaderLen), o.new_iv);
  if (!plain) {
    if (error) *error = ParseError::kLengthMismatch;
    return std::nullopt;
  }
  o.body = std::move(*plain);
  o.msg.header = h;
  if (!parse_payloads(h.next, o.body, true, o.msg, error)) return std::nullopt;
  return o;
}

ByteView after_first_payload(const Opened& o) {
  if (o.msg.payloads.empty()) return {};
  const auto& first = o.msg.payloads.front();
  const std::size_t start = first.offset + kGenericHeaderLen + first.body.size();
  if (start > o.msg.payload_end) return {};
  return ByteView(o.body).subspan(start, o.msg.payload_end - start);
}

}  // namespace l2sec::ike
