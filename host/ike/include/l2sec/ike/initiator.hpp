// A small IKEv1 initiator: Main Mode (PSK) then one Quick Mode for L2TP, with NAT-T. The two-peer
// exchange tests drive the Responder with it, and it is meant as the handshake benchmark's load
// generator. It speaks through an ipsec::Backend like the responder (send_ike, add_sa).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "l2sec/ike/config.hpp"
#include "l2sec/ike/ike_crypto.hpp"
#include "l2sec/ike/isakmp.hpp"
#include "l2sec/ike/x509.hpp"
#include "l2sec/ipsec/backend.hpp"

namespace l2sec::ike {

struct InitiatorConfig {
  ipsec::Endpoint local;   // our address as we know it (port 500), before any NAT
  ipsec::Endpoint remote;  // the responder (port 500)
  std::string psk;
  Phase1Proposal ike;                 // ike.auth kRsaSig: certificates below instead of psk
  std::vector<Certificate> ca_certs;  // what the responder's certificate must chain to
  std::optional<Certificate> certificate;
  std::optional<PrivateKey> private_key;
  std::optional<IdPayload> id;  // our phase-1 ID (default: our address, or the subject DN)
  bool send_certreq = true;     // ask for the responder's certificate in MM3
  bool certreq_in_mm5 = false;  // ask in MM5 instead, as strongSwan does
  bool aggressive = false;      // Aggressive Mode (PSK) instead of Main Mode
  bool answer_rekeys = true;    // answer Quick Modes the responder starts (its rekeys)
  EspProposal esp;
  std::uint16_t pfs_group = 0;  // 0: no PFS
  bool nat_t = true;
  bool rfc3947 = true;  // announce RFC 3947 (and the drafts); false: draft-02 only
  bool initial_contact = true;
  std::uint16_t lac_port = 1701;  // IDci port; 0 means any
  std::uint64_t ike_life_s = 28800;
  std::uint64_t child_life_s = 3600;
  std::uint64_t child_life_kb = 0;
  ipsec::SaHandle handle = 1;  // what our own SAs are installed with
  std::chrono::seconds retransmit_interval{2};
  unsigned retransmit_count = 3;
};

enum class InitiatorState : std::uint8_t {
  kIdle,
  kMm1Sent,
  kMm3Sent,
  kMm5Sent,
  kAm1Sent,
  kQm1Sent,
  kDone,    // MM and QM complete, SAs installed
  kFailed,  // see error()
};

struct InitiatorCounters {
  std::uint64_t tx = 0;
  std::uint64_t rx = 0;
  std::uint64_t retransmits = 0;
  std::uint64_t dropped = 0;  // unparsable or unexpected responses
  std::uint64_t auth_failed = 0;
  std::uint64_t notifies = 0;
  std::uint64_t dpd_acks = 0;
  std::uint64_t peer_rekeys = 0;  // Quick Modes the responder started, completed by us
  std::uint64_t deletes = 0;      // ESP SAs the responder deleted
};

class Initiator {
 public:
  Initiator(InitiatorConfig config, ipsec::Backend& backend);
  ~Initiator();

  void start(ipsec::Clock::time_point now);
  void on_packet(const ipsec::HostPacket& pkt, ipsec::Clock::time_point now);
  void tick(ipsec::Clock::time_point now);

  // After kDone: an informational exchange on the IKE SA.
  void send_dpd();
  // Deletes our inbound SA spi (0: the current one) towards the responder.
  void send_delete_child(std::uint32_t spi = 0);
  // After kDone: a new Quick Mode on the same IKE SA for the same selectors (a client rekey).
  bool rekey_child(ipsec::Clock::time_point now);
  void send_delete_ike();
  void set_answer_rekeys(bool on) { config_.answer_rekeys = on; }
  // After kDone: an encrypted message on the IKE SA whose first payload is a HASH(1) over the
  // given payload bytes (as QM1 and informational messages have it). Tests and the fuzz target use
  // it to reach the code behind the responder's authentication with arbitrary payloads.
  Bytes protect(ExchangeType exchange, std::uint32_t message_id, PayloadType first,
                ByteView payloads) const;

  InitiatorState state() const { return state_; }
  const std::string& error() const { return error_; }
  const InitiatorCounters& counters() const { return counters_; }
  bool nat_detected() const;
  const Cookie& icookie() const;
  const Cookie& rcookie() const;
  std::uint32_t spi_in() const;
  std::uint32_t spi_out() const;
  // The endpoint the initiator currently sends from (port 4500 after the float).
  ipsec::Endpoint local() const;

 private:
  struct State;
  void fail(std::string why);
  void send(Bytes msg);
  void send_info(const PayloadChain& chain);
  void handle_mm2(const Message& m);
  void handle_mm4(const Message& m);
  void handle_mm6(const ipsec::HostPacket& pkt, const Header& h);
  void handle_am2(const Message& m);
  bool derive_keys(ByteView gxr);
  Bytes our_id() const;
  void start_quick_mode();
  void handle_qm2(const ipsec::HostPacket& pkt, const Header& h);
  void handle_info(const ipsec::HostPacket& pkt, const Header& h);
  // Quick Mode started by the responder (its rekey): we answer as the QM responder.
  void handle_peer_qm(const ipsec::HostPacket& pkt, const Header& h);
  std::string install_pair(std::uint32_t spi_in, std::uint32_t spi_out, ByteView ni, ByteView nr,
                           const Secret& gxy, std::uint64_t life_s, std::uint64_t life_kb);

  InitiatorConfig config_;
  ipsec::Backend& backend_;
  std::unique_ptr<State> s_;
  InitiatorState state_ = InitiatorState::kIdle;
  std::string error_;
  InitiatorCounters counters_;
};

}  // namespace l2sec::ike
