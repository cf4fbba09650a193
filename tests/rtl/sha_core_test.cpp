// sha1_core and sha256_core (rtl/crypto): FIPS 180 vectors by chained compressions, random
// (state, block) pairs against OpenSSL's block transform, full digests of random messages, and
// HMAC computed from precomputed inner/outer states against RFC 2202 / RFC 4231 and OpenSSL HMAC.

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "Vsha1_core.h"
#include "Vsha256_core.h"
#include "rtl_test_util.h"
#include "sha_reference.h"

namespace l2sec::rtltest {
namespace {

constexpr std::size_t kBlockBytes = 64;

struct Sha1Traits {
  using Model = Vsha1_core;
  using State = Sha1State;
  static constexpr const char* kName = "Sha1";
  static constexpr int kRounds = 80;
  static constexpr State kIv = kSha1Iv;
  static const EVP_MD* Md() { return EVP_sha1(); }
  static State Reference(const State& h, std::span<const std::uint8_t, 64> b) {
    return Sha1Compress(h, b);
  }
  // FIPS 180-2 Appendix A.1 / A.2 (and the same messages in B.1 / B.2).
  static constexpr const char* kAbc = "a9993e364706816aba3e25717850c26c9cd0d89d";
  static constexpr const char* kTwoBlock = "84983e441c3bd26ebaae4aa1f95129e5e54670f1";
  // RFC 2202 test cases 1, 2 and 6 (6: key longer than a block).
  static constexpr std::array<const char*, 3> kHmac = {"b617318655057264e28bc0b6fb378c8ef146be00",
                                                       "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
                                                       "aa4ae5e15272d00e95705637ce8a3b55ed402112"};
  static constexpr std::size_t kHmacLongKeyBytes = 80;
};

struct Sha256Traits {
  using Model = Vsha256_core;
  using State = Sha256State;
  static constexpr const char* kName = "Sha256";
  static constexpr int kRounds = 64;
  static constexpr State kIv = kSha256Iv;
  static const EVP_MD* Md() { return EVP_sha256(); }
  static State Reference(const State& h, std::span<const std::uint8_t, 64> b) {
    return Sha256Compress(h, b);
  }
  // FIPS 180-2 Appendix B.1 / B.2.
  static constexpr const char* kAbc =
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  static constexpr const char* kTwoBlock =
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
  // RFC 4231 test cases 1, 2 and 6 (6: key longer than a block).
  static constexpr std::array<const char*, 3> kHmac = {
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"};
  static constexpr std::size_t kHmacLongKeyBytes = 131;
};

template <class State>
Bytes StateBytes(const State& s) {
  Bytes out(s.size() * 4);
  for (std::size_t i = 0; i < s.size(); ++i) StoreBe32(&out[i * 4], s[i]);
  return out;
}

// Message padding (FIPS 180-4 5.1.1) for `msg` following `prefix_bytes` already hashed bytes.
Bytes Pad(std::span<const std::uint8_t> msg, std::uint64_t prefix_bytes) {
  Bytes out(msg.begin(), msg.end());
  out.push_back(0x80);
  while (out.size() % kBlockBytes != kBlockBytes - 8) out.push_back(0);
  const std::uint64_t bits = (prefix_bytes + msg.size()) * 8;
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(bits >> (8 * i)));
  return out;
}

Bytes OpensslDigest(const EVP_MD* md, std::span<const std::uint8_t> msg) {
  Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
  unsigned int len = 0;
  if (EVP_Digest(msg.data(), msg.size(), out.data(), &len, md, nullptr) != 1) {
    throw std::runtime_error("EVP_Digest failed");
  }
  out.resize(len);
  return out;
}

Bytes OpensslHmac(const EVP_MD* md, std::span<const std::uint8_t> key,
                  std::span<const std::uint8_t> msg) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  // A non-null key pointer even for an empty key.
  static constexpr std::uint8_t kEmpty = 0;
  if (HMAC(md, key.empty() ? &kEmpty : key.data(), static_cast<int>(key.size()), msg.data(),
           msg.size(), out.data(), &len) == nullptr) {
    throw std::runtime_error("HMAC failed");
  }
  out.resize(len);
  return out;
}

// Drives one Verilated SHA core.
template <class Traits>
class ShaRtl {
 public:
  using State = typename Traits::State;
  static constexpr int kTimeout = 200;

  ShaRtl()
      : ctx_{std::make_unique<VerilatedContext>()},
        dut_{std::make_unique<typename Traits::Model>(ctx_.get(), "sha_core")} {
    dut_->rst = 1;
    dut_->start = 0;
    Tick();
    Tick();
    dut_->rst = 0;
    Tick();
  }
  ~ShaRtl() { dut_->final(); }
  ShaRtl(const ShaRtl&) = delete;
  ShaRtl& operator=(const ShaRtl&) = delete;

  void Tick() {
    dut_->clk = 1;
    dut_->eval();
    ctx_->timeInc(1);
    dut_->clk = 0;
    dut_->eval();
    ctx_->timeInc(1);
    ++cycles_;
  }

  void Idle(int n) {
    for (int i = 0; i < n; ++i) {
      Tick();
      EXPECT_FALSE(dut_->h_valid);
    }
  }

  // One compression; start is given in the current cycle. last_cycles() is then the number of
  // cycles until a new start can be given (start cycle to the h_valid cycle, exclusive).
  State Compress(const State& h, std::span<const std::uint8_t, 64> block) {
    EXPECT_TRUE(dut_->ready);
    SetWords(dut_->h_in, h);
    SetWide(dut_->block, block);
    dut_->start = 1;
    Tick();
    dut_->start = 0;
    // Inputs are latched on start: scribble over them while the core runs.
    for (std::size_t i = 0; i < h.size(); ++i) dut_->h_in[i] = static_cast<std::uint32_t>(rng_());
    for (std::size_t i = 0; i < 16; ++i) dut_->block[i] = static_cast<std::uint32_t>(rng_());
    int n = 1;
    while (!dut_->h_valid && n < kTimeout) {
      EXPECT_FALSE(dut_->ready);
      Tick();
      ++n;
    }
    EXPECT_TRUE(dut_->h_valid) << "no h_valid";
    EXPECT_TRUE(dut_->ready) << "ready must be high with h_valid";
    last_cycles_ = n;
    return GetWords(dut_->h_out);
  }

  // Compresses a whole number of blocks into h.
  State Blocks(State h, std::span<const std::uint8_t> data) {
    EXPECT_EQ(data.size() % kBlockBytes, 0u);
    for (std::size_t off = 0; off + kBlockBytes <= data.size(); off += kBlockBytes) {
      h = Compress(h, std::span<const std::uint8_t, 64>(data.data() + off, kBlockBytes));
    }
    return h;
  }

  Bytes Digest(std::span<const std::uint8_t> msg) {
    return StateBytes(Blocks(Traits::kIv, Pad(msg, 0)));
  }

  int last_cycles() const { return last_cycles_; }
  std::uint64_t cycles() const { return cycles_; }
  typename Traits::Model& dut() { return *dut_; }

 private:
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<typename Traits::Model> dut_;
  std::uint64_t cycles_ = 0;
  int last_cycles_ = 0;
  std::mt19937_64 rng_{54321};
};

// HMAC (RFC 2104) the way the ESP engine does it: the states after K0^ipad and K0^opad are
// computed once (at SA install), every message then starts from them.
template <class Traits>
struct HmacStates {
  typename Traits::State inner;
  typename Traits::State outer;
};

template <class Traits>
HmacStates<Traits> PrecomputeHmac(ShaRtl<Traits>& rtl, std::span<const std::uint8_t> key) {
  Bytes k0 = key.size() > kBlockBytes ? rtl.Digest(key) : Bytes(key.begin(), key.end());
  k0.resize(kBlockBytes, 0);
  std::array<std::uint8_t, kBlockBytes> ipad{};
  std::array<std::uint8_t, kBlockBytes> opad{};
  for (std::size_t i = 0; i < kBlockBytes; ++i) {
    ipad[i] = static_cast<std::uint8_t>(k0[i] ^ 0x36);
    opad[i] = static_cast<std::uint8_t>(k0[i] ^ 0x5c);
  }
  HmacStates<Traits> s;
  s.inner = rtl.Compress(Traits::kIv, ipad);
  s.outer = rtl.Compress(Traits::kIv, opad);
  return s;
}

template <class Traits>
Bytes RtlHmac(ShaRtl<Traits>& rtl, const HmacStates<Traits>& s, std::span<const std::uint8_t> msg) {
  const Bytes inner = StateBytes(rtl.Blocks(s.inner, Pad(msg, kBlockBytes)));
  return StateBytes(rtl.Blocks(s.outer, Pad(inner, kBlockBytes)));
}

template <class Traits>
void Fips180Vectors(ShaRtl<Traits>& rtl) {
  const Bytes abc = FromString("abc");
  EXPECT_EQ(ToHex(rtl.Digest(abc)), Traits::kAbc);
  EXPECT_EQ(rtl.last_cycles(), Traits::kRounds + 1);
  const Bytes two = FromString("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
  ASSERT_EQ(Pad(two, 0).size(), 2 * kBlockBytes);
  EXPECT_EQ(ToHex(rtl.Digest(two)), Traits::kTwoBlock);
  // The same digests from OpenSSL, so the table above is checked too.
  EXPECT_EQ(ToHex(OpensslDigest(Traits::Md(), abc)), Traits::kAbc);
  EXPECT_EQ(ToHex(OpensslDigest(Traits::Md(), two)), Traits::kTwoBlock);
}

template <class Traits>
void RandomCompressionsMatchReference(ShaRtl<Traits>& rtl) {
  constexpr int kPairs = 2000;
  const std::uint64_t seed = TestSeed();
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 rng(seed);
  int mismatches = 0;
  for (int i = 0; i < kPairs && mismatches < 5; ++i) {
    typename Traits::State h{};
    for (auto& w : h) w = static_cast<std::uint32_t>(rng());
    const Bytes block = RandomBytes(rng, kBlockBytes);
    const std::span<const std::uint8_t, 64> b(block.data(), kBlockBytes);
    rtl.Idle(static_cast<int>(rng() % 4));
    const auto got = rtl.Compress(h, b);
    const auto want = Traits::Reference(h, b);
    EXPECT_EQ(rtl.last_cycles(), Traits::kRounds + 1);
    if (got != want) {
      ++mismatches;
      ADD_FAILURE() << "seed " << seed << " pair " << i << ": h " << ToHex(StateBytes(h))
                    << " block " << ToHex(block) << ": got " << ToHex(StateBytes(got)) << " want "
                    << ToHex(StateBytes(want));
    }
  }
  EXPECT_EQ(mismatches, 0);
}

template <class Traits>
void RandomMessagesMatchOpensslDigest(ShaRtl<Traits>& rtl) {
  std::mt19937_64 rng(TestSeed() + 1);
  for (int i = 0; i < 200; ++i) {
    const Bytes msg = RandomBytes(rng, rng() % 300);
    ASSERT_EQ(ToHex(rtl.Digest(msg)), ToHex(OpensslDigest(Traits::Md(), msg)))
        << "message " << ToHex(msg);
  }
}

template <class Traits>
void HmacRfcVectors(ShaRtl<Traits>& rtl) {
  const Bytes keys[] = {Bytes(20, 0x0b), FromString("Jefe"),
                        Bytes(Traits::kHmacLongKeyBytes, 0xaa)};
  const Bytes msgs[] = {FromString("Hi There"), FromString("what do ya want for nothing?"),
                        FromString("Test Using Larger Than Block-Size Key - Hash Key First")};
  for (std::size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    const auto states = PrecomputeHmac(rtl, keys[i]);
    EXPECT_EQ(ToHex(RtlHmac(rtl, states, msgs[i])), Traits::kHmac[i]);
    EXPECT_EQ(ToHex(OpensslHmac(Traits::Md(), keys[i], msgs[i])), Traits::kHmac[i]);
  }
}

template <class Traits>
void HmacFromPrecomputedStatesMatchesOpenssl(ShaRtl<Traits>& rtl) {
  std::mt19937_64 rng(TestSeed() + 2);
  for (int k = 0; k < 40; ++k) {
    const Bytes key = RandomBytes(rng, rng() % 150);
    const auto states = PrecomputeHmac(rtl, key);
    for (int m = 0; m < 5; ++m) {
      const Bytes msg = RandomBytes(rng, rng() % 400);
      ASSERT_EQ(ToHex(RtlHmac(rtl, states, msg)), ToHex(OpensslHmac(Traits::Md(), key, msg)))
          << "key " << ToHex(key) << " message " << ToHex(msg);
    }
  }
}

template <class Traits>
void IgnoresStartWhileBusy(ShaRtl<Traits>& rtl) {
  auto& dut = rtl.dut();
  const Bytes block = Pad(FromString("abc"), 0);
  SetWords(dut.h_in, Traits::kIv);
  SetWide(dut.block, block);
  dut.start = 1;
  rtl.Tick();
  // Hold start with different data while the block runs.
  SetWide(dut.block, Bytes(kBlockBytes, 0xff));
  int n = 1;
  while (!dut.h_valid && n < 200) {
    EXPECT_FALSE(dut.ready);
    rtl.Tick();
    ++n;
  }
  dut.start = 0;
  EXPECT_EQ(n, Traits::kRounds + 1);
  EXPECT_EQ(ToHex(StateBytes(GetWords(dut.h_out))), Traits::kAbc);
  // h_out holds while idle.
  rtl.Idle(5);
  EXPECT_EQ(ToHex(StateBytes(GetWords(dut.h_out))), Traits::kAbc);
}

template <class Traits>
void ThroughputBackToBack(ShaRtl<Traits>& rtl) {
  std::mt19937_64 rng(TestSeed() + 3);
  constexpr int kBlocks = 64;
  const Bytes data = RandomBytes(rng, kBlocks * kBlockBytes);
  const std::uint64_t begin = rtl.cycles();
  const auto got = rtl.Blocks(Traits::kIv, data);
  const std::uint64_t used = rtl.cycles() - begin;
  auto want = Traits::kIv;
  for (int i = 0; i < kBlocks; ++i) {
    want = Traits::Reference(
        want, std::span<const std::uint8_t, 64>(data.data() + i * kBlockBytes, kBlockBytes));
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(used, static_cast<std::uint64_t>(kBlocks * (Traits::kRounds + 1)));
  ::testing::Test::RecordProperty("cycles_per_block", std::to_string(used / kBlocks));
  std::printf("%s: %.1f cycles/block, %.2f bits/cycle\n", Traits::kName,
              static_cast<double>(used) / kBlocks, 512.0 * kBlocks / static_cast<double>(used));
}

// One fixture (and one VerilatedContext) per core; the test bodies above are shared.
class Sha1CoreTest : public ::testing::Test {
 protected:
  ShaRtl<Sha1Traits> rtl_;
};

class Sha256CoreTest : public ::testing::Test {
 protected:
  ShaRtl<Sha256Traits> rtl_;
};

#define L2SEC_SHA_CORE_TEST(fixture, name) \
  TEST_F(fixture, name) { name(rtl_); }

L2SEC_SHA_CORE_TEST(Sha1CoreTest, Fips180Vectors)
L2SEC_SHA_CORE_TEST(Sha1CoreTest, RandomCompressionsMatchReference)
L2SEC_SHA_CORE_TEST(Sha1CoreTest, RandomMessagesMatchOpensslDigest)
L2SEC_SHA_CORE_TEST(Sha1CoreTest, HmacRfcVectors)
L2SEC_SHA_CORE_TEST(Sha1CoreTest, HmacFromPrecomputedStatesMatchesOpenssl)
L2SEC_SHA_CORE_TEST(Sha1CoreTest, IgnoresStartWhileBusy)
L2SEC_SHA_CORE_TEST(Sha1CoreTest, ThroughputBackToBack)
L2SEC_SHA_CORE_TEST(Sha256CoreTest, Fips180Vectors)
L2SEC_SHA_CORE_TEST(Sha256CoreTest, RandomCompressionsMatchReference)
L2SEC_SHA_CORE_TEST(Sha256CoreTest, RandomMessagesMatchOpensslDigest)
L2SEC_SHA_CORE_TEST(Sha256CoreTest, HmacRfcVectors)
L2SEC_SHA_CORE_TEST(Sha256CoreTest, HmacFromPrecomputedStatesMatchesOpenssl)
L2SEC_SHA_CORE_TEST(Sha256CoreTest, IgnoresStartWhileBusy)
L2SEC_SHA_CORE_TEST(Sha256CoreTest, ThroughputBackToBack)

#undef L2SEC_SHA_CORE_TEST

}  // namespace
}  // namespace l2sec::rtltest
