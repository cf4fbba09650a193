// What the IKE responder of one virtual router accepts: keys, proposals, NAT-T, limits, timers.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "l2sec/ike/ike_crypto.hpp"
#include "l2sec/ike/x509.hpp"
#include "lm_regs.hpp"

namespace l2sec::ike {

// How phase 1 authenticates (RFC 2409 5: preshared key, or RSA signatures with certificates).
enum class AuthMethod : std::uint8_t { kPsk, kRsaSig };
std::string_view to_string(AuthMethod a);

// A phase-1 suite.
struct Phase1Proposal {
  lm::Cipher cipher = lm::Cipher::kAesCbc128;
  HashAlg hash = HashAlg::kSha1;
  std::uint16_t group = 14;
  AuthMethod auth = AuthMethod::kPsk;
  friend bool operator==(const Phase1Proposal&, const Phase1Proposal&) = default;
};
std::string to_string(const Phase1Proposal& p);  // "aes128-sha1-modp2048" (+ "-rsasig")

// An ESP suite for Quick Mode.
struct EspProposal {
  lm::Cipher cipher = lm::Cipher::kAesCbc128;
  lm::Integ integ = lm::Integ::kHmacSha1;
  // HMAC-SHA-256 truncated to 96 bits (Android's "sha256-96", old Linux kernels): a local choice
  // of how the SA is installed, the same on the wire, so equality ignores it.
  bool sha256_96 = false;
  friend bool operator==(const EspProposal& a, const EspProposal& b) {
    return a.cipher == b.cipher && a.integ == b.integ;
  }
  lm::IcvLen icv_len() const {
    return integ == lm::Integ::kHmacSha256 && !sha256_96 ? lm::IcvLen::kIcv128 : lm::IcvLen::kIcv96;
  }
};
std::string to_string(const EspProposal& p);  // "aes128-sha1", "aes256-sha256-96"

// Every combination real L2TP/IPsec clients send (Windows, macOS/iOS, Android, strongSwan).
std::vector<Phase1Proposal> default_phase1_proposals();
std::vector<EspProposal> default_esp_proposals();

struct IkeConfig {
  // Group preshared keys, bound to the local address the client targets.
  std::map<std::uint32_t, std::string> group_psk;
  // Per-peer preshared keys by the peer's (NAT-mapped) address; these win over group keys. The
  // key of address 0 (`ipsec key manual pre-share 0.0.0.0`) is the wildcard: any peer without its
  // own key, before the group keys (the JUNOSe order).
  std::map<std::uint32_t, std::string> peer_psk;

  // RSA signatures (`ipsec ca-certificate`, `ipsec certificate ... private-key ...`): the CAs
  // client certificates must chain to, and our own certificate (sent in CERT) and its key.
  std::vector<Certificate> ca_certs;
  std::optional<Certificate> certificate;
  std::optional<PrivateKey> private_key;
  bool has_credentials() const { return !ca_certs.empty() && certificate && private_key; }

  std::vector<Phase1Proposal> ike_proposals = default_phase1_proposals();
  std::vector<EspProposal> esp_proposals = default_esp_proposals();
  std::vector<std::uint16_t> pfs_groups = {2, 14, 19, 20};  // accepted when the client asks

  bool nat_t = true;             // `ipsec option nat-t`; a change affects only new IKE SAs
  bool aggressive_mode = false;  // `ipsec option aggressive-mode`: refused unless set (PSK only)

  // Lifetimes: what we accept at most. Longer offers are shortened (RESPONDER-LIFETIME in QM).
  std::uint64_t ike_lifetime_max_s = 86400;
  std::uint64_t child_lifetime_max_s = 28800;
  std::uint64_t child_lifetime_max_kb = 0;  // 0: no limit
  unsigned soft_lifetime_percent = 90;      // soft expiry at this share of the hard lifetime
  bool rekey = true;  // on a soft expiry, rekey the pair ourselves (Quick Mode as initiator)
  // A pair replaced by a rekey is deleted once the new one carries traffic, or after this long.
  std::chrono::seconds rekey_grace{10};

  // DPD: 0 = only answer R-U-THERE; otherwise probe an idle peer after this long.
  std::chrono::seconds dpd_interval{0};
  unsigned dpd_retries = 3;

  std::size_t max_half_open = 1024;   // IKE SAs in Main Mode at once
  std::size_t max_ike_per_peer = 64;  // IKE SAs per peer address (many clients share a NAT)
  std::chrono::seconds half_open_timeout{30};
  std::chrono::seconds retransmit_interval{2};
  unsigned retransmit_count = 3;
};

}  // namespace l2sec::ike
