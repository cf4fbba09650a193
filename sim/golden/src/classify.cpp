#include "l2sec/golden/classify.hpp"

#include <cstring>

#include "l2sec/golden/ipv4.hpp"

namespace l2sec::golden {

namespace {
Classification malformed(Classification c, lm::DropReason reason) {
  c.pkt_class = lm::PktClass::kMalformed;
  c.reason = reason;
  c.payload_offset = 0;
  c.payload_length = 0;
  return c;
}
}  // namespace

Bytes ethernet_frame(ByteView ipv4_packet) {
  static constexpr std::uint8_t kHeader[kEthernetHeader] = {
      0x02, 0x00, 0x5e, 0x12, 0x00, 0x01,  // dst
      0x02, 0x00, 0x5e, 0x12, 0x00, 0x02,  // src
      0x08, 0x00};                         // IPv4
  Bytes frame(sizeof kHeader + ipv4_packet.size());
  std::memcpy(frame.data(), kHeader, sizeof kHeader);
  if (!ipv4_packet.empty()) {
    std::memcpy(frame.data() + sizeof kHeader, ipv4_packet.data(), ipv4_packet.size());
  }
  return frame;
}

Classification classify(ByteView frame, bool nat_passthrough) {
  Classification c;
  if (frame.size() < kEthernetHeader) return malformed(c, lm::DropReason::kTruncated);
  if (load_be16(frame.data() + 12) != kEtherTypeIpv4) return c;
  c.l3_offset = kEthernetHeader;
  const ByteView ip_bytes = frame.subspan(kEthernetHeader);
  lm::DropReason reason = lm::DropReason::kNone;
  const auto ip = parse_ipv4(ip_bytes, &reason);
  if (!ip) return malformed(c, reason);
  c.src_addr = ip->src;
  c.dst_addr = ip->dst;
  if (ip->ihl_bytes != kIpv4MinHeader) return c;  // options: slow path
  if (ip->is_fragment()) {
    c.pkt_class = lm::PktClass::kFragment;
    return c;
  }
  const std::size_t l4 = kEthernetHeader + kIpv4MinHeader;
  const std::size_t l4_len = ip->total_length - kIpv4MinHeader;
  if (ip->protocol == kIpProtoEsp) {
    if (l4_len < 8) return malformed(c, lm::DropReason::kTruncated);
    c.pkt_class = lm::PktClass::kEsp;
    c.payload_offset = static_cast<std::uint16_t>(l4);
    c.payload_length = static_cast<std::uint16_t>(l4_len);
    return c;
  }
  if (ip->protocol != kIpProtoUdp) return c;
  if (l4_len < kUdpHeader) return malformed(c, lm::DropReason::kTruncated);
  const std::uint8_t* u = frame.data() + l4;
  const std::uint16_t udp_len = load_be16(u + 4);
  if (udp_len < kUdpHeader || udp_len > l4_len) return malformed(c, lm::DropReason::kBadLength);
  c.src_port = load_be16(u);
  c.dst_port = load_be16(u + 2);
  const ByteView body(u + kUdpHeader, udp_len - kUdpHeader);
  c.payload_offset = static_cast<std::uint16_t>(l4 + kUdpHeader);
  c.payload_length = static_cast<std::uint16_t>(body.size());
  bool check_csum = false;
  switch (c.dst_port) {
    case kPortIke:
      c.pkt_class = lm::PktClass::kIke;
      check_csum = true;
      break;
    case kPortNatT:
      if (body.size() == 1 && body[0] == 0xff) {
        c.pkt_class = lm::PktClass::kNatKeepalive;
        c.reason = lm::DropReason::kNatKeepalive;
        return c;
      }
      if (body.size() >= 4 && load_be32(body.data()) == 0) {
        c.pkt_class = lm::PktClass::kIkeNatt;
        c.payload_offset = static_cast<std::uint16_t>(c.payload_offset + 4);
        c.payload_length = static_cast<std::uint16_t>(c.payload_length - 4);
        check_csum = true;
        break;
      }
      if (body.size() < 8) return malformed(c, lm::DropReason::kTruncated);
      c.pkt_class = lm::PktClass::kEspUdp;
      break;
    case kPortL2tp:
      c.pkt_class = lm::PktClass::kL2tpClear;
      check_csum = true;
      break;
    default:
      c.payload_offset = 0;
      c.payload_length = 0;
      return c;
  }
  if (check_csum && !nat_passthrough && !udp_checksum_ok(ip->src, ip->dst, ByteView(u, udp_len))) {
    return malformed(c, lm::DropReason::kBadUdpCsum);
  }
  return c;
}

}  // namespace l2sec::golden
