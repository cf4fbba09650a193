// The NAT-T parser's reference: what class an ingress Ethernet frame is, where its layers start,
// and why it is dropped. The RTL parser (rtl/parser) must agree with it frame for frame.
#pragma once

#include <cstdint>

#include "l2sec/golden/bytes.hpp"
#include "lm_regs.hpp"

namespace l2sec::golden {

inline constexpr std::size_t kEthernetHeader = 14;
inline constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;

struct Classification {
  lm::PktClass pkt_class = lm::PktClass::kOther;
  // NONE for frames that go on (to decap or to the host); the reason for MALFORMED frames and
  // NAT_KEEPALIVE for keepalives, which are discarded.
  lm::DropReason reason = lm::DropReason::kNone;
  std::uint16_t l3_offset = 0;  // IPv4 header (14) when the frame is IPv4
  // ESP header, IKE header (after the non-ESP marker), L2TP header, keepalive byte; 0 with length
  // 0 for OTHER, FRAGMENT and MALFORMED frames.
  std::uint16_t payload_offset = 0;
  std::uint16_t payload_length = 0;  // bytes from payload_offset to the end of the UDP/IP payload
  // Valid once the IPv4 header parsed (also for OTHER, FRAGMENT and a MALFORMED UDP part).
  std::uint32_t src_addr = 0;
  std::uint32_t dst_addr = 0;
  std::uint16_t src_port = 0;  // valid once the UDP header parsed
  std::uint16_t dst_port = 0;

  bool dropped() const { return reason != lm::DropReason::kNone; }
  friend bool operator==(const Classification&, const Classification&) = default;
};

// An IPv4 packet in an Ethernet II frame (fixed locally administered MACs, EtherType IPv4, no
// FCS): what the line module's MAC hands the parser, and what pcap files of link type Ethernet
// hold.
Bytes ethernet_frame(ByteView ipv4_packet);

// Classifies an Ethernet II frame (no FCS). Rules, in order:
//  - shorter than 14 bytes: MALFORMED/TRUNCATED; not IPv4 (ARP, VLAN, IPv6): OTHER.
//  - IPv4 header: version 4 and IHL >= 5 else MALFORMED/BAD_IP_HEADER; header and total length
//    within the frame else TRUNCATED; header checksum else BAD_IP_CSUM; total length below the
//    header else BAD_LENGTH. Bytes after the datagram (Ethernet padding) are ignored.
//  - IP options (IHL > 5): OTHER, the host's slow path. Fragments: FRAGMENT, to the host.
//  - protocol 50: ESP (at least 8 bytes, else TRUNCATED).
//  - protocol 17: UDP header and length checked (TRUNCATED, BAD_LENGTH); then by destination
//    port: 500 IKE; 4500 one byte 0xFF NAT_KEEPALIVE (dropped with reason NAT_KEEPALIVE), four
//    zero bytes IKE_NATT, anything else ESP_UDP (at least 8 bytes, else TRUNCATED); 1701
//    L2TP_CLEAR; other ports OTHER. The UDP checksum of IKE, IKE_NATT and L2TP_CLEAR is checked
//    (BAD_UDP_CSUM) unless nat_passthrough is set; ESP in UDP carries none (RFC 3948).
//  - other protocols: OTHER.
Classification classify(ByteView frame, bool nat_passthrough);

}  // namespace l2sec::golden
