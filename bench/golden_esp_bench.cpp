// Golden ESP model throughput against its own bound: the same bytes through bare OpenSSL EVP
// (CBC encrypt + HMAC over the ESP packet), measured in the same run. Prints medians of several
// repetitions; the ratio is the model's cost over the crypto it cannot avoid.
//
//   l2sec-golden-bench [--quick]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "l2sec/golden/esp.hpp"

using namespace l2sec;
using namespace l2sec::golden;
using Clock = std::chrono::steady_clock;

namespace {

struct Suite {
  const char* name;
  lm::Cipher cipher;
  lm::Integ integ;
  lm::IcvLen icv;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <typename F>
double packets_per_second(int packets, F&& body) {
  const auto t0 = Clock::now();
  for (int i = 0; i < packets; ++i) body(i);
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  return packets / s;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int reps = quick ? 1 : 5;
  const int packets = quick ? 200 : 20000;
  const Suite suites[] = {
      {"aes128-sha1-96", lm::Cipher::kAesCbc128, lm::Integ::kHmacSha1, lm::IcvLen::kIcv96},
      {"aes256-sha256-128", lm::Cipher::kAesCbc256, lm::Integ::kHmacSha256, lm::IcvLen::kIcv128},
      {"3des-sha1-96", lm::Cipher::kDes3Cbc, lm::Integ::kHmacSha1, lm::IcvLen::kIcv96},
  };
  std::printf("golden ESP model vs bare OpenSSL EVP on the same bytes (median of %d, %d packets)\n",
              reps, packets);
  std::printf("%-18s %6s %10s %10s %6s %10s %10s %6s\n", "suite", "bytes", "encap Mb/s", "EVP Mb/s",
              "ratio", "decap Mb/s", "EVP Mb/s", "ratio");
  for (const Suite& s : suites) {
    for (std::size_t size : {64u, 512u, 1400u}) {
      SaConfig c;
      c.spi = 0x1000;
      c.cipher = s.cipher;
      c.integ = s.integ;
      c.icv_len = s.icv;
      c.encap = lm::Encap::kUdp;
      c.enc_key.assign(cipher_key_len(s.cipher), 7);
      c.auth_key.assign(integ_key_len(s.integ), 9);
      c.local_addr = 0xc6120201;
      c.peer_addr = 0xc6120102;
      c.iv_mode = IvMode::kCounter;
      c.iv_key.assign(16, 3);
      c.replay_window = 4096;
      SaConfig in = c;
      in.local_addr = c.peer_addr;
      in.peer_addr = c.local_addr;
      c.direction = lm::Direction::kOutbound;

      const Bytes payload(size, 0x5a);
      const Bytes pkt = build_udp_packet(c.local_addr, c.peer_addr, 1701, 1701, payload);
      std::vector<double> enc, dec, evp_enc, evp_dec;
      for (int r = 0; r < reps; ++r) {
        EspEngine tx, rx;
        tx.add_sa(c, nullptr);
        rx.add_sa(in, nullptr);
        std::vector<Bytes> wires(static_cast<std::size_t>(packets));
        enc.push_back(packets_per_second(
            packets, [&](int i) { tx.encap(1, pkt, wires[static_cast<std::size_t>(i)]); }));
        Bytes out;
        int ok = 0;
        dec.push_back(packets_per_second(
            packets, [&](int i) { ok += rx.decap(wires[static_cast<std::size_t>(i)], out).ok(); }));
        if (ok != packets) {
          std::fprintf(stderr, "decap failed: %d of %d\n", packets - ok, packets);
          return 1;
        }
        // The bound: CBC-encrypt the padded payload and HMAC the ESP bytes, nothing else.
        auto cipher = CbcCipher::create(s.cipher, c.enc_key);
        auto hmac = Hmac::create(s.integ, c.auth_key);
        const std::size_t bl = cipher->block_len();
        const std::size_t plain_len = (pkt.size() - 20 + 2 + bl - 1) / bl * bl;
        Bytes plain(plain_len, 1), ct(8 + bl + plain_len), iv(bl, 2);
        std::uint8_t mac[32];
        evp_enc.push_back(packets_per_second(packets, [&](int) {
          cipher->encrypt(iv, plain, MutableByteView(ct.data() + 8 + bl, plain_len));
          hmac->compute({ct}, mac);
        }));
        // Decap's bound: HMAC then CBC-decrypt (which, unlike encrypt, pipelines across blocks).
        evp_dec.push_back(packets_per_second(packets, [&](int) {
          hmac->compute({ct}, mac);
          cipher->decrypt(iv, ByteView(ct.data() + 8 + bl, plain_len), plain);
        }));
      }
      const double bits = static_cast<double>(pkt.size() - 20) * 8 / 1e6;
      const double e = median(enc) * bits, d = median(dec) * bits;
      const double be = median(evp_enc) * bits, bd = median(evp_dec) * bits;
      std::printf("%-18s %6zu %10.0f %10.0f %6.2f %10.0f %10.0f %6.2f\n", s.name, size, e, be,
                  e / be, d, bd, d / bd);
    }
  }
  return 0;
}
