// The IKEv1 responder of one virtual router: Main Mode with preshared keys, NAT-T (RFC 3947 and
// the drafts), Quick Mode for L2TP transport-mode ESP SAs, informational exchanges (DELETE, DPD,
// INITIAL-CONTACT). Packets come in through on_packet(), leave and SAs are installed through the
// ipsec::Backend; nothing here touches a socket.
//
// Each exchange is a task with process (request in) and build (response out); the wire encoding is
// isakmp.hpp, the shared crypto and hashes protocol.hpp.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "l2sec/ike/config.hpp"
#include "l2sec/ike/ike_crypto.hpp"
#include "l2sec/ike/isakmp.hpp"
#include "l2sec/ike/protocol.hpp"
#include "l2sec/ike/x509.hpp"
#include "l2sec/ipsec/backend.hpp"

namespace l2sec::ike {

using ipsec::Clock;
using ipsec::Endpoint;
using ipsec::SaHandle;

enum class IkeState : std::uint8_t {
  kMmSaSent,  // MM2 sent, waiting for MM3
  kMmKeSent,  // MM4 sent, waiting for MM5
  kAmSent,    // Aggressive Mode: AM2 sent, waiting for AM3
  kEstablished,
};
std::string_view to_string(IkeState s);

// What NAT-T negotiated for an IKE SA.
enum class NatTMethod : std::uint8_t { kNone, kDraft02, kDraft03, kRfc3947 };
std::string_view to_string(NatTMethod m);

struct ChildInfo {
  SaHandle handle = ipsec::kNoHandle;
  Endpoint local;  // our address and port (500 or 4500 for ESP in UDP)
  Endpoint peer;   // the peer as the NAT shows it
  std::uint32_t spi_in = 0;
  std::uint32_t spi_out = 0;
  EspProposal suite;
  lm::Encap encap = lm::Encap::kNone;
  std::uint32_t peer_inner_addr = 0;  // NAT-OAi or the ID: the client's own address
  std::uint16_t lac_port = 0;         // the client's L2TP source port, 0 when any
  ipsec::Lifetime hard;
  Clock::time_point installed;
  Cookie icookie{};  // the IKE SA it was negotiated on
  Cookie rcookie{};
};

struct IkeSaInfo {
  Cookie icookie{};
  Cookie rcookie{};
  IkeState state = IkeState::kMmSaSent;
  Endpoint local;
  Endpoint peer;
  Phase1Proposal suite;
  NatTMethod nat_t = NatTMethod::kNone;
  bool nat_local = false;  // we are behind a NAT (our NAT-D did not match)
  bool nat_peer = false;   // the peer is behind a NAT
  bool group_psk = false;
  bool dpd = false;
  AuthMethod auth = AuthMethod::kPsk;
  bool certreq = false;  // the peer asked for our certificate
  std::string peer_id;   // printable ID payload (the subject DN with certificates)
  Clock::time_point created;
  std::uint64_t lifetime_s = 0;
  std::size_t children = 0;
};

// One counter per outcome, for show commands and tests.
struct ResponderCounters {
  std::uint64_t rx_packets = 0;
  std::uint64_t tx_packets = 0;
  std::array<std::uint64_t, kParseErrorCount> parse_errors{};
  std::uint64_t wrong_class = 0;   // not kIke / kIkeNatt
  std::uint64_t unknown_sa = 0;    // cookies we do not know
  std::uint64_t unexpected = 0;    // a message the SA's state does not expect
  std::uint64_t bad_payloads = 0;  // a payload missing, repeated or inconsistent
  std::uint64_t retransmits_answered = 0;
  std::uint64_t no_proposal = 0;
  std::uint64_t no_psk = 0;
  std::uint64_t bad_ke = 0;
  std::uint64_t decrypt_failed = 0;  // MM5 would not decrypt or parse: wrong PSK, usually
  std::uint64_t auth_failed = 0;     // HASH_I or SIG_I wrong
  std::uint64_t cert_refused = 0;    // no certificate, or it does not verify against our CAs
  std::uint64_t id_mismatch = 0;     // the ID payload does not name the certificate
  std::uint64_t hash_failed = 0;     // QM/informational HASH wrong
  std::uint64_t aggressive_refused = 0;
  std::uint64_t half_open_limit = 0;
  std::uint64_t peer_limit = 0;
  std::uint64_t ike_established = 0;
  std::uint64_t ike_deleted = 0;
  std::uint64_t half_open_expired = 0;
  std::uint64_t selectors_refused = 0;
  std::uint64_t children_installed = 0;
  std::uint64_t children_deleted = 0;
  std::uint64_t install_failed = 0;
  std::uint64_t dpd_requests = 0;  // R-U-THERE answered
  std::uint64_t dpd_sent = 0;
  std::uint64_t dpd_dead = 0;
  std::uint64_t initial_contact = 0;
  std::uint64_t deletes_received = 0;
  std::uint64_t nat_detected = 0;
  std::uint64_t peer_moved = 0;
  std::uint64_t qm_retransmits = 0;
  std::uint64_t qm_expired = 0;
  std::uint64_t qm_limit = 0;        // too many Quick Modes pending on one IKE SA
  std::uint64_t rekeys_started = 0;  // our own Quick Modes on a soft expiry
  std::uint64_t rekeys_done = 0;
  std::uint64_t rekeys_failed = 0;     // refused by the peer, or no answer
  std::uint64_t children_retired = 0;  // replaced pairs deleted after a rekey
  std::uint64_t ike_expired = 0;       // IKE SAs deleted at their lifetime (children kept)
  std::uint64_t children_adopted = 0;  // children of an expired IKE SA taken over by a new one
  std::uint64_t replays = 0;           // an authenticated informational with an M-ID seen before
};

class Responder {
 public:
  Responder(IkeConfig config, ipsec::Backend& backend);
  ~Responder();
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  // An IKE message (pkt_class kIke on 500 or kIkeNatt on 4500, marker already removed).
  void on_packet(const ipsec::HostPacket& pkt, Clock::time_point now);
  void on_event(const ipsec::Event& ev, Clock::time_point now);
  // Retransmissions, half-open expiry, DPD, IKE SA expiry. Call about once a second.
  void tick(Clock::time_point now);

  // Replaces the configuration; established and half-open SAs keep what they negotiated.
  void set_config(IkeConfig config);
  const IkeConfig& config() const { return config_; }

  std::function<void(const ChildInfo&)> on_child_up;
  std::function<void(SaHandle)> on_child_down;

  // Deletes every SA pair of the handle (DELETE to the peer, SAs removed from the back end); false
  // when none exists. The LNS calls it when a single-shot tunnel closes.
  bool delete_child_sa(SaHandle handle, std::string_view why);
  // The same on the next tick(): safe to call from inside the LNS (its single-shot release_sa).
  bool release_child_sa(SaHandle handle);

  std::vector<IkeSaInfo> ike_sas() const;
  std::vector<ChildInfo> child_sas() const;
  const ResponderCounters& counters() const { return counters_; }
  std::size_t half_open() const;

 private:
  struct IkeSa;
  struct QuickMode;
  struct Child;
  using SaKey = std::pair<Cookie, Cookie>;

  void process_main_mode(IkeSa* sa, const ipsec::HostPacket& pkt, const Header& h,
                         Clock::time_point now);
  void process_mm1(const ipsec::HostPacket& pkt, const Header& h, Clock::time_point now);
  // A retransmitted first message (MM1, AM1) for a half-open SA in `state`: answered again (or
  // dropped when it differs); false when it is new.
  bool answer_again(const ipsec::HostPacket& pkt, const Header& h, IkeState state,
                    std::string_view what);
  bool admit_new_sa(const ipsec::HostPacket& pkt, std::string_view what);  // half-open, per peer
  // The transform we accept from the initiator's one ISAKMP proposal; NO-PROPOSAL-CHOSEN when none.
  std::optional<std::pair<const Transform*, Phase1Offer>> choose_phase1(
      const Proposal& prop, bool aggressive, const ipsec::HostPacket& pkt, const Header& h);
  std::unique_ptr<IkeSa> new_ike_sa(const ipsec::HostPacket& pkt, const Header& h,
                                    const Phase1Offer& offer, ByteView sai_b, const Message& m,
                                    Clock::time_point now);
  void process_mm3(IkeSa& sa, const ipsec::HostPacket& pkt, const Message& m,
                   Clock::time_point now);
  void process_mm5(IkeSa& sa, const ipsec::HostPacket& pkt, const Header& h, Clock::time_point now);
  // MM5 with RSA signatures: the certificate, the ID against it, SIG_I; MM6 payloads on success.
  bool authenticate_sig(IkeSa& sa, const ipsec::HostPacket& pkt, const Message& m,
                        const IdPayload& id, ByteView idii_b);
  std::optional<std::string> choose_psk(const ipsec::HostPacket& pkt, bool* group);
  void process_am1(const ipsec::HostPacket& pkt, const Header& h, Clock::time_point now);
  void process_am3(IkeSa& sa, const ipsec::HostPacket& pkt, const Header& h, Clock::time_point now);
  void process_quick_mode(IkeSa& sa, const ipsec::HostPacket& pkt, const Header& h,
                          Clock::time_point now);
  void process_qm1(IkeSa& sa, const ipsec::HostPacket& pkt, const Header& h, Clock::time_point now);
  void process_qm3(IkeSa& sa, QuickMode& qm, const ipsec::HostPacket& pkt, const Header& h,
                   Clock::time_point now);
  void install_child(IkeSa& sa, QuickMode& qm, SaHandle handle, Clock::time_point now);
  // Our own rekey: a Quick Mode as initiator on the child's IKE SA for the same selectors.
  bool start_rekey(std::uint32_t child_spi_out, Clock::time_point now);
  void process_qm2(IkeSa& sa, QuickMode& qm, const ipsec::HostPacket& pkt, const Header& h,
                   Clock::time_point now);
  void process_informational(IkeSa& sa, const ipsec::HostPacket& pkt, const Header& h,
                             Clock::time_point now);

  void send(IkeSa& sa, Bytes msg, bool remember);
  void send_informational(IkeSa& sa, const PayloadChain& payloads);
  void send_clear_notify(const ipsec::HostPacket& pkt, const Header& h, NotifyType type);
  void follow_peer(IkeSa& sa, const ipsec::HostPacket& pkt);
  bool remember_mid(IkeSa& sa, std::uint32_t mid);
  void initial_contact(IkeSa& sa);
  void delete_ike_sa(const SaKey& key, bool notify_peer, std::string_view why,
                     bool keep_children = false);
  void adopt_children(IkeSa& sa, bool initial_contact);
  void delete_child(std::uint32_t spi_out, bool notify_peer, std::string_view why);
  bool remove_child_sas(Child& c, bool notify_peer);
  void bad(std::string_view what, const ipsec::HostPacket& pkt);
  void parse_failed(ParseError e, const ipsec::HostPacket& pkt, std::string_view where);
  ChildInfo info(const Child& c) const;
  IkeSa* find_sa(const Cookie& ci, const Cookie& cr);
  std::size_t sas_of_peer(std::uint32_t addr) const;

  IkeConfig config_;
  ipsec::Backend& backend_;
  std::map<SaKey, std::unique_ptr<IkeSa>> sas_;
  std::map<std::uint32_t, std::unique_ptr<Child>> children_;  // by outbound SPI
  SaHandle next_handle_ = 1;
  ResponderCounters counters_;
};

}  // namespace l2sec::ike
