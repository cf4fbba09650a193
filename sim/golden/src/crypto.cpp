// The low-level SHA context APIs are deprecated in OpenSSL 3 but are the only public way to start a
// hash from a given chaining state, which is what HMAC with precomputed states needs.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "l2sec/golden/crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstring>

namespace l2sec::golden {

void wipe(Bytes& b) {
  if (!b.empty()) OPENSSL_cleanse(b.data(), b.size());
  b.clear();
}

void wipe(MutableByteView b) {
  if (!b.empty()) OPENSSL_cleanse(b.data(), b.size());
}

std::size_t cipher_key_len(Cipher c) {
  switch (c) {
    case Cipher::kAesCbc128:
      return 16;
    case Cipher::kAesCbc192:
      return 24;
    case Cipher::kAesCbc256:
      return 32;
    case Cipher::kDes3Cbc:
      return 24;
    case Cipher::kNone:
      break;
  }
  return 0;
}

std::size_t cipher_block_len(Cipher c) {
  switch (c) {
    case Cipher::kAesCbc128:
    case Cipher::kAesCbc192:
    case Cipher::kAesCbc256:
      return 16;
    case Cipher::kDes3Cbc:
      return 8;
    case Cipher::kNone:
      break;
  }
  return 0;
}

std::size_t integ_key_len(Integ i) { return integ_digest_len(i); }

std::size_t integ_digest_len(Integ i) {
  switch (i) {
    case Integ::kHmacSha1:
      return 20;
    case Integ::kHmacSha256:
      return 32;
    case Integ::kNone:
      break;
  }
  return 0;
}

std::size_t integ_state_words(Integ i) { return integ_digest_len(i) / 4; }

std::size_t icv_bytes(IcvLen l) { return l == IcvLen::kIcv128 ? 16 : 12; }

bool icv_len_valid(Integ i, IcvLen l) {
  switch (i) {
    case Integ::kHmacSha1:
      return l == IcvLen::kIcv96;
    case Integ::kHmacSha256:
      return true;
    case Integ::kNone:
      break;
  }
  return false;
}

namespace {

const EVP_CIPHER* evp_cipher(Cipher c) {
  switch (c) {
    case Cipher::kAesCbc128:
      return EVP_aes_128_cbc();
    case Cipher::kAesCbc192:
      return EVP_aes_192_cbc();
    case Cipher::kAesCbc256:
      return EVP_aes_256_cbc();
    case Cipher::kDes3Cbc:
      return EVP_des_ede3_cbc();
    case Cipher::kNone:
      break;
  }
  return nullptr;
}

const char* digest_name(Integ i) {
  switch (i) {
    case Integ::kHmacSha1:
      return "SHA1";
    case Integ::kHmacSha256:
      return "SHA256";
    case Integ::kNone:
      break;
  }
  return nullptr;
}

}  // namespace

void CbcCipher::CtxFree::operator()(evp_cipher_ctx_st* ctx) const { EVP_CIPHER_CTX_free(ctx); }

std::optional<CbcCipher> CbcCipher::create(Cipher cipher, ByteView key) {
  const EVP_CIPHER* evp = evp_cipher(cipher);
  if (evp == nullptr || key.size() != cipher_key_len(cipher)) return std::nullopt;
  CtxPtr enc(EVP_CIPHER_CTX_new());
  CtxPtr dec(EVP_CIPHER_CTX_new());
  if (!enc || !dec) return std::nullopt;
  if (EVP_CipherInit_ex(enc.get(), evp, nullptr, key.data(), nullptr, 1) != 1 ||
      EVP_CipherInit_ex(dec.get(), evp, nullptr, key.data(), nullptr, 0) != 1) {
    return std::nullopt;
  }
  EVP_CIPHER_CTX_set_padding(enc.get(), 0);
  EVP_CIPHER_CTX_set_padding(dec.get(), 0);
  return CbcCipher(cipher, std::move(enc), std::move(dec));
}

bool CbcCipher::run(evp_cipher_ctx_st* ctx, ByteView iv, ByteView in, MutableByteView out) const {
  const std::size_t block = block_len();
  if (iv.size() != block || in.size() % block != 0 || out.size() < in.size()) return false;
  if (in.empty()) return true;
  // Re-initialising with only an IV keeps the key schedule.
  if (EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, iv.data(), -1) != 1) return false;
  int len = 0;
  if (EVP_CipherUpdate(ctx, out.data(), &len, in.data(), static_cast<int>(in.size())) != 1) {
    return false;
  }
  return static_cast<std::size_t>(len) == in.size();
}

bool CbcCipher::encrypt(ByteView iv, ByteView in, MutableByteView out) const {
  return run(enc_.get(), iv, in, out);
}

bool CbcCipher::decrypt(ByteView iv, ByteView in, MutableByteView out) const {
  return run(dec_.get(), iv, in, out);
}

std::optional<AesBlock> AesBlock::create(ByteView key) {
  const EVP_CIPHER* evp = nullptr;
  switch (key.size()) {
    case 16:
      evp = EVP_aes_128_ecb();
      break;
    case 24:
      evp = EVP_aes_192_ecb();
      break;
    case 32:
      evp = EVP_aes_256_ecb();
      break;
    default:
      return std::nullopt;
  }
  std::unique_ptr<evp_cipher_ctx_st, void (*)(evp_cipher_ctx_st*)> ctx(EVP_CIPHER_CTX_new(),
                                                                       EVP_CIPHER_CTX_free);
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), evp, nullptr, key.data(), nullptr) != 1) {
    return std::nullopt;
  }
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  return AesBlock(std::move(ctx));
}

std::array<std::uint8_t, 16> AesBlock::encrypt(const std::array<std::uint8_t, 16>& block) const {
  std::array<std::uint8_t, 16> out{};
  int len = 0;
  EVP_EncryptUpdate(ctx_.get(), out.data(), &len, block.data(), 16);
  return out;
}

void Hmac::CtxFree::operator()(evp_mac_ctx_st* ctx) const { EVP_MAC_CTX_free(ctx); }

std::optional<Hmac> Hmac::create(Integ integ, ByteView key) {
  const char* digest = digest_name(integ);
  if (digest == nullptr) return std::nullopt;
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) return std::nullopt;
  std::unique_ptr<evp_mac_ctx_st, CtxFree> ctx(EVP_MAC_CTX_new(mac));
  EVP_MAC_free(mac);
  if (!ctx) return std::nullopt;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_end()};
  // HMAC allows an empty key; OpenSSL wants a non-null pointer for it.
  static const std::uint8_t kEmpty[1] = {0};
  const std::uint8_t* k = key.empty() ? kEmpty : key.data();
  if (EVP_MAC_init(ctx.get(), k, key.size(), params) != 1) return std::nullopt;
  return Hmac(integ, std::move(ctx));
}

bool Hmac::compute(std::initializer_list<ByteView> parts, MutableByteView out) const {
  if (out.size() < digest_len()) return false;
  // A NULL key re-initialises with the key already set.
  if (EVP_MAC_init(ctx_.get(), nullptr, 0, nullptr) != 1) return false;
  for (ByteView p : parts) {
    if (!p.empty() && EVP_MAC_update(ctx_.get(), p.data(), p.size()) != 1) return false;
  }
  std::size_t len = 0;
  return EVP_MAC_final(ctx_.get(), out.data(), &len, out.size()) == 1 && len == digest_len();
}

namespace {

constexpr std::size_t kHashBlock = 64;

// The HMAC key as one hash block: hashed first when longer than a block, then zero padded.
std::array<std::uint8_t, kHashBlock> hmac_block_key(Integ integ, ByteView key) {
  std::array<std::uint8_t, kHashBlock> k{};
  if (key.size() > kHashBlock) {
    if (integ == Integ::kHmacSha1) {
      SHA1(key.data(), key.size(), k.data());
    } else {
      SHA256(key.data(), key.size(), k.data());
    }
  } else if (!key.empty()) {
    std::memcpy(k.data(), key.data(), key.size());
  }
  return k;
}

std::array<std::uint32_t, 8> state_after_block(Integ integ, const std::uint8_t* block) {
  std::array<std::uint32_t, 8> st{};
  if (integ == Integ::kHmacSha1) {
    SHA_CTX c;
    SHA1_Init(&c);
    SHA1_Update(&c, block, kHashBlock);
    st = {c.h0, c.h1, c.h2, c.h3, c.h4, 0, 0, 0};
  } else {
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, block, kHashBlock);
    for (int i = 0; i < 8; ++i) st[static_cast<std::size_t>(i)] = c.h[i];
  }
  return st;
}

// Hash of (one already-compressed block || message) starting from that block's state.
Bytes hash_from_state(Integ integ, const std::array<std::uint32_t, 8>& st, ByteView message) {
  Bytes out(integ_digest_len(integ));
  if (integ == Integ::kHmacSha1) {
    SHA_CTX c;
    SHA1_Init(&c);
    c.h0 = st[0];
    c.h1 = st[1];
    c.h2 = st[2];
    c.h3 = st[3];
    c.h4 = st[4];
    c.Nl = kHashBlock * 8;  // bits already hashed
    SHA1_Update(&c, message.data(), message.size());
    SHA1_Final(out.data(), &c);
  } else {
    SHA256_CTX c;
    SHA256_Init(&c);
    for (int i = 0; i < 8; ++i) c.h[i] = st[static_cast<std::size_t>(i)];
    c.Nl = kHashBlock * 8;
    SHA256_Update(&c, message.data(), message.size());
    SHA256_Final(out.data(), &c);
  }
  return out;
}

}  // namespace

HmacStates hmac_precompute(Integ integ, ByteView key) {
  HmacStates s;
  if (integ == Integ::kNone) return s;
  const auto k = hmac_block_key(integ, key);
  std::array<std::uint8_t, kHashBlock> pad{};
  for (std::size_t i = 0; i < kHashBlock; ++i) pad[i] = static_cast<std::uint8_t>(k[i] ^ 0x36);
  s.inner = state_after_block(integ, pad.data());
  for (std::size_t i = 0; i < kHashBlock; ++i) pad[i] = static_cast<std::uint8_t>(k[i] ^ 0x5c);
  s.outer = state_after_block(integ, pad.data());
  OPENSSL_cleanse(pad.data(), pad.size());
  return s;
}

Bytes hmac_from_states(Integ integ, const HmacStates& states, ByteView message) {
  if (integ == Integ::kNone) return {};
  const Bytes inner = hash_from_state(integ, states.inner, message);
  return hash_from_state(integ, states.outer, inner);
}

void random_bytes(MutableByteView out) {
  if (!out.empty() && RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    // The DRBG failing is not recoverable for a crypto data plane.
    OPENSSL_die("RAND_bytes failed", __FILE__, __LINE__);
  }
}

}  // namespace l2sec::golden
