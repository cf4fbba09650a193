// The packed SA-table entry (the sa_entry layout of rtl/regmap/lm_regmap.yaml) for a golden
// SaConfig: what the firmware writes through sa_table STAGE/CMD. Header only, so the ESP engine
// test benches and the line-module harness share one packing.
#pragma once

#include <array>
#include <cstdint>

#include "l2sec/golden/bytes.hpp"
#include "l2sec/golden/crypto.hpp"
#include "l2sec/golden/esp.hpp"
#include "lm_regs.hpp"

namespace l2sec::sim {

using SaEntryWords = std::array<std::uint32_t, lm::sa_entry::kWords>;

inline std::uint32_t set_sa_field(std::uint32_t word, const lm::LayoutField& f, std::uint32_t v) {
  return f.bits().set(word, v);
}

// Big-endian words of a byte string, left aligned in n words.
inline void put_sa_bytes(SaEntryWords& e, unsigned first_word, unsigned n, const Bytes& bytes) {
  for (unsigned w = 0; w < n; ++w) {
    std::uint32_t v = 0;
    for (unsigned b = 0; b < 4; ++b) {
      const std::size_t i = std::size_t{w} * 4 + b;
      v = (v << 8) | (i < bytes.size() ? bytes[i] : 0u);
    }
    e[first_word + w] = v;
  }
}

// The runtime entry for cfg: flags (VALID as given, window 2^win_log2, generation gen), SPI,
// addresses, ports, NAT-OA, sequence number, keys, HMAC inner/outer states and the IV key.
inline SaEntryWords pack_sa_entry(const golden::SaConfig& cfg, unsigned win_log2, std::uint8_t gen,
                                  bool valid = true) {
  namespace f = lm::sa_entry;
  SaEntryWords e{};
  std::uint32_t w0 = 0;
  w0 = set_sa_field(w0, f::kValid, valid ? 1u : 0u);
  w0 = set_sa_field(w0, f::kDirection, static_cast<std::uint32_t>(cfg.direction));
  w0 = set_sa_field(w0, f::kEncap, static_cast<std::uint32_t>(cfg.encap));
  w0 = set_sa_field(w0, f::kCipher, static_cast<std::uint32_t>(cfg.cipher));
  w0 = set_sa_field(w0, f::kInteg, static_cast<std::uint32_t>(cfg.integ));
  w0 = set_sa_field(w0, f::kIcvLen, static_cast<std::uint32_t>(cfg.icv_len));
  w0 = set_sa_field(w0, f::kReplayWinLog2, win_log2);
  w0 = set_sa_field(w0, f::kNatPassthrough,
                    cfg.nat_checksum == golden::NatChecksum::kPassthrough ? 1u : 0u);
  w0 = set_sa_field(w0, f::kGen, gen);
  e[0] = w0;
  e[f::kSpi.word] = cfg.spi;
  e[f::kLocalAddr.word] = cfg.local_addr;
  e[f::kPeerAddr.word] = cfg.peer_addr;
  e[f::kLocalPort.word] =
      set_sa_field(set_sa_field(0, f::kLocalPort, cfg.local_port), f::kPeerPort, cfg.peer_port);
  e[f::kNatoaPeer.word] = cfg.natoa_peer.value_or(0);
  e[f::kNatoaLocal.word] = cfg.natoa_local.value_or(0);
  e[f::kSeq.word] = cfg.last_seq;
  put_sa_bytes(e, f::kKey.word, f::kKey.words, cfg.enc_key);
  if (cfg.integ != lm::Integ::kNone) {
    const auto st = golden::hmac_precompute(cfg.integ, cfg.auth_key);
    for (unsigned i = 0; i < 8; ++i) {
      e[f::kHmacIstate.word + i] = st.inner[i];
      e[f::kHmacOstate.word + i] = st.outer[i];
    }
  }
  put_sa_bytes(e, f::kIvKey.word, f::kIvKey.words, cfg.iv_key);
  return e;
}

}  // namespace l2sec::sim
