#include "l2sec/ike/responder.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <deque>
#include <sstream>

#include "l2sec/golden/ipv4.hpp"
#include "l2sec/ike/protocol.hpp"
#include "l2sec/log.hpp"

namespace l2sec::ike {

namespace {

constexpr std::size_t kNonceLen = 32;
constexpr std::size_t kMaxDoneMids = 64;            // completed Quick Modes remembered per IKE SA
constexpr std::size_t kMaxPendingQuickModes = 16;   // Quick Modes waiting for QM3 per IKE SA
constexpr std::uint64_t kDefaultChildLife = 28800;  // RFC 2407 4.5
constexpr std::uint64_t kDefaultIkeLife = 28800;    // RFC 2407 4.5 as well

std::string id_text(const IdPayload& id) {
  if (auto a = id.ipv4()) return ipv4_to_string(*a);
  if (id.type == kIdDerAsn1Dn) {
    std::string dn = dn_text(id.data);
    if (!dn.empty()) return dn;
  }
  if (id.type == kIdFqdn || id.type == kIdUserFqdn || id.type == kIdKeyId) {
    std::string s;
    for (auto c : id.data) s.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '.');
    return s;
  }
  return "id" + std::to_string(id.type) + ":" + to_hex(id.data);
}

bool is_vid(const Payload& p, const std::array<std::uint8_t, 16>& v) {
  return p.body.size() == v.size() && std::equal(v.begin(), v.end(), p.body.begin());
}

std::uint32_t spi32(ByteView b) { return b.size() == 4 ? load_be32(b.data()) : 0; }

Bytes spi_bytes(std::uint32_t spi) {
  Bytes b(4);
  store_be32(b.data(), spi);
  return b;
}

Bytes cookies(const Cookie& ci, const Cookie& cr) {
  Bytes b(ci.begin(), ci.end());
  b.insert(b.end(), cr.begin(), cr.end());
  return b;
}

PayloadType nat_d_type(NatTMethod m) {
  return m == NatTMethod::kRfc3947 ? PayloadType::kNatD : PayloadType::kNatDDraft;
}
PayloadType nat_oa_type(NatTMethod m) {
  return m == NatTMethod::kRfc3947 ? PayloadType::kNatOa : PayloadType::kNatOaDraft;
}

}  // namespace

std::string_view to_string(IkeState s) {
  switch (s) {
    case IkeState::kMmSaSent:
      return "MM_SA_SENT";
    case IkeState::kMmKeSent:
      return "MM_KE_SENT";
    case IkeState::kAmSent:
      return "AM_SENT";
    case IkeState::kEstablished:
      return "ESTABLISHED";
  }
  return "?";
}

std::string_view to_string(NatTMethod m) {
  switch (m) {
    case NatTMethod::kNone:
      return "none";
    case NatTMethod::kDraft02:
      return "draft-02";
    case NatTMethod::kDraft03:
      return "draft-03";
    case NatTMethod::kRfc3947:
      return "RFC 3947";
  }
  return "?";
}

struct Responder::QuickMode {
  std::uint32_t mid = 0;
  bool ours = false;  // we initiated it (our rekey): ni is ours, nr the peer's
  SaHandle rekey_handle = ipsec::kNoHandle;
  std::unique_ptr<DiffieHellman> dh;  // ours with PFS: our private value
  Bytes iv;
  Bytes ni;
  Bytes nr;
  Secret gxy;
  std::uint32_t spi_in = 0;
  std::uint32_t spi_out = 0;
  EspOffer offer;
  bool l2tp = false;
  std::uint32_t peer_inner = 0;
  std::uint16_t lac_port = 0;
  std::optional<std::uint32_t> natoa_peer;
  std::optional<std::uint32_t> natoa_local;
  Bytes last_request;
  Bytes last_response;
  Clock::time_point sent;
  unsigned retransmits = 0;
};

struct Responder::IkeSa {
  Cookie ci{};
  Cookie cr{};
  IkeState state = IkeState::kMmSaSent;
  Endpoint local;
  Endpoint peer;
  Phase1Proposal suite;
  std::uint64_t life_s = 0;
  NatTMethod nat_t = NatTMethod::kNone;
  bool nat_local = false;
  bool nat_peer = false;
  bool group_psk = false;
  bool dpd = false;
  bool certreq = false;
  Bytes sai_b;
  Bytes idii_b;  // Aggressive Mode: the initiator's ID from AM1, for HASH_I
  Bytes gxi;
  Bytes gxr;
  Bytes ni;
  Bytes nr;
  std::unique_ptr<DiffieHellman> dh;
  Secret gxy;
  Secret psk;
  Phase1Keys keys;
  Phase1Cipher cipher;
  Bytes iv;
  Bytes p1_last;
  IdPayload peer_id;
  Bytes last_request;
  Bytes last_response;
  Clock::time_point created;
  Clock::time_point last_seen;
  std::map<std::uint32_t, std::unique_ptr<QuickMode>> qms;
  std::set<std::uint32_t> done_mids;
  std::deque<std::uint32_t> done_order;  // done_mids is bounded: the oldest go first
  // Our rekeys: QM2 received and the QM3 we answered, so a retransmitted QM2 (our QM3 lost) gets
  // the same QM3 again (the peer installs its SAs only on QM3). The last few only.
  std::map<std::uint32_t, std::pair<Bytes, Bytes>> our_qm3;
  std::uint32_t dpd_seq = 0;
  unsigned dpd_outstanding = 0;
  Clock::time_point dpd_sent;

  bool behind_nat() const { return nat_t != NatTMethod::kNone && (nat_local || nat_peer); }
  SaKey key() const { return {ci, cr}; }
};

struct Responder::Child {
  ChildInfo info;
  bool l2tp = false;
  std::uint16_t pfs_group = 0;                 // what it was negotiated with (our rekey repeats it)
  std::optional<Clock::time_point> retire_at;  // replaced by a rekey: deleted then at the latest
  std::uint32_t successor_spi_in = 0;          // the replacing pair's inbound SA
  bool release = false;                        // single-shot: delete on the next tick
};

Responder::Responder(IkeConfig config, ipsec::Backend& backend)
    : config_(std::move(config)), backend_(backend) {}

Responder::~Responder() = default;

void Responder::set_config(IkeConfig config) { config_ = std::move(config); }

std::size_t Responder::half_open() const {
  return static_cast<std::size_t>(std::count_if(sas_.begin(), sas_.end(), [](const auto& kv) {
    return kv.second->state != IkeState::kEstablished;
  }));
}

std::size_t Responder::sas_of_peer(std::uint32_t addr) const {
  return static_cast<std::size_t>(std::count_if(
      sas_.begin(), sas_.end(), [&](const auto& kv) { return kv.second->peer.addr == addr; }));
}

Responder::IkeSa* Responder::find_sa(const Cookie& ci, const Cookie& cr) {
  auto it = sas_.find({ci, cr});
  return it == sas_.end() ? nullptr : it->second.get();
}

void Responder::bad(std::string_view what, const ipsec::HostPacket& pkt) {
  ++counters_.bad_payloads;
  log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": " << what << ", dropped";
}

void Responder::parse_failed(ParseError e, const ipsec::HostPacket& pkt, std::string_view where) {
  ++counters_.parse_errors[static_cast<std::size_t>(e)];
  log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": " << where << ": "
                      << to_string(e) << ", dropped";
}

void Responder::send(IkeSa& sa, Bytes msg, bool remember) {
  ++counters_.tx_packets;
  auto st = backend_.send_ike(sa.local, sa.peer, msg);
  if (!st) log::warning("ike") << "send to " << ipsec::to_string(sa.peer) << ": " << st.error;
  if (remember) sa.last_response = std::move(msg);
}

void Responder::send_clear_notify(const ipsec::HostPacket& pkt, const Header& req,
                                  NotifyType type) {
  NotifyPayload n;
  n.protocol = kProtoIsakmp;
  n.spi = cookies(req.icookie, req.rcookie);
  n.type = static_cast<std::uint16_t>(type);
  PayloadChain chain;
  chain.add(PayloadType::kNotify, encode_notify(n));
  Header h;
  h.icookie = req.icookie;
  h.rcookie = req.rcookie;
  h.exchange = ExchangeType::kInformational;
  ++counters_.tx_packets;
  (void)backend_.send_ike(pkt.local, pkt.peer, assemble(h, chain));
}

void Responder::send_informational(IkeSa& sa, const PayloadChain& payloads) {
  std::uint32_t mid = 0;
  while (mid == 0) {
    std::uint8_t r[4];
    golden::random_bytes(r);
    mid = load_be32(r);
  }
  const Bytes h1 = exchange_hash(sa.keys, mid, {}, payloads.bytes());
  const Bytes body = hash_then(h1, payloads);
  Header h;
  h.icookie = sa.ci;
  h.rcookie = sa.cr;
  h.exchange = ExchangeType::kInformational;
  h.message_id = mid;
  Bytes iv = exchange_iv(sa.keys.hash, sa.p1_last, mid, sa.cipher.block_len());
  send(sa, seal(h, PayloadType::kHash, body, sa.cipher, iv), false);
}

void Responder::on_packet(const ipsec::HostPacket& pkt, Clock::time_point now) {
  ++counters_.rx_packets;
  if (pkt.pkt_class != lm::PktClass::kIke && pkt.pkt_class != lm::PktClass::kIkeNatt) {
    ++counters_.wrong_class;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": packet class "
                        << lm::to_string(pkt.pkt_class) << " is not IKE, dropped";
    return;
  }
  ParseError err = ParseError::kNone;
  auto h = parse_header(pkt.payload, &err);
  if (!h) return parse_failed(err, pkt, "header");

  const bool zero_rcookie =
      std::all_of(h->rcookie.begin(), h->rcookie.end(), [](auto b) { return b == 0; });
  switch (h->exchange) {
    case ExchangeType::kIdentityProtection: {
      if (zero_rcookie) return process_mm1(pkt, *h, now);
      IkeSa* sa = find_sa(h->icookie, h->rcookie);
      if (!sa) break;
      return process_main_mode(sa, pkt, *h, now);
    }
    case ExchangeType::kAggressive: {
      if (config_.aggressive_mode) {
        if (zero_rcookie) return process_am1(pkt, *h, now);
        IkeSa* sa = find_sa(h->icookie, h->rcookie);
        if (!sa) break;
        return process_am3(*sa, pkt, *h, now);
      }
      ++counters_.aggressive_refused;
      log::notice("ike") << "from " << ipsec::to_string(pkt.peer)
                         << ": Aggressive Mode refused (not enabled)";
      if (zero_rcookie) send_clear_notify(pkt, *h, NotifyType::kInvalidExchangeType);
      return;
    }
    case ExchangeType::kQuickMode: {
      IkeSa* sa = find_sa(h->icookie, h->rcookie);
      if (!sa) break;
      return process_quick_mode(*sa, pkt, *h, now);
    }
    case ExchangeType::kInformational: {
      IkeSa* sa = find_sa(h->icookie, h->rcookie);
      if (!sa) break;
      return process_informational(*sa, pkt, *h, now);
    }
    default:
      ++counters_.unexpected;
      log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": exchange type "
                          << static_cast<int>(h->exchange) << " not supported, dropped";
      return;
  }
  ++counters_.unknown_sa;
  log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": " << to_string(h->exchange)
                      << " for unknown IKE SA " << to_hex(h->icookie) << "/" << to_hex(h->rcookie)
                      << ", dropped";
}

bool Responder::answer_again(const ipsec::HostPacket& pkt, const Header& h, IkeState state,
                             std::string_view what) {
  for (auto& [key, sa] : sas_) {
    if (sa->ci == h.icookie && sa->peer == pkt.peer && sa->state == state) {
      if (sa->last_request == pkt.payload) {
        ++counters_.retransmits_answered;
        send(*sa, sa->last_response, false);
      } else {
        ++counters_.unexpected;
        log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": a different " << what
                            << " for a known initiator cookie, dropped";
      }
      return true;
    }
  }
  return false;
}

bool Responder::admit_new_sa(const ipsec::HostPacket& pkt, std::string_view what) {
  if (half_open() >= config_.max_half_open) {
    ++counters_.half_open_limit;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": half-open limit "
                        << config_.max_half_open << " reached, " << what << " dropped";
    return false;
  }
  if (sas_of_peer(pkt.peer.addr) >= config_.max_ike_per_peer) {
    ++counters_.peer_limit;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": per-peer limit "
                        << config_.max_ike_per_peer << " reached, " << what << " dropped";
    return false;
  }
  return true;
}

std::optional<std::pair<const Transform*, Phase1Offer>> Responder::choose_phase1(
    const Proposal& prop, bool aggressive, const ipsec::HostPacket& pkt, const Header& h) {
  // The first transform (in the initiator's order) we accept.
  std::string reasons;
  for (const auto& t : prop.transforms) {
    Phase1Offer o = read_phase1_transform(t);
    if (o.why.empty() && aggressive && o.auth != p1::kAuthPsk) {
      o.why = "auth method " + std::to_string(o.auth) + " (Aggressive Mode: preshared keys only)";
    }
    if (o.why.empty() && o.auth != p1::kAuthPsk && o.auth != p1::kAuthRsaSig) {
      o.why = "auth method " + std::to_string(o.auth);
    }
    if (o.why.empty() && o.suite.auth == AuthMethod::kRsaSig && !config_.has_credentials()) {
      o.why = "RSA signatures without a configured CA and certificate";
    }
    if (o.why.empty() && (!DiffieHellman::supported(o.suite.group) ||
                          std::find(config_.ike_proposals.begin(), config_.ike_proposals.end(),
                                    o.suite) == config_.ike_proposals.end())) {
      o.why = to_string(o.suite) + " not configured";
    }
    if (o.why.empty()) return std::pair{&t, o};
    if (reasons.size() < 400) reasons += (reasons.empty() ? "" : "; ") + o.why;
  }
  ++counters_.no_proposal;
  log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": no acceptable "
                      << (aggressive ? "Aggressive Mode" : "phase-1") << " proposal (" << reasons
                      << ")";
  send_clear_notify(pkt, h, NotifyType::kNoProposalChosen);
  return std::nullopt;
}

std::unique_ptr<Responder::IkeSa> Responder::new_ike_sa(const ipsec::HostPacket& pkt,
                                                        const Header& h, const Phase1Offer& offer,
                                                        ByteView sai_b, const Message& m,
                                                        Clock::time_point now) {
  auto sa = std::make_unique<IkeSa>();
  sa->ci = h.icookie;
  do {
    golden::random_bytes(sa->cr);
  } while (sas_.count({sa->ci, sa->cr}));
  sa->local = pkt.local;
  sa->peer = pkt.peer;
  sa->suite = offer.suite;
  sa->life_s = std::min(offer.life_s ? offer.life_s : kDefaultIkeLife, config_.ike_lifetime_max_s);
  sa->sai_b.assign(sai_b.begin(), sai_b.end());
  sa->created = now;
  sa->last_seen = now;
  // Vendor IDs: DPD, and the NAT-T method (the newest one both sides know) unless switched off.
  for (const Payload* v : m.find_all(PayloadType::kVendorId)) {
    if (is_vid(*v, vid::kDpd)) sa->dpd = true;
    if (!config_.nat_t) continue;
    NatTMethod found = NatTMethod::kNone;
    if (is_vid(*v, vid::kNatTRfc3947)) found = NatTMethod::kRfc3947;
    if (is_vid(*v, vid::kNatTDraft03)) found = NatTMethod::kDraft03;
    if (is_vid(*v, vid::kNatTDraft02) || is_vid(*v, vid::kNatTDraft02n)) {
      found = NatTMethod::kDraft02;
    }
    sa->nat_t = std::max(sa->nat_t, found);
  }
  return sa;
}

void Responder::process_mm1(const ipsec::HostPacket& pkt, const Header& h, Clock::time_point now) {
  if (answer_again(pkt, h, IkeState::kMmSaSent, "MM1")) return;
  ParseError err = ParseError::kNone;
  Message m;
  if (!parse_payloads(h.next, ByteView(pkt.payload).subspan(kHeaderLen), false, m, &err)) {
    return parse_failed(err, pkt, "MM1");
  }
  if (h.message_id != 0 || (h.flags & kFlagEncryption)) return bad("MM1 with M-ID or E flag", pkt);
  const auto sas = m.find_all(PayloadType::kSa);
  if (sas.size() != 1) return bad("MM1 without exactly one SA payload", pkt);
  auto sa_p = parse_sa(sas[0]->body, &err);
  if (!sa_p) return parse_failed(err, pkt, "MM1 SA");
  if (sa_p->situation != kSitIdentityOnly || sa_p->proposals.size() != 1 ||
      sa_p->proposals[0].protocol != kProtoIsakmp) {
    return bad("MM1 SA: not one ISAKMP proposal with SIT_IDENTITY_ONLY", pkt);
  }
  if (!admit_new_sa(pkt, "MM1")) return;
  const Proposal& prop = sa_p->proposals[0];
  const auto choice = choose_phase1(prop, false, pkt, h);
  if (!choice) return;
  const auto& [chosen, offer] = *choice;
  auto sa = new_ike_sa(pkt, h, offer, sas[0]->body, m, now);
  // MM2: the chosen transform as received, our vendor IDs.
  SaPayload reply;
  reply.doi = sa_p->doi;
  reply.situation = sa_p->situation;
  Proposal rp;
  rp.number = prop.number;
  rp.protocol = kProtoIsakmp;
  rp.transforms.push_back(*chosen);
  reply.proposals.push_back(std::move(rp));
  PayloadChain chain;
  chain.add(PayloadType::kSa, encode_sa(reply));
  if (sa->nat_t == NatTMethod::kRfc3947) chain.add(PayloadType::kVendorId, vid::kNatTRfc3947);
  if (sa->nat_t == NatTMethod::kDraft03) chain.add(PayloadType::kVendorId, vid::kNatTDraft03);
  if (sa->nat_t == NatTMethod::kDraft02) chain.add(PayloadType::kVendorId, vid::kNatTDraft02);
  chain.add(PayloadType::kVendorId, vid::kDpd);
  Header rh = h;
  rh.rcookie = sa->cr;
  rh.flags = 0;
  sa->last_request = pkt.payload;
  log::info("ike") << "MM1 from " << ipsec::to_string(pkt.peer) << ": " << to_string(offer.suite)
                   << ", NAT-T " << to_string(sa->nat_t);
  IkeSa& ref = *sa;
  sas_[sa->key()] = std::move(sa);
  send(ref, assemble(rh, chain), true);
}

void Responder::process_am1(const ipsec::HostPacket& pkt, const Header& h, Clock::time_point now) {
  if (answer_again(pkt, h, IkeState::kAmSent, "AM1")) return;  // the same AM2 again
  ParseError err = ParseError::kNone;
  Message m;
  m.header = h;
  if (!parse_payloads(h.next, ByteView(pkt.payload).subspan(kHeaderLen), false, m, &err)) {
    return parse_failed(err, pkt, "AM1");
  }
  if (h.message_id != 0 || (h.flags & kFlagEncryption)) return bad("AM1 with M-ID or E flag", pkt);
  const auto sas = m.find_all(PayloadType::kSa);
  const auto kes = m.find_all(PayloadType::kKe);
  const auto nonces = m.find_all(PayloadType::kNonce);
  const auto ids = m.find_all(PayloadType::kId);
  if (sas.size() != 1 || kes.size() != 1 || nonces.size() != 1 || ids.size() != 1) {
    return bad("AM1 without one SA, KE, NONCE and ID", pkt);
  }
  if (nonces[0]->body.size() > 256) return bad("AM1 nonce longer than 256 bytes", pkt);
  auto sa_p = parse_sa(sas[0]->body, &err);
  if (!sa_p) return parse_failed(err, pkt, "AM1 SA");
  auto id = parse_id(ids[0]->body, &err);
  if (!id) return parse_failed(err, pkt, "AM1 ID");
  if (sa_p->situation != kSitIdentityOnly || sa_p->proposals.size() != 1 ||
      sa_p->proposals[0].protocol != kProtoIsakmp) {
    return bad("AM1 SA: not one ISAKMP proposal with SIT_IDENTITY_ONLY", pkt);
  }
  if (!admit_new_sa(pkt, "AM1")) return;
  const Proposal& prop = sa_p->proposals[0];
  const auto choice = choose_phase1(prop, true, pkt, h);
  if (!choice) return;
  const auto& [chosen, offer] = *choice;
  auto dh = DiffieHellman::create(offer.suite.group);
  std::optional<Secret> gxy;
  if (dh) gxy = dh->shared_secret(kes[0]->body);
  if (!gxy) {
    ++counters_.bad_ke;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": invalid AM1 KE for group "
                        << offer.suite.group << ", dropped";
    return;
  }
  bool group = false;
  auto psk = choose_psk(pkt, &group);
  if (!psk) return;
  auto sa = new_ike_sa(pkt, h, offer, sas[0]->body, m, now);
  sa->state = IkeState::kAmSent;
  sa->idii_b = ids[0]->body;
  sa->peer_id = *id;
  sa->gxy = std::move(*gxy);
  sa->gxi = kes[0]->body;
  sa->gxr = dh->public_value();
  sa->ni = nonces[0]->body;
  sa->nr.resize(kNonceLen);
  golden::random_bytes(sa->nr);
  sa->psk = Secret(Bytes(psk->begin(), psk->end()));
  OPENSSL_cleanse(psk->data(), psk->size());
  sa->group_psk = group;
  sa->keys = derive_phase1_psk(sa->suite.hash, sa->suite.cipher, sa->psk.view(), sa->ni, sa->nr,
                               sa->gxy.view(), sa->gxi, sa->gxr, sa->ci, sa->cr);
  sa->psk.clear();
  auto cipher = Phase1Cipher::create(sa->suite.cipher, sa->keys.enc_key.view());
  if (!cipher) return bad("phase-1 cipher setup failed", pkt);
  sa->cipher = std::move(*cipher);
  sa->iv = sa->keys.iv0;
  // AM2: SA, KE, Nr, IDir, HASH_R, vendor IDs, NAT-D (the peer as we see it, then us).
  SaPayload reply;
  reply.doi = sa_p->doi;
  reply.situation = sa_p->situation;
  Proposal rp;
  rp.number = prop.number;
  rp.protocol = kProtoIsakmp;
  rp.transforms.push_back(*chosen);
  reply.proposals.push_back(std::move(rp));
  const Bytes idir_b =
      encode_id(IdPayload::from_ipv4(sa->local.addr, id->protocol, id->protocol ? id->port : 0));
  PayloadChain chain;
  chain.add(PayloadType::kSa, encode_sa(reply));
  chain.add(PayloadType::kKe, sa->gxr);
  chain.add(PayloadType::kNonce, sa->nr);
  chain.add(PayloadType::kId, idir_b);
  chain.add(PayloadType::kHash,
            hash_r(sa->keys, sa->gxi, sa->gxr, sa->ci, sa->cr, sa->sai_b, idir_b));
  if (sa->nat_t == NatTMethod::kRfc3947) chain.add(PayloadType::kVendorId, vid::kNatTRfc3947);
  if (sa->nat_t == NatTMethod::kDraft03) chain.add(PayloadType::kVendorId, vid::kNatTDraft03);
  if (sa->nat_t == NatTMethod::kDraft02) chain.add(PayloadType::kVendorId, vid::kNatTDraft02);
  chain.add(PayloadType::kVendorId, vid::kDpd);
  if (sa->nat_t != NatTMethod::kNone) {
    chain.add(nat_d_type(sa->nat_t),
              nat_d_hash(sa->suite.hash, sa->ci, sa->cr, pkt.peer.addr, pkt.peer.port));
    chain.add(nat_d_type(sa->nat_t),
              nat_d_hash(sa->suite.hash, sa->ci, sa->cr, pkt.local.addr, pkt.local.port));
  }
  Header rh = h;
  rh.rcookie = sa->cr;
  rh.flags = 0;
  sa->last_request = pkt.payload;
  log::info("ike") << "AM1 from " << ipsec::to_string(pkt.peer) << " (" << id_text(*id)
                   << "): " << to_string(offer.suite) << ", NAT-T " << to_string(sa->nat_t);
  IkeSa& ref = *sa;
  sas_[sa->key()] = std::move(sa);
  send(ref, assemble(rh, chain), true);
}

void Responder::process_am3(IkeSa& sa, const ipsec::HostPacket& pkt, const Header& h,
                            Clock::time_point now) {
  if (pkt.payload == sa.last_request) {
    ++counters_.retransmits_answered;
    if (sa.state == IkeState::kAmSent && !sa.last_response.empty()) {
      send(sa, sa.last_response, false);
    }
    return;
  }
  if (sa.state != IkeState::kAmSent) {
    ++counters_.unexpected;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer)
                        << ": Aggressive Mode message in state " << to_string(sa.state)
                        << ", dropped";
    return;
  }
  ParseError err = ParseError::kNone;
  Message m;
  Bytes new_iv = sa.iv;
  if (h.flags & kFlagEncryption) {
    auto o = open_message(pkt.payload, h, sa.cipher, sa.iv, &err);
    if (!o) {
      ++counters_.decrypt_failed;
      log::warning("ike") << "from " << ipsec::to_string(pkt.peer)
                          << ": AM3 does not decrypt to valid payloads (" << to_string(err)
                          << "), dropped";
      return;
    }
    m = std::move(o->msg);
    new_iv = o->new_iv;
  } else {
    m.header = h;
    if (!parse_payloads(h.next, ByteView(pkt.payload).subspan(kHeaderLen), false, m, &err)) {
      return parse_failed(err, pkt, "AM3");
    }
  }
  const auto hashes = m.find_all(PayloadType::kHash);
  if (hashes.size() != 1) return bad("AM3 without one HASH", pkt);
  if (hashes[0]->body != hash_i(sa.keys, sa.gxi, sa.gxr, sa.ci, sa.cr, sa.sai_b, sa.idii_b)) {
    ++counters_.auth_failed;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": AM3 HASH_I of "
                        << id_text(sa.peer_id) << " does not verify (wrong preshared key), dropped";
    return;
  }
  // NAT-D (RFC 3947 3.2): the hashes may name the addresses of AM1 or, after a float, these.
  if (sa.nat_t != NatTMethod::kNone) {
    const auto natd = m.find_all(nat_d_type(sa.nat_t));
    if (natd.size() < 2) return bad("AM3 with NAT-T but fewer than two NAT-D payloads", pkt);
    auto matches = [&](const Payload* p, const Endpoint& a, const Endpoint& b) {
      return p->body == nat_d_hash(sa.suite.hash, sa.ci, sa.cr, a.addr, a.port) ||
             p->body == nat_d_hash(sa.suite.hash, sa.ci, sa.cr, b.addr, b.port);
    };
    sa.nat_local = !matches(natd[0], sa.local, pkt.local);
    sa.nat_peer = std::none_of(natd.begin() + 1, natd.end(),
                               [&](const Payload* p) { return matches(p, sa.peer, pkt.peer); });
    if (sa.behind_nat()) {
      ++counters_.nat_detected;
      log::info("ike") << "NAT detected for " << ipsec::to_string(pkt.peer);
    }
  }
  sa.iv = new_iv;
  sa.p1_last = sa.iv;
  follow_peer(sa, pkt);
  bool contact = false;
  for (const Payload* n : m.find_all(PayloadType::kNotify)) {
    auto np = parse_notify(n->body, nullptr);
    if (np && np->type == static_cast<std::uint16_t>(NotifyType::kInitialContact)) contact = true;
  }
  sa.last_request = pkt.payload;
  sa.last_response.clear();
  sa.last_seen = now;
  sa.state = IkeState::kEstablished;
  sa.dh.reset();
  ++counters_.ike_established;
  log::info("ike") << "IKE SA " << to_hex(sa.ci) << " established (Aggressive Mode) with "
                   << id_text(sa.peer_id) << " at " << ipsec::to_string(sa.peer) << " ("
                   << to_string(sa.suite) << (sa.group_psk ? ", group key" : "") << ", NAT-T "
                   << to_string(sa.nat_t) << (sa.behind_nat() ? ", behind NAT" : "") << ")";
  adopt_children(sa, contact);
  if (contact) initial_contact(sa);
}

void Responder::process_main_mode(IkeSa* sa, const ipsec::HostPacket& pkt, const Header& h,
                                  Clock::time_point now) {
  if (pkt.payload == sa->last_request) {
    ++counters_.retransmits_answered;
    log::debug("ike") << "retransmitted Main Mode request from " << ipsec::to_string(pkt.peer);
    if (!sa->last_response.empty()) send(*sa, sa->last_response, false);
    return;
  }
  if (sa->state == IkeState::kMmSaSent && !(h.flags & kFlagEncryption)) {
    ParseError err = ParseError::kNone;
    Message m;
    m.header = h;
    if (!parse_payloads(h.next, ByteView(pkt.payload).subspan(kHeaderLen), false, m, &err)) {
      return parse_failed(err, pkt, "MM3");
    }
    return process_mm3(*sa, pkt, m, now);
  }
  if (sa->state == IkeState::kMmKeSent && (h.flags & kFlagEncryption)) {
    return process_mm5(*sa, pkt, h, now);
  }
  ++counters_.unexpected;
  log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": Main Mode message in state "
                      << to_string(sa->state) << ", dropped";
}

void Responder::process_mm3(IkeSa& sa, const ipsec::HostPacket& pkt, const Message& m,
                            Clock::time_point now) {
  const auto kes = m.find_all(PayloadType::kKe);
  const auto nonces = m.find_all(PayloadType::kNonce);
  if (kes.size() != 1 || nonces.size() != 1) return bad("MM3 without one KE and one NONCE", pkt);
  if (nonces[0]->body.size() > 256) return bad("MM3 nonce longer than 256 bytes", pkt);
  if (pkt.peer != sa.peer || pkt.local != sa.local) return bad("MM3 from a different address", pkt);
  auto dh = DiffieHellman::create(sa.suite.group);
  if (!dh) return bad("DH group unavailable", pkt);
  auto gxy = dh->shared_secret(kes[0]->body);
  if (!gxy) {
    ++counters_.bad_ke;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": invalid KE for group "
                        << sa.suite.group << " (" << kes[0]->body.size() << " bytes), dropped";
    return;
  }
  const bool rsa = sa.suite.auth == AuthMethod::kRsaSig;
  std::optional<std::string> psk;
  bool group = false;
  if (!rsa) {
    psk = choose_psk(pkt, &group);
    if (!psk) {
      delete_ike_sa(sa.key(), false, "no preshared key");
      return;
    }
  }
  // NAT-D (RFC 3947 3.2): the first is our address as the peer sent to it, the rest the peer's.
  const auto natd = m.find_all(nat_d_type(sa.nat_t));
  bool nat_local = false, nat_peer = false;
  if (sa.nat_t != NatTMethod::kNone) {
    if (natd.size() < 2) return bad("MM3 with NAT-T but fewer than two NAT-D payloads", pkt);
    const Bytes ours = nat_d_hash(sa.suite.hash, sa.ci, sa.cr, pkt.local.addr, pkt.local.port);
    const Bytes theirs = nat_d_hash(sa.suite.hash, sa.ci, sa.cr, pkt.peer.addr, pkt.peer.port);
    nat_local = natd[0]->body != ours;
    nat_peer = std::none_of(natd.begin() + 1, natd.end(),
                            [&](const Payload* p) { return p->body == theirs; });
  }
  sa.dh = std::move(dh);
  sa.gxy = std::move(*gxy);
  sa.gxi = kes[0]->body;
  sa.gxr = sa.dh->public_value();
  sa.ni = nonces[0]->body;
  sa.nr.resize(kNonceLen);
  golden::random_bytes(sa.nr);
  sa.group_psk = group;
  sa.nat_local = nat_local;
  sa.nat_peer = nat_peer;
  sa.certreq = !m.find_all(PayloadType::kCertReq).empty();
  if (rsa) {
    sa.keys = derive_phase1_sig(sa.suite.hash, sa.suite.cipher, sa.ni, sa.nr, sa.gxy.view(), sa.gxi,
                                sa.gxr, sa.ci, sa.cr);
  } else {
    sa.psk = Secret(Bytes(psk->begin(), psk->end()));
    OPENSSL_cleanse(psk->data(), psk->size());
    sa.keys = derive_phase1_psk(sa.suite.hash, sa.suite.cipher, sa.psk.view(), sa.ni, sa.nr,
                                sa.gxy.view(), sa.gxi, sa.gxr, sa.ci, sa.cr);
  }
  auto cipher = Phase1Cipher::create(sa.suite.cipher, sa.keys.enc_key.view());
  if (!cipher) return bad("phase-1 cipher setup failed", pkt);
  sa.cipher = std::move(*cipher);
  sa.iv = sa.keys.iv0;
  sa.dh.reset();  // the private value is no longer needed
  if (sa.behind_nat()) {
    ++counters_.nat_detected;
    log::info("ike") << "NAT detected for " << ipsec::to_string(pkt.peer)
                     << (nat_peer ? " (peer behind NAT)" : "")
                     << (nat_local ? " (we are behind NAT)" : "");
  }
  PayloadChain chain;
  chain.add(PayloadType::kKe, sa.gxr);
  chain.add(PayloadType::kNonce, sa.nr);
  if (rsa) {  // CERTREQ: the CAs we accept client certificates from
    for (const auto& ca : config_.ca_certs) {
      chain.add(PayloadType::kCertReq, encode_cert({kCertX509Signature, ca.subject_der()}));
    }
  }
  if (sa.nat_t != NatTMethod::kNone) {
    chain.add(nat_d_type(sa.nat_t),
              nat_d_hash(sa.suite.hash, sa.ci, sa.cr, pkt.peer.addr, pkt.peer.port));
    chain.add(nat_d_type(sa.nat_t),
              nat_d_hash(sa.suite.hash, sa.ci, sa.cr, pkt.local.addr, pkt.local.port));
  }
  Header rh = m.header;
  rh.flags = 0;
  sa.last_request = pkt.payload;
  sa.last_seen = now;
  sa.state = IkeState::kMmKeSent;
  send(sa, assemble(rh, chain), true);
}

void Responder::follow_peer(IkeSa& sa, const ipsec::HostPacket& pkt) {
  if (pkt.local == sa.local && pkt.peer == sa.peer) return;
  log::info("ike") << "IKE SA " << to_hex(sa.ci) << ": peer " << ipsec::to_string(sa.peer) << " -> "
                   << ipsec::to_string(pkt.peer) << " (local " << ipsec::to_string(pkt.local)
                   << ")";
  const bool peer_changed = pkt.peer != sa.peer;
  sa.local = pkt.local;
  sa.peer = pkt.peer;
  if (!peer_changed) return;
  ++counters_.peer_moved;
  for (auto& [spi, c] : children_) {
    if (c->info.icookie != sa.ci || c->info.rcookie != sa.cr) continue;
    if (c->info.encap != lm::Encap::kUdp) continue;
    c->info.peer = pkt.peer;
    auto st = backend_.update_peer(c->info.handle, pkt.peer);
    if (!st) log::warning("ike") << "update_peer " << c->info.handle << ": " << st.error;
  }
}

void Responder::process_mm5(IkeSa& sa, const ipsec::HostPacket& pkt, const Header& h,
                            Clock::time_point now) {
  ParseError err = ParseError::kNone;
  auto o = open_message(pkt.payload, h, sa.cipher, sa.iv, &err);
  if (!o) {
    ++counters_.decrypt_failed;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer)
                        << ": MM5 does not decrypt to valid payloads (" << to_string(err)
                        << "; preshared key mismatch?), dropped";
    return;
  }
  const bool rsa = sa.suite.auth == AuthMethod::kRsaSig;
  const auto ids = o->msg.find_all(PayloadType::kId);
  const auto hashes = o->msg.find_all(rsa ? PayloadType::kSig : PayloadType::kHash);
  if (rsa && (ids.size() != 1 || hashes.size() != 1)) {
    ++counters_.bad_payloads;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer)
                        << ": MM5 without one ID and one SIG, dropped";
    return;
  }
  if (ids.size() != 1 || hashes.size() != 1) {
    ++counters_.decrypt_failed;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer)
                        << ": MM5 without one ID and one HASH (preshared key mismatch?), dropped";
    return;
  }
  auto id = parse_id(ids[0]->body, &err);
  if (!id) return parse_failed(err, pkt, "MM5 ID");
  if (rsa && !authenticate_sig(sa, pkt, o->msg, *id, ids[0]->body)) return;
  const Bytes expect = hash_i(sa.keys, sa.gxi, sa.gxr, sa.ci, sa.cr, sa.sai_b, ids[0]->body);
  if (!rsa && expect != hashes[0]->body) {
    ++counters_.auth_failed;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": HASH_I of " << id_text(*id)
                        << " does not verify (wrong preshared key), dropped";
    return;
  }
  // Authenticated: commit the IV, follow a float to 4500. strongSwan sends its CERTREQ here,
  // in MM5, rather than in MM3.
  if (!o->msg.find_all(PayloadType::kCertReq).empty()) sa.certreq = true;
  sa.iv = o->new_iv;
  follow_peer(sa, pkt);
  sa.peer_id = *id;
  bool contact = false;
  for (const Payload* n : o->msg.find_all(PayloadType::kNotify)) {
    auto np = parse_notify(n->body, nullptr);
    if (np && np->type == static_cast<std::uint16_t>(NotifyType::kInitialContact)) contact = true;
  }
  // MM6: our ID (protocol/port mirrored from the peer's), HASH_R; with signatures our subject
  // DN, our certificate when the peer asked for it, and SIG_R.
  IdPayload our_id = IdPayload::from_ipv4(sa.local.addr, id->protocol, id->protocol ? id->port : 0);
  if (rsa) {
    our_id.type = kIdDerAsn1Dn;
    our_id.data = config_.certificate->subject_der();
  }
  const Bytes idir_b = encode_id(our_id);
  const Bytes hr = hash_r(sa.keys, sa.gxi, sa.gxr, sa.ci, sa.cr, sa.sai_b, idir_b);
  PayloadChain chain;
  chain.add(PayloadType::kId, idir_b);
  if (rsa) {
    if (sa.certreq) {
      chain.add(PayloadType::kCert, encode_cert({kCertX509Signature, config_.certificate->der()}));
    }
    const Bytes sig = config_.private_key->sign_ike(hr);
    if (sig.empty()) {
      ++counters_.auth_failed;
      log::error("ike") << "signing SIG_R with our private key failed, IKE SA dropped";
      delete_ike_sa(sa.key(), false, "signing failed");
      return;
    }
    chain.add(PayloadType::kSig, sig);
  } else {
    chain.add(PayloadType::kHash, hr);
  }
  Header rh = h;
  rh.flags = kFlagEncryption;
  Bytes msg = seal(rh, chain.first(), chain.bytes(), sa.cipher, sa.iv);
  sa.p1_last = sa.iv;
  sa.last_request = pkt.payload;
  sa.last_seen = now;
  sa.state = IkeState::kEstablished;
  sa.psk.clear();
  ++counters_.ike_established;
  log::info("ike") << "IKE SA " << to_hex(sa.ci) << " established with " << id_text(*id) << " at "
                   << ipsec::to_string(sa.peer) << " (" << to_string(sa.suite)
                   << (sa.group_psk ? ", group key" : "") << (rsa ? ", RSA signature" : "")
                   << ", NAT-T " << to_string(sa.nat_t) << (sa.behind_nat() ? ", behind NAT" : "")
                   << ")";
  send(sa, std::move(msg), true);
  adopt_children(sa, contact);
  if (contact) initial_contact(sa);
}

std::optional<std::string> Responder::choose_psk(const ipsec::HostPacket& pkt, bool* group) {
  // Per-peer first, then the wildcard peer 0.0.0.0, then the group key of the address the client
  // targeted (the JUNOSe order).
  *group = false;
  if (auto it = config_.peer_psk.find(pkt.peer.addr); it != config_.peer_psk.end()) {
    return it->second;
  }
  if (auto it = config_.peer_psk.find(0); it != config_.peer_psk.end()) return it->second;
  if (auto g = config_.group_psk.find(pkt.local.addr); g != config_.group_psk.end()) {
    *group = true;
    return g->second;
  }
  ++counters_.no_psk;
  log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": no preshared key for peer "
                      << ipv4_to_string(pkt.peer.addr) << " or local address "
                      << ipv4_to_string(pkt.local.addr) << ", IKE SA dropped";
  return std::nullopt;
}

bool Responder::authenticate_sig(IkeSa& sa, const ipsec::HostPacket& pkt, const Message& m,
                                 const IdPayload& id, ByteView idii_b) {
  // The first X.509 certificate is the peer's own, any further ones intermediates.
  std::vector<Certificate> certs;
  for (const Payload* p : m.find_all(PayloadType::kCert)) {
    ParseError err = ParseError::kNone;
    auto c = parse_cert(p->body, &err);
    if (!c) {
      parse_failed(err, pkt, "MM5 CERT");
      return false;
    }
    if (c->encoding != kCertX509Signature) continue;
    auto x = Certificate::from_der(c->data);
    if (!x) {
      ++counters_.cert_refused;
      log::warning("ike") << "from " << ipsec::to_string(pkt.peer)
                          << ": MM5 CERT is not a DER X.509 certificate, dropped";
      return false;
    }
    certs.push_back(std::move(*x));
  }
  if (certs.empty()) {
    ++counters_.cert_refused;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": MM5 of " << id_text(id)
                        << " carries no X.509 certificate, dropped";
    return false;
  }
  const std::vector<Certificate> chain(certs.begin() + 1, certs.end());
  const std::string why = verify_certificate(certs[0], chain, config_.ca_certs);
  if (!why.empty()) {
    ++counters_.cert_refused;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": certificate "
                        << certs[0].subject_text() << " refused: " << why << ", dropped";
    return false;
  }
  if (!id_matches(certs[0], id)) {
    ++counters_.id_mismatch;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": ID " << id_text(id)
                        << " does not match certificate " << certs[0].subject_text() << ", dropped";
    return false;
  }
  const Bytes expect = hash_i(sa.keys, sa.gxi, sa.gxr, sa.ci, sa.cr, sa.sai_b, idii_b);
  if (!verify_ike_signature(certs[0], expect, m.find(PayloadType::kSig)->body)) {
    ++counters_.auth_failed;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": SIG_I of " << id_text(id)
                        << " does not verify, dropped";
    return false;
  }
  return true;
}

void Responder::adopt_children(IkeSa& sa, bool initial_contact) {
  // Children whose IKE SA expired (deleted at its lifetime) and that belong to this peer: the new
  // IKE SA takes them over, unless INITIAL-CONTACT says the peer has forgotten them.
  std::vector<std::uint32_t> stale;
  for (auto& [spi, c] : children_) {
    if (c->info.peer != sa.peer || find_sa(c->info.icookie, c->info.rcookie)) continue;
    if (initial_contact) {
      stale.push_back(spi);
      continue;
    }
    c->info.icookie = sa.ci;
    c->info.rcookie = sa.cr;
    ++counters_.children_adopted;
    log::info("ike") << "child SA " << c->info.handle << " now under IKE SA " << to_hex(sa.ci);
  }
  for (auto spi : stale) delete_child(spi, false, "INITIAL-CONTACT");
}

void Responder::initial_contact(IkeSa& sa) {
  ++counters_.initial_contact;
  std::vector<SaKey> old;
  for (const auto& [key, other] : sas_) {
    if (other.get() == &sa || other->state != IkeState::kEstablished) continue;
    if (other->peer_id != sa.peer_id || other->peer.addr != sa.peer.addr) continue;
    // Behind a NAT several clients share the address: only the same mapping is "the same peer".
    if (sa.nat_peer && other->peer.port != sa.peer.port) continue;
    old.push_back(key);
  }
  for (const auto& key : old) {
    // The old SAs' children go first (delete_ike_sa would hand them to this new SA).
    std::vector<std::uint32_t> stale;
    for (const auto& [spi, c] : children_) {
      if (c->info.icookie == key.first && c->info.rcookie == key.second) stale.push_back(spi);
    }
    for (auto spi : stale) delete_child(spi, false, "INITIAL-CONTACT");
    delete_ike_sa(key, false, "INITIAL-CONTACT");
  }
}

bool Responder::remember_mid(IkeSa& sa, std::uint32_t mid) {
  if (!sa.done_mids.insert(mid).second) return false;
  sa.done_order.push_back(mid);
  if (sa.done_order.size() > kMaxDoneMids) {
    sa.done_mids.erase(sa.done_order.front());
    sa.done_order.pop_front();
  }
  return true;
}

void Responder::process_quick_mode(IkeSa& sa, const ipsec::HostPacket& pkt, const Header& h,
                                   Clock::time_point now) {
  if (sa.state != IkeState::kEstablished || !(h.flags & kFlagEncryption) || h.message_id == 0) {
    ++counters_.unexpected;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer)
                        << ": Quick Mode before phase 1 completed, in clear or with M-ID 0";
    return;
  }
  if (auto it = sa.qms.find(h.message_id); it != sa.qms.end()) {
    QuickMode& qm = *it->second;
    if (qm.ours) return process_qm2(sa, qm, pkt, h, now);
    if (pkt.payload == qm.last_request) {
      ++counters_.retransmits_answered;
      send(sa, qm.last_response, false);
      return;
    }
    return process_qm3(sa, qm, pkt, h, now);
  }
  if (auto q3 = sa.our_qm3.find(h.message_id);
      q3 != sa.our_qm3.end() && q3->second.first == pkt.payload) {
    ++counters_.retransmits_answered;
    send(sa, q3->second.second, false);
    return;
  }
  if (sa.done_mids.count(h.message_id)) {
    ++counters_.unexpected;
    log::debug("ike") << "Quick Mode " << h.message_id << " already completed, dropped";
    return;
  }
  if (sa.qms.size() >= kMaxPendingQuickModes) {
    ++counters_.qm_limit;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": " << sa.qms.size()
                        << " Quick Modes already pending on this IKE SA, dropped";
    return;
  }
  process_qm1(sa, pkt, h, now);
}

void Responder::process_qm1(IkeSa& sa, const ipsec::HostPacket& pkt, const Header& h,
                            Clock::time_point now) {
  ParseError err = ParseError::kNone;
  auto qm = std::make_unique<QuickMode>();
  qm->mid = h.message_id;
  const Bytes iv = exchange_iv(sa.keys.hash, sa.p1_last, h.message_id, sa.cipher.block_len());
  auto o = open_message(pkt.payload, h, sa.cipher, iv, &err);
  if (!o) return parse_failed(err, pkt, "QM1");
  const Message& m = o->msg;
  if (m.payloads.empty() || m.payloads[0].type != PayloadType::kHash) {
    return bad("QM1 does not start with HASH", pkt);
  }
  if (exchange_hash(sa.keys, h.message_id, {}, after_first_payload(*o)) != m.payloads[0].body) {
    ++counters_.hash_failed;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": QM1 HASH(1) wrong, dropped";
    return;
  }
  // Authenticated from here on.
  follow_peer(sa, pkt);
  sa.last_seen = now;
  qm->iv = o->new_iv;
  const auto sas = m.find_all(PayloadType::kSa);
  const auto nonces = m.find_all(PayloadType::kNonce);
  const auto kes = m.find_all(PayloadType::kKe);
  const auto ids = m.find_all(PayloadType::kId);
  if (sas.size() != 1 || nonces.size() != 1 || kes.size() > 1 ||
      (ids.size() != 0 && ids.size() != 2)) {
    return bad("QM1 payloads: need one SA, one NONCE, at most one KE, zero or two IDs", pkt);
  }
  auto sa_p = parse_sa(sas[0]->body, &err);
  if (!sa_p) return parse_failed(err, pkt, "QM1 SA");
  // Selectors: L2TP is UDP to our port 1701, from any client port.
  std::optional<IdPayload> idci, idcr;
  if (ids.size() == 2) {
    idci = parse_id(ids[0]->body, &err);
    if (!idci) return parse_failed(err, pkt, "QM1 IDci");
    idcr = parse_id(ids[1]->body, &err);
    if (!idcr) return parse_failed(err, pkt, "QM1 IDcr");
  }
  const bool l2tp = idci && idcr && idci->type == kIdIpv4Addr && idcr->type == kIdIpv4Addr &&
                    idci->protocol == 17 && idcr->protocol == 17 &&
                    idcr->port == golden::kPortL2tp &&
                    (idcr->ipv4() == sa.local.addr || sa.nat_local);
  if (!l2tp && (sa.group_psk || ids.size() == 2)) {
    ++counters_.selectors_refused;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer)
                        << ": Quick Mode selectors are not L2TP (UDP to port 1701)"
                        << (sa.group_psk ? " under a group preshared key" : "") << ", refused";
    PayloadChain n;
    NotifyPayload np;
    np.protocol = kProtoEsp;
    np.type = static_cast<std::uint16_t>(NotifyType::kInvalidIdInformation);
    n.add(PayloadType::kNotify, encode_notify(np));
    send_informational(sa, n);
    return;
  }
  // NAT-OA: RFC 3947 sends NAT-OAi then NAT-OAr; the drafts only the sender's own address.
  const auto oas = m.find_all(nat_oa_type(sa.nat_t));
  if (sa.nat_t != NatTMethod::kNone) {
    if (oas.size() > 2) return bad("QM1 with more than two NAT-OA payloads", pkt);
    for (std::size_t i = 0; i < oas.size(); ++i) {
      auto oa = parse_nat_oa(oas[i]->body, &err);
      if (!oa) return parse_failed(err, pkt, "QM1 NAT-OA");
      (i == 0 ? qm->natoa_peer : qm->natoa_local) = oa->addr;
    }
  }
  const bool udp = sa.behind_nat();
  // Proposal selection: the first ESP transform we accept, in the initiator's order.
  const Proposal* chosen_p = nullptr;
  EspOffer offer;
  std::string reasons;
  for (const auto& p : sa_p->proposals) {
    if (p.protocol != kProtoEsp || p.spi.size() != 4) {
      reasons += "proposal " + std::to_string(p.number) + " not ESP; ";
      continue;
    }
    const auto same_number = std::count_if(sa_p->proposals.begin(), sa_p->proposals.end(),
                                           [&](const Proposal& q) { return q.number == p.number; });
    if (same_number > 1) {
      reasons += "ESP bundled with another protocol; ";
      continue;
    }
    for (const auto& t : p.transforms) {
      EspOffer e = read_esp_transform(t);
      if (e.why.empty()) {
        const bool want_udp =
            e.mode == p2::kModeUdpTransportRfc || e.mode == p2::kModeUdpTransportDraft;
        if (e.mode != p2::kModeTransport && !want_udp) {
          e.why = "encapsulation mode " + std::to_string(e.mode) + " (only transport)";
        } else if (want_udp != udp) {
          e.why = udp ? "plain transport behind NAT" : "UDP encapsulation without NAT";
        } else if (std::find(config_.esp_proposals.begin(), config_.esp_proposals.end(), e.suite) ==
                   config_.esp_proposals.end()) {
          e.why = to_string(e.suite) + " not configured";
        } else if (kes.empty() != (e.group == 0)) {
          e.why = "PFS group and KE disagree";
        } else if (e.group && std::find(config_.pfs_groups.begin(), config_.pfs_groups.end(),
                                        e.group) == config_.pfs_groups.end()) {
          e.why = "PFS group " + std::to_string(e.group) + " not accepted";
        } else if (e.group && !DiffieHellman::supported(e.group)) {
          e.why = "PFS group " + std::to_string(e.group) + " not supported";
        }
      }
      if (e.why.empty()) {
        chosen_p = &p;
        offer = e;
        // The ICV length is ours to choose (sha256-96): take it from the configured suite.
        offer.suite =
            *std::find(config_.esp_proposals.begin(), config_.esp_proposals.end(), e.suite);
        break;
      }
      if (reasons.size() < 400) reasons += e.why + "; ";
    }
    if (chosen_p) break;
  }
  if (!chosen_p) {
    ++counters_.no_proposal;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer)
                        << ": no acceptable Quick Mode proposal (" << reasons << ")";
    PayloadChain n;
    NotifyPayload np;
    np.protocol = kProtoEsp;
    np.type = static_cast<std::uint16_t>(NotifyType::kNoProposalChosen);
    n.add(PayloadType::kNotify, encode_notify(np));
    send_informational(sa, n);
    return;
  }
  // PFS.
  Bytes our_ke;
  if (offer.group) {
    auto dh = DiffieHellman::create(offer.group);
    std::optional<Secret> z;
    if (dh) z = dh->shared_secret(kes[0]->body);
    if (!z) {
      ++counters_.bad_ke;
      log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": invalid QM KE, dropped";
      return;
    }
    qm->gxy = std::move(*z);
    our_ke = dh->public_value();
  }
  // Lifetimes: shorten to what we allow; tell the peer when we did.
  const EspOffer asked = offer;
  if (offer.life_s == 0) offer.life_s = kDefaultChildLife;
  offer.life_s = std::min(offer.life_s, config_.child_lifetime_max_s);
  if (config_.child_lifetime_max_kb &&
      (offer.life_kb == 0 || offer.life_kb > config_.child_lifetime_max_kb)) {
    offer.life_kb = config_.child_lifetime_max_kb;
  }
  const bool shortened =
      (asked.life_s && offer.life_s != asked.life_s) || offer.life_kb != asked.life_kb;
  qm->offer = offer;
  qm->spi_out = spi32(chosen_p->spi);
  if (qm->spi_out < 256) return bad("QM1 proposal SPI below 256", pkt);
  qm->spi_in = backend_.allocate_spi();
  qm->ni = nonces[0]->body;
  qm->nr.resize(kNonceLen);
  golden::random_bytes(qm->nr);
  qm->l2tp = l2tp;
  if (idci) {
    qm->peer_inner = idci->ipv4().value_or(0);
    qm->lac_port = idci->port;
  }
  if (!qm->natoa_peer && udp && qm->peer_inner && qm->peer_inner != sa.peer.addr) {
    qm->natoa_peer = qm->peer_inner;  // the draft-02 clients that send no NAT-OA in transport
  }
  if (qm->natoa_peer) qm->peer_inner = *qm->natoa_peer;
  // QM2: HASH(2), SA, Nr, [KE], [IDci, IDcr], [NAT-OAi, NAT-OAr], [RESPONDER-LIFETIME].
  SaPayload reply;
  Proposal rp;
  rp.number = chosen_p->number;
  rp.protocol = kProtoEsp;
  rp.spi = spi_bytes(qm->spi_in);
  EspOffer echo = offer;
  if (shortened) echo = asked;  // SA echoes the offer; the notify carries our values
  std::uint8_t tnum = 1;
  for (const auto& t : chosen_p->transforms) {
    if (read_esp_transform(t).suite == offer.suite) {
      tnum = t.number;
      break;
    }
  }
  rp.transforms.push_back(esp_transform(echo, tnum));
  reply.proposals.push_back(std::move(rp));
  PayloadChain rest;
  rest.add(PayloadType::kSa, encode_sa(reply));
  rest.add(PayloadType::kNonce, qm->nr);
  if (!our_ke.empty()) rest.add(PayloadType::kKe, our_ke);
  if (ids.size() == 2) {
    rest.add(PayloadType::kId, ids[0]->body);
    rest.add(PayloadType::kId, ids[1]->body);
  }
  if (udp) {
    NatOaPayload oai{kIdIpv4Addr, sa.peer.addr};  // the initiator as we see it
    NatOaPayload oar{kIdIpv4Addr, sa.local.addr};
    if (sa.nat_t == NatTMethod::kRfc3947) {
      rest.add(PayloadType::kNatOa, encode_nat_oa(oai));
      rest.add(PayloadType::kNatOa, encode_nat_oa(oar));
    } else {
      rest.add(PayloadType::kNatOaDraft, encode_nat_oa(oar));
    }
  }
  if (shortened) {
    NotifyPayload n;
    n.protocol = kProtoEsp;
    n.spi = spi_bytes(qm->spi_in);
    n.type = static_cast<std::uint16_t>(NotifyType::kResponderLifetime);
    std::vector<Attribute> attrs;
    attrs.push_back(Attribute::basic(p2::kLifeType, 1));
    attrs.push_back(Attribute::integer(p2::kLifeDuration, offer.life_s));
    if (offer.life_kb) {
      attrs.push_back(Attribute::basic(p2::kLifeType, 2));
      attrs.push_back(Attribute::integer(p2::kLifeDuration, offer.life_kb));
    }
    n.data = encode_attributes(attrs);
    rest.add(PayloadType::kNotify, encode_notify(n));
  }
  const Bytes h2 = exchange_hash(sa.keys, h.message_id, qm->ni, rest.bytes());
  const Bytes body = hash_then(h2, rest);
  Header rh = h;
  Bytes msg = seal(rh, PayloadType::kHash, body, sa.cipher, qm->iv);
  qm->last_request = pkt.payload;
  qm->last_response = msg;
  qm->sent = now;
  log::info("ike") << "Quick Mode " << h.message_id << " with " << ipsec::to_string(sa.peer) << ": "
                   << to_string(offer.suite) << (offer.group ? " PFS" : "")
                   << (udp ? " UDP-encapsulated" : "") << " transport, life " << offer.life_s
                   << " s" << (offer.life_kb ? " " + std::to_string(offer.life_kb) + " KB" : "");
  sa.qms[h.message_id] = std::move(qm);
  send(sa, std::move(msg), false);
}

void Responder::process_qm3(IkeSa& sa, QuickMode& qm, const ipsec::HostPacket& pkt, const Header& h,
                            Clock::time_point now) {
  ParseError err = ParseError::kNone;
  auto o = open_message(pkt.payload, h, sa.cipher, qm.iv, &err);
  if (!o) return parse_failed(err, pkt, "QM3");
  if (o->msg.payloads.size() != 1 || o->msg.payloads[0].type != PayloadType::kHash ||
      o->msg.payloads[0].body != qm_hash3(sa.keys, qm.mid, qm.ni, qm.nr)) {
    ++counters_.hash_failed;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": QM3 HASH(3) wrong, dropped";
    return;
  }
  follow_peer(sa, pkt);
  sa.last_seen = now;
  // Rekey of an existing pair (same IKE peer, same client, same L2TP port): keep its handle.
  SaHandle handle = ipsec::kNoHandle;
  for (const auto& [spi, c] : children_) {
    if (c->info.peer == sa.peer && c->info.peer_inner_addr == qm.peer_inner &&
        c->info.lac_port == qm.lac_port && c->info.icookie == sa.ci) {
      handle = c->info.handle;
      break;
    }
  }
  if (handle == ipsec::kNoHandle) handle = next_handle_++;
  install_child(sa, qm, handle, now);
}

void Responder::install_child(IkeSa& sa, QuickMode& qm, SaHandle handle, Clock::time_point now) {
  const bool udp = sa.behind_nat();
  const std::size_t klen = esp_keymat_len(qm.offer.suite);
  const std::size_t elen = golden::cipher_key_len(qm.offer.suite.cipher);
  Secret kin = quick_mode_keymat(sa.keys.hash, sa.keys.skeyid_d.view(), qm.gxy.view(), kProtoEsp,
                                 qm.spi_in, qm.ni, qm.nr, klen);
  Secret kout = quick_mode_keymat(sa.keys.hash, sa.keys.skeyid_d.view(), qm.gxy.view(), kProtoEsp,
                                  qm.spi_out, qm.ni, qm.nr, klen);
  ipsec::Lifetime hard{qm.offer.life_s, qm.offer.life_kb * 1024};
  ipsec::Lifetime soft{hard.seconds * config_.soft_lifetime_percent / 100,
                       hard.bytes * config_.soft_lifetime_percent / 100};
  auto make = [&](lm::Direction dir, std::uint32_t spi, const Secret& k) {
    ipsec::SaSpec s;
    s.handle = handle;
    s.hard = hard;
    s.soft = soft;
    s.sa.spi = spi;
    s.sa.direction = dir;
    s.sa.cipher = qm.offer.suite.cipher;
    s.sa.integ = qm.offer.suite.integ;
    s.sa.icv_len = qm.offer.suite.icv_len();
    s.sa.encap = udp ? lm::Encap::kUdp : lm::Encap::kNone;
    s.sa.enc_key.assign(k.bytes().begin(), k.bytes().begin() + static_cast<std::ptrdiff_t>(elen));
    s.sa.auth_key.assign(k.bytes().begin() + static_cast<std::ptrdiff_t>(elen), k.bytes().end());
    s.sa.local_addr = sa.local.addr;
    s.sa.peer_addr = sa.peer.addr;
    s.sa.local_port = udp ? sa.local.port : golden::kPortNatT;
    s.sa.peer_port = udp ? sa.peer.port : golden::kPortNatT;
    if (udp) {
      s.sa.natoa_peer = qm.natoa_peer;
      s.sa.natoa_local = qm.natoa_local;
    }
    s.sa.only_next_header = qm.l2tp ? 17 : 0;
    return s;
  };
  ipsec::SaSpec in = make(lm::Direction::kInbound, qm.spi_in, kin);
  ipsec::SaSpec out = make(lm::Direction::kOutbound, qm.spi_out, kout);
  auto st = backend_.add_sa(in);
  if (st) {
    st = backend_.add_sa(out);
    if (!st) (void)backend_.del_sa(qm.spi_in, lm::Direction::kInbound);
  }
  wipe(in.sa.enc_key);
  wipe(in.sa.auth_key);
  wipe(out.sa.enc_key);
  wipe(out.sa.auth_key);
  remember_mid(sa, qm.mid);
  const std::uint32_t mid = qm.mid;
  if (!st) {
    ++counters_.install_failed;
    log::error("ike") << "installing SAs " << std::hex << qm.spi_in << "/" << qm.spi_out << std::dec
                      << " failed: " << st.error;
    sa.qms.erase(mid);
    return;
  }
  // Make before break: the pairs this one replaces (a rekey by either side, or both at once) go
  // once the new one carries traffic or after the grace period, with a DELETE.
  for (auto& [spi, other] : children_) {
    if (other->info.handle != handle || other->retire_at) continue;
    other->retire_at = now + config_.rekey_grace;
    other->successor_spi_in = qm.spi_in;
  }
  auto c = std::make_unique<Child>();
  c->l2tp = qm.l2tp;
  c->pfs_group = qm.offer.group;
  c->info.handle = handle;
  c->info.local = sa.local;
  c->info.peer = sa.peer;
  c->info.spi_in = qm.spi_in;
  c->info.spi_out = qm.spi_out;
  c->info.suite = qm.offer.suite;
  c->info.encap = udp ? lm::Encap::kUdp : lm::Encap::kNone;
  c->info.peer_inner_addr = qm.peer_inner;
  c->info.lac_port = qm.lac_port;
  c->info.hard = hard;
  c->info.installed = now;
  c->info.icookie = sa.ci;
  c->info.rcookie = sa.cr;
  const ChildInfo ci = c->info;
  children_[qm.spi_out] = std::move(c);
  sa.qms.erase(mid);
  ++counters_.children_installed;
  log::info("ike") << "child SA " << handle << " installed: in " << std::hex << ci.spi_in << " out "
                   << ci.spi_out << std::dec << " " << to_string(ci.suite) << " with "
                   << ipsec::to_string(ci.peer) << (udp ? " TRANSPORT-in-UDP" : " TRANSPORT");
  if (on_child_up) on_child_up(ci);
}

void Responder::process_informational(IkeSa& sa, const ipsec::HostPacket& pkt, const Header& h,
                                      Clock::time_point now) {
  if (!(h.flags & kFlagEncryption) || sa.state != IkeState::kEstablished) {
    // Unprotected notifications (a peer refusing our proposal) are logged, never acted on.
    ++counters_.unexpected;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer)
                        << ": unprotected informational ignored";
    return;
  }
  ParseError err = ParseError::kNone;
  const Bytes iv = exchange_iv(sa.keys.hash, sa.p1_last, h.message_id, sa.cipher.block_len());
  auto o = open_message(pkt.payload, h, sa.cipher, iv, &err);
  if (!o) return parse_failed(err, pkt, "informational");
  const Message& m = o->msg;
  if (m.payloads.size() < 2 || m.payloads[0].type != PayloadType::kHash ||
      exchange_hash(sa.keys, h.message_id, {}, after_first_payload(*o)) != m.payloads[0].body) {
    ++counters_.hash_failed;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer)
                        << ": informational HASH(1) missing or wrong, dropped";
    return;
  }
  // A replayed informational (same M-ID) must not move the peer or be answered twice.
  if (!remember_mid(sa, h.message_id)) {
    ++counters_.replays;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": informational M-ID "
                        << h.message_id << " seen before, dropped";
    return;
  }
  follow_peer(sa, pkt);
  sa.last_seen = now;
  const SaKey key = sa.key();
  bool delete_ike = false;
  for (std::size_t i = 1; i < m.payloads.size(); ++i) {
    const Payload& p = m.payloads[i];
    if (p.type == PayloadType::kNotify) {
      auto n = parse_notify(p.body, &err);
      if (!n) {
        parse_failed(err, pkt, "informational N");
        continue;
      }
      const auto type = static_cast<NotifyType>(n->type);
      if (type == NotifyType::kRuThere || type == NotifyType::kRuThereAck) {
        if (n->spi != cookies(sa.ci, sa.cr) || n->data.size() != 4) {
          bad("DPD notify with wrong cookies or sequence", pkt);
          continue;
        }
        if (type == NotifyType::kRuThereAck) {
          sa.dpd_outstanding = 0;
          continue;
        }
        ++counters_.dpd_requests;
        NotifyPayload ack = *n;
        ack.type = static_cast<std::uint16_t>(NotifyType::kRuThereAck);
        PayloadChain chain;
        chain.add(PayloadType::kNotify, encode_notify(ack));
        send_informational(sa, chain);
      } else if (type == NotifyType::kInitialContact) {
        initial_contact(sa);
      } else {
        log::notice("ike") << "from " << ipsec::to_string(pkt.peer) << ": notify " << n->type;
      }
    } else if (p.type == PayloadType::kDelete) {
      auto d = parse_delete(p.body, &err);
      if (!d) {
        parse_failed(err, pkt, "informational D");
        continue;
      }
      ++counters_.deletes_received;
      if (d->protocol == kProtoIsakmp && d->spi_size == 16) {
        for (const auto& s : d->spis) {
          if (s == cookies(sa.ci, sa.cr)) delete_ike = true;
        }
      } else if (d->protocol == kProtoEsp && d->spi_size == 4) {
        for (const auto& s : d->spis) {
          // The peer deletes its inbound SPI: our outbound one. Only children of this IKE SA's
          // peer may be deleted through it.
          const std::uint32_t spi = load_be32(s.data());
          auto it = children_.find(spi);
          if (it != children_.end() && it->second->info.peer.addr == sa.peer.addr) {
            delete_child(spi, false, "peer sent DELETE");
          } else {
            log::notice("ike") << "DELETE for unknown ESP SPI " << std::hex << spi;
          }
        }
      } else {
        bad("DELETE for an unsupported protocol", pkt);
      }
    }
  }
  if (delete_ike) delete_ike_sa(key, false, "peer sent DELETE");
}

ChildInfo Responder::info(const Child& c) const { return c.info; }

bool Responder::remove_child_sas(Child& c, bool notify_peer) {
  (void)backend_.del_sa(c.info.spi_in, lm::Direction::kInbound);
  (void)backend_.del_sa(c.info.spi_out, lm::Direction::kOutbound);
  if (notify_peer) {
    IkeSa* sa = find_sa(c.info.icookie, c.info.rcookie);
    if (sa && sa->state == IkeState::kEstablished) {
      DeletePayload d;
      d.protocol = kProtoEsp;
      d.spi_size = 4;
      d.spis.push_back(spi_bytes(c.info.spi_in));
      PayloadChain chain;
      chain.add(PayloadType::kDelete, encode_delete(d));
      send_informational(*sa, chain);
    }
  }
  return true;
}

void Responder::delete_child(std::uint32_t spi_out, bool notify_peer, std::string_view why) {
  auto it = children_.find(spi_out);
  if (it == children_.end()) return;
  std::unique_ptr<Child> c = std::move(it->second);
  children_.erase(it);
  remove_child_sas(*c, notify_peer);
  ++counters_.children_deleted;
  const SaHandle handle = c->info.handle;
  log::info("ike") << "child SA " << handle << " (out " << std::hex << spi_out << std::dec
                   << ") deleted: " << why;
  const bool handle_lives = std::any_of(children_.begin(), children_.end(), [&](const auto& kv) {
    return kv.second->info.handle == handle;
  });
  if (!handle_lives && on_child_down) on_child_down(handle);
}

void Responder::delete_ike_sa(const SaKey& key, bool notify_peer, std::string_view why,
                              bool keep_children) {
  auto it = sas_.find(key);
  if (it == sas_.end()) return;
  IkeSa& sa = *it->second;
  // Children move to another established IKE SA of the same peer (a reauthentication), else die.
  IkeSa* heir = nullptr;
  for (auto& [k, other] : sas_) {
    if (other.get() != &sa && other->state == IkeState::kEstablished && other->peer == sa.peer &&
        other->peer_id == sa.peer_id) {
      heir = other.get();
    }
  }
  std::vector<std::uint32_t> orphans;
  for (auto& [spi, c] : children_) {
    if (keep_children) break;  // they keep the cookies of an IKE SA that is gone
    if (c->info.icookie != sa.ci || c->info.rcookie != sa.cr) continue;
    if (heir) {
      c->info.icookie = heir->ci;
      c->info.rcookie = heir->cr;
    } else {
      orphans.push_back(spi);
    }
  }
  for (auto spi : orphans) delete_child(spi, notify_peer, why);
  if (notify_peer && sa.state == IkeState::kEstablished) {
    DeletePayload d;
    d.protocol = kProtoIsakmp;
    d.spi_size = 16;
    d.spis.push_back(cookies(sa.ci, sa.cr));
    PayloadChain chain;
    chain.add(PayloadType::kDelete, encode_delete(d));
    send_informational(sa, chain);
  }
  if (sa.state == IkeState::kEstablished) ++counters_.ike_deleted;
  log::info("ike") << "IKE SA " << to_hex(sa.ci) << " with " << ipsec::to_string(sa.peer)
                   << " deleted: " << why;
  sas_.erase(key);  // Secrets and Phase1Keys wipe themselves
}

void Responder::on_event(const ipsec::Event& ev, Clock::time_point now) {
  switch (ev.kind) {
    case ipsec::EventKind::kSoftExpire: {
      log::info("ike") << "child SA " << ev.handle << " SPI " << std::hex << ev.spi << std::dec
                       << " reached its soft lifetime";
      if (!config_.rekey) return;
      for (auto& [spi, c] : children_) {
        if (c->info.spi_in != ev.spi && c->info.spi_out != ev.spi) continue;
        if (c->retire_at) return;            // already replaced (the client rekeyed first)
        const Child* const child = c.get();  // (a structured binding is not captured by clang 14)
        const bool newer = std::any_of(children_.begin(), children_.end(), [&](const auto& kv) {
          return kv.second.get() != child && kv.second->info.handle == child->info.handle &&
                 kv.second->info.installed > child->info.installed;
        });
        if (!newer) start_rekey(spi, now);
        return;
      }
      return;
    }
    case ipsec::EventKind::kHardExpire:
    case ipsec::EventKind::kSeqOverflow: {
      for (auto& [spi, c] : children_) {
        if (c->info.spi_in == ev.spi || c->info.spi_out == ev.spi) {
          const std::uint32_t key = spi;
          delete_child(key, true, ipsec::to_string(ev.kind));
          return;
        }
      }
      return;
    }
    case ipsec::EventKind::kPeerMoved: {
      for (auto& [spi, c] : children_) {
        if (c->info.handle != ev.handle) continue;
        if (IkeSa* sa = find_sa(c->info.icookie, c->info.rcookie)) {
          if (sa->peer != ev.peer) {
            ipsec::HostPacket fake;
            fake.local = sa->local;
            fake.peer = ev.peer;
            follow_peer(*sa, fake);
          }
        }
        c->info.peer = ev.peer;
      }
      return;
    }
  }
}

void Responder::tick(Clock::time_point now) {
  std::vector<std::pair<SaKey, std::string>> doomed;
  std::vector<SaKey> expired;
  for (auto& [key, sa] : sas_) {
    if (sa->state != IkeState::kEstablished) {
      if (now - sa->created > config_.half_open_timeout) {
        ++counters_.half_open_expired;
        doomed.emplace_back(key, "half-open timeout");
      }
      continue;
    }
    if (now - sa->created > std::chrono::seconds(sa->life_s)) {
      expired.push_back(key);
      continue;
    }
    // Quick Mode: resend QM2 while QM3 is missing, then give up.
    std::vector<std::uint32_t> gone;
    for (auto& [mid, qm] : sa->qms) {
      if (now - qm->sent < config_.retransmit_interval) continue;
      if (qm->retransmits >= config_.retransmit_count) {
        ++counters_.qm_expired;
        if (qm->ours) {
          ++counters_.rekeys_failed;
          log::warning("ike") << "rekey of child SA " << qm->rekey_handle << " with "
                              << ipsec::to_string(sa->peer) << ": no answer, the old pair expires";
        }
        gone.push_back(mid);
        continue;
      }
      ++qm->retransmits;
      ++counters_.qm_retransmits;
      qm->sent = now;
      send(*sa, qm->last_response, false);
    }
    for (auto mid : gone) sa->qms.erase(mid);
    // DPD towards an idle peer.
    if (config_.dpd_interval.count() > 0 && sa->dpd && now - sa->last_seen > config_.dpd_interval &&
        now - sa->dpd_sent > config_.dpd_interval) {
      if (sa->dpd_outstanding >= config_.dpd_retries) {
        ++counters_.dpd_dead;
        doomed.emplace_back(key, "DPD: peer dead");
        continue;
      }
      if (sa->dpd_seq == 0) {
        std::uint8_t r[4];
        golden::random_bytes(r);
        sa->dpd_seq = (load_be32(r) & 0x7fffffff) | 1;
      }
      NotifyPayload n;
      n.protocol = kProtoIsakmp;
      n.spi = cookies(sa->ci, sa->cr);
      n.type = static_cast<std::uint16_t>(NotifyType::kRuThere);
      n.data = spi_bytes(++sa->dpd_seq);
      PayloadChain chain;
      chain.add(PayloadType::kNotify, encode_notify(n));
      ++sa->dpd_outstanding;
      sa->dpd_sent = now;
      ++counters_.dpd_sent;
      send_informational(*sa, chain);
    }
  }
  for (auto& [key, why] : doomed) delete_ike_sa(key, why != "half-open timeout", why);
  // The IKE SA's lifetime: DELETE it; its children stay until their own expiry (a new IKE SA of
  // the peer adopts them).
  for (const auto& key : expired) {
    ++counters_.ike_expired;
    delete_ike_sa(key, true, "IKE SA lifetime", true);
  }
  // Pairs replaced by a rekey: gone once the successor carries traffic or the grace is over;
  // single-shot releases.
  std::vector<std::pair<std::uint32_t, std::string_view>> retire;
  for (const auto& [spi, c] : children_) {
    if (c->release) {
      retire.emplace_back(spi, "single-shot tunnel finished");
      continue;
    }
    if (!c->retire_at) continue;
    bool traffic = false;
    if (c->successor_spi_in) {
      auto st = backend_.query_sa(c->successor_spi_in, lm::Direction::kInbound);
      traffic = st && st->stats.packets > 0;
    }
    if (traffic || now >= *c->retire_at) retire.emplace_back(spi, "replaced by a rekey");
  }
  for (const auto& [spi, why] : retire) {
    if (why == "replaced by a rekey") ++counters_.children_retired;
    delete_child(spi, true, why);
  }
}

bool Responder::delete_child_sa(SaHandle handle, std::string_view why) {
  std::vector<std::uint32_t> spis;
  for (const auto& [spi, c] : children_) {
    if (c->info.handle == handle) spis.push_back(spi);
  }
  for (auto spi : spis) delete_child(spi, true, why);
  return !spis.empty();
}

bool Responder::release_child_sa(SaHandle handle) {
  bool any = false;
  for (auto& [spi, c] : children_) {
    if (c->info.handle != handle) continue;
    c->release = true;
    any = true;
  }
  return any;
}

bool Responder::start_rekey(std::uint32_t child_spi_out, Clock::time_point now) {
  auto cit = children_.find(child_spi_out);
  if (cit == children_.end()) return false;
  const Child& c = *cit->second;
  IkeSa* sa = find_sa(c.info.icookie, c.info.rcookie);
  if (!sa || sa->state != IkeState::kEstablished) {
    log::notice("ike") << "child SA " << c.info.handle
                       << ": no IKE SA to rekey it on, it expires (the client may rekey)";
    return false;
  }
  for (const auto& [mid, q] : sa->qms) {
    if (q->ours && q->rekey_handle == c.info.handle) return false;  // under way
  }
  if (sa->qms.size() >= kMaxPendingQuickModes) return false;
  auto qm = std::make_unique<QuickMode>();
  qm->ours = true;
  qm->rekey_handle = c.info.handle;
  while (qm->mid == 0 || sa->qms.count(qm->mid) || sa->done_mids.count(qm->mid)) {
    std::uint8_t r[4];
    golden::random_bytes(r);
    qm->mid = load_be32(r);
  }
  const bool udp = c.info.encap == lm::Encap::kUdp;
  const bool rfc = sa->nat_t == NatTMethod::kRfc3947;
  EspOffer offer;
  offer.suite = c.info.suite;
  offer.mode =
      udp ? (rfc ? p2::kModeUdpTransportRfc : p2::kModeUdpTransportDraft) : p2::kModeTransport;
  offer.group = c.pfs_group;
  offer.life_s = c.info.hard.seconds;
  offer.life_kb = c.info.hard.bytes / 1024;
  qm->offer = offer;
  qm->l2tp = c.l2tp;
  qm->peer_inner = c.info.peer_inner_addr;
  qm->lac_port = c.info.lac_port;
  if (auto st = backend_.query_sa(c.info.spi_in, lm::Direction::kInbound)) {
    qm->natoa_peer = st->sa.natoa_peer;
    qm->natoa_local = st->sa.natoa_local;
  }
  qm->spi_in = backend_.allocate_spi();
  qm->ni.resize(kNonceLen);
  golden::random_bytes(qm->ni);
  SaPayload sap;
  Proposal p;
  p.protocol = kProtoEsp;
  p.spi = spi_bytes(qm->spi_in);
  p.transforms.push_back(esp_transform(offer));
  sap.proposals.push_back(std::move(p));
  PayloadChain rest;
  rest.add(PayloadType::kSa, encode_sa(sap));
  rest.add(PayloadType::kNonce, qm->ni);
  if (offer.group) {
    qm->dh = DiffieHellman::create(offer.group);
    if (!qm->dh) return false;
    rest.add(PayloadType::kKe, qm->dh->public_value());
  }
  if (c.l2tp) {  // the same selectors, seen from our side: us UDP/1701, the client UDP/its port
    rest.add(PayloadType::kId,
             encode_id(IdPayload::from_ipv4(sa->local.addr, 17, golden::kPortL2tp)));
    rest.add(PayloadType::kId, encode_id(IdPayload::from_ipv4(
                                   c.info.peer_inner_addr ? c.info.peer_inner_addr : sa->peer.addr,
                                   17, c.info.lac_port)));
  }
  if (udp) {
    if (rfc) {
      rest.add(PayloadType::kNatOa, encode_nat_oa({kIdIpv4Addr, sa->local.addr}));
      rest.add(PayloadType::kNatOa, encode_nat_oa({kIdIpv4Addr, sa->peer.addr}));
    } else {
      rest.add(PayloadType::kNatOaDraft, encode_nat_oa({kIdIpv4Addr, sa->local.addr}));
    }
  }
  Header h;
  h.icookie = sa->ci;
  h.rcookie = sa->cr;
  h.exchange = ExchangeType::kQuickMode;
  h.message_id = qm->mid;
  qm->iv = exchange_iv(sa->keys.hash, sa->p1_last, qm->mid, sa->cipher.block_len());
  const Bytes h1 = exchange_hash(sa->keys, qm->mid, {}, rest.bytes());
  Bytes msg = seal(h, PayloadType::kHash, hash_then(h1, rest), sa->cipher, qm->iv);
  qm->last_response = msg;  // what tick() retransmits
  qm->sent = now;
  ++counters_.rekeys_started;
  log::info("ike") << "rekeying child SA " << c.info.handle << " with "
                   << ipsec::to_string(sa->peer) << ": Quick Mode " << qm->mid << " "
                   << to_string(offer.suite) << (offer.group ? " PFS" : "");
  sa->qms[qm->mid] = std::move(qm);
  send(*sa, std::move(msg), false);
  return true;
}

void Responder::process_qm2(IkeSa& sa, QuickMode& qm, const ipsec::HostPacket& pkt, const Header& h,
                            Clock::time_point now) {
  ParseError err = ParseError::kNone;
  auto o = open_message(pkt.payload, h, sa.cipher, qm.iv, &err);
  if (!o) return parse_failed(err, pkt, "QM2");
  const Message& m = o->msg;
  if (m.payloads.empty() || m.payloads[0].type != PayloadType::kHash ||
      exchange_hash(sa.keys, qm.mid, qm.ni, after_first_payload(*o)) != m.payloads[0].body) {
    ++counters_.hash_failed;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": QM2 HASH(2) wrong, dropped";
    return;
  }
  const auto sas = m.find_all(PayloadType::kSa);
  const auto nonces = m.find_all(PayloadType::kNonce);
  const auto kes = m.find_all(PayloadType::kKe);
  const std::uint32_t mid = qm.mid;
  auto refuse = [&](std::string_view why) {
    ++counters_.rekeys_failed;
    log::warning("ike") << "from " << ipsec::to_string(pkt.peer) << ": QM2 of our rekey " << mid
                        << ": " << why << ", rekey abandoned";
    remember_mid(sa, mid);
    sa.qms.erase(mid);
  };
  if (sas.size() != 1 || nonces.size() != 1 || kes.size() > 1) {
    return refuse("need one SA, one NONCE, at most one KE");
  }
  auto sa_p = parse_sa(sas[0]->body, &err);
  if (!sa_p || sa_p->proposals.size() != 1 || sa_p->proposals[0].protocol != kProtoEsp ||
      sa_p->proposals[0].spi.size() != 4 || sa_p->proposals[0].transforms.size() != 1) {
    return refuse("SA is not one ESP proposal with one transform");
  }
  const EspOffer got = read_esp_transform(sa_p->proposals[0].transforms[0]);
  if (!got.why.empty() || !(got.suite == qm.offer.suite) || got.group != qm.offer.group) {
    return refuse("the peer chose what we did not offer");
  }
  if (got.life_s && got.life_s < qm.offer.life_s) qm.offer.life_s = got.life_s;
  qm.spi_out = spi32(sa_p->proposals[0].spi);
  if (qm.spi_out < 256) return refuse("SPI below 256");
  qm.nr = nonces[0]->body;
  if (qm.offer.group) {
    std::optional<Secret> z;
    if (!kes.empty() && qm.dh) z = qm.dh->shared_secret(kes[0]->body);
    if (!z) {
      ++counters_.bad_ke;
      return refuse("PFS KE missing or invalid");
    }
    qm.gxy = std::move(*z);
    qm.dh.reset();
  }
  qm.iv = o->new_iv;
  follow_peer(sa, pkt);
  sa.last_seen = now;
  // QM3: HASH(3), then the new pair (inbound first), under the old handle.
  PayloadChain chain;
  chain.add(PayloadType::kHash, qm_hash3(sa.keys, qm.mid, qm.ni, qm.nr));
  Header rh = h;
  Bytes msg = seal(rh, PayloadType::kHash, chain.bytes(), sa.cipher, qm.iv);
  if (sa.our_qm3.size() >= 4) sa.our_qm3.erase(sa.our_qm3.begin());
  sa.our_qm3[qm.mid] = {pkt.payload, msg};
  send(sa, std::move(msg), false);
  ++counters_.rekeys_done;
  install_child(sa, qm, qm.rekey_handle, now);
}

std::vector<IkeSaInfo> Responder::ike_sas() const {
  std::vector<IkeSaInfo> out;
  for (const auto& kv_sa : sas_) {
    const IkeSa* sa = kv_sa.second.get();
    IkeSaInfo i;
    i.icookie = sa->ci;
    i.rcookie = sa->cr;
    i.state = sa->state;
    i.local = sa->local;
    i.peer = sa->peer;
    i.suite = sa->suite;
    i.nat_t = sa->nat_t;
    i.nat_local = sa->nat_local;
    i.nat_peer = sa->nat_peer;
    i.group_psk = sa->group_psk;
    i.dpd = sa->dpd;
    i.auth = sa->suite.auth;
    i.certreq = sa->certreq;
    i.peer_id = sa->state == IkeState::kEstablished ? id_text(sa->peer_id) : "";
    i.created = sa->created;
    i.lifetime_s = sa->life_s;
    i.children = static_cast<std::size_t>(
        std::count_if(children_.begin(), children_.end(), [&](const auto& kv) {
          return kv.second->info.icookie == sa->ci && kv.second->info.rcookie == sa->cr;
        }));
    out.push_back(std::move(i));
  }
  return out;
}

std::vector<ChildInfo> Responder::child_sas() const {
  std::vector<ChildInfo> out;
  for (const auto& [spi, c] : children_) out.push_back(c->info);
  return out;
}

}  // namespace l2sec::ike
