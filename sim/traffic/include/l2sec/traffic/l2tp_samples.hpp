// Well-formed RFC 2661 L2TP messages and PPP frames, as a LAC sends them, for captures, tests and
// benchmarks of the ESP path. The LNS's own codec lives in host/l2tp.
#pragma once

#include <cstdint>
#include <string_view>

#include "l2sec/golden/bytes.hpp"

namespace l2sec::traffic {

// SCCRQ with Message Type, Protocol Version 1.0, Framing Capabilities, Host Name and Assigned
// Tunnel ID (RFC 2661 6.1), on tunnel 0 with Ns = 0, Nr = 0.
Bytes l2tp_sccrq(std::uint16_t assigned_tunnel, std::string_view host_name);
// A HELLO on an established tunnel.
Bytes l2tp_hello(std::uint16_t tunnel, std::uint16_t ns, std::uint16_t nr);
// A data message (L bit set, as xl2tpd's "length bit = yes") carrying one PPP frame in HDLC-like
// framing (FF 03, protocol, information).
Bytes l2tp_data(std::uint16_t tunnel, std::uint16_t session, std::uint16_t ppp_protocol,
                ByteView ppp_information);
// An LCP Configure-Request with MRU and Magic-Number options (RFC 1661 6.1, 6.4).
Bytes lcp_configure_request(std::uint8_t id, std::uint16_t mru, std::uint32_t magic);
// An IPv4 ICMP echo request of the given total payload size, for PPP data frames.
Bytes icmp_echo(std::uint32_t src, std::uint32_t dst, std::uint16_t seq, std::size_t payload);

inline constexpr std::uint16_t kPppLcp = 0xc021;
inline constexpr std::uint16_t kPppIp = 0x0021;

}  // namespace l2sec::traffic
