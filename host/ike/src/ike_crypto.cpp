#include "l2sec/ike/ike_crypto.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>

#include <algorithm>

namespace l2sec::ike {

namespace {

const EVP_MD* md_for(HashAlg h) {
  switch (h) {
    case HashAlg::kSha1:
      return EVP_sha1();
    case HashAlg::kSha256:
      return EVP_sha256();
    case HashAlg::kSha384:
      return EVP_sha384();
  }
  return EVP_sha1();
}

struct BnFree {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
struct BnCtxFree {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

Bytes bn_to_bytes(const BIGNUM* b, std::size_t len) {
  Bytes out(len);
  if (BN_bn2binpad(b, out.data(), static_cast<int>(len)) < 0) return {};
  return out;
}

// MODP groups on BIGNUM with constant-time exponentiation (what OpenSSL's DH does inside).
class ModpDh final : public DiffieHellman {
 public:
  static constexpr int kExponentBits = 256;
  static std::unique_ptr<ModpDh> create(std::uint16_t group) {
    BnPtr p(BN_new());
    if (!p) return nullptr;
    if (group == 2) {
      if (!BN_get_rfc2409_prime_1024(p.get())) return nullptr;
    } else if (group == 14) {
      if (!BN_get_rfc3526_prime_2048(p.get())) return nullptr;
    } else {
      return nullptr;
    }
    auto dh = std::unique_ptr<ModpDh>(new ModpDh(group, std::move(p)));
    if (!dh->generate()) return nullptr;
    return dh;
  }
  const Bytes& public_value() const override { return pub_; }
  std::size_t public_len() const override { return len_; }

  std::optional<Secret> shared_secret(ByteView peer) const override {
    if (peer.size() != len_) return std::nullopt;
    BnPtr y(BN_bin2bn(peer.data(), static_cast<int>(peer.size()), nullptr));
    BnPtr pm1(BN_dup(p_.get()));
    BnPtr z(BN_new());
    std::unique_ptr<BN_CTX, BnCtxFree> ctx(BN_CTX_new());
    if (!y || !pm1 || !z || !ctx || !BN_sub_word(pm1.get(), 1)) return std::nullopt;
    // 1 < y < p-1 (RFC 2631 / SP 800-56A public key range check).
    if (BN_cmp(y.get(), BN_value_one()) <= 0 || BN_cmp(y.get(), pm1.get()) >= 0) {
      return std::nullopt;
    }
    if (!BN_mod_exp_mont_consttime(z.get(), y.get(), x_.get(), p_.get(), ctx.get(), nullptr)) {
      return std::nullopt;
    }
    return Secret(bn_to_bytes(z.get(), len_));
  }

 private:
  ModpDh(std::uint16_t group, BnPtr p) : DiffieHellman(group), p_(std::move(p)) {
    len_ = static_cast<std::size_t>(BN_num_bytes(p_.get()));
  }
  bool generate() {
    std::unique_ptr<BN_CTX, BnCtxFree> ctx(BN_CTX_new());
    BnPtr g(BN_new());
    x_.reset(BN_secure_new());
    BnPtr y(BN_new());
    if (!ctx || !g || !x_ || !y || !BN_set_word(g.get(), 2)) return false;
    // A 256-bit private exponent: twice the ~128-bit strength of MODP 2048 (RFC 3526 section 8
    // and SP 800-57); the same length strongSwan uses. It is 8x cheaper than a full-length one.
    if (!BN_priv_rand_ex(x_.get(), kExponentBits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY, 0,
                         nullptr)) {
      return false;
    }
    BN_set_flags(x_.get(), BN_FLG_CONSTTIME);
    if (!BN_mod_exp_mont_consttime(y.get(), g.get(), x_.get(), p_.get(), ctx.get(), nullptr)) {
      return false;
    }
    pub_ = bn_to_bytes(y.get(), len_);
    return !pub_.empty();
  }

  BnPtr p_;
  BnPtr x_;
  Bytes pub_;
  std::size_t len_ = 0;
};

// ECP groups through EVP (OpenSSL's ECDH): public values are x|y without the 0x04 prefix.
class EcpDh final : public DiffieHellman {
 public:
  static std::unique_ptr<EcpDh> create(std::uint16_t group) {
    const char* name = group == 19 ? "P-256" : group == 20 ? "P-384" : nullptr;
    if (!name) return nullptr;
    const std::size_t coord = group == 19 ? 32 : 48;
    EVP_PKEY* raw = EVP_EC_gen(name);
    if (!raw) return nullptr;
    PkeyPtr key(raw);
    Bytes pub(1 + 2 * coord);
    std::size_t out_len = 0;
    if (!EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size(),
                                         &out_len) ||
        out_len != pub.size() || pub[0] != 0x04) {
      return nullptr;
    }
    return std::unique_ptr<EcpDh>(
        new EcpDh(group, name, coord, std::move(key), Bytes(pub.begin() + 1, pub.end())));
  }
  const Bytes& public_value() const override { return pub_; }
  std::size_t public_len() const override { return 2 * coord_; }

  std::optional<Secret> shared_secret(ByteView peer) const override {
    if (peer.size() != 2 * coord_) return std::nullopt;
    Bytes point(1 + peer.size());
    point[0] = 0x04;
    std::copy(peer.begin(), peer.end(), point.begin() + 1);
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    if (!bld) return std::nullopt;
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, name_, 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
    OSSL_PARAM_BLD_free(bld);
    if (!params) return std::nullopt;
    PkeyCtxPtr fctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* peer_raw = nullptr;
    const bool ok = fctx && EVP_PKEY_fromdata_init(fctx.get()) > 0 &&
                    EVP_PKEY_fromdata(fctx.get(), &peer_raw, EVP_PKEY_PUBLIC_KEY, params) > 0;
    OSSL_PARAM_free(params);
    if (!ok || !peer_raw) return std::nullopt;
    PkeyPtr peer_key(peer_raw);
    // EVP_PKEY_fromdata does not check that the point is on the curve: do it explicitly.
    PkeyCtxPtr check(EVP_PKEY_CTX_new(peer_key.get(), nullptr));
    if (!check || EVP_PKEY_public_check(check.get()) != 1) return std::nullopt;
    PkeyCtxPtr dctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
    std::size_t len = 0;
    if (!dctx || EVP_PKEY_derive_init(dctx.get()) <= 0 ||
        EVP_PKEY_derive_set_peer(dctx.get(), peer_key.get()) <= 0 ||
        EVP_PKEY_derive(dctx.get(), nullptr, &len) <= 0 || len != coord_) {
      return std::nullopt;
    }
    Bytes z(len);
    if (EVP_PKEY_derive(dctx.get(), z.data(), &len) <= 0) {
      wipe(z);
      return std::nullopt;
    }
    return Secret(std::move(z));
  }

 private:
  EcpDh(std::uint16_t group, const char* name, std::size_t coord, PkeyPtr key, Bytes pub)
      : DiffieHellman(group),
        name_(name),
        coord_(coord),
        key_(std::move(key)),
        pub_(std::move(pub)) {}
  const char* name_;
  std::size_t coord_;
  PkeyPtr key_;
  Bytes pub_;
};

Secret expand(HashAlg h, ByteView key, std::size_t len) {
  // Appendix B: K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1). Used only when too short.
  if (key.size() >= len)
    return Secret(Bytes(key.begin(), key.begin() + static_cast<std::ptrdiff_t>(len)));
  Bytes out;
  const std::uint8_t zero = 0;
  Bytes k = prf(h, key, {ByteView(&zero, 1)});
  while (out.size() < len) {
    out.insert(out.end(), k.begin(), k.end());
    if (out.size() < len) {
      Bytes n = prf(h, key, {k});
      wipe(k);
      k = std::move(n);
    }
  }
  wipe(k);
  out.resize(len);
  return Secret(std::move(out));
}

}  // namespace

std::string_view to_string(HashAlg h) {
  switch (h) {
    case HashAlg::kSha1:
      return "sha1";
    case HashAlg::kSha256:
      return "sha256";
    case HashAlg::kSha384:
      return "sha384";
  }
  return "?";
}

std::size_t hash_len(HashAlg h) {
  switch (h) {
    case HashAlg::kSha1:
      return 20;
    case HashAlg::kSha256:
      return 32;
    case HashAlg::kSha384:
      return 48;
  }
  return 0;
}

Bytes hash(HashAlg h, std::initializer_list<ByteView> parts) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx) return {};
  bool ok = EVP_DigestInit_ex(ctx, md_for(h), nullptr) == 1;
  for (auto p : parts) ok = ok && EVP_DigestUpdate(ctx, p.data(), p.size()) == 1;
  ok = ok && EVP_DigestFinal_ex(ctx, out.data(), &len) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return {};
  out.resize(len);
  return out;
}

Bytes prf(HashAlg h, ByteView key, std::initializer_list<ByteView> parts) {
  Bytes data;
  for (auto p : parts) data.insert(data.end(), p.begin(), p.end());
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned len = 0;
  static const std::uint8_t kEmpty = 0;
  const bool ok = HMAC(md_for(h), key.empty() ? &kEmpty : key.data(), static_cast<int>(key.size()),
                       data.data(), data.size(), out.data(), &len) != nullptr;
  wipe(data);
  if (!ok) return {};
  out.resize(len);
  return out;
}

bool DiffieHellman::supported(std::uint16_t group) {
  return group == 2 || group == 14 || group == 19 || group == 20;
}

std::unique_ptr<DiffieHellman> DiffieHellman::create(std::uint16_t group) {
  if (group == 2 || group == 14) return ModpDh::create(group);
  if (group == 19 || group == 20) return EcpDh::create(group);
  return nullptr;
}

namespace {
// SKEYID_d/a/e, the cipher key and IV0 from SKEYID (RFC 2409 5, appendix B).
Phase1Keys derive_from_skeyid(HashAlg h, lm::Cipher c, Secret skeyid, ByteView gxy, ByteView gxi,
                              ByteView gxr, ByteView icookie, ByteView rcookie) {
  Phase1Keys k;
  k.hash = h;
  k.cipher = c;
  k.skeyid = std::move(skeyid);
  const std::uint8_t n0 = 0, n1 = 1, n2 = 2;
  k.skeyid_d = Secret(prf(h, k.skeyid.view(), {gxy, icookie, rcookie, ByteView(&n0, 1)}));
  k.skeyid_a =
      Secret(prf(h, k.skeyid.view(), {k.skeyid_d.view(), gxy, icookie, rcookie, ByteView(&n1, 1)}));
  k.skeyid_e =
      Secret(prf(h, k.skeyid.view(), {k.skeyid_a.view(), gxy, icookie, rcookie, ByteView(&n2, 1)}));
  k.enc_key = expand(h, k.skeyid_e.view(), golden::cipher_key_len(c));
  k.iv0 = hash(h, {gxi, gxr});
  k.iv0.resize(golden::cipher_block_len(c));
  return k;
}
}  // namespace

Phase1Keys derive_phase1_psk(HashAlg h, lm::Cipher c, ByteView psk, ByteView ni, ByteView nr,
                             ByteView gxy, ByteView gxi, ByteView gxr, ByteView icookie,
                             ByteView rcookie) {
  return derive_from_skeyid(h, c, Secret(prf(h, psk, {ni, nr})), gxy, gxi, gxr, icookie, rcookie);
}

Phase1Keys derive_phase1_sig(HashAlg h, lm::Cipher c, ByteView ni, ByteView nr, ByteView gxy,
                             ByteView gxi, ByteView gxr, ByteView icookie, ByteView rcookie) {
  Bytes key(ni.begin(), ni.end());
  key.insert(key.end(), nr.begin(), nr.end());
  Secret skeyid(prf(h, key, {gxy}));
  return derive_from_skeyid(h, c, std::move(skeyid), gxy, gxi, gxr, icookie, rcookie);
}

std::optional<Phase1Cipher> Phase1Cipher::create(lm::Cipher c, ByteView key) {
  auto cbc = golden::CbcCipher::create(c, key);
  if (!cbc) return std::nullopt;
  Phase1Cipher p;
  p.cipher_ = std::move(cbc);
  return p;
}

Bytes Phase1Cipher::encrypt(ByteView plain, Bytes& iv) const {
  const std::size_t bs = block_len();
  if (bs == 0 || iv.size() != bs) return {};
  Bytes padded(plain.begin(), plain.end());
  // RFC 2408 3.5/RFC 2409: pad to the block size; our padding is zeros with the pad length last
  // (as racoon and strongSwan accept); at least one byte so the count is present.
  const std::size_t pad = bs - (padded.size() % bs);
  padded.resize(padded.size() + pad, 0);
  padded.back() = static_cast<std::uint8_t>(pad - 1);
  Bytes out(padded.size());
  if (!cipher_->encrypt(iv, padded, out)) return {};
  wipe(padded);
  iv.assign(out.end() - static_cast<std::ptrdiff_t>(bs), out.end());
  return out;
}

std::optional<Bytes> Phase1Cipher::decrypt(ByteView in, Bytes& iv) const {
  const std::size_t bs = block_len();
  if (bs == 0 || in.empty() || in.size() % bs != 0 || iv.size() != bs) return std::nullopt;
  Bytes out(in.size());
  if (!cipher_->decrypt(iv, in, out)) return std::nullopt;
  iv.assign(in.end() - static_cast<std::ptrdiff_t>(bs), in.end());
  return out;
}

Bytes exchange_iv(HashAlg h, ByteView last, std::uint32_t message_id, std::size_t block_len) {
  std::uint8_t mid[4];
  store_be32(mid, message_id);
  Bytes iv = hash(h, {last, ByteView(mid, 4)});
  iv.resize(block_len);
  return iv;
}

Secret quick_mode_keymat(HashAlg h, ByteView skeyid_d, ByteView gxy_qm, std::uint8_t protocol,
                         std::uint32_t spi, ByteView ni, ByteView nr, std::size_t len) {
  std::uint8_t spi_b[4];
  store_be32(spi_b, spi);
  const ByteView proto(&protocol, 1);
  Bytes out;
  Bytes k = prf(h, skeyid_d, {gxy_qm, proto, ByteView(spi_b, 4), ni, nr});
  while (out.size() < len) {
    out.insert(out.end(), k.begin(), k.end());
    if (out.size() < len) {
      Bytes n = prf(h, skeyid_d, {k, gxy_qm, proto, ByteView(spi_b, 4), ni, nr});
      wipe(k);
      k = std::move(n);
    }
  }
  wipe(k);
  out.resize(len);
  return Secret(std::move(out));
}

Bytes nat_d_hash(HashAlg h, ByteView icookie, ByteView rcookie, std::uint32_t addr,
                 std::uint16_t port) {
  std::uint8_t a[6];
  store_be32(a, addr);
  store_be16(a + 4, port);
  return hash(h, {icookie, rcookie, ByteView(a, 6)});
}

}  // namespace l2sec::ike
