// What the IKE responder of one virtual router accepts: keys, proposals, NAT-T, limits, timers.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "l2sec/ike/ike_crypto.hpp"
#include "lm_regs.hpp"

namespace l2sec::ike {

// A phase-1 suite (authentication is by preshared key; RSA signatures come later).
struct Phase1Proposal {
  lm::Cipher cipher = lm::Cipher::kAesCbc128;
  HashAlg hash = HashAlg::kSha1;
  std::uint16_t group = 14;
  friend bool operator==(const Phase1Proposal&, const Phase1Proposal&) = default;
};
std::string to_string(const Phase1Proposal& p);  // "aes128-sha1-modp2048"

// An ESP suite for Quick Mode.
struct EspProposal {
  lm::Cipher cipher = lm::Cipher::kAesCbc128;
  lm::Integ integ = lm::Integ::kHmacSha1;
  friend bool operator==(const EspProposal&, const EspProposal&) = default;
};
std::string to_string(const EspProposal& p);  // "aes128-sha1"

// Every combination real L2TP/IPsec clients send (Windows, macOS/iOS, Android, strongSwan).
std::vector<Phase1Proposal> default_phase1_proposals();
std::vector<EspProposal> default_esp_proposals();

struct IkeConfig {
  // Group preshared keys, bound to the local address the client targets.
  std::map<std::uint32_t, std::string> group_psk;
  // Per-peer preshared keys by the peer's (NAT-mapped) address; these win over group keys.
  std::map<std::uint32_t, std::string> peer_psk;

  std::vector<Phase1Proposal> ike_proposals = default_phase1_proposals();
  std::vector<EspProposal> esp_proposals = default_esp_proposals();
  std::vector<std::uint16_t> pfs_groups = {2, 14, 19, 20};  // accepted when the client asks

  bool nat_t = true;             // `ipsec option nat-t`; a change affects only new IKE SAs
  bool aggressive_mode = false;  // Aggressive Mode is refused unless set (not implemented yet)

  // Lifetimes: what we accept at most. Longer offers are shortened (RESPONDER-LIFETIME in QM).
  std::uint64_t ike_lifetime_max_s = 86400;
  std::uint64_t child_lifetime_max_s = 28800;
  std::uint64_t child_lifetime_max_kb = 0;  // 0: no limit
  unsigned soft_lifetime_percent = 90;      // soft expiry at this share of the hard lifetime

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
