// A small PKI made at test time with OpenSSL's APIs: RSA keys, a CA, end-entity certificates with
// chosen validity, subjectAltName and key usage, returned as PEM (what the configuration loads).
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace l2sec::ike::testing {

struct Pem {
  std::string cert;
  std::string key;
};

struct CertSpec {
  std::string cn;
  bool ca = false;
  long not_before_s = -3600;  // relative to now
  long not_after_s = 86400;
  std::string san;        // e.g. "DNS:client.l2sec.test", empty: none
  std::string key_usage;  // e.g. "critical,digitalSignature", empty: none
};

class TestPki {
 public:
  // Signs spec with the issuer (nullptr: self-signed).
  static Pem make(const CertSpec& spec, const Pem* issuer) {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(2048), EVP_PKEY_free);
    std::unique_ptr<X509, decltype(&X509_free)> x(X509_new(), X509_free);
    if (!key || !x) throw std::runtime_error("openssl");
    X509_set_version(x.get(), 2);
    static long serial = 1;
    ASN1_INTEGER_set(X509_get_serialNumber(x.get()), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x.get()), spec.not_before_s);
    X509_gmtime_adj(X509_getm_notAfter(x.get()), spec.not_after_s);
    X509_set_pubkey(x.get(), key.get());
    X509_NAME* name = X509_get_subject_name(x.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("l2sec test"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1, -1, 0);
    std::unique_ptr<X509, decltype(&X509_free)> issuer_cert(nullptr, X509_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> issuer_key(nullptr, EVP_PKEY_free);
    if (issuer) {
      issuer_cert.reset(read_cert(issuer->cert));
      issuer_key.reset(read_key(issuer->key));
      X509_set_issuer_name(x.get(), X509_get_subject_name(issuer_cert.get()));
    } else {
      X509_set_issuer_name(x.get(), name);
    }
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer_cert.get() : x.get(), x.get(), nullptr, nullptr, 0);
    auto ext = [&](int nid, const std::string& value) {
      if (value.empty()) return;
      X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
      if (!e) throw std::runtime_error("extension " + value);
      X509_add_ext(x.get(), e, -1);
      X509_EXTENSION_free(e);
    };
    ext(NID_basic_constraints, spec.ca ? "critical,CA:TRUE" : "CA:FALSE");
    ext(NID_key_usage, spec.ca ? "critical,keyCertSign,cRLSign" : spec.key_usage);
    ext(NID_subject_alt_name, spec.san);
    if (X509_sign(x.get(), issuer ? issuer_key.get() : key.get(), EVP_sha256()) <= 0) {
      throw std::runtime_error("X509_sign");
    }
    Pem out;
    out.cert = write([&](BIO* b) { return PEM_write_bio_X509(b, x.get()); });
    out.key = write([&](BIO* b) {
      return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    });
    return out;
  }

 private:
  template <typename F>
  static std::string write(F f) {
    std::unique_ptr<BIO, decltype(&BIO_free)> b(BIO_new(BIO_s_mem()), BIO_free);
    if (f(b.get()) != 1) throw std::runtime_error("PEM write");
    char* data = nullptr;
    const long n = BIO_get_mem_data(b.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
  }
  static X509* read_cert(const std::string& pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> b(BIO_new_mem_buf(pem.data(), -1), BIO_free);
    return PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr);
  }
  static EVP_PKEY* read_key(const std::string& pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> b(BIO_new_mem_buf(pem.data(), -1), BIO_free);
    return PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr);
  }
};

}  // namespace l2sec::ike::testing
