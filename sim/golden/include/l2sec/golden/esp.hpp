// The golden ESP model: RFC 4303 transport mode for IPv4, with RFC 3948 UDP encapsulation on port
// 4500, on OpenSSL EVP. It is the reference the RTL is compared with byte for byte, and the data
// plane of the host's software IPsec back end.
//
// Every failure is reported as an lm::DropReason (the same codes the RTL and firmware use), counted
// per reason and, once the SA is known, per SA. Nothing here throws on packet input.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "l2sec/golden/bytes.hpp"
#include "l2sec/golden/crypto.hpp"
#include "l2sec/golden/ipv4.hpp"
#include "l2sec/golden/replay_window.hpp"
#include "lm_regs.hpp"

namespace l2sec::golden {

inline constexpr std::size_t kEspHeader = 8;         // SPI + sequence number
inline constexpr std::uint8_t kNextHeaderNone = 59;  // RFC 4303 dummy packet

// How the per-packet IV is made.
enum class IvMode : std::uint8_t {
  kRandom,   // OpenSSL's DRBG, for the software data plane
  kCounter,  // AES-128(iv_key, SPI | 0 | 0 | SEQ), truncated to the block size: what the RTL does
};

// What to do with the transport checksum of an inner UDP (or TCP) segment after decapsulating a
// UDP-encapsulated packet whose addresses a NAT rewrote (RFC 3948 3.1.2).
enum class NatChecksum : std::uint8_t {
  kFixup,        // incremental fix from the NAT-OA addresses when they are known
  kPassthrough,  // zero the inner UDP checksum (application l2tp-nat-passthrough)
};

// The control-plane description of one SA: what IKE negotiated and where the peer is.
struct SaConfig {
  std::uint32_t spi = 0;
  lm::Direction direction = lm::Direction::kInbound;
  lm::Cipher cipher = lm::Cipher::kAesCbc128;
  lm::Integ integ = lm::Integ::kHmacSha1;
  lm::IcvLen icv_len = lm::IcvLen::kIcv96;
  lm::Encap encap = lm::Encap::kNone;
  Bytes enc_key;
  Bytes auth_key;
  std::uint32_t local_addr = 0;  // our address: decap lookup key, encap source
  std::uint32_t peer_addr = 0;   // the peer as seen on the wire (after NAT)
  std::uint16_t local_port = kPortNatT;
  std::uint16_t peer_port = kPortNatT;       // the peer's NAT-mapped port for Encap::kUdp
  std::optional<std::uint32_t> natoa_peer;   // NAT-OA: the peer's original address
  std::optional<std::uint32_t> natoa_local;  // NAT-OA: our address as the peer saw it
  NatChecksum nat_checksum = NatChecksum::kFixup;
  unsigned replay_window = ReplayWindow::kDefaultSize;
  std::uint8_t only_next_header = 0;  // inbound: the one next header accepted; 0 accepts any
  IvMode iv_mode = IvMode::kRandom;
  Bytes iv_key;                // 16 bytes, for IvMode::kCounter
  std::uint32_t last_seq = 0;  // outbound: the last sequence number sent (the next is +1)
  // RFC 4303 allows encryption-only ESP; nothing we negotiate uses it, but RFC 3602's known-answer
  // packets are encryption-only, so the model can be told to accept Integ::kNone.
  bool allow_no_integrity = false;
};

// Why a configuration cannot make an SA, or nullopt when it can.
std::optional<std::string> validate_sa_config(const SaConfig& cfg);

struct SaStats {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;  // inner payload bytes
  std::uint64_t icv_fail = 0;
  std::uint64_t replay_drop = 0;
  std::uint64_t pad_fail = 0;
  std::uint64_t other_drop = 0;
};

// A runtime SA: key schedules, sequence number or replay window, counters.
class Sa {
 public:
  static std::unique_ptr<Sa> create(const SaConfig& cfg, std::string* error);

  const SaConfig& config() const { return cfg_; }
  const SaStats& stats() const { return stats_; }
  std::uint32_t last_seq() const { return seq_; }
  const ReplayWindow& replay_window() const { return window_; }
  std::size_t iv_len() const { return cipher_.block_len(); }
  std::size_t icv_len() const { return hmac_ ? icv_bytes(cfg_.icv_len) : 0; }
  // Follow the peer's NAT mapping (address and port) after an authenticated packet showed it moved.
  void set_peer(std::uint32_t addr, std::uint16_t port);

 private:
  friend class EspEngine;
  Sa(const SaConfig& cfg, CbcCipher cipher, std::optional<Hmac> hmac,
     std::optional<AesBlock> iv_gen)
      : cfg_(cfg),
        cipher_(std::move(cipher)),
        hmac_(std::move(hmac)),
        iv_gen_(std::move(iv_gen)),
        window_(cfg.replay_window),
        seq_(cfg.last_seq) {}
  void make_iv(std::uint32_t seq, MutableByteView iv) const;

  SaConfig cfg_;
  CbcCipher cipher_;
  std::optional<Hmac> hmac_;  // empty only for encryption-only SAs
  std::optional<AesBlock> iv_gen_;
  ReplayWindow window_;
  std::uint32_t seq_;
  SaStats stats_;
};

using SaHandle = std::uint32_t;
inline constexpr SaHandle kNoSa = 0;

struct EncapResult {
  lm::DropReason reason = lm::DropReason::kNone;
  std::uint32_t seq = 0;
  bool ok() const { return reason == lm::DropReason::kNone; }
};

struct DecapResult {
  lm::DropReason reason = lm::DropReason::kNone;
  lm::PktClass pkt_class = lm::PktClass::kOther;
  SaHandle sa = kNoSa;  // set once the SA is known, also on drops charged to it
  std::uint32_t spi = 0;
  std::uint32_t seq = 0;
  std::uint8_t next_header = 0;
  std::uint32_t src_addr = 0;  // outer source, NAT-mapped
  std::uint16_t src_port = 0;  // outer UDP source port for ESP in UDP
  bool ok() const { return reason == lm::DropReason::kNone; }
};

// The SA database and the two packet paths.
class EspEngine {
 public:
  static constexpr std::size_t kDropReasons = 1u << lm::kDropReasonWidth;

  // Adds an SA; nullopt (and *error) when the configuration is invalid or an inbound SA with the
  // same SPI and local address exists.
  std::optional<SaHandle> add_sa(const SaConfig& cfg, std::string* error);
  bool remove_sa(SaHandle h);
  Sa* find(SaHandle h);
  const Sa* find(SaHandle h) const;
  std::size_t sa_count() const { return sas_.size(); }

  // Transport-mode encapsulation of a whole IPv4 packet whose source and destination are the SA's
  // local and peer addresses (SA_MISMATCH otherwise). out receives the protected packet.
  EncapResult encap(SaHandle h, ByteView ipv4_packet, Bytes& out);
  // The same from the parts: the payload that follows the IPv4 header, its protocol, and the
  // header fields to keep (TOS, ID, flags, TTL). Addresses come from the SA. iv_override, when not
  // empty, replaces the SA's IV generator for this packet (known-answer tests only).
  EncapResult encap_payload(SaHandle h, std::uint8_t next_header, ByteView payload,
                            const Ipv4Header& fields, Bytes& out, ByteView iv_override = {});

  // Decapsulates an IPv4 packet carrying ESP (protocol 50) or ESP in UDP on 4500. out receives the
  // restored transport-mode packet: the IPv4 header with the inner protocol and length, then the
  // inner payload.
  DecapResult decap(ByteView ipv4_packet, Bytes& out);

  std::uint64_t drops(lm::DropReason r) const { return drops_[static_cast<std::size_t>(r)]; }
  std::uint64_t decapsulated() const { return decapsulated_; }
  std::uint64_t encapsulated() const { return encapsulated_; }

 private:
  DecapResult fail(DecapResult r, lm::DropReason reason, Sa* sa);
  EncapResult fail(lm::DropReason reason, Sa* sa);
  static std::uint64_t key(std::uint32_t spi, std::uint32_t dst) {
    return (std::uint64_t{spi} << 32) | dst;
  }

  std::map<SaHandle, std::unique_ptr<Sa>> sas_;
  std::unordered_map<std::uint64_t, SaHandle> inbound_;  // (SPI, local address) -> SA
  SaHandle next_handle_ = 1;
  std::array<std::uint64_t, kDropReasons> drops_{};
  std::uint64_t decapsulated_ = 0;
  std::uint64_t encapsulated_ = 0;
};

}  // namespace l2sec::golden
