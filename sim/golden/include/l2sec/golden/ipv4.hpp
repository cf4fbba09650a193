// IPv4 and UDP header access and Internet checksums (RFC 791, RFC 768, RFC 1071, RFC 1624).
#pragma once

#include <cstdint>
#include <optional>

#include "l2sec/golden/bytes.hpp"
#include "lm_regs.hpp"

namespace l2sec::golden {

inline constexpr std::uint8_t kIpProtoTcp = 6;
inline constexpr std::uint8_t kIpProtoUdp = 17;
inline constexpr std::uint8_t kIpProtoEsp = 50;
inline constexpr std::uint16_t kPortIke = 500;
inline constexpr std::uint16_t kPortNatT = 4500;
inline constexpr std::uint16_t kPortL2tp = 1701;
inline constexpr std::size_t kIpv4MinHeader = 20;
inline constexpr std::size_t kUdpHeader = 8;

// The fields of an IPv4 header the ESP code reads or rewrites.
struct Ipv4Header {
  std::uint8_t ihl_bytes = 20;
  std::uint8_t tos = 0;
  std::uint16_t total_length = 0;
  std::uint16_t id = 0;
  std::uint16_t frag = 0;  // flags and fragment offset as on the wire
  std::uint8_t ttl = 64;
  std::uint8_t protocol = 0;
  std::uint32_t src = 0;
  std::uint32_t dst = 0;

  bool is_fragment() const { return (frag & 0x3fff) != 0; }  // MF set or offset non-zero
};

// Parses and checks an IPv4 header: version 4, IHL >= 5, header checksum, total length within the
// buffer (bytes beyond it, such as Ethernet padding, are ignored). reason is set on failure.
std::optional<Ipv4Header> parse_ipv4(ByteView packet, lm::DropReason* reason);

// Writes a 20-byte header (no options) with a correct checksum into out[0..20).
void write_ipv4(const Ipv4Header& h, MutableByteView out);
// Recomputes the header checksum of the IPv4 header at the start of packet (any IHL) after a
// field in it changed.
void refresh_ipv4_checksum(MutableByteView packet);

// RFC 1071 one's-complement sum, folded, not inverted; start lets sums be chained.
std::uint16_t ones_sum(ByteView data, std::uint32_t start = 0);
// The finished Internet checksum (inverted) of data.
std::uint16_t inet_checksum(ByteView data);
// UDP checksum over the pseudo-header and segment (the checksum field must be zero or is
// included as-is: a correct segment then yields 0). Returns 0xffff for a computed 0 (RFC 768).
std::uint16_t udp_checksum(std::uint32_t src, std::uint32_t dst, ByteView segment);
// True when a UDP segment's checksum is correct or absent (0).
bool udp_checksum_ok(std::uint32_t src, std::uint32_t dst, ByteView segment);
// RFC 1624 incremental update of a checksum field for a 32-bit value changing from old to new.
std::uint16_t checksum_adjust32(std::uint16_t checksum, std::uint32_t old_value,
                                std::uint32_t new_value);

// Builds IPv4 + UDP around a payload with correct checksums.
Bytes build_udp_packet(std::uint32_t src, std::uint32_t dst, std::uint16_t sport,
                       std::uint16_t dport, ByteView payload, std::uint16_t ip_id = 0,
                       std::uint8_t ttl = 64);

}  // namespace l2sec::golden
