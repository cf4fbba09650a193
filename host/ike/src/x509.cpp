#include "l2sec/ike/x509.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <sstream>

namespace l2sec::ike {

namespace {

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

std::optional<std::string> read_file(const std::filesystem::path& path, std::string* error) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    *error = path.string() + ": cannot open";
    return std::nullopt;
  }
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr mem_bio(std::string_view text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

Bytes i2d_name(const X509_NAME* name) {
  unsigned char* out = nullptr;
  const int n = i2d_X509_NAME(name, &out);
  if (n <= 0) return {};
  Bytes b(out, out + n);
  OPENSSL_free(out);
  return b;
}

std::optional<Certificate> wrap(X509* x) {
  unsigned char* out = nullptr;
  const int n = i2d_X509(x, &out);
  if (n <= 0) {
    X509_free(x);
    return std::nullopt;
  }
  Bytes der(out, out + n);
  OPENSSL_free(out);
  X509_free(x);
  return Certificate::from_der(der);
}

}  // namespace

std::optional<Certificate> Certificate::from_der(ByteView der) {
  const unsigned char* p = der.data();
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (x == nullptr || p != der.data() + der.size()) {
    X509_free(x);
    ERR_clear_error();
    return std::nullopt;
  }
  Certificate c;
  c.x_ = std::shared_ptr<X509>(x, X509_free);
  c.der_.assign(der.begin(), der.end());
  return c;
}

std::vector<Certificate> Certificate::from_pem(std::string_view pem, std::string* error) {
  std::vector<Certificate> out;
  BioPtr bio = mem_bio(pem);
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    auto c = wrap(x);
    if (!c) {
      *error = "certificate does not encode";
      return {};
    }
    out.push_back(std::move(*c));
  }
  ERR_clear_error();  // the end of the text reads as an error
  if (out.empty()) *error = "no PEM certificate";
  return out;
}

std::vector<Certificate> Certificate::load_pem_file(const std::filesystem::path& path,
                                                    std::string* error) {
  auto text = read_file(path, error);
  if (!text) return {};
  auto certs = from_pem(*text, error);
  if (certs.empty()) *error = path.string() + ": " + *error;
  return certs;
}

Bytes Certificate::subject_der() const { return i2d_name(X509_get_subject_name(x_.get())); }

namespace {
std::string name_text(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}
}  // namespace

std::string Certificate::subject_text() const { return name_text(X509_get_subject_name(x_.get())); }

std::string dn_text(ByteView der) {
  const unsigned char* p = der.data();
  X509_NAME* n = d2i_X509_NAME(nullptr, &p, static_cast<long>(der.size()));
  if (n == nullptr) {
    ERR_clear_error();
    return {};
  }
  std::string s = name_text(n);
  X509_NAME_free(n);
  return s;
}

IdPayload Certificate::id() const {
  IdPayload id;
  id.type = kIdDerAsn1Dn;
  id.data = subject_der();
  return id;
}

std::optional<PrivateKey> PrivateKey::from_pem(std::string_view pem, std::string* error) {
  BioPtr bio = mem_bio(pem);
  EVP_PKEY* k = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (k == nullptr) {
    *error = "no PEM private key (" + openssl_error() + ")";
    return std::nullopt;
  }
  if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
    EVP_PKEY_free(k);
    *error = "not an RSA key (IKEv1 RSA signatures only)";
    return std::nullopt;
  }
  PrivateKey p;
  p.k_ = std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free);
  return p;
}

std::optional<PrivateKey> PrivateKey::load_pem_file(const std::filesystem::path& path,
                                                    std::string* error) {
  auto text = read_file(path, error);
  if (!text) return std::nullopt;
  auto k = from_pem(*text, error);
  OPENSSL_cleanse(text->data(), text->size());
  if (!k) *error = path.string() + ": " + *error;
  return k;
}

bool PrivateKey::matches(const Certificate& cert) const {
  EVP_PKEY* pub = X509_get0_pubkey(cert.get());
  return pub != nullptr && EVP_PKEY_eq(pub, k_.get()) == 1;
}

Bytes PrivateKey::sign_ike(ByteView hash) const {
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new(k_.get(), nullptr), EVP_PKEY_CTX_free);
  std::size_t len = 0;
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) <= 0 ||
      EVP_PKEY_sign(ctx.get(), nullptr, &len, hash.data(), hash.size()) <= 0) {
    ERR_clear_error();
    return {};
  }
  Bytes sig(len);
  if (EVP_PKEY_sign(ctx.get(), sig.data(), &len, hash.data(), hash.size()) <= 0) {
    ERR_clear_error();
    return {};
  }
  sig.resize(len);
  return sig;
}

bool verify_ike_signature(const Certificate& cert, ByteView hash, ByteView signature) {
  EVP_PKEY* pub = X509_get0_pubkey(cert.get());
  if (pub == nullptr || EVP_PKEY_get_base_id(pub) != EVP_PKEY_RSA) return false;
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new(pub, nullptr),
                                                                  EVP_PKEY_CTX_free);
  const bool ok =
      ctx && EVP_PKEY_verify_init(ctx.get()) > 0 &&
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) > 0 &&
      EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), hash.data(), hash.size()) == 1;
  ERR_clear_error();
  return ok;
}

std::string verify_certificate(const Certificate& cert,
                               const std::vector<Certificate>& intermediates,
                               const std::vector<Certificate>& cas) {
  if (cas.empty()) return "no CA certificate configured";
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
  struct StackFree {
    void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
  };
  std::unique_ptr<STACK_OF(X509), StackFree> chain(sk_X509_new_null());
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                      X509_STORE_CTX_free);
  if (!store || !chain || !ctx) return "out of memory";
  for (const auto& ca : cas) X509_STORE_add_cert(store.get(), ca.get());
  for (const auto& i : intermediates) sk_X509_push(chain.get(), i.get());
  if (X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), chain.get()) != 1) {
    return "verification setup: " + openssl_error();
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    const int e = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return X509_verify_cert_error_string(e);
  }
  const std::uint32_t ku = X509_get_key_usage(cert.get());
  if (ku != UINT32_MAX && !(ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))) {
    return "key usage does not allow digital signatures";
  }
  return {};
}

bool id_matches(const Certificate& cert, const IdPayload& id) {
  const std::string text(id.data.begin(), id.data.end());
  switch (id.type) {
    case kIdDerAsn1Dn: {
      const unsigned char* p = id.data.data();
      X509_NAME* n = d2i_X509_NAME(nullptr, &p, static_cast<long>(id.data.size()));
      if (n == nullptr) {
        ERR_clear_error();
        return false;
      }
      const bool same = X509_NAME_cmp(n, X509_get_subject_name(cert.get())) == 0;
      X509_NAME_free(n);
      return same;
    }
    case kIdFqdn:
      return !text.empty() &&
             X509_check_host(cert.get(), text.data(), text.size(),
                             X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_WILDCARDS,
                             nullptr) == 1;
    case kIdUserFqdn:
      return !text.empty() && X509_check_email(cert.get(), text.data(), text.size(),
                                               X509_CHECK_FLAG_NEVER_CHECK_SUBJECT) == 1;
    case kIdIpv4Addr:
      return id.data.size() == 4 &&
             X509_check_ip(cert.get(), id.data.data(), id.data.size(), 0) == 1;
    default:
      return false;
  }
}

}  // namespace l2sec::ike
