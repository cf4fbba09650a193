// The host mailbox codec: every message type round-trips, decoding is strict, and a host that
// knows only encode()/decode() can run the firmware (what the line-module back end will do).
#include <gtest/gtest.h>

#include <set>

#include "fw_test_util.hpp"
#include "l2sec/fw/sa_entry.hpp"
#include "l2sec/golden/classify.hpp"
#include "l2sec/golden/ipv4.hpp"

namespace l2sec::fw::test {
namespace {

using lm::Direction;

SaParams params() { return *expand_sa(sa_config(0x1234'5678, Direction::kOutbound)); }

std::vector<Message> every_message() {
  std::vector<Message> m;
  m.push_back({1, Hello{1, 3}});
  m.push_back({2, SaAdd{7, params(), {100, 200}, {300, 400}}});
  m.push_back({3, SaDel{0xdeadbeef, Direction::kOutbound, 1500}});
  m.push_back({4, SaUpdatePeer{7, {0x01020304, 4501}}});
  m.push_back({5, SaQuery{0x42, Direction::kInbound}});
  m.push_back({6, CountersRequest{}});
  m.push_back({7, TxIke{1, {kGateway, 4500}, {kNatOutside, kNatPort}, pattern(100, 1)}});
  m.push_back({8, TxL2tp{7, 1701, pattern(33, 2)}});
  m.push_back({9, TxL2tpClear{0, {kGateway, 1701}, {kNatOutside, 1701}, {}}});
  m.push_back({9, TxIp{1, golden::build_udp_packet(kGateway, kNatOutside, 4500, kNatPort,
                                                   pattern(60, 3))}});
  Reply host_path;
  host_path.answers = static_cast<std::uint16_t>(MsgType::kSaAdd);
  host_path.result = Result::kHostPath;
  host_path.slot = 0x345;
  m.push_back({9, host_path});
  Reply ok;
  ok.answers = static_cast<std::uint16_t>(MsgType::kSaAdd);
  ok.slot = 12;
  m.push_back({10, ok});
  Reply hello;
  hello.answers = static_cast<std::uint16_t>(MsgType::kHello);
  hello.hello = HelloInfo{1, 0x100, 0x10203, 0xabcdef01, 0xf, 4096, 6, 1, 1024};
  m.push_back({11, hello});
  Reply query;
  query.answers = static_cast<std::uint16_t>(MsgType::kSaQuery);
  SaInfo info;
  info.handle = 9;
  info.sa = without_keys(params());
  info.slot = 4095;
  info.gen = 200;
  info.active_outbound = true;
  info.counters = {1, 2, 3, 4, 5, 6};
  info.last_seq = 77;
  info.age_ms = 1ull << 40;
  query.sa = info;
  m.push_back({12, query});
  Reply counters;
  counters.answers = static_cast<std::uint16_t>(MsgType::kCounters);
  CountersInfo c;
  for (std::size_t i = 0; i < c.firmware.size(); ++i) c.firmware[i] = i * 3;
  c.parser_class[3] = 9;
  c.keepalives[15] = 1;
  counters.counters = c;
  m.push_back({13, counters});
  Reply refused;
  refused.answers = static_cast<std::uint16_t>(MsgType::kTxL2tp);
  refused.result = Result::kNoRoute;
  refused.reason = lm::DropReason::kUnknownSpi;
  refused.error = "no outbound SA for handle 7";
  m.push_back({14, refused});
  Reply unreadable;
  unreadable.answers = 0x1234;
  unreadable.unreadable = true;
  unreadable.result = Result::kUnknownType;
  unreadable.error = "unknown message type 0x1234";
  m.push_back({15, unreadable});
  m.push_back({16, Event{EventKind::kPeerMoved, 7, 0x99, Direction::kInbound, {5, 6}}});
  RxPacket p;
  p.pkt_class = lm::PktClass::kEspUdp;
  p.port = 2;
  p.local = {kGateway, 4500};
  p.peer = {kNatOutside, kNatPort};
  p.handle = 7;
  p.spi = 0x99;
  p.is_protected = true;
  p.inner_src_port = 1701;
  p.inner_dst_port = 1701;
  p.payload = pattern(1400, 9);
  m.push_back({0xffffffff, p});
  return m;
}

TEST(Mailbox, EveryMessageRoundTrips) {
  std::set<MsgType> types;
  for (const auto& m : every_message()) {
    const Bytes b = encode(m);
    ASSERT_GE(b.size(), kHeaderSize);
    EXPECT_EQ(Bytes(b.begin(), b.begin() + 4), (Bytes{'L', '2', 'M', 'B'}));
    EXPECT_EQ(b[4] | (b[5] << 8), kVersion);
    EXPECT_EQ(static_cast<MsgType>(b[6] | (b[7] << 8)), type_of(m));
    const std::uint32_t length =
        b[12] | (b[13] << 8) | (b[14] << 16) | (std::uint32_t{b[15]} << 24);
    EXPECT_EQ(length, b.size() - kHeaderSize);  // little-endian
    DecodeError err;
    const auto d = decode(b, &err);
    ASSERT_TRUE(d.has_value()) << to_string(type_of(m)) << ": " << err.reason;
    EXPECT_EQ(*d, m) << to_string(type_of(m));
    types.insert(type_of(m));
  }
  // Every request type, the unsolicited two, a reply of each shape and ERROR_REPLY.
  EXPECT_EQ(types.size(), 10u + 2u + 5u + 1u);
}

TEST(Mailbox, RxPacketFastEncoderMatchesTheGeneralOne) {
  RxPacket p;
  p.pkt_class = lm::PktClass::kIke;
  p.local = {1, 500};
  p.peer = {2, 500};
  p.payload = pattern(50, 1);
  Bytes fast;
  encode_rx_packet(42, p, p.payload, fast);
  EXPECT_EQ(fast, encode(Message{42, p}));
}

TEST(Mailbox, ZeroCopyTxL2tpDecoderAgreesWithDecode) {
  const Bytes msg = pattern(77, 4);
  const Bytes good = encode(Message{31, TxL2tp{9, 50000, msg}});
  const auto v = decode_tx_l2tp(good);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->seq, 31u);
  EXPECT_EQ(v->handle, 9u);
  EXPECT_EQ(v->lac_port, 50000);
  EXPECT_EQ(Bytes(v->message.begin(), v->message.end()), msg);
  EXPECT_EQ(v->message.data(), good.data() + kHeaderSize + 10);  // a view, not a copy
  // Everything decode() refuses, this refuses too; other types are not its business.
  Bytes b = good;
  b.pop_back();
  EXPECT_FALSE(decode_tx_l2tp(b).has_value());
  b = good;
  b[4] = 2;
  EXPECT_FALSE(decode_tx_l2tp(b).has_value());
  b = good;
  b[kHeaderSize + 6] ^= 1;  // message length
  EXPECT_FALSE(decode_tx_l2tp(b).has_value());
  EXPECT_FALSE(decode(b).has_value());
  EXPECT_FALSE(decode_tx_l2tp(encode(Message{1, TxIke{}})).has_value());
}

TEST(Mailbox, DecodingIsStrict) {
  const Bytes good = encode(Message{5, SaAdd{7, params(), {}, {}}});
  ASSERT_TRUE(decode(good).has_value());
  auto reject = [](Bytes b, Result expect, const char* needle) {
    DecodeError err;
    EXPECT_FALSE(decode(b, &err).has_value()) << needle;
    EXPECT_EQ(err.result, expect) << err.reason;
    EXPECT_NE(err.reason.find(needle), std::string::npos) << err.reason;
  };
  reject({}, Result::kBadMessage, "shorter than");
  Bytes b = good;
  b[0] = 'X';
  reject(b, Result::kBadMessage, "magic");
  b = good;
  b[4] = 9;
  reject(b, Result::kBadVersion, "version 9");
  b = good;
  b[6] = 0x7e;
  reject(b, Result::kUnknownType, "unknown message type");
  b = good;
  b.push_back(0);
  reject(b, Result::kBadMessage, "bytes follow the header");
  b = good;
  b[12] = 0xff;
  b[13] = 0xff;
  b[14] = 0xff;
  reject(b, Result::kBadMessage, "above");
  // Body fields: direction 2, NAT passthrough 2, key length 33, key byte beyond the length.
  const std::size_t sa = kHeaderSize + 4;  // after the handle
  b = good;
  b[sa + 4] = 2;
  reject(b, Result::kBadMessage, "direction");
  b = good;
  b[sa + 9] = 2;
  reject(b, Result::kBadMessage, "boolean");
  const std::size_t key_len = sa + 10 + 4 + 4 + 2 + 2 + 4 + 4 + 1 + 4;
  b = good;
  ASSERT_EQ(b[key_len], 16);
  b[key_len] = 33;
  reject(b, Result::kBadMessage, "key length");
  b = good;
  b[key_len + 1 + 20] = 1;
  reject(b, Result::kBadMessage, "beyond the key length");
  // A blob claiming more than the body holds, and one above the bound.
  Bytes tx = encode(Message{6, TxL2tp{1, 1701, pattern(10, 1)}});
  tx[kHeaderSize + 6] = 11;
  reject(tx, Result::kBadMessage, "ends early");
  tx[kHeaderSize + 6] = 0xff;
  tx[kHeaderSize + 7] = 0xff;
  tx[kHeaderSize + 8] = 0x01;
  reject(tx, Result::kBadMessage, "more than");
  // A reply whose type does not match what it answers.
  Reply r;
  r.answers = static_cast<std::uint16_t>(MsgType::kSaDel);
  Bytes reply = encode(Message{7, r});
  reply[6] = static_cast<std::uint8_t>(MsgType::kSaAddReply);
  reject(reply, Result::kBadMessage, "answers");
  // Error text on success is not canonical.
  Reply okr;
  okr.answers = static_cast<std::uint16_t>(MsgType::kSaDel);
  okr.result = Result::kNotFound;
  okr.error = "x";
  Bytes ok_text = encode(Message{8, okr});
  ok_text[kHeaderSize + 2] = 0;  // result ok
  reject(ok_text, Result::kBadMessage, "error text on success");
}

TEST(Mailbox, TxIpDecodingIsStrict) {
  const Bytes pkt = golden::build_udp_packet(kGateway, kNatOutside, 4500, kNatPort, pattern(9, 1));
  const Bytes good = encode(Message{3, TxIp{0, pkt}});
  ASSERT_EQ(good.size(), kHeaderSize + 1 + 4 + pkt.size());
  const auto d = decode(good);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(std::get<TxIp>(d->body).packet, pkt);
  EXPECT_EQ(reply_type(MsgType::kTxIp), MsgType::kTxIpReply);
  EXPECT_TRUE(is_request(MsgType::kTxIp));
  auto reject = [](const Bytes& b, const char* needle) {
    DecodeError err;
    EXPECT_FALSE(decode(b, &err).has_value()) << needle;
    EXPECT_EQ(err.result, Result::kBadMessage) << err.reason;
    EXPECT_NE(err.reason.find(needle), std::string::npos) << err.reason;
  };
  Bytes b = good;
  b[kHeaderSize] = static_cast<std::uint8_t>(kMaxPorts);
  reject(b, "line port");
  b = good;
  b[kHeaderSize + 1] += 1;  // packet length one more than the body holds
  reject(b, "ends early");
  b = good;
  b.push_back(0);
  b[12] += 1;
  reject(b, "bytes after the body");
  reject(encode(Message{4, TxIp{0, pattern(19, 1)}}), "shorter than 20");
  // Above 65535 bytes: the blob bound.
  Bytes big = encode(Message{5, TxIp{0, pattern(20, 1)}});
  big[kHeaderSize + 1] = 0x00;
  big[kHeaderSize + 3] = 0x01;  // 65536 + 20
  reject(big, "more than");
  // The host-path result reads back as itself and is not ok().
  Reply r;
  r.answers = static_cast<std::uint16_t>(MsgType::kSaAdd);
  r.result = Result::kHostPath;
  r.slot = 7;
  const auto rr = decode(encode(Message{6, r}));
  ASSERT_TRUE(rr.has_value());
  EXPECT_EQ(std::get<Reply>(rr->body).result, Result::kHostPath);
  EXPECT_FALSE(std::get<Reply>(rr->body).ok());
  EXPECT_EQ(to_string(Result::kHostPath), "host path");
  Bytes bad_result = encode(Message{6, r});
  bad_result[kHeaderSize + 2] = kResultMax + 1;
  reject(bad_result, "result");
}

TEST(Mailbox, ExpandSaPrecomputesTheHmacStatesAndWindow) {
  auto cfg = sa_config(0x1111, Direction::kInbound);
  cfg.integ = lm::Integ::kHmacSha256;
  cfg.icv_len = lm::IcvLen::kIcv128;
  cfg.auth_key = pattern(32, 4);
  cfg.cipher = lm::Cipher::kAesCbc256;
  cfg.enc_key = pattern(32, 5);
  cfg.replay_window = 100;
  cfg.nat_checksum = golden::NatChecksum::kPassthrough;
  const auto p = expand_sa(cfg);
  ASSERT_TRUE(p.has_value());
  const auto st = golden::hmac_precompute(cfg.integ, cfg.auth_key);
  EXPECT_EQ(p->hmac_istate, st.inner);
  EXPECT_EQ(p->hmac_ostate, st.outer);
  EXPECT_EQ(p->replay_win_log2, 7);  // 128 covers 100
  EXPECT_EQ(p->key_len, 32);
  EXPECT_EQ(Bytes(p->key.begin(), p->key.end()), cfg.enc_key);
  EXPECT_TRUE(p->nat_passthrough);
  EXPECT_EQ(p->natoa_peer, kClientInside);
  EXPECT_EQ(p->natoa_local, 0u);
  cfg.enc_key.pop_back();
  std::string error;
  EXPECT_FALSE(expand_sa(cfg, &error).has_value());
  EXPECT_NE(error.find("31 bytes"), std::string::npos) << error;
}

// The host side's whole conversation, through bytes only.
TEST_F(FirmwareTest, HostDrivesTheFirmwareThroughEncodedMessagesOnly) {
  auto call = [&](std::uint32_t s, Body body) {
    const Bytes wire = encode(Message{s, std::move(body)});
    const Bytes resp = fw->handle(wire);
    auto m = decode(resp);
    EXPECT_TRUE(m.has_value());
    EXPECT_EQ(m->seq, s);
    return std::get<Reply>(m->body);
  };
  const Reply hello = call(1, Hello{1, 1});
  ASSERT_TRUE(hello.ok());
  EXPECT_EQ(hello.answers, static_cast<std::uint16_t>(MsgType::kHello));
  const auto in = sa_config(0x5eed'0007, Direction::kInbound);
  const auto out = sa_config(0x7eed'0001, Direction::kOutbound, 3);
  ASSERT_TRUE(call(2, SaAdd{40, *expand_sa(in), {}, {.seconds = 3600}}).ok());
  const Reply out_reply = call(3, SaAdd{40, *expand_sa(out), {}, {}});
  ASSERT_TRUE(out_reply.ok());
  ASSERT_TRUE(out_reply.slot.has_value());
  ASSERT_TRUE(call(4, TxL2tp{40, 1701, pattern(12, 1)}).ok());
  EXPECT_EQ(fpga.tx().back().first.sa_index, *out_reply.slot);
  // An IKE packet arrives: the host reads it from the outbox as bytes.
  const Bytes ike = pattern(36, 8);
  const Bytes frame =
      golden::ethernet_frame(golden::build_udp_packet(kNatOutside, kGateway, 500, 500, ike));
  const auto c = golden::classify(frame, false);
  RxMeta meta;
  meta.pkt_class = c.pkt_class;
  meta.src_addr = c.src_addr;
  meta.dst_addr = c.dst_addr;
  meta.src_port = c.src_port;
  meta.dst_port = c.dst_port;
  meta.payload_offset = c.payload_offset;
  meta.len = static_cast<std::uint16_t>(frame.size());
  fpga.push_rx(meta, frame);
  fw->poll(10);
  Bytes msg;
  ASSERT_TRUE(fw->take_message(msg));
  const auto m = decode(msg);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(type_of(*m), MsgType::kRxPacket);
  EXPECT_EQ(std::get<RxPacket>(m->body).payload, ike);
  EXPECT_FALSE(fw->take_message(msg));
  const Reply q = call(5, SaQuery{in.spi, Direction::kInbound});
  ASSERT_TRUE(q.sa.has_value());
  EXPECT_EQ(q.sa->hard.seconds, 3600u);
  ASSERT_TRUE(call(6, SaDel{in.spi, Direction::kInbound, 0}).ok());
  EXPECT_EQ(call(7, SaQuery{in.spi, Direction::kInbound}).result, Result::kNotFound);
}

}  // namespace
}  // namespace l2sec::fw::test
