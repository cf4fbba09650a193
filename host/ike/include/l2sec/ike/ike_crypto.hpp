// IKEv1 cryptography on OpenSSL: hashes and HMAC prfs, Diffie-Hellman (MODP 2 and 14, ECP 19 and
// 20), the RFC 2409 key derivation, phase-1 CBC encryption with IV chaining, Quick Mode KEYMAT.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string_view>

#include "l2sec/golden/bytes.hpp"
#include "l2sec/golden/crypto.hpp"

namespace l2sec::ike {

enum class HashAlg : std::uint8_t { kSha1, kSha256, kSha384 };
std::string_view to_string(HashAlg h);
std::size_t hash_len(HashAlg h);

// Zeroes a buffer with OPENSSL_cleanse (golden::wipe, shared with the back ends).
using golden::wipe;

// A byte buffer holding key material: wiped when it dies.
class Secret {
 public:
  Secret() = default;
  explicit Secret(Bytes b) : b_(std::move(b)) {}
  Secret(const Secret& o) : b_(o.b_) {}
  Secret& operator=(const Secret& o) {
    if (this != &o) {
      wipe(b_);
      b_ = o.b_;
    }
    return *this;
  }
  Secret(Secret&& o) noexcept : b_(std::move(o.b_)) { o.b_.clear(); }
  Secret& operator=(Secret&& o) noexcept {
    if (this != &o) {
      wipe(b_);
      b_ = std::move(o.b_);
      o.b_.clear();
    }
    return *this;
  }
  ~Secret() { wipe(b_); }
  const Bytes& bytes() const { return b_; }
  ByteView view() const { return b_; }
  std::size_t size() const { return b_.size(); }
  bool empty() const { return b_.empty(); }
  void clear() { wipe(b_); }

 private:
  Bytes b_;
};

Bytes hash(HashAlg h, std::initializer_list<ByteView> parts);
Bytes prf(HashAlg h, ByteView key, std::initializer_list<ByteView> parts);

// One side of a Diffie-Hellman exchange. Groups: 2 (MODP 1024), 14 (MODP 2048), 19 (ECP 256),
// 20 (ECP 384). The private value is freed (and cleared) with the object.
class DiffieHellman {
 public:
  static bool supported(std::uint16_t group);
  static std::unique_ptr<DiffieHellman> create(std::uint16_t group);
  virtual ~DiffieHellman() = default;
  std::uint16_t group() const { return group_; }
  // The public value as IKE sends it: g^x padded to the prime's length, or x|y for ECP.
  virtual const Bytes& public_value() const = 0;
  // g^xy (padded) or the x coordinate; nullopt when the peer's value is invalid (wrong length,
  // out of range, not on the curve).
  virtual std::optional<Secret> shared_secret(ByteView peer_public) const = 0;
  // The size IKE expects for KE payloads of this group.
  virtual std::size_t public_len() const = 0;

 protected:
  explicit DiffieHellman(std::uint16_t group) : group_(group) {}

 private:
  std::uint16_t group_;
};

// Phase-1 keys (RFC 2409 5 with preshared keys).
struct Phase1Keys {
  HashAlg hash = HashAlg::kSha1;
  lm::Cipher cipher = lm::Cipher::kAesCbc128;
  Secret skeyid;
  Secret skeyid_d;
  Secret skeyid_a;
  Secret skeyid_e;
  Secret enc_key;  // expanded from SKEYID_e to the cipher's key length
  Bytes iv0;       // hash(g^xi | g^xr) truncated to the block size
};

// SKEYID = prf(PSK, Ni_b | Nr_b), then d/a/e and the key expansion (appendix B).
Phase1Keys derive_phase1_psk(HashAlg h, lm::Cipher c, ByteView psk, ByteView ni, ByteView nr,
                             ByteView gxy, ByteView gxi, ByteView gxr, ByteView icookie,
                             ByteView rcookie);

// The same with signatures (RFC 2409 5.1): SKEYID = prf(Ni_b | Nr_b, g^xy).
Phase1Keys derive_phase1_sig(HashAlg h, lm::Cipher c, ByteView ni, ByteView nr, ByteView gxy,
                             ByteView gxi, ByteView gxr, ByteView icookie, ByteView rcookie);

// The phase-1 CBC state of one direction-independent exchange: IKEv1 chains one IV through the
// whole exchange (each message's last ciphertext block is the next IV).
class Phase1Cipher {
 public:
  Phase1Cipher() = default;
  static std::optional<Phase1Cipher> create(lm::Cipher c, ByteView key);
  std::size_t block_len() const { return cipher_ ? cipher_->block_len() : 0; }
  // Pads the plaintext with zeros to the block size and encrypts it; iv becomes the last block.
  Bytes encrypt(ByteView plain, Bytes& iv) const;
  // nullopt when the ciphertext is not a whole number of blocks; iv becomes its last block.
  std::optional<Bytes> decrypt(ByteView cipher, Bytes& iv) const;

 private:
  std::optional<golden::CbcCipher> cipher_;
};

// IV of a new phase-2 or informational exchange: hash(last phase-1 block | M-ID) truncated.
Bytes exchange_iv(HashAlg h, ByteView phase1_last_block, std::uint32_t message_id,
                  std::size_t block_len);

// KEYMAT for one SA direction (RFC 2409 5.5), expanded to len bytes.
Secret quick_mode_keymat(HashAlg h, ByteView skeyid_d, ByteView gxy_qm, std::uint8_t protocol,
                         std::uint32_t spi, ByteView ni, ByteView nr, std::size_t len);

// NAT-D hash (RFC 3947 3.2): HASH(CKY-I | CKY-R | IP | Port).
Bytes nat_d_hash(HashAlg h, ByteView icookie, ByteView rcookie, std::uint32_t addr,
                 std::uint16_t port);

}  // namespace l2sec::ike
