// IKEv1 pieces both ends of an exchange use: proposals to and from transforms, the authentication
// and Quick Mode hashes, and sealing/opening encrypted messages. No state lives here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "l2sec/ike/config.hpp"
#include "l2sec/ike/ike_crypto.hpp"
#include "l2sec/ike/isakmp.hpp"

namespace l2sec::ike {

// ---- phase 1
Transform phase1_transform(const Phase1Proposal& p, std::uint64_t life_s, std::uint8_t number = 1);
struct Phase1Offer {
  Phase1Proposal suite;
  std::uint16_t auth = 0;
  std::uint64_t life_s = 0;  // 0: none offered
  std::string why;           // set when the transform is not usable
};
Phase1Offer read_phase1_transform(const Transform& t);

// ---- quick mode
struct EspOffer {
  EspProposal suite;
  std::uint16_t mode = p2::kModeTransport;
  std::uint16_t group = 0;   // PFS group, 0 none
  std::uint64_t life_s = 0;  // 0: none offered
  std::uint64_t life_kb = 0;
  std::string why;  // set when the transform is not usable
};
EspOffer read_esp_transform(const Transform& t);
Transform esp_transform(const EspOffer& o, std::uint8_t number = 1);
std::size_t esp_keymat_len(const EspProposal& p);

// ---- hashes (RFC 2409 5 and 5.5)
Bytes hash_i(const Phase1Keys& k, ByteView gxi, ByteView gxr, const Cookie& ci, const Cookie& cr,
             ByteView sai_b, ByteView idii_b);
Bytes hash_r(const Phase1Keys& k, ByteView gxi, ByteView gxr, const Cookie& ci, const Cookie& cr,
             ByteView sai_b, ByteView idir_b);
// HASH(1)/HASH(2)/informational: prf(SKEYID_a, M-ID [| Ni_b] | payloads after the HASH payload).
Bytes exchange_hash(const Phase1Keys& k, std::uint32_t mid, ByteView nonce_i, ByteView rest);
// HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b).
Bytes qm_hash3(const Phase1Keys& k, std::uint32_t mid, ByteView ni, ByteView nr);

// The whole encrypted message: header (E flag set) + ciphertext of the payload bytes.
Bytes seal(Header h, PayloadType first, ByteView payloads, const Phase1Cipher& c, Bytes& iv);
// A HASH payload followed by an already-built chain, as raw payload bytes.
Bytes hash_then(ByteView hash_value, const PayloadChain& rest);

// Decrypts (with a copy of iv: the caller commits new_iv only once the message authenticated)
// and parses an encrypted message.
struct Opened {
  Message msg;
  Bytes body;    // plaintext, padding included
  Bytes new_iv;  // the IV after this message
};
std::optional<Opened> open_message(ByteView datagram, const Header& h, const Phase1Cipher& c,
                                   const Bytes& iv, ParseError* error);

// The bytes of a decrypted body from the end of the first payload (a HASH) to the end of the last
// payload: what HASH(1), HASH(2) and informational hashes cover.
ByteView after_first_payload(const Opened& o);

}  // namespace l2sec::ike
