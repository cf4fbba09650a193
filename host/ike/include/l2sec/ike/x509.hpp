// X.509 for IKEv1 RSA-signature authentication (RFC 2409 5.1) on OpenSSL: certificates and
// private keys from PEM, chain verification against the configured CAs (validity dates, CA
// constraints, the end entity's key usage), the ID payload checked against the certificate, and
// the IKEv1 signature itself (PKCS#1 v1.5 over the bare HASH_I/HASH_R, no DigestInfo, as
// strongSwan's and racoon's IKEv1 sign).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "l2sec/golden/bytes.hpp"
#include "l2sec/ike/isakmp.hpp"

// OpenSSL's types, without its headers in ours.
struct x509_st;
struct evp_pkey_st;

namespace l2sec::ike {

// An immutable certificate; copies share the OpenSSL object.
class Certificate {
 public:
  static std::optional<Certificate> from_der(ByteView der);
  // Every certificate in a PEM text or file (at least one, else an error).
  static std::vector<Certificate> from_pem(std::string_view pem, std::string* error);
  static std::vector<Certificate> load_pem_file(const std::filesystem::path& path,
                                                std::string* error);

  const Bytes& der() const { return der_; }
  Bytes subject_der() const;         // the subject DN, DER (ID_DER_ASN1_DN, CERTREQ)
  std::string subject_text() const;  // RFC 2253 form, for logs
  x509_st* get() const { return x_.get(); }
  // The ID payload we present with this certificate: ID_DER_ASN1_DN of the subject.
  IdPayload id() const;

 private:
  std::shared_ptr<x509_st> x_;
  Bytes der_;
};

// A private key (RSA); copies share the OpenSSL object, which frees (and clears) it.
class PrivateKey {
 public:
  static std::optional<PrivateKey> from_pem(std::string_view pem, std::string* error);
  static std::optional<PrivateKey> load_pem_file(const std::filesystem::path& path,
                                                 std::string* error);
  evp_pkey_st* get() const { return k_.get(); }
  // True when this key belongs to the certificate.
  bool matches(const Certificate& cert) const;
  // PKCS#1 v1.5 signature over the raw hash (IKEv1 RSA-SIG); empty on failure.
  Bytes sign_ike(ByteView hash) const;

 private:
  std::shared_ptr<evp_pkey_st> k_;
};

// Verifies an IKEv1 RSA signature over the raw hash with the certificate's public key.
bool verify_ike_signature(const Certificate& cert, ByteView hash, ByteView signature);

// Why a certificate was refused; empty when it verified: the chain up to one of `cas` (with
// `intermediates` from the peer), every certificate within its validity dates now, and the end
// entity's key usage (when present) allowing signatures.
std::string verify_certificate(const Certificate& cert,
                               const std::vector<Certificate>& intermediates,
                               const std::vector<Certificate>& cas);

// A DER distinguished name (ID_DER_ASN1_DN) in RFC 2253 form; "" when it does not parse.
std::string dn_text(ByteView der);

// True when the ID payload names this certificate: ID_DER_ASN1_DN equal to the subject, ID_FQDN
// / ID_USER_FQDN / ID_IPV4_ADDR equal to a subjectAltName DNS / email / IP entry.
bool id_matches(const Certificate& cert, const IdPayload& id);

}  // namespace l2sec::ike
