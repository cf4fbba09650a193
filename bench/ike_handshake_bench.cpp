// IKEv1 responder handshakes per second (Main Mode with a preshared key + one Quick Mode for L2TP,
// SAs installed into the software back end), against the bound Diffie-Hellman sets.
//
// A load generator of our own (ike::Initiator, one per simulated client address) runs against the
// Responder over an in-process link, one handshake at a time. Printed per suite, medians of runs:
//   - handshakes/s of the responder alone (time inside the responder and its back end),
//   - the bound: handshakes/s if the responder did nothing but its Diffie-Hellman work on OpenSSL
//     (one key pair and one shared secret per handshake, one more of each with PFS), timed in the
//     same run,
//   - the ratio of the two, which is also the share of the responder's time spent in
//     Diffie-Hellman: what is left for everything else (parsing, hashing, encryption, state).
//
//   l2sec-ike-bench [--handshakes N] [--runs R] [--quick]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "l2sec/ike/ike_crypto.hpp"
#include "l2sec/ike/initiator.hpp"
#include "l2sec/ike/responder.hpp"
#include "l2sec/ipsec/frame_port.hpp"
#include "l2sec/ipsec/soft_backend.hpp"
#include "l2sec/log.hpp"

namespace {

using namespace l2sec;
using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kGateway = 0xc6120002;      // 198.18.0.2
constexpr std::uint32_t kFirstClient = 0xc6120100;  // 198.18.1.0 + i
const std::string kPsk = "bench-group-key";

struct Suite {
  const char* name;
  ike::Phase1Proposal p1;
  ike::EspProposal esp;
  std::uint16_t pfs;
};

struct Result {
  double responder_per_s = 0;
  double dh_share = 0;
  double bound_per_s = 0;
};

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// The Diffie-Hellman work one responder handshake does, on OpenSSL through ike::DiffieHellman.
Clock::duration dh_work(std::uint16_t group, int pairs) {
  const auto peer = ike::DiffieHellman::create(group);
  const auto t0 = Clock::now();
  for (int i = 0; i < pairs; ++i) {
    const auto mine = ike::DiffieHellman::create(group);
    const auto secret = mine->shared_secret(peer->public_value());
    if (!secret) std::abort();
  }
  return Clock::now() - t0;
}

Result run(const Suite& s, int handshakes) {
  auto [gw_end, client_end] = ipsec::make_memory_link();
  ipsec::SoftBackend gw_backend(std::move(gw_end));
  ipsec::SoftBackend client_backend(std::move(client_end));
  ike::IkeConfig cfg;
  cfg.group_psk[kGateway] = kPsk;
  cfg.ike_proposals = {s.p1};
  cfg.esp_proposals = {s.esp};
  cfg.max_ike_per_peer = static_cast<std::size_t>(handshakes) + 1;
  ike::Responder responder(cfg, gw_backend);

  Clock::duration in_responder{};
  auto now = Clock::now();
  for (int i = 0; i < handshakes; ++i) {
    ike::InitiatorConfig ic;
    ic.local = {kFirstClient + static_cast<std::uint32_t>(i), 500};
    ic.remote = {kGateway, 500};
    ic.psk = kPsk;
    ic.ike = s.p1;
    ic.esp = s.esp;
    ic.pfs_group = s.pfs;
    ic.nat_t = false;
    ic.handle = static_cast<ipsec::SaHandle>(i + 1);
    ike::Initiator init(ic, client_backend);
    init.start(now);
    for (int round = 0; round < 100 && init.state() != ike::InitiatorState::kDone &&
                        init.state() != ike::InitiatorState::kFailed;
         ++round) {
      const auto t0 = Clock::now();
      while (auto pkt = gw_backend.receive()) responder.on_packet(*pkt, now);
      in_responder += Clock::now() - t0;
      while (auto pkt = client_backend.receive()) init.on_packet(*pkt, now);
    }
    {  // QM3: the responder installs its SAs
      const auto t0 = Clock::now();
      while (auto pkt = gw_backend.receive()) responder.on_packet(*pkt, now);
      in_responder += Clock::now() - t0;
    }
    if (init.state() != ike::InitiatorState::kDone) {
      std::fprintf(stderr, "ike-bench: %s: handshake %d failed: %s\n", s.name, i,
                   init.error().c_str());
      std::exit(1);
    }
    now += std::chrono::milliseconds(1);
  }
  if (responder.counters().children_installed != static_cast<std::uint64_t>(handshakes)) {
    std::fprintf(stderr, "ike-bench: %s: %llu child SAs installed for %d handshakes\n", s.name,
                 static_cast<unsigned long long>(responder.counters().children_installed),
                 handshakes);
    std::exit(1);
  }
  const int pairs = handshakes * (s.pfs != 0 ? 2 : 1);
  const double dh = seconds(dh_work(s.p1.group, pairs));
  const double resp = seconds(in_responder);
  Result r;
  r.responder_per_s = handshakes / resp;
  r.dh_share = dh / resp;
  r.bound_per_s = handshakes / dh;
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int handshakes = 200, runs = 5;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) {
      handshakes = 10;
      runs = 1;
    } else if (!std::strcmp(argv[i], "--handshakes") && i + 1 < argc) {
      handshakes = std::stoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) {
      runs = std::stoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: l2sec-ike-bench [--handshakes N] [--runs R] [--quick]\n");
      return 2;
    }
  }
  log::set_level(log::Level::kWarning);
  const Suite suites[] = {
      {"aes128-sha1-modp2048",
       {lm::Cipher::kAesCbc128, ike::HashAlg::kSha1, 14},
       {lm::Cipher::kAesCbc128, lm::Integ::kHmacSha1},
       0},
      {"aes256-sha256-modp2048",
       {lm::Cipher::kAesCbc256, ike::HashAlg::kSha256, 14},
       {lm::Cipher::kAesCbc256, lm::Integ::kHmacSha256},
       0},
      {"3des-sha1-modp1024",
       {lm::Cipher::kDes3Cbc, ike::HashAlg::kSha1, 2},
       {lm::Cipher::kDes3Cbc, lm::Integ::kHmacSha1},
       0},
      {"aes128-sha256-ecp256+pfs",
       {lm::Cipher::kAesCbc128, ike::HashAlg::kSha256, 19},
       {lm::Cipher::kAesCbc128, lm::Integ::kHmacSha256},
       19},
  };
  std::printf(
      "IKEv1 responder, Main Mode (PSK) + Quick Mode, %d handshakes per run, median of %d "
      "run(s), one core\n",
      handshakes, runs);
  std::printf("%-26s %14s %16s %22s\n", "suite", "handshakes/s", "DH bound (hs/s)",
              "ratio = share in DH");
  for (const auto& s : suites) {
    std::vector<double> rate, share, bound;
    for (int r = 0; r < runs; ++r) {
      const auto res = run(s, handshakes);
      rate.push_back(res.responder_per_s);
      share.push_back(res.dh_share);
      bound.push_back(res.bound_per_s);
    }
    std::printf("%-26s %14.0f %16.0f %22.2f\n", s.name, median(rate), median(bound), median(share));
  }
  return 0;
}
