// The ESP transforms on OpenSSL EVP: AES-CBC and 3DES-CBC ciphers, HMAC-SHA-1 and HMAC-SHA-256,
// and the precomputed HMAC inner/outer states the RTL starts from.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>

#include "l2sec/golden/bytes.hpp"
#include "lm_regs.hpp"

struct evp_cipher_ctx_st;
struct evp_mac_ctx_st;

namespace l2sec::golden {

using lm::Cipher;
using lm::IcvLen;
using lm::Integ;

// Zeroes key material with OPENSSL_cleanse (the compiler may not elide it); the Bytes form also
// empties the buffer. The one wipe of the project: the IKE keys and the back ends' SA keys.
void wipe(Bytes& b);
void wipe(MutableByteView b);

// Key, block (= IV) sizes in bytes; 0 for NONE.
std::size_t cipher_key_len(Cipher c);
std::size_t cipher_block_len(Cipher c);
// HMAC key length as negotiated by IKE (the hash output size), hash block and digest sizes.
std::size_t integ_key_len(Integ i);
std::size_t integ_digest_len(Integ i);
std::size_t integ_state_words(Integ i);
std::size_t icv_bytes(IcvLen l);
// True when the ICV length makes sense for the integrity transform (SHA-1 only truncates to 96).
bool icv_len_valid(Integ i, IcvLen l);

// CBC encryption with the key schedule computed once; each call takes its own IV.
class CbcCipher {
 public:
  // nullopt when the cipher is NONE or the key has the wrong length.
  static std::optional<CbcCipher> create(Cipher cipher, ByteView key);

  Cipher cipher() const { return cipher_; }
  std::size_t block_len() const { return cipher_block_len(cipher_); }

  // in.size() must be a multiple of the block length and out at least as large; false otherwise.
  bool encrypt(ByteView iv, ByteView in, MutableByteView out) const;
  bool decrypt(ByteView iv, ByteView in, MutableByteView out) const;

 private:
  struct CtxFree {
    void operator()(evp_cipher_ctx_st* ctx) const;
  };
  using CtxPtr = std::unique_ptr<evp_cipher_ctx_st, CtxFree>;
  CbcCipher(Cipher cipher, CtxPtr enc, CtxPtr dec)
      : cipher_(cipher), enc_(std::move(enc)), dec_(std::move(dec)) {}
  bool run(evp_cipher_ctx_st* ctx, ByteView iv, ByteView in, MutableByteView out) const;

  Cipher cipher_;
  CtxPtr enc_;
  CtxPtr dec_;
};

// One AES block under a fixed key (ECB), used for the per-packet IV generator.
class AesBlock {
 public:
  static std::optional<AesBlock> create(ByteView key);
  std::array<std::uint8_t, 16> encrypt(const std::array<std::uint8_t, 16>& block) const;

 private:
  explicit AesBlock(std::unique_ptr<evp_cipher_ctx_st, void (*)(evp_cipher_ctx_st*)> ctx)
      : ctx_(std::move(ctx)) {}
  std::unique_ptr<evp_cipher_ctx_st, void (*)(evp_cipher_ctx_st*)> ctx_;
};

// HMAC with the key set once; compute() may be called any number of times.
class Hmac {
 public:
  static std::optional<Hmac> create(Integ integ, ByteView key);

  Integ integ() const { return integ_; }
  std::size_t digest_len() const { return integ_digest_len(integ_); }
  // Full-length digest of the concatenated parts into out (at least digest_len() bytes).
  bool compute(std::initializer_list<ByteView> parts, MutableByteView out) const;

 private:
  struct CtxFree {
    void operator()(evp_mac_ctx_st* ctx) const;
  };
  Hmac(Integ integ, std::unique_ptr<evp_mac_ctx_st, CtxFree> ctx)
      : integ_(integ), ctx_(std::move(ctx)) {}
  Integ integ_;
  std::unique_ptr<evp_mac_ctx_st, CtxFree> ctx_;
};

// The hash chaining states after compressing (K xor ipad) and (K xor opad): the SA-table words
// HMAC_ISTATE and HMAC_OSTATE. SHA-1 fills words 0..4.
struct HmacStates {
  std::array<std::uint32_t, 8> inner{};
  std::array<std::uint32_t, 8> outer{};
};
HmacStates hmac_precompute(Integ integ, ByteView key);

// HMAC computed the way the RTL does it: starting from precomputed states, one compression per
// message block. A software mirror of the hardware method, checked against Hmac in the tests.
Bytes hmac_from_states(Integ integ, const HmacStates& states, ByteView message);

// Cryptographically random bytes (OpenSSL's DRBG).
void random_bytes(MutableByteView out);

}  // namespace l2sec::golden
