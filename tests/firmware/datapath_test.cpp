// The firmware's packet paths against the mock FPGA: the exception path (RX_PACKET metadata for
// every class, peer moved, drops), TX_L2TP / TX_IKE / TX_L2TP_CLEAR frame bytes (compared with the
// software back end's), bad mailbox messages, outbox overflow, COUNTERS.
#include <gtest/gtest.h>

#include "fw_test_util.hpp"
#include "l2sec/golden/classify.hpp"
#include "l2sec/golden/ipv4.hpp"
#include "l2sec/ipsec/frame_port.hpp"
#include "l2sec/ipsec/soft_backend.hpp"

namespace l2sec::fw::test {
namespace {

using lm::Direction;
using lm::PktClass;

// What the FPGA's parser hands up for a whole frame: the golden classifier is its reference.
RxMeta meta_of(const Bytes& frame) {
  const auto c = golden::classify(frame, false);
  RxMeta m;
  m.pkt_class = c.pkt_class;
  m.src_addr = c.src_addr;
  m.dst_addr = c.dst_addr;
  m.src_port = c.src_port;
  m.dst_port = c.dst_port;
  m.payload_offset = c.payload_offset;
  m.len = static_cast<std::uint16_t>(frame.size());
  return m;
}

std::vector<RxPacket> packets(std::vector<Message> msgs) {
  std::vector<RxPacket> out;
  for (auto& m : msgs) {
    if (auto* p = std::get_if<RxPacket>(&m.body)) out.push_back(std::move(*p));
  }
  return out;
}

TEST_F(FirmwareTest, ExceptionPathCarriesHostPacketFieldsForEveryClass) {
  const Bytes ike = pattern(60, 1);
  Bytes natt_payload(4, 0);
  natt_payload.insert(natt_payload.end(), ike.begin(), ike.end());
  const Bytes l2tp = pattern(20, 2);
  struct Case {
    const char* name;
    Bytes frame;
    PktClass cls;
    Bytes payload;
    std::uint16_t inner_src = 0, inner_dst = 0;
  };
  std::vector<Case> cases;
  cases.push_back(
      {"ike",
       golden::ethernet_frame(golden::build_udp_packet(kNatOutside, kGateway, 500, 500, ike, 1)),
       PktClass::kIke, ike});
  cases.push_back({"ike-natt",
                   golden::ethernet_frame(golden::build_udp_packet(kNatOutside, kGateway, kNatPort,
                                                                   4500, natt_payload, 2)),
                   PktClass::kIkeNatt, ike});
  cases.push_back(
      {"l2tp-clear",
       golden::ethernet_frame(golden::build_udp_packet(kNatOutside, kGateway, 1702, 1701, l2tp, 3)),
       PktClass::kL2tpClear, l2tp, 1702, 1701});
  Bytes arp = golden::ethernet_frame(pattern(28, 4));
  arp[12] = 0x08;
  arp[13] = 0x06;
  cases.push_back({"other", arp, PktClass::kOther, arp});
  Bytes frag = golden::build_udp_packet(kNatOutside, kGateway, 1, 2, pattern(40, 5), 4);
  frag[6] = 0x20;  // MF
  golden::refresh_ipv4_checksum(frag);
  const Bytes frag_frame = golden::ethernet_frame(frag);
  cases.push_back({"fragment", frag_frame, PktClass::kFragment, frag_frame});
  // Ethernet padding after a short IKE datagram must not reach the host.
  Bytes padded = cases[0].frame;
  padded.resize(padded.size() + 6, 0);
  cases.push_back({"ike-padded", padded, PktClass::kIke, ike});

  for (const auto& c : cases) {
    RxMeta m = meta_of(c.frame);
    ASSERT_EQ(m.pkt_class, c.cls) << c.name;
    fpga.push_rx(m, c.frame);
  }
  fw->poll(1);
  const auto got = packets(drain());
  ASSERT_EQ(got.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    const auto& p = got[i];
    const auto cls = golden::classify(c.frame, false);
    EXPECT_EQ(p.pkt_class, c.cls) << c.name;
    EXPECT_FALSE(p.is_protected) << c.name;
    EXPECT_EQ(p.handle, 0u) << c.name;
    EXPECT_EQ(p.local, (Endpoint{cls.dst_addr, cls.dst_port})) << c.name;
    EXPECT_EQ(p.peer, (Endpoint{cls.src_addr, cls.src_port})) << c.name;
    EXPECT_EQ(p.payload, c.payload) << c.name;
    EXPECT_EQ(p.inner_src_port, c.inner_src) << c.name;
    EXPECT_EQ(p.inner_dst_port, c.inner_dst) << c.name;
  }
  EXPECT_EQ(fw->counter(FwCounter::kRxOther), 1u);
  EXPECT_EQ(fw->counter(FwCounter::kRxFragments), 1u);
  EXPECT_EQ(fw->counter(FwCounter::kRxToHost), cases.size());
}

TEST_F(FirmwareTest, DecapsulatedL2tpGoesUpWithItsHandleAndPeerMovesAreReported) {
  ASSERT_TRUE(add(12, sa_config(0x0d00'0033, Direction::kInbound)).ok());
  const Bytes l2tp = pattern(44, 6);
  // The restored transport packet as the decap engine hands it up.
  const Bytes inner = golden::build_udp_packet(kNatOutside, kGateway, 1701, 1701, l2tp, 9);
  RxMeta m;
  m.pkt_class = PktClass::kEspUdp;
  m.sa_valid = true;
  m.sa_index = 0x33;
  m.spi = 0x0d00'0033;
  m.seq = 5;
  m.src_addr = kNatOutside;
  m.dst_addr = kGateway;
  m.src_port = kNatPort;
  m.dst_port = 4500;
  m.payload_offset = 28;
  m.len = static_cast<std::uint16_t>(inner.size());
  fpga.push_rx(m, inner);
  RxMeta moved = m;
  moved.src_port = kNatPort + 1;
  moved.seq = 9;
  fpga.push_rx(moved, inner);
  fw->poll(1);
  const auto msgs = drain();
  std::vector<RxPacket> pk;
  std::vector<Event> ev;
  for (const auto& msg : msgs) {
    if (auto* p = std::get_if<RxPacket>(&msg.body)) pk.push_back(*p);
    if (auto* e = std::get_if<Event>(&msg.body)) ev.push_back(*e);
  }
  ASSERT_EQ(pk.size(), 2u);
  EXPECT_EQ(pk[0].pkt_class, PktClass::kEspUdp);
  EXPECT_TRUE(pk[0].is_protected);
  EXPECT_EQ(pk[0].handle, 12u);
  EXPECT_EQ(pk[0].spi, 0x0d00'0033u);
  EXPECT_EQ(pk[0].local, (Endpoint{kGateway, 4500}));
  EXPECT_EQ(pk[0].peer, (Endpoint{kNatOutside, kNatPort}));
  EXPECT_EQ(pk[0].inner_src_port, 1701);
  EXPECT_EQ(pk[0].inner_dst_port, 1701);
  EXPECT_EQ(pk[0].payload, l2tp);
  EXPECT_EQ(pk[1].peer, (Endpoint{kNatOutside, kNatPort + 1}));
  // As the software back end: the move is reported, the SA is not changed (the host answers with
  // SA_UPDATE_PEER).
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EventKind::kPeerMoved);
  EXPECT_EQ(ev[0].handle, 12u);
  EXPECT_EQ(ev[0].spi, 0x0d00'0033u);
  EXPECT_EQ(ev[0].direction, Direction::kInbound);
  EXPECT_EQ(ev[0].peer, (Endpoint{kNatOutside, kNatPort + 1}));
  const auto q = request(SaQuery{0x0d00'0033, Direction::kInbound});
  ASSERT_TRUE(q.sa.has_value());
  EXPECT_EQ(q.sa->sa.peer_port, kNatPort);
  EXPECT_EQ(q.sa->last_seq, 9u);
}

TEST_F(FirmwareTest, PlainEspHasNoPeerPortAndMovesOnlyByAddress) {
  auto cfg = sa_config(0x0d00'0040, Direction::kInbound);
  cfg.encap = lm::Encap::kNone;
  cfg.peer_port = 0;
  ASSERT_TRUE(add(13, cfg).ok());
  const Bytes l2tp = pattern(16, 7);
  const Bytes inner = golden::build_udp_packet(kNatOutside, kGateway, 40000, 1701, l2tp);
  RxMeta m;
  m.pkt_class = PktClass::kEsp;
  m.sa_valid = true;
  m.sa_index = 0x40;
  m.spi = cfg.spi;
  m.seq = 1;
  m.src_addr = kNatOutside;
  m.dst_addr = kGateway;
  m.payload_offset = 28;
  m.len = static_cast<std::uint16_t>(inner.size());
  fpga.push_rx(m, inner);
  RxMeta moved = m;
  moved.src_addr = kNatOutside + 1;
  fpga.push_rx(moved, inner);
  EXPECT_TRUE(fw->poll(1));
  const auto msgs = drain();
  ASSERT_EQ(msgs.size(), 3u);  // packet, event, packet
  const auto& p0 = std::get<RxPacket>(msgs[0].body);
  EXPECT_EQ(p0.pkt_class, PktClass::kEsp);
  EXPECT_EQ(p0.peer, (Endpoint{kNatOutside, 0}));
  EXPECT_EQ(p0.local, (Endpoint{kGateway, 0}));
  EXPECT_EQ(p0.inner_src_port, 40000);
  EXPECT_EQ(p0.payload, l2tp);
  const auto& e = std::get<Event>(msgs[1].body);
  EXPECT_EQ(e.kind, EventKind::kPeerMoved);
  EXPECT_EQ(e.peer, (Endpoint{kNatOutside + 1, 0}));
  EXPECT_EQ(std::get<RxPacket>(msgs[2].body).peer, (Endpoint{kNatOutside + 1, 0}));
  EXPECT_EQ(fw->counter(FwCounter::kPeerMoved), 1u);
}

TEST_F(FirmwareTest, ReceiveDropsAreCountedNotHandedUp) {
  ASSERT_TRUE(add(12, sa_config(0x0d00'0033, Direction::kInbound)).ok());
  const Bytes inner = golden::build_udp_packet(kNatOutside, kGateway, 1701, 1701, pattern(8, 1));
  RxMeta esp;
  esp.pkt_class = PktClass::kEspUdp;
  esp.sa_valid = true;
  esp.sa_index = 0x34;  // no SA there
  esp.payload_offset = 28;
  esp.len = static_cast<std::uint16_t>(inner.size());
  fpga.push_rx(esp, inner);
  RxMeta wrong_len = esp;
  wrong_len.sa_index = 0x33;
  wrong_len.len = 3;
  fpga.push_rx(wrong_len, inner);
  const Bytes not_l2tp = golden::build_udp_packet(kNatOutside, kGateway, 1701, 53, pattern(8, 1));
  RxMeta dns = esp;
  dns.sa_index = 0x33;
  fpga.push_rx(dns, not_l2tp);
  RxMeta ka;
  ka.pkt_class = PktClass::kNatKeepalive;
  ka.len = 1;
  fpga.push_rx(ka, Bytes{0xff});
  RxMeta bad;
  bad.pkt_class = PktClass::kMalformed;
  bad.len = 2;
  fpga.push_rx(bad, Bytes{1, 2});
  RxMeta lying = meta_of(golden::ethernet_frame(
      golden::build_udp_packet(kNatOutside, kGateway, 500, 500, pattern(30, 1))));
  lying.payload_offset = 1000;
  fpga.push_rx(lying, golden::ethernet_frame(golden::build_udp_packet(kNatOutside, kGateway, 500,
                                                                      500, pattern(30, 1))));
  fw->poll(1);
  EXPECT_TRUE(drain().empty());
  EXPECT_EQ(fw->counter(FwCounter::kRxFrames), 6u);
  EXPECT_EQ(fw->counter(FwCounter::kRxUnknownSa), 1u);
  EXPECT_EQ(fw->counter(FwCounter::kRxBadMeta), 2u);
  EXPECT_EQ(fw->counter(FwCounter::kRxNotL2tp), 1u);
  EXPECT_EQ(fw->counter(FwCounter::kRxKeepalives), 1u);
  EXPECT_EQ(fw->counter(FwCounter::kRxMalformed), 1u);
  EXPECT_EQ(fw->counter(FwCounter::kRxToHost), 0u);
}

TEST_F(FirmwareTest, OutboxOverflowIsCounted) {
  FirmwareConfig c = config();
  c.outbox_capacity = 4;
  fw = std::make_unique<Firmware>(fpga, c);
  const Bytes frame = golden::ethernet_frame(
      golden::build_udp_packet(kNatOutside, kGateway, 500, 500, pattern(10, 1)));
  for (int i = 0; i < 6; ++i) fpga.push_rx(meta_of(frame), frame);
  fw->poll(1);
  EXPECT_EQ(fw->outbox_size(), 4u);
  EXPECT_EQ(fw->counter(FwCounter::kOutboxDrops), 2u);
  EXPECT_EQ(drain().size(), 4u);
  // Drained: room again.
  fpga.push_rx(meta_of(frame), frame);
  fw->poll(2);
  EXPECT_EQ(drain().size(), 1u);
  const auto r = request(CountersRequest{});
  ASSERT_TRUE(r.counters.has_value());
  EXPECT_EQ(r.counters->firmware[static_cast<std::size_t>(FwCounter::kOutboxDrops)], 2u);
}

TEST_F(FirmwareTest, RxBudgetLimitsFramesPerPoll) {
  FirmwareConfig c = config();
  c.rx_budget = 3;
  fw = std::make_unique<Firmware>(fpga, c);
  const Bytes frame = golden::ethernet_frame(
      golden::build_udp_packet(kNatOutside, kGateway, 500, 500, pattern(10, 1)));
  for (int i = 0; i < 5; ++i) fpga.push_rx(meta_of(frame), frame);
  fw->poll(1);
  EXPECT_EQ(fpga.rx_pending(), 2u);
  fw->poll(2);
  EXPECT_EQ(fpga.rx_pending(), 0u);
}

// Checks a frame the firmware built: Ethernet with the configured MACs, a valid IPv4 header, UDP
// with a valid checksum between the ports, then (marker) four zero bytes and the message.
void check_frame(const Bytes& frame, std::uint16_t sport, std::uint16_t dport, bool marker,
                 const Bytes& msg) {
  ASSERT_GE(frame.size(), 14u + 28u);
  EXPECT_EQ(Bytes(frame.begin(), frame.begin() + 6), (Bytes{0x02, 0x00, 0x5e, 0x12, 0x00, 0x01}));
  EXPECT_EQ(Bytes(frame.begin() + 6, frame.begin() + 12),
            (Bytes{0x02, 0x00, 0x5e, 0x12, 0x00, 0x02}));
  EXPECT_EQ(load_be16(frame.data() + 12), golden::kEtherTypeIpv4);
  const ByteView ip(frame.data() + 14, frame.size() - 14);
  lm::DropReason reason = lm::DropReason::kNone;
  const auto h = golden::parse_ipv4(ip, &reason);  // checks the header checksum
  ASSERT_TRUE(h.has_value()) << lm::to_string(reason);
  EXPECT_EQ(h->src, kGateway);
  EXPECT_EQ(h->dst, kNatOutside);
  EXPECT_EQ(h->protocol, golden::kIpProtoUdp);
  EXPECT_EQ(h->total_length, ip.size());
  const ByteView udp = ip.subspan(20);
  EXPECT_TRUE(golden::udp_checksum_ok(kGateway, kNatOutside, udp));
  EXPECT_NE(load_be16(udp.data() + 6), 0);
  EXPECT_EQ(load_be16(udp.data()), sport);
  EXPECT_EQ(load_be16(udp.data() + 2), dport);
  EXPECT_EQ(load_be16(udp.data() + 4), udp.size());
  const std::size_t skip = 8 + (marker ? 4 : 0);
  if (marker) {
    EXPECT_EQ(load_be32(udp.data() + 8), 0u);  // the non-ESP marker
  }
  EXPECT_EQ(Bytes(udp.begin() + static_cast<std::ptrdiff_t>(skip), udp.end()), msg);
}

TEST_F(FirmwareTest, TxIkeBuildsWholeFramesWithTheMarkerOn4500) {
  const Bytes msg = pattern(80, 3);
  ASSERT_TRUE(request(TxIke{0, {kGateway, 4500}, {kNatOutside, kNatPort}, msg}).ok());
  ASSERT_TRUE(request(TxIke{0, {kGateway, 500}, {kNatOutside, 500}, msg}).ok());
  ASSERT_TRUE(request(TxL2tpClear{0, {kGateway, 1701}, {kNatOutside, 1702}, msg}).ok());
  ASSERT_EQ(fpga.tx().size(), 3u);
  for (const auto& [meta, frame] : fpga.tx()) EXPECT_FALSE(meta.encap);
  check_frame(fpga.tx()[0].second, 4500, kNatPort, true, msg);
  check_frame(fpga.tx()[1].second, 500, 500, false, msg);
  check_frame(fpga.tx()[2].second, 1701, 1702, false, msg);
  // The software back end's IKE packet on 4500 is the same IPv4 datagram (its IP ID aside).
  Bytes marked(4, 0);
  marked.insert(marked.end(), msg.begin(), msg.end());
  const Bytes soft = golden::build_udp_packet(kGateway, kNatOutside, 4500, kNatPort, marked,
                                              load_be16(fpga.tx()[0].second.data() + 18));
  EXPECT_EQ(Bytes(fpga.tx()[0].second.begin() + 14, fpga.tx()[0].second.end()), soft);
  EXPECT_EQ(fw->counter(FwCounter::kTxIke), 2u);
  EXPECT_EQ(fw->counter(FwCounter::kTxL2tpClear), 1u);

  // The MACs come from the ctrl registers (whoever changed them last).
  fpga.write32(lm::ctrl::kGatewayMacHi, 0x0a0b);
  fpga.write32(lm::ctrl::kGatewayMacLo, 0x0c0d0e0f);
  ASSERT_TRUE(request(TxIke{0, {kGateway, 500}, {kNatOutside, 500}, msg}).ok());
  EXPECT_EQ(Bytes(fpga.tx().back().second.begin(), fpga.tx().back().second.begin() + 6),
            (Bytes{0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f}));

  fpga.refuse_tx(100);
  const Reply busy = request(TxIke{0, {kGateway, 500}, {kNatOutside, 500}, msg});
  EXPECT_EQ(busy.result, Result::kBusy);
  EXPECT_EQ(fw->counter(FwCounter::kTxBusy), 1u);
  EXPECT_EQ(request(TxIke{3, {kGateway, 500}, {kNatOutside, 500}, msg}).result,
            Result::kBadMessage);  // no line port 3
}

// A host-path SA's ESP (sa_valid on an exception frame) goes up whole as RX_PACKET, not protected,
// with the handle and SPI; no PEER_MOVED (the software path authenticates and reports that).
TEST_F(FirmwareTest, HostPathEspGoesUpWholeWithItsHandle) {
  auto des = sa_config(0x4444'0021, Direction::kInbound);
  des.cipher = lm::Cipher::kDes3Cbc;
  des.enc_key = pattern(24, 3);
  ASSERT_EQ(add(31, des).result, Result::kHostPath);
  Bytes esp = golden::build_udp_packet(kNatOutside + 1, kGateway, kNatPort, 4500, pattern(60, 2));
  store_be32(esp.data() + 28, des.spi);
  const Bytes frame = golden::ethernet_frame(esp);
  RxMeta m;
  m.pkt_class = PktClass::kEspUdp;
  m.sa_valid = true;
  m.sa_index = 0x21;
  m.spi = des.spi;
  m.src_addr = kNatOutside + 1;  // not the SA's peer: still no event
  m.dst_addr = kGateway;
  m.src_port = kNatPort;
  m.dst_port = 4500;
  m.payload_offset = 14 + 28;
  m.len = static_cast<std::uint16_t>(frame.size());
  fpga.push_rx(m, frame);
  RxMeta wrong = m;
  wrong.spi = des.spi + 0x1000;  // the slot holds another SPI: dropped
  fpga.push_rx(wrong, frame);
  fw->poll(1);
  const auto msgs = drain();
  ASSERT_EQ(msgs.size(), 1u);
  const auto* p = std::get_if<RxPacket>(&msgs[0].body);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->pkt_class, PktClass::kEspUdp);
  EXPECT_FALSE(p->is_protected);
  EXPECT_EQ(p->handle, 31u);
  EXPECT_EQ(p->spi, des.spi);
  EXPECT_EQ(p->peer, (Endpoint{kNatOutside + 1, kNatPort}));
  EXPECT_EQ(p->local, (Endpoint{kGateway, 4500}));
  EXPECT_EQ(p->payload, frame);
  EXPECT_EQ(fw->counter(FwCounter::kRxHostPath), 1u);
  EXPECT_EQ(fw->counter(FwCounter::kRxBadMeta), 1u);
  EXPECT_EQ(fw->counter(FwCounter::kPeerMoved), 0u);
}

// TX_IP: the host's IPv4 packet behind the configured MACs, sent raw; checked before it goes.
TEST_F(FirmwareTest, TxIpSendsTheHostsPacketBehindOurMacs) {
  fpga.write32(lm::ctrl::kGatewayMacHi, 0x0a0b);
  fpga.write32(lm::ctrl::kGatewayMacLo, 0x0c0d0e0f);
  Bytes pkt = golden::build_udp_packet(kGateway, kNatOutside, 4500, kNatPort, pattern(90, 4));
  const Reply r = request(TxIp{0, pkt});
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(fpga.tx().size(), 1u);
  const auto& [meta, frame] = fpga.tx().back();
  EXPECT_FALSE(meta.encap);
  EXPECT_EQ(meta.port, 0);
  ASSERT_EQ(frame.size(), 14 + pkt.size());
  EXPECT_EQ(Bytes(frame.begin(), frame.begin() + 6), (Bytes{0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f}));
  EXPECT_EQ(load_be16(frame.data() + 12), 0x0800);
  EXPECT_EQ(Bytes(frame.begin() + 14, frame.end()), pkt);
  EXPECT_EQ(fw->counter(FwCounter::kTxIp), 1u);

  Bytes v6 = pkt;
  v6[0] = 0x65;
  const Reply bad = request(TxIp{0, v6});
  EXPECT_EQ(bad.result, Result::kBadMessage);
  EXPECT_EQ(bad.reason, lm::DropReason::kBadIpHeader);
  Bytes longer = pkt;
  longer.push_back(0);
  const Reply len = request(TxIp{0, longer});
  EXPECT_EQ(len.result, Result::kBadMessage);
  EXPECT_EQ(len.reason, lm::DropReason::kBadLength);
  EXPECT_EQ(request(TxIp{3, pkt}).result, Result::kBadMessage);  // no line port 3
  fpga.refuse_tx(100);
  EXPECT_EQ(request(TxIp{0, pkt}).result, Result::kBusy);
  EXPECT_EQ(fpga.tx().size(), 1u);
  EXPECT_EQ(fw->counter(FwCounter::kTxIp), 1u);
}

TEST_F(FirmwareTest, TxL2tpInnerSegmentMatchesTheSoftwareBackEnd) {
  // The same outbound SA in the software back end (deterministic counter IVs) and in the firmware.
  auto cfg = sa_config(0x0e00'0001, Direction::kOutbound);
  auto [ours, wire] = ipsec::make_memory_link();
  ipsec::SoftBackend soft(std::move(ours));
  ASSERT_TRUE(soft.add_sa(ipsec::SaSpec{21, cfg, {}, {}}).ok());
  ASSERT_TRUE(add(21, cfg).ok());
  for (const std::uint16_t lac_port : {std::uint16_t{1701}, std::uint16_t{50123}}) {
    const Bytes msg = pattern(57, static_cast<std::uint8_t>(lac_port));
    ASSERT_TRUE(soft.send_l2tp(21, lac_port, msg).ok());
    fpga.tx().clear();
    ASSERT_TRUE(request(TxL2tp{21, lac_port, msg}).ok());
    ASSERT_EQ(fpga.tx().size(), 1u);
    const auto& [meta, segment] = fpga.tx()[0];
    EXPECT_TRUE(meta.encap);
    EXPECT_EQ(meta.sa_index, *fw->active_outbound(21));
    EXPECT_EQ(meta.next_header, golden::kIpProtoUdp);
    EXPECT_EQ(meta.ttl, 64);
    // Encrypt the firmware's segment with the golden model under the same SA, sequence number
    // and IP ID (counter IVs make it deterministic): the packet is byte for byte the software
    // back end's only if the inner UDP segments are.
    const auto pkt = wire->receive();
    ASSERT_TRUE(pkt.has_value());
    const std::uint32_t esp_seq = load_be32(pkt->data() + 20 + 8 + 4);
    auto gw_cfg = cfg;
    gw_cfg.last_seq = esp_seq - 1;
    golden::EspEngine gw;
    std::string error;
    const auto h = gw.add_sa(gw_cfg, &error);
    ASSERT_TRUE(h) << error;
    golden::Ipv4Header fields;
    fields.id = load_be16(pkt->data() + 4);
    Bytes again;
    ASSERT_TRUE(gw.encap_payload(*h, golden::kIpProtoUdp, segment, fields, again).ok());
    EXPECT_EQ(again, *pkt)
        << "the firmware's inner UDP segment differs from the software back end's";
    EXPECT_EQ(load_be16(segment.data()), 1701);
    EXPECT_EQ(load_be16(segment.data() + 2), lac_port);
  }
}

TEST_F(FirmwareTest, BadMailboxMessagesAreAnsweredAndCounted) {
  auto answer = [&](const Bytes& req) {
    const auto m = decode(fw->handle(req));
    EXPECT_TRUE(m.has_value());
    return m ? std::make_pair(m->seq, std::get<Reply>(m->body)) : std::make_pair(0u, Reply{});
  };
  // Garbage.
  auto [s1, r1] = answer(Bytes{1, 2, 3});
  EXPECT_EQ(r1.result, Result::kBadMessage);
  EXPECT_TRUE(r1.unreadable);
  // A version this firmware does not speak: the seq is echoed.
  Bytes v2 = encode(Message{77, Hello{}});
  v2[4] = 2;
  auto [s2, r2] = answer(v2);
  EXPECT_EQ(s2, 77u);
  EXPECT_EQ(r2.result, Result::kBadVersion);
  EXPECT_NE(r2.error.find("version 2"), std::string::npos) << r2.error;
  // An unknown type.
  Bytes unknown = encode(Message{78, CountersRequest{}});
  unknown[6] = 0x33;
  auto [s3, r3] = answer(unknown);
  EXPECT_EQ(s3, 78u);
  EXPECT_EQ(r3.result, Result::kUnknownType);
  EXPECT_EQ(r3.answers, 0x33);
  // A truncated SA_ADD.
  std::string error;
  Bytes add_msg =
      encode(Message{79, SaAdd{1, *expand_sa(sa_config(0x1234, Direction::kInbound)), {}, {}}});
  add_msg.resize(add_msg.size() - 3);
  auto [s4, r4] = answer(add_msg);
  EXPECT_EQ(s4, 79u);
  EXPECT_EQ(r4.result, Result::kBadMessage);
  // Something that is not a request.
  auto [s5, r5] = answer(encode(Message{80, Event{}}));
  EXPECT_EQ(r5.result, Result::kUnknownType);
  // HELLO from a host that speaks only version 2..3.
  const Reply r6 = request(Hello{2, 3});
  EXPECT_EQ(r6.result, Result::kBadVersion);
  EXPECT_EQ(fw->counter(FwCounter::kBadRequests), 5u);
  EXPECT_EQ(fw->counter(FwCounter::kRequests), 6u);
  EXPECT_TRUE(fw->ready());
}

TEST_F(FirmwareTest, CountersReportRegistersAndFirmwareCounts) {
  fpga.set_reg(lm::parser::kClassCount + 4 * static_cast<unsigned>(PktClass::kNatKeepalive), 5);
  fpga.set_reg(lm::parser::kClassCount + 4 * static_cast<unsigned>(PktClass::kIke), 11);
  fpga.set_reg(lm::parser::kDropCount + 4 * static_cast<unsigned>(lm::DropReason::kBadIpCsum), 2);
  fpga.set_reg(lm::decap::kPackets, 1000);
  fpga.set_reg(lm::decap::kDropCount + 4 * static_cast<unsigned>(lm::DropReason::kReplay), 7);
  fpga.set_reg(lm::encap::kPackets, 900);
  fpga.set_reg(lm::encap::kDropCount + 4 * static_cast<unsigned>(lm::DropReason::kSeqOverflow), 1);
  RxMeta ka;
  ka.pkt_class = PktClass::kNatKeepalive;
  ka.len = 1;
  fpga.push_rx(ka, Bytes{0xff});
  fw->poll(1);
  const Reply r = request(CountersRequest{});
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r.counters.has_value());
  const auto& c = *r.counters;
  EXPECT_EQ(c.parser_class[static_cast<std::size_t>(PktClass::kIke)], 11u);
  EXPECT_EQ(c.parser_drop[static_cast<std::size_t>(lm::DropReason::kBadIpCsum)], 2u);
  EXPECT_EQ(c.decap_packets, 1000u);
  EXPECT_EQ(c.decap_drop[static_cast<std::size_t>(lm::DropReason::kReplay)], 7u);
  EXPECT_EQ(c.encap_packets, 900u);
  EXPECT_EQ(c.encap_drop[static_cast<std::size_t>(lm::DropReason::kSeqOverflow)], 1u);
  EXPECT_EQ(c.keepalives[0], 6u);  // 5 at the parser, 1 at the firmware
  EXPECT_EQ(c.firmware[static_cast<std::size_t>(FwCounter::kRxKeepalives)], 1u);
  EXPECT_EQ(c.firmware[static_cast<std::size_t>(FwCounter::kRequests)], 1u);
}

}  // namespace
}  // namespace l2sec::fw::test
