#include "l2sec/fw/sa_entry.hpp"

namespace l2sec::fw {
namespace {

namespace f = lm::sa_entry;

template <std::size_t N>
void put_bytes(EntryWords& e, const lm::LayoutField& field, const std::array<std::uint8_t, N>& b,
               std::size_t len) {
  for (unsigned w = 0; w < field.words; ++w) {
    std::uint32_t v = 0;
    for (unsigned i = 0; i < 4; ++i) {
      const std::size_t k = std::size_t{w} * 4 + i;
      v = (v << 8) | (k < len && k < N ? b[k] : 0u);
    }
    e[field.word + w] = v;
  }
}

void put_u64(EntryWords& e, const lm::LayoutField& field, std::uint64_t v) {
  e[field.word] = static_cast<std::uint32_t>(v >> 32);
  e[field.word + 1] = static_cast<std::uint32_t>(v);
}

std::uint64_t get_u64(const StatsWords& w, const lm::LayoutField& field) {
  return (std::uint64_t{w[field.word]} << 32) | w[field.word + 1];
}

}  // namespace

EntryWords pack_entry(const SaParams& p, std::uint8_t gen, std::uint64_t soft_bytes,
                      std::uint64_t hard_bytes, bool valid) {
  EntryWords e{};
  std::uint32_t w0 = 0;
  w0 = f::kValid.bits().set(w0, valid ? 1u : 0u);
  w0 = f::kDirection.bits().set(w0, static_cast<std::uint32_t>(p.direction));
  w0 = f::kEncap.bits().set(w0, static_cast<std::uint32_t>(p.encap));
  w0 = f::kCipher.bits().set(w0, static_cast<std::uint32_t>(p.cipher));
  w0 = f::kInteg.bits().set(w0, static_cast<std::uint32_t>(p.integ));
  w0 = f::kIcvLen.bits().set(w0, static_cast<std::uint32_t>(p.icv_len));
  w0 = f::kReplayWinLog2.bits().set(w0, p.replay_win_log2);
  w0 = f::kNatPassthrough.bits().set(w0, p.nat_passthrough ? 1u : 0u);
  w0 = f::kGen.bits().set(w0, gen);
  e[0] = w0;
  e[f::kSpi.word] = p.spi;
  e[f::kLocalAddr.word] = p.local_addr;
  e[f::kPeerAddr.word] = p.peer_addr;
  e[f::kLocalPort.word] =
      f::kPeerPort.bits().set(f::kLocalPort.bits().set(0, p.local_port), p.peer_port);
  e[f::kNatoaPeer.word] = p.natoa_peer;
  e[f::kNatoaLocal.word] = p.natoa_local;
  e[f::kSeq.word] = p.initial_seq;
  put_bytes(e, f::kKey, p.key, p.key_len);
  for (unsigned i = 0; i < f::kHmacIstate.words; ++i) {
    e[f::kHmacIstate.word + i] = p.hmac_istate[i];
    e[f::kHmacOstate.word + i] = p.hmac_ostate[i];
  }
  put_bytes(e, f::kIvKey, p.iv_key, p.iv_key.size());
  put_u64(e, f::kSoftBytes, soft_bytes);
  put_u64(e, f::kHardBytes, hard_bytes);
  return e;
}

SaCounters unpack_stats(const StatsWords& w) {
  namespace s = lm::sa_stats;
  SaCounters c;
  c.packets = get_u64(w, s::kPackets);
  c.bytes = get_u64(w, s::kBytes);
  c.icv_fail = w[s::kIcvFail.word];
  c.replay_drop = w[s::kReplayDrop.word];
  c.pad_fail = w[s::kPadFail.word];
  c.other_drop = w[s::kOtherDrop.word];
  return c;
}

}  // namespace l2sec::fw
