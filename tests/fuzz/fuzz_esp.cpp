// libFuzzer target: the golden model's packet parsers.
//
// The first input byte picks the path:
//   0: the rest is an Ethernet frame for the NAT-T classifier (both NAT passthrough modes);
//   1: the rest is an IPv4 packet for ESP decap against a fixed set of SAs;
//   2: the rest is an ESP plaintext (payload, padding, pad length, next header) sealed with a
//      valid ICV under one of the SAs, so the paths behind the ICV check (pad check, next header,
//      NAT-OA checksum fix-up) are reached too.
// Every result must be a clean decap or a drop with a reason; sanitizers catch the rest.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "l2sec/golden/classify.hpp"
#include "l2sec/golden/esp.hpp"

using namespace l2sec;
using namespace l2sec::golden;

namespace {

constexpr std::uint32_t kPeer = 0xc6120102;
constexpr std::uint32_t kUs = 0xc6120201;

struct World {
  EspEngine engine;
  std::vector<SaConfig> sas;
  World() {
    const struct {
      lm::Cipher c;
      lm::Integ i;
      lm::IcvLen l;
      lm::Encap e;
    } suites[] = {
        {lm::Cipher::kAesCbc128, lm::Integ::kHmacSha1, lm::IcvLen::kIcv96, lm::Encap::kUdp},
        {lm::Cipher::kAesCbc256, lm::Integ::kHmacSha256, lm::IcvLen::kIcv128, lm::Encap::kNone},
        {lm::Cipher::kDes3Cbc, lm::Integ::kHmacSha1, lm::IcvLen::kIcv96, lm::Encap::kUdp},
    };
    std::uint32_t spi = 0x100;
    for (const auto& s : suites) {
      SaConfig c;
      c.spi = ++spi;
      c.cipher = s.c;
      c.integ = s.i;
      c.icv_len = s.l;
      c.encap = s.e;
      c.enc_key.assign(cipher_key_len(s.c), 0x42);
      c.auth_key.assign(integ_key_len(s.i), 0x24);
      c.local_addr = kUs;
      c.peer_addr = kPeer;
      c.natoa_peer = 0xc612000f;
      c.only_next_header = spi == 0x102 ? kIpProtoUdp : 0;
      if (!engine.add_sa(c, nullptr)) std::abort();
      sas.push_back(c);
    }
  }
};

World& world() {
  static World w;
  return w;
}

Bytes seal(const SaConfig& cfg, std::uint32_t seq, ByteView plain) {
  auto cipher = CbcCipher::create(cfg.cipher, cfg.enc_key);
  auto hmac = Hmac::create(cfg.integ, cfg.auth_key);
  const std::size_t bl = cipher->block_len();
  Bytes padded(plain.begin(), plain.end());
  padded.resize((padded.size() + bl - 1) / bl * bl + (padded.empty() ? bl : 0), 0);
  const std::size_t icv = icv_bytes(cfg.icv_len);
  Bytes esp(kEspHeader + bl + padded.size() + icv, 0);
  store_be32(esp.data(), cfg.spi);
  store_be32(esp.data() + 4, seq);
  cipher->encrypt(ByteView(esp.data() + 8, bl), padded,
                  MutableByteView(esp.data() + 8 + bl, padded.size()));
  std::uint8_t mac[32];
  hmac->compute({ByteView(esp.data(), esp.size() - icv)}, mac);
  std::memcpy(esp.data() + esp.size() - icv, mac, icv);
  if (cfg.encap == lm::Encap::kUdp) {
    Bytes pkt = build_udp_packet(kPeer, kUs, 4500, 4500, esp);
    store_be16(pkt.data() + 26, 0);
    return pkt;
  }
  Bytes pkt(kIpv4MinHeader + esp.size());
  Ipv4Header h;
  h.total_length = static_cast<std::uint16_t>(pkt.size());
  h.protocol = kIpProtoEsp;
  h.src = kPeer;
  h.dst = kUs;
  write_ipv4(h, pkt);
  std::memcpy(pkt.data() + kIpv4MinHeader, esp.data(), esp.size());
  return pkt;
}

void check(const DecapResult& r, const Bytes& out) {
  if (r.ok()) {
    if (out.size() < kIpv4MinHeader || out[9] != r.next_header) std::abort();
  } else if (r.reason == lm::DropReason::kNone) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > 4096) return 0;
  const ByteView in(data + 1, size - 1);
  World& w = world();
  Bytes out;
  static std::uint32_t seq = 0;
  switch (data[0] % 3) {
    case 0: {
      for (bool passthrough : {false, true}) {
        const Classification c = classify(in, passthrough);
        if (c.payload_offset + c.payload_length > in.size()) std::abort();
        if (c.pkt_class == lm::PktClass::kMalformed && !c.dropped()) std::abort();
      }
      break;
    }
    case 1:
      check(w.engine.decap(in, out), out);
      break;
    default: {
      if (in.empty()) return 0;
      const SaConfig& cfg = w.sas[in[0] % w.sas.size()];
      check(w.engine.decap(seal(cfg, ++seq, in.subspan(1)), out), out);
      break;
    }
  }
  return 0;
}
