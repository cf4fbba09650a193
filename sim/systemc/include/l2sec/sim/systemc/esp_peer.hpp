// Golden-model traffic for the line-module models (the SystemC LineModule and TopHarness alike):
// one remote peer with an SA pair, its golden ESP engines on both ends, the frames it sends and the
// register sequences that set a line module up for it. Shared by tests/systemc and the SystemC
// bench, so both models get exactly the same input.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>

#include "l2sec/golden/bytes.hpp"
#include "l2sec/golden/classify.hpp"
#include "l2sec/golden/esp.hpp"
#include "l2sec/golden/ipv4.hpp"
#include "l2sec/sim/sa_entry.hpp"
#include "lm_regs.hpp"

namespace l2sec::sim::sc {

inline constexpr std::uint32_t kLocalAddr = 0xC6120002;  // 198.18.0.2
inline constexpr std::array<std::uint8_t, 6> kLocalMac = {0x02, 0x00, 0x5e, 0x12, 0x00, 0x02};
inline constexpr std::array<std::uint8_t, 6> kGatewayMac = {0x02, 0x00, 0x5e, 0x12, 0x00, 0x01};

inline Bytes random_bytes(std::mt19937_64& rng, std::size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

// The inner UDP header (lac_port -> 1701, checksum 0) in front of an L2TP message.
inline Bytes l2tp_transport(ByteView message, std::uint16_t lac_port = golden::kPortL2tp) {
  Bytes p(8 + message.size());
  store_be16(&p[0], lac_port);
  store_be16(&p[2], golden::kPortL2tp);
  store_be16(&p[4], static_cast<std::uint16_t>(8 + message.size()));
  store_be16(&p[6], 0);
  std::copy(message.begin(), message.end(), p.begin() + 8);
  return p;
}

// One peer behind NAT (ESP in UDP from peer_port) or not (plain ESP), AES-CBC + HMAC, counter IVs
// so encapsulation is deterministic. in_index / out_index: the SA-table slots (inbound: SPI mod
// capacity, as the firmware places it).
struct EspPeer {
  EspPeer(std::uint64_t seed, unsigned n, lm::Cipher cipher = lm::Cipher::kAesCbc128,
          lm::Integ integ = lm::Integ::kHmacSha1, lm::IcvLen icv = lm::IcvLen::kIcv96,
          bool udp = true)
      : rng(seed) {
    const std::size_t key_len = cipher == lm::Cipher::kAesCbc128   ? 16
                                : cipher == lm::Cipher::kAesCbc192 ? 24
                                                                   : 32;
    const std::size_t auth_len = integ == lm::Integ::kHmacSha1 ? 20 : 32;
    in_index = static_cast<std::uint16_t>(0x100 + 2 * n);
    out_index = static_cast<std::uint16_t>(lm::sa_entry::kCapacity - 1 - n);
    golden::SaConfig in;
    in.cipher = cipher;
    in.integ = integ;
    in.icv_len = icv;
    in.encap = udp ? lm::Encap::kUdp : lm::Encap::kNone;
    in.iv_mode = golden::IvMode::kCounter;
    in.spi = (static_cast<std::uint32_t>(rng() & 0xfffff) + 0x100u) << 12 | in_index;
    in.direction = lm::Direction::kInbound;
    in.enc_key = random_bytes(rng, key_len);
    in.auth_key = random_bytes(rng, auth_len);
    in.iv_key = random_bytes(rng, 16);
    in.local_addr = kLocalAddr;
    in.peer_addr = 0xC6130000u + 10 + n;  // 198.19.0.x
    in.local_port = golden::kPortNatT;
    in.peer_port = static_cast<std::uint16_t>(udp ? 40000 + n : golden::kPortNatT);
    golden::SaConfig out = in;
    out.spi = static_cast<std::uint32_t>(rng() | 0x1000u);
    out.direction = lm::Direction::kOutbound;
    out.enc_key = random_bytes(rng, key_len);
    out.auth_key = random_bytes(rng, auth_len);
    out.iv_key = random_bytes(rng, 16);
    in_cfg = in;
    out_cfg = out;
    golden::SaConfig p_out = in;  // the peer's mirror images
    p_out.direction = lm::Direction::kOutbound;
    std::swap(p_out.local_addr, p_out.peer_addr);
    std::swap(p_out.local_port, p_out.peer_port);
    golden::SaConfig p_in = out;
    p_in.direction = lm::Direction::kInbound;
    std::swap(p_in.local_addr, p_in.peer_addr);
    std::swap(p_in.local_port, p_in.peer_port);
    std::string err;
    auto add = [&](golden::EspEngine& e, const golden::SaConfig& c) {
      const auto h = e.add_sa(c, &err);
      if (!h) throw std::runtime_error("golden add_sa: " + err);
      return *h;
    };
    peer_out = add(peer_engine, p_out);
    our_in = add(our_engine, in);
    our_out = add(our_engine, out);
    peer_in = add(peer_rx_engine, p_in);
  }

  // A protected Ethernet frame from the peer carrying a transport payload (inner UDP + L2TP).
  Bytes frame_from_peer(ByteView transport) {
    golden::Ipv4Header f;
    f.id = static_cast<std::uint16_t>(rng());
    Bytes pkt;
    if (!peer_engine.encap_payload(peer_out, golden::kIpProtoUdp, transport, f, pkt).ok()) {
      throw std::runtime_error("golden encap failed");
    }
    return golden::ethernet_frame(pkt);
  }
  // The restored IPv4 packet the line module must hand up for a frame from the peer.
  golden::DecapResult expect_decap(ByteView frame, Bytes& out) {
    return our_engine.decap(ByteView(frame.data() + 14, frame.size() - 14), out);
  }
  // The peer opens a frame the line module sent: the transport payload, or nullopt.
  std::optional<Bytes> peer_opens(ByteView frame) {
    if (frame.size() < 14 + 20) return std::nullopt;
    Bytes ip(frame.begin() + 14, frame.end());
    // ESP in UDP went to the peer's NAT mapping; the NAT in front of the peer maps it back to
    // 4500 (the UDP checksum of ESP in UDP is 0, RFC 3948).
    const std::size_t ihl = (ip[0] & 0x0fu) * 4u;
    if (ip[9] == golden::kIpProtoUdp && ip.size() >= ihl + 8) {
      store_be16(&ip[ihl + 2], golden::kPortNatT);
    }
    Bytes inner;
    const auto res = peer_rx_engine.decap(ip, inner);
    last_reason = res.reason;
    if (!res.ok() || inner.size() < 20) return std::nullopt;
    return Bytes(inner.begin() + 20, inner.end());
  }
  // A NAT keepalive (RFC 3948: one 0xff byte on UDP 4500) from the peer.
  Bytes keepalive() const {
    const std::uint8_t ff = 0xff;
    return golden::ethernet_frame(golden::build_udp_packet(
        in_cfg.peer_addr, kLocalAddr, in_cfg.peer_port, golden::kPortNatT, ByteView(&ff, 1)));
  }

  std::mt19937_64 rng;
  golden::SaConfig in_cfg, out_cfg;
  std::uint16_t in_index = 0, out_index = 0;
  golden::EspEngine peer_engine, our_engine, peer_rx_engine;
  golden::SaHandle peer_out = 0, our_in = 0, our_out = 0, peer_in = 0;
  lm::DropReason last_reason = lm::DropReason::kNone;  // of the last peer_opens()
};

// Register-level bring-up without the firmware, the same sequence of accesses on any model with
// read32/write32 (so both models spend the same cycles): MACs, SA entries (STAGE words, CMD, poll
// BUSY), then CONTROL.ENABLE.
template <typename Bus>
void write_macs(Bus& b) {
  auto hi = [](const std::array<std::uint8_t, 6>& a) {
    return static_cast<std::uint32_t>((a[0] << 8) | a[1]);
  };
  auto lo = [](const std::array<std::uint8_t, 6>& a) { return load_be32(&a[2]); };
  b.write32(lm::ctrl::kLocalMacHi, hi(kLocalMac));
  b.write32(lm::ctrl::kLocalMacLo, lo(kLocalMac));
  b.write32(lm::ctrl::kGatewayMacHi, hi(kGatewayMac));
  b.write32(lm::ctrl::kGatewayMacLo, lo(kGatewayMac));
}

template <typename Bus>
bool install_entry(Bus& b, std::uint16_t index, const golden::SaConfig& cfg) {
  const SaEntryWords words = pack_sa_entry(cfg, 6, 1);
  for (unsigned w = 0; w < words.size(); ++w) b.write32(lm::sa_table::kStage + 4 * w, words[w]);
  namespace c = lm::sa_table::cmd;
  b.write32(lm::sa_table::kCmd,
            c::kOp.set(c::kIndex.set(0, index), static_cast<std::uint32_t>(lm::SaCmdOp::kWrite)));
  for (unsigned i = 0; i < 10000; ++i) {
    const std::uint32_t v = b.read32(lm::sa_table::kCmd);
    if (!c::kBusy.get(v)) return c::kError.get(v) == 0;
  }
  return false;
}

template <typename Bus>
bool bring_up(Bus& b, EspPeer& peer) {
  write_macs(b);
  const bool ok = install_entry(b, peer.in_index, peer.in_cfg) &&
                  install_entry(b, peer.out_index, peer.out_cfg);
  b.write32(lm::ctrl::kControl, lm::ctrl::control::kEnable.set(0, 1));
  return ok;
}

}  // namespace l2sec::sim::sc
