// Shared pieces of the ESP engine test benches: the SA-table entry words for a golden SaConfig,
// AXI-Stream beat packing, and a seeded random source for valid/ready back-pressure.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "l2sec/golden/bytes.hpp"
#include "l2sec/golden/crypto.hpp"
#include "l2sec/golden/esp.hpp"
#include "lm_regs.hpp"

namespace l2sec::rtltest::esp {

using Entry = std::array<std::uint32_t, lm::sa_entry::kWords>;

inline std::uint32_t SetField(std::uint32_t word, const lm::LayoutField& f, std::uint32_t v) {
  return f.bits().set(word, v);
}

// Big-endian words of a byte string, left aligned in n words.
inline void PutBytes(Entry& e, unsigned first_word, unsigned n, const l2sec::Bytes& bytes) {
  for (unsigned w = 0; w < n; ++w) {
    std::uint32_t v = 0;
    for (unsigned b = 0; b < 4; ++b) {
      const std::size_t i = std::size_t{w} * 4 + b;
      v = (v << 8) | (i < bytes.size() ? bytes[i] : 0u);
    }
    e[first_word + w] = v;
  }
}

// The packed runtime entry the SA table would hold for cfg (the firmware's job).
inline Entry MakeEntry(const golden::SaConfig& cfg, unsigned win_log2, std::uint8_t gen,
                       bool valid = true) {
  namespace f = lm::sa_entry;
  Entry e{};
  std::uint32_t w0 = 0;
  w0 = SetField(w0, f::kValid, valid ? 1u : 0u);
  w0 = SetField(w0, f::kDirection, static_cast<std::uint32_t>(cfg.direction));
  w0 = SetField(w0, f::kEncap, static_cast<std::uint32_t>(cfg.encap));
  w0 = SetField(w0, f::kCipher, static_cast<std::uint32_t>(cfg.cipher));
  w0 = SetField(w0, f::kInteg, static_cast<std::uint32_t>(cfg.integ));
  w0 = SetField(w0, f::kIcvLen, static_cast<std::uint32_t>(cfg.icv_len));
  w0 = SetField(w0, f::kReplayWinLog2, win_log2);
  w0 = SetField(w0, f::kNatPassthrough,
                cfg.nat_checksum == golden::NatChecksum::kPassthrough ? 1u : 0u);
  w0 = SetField(w0, f::kGen, gen);
  e[0] = w0;
  e[f::kSpi.word] = cfg.spi;
  e[f::kLocalAddr.word] = cfg.local_addr;
  e[f::kPeerAddr.word] = cfg.peer_addr;
  e[f::kLocalPort.word] =
      SetField(SetField(0, f::kLocalPort, cfg.local_port), f::kPeerPort, cfg.peer_port);
  e[f::kNatoaPeer.word] = cfg.natoa_peer.value_or(0);
  e[f::kNatoaLocal.word] = cfg.natoa_local.value_or(0);
  e[f::kSeq.word] = cfg.last_seq;
  PutBytes(e, f::kKey.word, f::kKey.words, cfg.enc_key);
  if (cfg.integ != lm::Integ::kNone) {
    const auto st = golden::hmac_precompute(cfg.integ, cfg.auth_key);
    for (unsigned i = 0; i < 8; ++i) {
      e[f::kHmacIstate.word + i] = st.inner[i];
      e[f::kHmacOstate.word + i] = st.outer[i];
    }
  }
  PutBytes(e, f::kIvKey.word, f::kIvKey.words, cfg.iv_key);
  return e;
}

// One AXI-Stream beat: bytes[0] in tdata[7:0].
struct Beat {
  std::uint64_t data = 0;
  std::uint8_t keep = 0;
  bool last = false;
};

inline std::vector<Beat> ToBeats(const l2sec::Bytes& pkt) {
  std::vector<Beat> beats;
  for (std::size_t off = 0; off < pkt.size() || (off == 0 && pkt.empty()); off += 8) {
    Beat b;
    for (std::size_t i = 0; i < 8 && off + i < pkt.size(); ++i) {
      b.data |= std::uint64_t{pkt[off + i]} << (8 * i);
      b.keep = static_cast<std::uint8_t>(b.keep | (1u << i));
    }
    b.last = off + 8 >= pkt.size();
    beats.push_back(b);
    if (pkt.empty()) break;
  }
  return beats;
}

inline void AppendBeat(l2sec::Bytes& out, std::uint64_t data, std::uint8_t keep) {
  for (unsigned i = 0; i < 8; ++i) {
    if ((keep >> i) & 1u) out.push_back(static_cast<std::uint8_t>(data >> (8 * i)));
  }
}

// Random valid/ready: high with probability percent/100 (100 = always).
class Pressure {
 public:
  Pressure(std::uint64_t seed, unsigned percent) : rng_(seed), percent_(percent) {}
  bool Next() { return percent_ >= 100 || rng_() % 100 < percent_; }
  void set_percent(unsigned p) { percent_ = p; }

 private:
  std::mt19937_64 rng_;
  unsigned percent_;
};

// Per-SA counters as the SA table would sum them from the engines' stats updates.
struct StatSums {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  std::uint64_t icv_fail = 0;
  std::uint64_t replay_drop = 0;
  std::uint64_t pad_fail = 0;
  std::uint64_t other_drop = 0;

  void Add(lm::DropReason r, std::uint32_t bytes_in) {
    switch (r) {
      case lm::DropReason::kNone:
        ++packets;
        bytes += bytes_in;
        break;
      case lm::DropReason::kBadIcv:
        ++icv_fail;
        break;
      case lm::DropReason::kReplay:
        ++replay_drop;
        break;
      case lm::DropReason::kBadPad:
        ++pad_fail;
        break;
      default:
        ++other_drop;
        break;
    }
  }
};

}  // namespace l2sec::rtltest::esp
