// aes_core (rtl/crypto) against FIPS-197 Appendix C, SP 800-38A ECB vectors and OpenSSL EVP
// AES-ECB on random keys and blocks, with key changes and random idle cycles between blocks.

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "Vaes_core.h"
#include "rtl_test_util.h"

namespace l2sec::rtltest {
namespace {

// Rounds for a key of the given byte length.
int NumRounds(std::size_t key_bytes) { return static_cast<int>(key_bytes / 4) + 6; }

// OpenSSL AES-ECB on single blocks for one key, both directions.
class OpensslAesEcb {
 public:
  explicit OpensslAesEcb(std::span<const std::uint8_t> key) {
    const EVP_CIPHER* cipher = nullptr;
    switch (key.size()) {
      case 16:
        cipher = EVP_aes_128_ecb();
        break;
      case 24:
        cipher = EVP_aes_192_ecb();
        break;
      case 32:
        cipher = EVP_aes_256_ecb();
        break;
      default:
        throw std::invalid_argument("AES key must be 16, 24 or 32 bytes");
    }
    if (EVP_CipherInit_ex(enc_.get(), cipher, nullptr, key.data(), nullptr, 1) != 1 ||
        EVP_CipherInit_ex(dec_.get(), cipher, nullptr, key.data(), nullptr, 0) != 1) {
      throw std::runtime_error("EVP_CipherInit_ex failed");
    }
    EVP_CIPHER_CTX_set_padding(enc_.get(), 0);
    EVP_CIPHER_CTX_set_padding(dec_.get(), 0);
  }

  Bytes Encrypt(std::span<const std::uint8_t> block) { return Run(enc_.get(), block); }
  Bytes Decrypt(std::span<const std::uint8_t> block) { return Run(dec_.get(), block); }

 private:
  struct CtxFree {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
  };
  using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

  static Bytes Run(EVP_CIPHER_CTX* ctx, std::span<const std::uint8_t> block) {
    Bytes out(16);
    int len = 0;
    if (block.size() != 16 || EVP_CipherUpdate(ctx, out.data(), &len, block.data(), 16) != 1 ||
        len != 16) {
      throw std::runtime_error("EVP_CipherUpdate failed");
    }
    return out;
  }

  CtxPtr enc_{EVP_CIPHER_CTX_new()};
  CtxPtr dec_{EVP_CIPHER_CTX_new()};
};

struct BlockResult {
  Bytes data;
  int cycles = 0;  // From the start cycle up to and including the result_valid cycle, minus one.
};

class AesCoreTest : public ::testing::Test {
 protected:
  static constexpr int kTimeout = 100;

  AesCoreTest()
      : ctx_{std::make_unique<VerilatedContext>()},
        dut_{std::make_unique<Vaes_core>(ctx_.get(), "aes_core")} {
    Reset();
  }
  ~AesCoreTest() override { dut_->final(); }

  void Tick() {
    dut_->clk = 1;
    dut_->eval();
    ctx_->timeInc(1);
    dut_->clk = 0;
    dut_->eval();
    ctx_->timeInc(1);
    ++cycles_;
  }

  void Reset() {
    dut_->rst = 1;
    dut_->key_init = 0;
    dut_->start = 0;
    Tick();
    Tick();
    dut_->rst = 0;
    Tick();
  }

  // Expands `key` (16/24/32 bytes). Returns the cycles from the key_init cycle to the first
  // cycle with key_ready high, i.e. when start may be given.
  int LoadKey(std::span<const std::uint8_t> key) {
    EXPECT_TRUE(dut_->ready || !dut_->key_ready);
    SetWide(dut_->key, key);
    dut_->keylen = static_cast<std::uint8_t>((key.size() - 16) / 8);
    dut_->key_init = 1;
    Tick();
    dut_->key_init = 0;
    // The key is latched on key_init: scribble over the inputs while it expands.
    SetWide(dut_->key, RandomBytes(scribble_, 32));
    dut_->keylen = static_cast<std::uint8_t>(scribble_() & 3);
    EXPECT_FALSE(dut_->key_ready);
    EXPECT_FALSE(dut_->ready);
    int n = 1;
    while (!dut_->key_ready && n < kTimeout) {
      EXPECT_FALSE(dut_->ready);
      Tick();
      ++n;
    }
    EXPECT_TRUE(dut_->key_ready) << "key expansion timed out";
    EXPECT_TRUE(dut_->ready);
    return n;
  }

  // Processes one block; `start` is given in the current cycle.
  BlockResult Process(std::span<const std::uint8_t> block, bool encrypt) {
    EXPECT_TRUE(dut_->ready);
    SetWide(dut_->block_in, block);
    dut_->encdec = encrypt ? 1 : 0;
    dut_->start = 1;
    Tick();
    dut_->start = 0;
    SetWide(dut_->block_in, RandomBytes(scribble_, 16));
    dut_->encdec = static_cast<std::uint8_t>(scribble_() & 1);
    BlockResult r;
    r.cycles = 1;
    while (!dut_->result_valid && r.cycles < kTimeout) {
      EXPECT_FALSE(dut_->ready);
      Tick();
      ++r.cycles;
    }
    EXPECT_TRUE(dut_->result_valid) << "no result_valid";
    EXPECT_TRUE(dut_->ready) << "ready must be high with result_valid";
    r.data = GetWide(dut_->result);
    return r;
  }

  void Idle(int n) {
    for (int i = 0; i < n; ++i) {
      Tick();
      EXPECT_FALSE(dut_->result_valid);
    }
  }

  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vaes_core> dut_;
  std::uint64_t cycles_ = 0;
  std::mt19937_64 scribble_{12345};
};

struct KnownAnswer {
  const char* key;
  const char* plaintext;
  const char* ciphertext;
};

// FIPS-197 Appendix C.1-C.3.
constexpr KnownAnswer kFips197[] = {
    {"000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff",
     "69c4e0d86a7b0430d8cdb78070b4c55a"},
    {"000102030405060708090a0b0c0d0e0f1011121314151617", "00112233445566778899aabbccddeeff",
     "dda97ca4864cdfe06eaf70a0ec0d7191"},
    {"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
     "00112233445566778899aabbccddeeff", "8ea2b7ca516745bfeafc49904b496089"},
};

// SP 800-38A F.1.1, F.1.3, F.1.5 (ECB-AES128/192/256), four blocks each.
constexpr const char* kSp80038aPlain[] = {
    "6bc1bee22e409f96e93d7e117393172a", "ae2d8a571e03ac9c9eb76fac45af8e51",
    "30c81c46a35ce411e5fbc1191a0a52ef", "f69f2445df4f9b17ad2b417be66c3710"};

struct EcbVector {
  const char* key;
  std::array<const char*, 4> ciphertext;
};

constexpr EcbVector kSp80038a[] = {
    {"2b7e151628aed2a6abf7158809cf4f3c",
     {"3ad77bb40d7a3660a89ecaf32466ef97", "f5d3d58503b9699de785895a96fdbaaf",
      "43b1cd7f598ece23881b00e3ed030688", "7b0c785e27e8ad3f8223207104725dd4"}},
    {"8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
     {"bd334f1d6e45f25ff712a214571fa5cc", "974104846d0ad3ad7734ecb3ecee4eef",
      "ef7afd2270e2e60adce0ba2face6444e", "9a4b41ba738d6c72fb16691603c18e0e"}},
    {"603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
     {"f3eed1bdb5d2a03c064b5a7e3db181f8", "591ccb10d410ed26dc5ba74a31362870",
      "b6ed21b99ca6f4f9f153e7b1beafed1d", "23304b7a39f9f3ff067d8d8f9e24ecc7"}},
};

TEST_F(AesCoreTest, NotReadyAfterResetUntilKeyLoaded) {
  EXPECT_FALSE(dut_->key_ready);
  EXPECT_FALSE(dut_->ready);
  // A start without a key is ignored.
  dut_->start = 1;
  dut_->encdec = 1;
  Tick();
  dut_->start = 0;
  Idle(20);
}

TEST_F(AesCoreTest, Fips197AppendixC) {
  for (const auto& kat : kFips197) {
    const Bytes key = FromHex(kat.key);
    SCOPED_TRACE("AES-" + std::to_string(key.size() * 8));
    const int nr = NumRounds(key.size());
    EXPECT_EQ(LoadKey(key), nr + 2);
    const BlockResult enc = Process(FromHex(kat.plaintext), true);
    EXPECT_EQ(ToHex(enc.data), kat.ciphertext);
    EXPECT_EQ(enc.cycles, nr + 1);
    const BlockResult dec = Process(FromHex(kat.ciphertext), false);
    EXPECT_EQ(ToHex(dec.data), kat.plaintext);
    EXPECT_EQ(dec.cycles, nr + 1);
  }
}

TEST_F(AesCoreTest, Sp80038aEcb) {
  for (const auto& v : kSp80038a) {
    const Bytes key = FromHex(v.key);
    SCOPED_TRACE("AES-" + std::to_string(key.size() * 8));
    LoadKey(key);
    // Back to back: each start in the result_valid cycle of the block before.
    for (std::size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(ToHex(Process(FromHex(kSp80038aPlain[i]), true).data), v.ciphertext[i]);
    }
    for (std::size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(ToHex(Process(FromHex(v.ciphertext[i]), false).data), kSp80038aPlain[i]);
    }
  }
}

TEST_F(AesCoreTest, MatchesOpensslOnRandomKeysAndBlocks) {
  constexpr int kPairsPerKeySize = 2000;
  const std::uint64_t seed = TestSeed();
  RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (std::size_t key_bytes : {16u, 24u, 32u}) {
    SCOPED_TRACE("AES-" + std::to_string(key_bytes * 8) + " seed " + std::to_string(seed));
    const int nr = NumRounds(key_bytes);
    int pairs = 0;
    int mismatches = 0;
    while (pairs < kPairsPerKeySize && mismatches < 5) {
      // A new key every 1..4 pairs, some of them with idle cycles before key_init.
      const Bytes key = RandomBytes(rng, key_bytes);
      Idle(static_cast<int>(rng() % 3));
      ASSERT_EQ(LoadKey(key), nr + 2);
      OpensslAesEcb ref(key);
      const int n = 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < n && pairs < kPairsPerKeySize; ++i, ++pairs) {
        const Bytes block = RandomBytes(rng, 16);
        const bool enc_first = (rng() & 1) != 0;
        for (int dir = 0; dir < 2; ++dir) {
          const bool encrypt = (dir == 0) == enc_first;
          Idle(static_cast<int>(rng() % 4));
          const BlockResult got = Process(block, encrypt);
          const Bytes want = encrypt ? ref.Encrypt(block) : ref.Decrypt(block);
          EXPECT_EQ(got.cycles, nr + 1);
          if (got.data != want) {
            ++mismatches;
            ADD_FAILURE() << (encrypt ? "encrypt" : "decrypt") << " key " << ToHex(key) << " block "
                          << ToHex(block) << ": got " << ToHex(got.data) << " want " << ToHex(want);
          }
        }
      }
    }
    EXPECT_EQ(pairs, kPairsPerKeySize);
  }
}

TEST_F(AesCoreTest, IgnoresStartAndKeyInitWhileBusy) {
  const Bytes key = FromHex(kFips197[0].key);
  LoadKey(key);
  SetWide(dut_->block_in, FromHex(kFips197[0].plaintext));
  dut_->encdec = 1;
  dut_->start = 1;
  Tick();
  // Keep start and key_init high with other data while the block runs.
  SetWide(dut_->block_in, FromHex("ffffffffffffffffffffffffffffffff"));
  SetWide(dut_->key, FromHex("ffffffffffffffffffffffffffffffff"));
  dut_->encdec = 0;
  dut_->key_init = 1;
  int n = 1;
  while (!dut_->result_valid && n < kTimeout) {
    Tick();
    ++n;
  }
  dut_->start = 0;
  dut_->key_init = 0;
  EXPECT_EQ(n, NumRounds(16) + 1);
  EXPECT_EQ(ToHex(GetWide(dut_->result)), kFips197[0].ciphertext);
  EXPECT_TRUE(dut_->key_ready);
  // The old key is still in place.
  EXPECT_EQ(ToHex(Process(FromHex(kFips197[0].ciphertext), false).data), kFips197[0].plaintext);
}

TEST_F(AesCoreTest, KeyInitWinsOverStart) {
  LoadKey(FromHex(kFips197[0].key));
  const Bytes key256 = FromHex(kFips197[2].key);
  SetWide(dut_->key, key256);
  dut_->keylen = 2;
  dut_->key_init = 1;
  dut_->start = 1;
  dut_->encdec = 1;
  Tick();
  dut_->key_init = 0;
  dut_->start = 0;
  EXPECT_FALSE(dut_->key_ready);
  int n = 1;
  while (!dut_->key_ready && n < kTimeout) {
    EXPECT_FALSE(dut_->result_valid);
    Tick();
    ++n;
  }
  EXPECT_EQ(n, NumRounds(32) + 2);
  EXPECT_EQ(ToHex(Process(FromHex(kFips197[2].plaintext), true).data), kFips197[2].ciphertext);
}

TEST_F(AesCoreTest, ThroughputBackToBack) {
  // Cycles per block and bits per cycle, recorded for the README.
  const std::uint64_t seed = TestSeed();
  std::mt19937_64 rng(seed);
  for (std::size_t key_bytes : {16u, 24u, 32u}) {
    const Bytes key = RandomBytes(rng, key_bytes);
    LoadKey(key);
    OpensslAesEcb ref(key);
    for (bool encrypt : {true, false}) {
      constexpr int kBlocks = 64;
      const std::uint64_t begin = cycles_;
      for (int i = 0; i < kBlocks; ++i) {
        const Bytes block = RandomBytes(rng, 16);
        ASSERT_EQ(Process(block, encrypt).data, encrypt ? ref.Encrypt(block) : ref.Decrypt(block));
      }
      const std::uint64_t used = cycles_ - begin;
      const int nr = NumRounds(key_bytes);
      EXPECT_EQ(used, static_cast<std::uint64_t>(kBlocks * (nr + 1)));
      const std::string name = "aes" + std::to_string(key_bytes * 8) + (encrypt ? "_enc" : "_dec");
      RecordProperty(name + "_cycles_per_block", std::to_string(used / kBlocks));
      std::printf("AES-%zu %s: %.1f cycles/block, %.2f bits/cycle\n", key_bytes * 8,
                  encrypt ? "encrypt" : "decrypt", static_cast<double>(used) / kBlocks,
                  128.0 * kBlocks / static_cast<double>(used));
    }
  }
}

}  // namespace
}  // namespace l2sec::rtltest
