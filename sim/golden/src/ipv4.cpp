#include "l2sec/golden/ipv4.hpp"

#include <cstring>

namespace l2sec::golden {

std::optional<Ipv4Header> parse_ipv4(ByteView packet, lm::DropReason* reason) {
  auto fail = [&](lm::DropReason r) -> std::optional<Ipv4Header> {
    if (reason != nullptr) *reason = r;
    return std::nullopt;
  };
  if (packet.size() < kIpv4MinHeader) return fail(lm::DropReason::kTruncated);
  const std::uint8_t* p = packet.data();
  Ipv4Header h;
  if ((p[0] >> 4) != 4) return fail(lm::DropReason::kBadIpHeader);
  h.ihl_bytes = static_cast<std::uint8_t>((p[0] & 0xf) * 4);
  if (h.ihl_bytes < kIpv4MinHeader) return fail(lm::DropReason::kBadIpHeader);
  if (packet.size() < h.ihl_bytes) return fail(lm::DropReason::kTruncated);
  if (inet_checksum(packet.first(h.ihl_bytes)) != 0) return fail(lm::DropReason::kBadIpCsum);
  h.tos = p[1];
  h.total_length = load_be16(p + 2);
  h.id = load_be16(p + 4);
  h.frag = load_be16(p + 6);
  h.ttl = p[8];
  h.protocol = p[9];
  h.src = load_be32(p + 12);
  h.dst = load_be32(p + 16);
  if (h.total_length < h.ihl_bytes) return fail(lm::DropReason::kBadLength);
  if (h.total_length > packet.size()) return fail(lm::DropReason::kTruncated);
  return h;
}

void write_ipv4(const Ipv4Header& h, MutableByteView out) {
  std::uint8_t* p = out.data();
  p[0] = 0x45;  // version 4, IHL 5
  p[1] = h.tos;
  store_be16(p + 2, h.total_length);
  store_be16(p + 4, h.id);
  store_be16(p + 6, h.frag);
  p[8] = h.ttl;
  p[9] = h.protocol;
  store_be32(p + 12, h.src);
  store_be32(p + 16, h.dst);
  refresh_ipv4_checksum(out);
}

void refresh_ipv4_checksum(MutableByteView packet) {
  std::uint8_t* p = packet.data();
  const std::size_t ihl = static_cast<std::size_t>(p[0] & 0xf) * 4;
  store_be16(p + 10, 0);
  store_be16(p + 10, inet_checksum(ByteView(p, ihl)));
}

std::uint16_t ones_sum(ByteView data, std::uint32_t start) {
  std::uint64_t sum = start;
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum += load_be16(data.data() + i);
  if (i < data.size()) sum += std::uint32_t{data[i]} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

std::uint16_t inet_checksum(ByteView data) { return static_cast<std::uint16_t>(~ones_sum(data)); }

namespace {
std::uint16_t pseudo_sum(std::uint32_t src, std::uint32_t dst, std::size_t len) {
  std::uint8_t ph[12];
  store_be32(ph, src);
  store_be32(ph + 4, dst);
  ph[8] = 0;
  ph[9] = kIpProtoUdp;
  store_be16(ph + 10, static_cast<std::uint16_t>(len));
  return ones_sum(ByteView(ph, sizeof ph));
}
}  // namespace

std::uint16_t udp_checksum(std::uint32_t src, std::uint32_t dst, ByteView segment) {
  const std::uint16_t c =
      static_cast<std::uint16_t>(~ones_sum(segment, pseudo_sum(src, dst, segment.size())));
  return c == 0 ? 0xffff : c;
}

bool udp_checksum_ok(std::uint32_t src, std::uint32_t dst, ByteView segment) {
  if (segment.size() < kUdpHeader) return false;
  if (load_be16(segment.data() + 6) == 0) return true;
  return static_cast<std::uint16_t>(~ones_sum(segment, pseudo_sum(src, dst, segment.size()))) == 0;
}

std::uint16_t checksum_adjust32(std::uint16_t checksum, std::uint32_t old_value,
                                std::uint32_t new_value) {
  // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), over the two 16-bit halves.
  std::uint32_t sum = static_cast<std::uint16_t>(~checksum);
  sum += static_cast<std::uint16_t>(~(old_value >> 16));
  sum += static_cast<std::uint16_t>(~(old_value & 0xffff));
  sum += new_value >> 16;
  sum += new_value & 0xffff;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

Bytes build_udp_packet(std::uint32_t src, std::uint32_t dst, std::uint16_t sport,
                       std::uint16_t dport, ByteView payload, std::uint16_t ip_id,
                       std::uint8_t ttl) {
  Bytes pkt(kIpv4MinHeader + kUdpHeader + payload.size());
  Ipv4Header h;
  h.total_length = static_cast<std::uint16_t>(pkt.size());
  h.id = ip_id;
  h.frag = 0x4000;  // DF
  h.ttl = ttl;
  h.protocol = kIpProtoUdp;
  h.src = src;
  h.dst = dst;
  write_ipv4(h, pkt);
  std::uint8_t* u = pkt.data() + kIpv4MinHeader;
  store_be16(u, sport);
  store_be16(u + 2, dport);
  store_be16(u + 4, static_cast<std::uint16_t>(kUdpHeader + payload.size()));
  store_be16(u + 6, 0);
  if (!payload.empty()) std::memcpy(u + kUdpHeader, payload.data(), payload.size());
  store_be16(u + 6, udp_checksum(src, dst, ByteView(u, kUdpHeader + payload.size())));
  return pkt;
}

}  // namespace l2sec::golden
