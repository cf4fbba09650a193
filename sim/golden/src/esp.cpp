#include "l2sec/golden/esp.hpp"

#include <openssl/crypto.h>

#include <cstring>

namespace l2sec::golden {

using lm::DropReason;

std::optional<std::string> validate_sa_config(const SaConfig& cfg) {
  if (cfg.spi < 256) return "SPI " + std::to_string(cfg.spi) + " is reserved (RFC 4303 2.1)";
  if (cipher_key_len(cfg.cipher) == 0) return std::string("no cipher");
  if (cfg.enc_key.size() != cipher_key_len(cfg.cipher)) {
    return "cipher " + std::string(lm::to_string(cfg.cipher)) + " needs a " +
           std::to_string(cipher_key_len(cfg.cipher)) + "-byte key, got " +
           std::to_string(cfg.enc_key.size());
  }
  if (cfg.integ == lm::Integ::kNone) {
    if (!cfg.allow_no_integrity) return std::string("no integrity transform");
    if (!cfg.auth_key.empty())
      return std::string("an integrity key without an integrity transform");
  } else if (cfg.auth_key.size() != integ_key_len(cfg.integ)) {
    return "integrity " + std::string(lm::to_string(cfg.integ)) + " needs a " +
           std::to_string(integ_key_len(cfg.integ)) + "-byte key, got " +
           std::to_string(cfg.auth_key.size());
  }
  if (cfg.integ != lm::Integ::kNone && !icv_len_valid(cfg.integ, cfg.icv_len)) {
    return "ICV length " + std::string(lm::to_string(cfg.icv_len)) + " is not valid with " +
           std::string(lm::to_string(cfg.integ));
  }
  if (cfg.replay_window < ReplayWindow::kMinSize || cfg.replay_window > ReplayWindow::kMaxSize) {
    return "replay window " + std::to_string(cfg.replay_window) + " outside " +
           std::to_string(ReplayWindow::kMinSize) + ".." + std::to_string(ReplayWindow::kMaxSize);
  }
  if (cfg.iv_mode == IvMode::kCounter && cfg.iv_key.size() != 16) {
    return std::string("counter IVs need a 16-byte IV key");
  }
  if (cfg.encap == lm::Encap::kUdp && (cfg.local_port == 0 || cfg.peer_port == 0)) {
    return std::string("UDP encapsulation needs both ports");
  }
  return std::nullopt;
}

std::unique_ptr<Sa> Sa::create(const SaConfig& cfg, std::string* error) {
  auto set_error = [&](std::string e) {
    if (error != nullptr) *error = std::move(e);
    return nullptr;
  };
  if (auto why = validate_sa_config(cfg)) return set_error(*why);
  auto cipher = CbcCipher::create(cfg.cipher, cfg.enc_key);
  std::optional<Hmac> hmac;
  if (cfg.integ != lm::Integ::kNone) {
    hmac = Hmac::create(cfg.integ, cfg.auth_key);
    if (!hmac) return set_error("OpenSSL refused the integrity key");
  }
  if (!cipher) return set_error("OpenSSL refused the cipher key");
  std::optional<AesBlock> iv_gen;
  if (cfg.iv_mode == IvMode::kCounter) {
    iv_gen = AesBlock::create(cfg.iv_key);
    if (!iv_gen) return set_error("OpenSSL refused the IV key");
  }
  return std::unique_ptr<Sa>(new Sa(cfg, std::move(*cipher), std::move(hmac), std::move(iv_gen)));
}

void Sa::set_peer(std::uint32_t addr, std::uint16_t port) {
  cfg_.peer_addr = addr;
  cfg_.peer_port = port;
}

void Sa::make_iv(std::uint32_t seq, MutableByteView iv) const {
  if (!iv_gen_) {
    random_bytes(iv);
    return;
  }
  std::array<std::uint8_t, 16> block{};
  store_be32(block.data(), cfg_.spi);
  store_be32(block.data() + 12, seq);
  const auto out = iv_gen_->encrypt(block);
  std::memcpy(iv.data(), out.data(), iv.size());
}

std::optional<SaHandle> EspEngine::add_sa(const SaConfig& cfg, std::string* error) {
  auto sa = Sa::create(cfg, error);
  if (!sa) return std::nullopt;
  const SaHandle h = next_handle_++;
  if (cfg.direction == lm::Direction::kInbound) {
    auto [it, inserted] = inbound_.emplace(key(cfg.spi, cfg.local_addr), h);
    if (!inserted) {
      if (error != nullptr) {
        *error = "an inbound SA with SPI " + std::to_string(cfg.spi) + " already exists";
      }
      return std::nullopt;
    }
  }
  sas_.emplace(h, std::move(sa));
  return h;
}

bool EspEngine::remove_sa(SaHandle h) {
  auto it = sas_.find(h);
  if (it == sas_.end()) return false;
  const SaConfig& cfg = it->second->config();
  if (cfg.direction == lm::Direction::kInbound) inbound_.erase(key(cfg.spi, cfg.local_addr));
  // Key schedules and HMAC contexts are freed (and wiped by OpenSSL) with the SA.
  sas_.erase(it);
  return true;
}

Sa* EspEngine::find(SaHandle h) {
  auto it = sas_.find(h);
  return it == sas_.end() ? nullptr : it->second.get();
}

const Sa* EspEngine::find(SaHandle h) const {
  auto it = sas_.find(h);
  return it == sas_.end() ? nullptr : it->second.get();
}

EncapResult EspEngine::fail(DropReason reason, Sa* sa) {
  ++drops_[static_cast<std::size_t>(reason)];
  if (sa != nullptr) ++sa->stats_.other_drop;
  return EncapResult{reason, 0};
}

EncapResult EspEngine::encap(SaHandle h, ByteView ipv4_packet, Bytes& out) {
  Sa* sa = find(h);
  DropReason reason = DropReason::kNone;
  auto ip = parse_ipv4(ipv4_packet, &reason);
  if (!ip) return fail(reason, sa);
  if (ip->is_fragment()) return fail(DropReason::kFragment, sa);
  if (sa != nullptr && (ip->src != sa->config().local_addr || ip->dst != sa->config().peer_addr)) {
    return fail(DropReason::kSaMismatch, sa);
  }
  const ByteView payload = ipv4_packet.subspan(ip->ihl_bytes, ip->total_length - ip->ihl_bytes);
  return encap_payload(h, ip->protocol, payload, *ip, out);
}

EncapResult EspEngine::encap_payload(SaHandle h, std::uint8_t next_header, ByteView payload,
                                     const Ipv4Header& fields, Bytes& out, ByteView iv_override) {
  Sa* sa = find(h);
  if (sa == nullptr) return fail(DropReason::kUnknownSpi, nullptr);
  const SaConfig& cfg = sa->config();
  if (cfg.direction != lm::Direction::kOutbound) return fail(DropReason::kSaMismatch, sa);
  if (sa->seq_ == 0xffffffffu) return fail(DropReason::kSeqOverflow, sa);

  const std::size_t block = sa->cipher_.block_len();
  const std::size_t pad = (block - (payload.size() + 2) % block) % block;
  const std::size_t plain_len = payload.size() + pad + 2;
  const std::size_t iv_len = sa->iv_len();
  const std::size_t icv_len = sa->icv_len();
  const bool udp = cfg.encap == lm::Encap::kUdp;
  const std::size_t outer = kIpv4MinHeader + (udp ? kUdpHeader : 0);
  const std::size_t esp_len = kEspHeader + iv_len + plain_len + icv_len;
  const std::size_t total = outer + esp_len;
  if (total > 0xffff) return fail(DropReason::kBadLength, sa);

  const std::uint32_t seq = ++sa->seq_;
  out.assign(total, 0);
  std::uint8_t* esp = out.data() + outer;
  store_be32(esp, cfg.spi);
  store_be32(esp + 4, seq);
  MutableByteView iv(esp + kEspHeader, iv_len);
  if (iv_override.empty()) {
    sa->make_iv(seq, iv);
  } else if (iv_override.size() == iv_len) {
    std::memcpy(iv.data(), iv_override.data(), iv_len);
  } else {
    --sa->seq_;
    return fail(DropReason::kBadLength, sa);
  }

  // Plaintext: payload, padding 1, 2, 3, ..., pad length, next header (RFC 4303 2.4-2.6).
  Bytes plain(plain_len);
  if (!payload.empty()) std::memcpy(plain.data(), payload.data(), payload.size());
  for (std::size_t i = 0; i < pad; ++i)
    plain[payload.size() + i] = static_cast<std::uint8_t>(i + 1);
  plain[plain_len - 2] = static_cast<std::uint8_t>(pad);
  plain[plain_len - 1] = next_header;
  std::uint8_t* ct = esp + kEspHeader + iv_len;
  if (!sa->cipher_.encrypt(iv, plain, MutableByteView(ct, plain_len))) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return fail(DropReason::kUnsupportedSuite, sa);
  }
  OPENSSL_cleanse(plain.data(), plain.size());

  if (sa->hmac_) {
    std::array<std::uint8_t, 32> icv{};
    if (!sa->hmac_->compute({ByteView(esp, kEspHeader + iv_len + plain_len)}, icv)) {
      return fail(DropReason::kUnsupportedSuite, sa);
    }
    std::memcpy(ct + plain_len, icv.data(), icv_len);
  }

  Ipv4Header hdr = fields;
  hdr.ihl_bytes = kIpv4MinHeader;
  hdr.total_length = static_cast<std::uint16_t>(total);
  hdr.protocol = udp ? kIpProtoUdp : kIpProtoEsp;
  hdr.src = cfg.local_addr;
  hdr.dst = cfg.peer_addr;
  write_ipv4(hdr, out);
  if (udp) {
    // RFC 3948 2.1: the UDP checksum of ESP in UDP is sent as zero.
    std::uint8_t* u = out.data() + kIpv4MinHeader;
    store_be16(u, cfg.local_port);
    store_be16(u + 2, cfg.peer_port);
    store_be16(u + 4, static_cast<std::uint16_t>(kUdpHeader + esp_len));
    store_be16(u + 6, 0);
  }
  ++sa->stats_.packets;
  sa->stats_.bytes += payload.size();
  ++encapsulated_;
  return EncapResult{DropReason::kNone, seq};
}

DecapResult EspEngine::fail(DecapResult r, DropReason reason, Sa* sa) {
  r.reason = reason;
  ++drops_[static_cast<std::size_t>(reason)];
  if (sa != nullptr) {
    switch (reason) {
      case DropReason::kBadIcv:
        ++sa->stats_.icv_fail;
        break;
      case DropReason::kReplay:
        ++sa->stats_.replay_drop;
        break;
      case DropReason::kBadPad:
        ++sa->stats_.pad_fail;
        break;
      default:
        ++sa->stats_.other_drop;
        break;
    }
  }
  return r;
}

namespace {

// RFC 3948 3.1.2: the inner transport checksum was computed over the peer's original addresses;
// after the NAT it must be fixed for the addresses the packet now carries.
void fix_transport_checksum(const SaConfig& cfg, const Ipv4Header& ip, std::uint8_t next_header,
                            MutableByteView segment) {
  std::size_t csum_off;
  if (next_header == kIpProtoUdp) {
    csum_off = 6;
  } else if (next_header == kIpProtoTcp) {
    csum_off = 16;
  } else {
    return;
  }
  if (segment.size() < csum_off + 2) return;
  std::uint8_t* c = segment.data() + csum_off;
  if (next_header == kIpProtoUdp && cfg.nat_checksum == NatChecksum::kPassthrough) {
    store_be16(c, 0);  // "no checksum" is legal for UDP over IPv4
    return;
  }
  std::uint16_t sum = load_be16(c);
  if (next_header == kIpProtoUdp && sum == 0) return;  // sender sent none
  if (cfg.natoa_peer) sum = checksum_adjust32(sum, *cfg.natoa_peer, ip.src);
  if (cfg.natoa_local) sum = checksum_adjust32(sum, *cfg.natoa_local, ip.dst);
  if (next_header == kIpProtoUdp && sum == 0) sum = 0xffff;
  store_be16(c, sum);
}

}  // namespace

DecapResult EspEngine::decap(ByteView packet, Bytes& out) {
  DecapResult r;
  DropReason reason = DropReason::kNone;
  auto ip = parse_ipv4(packet, &reason);
  if (!ip) {
    r.pkt_class = lm::PktClass::kMalformed;
    return fail(r, reason, nullptr);
  }
  r.src_addr = ip->src;
  if (ip->is_fragment()) {
    r.pkt_class = lm::PktClass::kFragment;
    return fail(r, DropReason::kFragment, nullptr);
  }
  const ByteView l3 = packet.subspan(ip->ihl_bytes, ip->total_length - ip->ihl_bytes);
  ByteView esp;
  bool udp = false;
  if (ip->protocol == kIpProtoEsp) {
    r.pkt_class = lm::PktClass::kEsp;
    esp = l3;
  } else if (ip->protocol == kIpProtoUdp) {
    if (l3.size() < kUdpHeader) {
      r.pkt_class = lm::PktClass::kMalformed;
      return fail(r, DropReason::kTruncated, nullptr);
    }
    const std::uint16_t udp_len = load_be16(l3.data() + 4);
    if (udp_len < kUdpHeader || udp_len > l3.size()) {
      r.pkt_class = lm::PktClass::kMalformed;
      return fail(r, DropReason::kBadLength, nullptr);
    }
    r.src_port = load_be16(l3.data());
    const std::uint16_t dport = load_be16(l3.data() + 2);
    const ByteView body = l3.subspan(kUdpHeader, udp_len - kUdpHeader);
    if (dport != kPortNatT) return fail(r, DropReason::kNotEsp, nullptr);
    if (body.size() == 1 && body[0] == 0xff) {
      r.pkt_class = lm::PktClass::kNatKeepalive;
      return fail(r, DropReason::kNatKeepalive, nullptr);
    }
    if (body.size() >= 4 && load_be32(body.data()) == 0) {
      r.pkt_class = lm::PktClass::kIkeNatt;  // non-ESP marker: IKE, not ours
      return fail(r, DropReason::kNotEsp, nullptr);
    }
    r.pkt_class = lm::PktClass::kEspUdp;
    esp = body;
    udp = true;
  } else {
    return fail(r, DropReason::kNotEsp, nullptr);
  }

  if (esp.size() < kEspHeader) return fail(r, DropReason::kTruncated, nullptr);
  r.spi = load_be32(esp.data());
  r.seq = load_be32(esp.data() + 4);
  auto it = inbound_.find(key(r.spi, ip->dst));
  if (it == inbound_.end()) return fail(r, DropReason::kUnknownSpi, nullptr);
  Sa* sa = find(it->second);
  r.sa = it->second;
  const SaConfig& cfg = sa->config();
  if (udp != (cfg.encap == lm::Encap::kUdp)) return fail(r, DropReason::kSaMismatch, sa);

  const std::size_t block = sa->cipher_.block_len();
  const std::size_t iv_len = sa->iv_len();
  const std::size_t icv_len = sa->icv_len();
  if (esp.size() < kEspHeader + iv_len + block + icv_len) {
    return fail(r, DropReason::kTruncated, sa);
  }
  const std::size_t ct_len = esp.size() - kEspHeader - iv_len - icv_len;
  if (ct_len % block != 0) return fail(r, DropReason::kBadLength, sa);

  // Replay check first (cheap), the window moves only after the ICV verified (RFC 4303 3.4.3).
  if (!sa->window_.check(r.seq)) return fail(r, DropReason::kReplay, sa);
  if (sa->hmac_) {
    std::array<std::uint8_t, 32> icv{};
    const ByteView authed = esp.first(esp.size() - icv_len);
    if (!sa->hmac_->compute({authed}, icv) ||
        CRYPTO_memcmp(icv.data(), esp.data() + esp.size() - icv_len, icv_len) != 0) {
      return fail(r, DropReason::kBadIcv, sa);
    }
  }
  sa->window_.update(r.seq);

  const ByteView iv = esp.subspan(kEspHeader, iv_len);
  const ByteView ct = esp.subspan(kEspHeader + iv_len, ct_len);
  Bytes plain(ct_len);
  if (!sa->cipher_.decrypt(iv, ct, plain)) return fail(r, DropReason::kUnsupportedSuite, sa);
  const std::size_t pad = plain[ct_len - 2];
  r.next_header = plain[ct_len - 1];
  bool pad_ok = pad + 2 <= ct_len;
  for (std::size_t i = 0; pad_ok && i < pad; ++i) {
    pad_ok = plain[ct_len - 2 - pad + i] == static_cast<std::uint8_t>(i + 1);
  }
  if (!pad_ok) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return fail(r, DropReason::kBadPad, sa);
  }
  if (r.next_header == kNextHeaderNone ||
      (cfg.only_next_header != 0 && r.next_header != cfg.only_next_header)) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return fail(r, DropReason::kBadNextHeader, sa);
  }
  const std::size_t inner_len = ct_len - pad - 2;

  // Restore the transport-mode packet: the original header (with options), inner protocol.
  out.assign(ip->ihl_bytes + inner_len, 0);
  std::memcpy(out.data(), packet.data(), ip->ihl_bytes);
  if (inner_len != 0) std::memcpy(out.data() + ip->ihl_bytes, plain.data(), inner_len);
  OPENSSL_cleanse(plain.data(), plain.size());
  store_be16(out.data() + 2, static_cast<std::uint16_t>(out.size()));
  out[9] = r.next_header;
  refresh_ipv4_checksum(out);
  if (udp) {
    fix_transport_checksum(cfg, *ip, r.next_header,
                           MutableByteView(out.data() + ip->ihl_bytes, inner_len));
  }
  ++sa->stats_.packets;
  sa->stats_.bytes += inner_len;
  ++decapsulated_;
  return r;
}

}  // namespace l2sec::golden
