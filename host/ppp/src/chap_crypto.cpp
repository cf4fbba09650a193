#include "l2sec/ppp/chap_crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <memory>
#include <mutex>

#include "l2sec/log.hpp"

namespace l2sec::ppp {

namespace {

// The private library context with the legacy provider (MD4, DES). Created once, never freed
// (process lifetime), never made the default.
struct Legacy {
  OSSL_LIB_CTX* ctx = nullptr;
  EVP_MD* md4 = nullptr;
  EVP_CIPHER* des = nullptr;
};

const Legacy& legacy() {
  static const Legacy l = [] {
    Legacy out;
    out.ctx = OSSL_LIB_CTX_new();
    if (out.ctx == nullptr) return out;
    if (OSSL_PROVIDER_load(out.ctx, "legacy") == nullptr ||
        OSSL_PROVIDER_load(out.ctx, "default") == nullptr) {
      log::error("ppp") << "OpenSSL legacy provider not available: MS-CHAPv2 disabled";
      return out;
    }
    out.md4 = EVP_MD_fetch(out.ctx, "MD4", nullptr);
    out.des = EVP_CIPHER_fetch(out.ctx, "DES-ECB", nullptr);
    if (out.md4 == nullptr || out.des == nullptr) {
      log::error("ppp") << "OpenSSL legacy provider has no MD4/DES-ECB: MS-CHAPv2 disabled";
    }
    return out;
  }();
  return l;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

template <std::size_t N>
bool digest(const EVP_MD* md, std::initializer_list<ByteView> parts,
            std::array<std::uint8_t, N>& out) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) return false;
  for (ByteView p : parts) {
    if (EVP_DigestUpdate(ctx.get(), p.data(), p.size()) != 1) return false;
  }
  unsigned int len = 0;
  std::uint8_t buf[EVP_MAX_MD_SIZE];
  if (EVP_DigestFinal_ex(ctx.get(), buf, &len) != 1 || len < N) return false;
  std::copy(buf, buf + N, out.begin());
  return true;
}

ByteView view(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

Bytes utf16le(std::string_view utf8) {
  Bytes out;
  std::size_t i = 0;
  auto push = [&out](std::uint32_t cp) {
    auto unit = [&out](std::uint32_t u) {
      out.push_back(static_cast<std::uint8_t>(u));
      out.push_back(static_cast<std::uint8_t>(u >> 8));
    };
    if (cp >= 0x10000) {
      cp -= 0x10000;
      unit(0xd800 + (cp >> 10));
      unit(0xdc00 + (cp & 0x3ff));
    } else {
      unit(cp);
    }
  };
  while (i < utf8.size()) {
    const auto c = static_cast<std::uint8_t>(utf8[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      n = 0;
      cp = c;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1fu;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0fu;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07u;
    } else {
      push(c);  // not UTF-8: Latin-1
      ++i;
      continue;
    }
    bool ok = i + n < utf8.size();
    for (std::size_t k = 1; ok && k <= n; ++k) {
      const auto cc = static_cast<std::uint8_t>(utf8[i + k]);
      if ((cc & 0xc0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3fu);
    }
    if (!ok || cp > 0x10ffff) {
      push(c);
      ++i;
      continue;
    }
    push(cp);
    i += n + 1;
  }
  return out;
}

// RFC 2759 8.6: a 7-byte key spread over 8 DES key bytes (parity bits left zero; DES ignores them).
std::array<std::uint8_t, 8> des_key(const std::uint8_t* k7) {
  std::array<std::uint8_t, 8> k{};
  std::uint64_t bits = 0;
  for (int i = 0; i < 7; ++i) bits = (bits << 8) | k7[i];
  for (int i = 0; i < 8; ++i) {
    k[static_cast<std::size_t>(i)] =
        static_cast<std::uint8_t>(((bits >> (49 - 7 * i)) & 0x7fu) << 1);
  }
  return k;
}

bool des_encrypt(const std::uint8_t* k7, const std::uint8_t* clear8, std::uint8_t* out8) {
  const Legacy& l = legacy();
  if (l.des == nullptr) return false;
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  const auto key = des_key(k7);
  if (!ctx || EVP_EncryptInit_ex2(ctx.get(), l.des, key.data(), nullptr, nullptr) != 1) {
    return false;
  }
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  int len = 0;
  if (EVP_EncryptUpdate(ctx.get(), out8, &len, clear8, 8) != 1 || len != 8) return false;
  return true;
}

}  // namespace

Hash16 chap_md5_response(std::uint8_t id, std::string_view secret, ByteView challenge) {
  Hash16 out{};
  const std::uint8_t idb[1] = {id};
  digest(EVP_md5(), {ByteView(idb), view(secret), challenge}, out);
  return out;
}

bool mschap_available() {
  const Legacy& l = legacy();
  return l.md4 != nullptr && l.des != nullptr;
}

std::optional<Hash16> nt_password_hash(std::string_view password) {
  const Legacy& l = legacy();
  if (l.md4 == nullptr) return std::nullopt;
  Hash16 out{};
  const Bytes u = utf16le(password);
  if (!digest(l.md4, {ByteView(u)}, out)) return std::nullopt;
  return out;
}

std::string_view mschap_strip_domain(std::string_view user) {
  const auto pos = user.rfind('\\');
  return pos == std::string_view::npos ? user : user.substr(pos + 1);
}

std::array<std::uint8_t, 8> challenge_hash(const Challenge16& peer, const Challenge16& auth,
                                           std::string_view user) {
  std::array<std::uint8_t, 20> h{};
  digest(EVP_sha1(), {ByteView(peer), ByteView(auth), view(mschap_strip_domain(user))}, h);
  std::array<std::uint8_t, 8> out{};
  std::copy(h.begin(), h.begin() + 8, out.begin());
  return out;
}

std::optional<NtResponse> generate_nt_response(const Challenge16& auth, const Challenge16& peer,
                                               std::string_view user, std::string_view password) {
  const auto ph = nt_password_hash(password);
  if (!ph) return std::nullopt;
  const auto ch = challenge_hash(peer, auth, user);
  std::array<std::uint8_t, 21> z{};
  std::copy(ph->begin(), ph->end(), z.begin());
  NtResponse r{};
  for (std::size_t i = 0; i < 3; ++i) {
    if (!des_encrypt(z.data() + 7 * i, ch.data(), r.data() + 8 * i)) return std::nullopt;
  }
  return r;
}

std::optional<std::string> generate_authenticator_response(std::string_view password,
                                                           const NtResponse& nt_response,
                                                           const Challenge16& peer,
                                                           const Challenge16& auth,
                                                           std::string_view user) {
  static constexpr char kMagic1[] = "Magic server to client signing constant";
  static constexpr char kMagic2[] = "Pad to make it do more than one iteration";
  const auto ph = nt_password_hash(password);
  if (!ph) return std::nullopt;
  const Legacy& l = legacy();
  Hash16 phh{};
  if (!digest(l.md4, {ByteView(*ph)}, phh)) return std::nullopt;
  std::array<std::uint8_t, 20> d{};
  digest(EVP_sha1(), {ByteView(phh), ByteView(nt_response), view(kMagic1)}, d);
  const auto ch = challenge_hash(peer, auth, user);
  std::array<std::uint8_t, 20> out{};
  digest(EVP_sha1(), {ByteView(d), ByteView(ch), view(kMagic2)}, out);
  std::string s = "S=";
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (std::uint8_t b : out) {
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

bool equal_ct(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace l2sec::ppp
