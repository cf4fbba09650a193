#include "l2sec/ike/initiator.hpp"

#include <algorithm>
#include <map>

#include "l2sec/golden/ipv4.hpp"
#include "l2sec/ike/protocol.hpp"
#include "l2sec/log.hpp"

namespace l2sec::ike {

namespace {
Bytes spi_bytes(std::uint32_t spi) {
  Bytes b(4);
  store_be32(b.data(), spi);
  return b;
}
bool is_vid(const Payload& p, const std::array<std::uint8_t, 16>& v) {
  return p.body.size() == v.size() && std::equal(v.begin(), v.end(), p.body.begin());
}
}  // namespace

struct Initiator::State {
  Cookie ci{};
  Cookie cr{};
  ipsec::Endpoint local;
  ipsec::Endpoint remote;
  bool rfc = false;
  bool natt = false;
  bool nat_local = false;
  bool nat_peer = false;
  Bytes sai_b;
  Bytes idii_b;  // Aggressive Mode: the ID sent in AM1
  std::unique_ptr<DiffieHellman> dh;
  Bytes ni, nr;
  Secret gxy;
  Phase1Keys keys;
  Phase1Cipher cipher;
  Bytes iv;
  Bytes p1_last;
  // Quick Mode
  std::uint32_t mid = 0;
  Bytes qm_iv;
  Bytes qni, qnr;
  std::unique_ptr<DiffieHellman> qdh;
  std::uint32_t spi_in = 0, spi_out = 0;
  std::optional<std::uint32_t> natoa_peer, natoa_local;
  // Retransmission
  Bytes last_sent;
  ipsec::Clock::time_point sent_at;
  unsigned retransmits = 0;
  std::uint32_t dpd_seq = 100;
  // Quick Modes the responder started: M-ID -> state between QM1 and QM3.
  struct PeerQm {
    Bytes iv, ni, nr;
    Secret gxy;
    std::uint32_t spi_in = 0, spi_out = 0;
    std::uint64_t life_s = 0, life_kb = 0;
  };
  std::map<std::uint32_t, PeerQm> peer_qms;
};

Initiator::Initiator(InitiatorConfig config, ipsec::Backend& backend)
    : config_(std::move(config)), backend_(backend), s_(std::make_unique<State>()) {}
Initiator::~Initiator() = default;

bool Initiator::nat_detected() const { return s_->natt && (s_->nat_local || s_->nat_peer); }
const Cookie& Initiator::icookie() const { return s_->ci; }
const Cookie& Initiator::rcookie() const { return s_->cr; }
std::uint32_t Initiator::spi_in() const { return s_->spi_in; }
std::uint32_t Initiator::spi_out() const { return s_->spi_out; }
ipsec::Endpoint Initiator::local() const { return s_->local; }

void Initiator::fail(std::string why) {
  log::warning("ike-init") << why;
  error_ = std::move(why);
  state_ = InitiatorState::kFailed;
}

void Initiator::send(Bytes msg) {
  ++counters_.tx;
  (void)backend_.send_ike(s_->local, s_->remote, msg);
  s_->last_sent = std::move(msg);
  s_->retransmits = 0;
}

Bytes Initiator::our_id() const {
  if (config_.id) return encode_id(*config_.id);
  if (config_.ike.auth == AuthMethod::kRsaSig && config_.certificate) {
    return encode_id(config_.certificate->id());
  }
  return encode_id(IdPayload::from_ipv4(config_.local.addr));
}

void Initiator::start(ipsec::Clock::time_point now) {
  golden::random_bytes(s_->ci);
  s_->local = config_.local;
  s_->remote = config_.remote;
  SaPayload sa;
  Proposal p;
  p.protocol = kProtoIsakmp;
  p.transforms.push_back(phase1_transform(config_.ike, config_.ike_life_s));
  sa.proposals.push_back(p);
  s_->sai_b = encode_sa(sa);
  PayloadChain chain;
  chain.add(PayloadType::kSa, s_->sai_b);
  if (config_.aggressive) {  // AM1: SA, KE, Ni, IDii
    s_->dh = DiffieHellman::create(config_.ike.group);
    if (!s_->dh) return fail("DH group unavailable");
    s_->ni.resize(32);
    golden::random_bytes(s_->ni);
    chain.add(PayloadType::kKe, s_->dh->public_value());
    chain.add(PayloadType::kNonce, s_->ni);
    s_->idii_b = our_id();
    chain.add(PayloadType::kId, s_->idii_b);
  }
  if (config_.nat_t) {
    if (config_.rfc3947) chain.add(PayloadType::kVendorId, vid::kNatTRfc3947);
    chain.add(PayloadType::kVendorId, vid::kNatTDraft02);
    chain.add(PayloadType::kVendorId, vid::kNatTDraft02n);
    if (config_.rfc3947) chain.add(PayloadType::kVendorId, vid::kNatTDraft03);
  }
  chain.add(PayloadType::kVendorId, vid::kDpd);
  Header h;
  h.icookie = s_->ci;
  h.exchange = config_.aggressive ? ExchangeType::kAggressive : ExchangeType::kIdentityProtection;
  state_ = config_.aggressive ? InitiatorState::kAm1Sent : InitiatorState::kMm1Sent;
  send(assemble(h, chain));
  s_->sent_at = now;
}

void Initiator::tick(ipsec::Clock::time_point now) {
  if (state_ == InitiatorState::kDone || state_ == InitiatorState::kFailed ||
      state_ == InitiatorState::kIdle) {
    return;
  }
  if (now - s_->sent_at < config_.retransmit_interval) return;
  if (s_->retransmits >= config_.retransmit_count) {
    return fail("no response after " + std::to_string(s_->retransmits) + " retransmissions");
  }
  ++s_->retransmits;
  ++counters_.retransmits;
  ++counters_.tx;
  s_->sent_at = now;
  (void)backend_.send_ike(s_->local, s_->remote, s_->last_sent);
}

void Initiator::on_packet(const ipsec::HostPacket& pkt, ipsec::Clock::time_point now) {
  ++counters_.rx;
  ParseError err = ParseError::kNone;
  auto h = parse_header(pkt.payload, &err);
  if (!h || h->icookie != s_->ci) {
    ++counters_.dropped;
    return;
  }
  if (h->exchange == ExchangeType::kInformational) return handle_info(pkt, *h);
  const auto before = state_;
  if (state_ == InitiatorState::kMm1Sent || state_ == InitiatorState::kMm3Sent ||
      state_ == InitiatorState::kAm1Sent) {
    auto m = parse_message(pkt.payload, &err);
    if (!m) {
      ++counters_.dropped;
      return;
    }
    if (state_ == InitiatorState::kAm1Sent) {
      s_->cr = h->rcookie;
      handle_am2(*m);
    } else if (state_ == InitiatorState::kMm1Sent) {
      s_->cr = h->rcookie;
      handle_mm2(*m);
    } else {
      handle_mm4(*m);
    }
  } else if (state_ == InitiatorState::kMm5Sent &&
             h->exchange == ExchangeType::kIdentityProtection) {
    handle_mm6(pkt, *h);
  } else if (state_ == InitiatorState::kQm1Sent && h->exchange == ExchangeType::kQuickMode &&
             h->message_id == s_->mid) {
    handle_qm2(pkt, *h);
  } else if ((state_ == InitiatorState::kDone || state_ == InitiatorState::kQm1Sent) &&
             h->exchange == ExchangeType::kQuickMode && h->message_id != s_->mid &&
             config_.answer_rekeys) {
    handle_peer_qm(pkt, *h);
    return;
  } else {
    ++counters_.dropped;
  }
  if (state_ != before) s_->sent_at = now;
}

void Initiator::handle_mm2(const Message& m) {
  const Payload* sa = m.find(PayloadType::kSa);
  if (!sa) return fail("MM2 without SA");
  auto parsed = parse_sa(sa->body, nullptr);
  if (!parsed || parsed->proposals.size() != 1 || parsed->proposals[0].transforms.size() != 1) {
    return fail("MM2 SA malformed");
  }
  auto offer = read_phase1_transform(parsed->proposals[0].transforms[0]);
  if (!offer.why.empty() || !(offer.suite == config_.ike)) return fail("MM2 chose another suite");
  for (const Payload* v : m.find_all(PayloadType::kVendorId)) {
    if (!config_.nat_t) continue;
    if (is_vid(*v, vid::kNatTRfc3947)) s_->rfc = true, s_->natt = true;
    if (is_vid(*v, vid::kNatTDraft02) || is_vid(*v, vid::kNatTDraft02n) ||
        is_vid(*v, vid::kNatTDraft03)) {
      s_->natt = true;
    }
  }
  s_->dh = DiffieHellman::create(config_.ike.group);
  if (!s_->dh) return fail("DH group unavailable");
  s_->ni.resize(32);
  golden::random_bytes(s_->ni);
  PayloadChain chain;
  chain.add(PayloadType::kKe, s_->dh->public_value());
  chain.add(PayloadType::kNonce, s_->ni);
  if (config_.ike.auth == AuthMethod::kRsaSig && config_.send_certreq && !config_.certreq_in_mm5) {
    for (const auto& ca : config_.ca_certs) {
      chain.add(PayloadType::kCertReq, encode_cert({kCertX509Signature, ca.subject_der()}));
    }
  }
  if (s_->natt) {
    const auto t = s_->rfc ? PayloadType::kNatD : PayloadType::kNatDDraft;
    chain.add(t, nat_d_hash(config_.ike.hash, s_->ci, s_->cr, s_->remote.addr, s_->remote.port));
    chain.add(t, nat_d_hash(config_.ike.hash, s_->ci, s_->cr, s_->local.addr, s_->local.port));
  }
  Header h = m.header;
  h.flags = 0;
  state_ = InitiatorState::kMm3Sent;
  send(assemble(h, chain));
}

void Initiator::handle_mm4(const Message& m) {
  const Payload* ke = m.find(PayloadType::kKe);
  const Payload* nonce = m.find(PayloadType::kNonce);
  if (!ke || !nonce) return fail("MM4 without KE or NONCE");
  auto z = s_->dh->shared_secret(ke->body);
  if (!z) return fail("MM4 KE invalid");
  s_->gxy = std::move(*z);
  s_->nr = nonce->body;
  if (s_->natt) {
    const auto natd = m.find_all(s_->rfc ? PayloadType::kNatD : PayloadType::kNatDDraft);
    if (natd.size() < 2) return fail("MM4 without NAT-D");
    s_->nat_local = natd[0]->body !=
                    nat_d_hash(config_.ike.hash, s_->ci, s_->cr, s_->local.addr, s_->local.port);
    const Bytes theirs =
        nat_d_hash(config_.ike.hash, s_->ci, s_->cr, s_->remote.addr, s_->remote.port);
    s_->nat_peer = std::none_of(natd.begin() + 1, natd.end(),
                                [&](const Payload* p) { return p->body == theirs; });
  }
  const Bytes gxi = s_->dh->public_value();
  if (!derive_keys(ke->body)) return fail("cipher setup");
  if (nat_detected()) {  // float to 4500
    s_->local.port = golden::kPortNatT;
    s_->remote.port = golden::kPortNatT;
  }
  const Bytes idii_b = our_id();
  const Bytes hi = hash_i(s_->keys, gxi, ke->body, s_->ci, s_->cr, s_->sai_b, idii_b);
  PayloadChain chain;
  chain.add(PayloadType::kId, idii_b);
  if (config_.ike.auth == AuthMethod::kRsaSig) {
    if (!config_.certificate || !config_.private_key) return fail("no certificate configured");
    chain.add(PayloadType::kCert, encode_cert({kCertX509Signature, config_.certificate->der()}));
    const Bytes sig = config_.private_key->sign_ike(hi);
    if (sig.empty()) return fail("signing SIG_I failed");
    chain.add(PayloadType::kSig, sig);
    if (config_.send_certreq && config_.certreq_in_mm5) {
      for (const auto& ca : config_.ca_certs) {
        chain.add(PayloadType::kCertReq, encode_cert({kCertX509Signature, ca.subject_der()}));
      }
    }
  } else {
    chain.add(PayloadType::kHash, hi);
  }
  if (config_.initial_contact) {
    NotifyPayload n;
    n.protocol = kProtoIsakmp;
    n.spi.assign(s_->ci.begin(), s_->ci.end());
    n.spi.insert(n.spi.end(), s_->cr.begin(), s_->cr.end());
    n.type = static_cast<std::uint16_t>(NotifyType::kInitialContact);
    chain.add(PayloadType::kNotify, encode_notify(n));
  }
  // Keep g^xr for HASH_R.
  s_->qnr = ke->body;
  Header h = m.header;
  state_ = InitiatorState::kMm5Sent;
  send(seal(h, chain.first(), chain.bytes(), s_->cipher, s_->iv));
}

void Initiator::handle_mm6(const ipsec::HostPacket& pkt, const Header& h) {
  auto o = open_message(pkt.payload, h, s_->cipher, s_->iv, nullptr);
  if (!o) {
    ++counters_.dropped;
    return;
  }
  const bool rsa = config_.ike.auth == AuthMethod::kRsaSig;
  const Payload* id = o->msg.find(PayloadType::kId);
  const Payload* hs = o->msg.find(rsa ? PayloadType::kSig : PayloadType::kHash);
  if (!id || !hs) return fail("MM6 without ID or HASH/SIG");
  const Bytes gxi = s_->dh->public_value();
  const Bytes hr = hash_r(s_->keys, gxi, s_->qnr, s_->ci, s_->cr, s_->sai_b, id->body);
  if (rsa) {
    const Payload* cp = o->msg.find(PayloadType::kCert);
    auto cert = cp ? parse_cert(cp->body, nullptr) : std::nullopt;
    auto x = cert ? Certificate::from_der(cert->data) : std::nullopt;
    if (!x) return fail("MM6 without the responder's certificate");
    const std::string why = verify_certificate(*x, {}, config_.ca_certs);
    if (!why.empty()) return fail("MM6 certificate refused: " + why);
    auto pid = parse_id(id->body, nullptr);
    if (!pid || !id_matches(*x, *pid)) return fail("MM6 ID does not match the certificate");
    if (!verify_ike_signature(*x, hr, hs->body)) {
      ++counters_.auth_failed;
      return fail("MM6 SIG_R does not verify");
    }
  } else if (hr != hs->body) {
    ++counters_.auth_failed;
    return fail("MM6 HASH_R does not verify");
  }
  s_->iv = o->new_iv;
  s_->p1_last = s_->iv;
  s_->dh.reset();
  start_quick_mode();
}

bool Initiator::derive_keys(ByteView gxr) {
  const Bytes gxi = s_->dh->public_value();
  if (config_.ike.auth == AuthMethod::kRsaSig) {
    s_->keys = derive_phase1_sig(config_.ike.hash, config_.ike.cipher, s_->ni, s_->nr,
                                 s_->gxy.view(), gxi, gxr, s_->ci, s_->cr);
  } else {
    s_->keys = derive_phase1_psk(
        config_.ike.hash, config_.ike.cipher,
        ByteView(reinterpret_cast<const std::uint8_t*>(config_.psk.data()), config_.psk.size()),
        s_->ni, s_->nr, s_->gxy.view(), gxi, gxr, s_->ci, s_->cr);
  }
  auto c = Phase1Cipher::create(config_.ike.cipher, s_->keys.enc_key.view());
  if (!c) return false;
  s_->cipher = std::move(*c);
  s_->iv = s_->keys.iv0;
  return true;
}

void Initiator::handle_am2(const Message& m) {
  const Payload* sa = m.find(PayloadType::kSa);
  const Payload* ke = m.find(PayloadType::kKe);
  const Payload* nonce = m.find(PayloadType::kNonce);
  const Payload* id = m.find(PayloadType::kId);
  const Payload* hs = m.find(PayloadType::kHash);
  if (!sa || !ke || !nonce || !id || !hs) return fail("AM2 without SA, KE, NONCE, ID or HASH");
  auto parsed = parse_sa(sa->body, nullptr);
  if (!parsed || parsed->proposals.size() != 1 || parsed->proposals[0].transforms.size() != 1) {
    return fail("AM2 SA malformed");
  }
  auto offer = read_phase1_transform(parsed->proposals[0].transforms[0]);
  if (!offer.why.empty() || !(offer.suite == config_.ike)) return fail("AM2 chose another suite");
  for (const Payload* v : m.find_all(PayloadType::kVendorId)) {
    if (!config_.nat_t) continue;
    if (is_vid(*v, vid::kNatTRfc3947)) s_->rfc = true, s_->natt = true;
    if (is_vid(*v, vid::kNatTDraft02) || is_vid(*v, vid::kNatTDraft02n) ||
        is_vid(*v, vid::kNatTDraft03)) {
      s_->natt = true;
    }
  }
  auto z = s_->dh->shared_secret(ke->body);
  if (!z) return fail("AM2 KE invalid");
  s_->gxy = std::move(*z);
  s_->nr = nonce->body;
  s_->qnr = ke->body;
  if (!derive_keys(ke->body)) return fail("cipher setup");
  const Bytes gxi = s_->dh->public_value();
  if (hash_r(s_->keys, gxi, ke->body, s_->ci, s_->cr, s_->sai_b, id->body) != hs->body) {
    ++counters_.auth_failed;
    return fail("AM2 HASH_R does not verify");
  }
  const auto t = s_->rfc ? PayloadType::kNatD : PayloadType::kNatDDraft;
  if (s_->natt) {
    const auto natd = m.find_all(t);
    if (natd.size() < 2) return fail("AM2 without NAT-D");
    s_->nat_local = natd[0]->body !=
                    nat_d_hash(config_.ike.hash, s_->ci, s_->cr, s_->local.addr, s_->local.port);
    const Bytes theirs =
        nat_d_hash(config_.ike.hash, s_->ci, s_->cr, s_->remote.addr, s_->remote.port);
    s_->nat_peer = natd[1]->body != theirs;
  }
  // AM3 (encrypted, from 4500 when a NAT was found): HASH_I, NAT-D (theirs, ours).
  PayloadChain chain;
  chain.add(PayloadType::kHash,
            hash_i(s_->keys, gxi, ke->body, s_->ci, s_->cr, s_->sai_b, s_->idii_b));
  if (s_->natt) {
    chain.add(t, nat_d_hash(config_.ike.hash, s_->ci, s_->cr, s_->remote.addr, s_->remote.port));
    chain.add(t, nat_d_hash(config_.ike.hash, s_->ci, s_->cr, s_->local.addr, s_->local.port));
  }
  if (nat_detected()) {
    s_->local.port = golden::kPortNatT;
    s_->remote.port = golden::kPortNatT;
  }
  Header h = m.header;
  h.flags = kFlagEncryption;
  send(seal(h, chain.first(), chain.bytes(), s_->cipher, s_->iv));
  s_->p1_last = s_->iv;
  s_->dh.reset();
  start_quick_mode();
}

void Initiator::start_quick_mode() {
  std::uint8_t r[4];
  golden::random_bytes(r);
  s_->mid = load_be32(r) | 1;
  // Our inbound SPI comes from the back end, like the responder's: unique among every SA it holds
  // (many initiators may share one back end as a load generator).
  s_->spi_in = backend_.allocate_spi();
  s_->qni.resize(32);
  golden::random_bytes(s_->qni);
  const bool udp = nat_detected();
  EspOffer offer;
  offer.suite = config_.esp;
  offer.mode =
      udp ? (s_->rfc ? p2::kModeUdpTransportRfc : p2::kModeUdpTransportDraft) : p2::kModeTransport;
  offer.group = config_.pfs_group;
  offer.life_s = config_.child_life_s;
  offer.life_kb = config_.child_life_kb;
  SaPayload sa;
  Proposal p;
  p.protocol = kProtoEsp;
  p.spi = spi_bytes(s_->spi_in);
  p.transforms.push_back(esp_transform(offer));
  sa.proposals.push_back(p);
  PayloadChain rest;
  rest.add(PayloadType::kSa, encode_sa(sa));
  rest.add(PayloadType::kNonce, s_->qni);
  if (config_.pfs_group) {
    s_->qdh = DiffieHellman::create(config_.pfs_group);
    if (!s_->qdh) return fail("PFS group unavailable");
    rest.add(PayloadType::kKe, s_->qdh->public_value());
  }
  rest.add(PayloadType::kId,
           encode_id(IdPayload::from_ipv4(config_.local.addr, 17, config_.lac_port)));
  rest.add(PayloadType::kId,
           encode_id(IdPayload::from_ipv4(config_.remote.addr, 17, golden::kPortL2tp)));
  if (udp) {
    const auto t = s_->rfc ? PayloadType::kNatOa : PayloadType::kNatOaDraft;
    rest.add(t, encode_nat_oa({kIdIpv4Addr, config_.local.addr}));
    if (s_->rfc) rest.add(t, encode_nat_oa({kIdIpv4Addr, config_.remote.addr}));
  }
  const Bytes h1 = exchange_hash(s_->keys, s_->mid, {}, rest.bytes());
  Header qh;
  qh.icookie = s_->ci;
  qh.rcookie = s_->cr;
  qh.exchange = ExchangeType::kQuickMode;
  qh.message_id = s_->mid;
  s_->qm_iv = exchange_iv(s_->keys.hash, s_->p1_last, s_->mid, s_->cipher.block_len());
  state_ = InitiatorState::kQm1Sent;
  send(seal(qh, PayloadType::kHash, hash_then(h1, rest), s_->cipher, s_->qm_iv));
}

void Initiator::handle_qm2(const ipsec::HostPacket& pkt, const Header& h) {
  auto o = open_message(pkt.payload, h, s_->cipher, s_->qm_iv, nullptr);
  if (!o || o->msg.payloads.empty() || o->msg.payloads[0].type != PayloadType::kHash) {
    ++counters_.dropped;
    return;
  }
  if (exchange_hash(s_->keys, s_->mid, s_->qni, after_first_payload(*o)) !=
      o->msg.payloads[0].body) {
    ++counters_.auth_failed;
    return fail("QM2 HASH(2) wrong");
  }
  s_->qm_iv = o->new_iv;
  const Payload* sa = o->msg.find(PayloadType::kSa);
  const Payload* nonce = o->msg.find(PayloadType::kNonce);
  if (!sa || !nonce) return fail("QM2 without SA or NONCE");
  auto parsed = parse_sa(sa->body, nullptr);
  if (!parsed || parsed->proposals.size() != 1 || parsed->proposals[0].spi.size() != 4 ||
      parsed->proposals[0].transforms.size() != 1) {
    return fail("QM2 SA malformed");
  }
  auto offer = read_esp_transform(parsed->proposals[0].transforms[0]);
  if (!offer.why.empty() || !(offer.suite == config_.esp)) return fail("QM2 chose another suite");
  s_->spi_out = load_be32(parsed->proposals[0].spi.data());
  s_->qnr = nonce->body;
  Secret gxy;
  if (s_->qdh) {
    const Payload* ke = o->msg.find(PayloadType::kKe);
    if (!ke) return fail("QM2 without KE for PFS");
    auto z = s_->qdh->shared_secret(ke->body);
    if (!z) return fail("QM2 KE invalid");
    gxy = std::move(*z);
  }
  const auto oas = o->msg.find_all(s_->rfc ? PayloadType::kNatOa : PayloadType::kNatOaDraft);
  if (s_->rfc && oas.size() == 2) {
    auto a = parse_nat_oa(oas[0]->body, nullptr);
    auto b = parse_nat_oa(oas[1]->body, nullptr);
    if (a) s_->natoa_local = a->addr;  // NAT-OAi: us as the responder saw us
    if (b) s_->natoa_peer = b->addr;
  } else if (oas.size() == 1) {
    if (auto a = parse_nat_oa(oas[0]->body, nullptr)) s_->natoa_peer = a->addr;
  }
  // Lifetime from RESPONDER-LIFETIME when present.
  std::uint64_t life_s = offer.life_s, life_kb = offer.life_kb;
  for (const Payload* n : o->msg.find_all(PayloadType::kNotify)) {
    auto np = parse_notify(n->body, nullptr);
    if (!np || np->type != static_cast<std::uint16_t>(NotifyType::kResponderLifetime)) continue;
    std::size_t pos = 0;
    std::uint16_t type = 0;
    while (pos + 4 <= np->data.size()) {
      const std::uint16_t at = load_be16(&np->data[pos]) & 0x7fff;
      const bool tv = load_be16(&np->data[pos]) & 0x8000;
      std::uint64_t v = load_be16(&np->data[pos + 2]);
      std::size_t adv = 4;
      if (!tv) {
        const std::size_t l = v;
        if (pos + 4 + l > np->data.size() || l > 8) break;
        v = 0;
        for (std::size_t i = 0; i < l; ++i) v = (v << 8) | np->data[pos + 4 + i];
        adv += l;
      }
      if (at == p2::kLifeType) type = static_cast<std::uint16_t>(v);
      if (at == p2::kLifeDuration) (type == 2 ? life_kb : life_s) = v;
      pos += adv;
    }
    ++counters_.notifies;
  }
  const std::string st =
      install_pair(s_->spi_in, s_->spi_out, s_->qni, s_->qnr, gxy, life_s, life_kb);
  if (!st.empty()) return fail("installing SAs: " + st);
  Header qh = h;
  const Bytes h3 = qm_hash3(s_->keys, s_->mid, s_->qni, s_->qnr);
  PayloadChain chain;
  chain.add(PayloadType::kHash, h3);
  state_ = InitiatorState::kDone;
  send(seal(qh, PayloadType::kHash, chain.bytes(), s_->cipher, s_->qm_iv));
}

std::string Initiator::install_pair(std::uint32_t spi_in, std::uint32_t spi_out, ByteView ni,
                                    ByteView nr, const Secret& gxy, std::uint64_t life_s,
                                    std::uint64_t life_kb) {
  const bool udp = nat_detected();
  const std::size_t klen = esp_keymat_len(config_.esp);
  const std::size_t elen = golden::cipher_key_len(config_.esp.cipher);
  auto make = [&](lm::Direction dir, std::uint32_t spi) {
    Secret k = quick_mode_keymat(s_->keys.hash, s_->keys.skeyid_d.view(), gxy.view(), kProtoEsp,
                                 spi, ni, nr, klen);
    ipsec::SaSpec s;
    s.handle = config_.handle;
    s.hard = {life_s, life_kb * 1024};
    s.sa.spi = spi;
    s.sa.direction = dir;
    s.sa.cipher = config_.esp.cipher;
    s.sa.integ = config_.esp.integ;
    s.sa.icv_len = config_.esp.icv_len();
    s.sa.encap = udp ? lm::Encap::kUdp : lm::Encap::kNone;
    s.sa.enc_key.assign(k.bytes().begin(), k.bytes().begin() + static_cast<std::ptrdiff_t>(elen));
    s.sa.auth_key.assign(k.bytes().begin() + static_cast<std::ptrdiff_t>(elen), k.bytes().end());
    s.sa.local_addr = config_.local.addr;
    s.sa.peer_addr = s_->remote.addr;
    s.sa.local_port = golden::kPortNatT;
    s.sa.peer_port = golden::kPortNatT;
    if (udp) {
      s.sa.natoa_peer = s_->natoa_peer;
      s.sa.natoa_local = s_->natoa_local;
    }
    s.sa.only_next_header = 17;
    return s;
  };
  ipsec::SaSpec in = make(lm::Direction::kInbound, spi_in);
  ipsec::SaSpec out = make(lm::Direction::kOutbound, spi_out);
  auto st = backend_.add_sa(in);
  if (st) st = backend_.add_sa(out);
  wipe(in.sa.enc_key);
  wipe(in.sa.auth_key);
  wipe(out.sa.enc_key);
  wipe(out.sa.auth_key);
  return st ? std::string() : st.error;
}

void Initiator::handle_peer_qm(const ipsec::HostPacket& pkt, const Header& h) {
  auto it = s_->peer_qms.find(h.message_id);
  if (it == s_->peer_qms.end()) {  // QM1
    const Bytes iv = exchange_iv(s_->keys.hash, s_->p1_last, h.message_id, s_->cipher.block_len());
    auto o = open_message(pkt.payload, h, s_->cipher, iv, nullptr);
    if (!o || o->msg.payloads.empty() || o->msg.payloads[0].type != PayloadType::kHash ||
        exchange_hash(s_->keys, h.message_id, {}, after_first_payload(*o)) !=
            o->msg.payloads[0].body) {
      ++counters_.dropped;
      return;
    }
    const Payload* sa = o->msg.find(PayloadType::kSa);
    const Payload* nonce = o->msg.find(PayloadType::kNonce);
    auto parsed = sa ? parse_sa(sa->body, nullptr) : std::nullopt;
    if (!nonce || !parsed || parsed->proposals.empty() || parsed->proposals[0].spi.size() != 4 ||
        parsed->proposals[0].transforms.empty()) {
      ++counters_.dropped;
      return;
    }
    const Transform& t = parsed->proposals[0].transforms[0];
    const EspOffer offer = read_esp_transform(t);
    if (!offer.why.empty() || !(offer.suite == config_.esp)) {
      ++counters_.dropped;
      return;
    }
    State::PeerQm q;
    q.ni = nonce->body;
    q.nr.resize(32);
    golden::random_bytes(q.nr);
    q.spi_out = load_be32(parsed->proposals[0].spi.data());
    q.spi_in = backend_.allocate_spi();
    q.life_s = offer.life_s;
    q.life_kb = offer.life_kb;
    Bytes our_ke;
    if (offer.group) {
      const Payload* ke = o->msg.find(PayloadType::kKe);
      auto dh = DiffieHellman::create(offer.group);
      std::optional<Secret> z;
      if (ke && dh) z = dh->shared_secret(ke->body);
      if (!z) {
        ++counters_.dropped;
        return;
      }
      q.gxy = std::move(*z);
      our_ke = dh->public_value();
    }
    SaPayload reply;
    Proposal p;
    p.number = parsed->proposals[0].number;
    p.protocol = kProtoEsp;
    p.spi = spi_bytes(q.spi_in);
    p.transforms.push_back(t);
    reply.proposals.push_back(p);
    PayloadChain rest;
    rest.add(PayloadType::kSa, encode_sa(reply));
    rest.add(PayloadType::kNonce, q.nr);
    if (!our_ke.empty()) rest.add(PayloadType::kKe, our_ke);
    for (const Payload* id : o->msg.find_all(PayloadType::kId))
      rest.add(PayloadType::kId, id->body);
    const Bytes h2 = exchange_hash(s_->keys, h.message_id, q.ni, rest.bytes());
    q.iv = o->new_iv;
    Header qh = h;
    ++counters_.tx;
    (void)backend_.send_ike(s_->local, s_->remote,
                            seal(qh, PayloadType::kHash, hash_then(h2, rest), s_->cipher, q.iv));
    s_->peer_qms[h.message_id] = std::move(q);
    return;
  }
  State::PeerQm& q = it->second;  // QM3
  auto o = open_message(pkt.payload, h, s_->cipher, q.iv, nullptr);
  if (!o || o->msg.payloads.size() != 1 ||
      o->msg.payloads[0].body != qm_hash3(s_->keys, h.message_id, q.ni, q.nr)) {
    ++counters_.dropped;
    return;
  }
  const std::string st = install_pair(q.spi_in, q.spi_out, q.ni, q.nr, q.gxy, q.life_s, q.life_kb);
  if (!st.empty()) {
    ++counters_.dropped;
  } else {
    s_->spi_in = q.spi_in;
    s_->spi_out = q.spi_out;
    ++counters_.peer_rekeys;
  }
  s_->peer_qms.erase(it);
}

void Initiator::handle_info(const ipsec::HostPacket& pkt, const Header& h) {
  if (!(h.flags & kFlagEncryption) || s_->p1_last.empty()) {
    ++counters_.notifies;
    auto m = parse_message(pkt.payload, nullptr);
    if (m && state_ != InitiatorState::kDone) {
      if (const Payload* n = m->find(PayloadType::kNotify)) {
        auto np = parse_notify(n->body, nullptr);
        if (np) return fail("responder refused: notify " + std::to_string(np->type));
      }
    }
    return;
  }
  const Bytes iv = exchange_iv(s_->keys.hash, s_->p1_last, h.message_id, s_->cipher.block_len());
  auto o = open_message(pkt.payload, h, s_->cipher, iv, nullptr);
  if (!o || o->msg.payloads.size() < 2 ||
      exchange_hash(s_->keys, h.message_id, {}, after_first_payload(*o)) !=
          o->msg.payloads[0].body) {
    ++counters_.dropped;
    return;
  }
  ++counters_.notifies;
  for (const Payload* d : o->msg.find_all(PayloadType::kDelete)) {
    auto dp = parse_delete(d->body, nullptr);
    if (!dp || dp->protocol != kProtoEsp || dp->spi_size != 4) continue;
    for (const auto& spi : dp->spis) {  // the responder's inbound: our outbound
      ++counters_.deletes;
      (void)backend_.del_sa(load_be32(spi.data()), lm::Direction::kOutbound);
    }
  }
  for (const Payload* n : o->msg.find_all(PayloadType::kNotify)) {
    auto np = parse_notify(n->body, nullptr);
    if (!np) continue;
    if (np->type == static_cast<std::uint16_t>(NotifyType::kRuThereAck)) ++counters_.dpd_acks;
    if (np->type == static_cast<std::uint16_t>(NotifyType::kNoProposalChosen) ||
        np->type == static_cast<std::uint16_t>(NotifyType::kInvalidIdInformation)) {
      if (state_ != InitiatorState::kDone)
        fail("responder refused: notify " + std::to_string(np->type));
    }
  }
}

void Initiator::send_info(const PayloadChain& chain) {
  std::uint8_t r[4];
  golden::random_bytes(r);
  const std::uint32_t mid = load_be32(r) | 1;
  Header h;
  h.icookie = s_->ci;
  h.rcookie = s_->cr;
  h.exchange = ExchangeType::kInformational;
  h.message_id = mid;
  Bytes iv = exchange_iv(s_->keys.hash, s_->p1_last, mid, s_->cipher.block_len());
  const Bytes h1 = exchange_hash(s_->keys, mid, {}, chain.bytes());
  ++counters_.tx;
  (void)backend_.send_ike(s_->local, s_->remote,
                          seal(h, PayloadType::kHash, hash_then(h1, chain), s_->cipher, iv));
}

void Initiator::send_dpd() {
  NotifyPayload n;
  n.protocol = kProtoIsakmp;
  n.spi.assign(s_->ci.begin(), s_->ci.end());
  n.spi.insert(n.spi.end(), s_->cr.begin(), s_->cr.end());
  n.type = static_cast<std::uint16_t>(NotifyType::kRuThere);
  n.data = spi_bytes(++s_->dpd_seq);
  PayloadChain chain;
  chain.add(PayloadType::kNotify, encode_notify(n));
  send_info(chain);
}

bool Initiator::rekey_child(ipsec::Clock::time_point now) {
  if (state_ != InitiatorState::kDone) return false;
  s_->qdh.reset();
  s_->natoa_peer.reset();
  s_->natoa_local.reset();
  start_quick_mode();
  s_->sent_at = now;
  return true;
}

void Initiator::send_delete_child(std::uint32_t spi) {
  DeletePayload d;
  d.protocol = kProtoEsp;
  d.spi_size = 4;
  d.spis.push_back(spi_bytes(spi ? spi : s_->spi_in));
  PayloadChain chain;
  chain.add(PayloadType::kDelete, encode_delete(d));
  send_info(chain);
}

void Initiator::send_delete_ike() {
  DeletePayload d;
  d.protocol = kProtoIsakmp;
  d.spi_size = 16;
  Bytes c(s_->ci.begin(), s_->ci.end());
  c.insert(c.end(), s_->cr.begin(), s_->cr.end());
  d.spis.push_back(c);
  PayloadChain chain;
  chain.add(PayloadType::kDelete, encode_delete(d));
  send_info(chain);
}

}  // namespace l2sec::ike

namespace l2sec::ike {

Bytes Initiator::protect(ExchangeType exchange, std::uint32_t message_id, PayloadType first,
                         ByteView payloads) const {
  if (state_ != InitiatorState::kDone) return {};
  Header h;
  h.icookie = s_->ci;
  h.rcookie = s_->cr;
  h.exchange = exchange;
  h.message_id = message_id;
  const Bytes h1 = exchange_hash(s_->keys, message_id, {}, payloads);
  PayloadChain head;
  head.add(PayloadType::kHash, h1);
  Bytes body = head.bytes();
  body[0] = static_cast<std::uint8_t>(first);
  body.insert(body.end(), payloads.begin(), payloads.end());
  Bytes iv = exchange_iv(s_->keys.hash, s_->p1_last, message_id, s_->cipher.block_len());
  return seal(h, PayloadType::kHash, body, s_->cipher, iv);
}

}  // namespace l2sec::ike
