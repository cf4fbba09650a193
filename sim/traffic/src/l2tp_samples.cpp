#include "l2sec/traffic/l2tp_samples.hpp"

#include "l2sec/golden/ipv4.hpp"

namespace l2sec::traffic {

namespace {

constexpr std::uint16_t kControlFlags = 0xc802;  // T, L, S set; version 2
constexpr std::uint16_t kDataFlags = 0x4002;     // L set; version 2

void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put32(Bytes& b, std::uint32_t v) {
  put16(b, static_cast<std::uint16_t>(v >> 16));
  put16(b, static_cast<std::uint16_t>(v));
}

void avp(Bytes& b, std::uint16_t type, ByteView value) {
  put16(b, static_cast<std::uint16_t>(0x8000 | (6 + value.size())));  // M bit, length
  put16(b, 0);                                                        // IETF vendor
  put16(b, type);
  b.insert(b.end(), value.begin(), value.end());
}

void avp16(Bytes& b, std::uint16_t type, std::uint16_t v) {
  const std::uint8_t val[2] = {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
  avp(b, type, val);
}

void avp32(Bytes& b, std::uint16_t type, std::uint32_t v) {
  std::uint8_t val[4];
  store_be32(val, v);
  avp(b, type, val);
}

Bytes control(std::uint16_t tunnel, std::uint16_t ns, std::uint16_t nr, const Bytes& avps) {
  Bytes b;
  put16(b, kControlFlags);
  put16(b, static_cast<std::uint16_t>(12 + avps.size()));
  put16(b, tunnel);
  put16(b, 0);  // session
  put16(b, ns);
  put16(b, nr);
  b.insert(b.end(), avps.begin(), avps.end());
  return b;
}

}  // namespace

Bytes l2tp_sccrq(std::uint16_t assigned_tunnel, std::string_view host_name) {
  Bytes avps;
  avp16(avps, 0, 1);       // Message Type: SCCRQ
  avp16(avps, 2, 0x0100);  // Protocol Version 1, revision 0
  avp32(avps, 3, 0x3);     // Framing Capabilities: sync and async
  avp(avps, 7,
      ByteView(reinterpret_cast<const std::uint8_t*>(host_name.data()),
               host_name.size()));  // Host Name
  avp16(avps, 9, assigned_tunnel);  // Assigned Tunnel ID
  avp16(avps, 10, 4);               // Receive Window Size
  return control(0, 0, 0, avps);
}

Bytes l2tp_hello(std::uint16_t tunnel, std::uint16_t ns, std::uint16_t nr) {
  Bytes avps;
  avp16(avps, 0, 6);  // Message Type: HELLO
  return control(tunnel, ns, nr, avps);
}

Bytes l2tp_data(std::uint16_t tunnel, std::uint16_t session, std::uint16_t ppp_protocol,
                ByteView ppp_information) {
  Bytes b;
  put16(b, kDataFlags);
  put16(b, static_cast<std::uint16_t>(8 + 4 +
                                      ppp_information.size()));  // header with L bit is 8 bytes
  put16(b, tunnel);
  put16(b, session);
  b.push_back(0xff);
  b.push_back(0x03);
  put16(b, ppp_protocol);
  b.insert(b.end(), ppp_information.begin(), ppp_information.end());
  return b;
}

Bytes lcp_configure_request(std::uint8_t id, std::uint16_t mru, std::uint32_t magic) {
  Bytes b = {1, id, 0, 14, 1, 4};  // code, id, length; MRU option
  put16(b, mru);
  b.push_back(5);  // Magic-Number option
  b.push_back(6);
  put32(b, magic);
  return b;
}

Bytes icmp_echo(std::uint32_t src, std::uint32_t dst, std::uint16_t seq, std::size_t payload) {
  Bytes icmp(8 + payload);
  icmp[0] = 8;  // echo request
  store_be16(icmp.data() + 4, 0x4c32);
  store_be16(icmp.data() + 6, seq);
  for (std::size_t i = 0; i < payload; ++i) icmp[8 + i] = static_cast<std::uint8_t>(i);
  store_be16(icmp.data() + 2, golden::inet_checksum(icmp));
  Bytes pkt(golden::kIpv4MinHeader + icmp.size());
  golden::Ipv4Header h;
  h.total_length = static_cast<std::uint16_t>(pkt.size());
  h.id = seq;
  h.ttl = 64;
  h.protocol = 1;
  h.src = src;
  h.dst = dst;
  golden::write_ipv4(h, pkt);
  std::copy(icmp.begin(), icmp.end(), pkt.begin() + golden::kIpv4MinHeader);
  return pkt;
}

}  // namespace l2sec::traffic
