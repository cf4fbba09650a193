// Two IKE peers in one process: our Initiator and the Responder, each on a FakeBackend, with a
// pretend NAT between them (198.18.0.15 inside, 198.18.1.2 outside) when asked.
#pragma once

#include <functional>
#include <memory>

#include "fake_backend.hpp"
#include "l2sec/golden/ipv4.hpp"
#include "l2sec/ike/initiator.hpp"
#include "l2sec/ike/responder.hpp"

namespace l2sec::ike::testing {

inline constexpr std::uint32_t kClient = 0xc612000f;   // 198.18.0.15
inline constexpr std::uint32_t kNatAddr = 0xc6120102;  // 198.18.1.2
inline constexpr std::uint32_t kRouter = 0xc6120201;   // 198.18.2.1
inline constexpr std::uint16_t kNatPort500 = 61001;
inline constexpr std::uint16_t kNatPort4500 = 61002;

struct TwoPeers {
  // Called for every datagram on the wire: source, destination (as on the wire), ISAKMP bytes.
  using Tap = std::function<void(ipsec::Endpoint src, ipsec::Endpoint dst, ByteView msg)>;

  TwoPeers(IkeConfig rcfg, InitiatorConfig icfg, bool nat)
      : rb(0x2000), ib(0x9000), behind_nat(nat) {
    responder = std::make_unique<Responder>(std::move(rcfg), rb);
    initiator = std::make_unique<Initiator>(std::move(icfg), ib);
  }

  static IkeConfig responder_config(const std::string& psk = "group-secret") {
    IkeConfig c;
    c.group_psk[kRouter] = psk;
    return c;
  }
  static InitiatorConfig initiator_config(const std::string& psk = "group-secret") {
    InitiatorConfig c;
    c.local = {kClient, 500};
    c.remote = {kRouter, 500};
    c.psk = psk;
    return c;
  }

  // The initiator's datagram as the responder sees it after the NAT.
  ipsec::Endpoint outside(ipsec::Endpoint inside) const {
    if (!behind_nat) return inside;
    return {kNatAddr, static_cast<std::uint16_t>(inside.port == golden::kPortNatT
                                                     ? kNatPort4500 + port_shift
                                                     : kNatPort500 + port_shift)};
  }
  ipsec::Endpoint inside(ipsec::Endpoint outside_ep) const {
    if (!behind_nat) return outside_ep;
    return {kClient,
            outside_ep.port == kNatPort500 + port_shift ? std::uint16_t{500} : golden::kPortNatT};
  }
  static lm::PktClass class_for(std::uint16_t port) {
    return port == golden::kPortNatT ? lm::PktClass::kIkeNatt : lm::PktClass::kIke;
  }

  // Delivers queued messages both ways until none is left; drop(i) may discard the i-th message
  // (counted across the whole exchange).
  void pump(Clock::time_point now) {
    for (int round = 0; round < 50; ++round) {
      auto to_r = std::move(ib.sent);
      ib.sent.clear();
      auto to_i = std::move(rb.sent);
      rb.sent.clear();
      if (to_r.empty() && to_i.empty()) return;
      for (auto& m : to_r) {
        const std::size_t idx = seq++;
        ipsec::HostPacket p;
        p.pkt_class = class_for(m.peer.port);
        p.local = m.peer;
        p.peer = outside(m.local);
        p.payload = m.message;
        if (tap) tap(p.peer, p.local, p.payload);
        if (drop && drop(idx)) continue;
        responder->on_packet(p, now);
      }
      for (auto& m : to_i) {
        const std::size_t idx = seq++;
        if (tap) tap(m.local, m.peer, m.message);
        if (drop && drop(idx)) continue;
        ipsec::HostPacket p;
        p.pkt_class = class_for(m.local.port);
        p.local = inside(m.peer);
        p.peer = m.local;
        p.payload = m.message;
        initiator->on_packet(p, now);
      }
    }
  }

  void run(Clock::time_point now) {
    initiator->start(now);
    pump(now);
  }

  FakeBackend rb;
  FakeBackend ib;
  bool behind_nat;
  std::uint16_t port_shift = 0;  // the NAT mapping moves when this changes
  std::unique_ptr<Responder> responder;
  std::unique_ptr<Initiator> initiator;
  std::function<bool(std::size_t)> drop;
  Tap tap;
  std::size_t seq = 0;
};

}  // namespace l2sec::ike::testing
