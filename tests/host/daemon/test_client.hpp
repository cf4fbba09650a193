// The client side of the in-process gateway tests: a NAT in front of the client (NatPort) and one
// L2TP/IPsec client (Client: our own IKEv1 initiator, LAC and PPP peer on a software back end of
// its own). The gateway tests on the software back end (tests/host/daemon) and on the line module
// (tests/lm) both drive it; each is written apart from the gateway's side.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>

#include "l2sec/golden/ipv4.hpp"
#include "l2sec/ike/initiator.hpp"
#include "l2sec/ipsec/soft_backend.hpp"
#include "l2sec/l2tp/lac.hpp"
#include "test_peer.hpp"

namespace l2sec::daemon::test {

constexpr std::uint32_t kGateway = 0xc6120002;       // 198.18.0.2, the default config's profile
constexpr std::uint32_t kClientInside = 0xc612000f;  // 198.18.0.15 behind the NAT
constexpr std::uint32_t kNatOutside = 0xc6120101;    // 198.18.1.1

inline void fix_udp_checksum(Bytes& pkt) {
  const std::size_t hl = (pkt[0] & 0x0f) * 4u;
  if (pkt[9] != golden::kIpProtoUdp) return;
  const bool had = load_be16(pkt.data() + hl + 6) != 0;
  store_be16(pkt.data() + hl + 6, 0);
  if (had) {
    const std::uint16_t c = golden::udp_checksum(
        load_be32(pkt.data() + 12), load_be32(pkt.data() + 16), ByteView(pkt).subspan(hl));
    store_be16(pkt.data() + hl + 6, c == 0 ? 0xffff : c);
  }
  golden::refresh_ipv4_checksum(pkt);
}

// The client's side of a NAT: inside address:port <-> outside address:mapped port (500 -> base,
// 4500 -> base + 1). Packets for other mappings are dropped, as a NAT would.
class NatPort final : public ipsec::FramePort {
 public:
  NatPort(std::unique_ptr<ipsec::MemoryPort> wire, std::uint16_t base)
      : wire_(std::move(wire)), base_(base) {}
  bool send(ByteView packet) override {
    Bytes p(packet.begin(), packet.end());
    if (p[9] != golden::kIpProtoUdp) return false;  // a NAT without IPsec passthrough
    const std::uint16_t inside_port = load_be16(p.data() + 20);
    store_be32(p.data() + 12, kNatOutside);
    store_be16(p.data() + 20, static_cast<std::uint16_t>(base_ + (inside_port == 4500 ? 1 : 0)));
    fix_udp_checksum(p);
    return wire_->send(p);
  }
  std::optional<Bytes> receive() override {
    for (;;) {
      auto p = wire_->receive();
      if (!p) return p;
      const std::uint16_t port = load_be16(p->data() + 22);
      if (load_be32(p->data() + 16) != kNatOutside || (port != base_ && port != base_ + 1)) {
        continue;
      }
      store_be32(p->data() + 16, kClientInside);
      store_be16(p->data() + 22, port == base_ + 1 ? 4500 : 500);
      fix_udp_checksum(*p);
      return p;
    }
  }
  int fd() const override { return -1; }

 private:
  std::unique_ptr<ipsec::MemoryPort> wire_;
  std::uint16_t base_;
};

// One L2TP/IPsec client: IKE initiator, LAC and PPP peer on its own software back end.
struct Client {
  Client(std::unique_ptr<ipsec::FramePort> port, const std::string& psk, const std::string& user,
         const std::string& password, ike::Phase1Proposal p1, ike::EspProposal esp)
      : backend(std::move(port)) {
    ike::InitiatorConfig ic;
    ic.local = {kClientInside, 500};
    ic.remote = {kGateway, 500};
    ic.psk = psk;
    ic.ike = p1;
    ic.esp = esp;
    initiator = std::make_unique<ike::Initiator>(ic, backend);
    ppp::test::PeerConfig pc;
    pc.user = user;
    pc.password = password;
    pc.request_dns = true;
    peer = std::make_unique<ppp::test::TestPeer>(
        pc, [this](ByteView f) { lac->send_frame(session, f); });
  }

  void pump(ipsec::Clock::time_point now) {
    if (!started) {
      started = true;
      initiator->start(now);
    }
    while (auto pkt = backend.receive()) {
      if (pkt->pkt_class == lm::PktClass::kIke || pkt->pkt_class == lm::PktClass::kIkeNatt) {
        initiator->on_packet(*pkt, now);
      } else if (pkt->is_protected() && lac) {
        lac->on_datagram(pkt->payload, now);
      }
    }
    initiator->tick(now);
    if (initiator->state() == ike::InitiatorState::kDone && !lac) {
      l2tp::LacConfig lc;
      lac = std::make_unique<l2tp::Lac>(lc, [this](ByteView d) {
        const auto st = backend.send_l2tp(1, golden::kPortL2tp, d);
        EXPECT_TRUE(st.ok()) << st.error;
      });
      lac->on_frame = [this](std::uint16_t, ByteView f) { peer->receive(f, clock); };
      lac->connect(now);
    }
    if (lac) {
      clock = now;
      lac->tick(now);
      if (lac->state() == l2tp::Lac::State::kEstablished && session == 0) {
        session = lac->open_session(now);
      }
      if (session != 0 && !ppp_started &&
          lac->call_state(session) == l2tp::Lac::CallState::kEstablished) {
        ppp_started = true;
        peer->start(now);
      }
      if (ppp_started) peer->tick(now);
    }
  }

  ipsec::SoftBackend backend;
  std::unique_ptr<ike::Initiator> initiator;
  std::unique_ptr<l2tp::Lac> lac;
  std::unique_ptr<ppp::test::TestPeer> peer;
  std::uint16_t session = 0;
  bool started = false;
  bool ppp_started = false;
  ipsec::Clock::time_point clock{};
};

// An ICMP echo request in IPv4, for pings through a PPP session.
inline Bytes icmp_echo(std::uint32_t src, std::uint32_t dst, std::uint16_t seq) {
  Bytes icmp = {8, 0, 0, 0, 0x12, 0x34, 0, 0, 'l', '2', 's', 'e', 'c'};
  store_be16(icmp.data() + 6, seq);
  store_be16(icmp.data() + 2, golden::inet_checksum(icmp));
  Bytes ip(20 + icmp.size());
  golden::Ipv4Header h;
  h.total_length = static_cast<std::uint16_t>(ip.size());
  h.protocol = 1;
  h.src = src;
  h.dst = dst;
  golden::write_ipv4(h, ip);
  std::copy(icmp.begin(), icmp.end(), ip.begin() + 20);
  return ip;
}

}  // namespace l2sec::daemon::test
