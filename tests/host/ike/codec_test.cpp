// The ISAKMP codec: round trips of every structured payload, and each malformation named.
#include <gtest/gtest.h>

#include "l2sec/ike/isakmp.hpp"
#include "l2sec/ike/protocol.hpp"

using namespace l2sec;
using namespace l2sec::ike;

namespace {

Header sample_header() {
  Header h;
  h.icookie = {1, 2, 3, 4, 5, 6, 7, 8};
  h.exchange = ExchangeType::kIdentityProtection;
  return h;
}

Bytes sample_message() {
  SaPayload sa;
  Proposal p;
  p.transforms.push_back(phase1_transform({lm::Cipher::kAesCbc256, HashAlg::kSha256, 14}, 86400));
  p.transforms.push_back(phase1_transform({lm::Cipher::kDes3Cbc, HashAlg::kSha1, 2}, 28800, 2));
  sa.proposals.push_back(p);
  PayloadChain c;
  c.add(PayloadType::kSa, encode_sa(sa));
  c.add(PayloadType::kVendorId, vid::kNatTRfc3947);
  return assemble(sample_header(), c);
}

ParseError parse_error_of(const Bytes& m) {
  ParseError e = ParseError::kNone;
  auto r = parse_message(m, &e);
  EXPECT_FALSE(r.has_value());
  return e;
}

ParseError sa_error_of(const Bytes& body) {
  ParseError e = ParseError::kNone;
  EXPECT_FALSE(parse_sa(body, &e).has_value());
  return e;
}

}  // namespace

TEST(IsakmpCodec, HeaderAndSaRoundTrip) {
  const Bytes m = sample_message();
  ParseError e = ParseError::kNone;
  auto msg = parse_message(m, &e);
  ASSERT_TRUE(msg) << to_string(e);
  EXPECT_EQ(msg->header.icookie, sample_header().icookie);
  EXPECT_EQ(msg->header.exchange, ExchangeType::kIdentityProtection);
  EXPECT_EQ(msg->header.length, m.size());
  ASSERT_EQ(msg->payloads.size(), 2u);
  EXPECT_EQ(msg->payloads[1].type, PayloadType::kVendorId);
  auto sa = parse_sa(msg->payloads[0].body, &e);
  ASSERT_TRUE(sa);
  ASSERT_EQ(sa->proposals.size(), 1u);
  ASSERT_EQ(sa->proposals[0].transforms.size(), 2u);
  auto o1 = read_phase1_transform(sa->proposals[0].transforms[0]);
  EXPECT_TRUE(o1.why.empty()) << o1.why;
  EXPECT_EQ(o1.suite, (Phase1Proposal{lm::Cipher::kAesCbc256, HashAlg::kSha256, 14}));
  EXPECT_EQ(o1.life_s, 86400u);  // a TLV (does not fit 16 bits)
  EXPECT_FALSE(sa->proposals[0].transforms[0].find(p1::kLifeDuration)->tv);
  auto o2 = read_phase1_transform(sa->proposals[0].transforms[1]);
  EXPECT_EQ(o2.suite, (Phase1Proposal{lm::Cipher::kDes3Cbc, HashAlg::kSha1, 2}));
  EXPECT_EQ(o2.life_s, 28800u);
  EXPECT_EQ(o2.auth, p1::kAuthPsk);
  // Re-encoding the parsed SA gives the same bytes.
  EXPECT_EQ(encode_sa(*sa), msg->payloads[0].body);
}

TEST(IsakmpCodec, StructuredPayloadsRoundTrip) {
  ParseError e = ParseError::kNone;
  const IdPayload id = IdPayload::from_ipv4(0xc6120010, 17, 1701);
  auto id2 = parse_id(encode_id(id), &e);
  ASSERT_TRUE(id2);
  EXPECT_EQ(*id2, id);
  EXPECT_EQ(id2->ipv4(), 0xc6120010u);

  NotifyPayload n;
  n.protocol = kProtoIsakmp;
  n.spi = Bytes(16, 0xab);
  n.type = static_cast<std::uint16_t>(NotifyType::kRuThere);
  n.data = {0, 0, 0, 7};
  auto n2 = parse_notify(encode_notify(n), &e);
  ASSERT_TRUE(n2);
  EXPECT_EQ(n2->spi, n.spi);
  EXPECT_EQ(n2->type, n.type);
  EXPECT_EQ(n2->data, n.data);

  DeletePayload d;
  d.protocol = kProtoEsp;
  d.spi_size = 4;
  d.spis = {{0, 0, 1, 0}, {0, 0, 2, 0}};
  auto d2 = parse_delete(encode_delete(d), &e);
  ASSERT_TRUE(d2);
  EXPECT_EQ(d2->spis, d.spis);

  auto oa = parse_nat_oa(encode_nat_oa({kIdIpv4Addr, 0xc612000f}), &e);
  ASSERT_TRUE(oa);
  EXPECT_EQ(oa->addr, 0xc612000fu);

  auto cert = parse_cert(encode_cert({4, {1, 2, 3}}), &e);
  ASSERT_TRUE(cert);
  EXPECT_EQ(cert->encoding, 4);
  EXPECT_EQ(cert->data, (Bytes{1, 2, 3}));

  EspOffer o;
  o.suite = {lm::Cipher::kAesCbc256, lm::Integ::kHmacSha256};
  o.mode = p2::kModeUdpTransportDraft;
  o.group = 19;
  o.life_s = 3600;
  o.life_kb = 250000;
  auto back = read_esp_transform(esp_transform(o));
  EXPECT_TRUE(back.why.empty()) << back.why;
  EXPECT_EQ(back.suite, o.suite);
  EXPECT_EQ(back.mode, o.mode);
  EXPECT_EQ(back.group, 19);
  EXPECT_EQ(back.life_s, 3600u);
  EXPECT_EQ(back.life_kb, 250000u);
}

TEST(IsakmpCodec, EncryptedBodyMayCarryPadding) {
  PayloadChain c;
  c.add(PayloadType::kHash, Bytes(20, 1));
  Bytes body = c.bytes();
  body.resize(body.size() + 7, 0);
  Message m;
  ParseError e = ParseError::kNone;
  EXPECT_TRUE(parse_payloads(c.first(), body, true, m, &e));
  EXPECT_EQ(m.payload_end, c.bytes().size());
  EXPECT_FALSE(parse_payloads(c.first(), body, false, m, &e));
  EXPECT_EQ(e, ParseError::kTrailingBytes);
}

TEST(IsakmpCodec, EveryHeaderMalformationIsNamed) {
  const Bytes good = sample_message();
  EXPECT_EQ(parse_error_of(Bytes(good.begin(), good.begin() + 27)), ParseError::kTruncatedHeader);
  Bytes b = good;
  b[17] = 0x20;
  EXPECT_EQ(parse_error_of(b), ParseError::kBadVersion);
  b = good;
  b.push_back(0);
  EXPECT_EQ(parse_error_of(b), ParseError::kLengthMismatch);
  b = good;
  b[19] = 0x80;
  EXPECT_EQ(parse_error_of(b), ParseError::kBadFlags);
  b = good;
  std::fill(b.begin(), b.begin() + 8, 0);
  EXPECT_EQ(parse_error_of(b), ParseError::kZeroInitiatorCookie);
  b = good;
  store_be32(&b[24], 0x00100000);
  EXPECT_EQ(parse_error_of(b), ParseError::kTooLong);
}

TEST(IsakmpCodec, EveryPayloadChainMalformationIsNamed) {
  const Bytes good = sample_message();
  // First payload's length runs past the message.
  Bytes b = good;
  store_be16(&b[kHeaderLen + 2], 0x7fff);
  EXPECT_EQ(parse_error_of(b), ParseError::kPayloadTruncated);
  // Length below the generic header / the SA's fixed part.
  b = good;
  store_be16(&b[kHeaderLen + 2], 3);
  EXPECT_EQ(parse_error_of(b), ParseError::kPayloadLengthTooShort);
  // Reserved byte of the generic header.
  b = good;
  b[kHeaderLen + 1] = 1;
  EXPECT_EQ(parse_error_of(b), ParseError::kBadReserved);
  // A payload type we do not know.
  b = good;
  b[16] = 99;
  EXPECT_EQ(parse_error_of(b), ParseError::kUnknownPayload);
  // Bytes after the last payload of a clear message.
  b = good;
  b.push_back(0);
  store_be32(&b[24], static_cast<std::uint32_t>(b.size()));
  EXPECT_EQ(parse_error_of(b), ParseError::kTrailingBytes);
  // The chain's last next-payload claims one more payload than there is.
  b = good;
  const std::size_t last = kHeaderLen + load_be16(&b[kHeaderLen + 2]);
  b[last] = static_cast<std::uint8_t>(PayloadType::kVendorId);
  EXPECT_EQ(parse_error_of(b), ParseError::kPayloadTruncated);
  // Too many payloads.
  PayloadChain many;
  for (int i = 0; i < 70; ++i) many.add(PayloadType::kVendorId, Bytes{1});
  EXPECT_EQ(parse_error_of(assemble(sample_header(), many)), ParseError::kTooManyPayloads);
}

TEST(IsakmpCodec, EveryStructuredPayloadMalformationIsNamed) {
  SaPayload sa;
  Proposal p;
  p.transforms.push_back(phase1_transform({}, 3600));
  sa.proposals.push_back(p);
  const Bytes good = encode_sa(sa);
  ASSERT_TRUE(parse_sa(good, nullptr));
  Bytes b = good;
  store_be32(&b[0], 2);  // DOI
  EXPECT_EQ(sa_error_of(b), ParseError::kBadSa);
  EXPECT_EQ(sa_error_of(Bytes(good.begin(), good.begin() + 8)), ParseError::kBadSa);
  b = good;
  b[8 + 7] = 2;  // transform count says 2
  EXPECT_EQ(sa_error_of(b), ParseError::kBadProposal);
  b = good;
  store_be16(&b[8 + 8 + 2], 4);  // transform length below 8
  EXPECT_EQ(sa_error_of(b), ParseError::kBadTransform);
  b = good;
  b.back() = 0;  // truncate the last attribute's TLV? make the last TV a TLV claiming data
  b[b.size() - 4] &= 0x7f;
  b[b.size() - 1] = 0x40;
  EXPECT_EQ(sa_error_of(b), ParseError::kBadAttribute);
  b = good;
  b[8 + 8 + 6] = 1;  // transform reserved
  EXPECT_EQ(sa_error_of(b), ParseError::kBadReserved);

  ParseError e = ParseError::kNone;
  EXPECT_FALSE(parse_id(Bytes{1, 17, 0x06, 0xa5, 198, 18}, &e));
  EXPECT_EQ(e, ParseError::kBadId);
  EXPECT_FALSE(parse_notify(Bytes{0, 0, 0, 1, 1, 16, 0x8d, 0x28, 1, 2}, &e));
  EXPECT_EQ(e, ParseError::kBadNotify);
  EXPECT_FALSE(parse_delete(Bytes{0, 0, 0, 1, 3, 4, 0, 2, 0, 0, 1, 0}, &e));
  EXPECT_EQ(e, ParseError::kBadDelete);
  EXPECT_FALSE(parse_nat_oa(Bytes{2, 0, 0, 0, 1, 2, 3, 4}, &e));
  EXPECT_EQ(e, ParseError::kBadNatOa);
  EXPECT_FALSE(parse_nat_oa(Bytes{1, 0, 1, 0, 1, 2, 3, 4}, &e));
  EXPECT_EQ(e, ParseError::kBadReserved);
}

TEST(IsakmpCodec, RandomMutationsNeverCrash) {
  const Bytes good = sample_message();
  std::uint32_t x = 12345;
  int ok = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes b = good;
    for (int k = 0; k < 3; ++k) {
      x = x * 1103515245 + 12345;
      b[(x >> 8) % b.size()] = static_cast<std::uint8_t>(x >> 24);
    }
    ParseError e = ParseError::kNone;
    auto m = parse_message(b, &e);
    if (m) {
      ++ok;
      for (const auto& p : m->payloads) {
        if (p.type == PayloadType::kSa) (void)parse_sa(p.body, &e);
      }
    } else {
      EXPECT_NE(e, ParseError::kNone);
    }
  }
  EXPECT_GT(ok, 0);
}
