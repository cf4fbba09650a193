// The L2TP wire codec: header and AVP round trips, every malformation, the rule table, hidden
// AVPs against vectors computed independently (Python hashlib) and the challenge response.
#include "l2sec/l2tp/codec.hpp"

#include <gtest/gtest.h>

using namespace l2sec;
using namespace l2sec::l2tp;

namespace {

Bytes hex(std::string_view s) { return *from_hex(s); }

Message sccrq() {
  Message m;
  m.type = static_cast<std::uint16_t>(MsgType::kSccrq);
  m.add_u16(AvpType::kProtocolVersion, 0x0100);
  m.add_string(AvpType::kHostName, "lac.example");
  m.add_u32(AvpType::kFramingCapabilities, 3);
  m.add_u16(AvpType::kAssignedTunnelId, 0x4242);
  m.add_u16(AvpType::kReceiveWindowSize, 4);
  return m;
}

// A control header with the given AVP bytes after it.
Bytes control(ByteView avps) {
  Bytes b = encode_zlb(1, 0, 0, 0);
  b.insert(b.end(), avps.begin(), avps.end());
  store_be16(b.data() + 2, static_cast<std::uint16_t>(b.size()));
  return b;
}

Decoded decode_all(ByteView wire, std::string_view secret = {}) {
  Error e = Error::kNone;
  auto h = parse_header(wire, &e);
  EXPECT_TRUE(h) << to_string(e);
  if (!h) return {};
  return decode_control(wire.subspan(h->payload_offset, h->length - h->payload_offset), secret);
}

}  // namespace

TEST(L2tpCodec, ControlRoundTrip) {
  const Bytes wire = encode_control(0x1111, 0x2222, 5, 7, sccrq(), {});
  Error e;
  auto h = parse_header(wire, &e);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->control);
  EXPECT_TRUE(h->has_length);
  EXPECT_TRUE(h->has_seq);
  EXPECT_EQ(h->length, wire.size());
  EXPECT_EQ(h->tunnel, 0x1111);
  EXPECT_EQ(h->session, 0x2222);
  EXPECT_EQ(h->ns, 5);
  EXPECT_EQ(h->nr, 7);
  EXPECT_EQ(h->payload_offset, 12u);
  EXPECT_EQ(load_be16(wire.data()), 0xc802);
  Decoded d = decode_control(ByteView(wire).subspan(12), {});
  ASSERT_EQ(d.error, Error::kNone) << d.detail;
  EXPECT_EQ(d.message.msg_type(), MsgType::kSccrq);
  EXPECT_EQ(d.message.u16(AvpType::kAssignedTunnelId), 0x4242);
  EXPECT_EQ(d.message.str(AvpType::kHostName), "lac.example");
  EXPECT_EQ(d.message.u32(AvpType::kFramingCapabilities), 3u);
  // Message Type first with M set, 8 bytes.
  EXPECT_EQ(to_hex(ByteView(wire).subspan(12, 8)), "8008000000000001");
}

TEST(L2tpCodec, ZlbAndData) {
  const Bytes z = encode_zlb(9, 0, 3, 4);
  EXPECT_EQ(to_hex(z), "c802000c0009000000030004");
  Decoded d = decode_all(z);
  EXPECT_TRUE(d.zlb);
  const Bytes frame = hex("ff03c021010100040000");
  Bytes data = encode_data(7, 8, std::nullopt, frame);
  auto h = parse_header(data, nullptr);
  ASSERT_TRUE(h);
  EXPECT_FALSE(h->control);
  EXPECT_FALSE(h->has_seq);
  EXPECT_EQ(h->length, data.size());
  EXPECT_EQ(Bytes(data.begin() + static_cast<long>(h->payload_offset), data.end()), frame);
  data = encode_data(7, 8, DataSeq{10, 0}, frame);
  h = parse_header(data, nullptr);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->has_seq);
  EXPECT_EQ(h->ns, 10);
  EXPECT_EQ(h->payload_offset, 12u);
}

TEST(L2tpCodec, DataWithOffsetAndWithoutLength) {
  // T=0 L=0 S=0 O=1: tunnel, session, offset size 2, two pad bytes, payload.
  const Bytes d =
      hex("0202"
          "0007"
          "0008"
          "0002"
          "eeee"
          "ff03");
  auto h = parse_header(d, nullptr);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->payload_offset, 10u);
  Error e;
  EXPECT_FALSE(parse_header(hex("0202000700080009eeee"), &e));
  EXPECT_EQ(e, Error::kBadOffset);
}

TEST(L2tpCodec, HeaderMalformations) {
  Error e = Error::kNone;
  EXPECT_FALSE(parse_header(hex("c802"), &e));
  EXPECT_EQ(e, Error::kTruncated);
  EXPECT_FALSE(parse_header(hex("c803000c0001000000000000"), &e));  // version 3
  EXPECT_EQ(e, Error::kBadVersion);
  EXPECT_FALSE(parse_header(hex("c801000c0001000000000000"), &e));  // L2F
  EXPECT_EQ(e, Error::kBadVersion);
  EXPECT_FALSE(parse_header(hex("8802000c00010000"), &e));  // control without L
  EXPECT_EQ(e, Error::kBadControlBits);
  EXPECT_FALSE(parse_header(hex("c002000c0001000000000000"), &e));  // control without S
  EXPECT_EQ(e, Error::kBadControlBits);
  EXPECT_FALSE(parse_header(hex("ca02000e000100000000000000000000"), &e));  // control with O
  EXPECT_EQ(e, Error::kBadControlBits);
  EXPECT_FALSE(parse_header(hex("c902000c0001000000000000"), &e));  // control with P
  EXPECT_EQ(e, Error::kBadControlBits);
  EXPECT_FALSE(parse_header(hex("c80200200001000000000000"), &e));  // L beyond the datagram
  EXPECT_EQ(e, Error::kTruncated);
  EXPECT_FALSE(parse_header(hex("c80200080001000000000000"), &e));  // L below the header
  EXPECT_EQ(e, Error::kBadLength);
  EXPECT_FALSE(parse_header(hex("c802000c00010000"), &e));  // no room for Ns/Nr
  EXPECT_EQ(e, Error::kTruncated);
  // Trailing bytes beyond L are ignored (UDP padding).
  auto h = parse_header(hex("c802000c0001000000000000ffff"), &e);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->length, 12);
}

TEST(L2tpCodec, AvpMalformations) {
  // AVP length below 6.
  Decoded d = decode_all(control(hex("80050000000000")));
  EXPECT_EQ(d.error, Error::kBadAvpLength);
  // AVP length beyond the message.
  d = decode_all(control(hex("8010000000000001")));
  EXPECT_EQ(d.error, Error::kBadAvpLength);
  // Truncated AVP header.
  d = decode_all(control(hex("800800000000000680")));
  EXPECT_EQ(d.error, Error::kBadAvpLength);
  // First AVP is not Message Type.
  d =
      decode_all(control(hex("800800000009"
                             "1234")));
  EXPECT_EQ(d.error, Error::kNoMessageType);
  // Message Type of wrong size.
  d =
      decode_all(control(hex("800900000000"
                             "000606")));
  EXPECT_EQ(d.error, Error::kBadAvpValue);
  // A second Message Type AVP.
  d =
      decode_all(control(hex("8008000000000006"
                             "8008000000000006")));
  EXPECT_EQ(d.error, Error::kBadAvpValue);
  // Assigned Tunnel ID of 3 bytes in a HELLO.
  d = decode_all(control(hex("8008000000000006"
                             "800900000009000102")),
                 "s");
  EXPECT_EQ(d.error, Error::kBadAvpValue);
  // Result Code of 3 bytes.
  d =
      decode_all(control(hex("8008000000000006"
                             "800900000001000100")));
  EXPECT_EQ(d.error, Error::kBadAvpValue);
  // Challenge Response of 15 bytes.
  Bytes avp =
      hex("8015"
          "0000"
          "000d");
  avp.resize(avp.size() + 15);
  Bytes body = hex("8008000000000003");
  body.insert(body.end(), avp.begin(), avp.end());
  d = decode_all(control(body));
  EXPECT_EQ(d.error, Error::kBadAvpValue);
  // Message Type hidden (must not be).
  d = decode_all(control(hex("c008000000000006")), "s");
  EXPECT_EQ(d.error, Error::kBadAvpValue);
  // Sequencing Required with a value.
  d =
      decode_all(control(hex("800800000000000c"
                             "8007000000270a")));
  EXPECT_EQ(d.error, Error::kBadAvpValue);
}

TEST(L2tpCodec, RequiredAvpsPerMessage) {
  Message m = sccrq();
  m.avps.erase(m.avps.begin() + 1);  // no Host Name
  Decoded d = decode_all(encode_control(0, 0, 0, 0, m, {}));
  EXPECT_EQ(d.error, Error::kMissingAvp);
  EXPECT_NE(d.detail.find("Host Name"), std::string::npos);
  Message cdn;
  cdn.type = static_cast<std::uint16_t>(MsgType::kCdn);
  cdn.add_u16(AvpType::kAssignedSessionId, 3);
  d = decode_all(encode_control(1, 2, 0, 0, cdn, {}));
  EXPECT_EQ(d.error, Error::kMissingAvp);
  cdn.add_result(cdn::kAdmin, errc::kNone, "bye");
  d = decode_all(encode_control(1, 2, 0, 0, cdn, {}));
  ASSERT_EQ(d.error, Error::kNone);
  auto rc = parse_result_code(*d.message.find(AvpType::kResultCode));
  ASSERT_TRUE(rc);
  EXPECT_EQ(rc->result, cdn::kAdmin);
  EXPECT_EQ(rc->error, 0);
  EXPECT_EQ(rc->message, "bye");
}

TEST(L2tpCodec, UnknownAvps) {
  // Unknown attribute without M: ignored.
  Decoded d =
      decode_all(control(hex("8008000000000006"
                             "000800000063abcd")));
  EXPECT_EQ(d.error, Error::kNone);
  EXPECT_TRUE(d.message.avps.empty());
  // Vendor AVP with M: reported.
  d =
      decode_all(control(hex("8008000000000006"
                             "80080137000101ab")));
  EXPECT_EQ(d.error, Error::kUnknownMandatoryAvp);
  ASSERT_TRUE(d.unknown_mandatory);
  EXPECT_EQ(d.unknown_mandatory->vendor, 0x137);
  // Known attribute with reserved bits set: treated as unrecognised (4.1).
  d =
      decode_all(control(hex("8008000000000006"
                             "8408000000091234")));
  EXPECT_EQ(d.error, Error::kUnknownMandatoryAvp);
  d =
      decode_all(control(hex("8008000000000006"
                             "0408000000091234")));
  EXPECT_EQ(d.error, Error::kNone);
  // Unknown message type: M set tears down, M clear is ignored.
  d = decode_all(control(hex("8008000000000063")));
  EXPECT_EQ(d.error, Error::kUnknownMandatoryAvp);
  d = decode_all(control(hex("0008000000000063")));
  EXPECT_EQ(d.error, Error::kNone);
  EXPECT_TRUE(d.ignore);
}

TEST(L2tpCodec, RuleTableCoversRfc2661) {
  for (std::uint16_t t = 0; t <= 39; ++t) {
    if (t == 20) {
      EXPECT_EQ(avp_rule(t), nullptr);
      continue;
    }
    const AvpRule* r = avp_rule(t);
    ASSERT_NE(r, nullptr) << t;
    EXPECT_LE(r->min_len, r->max_len);
  }
  EXPECT_EQ(avp_rule(40), nullptr);
  EXPECT_FALSE(avp_rule(0)->may_hide);
  EXPECT_FALSE(avp_rule(36)->may_hide);
  EXPECT_FALSE(avp_rule(5)->mandatory);  // Tie Breaker
  EXPECT_TRUE(avp_rule(9)->mandatory);
}

TEST(L2tpCodec, HiddenAvpKnownVectors) {
  // Computed with Python's hashlib: MD5(type || secret || RV), chained with MD5(secret || c).
  Bytes vec(16);
  for (std::size_t i = 0; i < 16; ++i) vec[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(to_hex(hide_value(9, hex("1234"), "secret", vec, {})), "be6a0ff3");
  const std::string name = "l2sec-vendor-name-long";
  const Bytes long_value(name.begin(), name.end());
  const Bytes hidden = hide_value(8, long_value, "secret", vec, hex("aabb"));
  EXPECT_EQ(to_hex(hidden), "8ff0255a12db2e815c0f52d2d7ab040d207ba548330eb5225a8f");
  EXPECT_EQ(unhide_value(8, hidden, "secret", vec), long_value);
  EXPECT_EQ(unhide_value(9, hex("be6a0ff3"), "secret", vec), hex("1234"));
  // The wrong secret gives garbage: here an original length beyond the data.
  EXPECT_FALSE(unhide_value(9, hex("be6a0ff3"), "secreT", vec).has_value());
  EXPECT_EQ(to_hex(challenge_response(2, "secret", vec)), "dd4186e2196f00124a9d588f02701259");
}

// Whether the sender hid anything is reported (the LNS hides only towards LACs that do).
TEST(L2tpCodec, ReportsWhetherTheSenderHid) {
  Message m;
  m.type = static_cast<std::uint16_t>(MsgType::kIcrq);
  m.add_u16(AvpType::kAssignedSessionId, 0x5151, true);
  m.add_u32(AvpType::kCallSerialNumber, 7, true);
  const Decoded d = decode_all(encode_control(1, 0, 0, 0, m, "k"), "k");
  ASSERT_EQ(d.error, Error::kNone) << d.detail;
  EXPECT_EQ(d.message.u16(AvpType::kAssignedSessionId), 0x5151);
  EXPECT_EQ(d.message.u32(AvpType::kCallSerialNumber), 7u);
  EXPECT_TRUE(d.message.has_hidden);
  EXPECT_FALSE(decode_all(encode_control(1, 0, 0, 0, m, {}), "k").message.has_hidden);
}

TEST(L2tpCodec, HiddenAvpRoundTripInMessages) {
  Message m = sccrq();
  m.avps.clear();
  m.add_u16(AvpType::kProtocolVersion, 0x0100);
  m.add_string(AvpType::kHostName, "h", true);  // may not be hidden: sent clear
  m.add_u32(AvpType::kFramingCapabilities, 3, true);
  m.add_u16(AvpType::kAssignedTunnelId, 0x4242, true);
  m.add_string(AvpType::kVendorName, std::string(40, 'v'), true);
  const Bytes wire = encode_control(0, 0, 0, 0, m, "topsecret");
  Decoded d = decode_all(wire, "topsecret");
  ASSERT_EQ(d.error, Error::kNone) << d.detail;
  EXPECT_EQ(d.message.u16(AvpType::kAssignedTunnelId), 0x4242);
  EXPECT_EQ(d.message.str(AvpType::kVendorName), std::string(40, 'v'));
  EXPECT_TRUE(d.message.find(AvpType::kAssignedTunnelId)->hidden);
  EXPECT_FALSE(d.message.find(AvpType::kHostName)->hidden);
  // The Random Vector AVP precedes the first hidden one.
  EXPECT_EQ(load_be16(wire.data() + 12 + 8 + 8 + 7 + 4), 36);
  // Without the secret: a clear error.
  d = decode_all(wire, {});
  EXPECT_EQ(d.error, Error::kHiddenNoSecret);
  // A hidden AVP before any Random Vector.
  d = decode_all(control(hex("8008000000000006"
                             "c00800000009abcd")),
                 "s");
  EXPECT_EQ(d.error, Error::kHiddenNoVector);
  // A hidden AVP too short to hold the length.
  d = decode_all(control(hex("8008000000000006"
                             "8007000000240a"
                             "c00700000009ab")),
                 "s");
  EXPECT_EQ(d.error, Error::kBadHiddenLength);
}

TEST(L2tpCodec, SequenceArithmetic) {
  EXPECT_TRUE(seq_lt(1, 2));
  EXPECT_FALSE(seq_lt(2, 2));
  EXPECT_FALSE(seq_lt(3, 2));
  EXPECT_TRUE(seq_lt(65535, 0));
  EXPECT_TRUE(seq_lt(65000, 100));
  EXPECT_FALSE(seq_lt(100, 65000));
}

TEST(L2tpCodec, RandomCorruptionsNeverCrash) {
  const Bytes good = encode_control(1, 2, 3, 4, sccrq(), {});
  std::uint32_t x = 12345;
  for (int i = 0; i < 20000; ++i) {
    Bytes b = good;
    x = x * 1103515245u + 12345u;
    b[(x >> 8) % b.size()] = static_cast<std::uint8_t>(x >> 16);
    if (x & 1) b.resize((x >> 4) % (b.size() + 1));
    Error e;
    auto h = parse_header(b, &e);
    if (!h) continue;
    const std::size_t end = h->has_length ? h->length : b.size();
    Decoded d =
        decode_control(ByteView(b).subspan(h->payload_offset, end - h->payload_offset), "s");
    if (d.error == Error::kNone && !d.zlb && !d.ignore) {
      EXPECT_TRUE(is_known_message_type(d.message.type));
    }
  }
}
