#include "l2sec/daemon/gateway.hpp"

#include <poll.h>

#include <algorithm>
#include <iomanip>
#include <sstream>

#include "l2sec/golden/ipv4.hpp"
#include "l2sec/log.hpp"

namespace l2sec::daemon {
namespace {

constexpr auto kTickInterval = std::chrono::milliseconds(200);

lm::Cipher ike_cipher(config::IkeEncryption e) {
  switch (e) {
    case config::IkeEncryption::k3des:
      return lm::Cipher::kDes3Cbc;
    case config::IkeEncryption::kAes128:
      return lm::Cipher::kAesCbc128;
    case config::IkeEncryption::kAes192:
      return lm::Cipher::kAesCbc192;
    case config::IkeEncryption::kAes256:
      return lm::Cipher::kAesCbc256;
  }
  return lm::Cipher::kAesCbc128;
}

lm::Cipher esp_cipher(config::EspCipher e) {
  switch (e) {
    case config::EspCipher::k3des:
      return lm::Cipher::kDes3Cbc;
    case config::EspCipher::kAes128:
      return lm::Cipher::kAesCbc128;
    case config::EspCipher::kAes192:
      return lm::Cipher::kAesCbc192;
    case config::EspCipher::kAes256:
      return lm::Cipher::kAesCbc256;
  }
  return lm::Cipher::kAesCbc128;
}

ppp::AuthProtocol ppp_auth(config::PppAuthentication a) {
  switch (a) {
    case config::PppAuthentication::kPap:
      return ppp::AuthProtocol::kPap;
    case config::PppAuthentication::kChap:
      return ppp::AuthProtocol::kChapMd5;
    case config::PppAuthentication::kMsChapV2:
      return ppp::AuthProtocol::kMsChapV2;
  }
  return ppp::AuthProtocol::kPap;
}

std::string hex32(std::uint32_t v) {
  std::ostringstream o;
  o << "0x" << std::hex << std::setw(8) << std::setfill('0') << v;
  return o.str();
}

}  // namespace

// The PPP link of one L2TP session, as the LNS's payload.
class Gateway::PppPayload final : public l2tp::PayloadSession {
 public:
  PppPayload(Gateway& gw, const l2tp::SessionInfo& info, l2tp::SessionIo& io)
      : gw_(gw), info_(info), io_(io) {
    ppp::Session::Hooks hooks;
    hooks.send_frame = [this](ByteView frame) {
      if (!closed_) io_.send_frame(frame);
    };
    hooks.deliver_ip = [this](ByteView ip) { gw_.from_client(*this, ip); };
    hooks.on_up = [this] { up(); };
    hooks.on_down = [this](std::string_view reason) { down(reason); };
    session_ =
        std::make_unique<ppp::Session>(gw_.ppp_config_, *gw_.users_, *gw_.pool_, std::move(hooks));
    gw_.payloads_.push_back(this);
  }
  ~PppPayload() override {
    unroute();
    std::erase(gw_.payloads_, this);
  }

  void start(Clock::time_point now) override { session_->start(now); }
  void on_frame(ByteView frame, Clock::time_point now) override { session_->on_frame(frame, now); }
  void tick(Clock::time_point now) override { session_->tick(now); }
  // The L2TP session is gone: nothing more can be sent, the link is simply over.
  void close(std::string_view reason, Clock::time_point) override {
    closed_ = true;
    down(reason);
  }

  const ppp::Session& session() const { return *session_; }
  ppp::Session& session() { return *session_; }
  const l2tp::SessionInfo& info() const { return info_; }

 private:
  void up() {
    if (const auto addr = session_->peer_addr()) {
      gw_.routes_[*addr] = this;
      routed_ = *addr;
    }
    up_ = true;
    const SessionView v = gw_.view(*this);
    log::notice("daemon") << "session up: " << to_string(v);
    if (gw_.on_session_up) gw_.on_session_up(v);
  }
  void down(std::string_view reason) {
    if (down_) return;
    down_ = true;
    if (up_ && gw_.on_session_down) gw_.on_session_down(gw_.view(*this), reason);
    if (up_)
      log::notice("daemon") << "session down (" << reason << "): " << to_string(gw_.view(*this));
    unroute();
    if (!closed_) io_.down(reason);
  }
  void unroute() {
    if (!routed_) return;
    const auto it = gw_.routes_.find(*routed_);
    if (it != gw_.routes_.end() && it->second == this) gw_.routes_.erase(it);
    routed_.reset();
  }

  Gateway& gw_;
  l2tp::SessionInfo info_;
  l2tp::SessionIo& io_;
  std::unique_ptr<ppp::Session> session_;
  std::optional<std::uint32_t> routed_;
  bool up_ = false;
  bool down_ = false;
  bool closed_ = false;  // the LNS closed the L2TP session
};

std::unique_ptr<Gateway> Gateway::create(const config::RouterConfig& cfg,
                                         const std::string& vr_name, ipsec::Backend& backend,
                                         Tun* corporate, std::string* error) {
  const config::VirtualRouter* vr = config::find_virtual_router(cfg, vr_name);
  if (vr == nullptr) {
    *error = "no virtual-router " + vr_name;
    return nullptr;
  }
  std::unique_ptr<Gateway> gw(new Gateway(backend, corporate));

  // IKE: group keys from the transport profiles, per-peer keys, proposals, NAT-T.
  ike::IkeConfig ike;
  ike.nat_t = vr->nat_t;
  ike.aggressive_mode = vr->aggressive_mode;
  std::vector<ike::EspProposal> esp;
  std::uint64_t child_s = 0, child_kb = 0;
  for (const auto& tp : cfg.transport_profiles) {
    if (tp.virtual_router != vr->name) continue;
    if (!tp.pre_shared_key.empty()) ike.group_psk[tp.local_address] = tp.pre_shared_key;
    for (const auto& t : config::effective_transforms(tp)) {
      const ike::EspProposal p{esp_cipher(t.cipher),
                               t.integrity == config::EspIntegrity::kHmacSha1
                                   ? lm::Integ::kHmacSha1
                                   : lm::Integ::kHmacSha256,
                               t.integrity == config::EspIntegrity::kHmacSha256 && tp.sha256_96};
      if (std::find(esp.begin(), esp.end(), p) == esp.end()) esp.push_back(p);
    }
    child_s = std::max<std::uint64_t>(child_s, tp.lifetime_seconds);
    child_kb = std::max<std::uint64_t>(child_kb, tp.lifetime_kilobytes);
  }
  if (!esp.empty()) ike.esp_proposals = esp;
  if (child_s != 0) ike.child_lifetime_max_s = child_s;
  ike.child_lifetime_max_kb = child_kb;
  for (const auto& k : cfg.manual_keys) ike.peer_psk[k.peer] = k.key;  // 0.0.0.0: any peer
  // Certificates for rsa-sig: the CA client certificates chain to, ours and its key.
  if (!cfg.ca_certificate.empty()) {
    ike.ca_certs = ike::Certificate::load_pem_file(cfg.ca_certificate, error);
    if (ike.ca_certs.empty()) return nullptr;
  }
  if (!cfg.certificate.empty()) {
    auto certs = ike::Certificate::load_pem_file(cfg.certificate, error);
    if (certs.empty()) return nullptr;
    ike.certificate = certs.front();
    ike.private_key = ike::PrivateKey::load_pem_file(cfg.private_key, error);
    if (!ike.private_key) return nullptr;
    if (!ike.private_key->matches(*ike.certificate)) {
      *error = cfg.private_key + ": not the private key of " + cfg.certificate;
      return nullptr;
    }
  }
  if (ike.group_psk.empty() && ike.peer_psk.empty() && !ike.has_credentials()) {
    *error = "virtual-router " + vr->name + ": no preshared key (ipsec transport profile " +
             "pre-share or ipsec key manual pre-share)";
    return nullptr;
  }
  if (!cfg.isakmp_rules.empty()) {
    ike.ike_proposals.clear();
    std::uint64_t lifetime = 0;
    for (const auto& r : cfg.isakmp_rules) {
      const bool rsa = r.authentication == config::IkeAuthentication::kRsaSig;
      if (rsa && !ike.has_credentials()) {
        log::warning("daemon") << "ipsec isakmp-policy-rule " << r.priority
                               << ": rsa-sig without ipsec ca-certificate and ipsec certificate, "
                               << "left out";
        continue;
      }
      ike.ike_proposals.push_back(
          {ike_cipher(r.encryption),
           r.hash == config::IkeHash::kSha1 ? ike::HashAlg::kSha1 : ike::HashAlg::kSha256,
           static_cast<std::uint16_t>(r.group),
           rsa ? ike::AuthMethod::kRsaSig : ike::AuthMethod::kPsk});
      lifetime = std::max<std::uint64_t>(lifetime, r.lifetime_seconds);
    }
    if (lifetime != 0) ike.ike_lifetime_max_s = lifetime;
  }
  gw->ike_ = std::make_unique<ike::Responder>(ike, backend);

  // PPP: users, pool, the LNS's own address, DNS, authentication order.
  const config::LocalDatabase* db = config::find_local_database(cfg, vr->local_database);
  ppp::LocalUsers::Map users;
  if (db != nullptr) {
    for (const auto& u : db->users) users[u.name] = u.password;
  }
  if (users.empty()) {
    *error =
        "virtual-router " + vr->name + ": local database " + vr->local_database + " has no users";
    return nullptr;
  }
  gw->users_ = std::make_unique<ppp::LocalUsers>(std::move(users));
  if (vr->pools.empty()) {
    *error = "virtual-router " + vr->name + ": no ip local pool";
    return nullptr;
  }
  auto pool = ppp::Ipv4Pool::create(vr->pools.front().start, vr->pools.front().end, error);
  if (!pool) return nullptr;
  gw->pool_ = std::make_unique<ppp::Ipv4Pool>(std::move(*pool));
  const auto own = config::lns_ppp_address(*vr);
  if (!own) {
    *error = "virtual-router " + vr->name + ": no PPP address for the LNS (ip unnumbered loopback)";
    return nullptr;
  }
  gw->own_address_ = *own;
  gw->ppp_config_.local_addr = *own;
  gw->ppp_config_.dns1 = vr->dns_primary.value_or(0);
  gw->ppp_config_.dns2 = vr->dns_secondary.value_or(0);
  gw->ppp_config_.name = cfg.hostname;
  if (!vr->ppp_authentication.empty()) {
    gw->ppp_config_.auth.clear();
    for (const auto a : vr->ppp_authentication) gw->ppp_config_.auth.push_back(ppp_auth(a));
  }

  // The LNS: the host profile of the catch-all destination decides IPsec, single-shot, secret.
  l2tp::LnsConfig lns;
  lns.host_name = cfg.hostname;
  lns.hello_interval = std::chrono::seconds(cfg.l2tp.hello_interval);
  lns.idle_timeout = std::chrono::seconds(cfg.l2tp.idle_timeout);
  lns.destruct_timeout = std::chrono::seconds(cfg.l2tp.destruct_timeout);
  lns.require_ipsec = false;
  for (const auto& dp : vr->destination_profiles) {
    for (const auto& hp : dp.hosts) {
      lns.require_ipsec = lns.require_ipsec || hp.ipsec_transport;
      lns.single_shot = lns.single_shot || hp.single_shot;
      if (!hp.tunnel_password.empty()) lns.tunnel_secret = hp.tunnel_password;
    }
  }
  Gateway* self = gw.get();
  // Single-shot: the tunnel's IPsec SA pair goes when the tunnel is finished (DELETE to the
  // client); the responder does it on its next tick, outside the LNS's own call.
  lns.release_sa = [self](ipsec::SaHandle h) { self->ike_->release_child_sa(h); };
  gw->lns_ = std::make_unique<l2tp::Lns>(
      lns, backend,
      [self](const l2tp::SessionInfo& info,
             l2tp::SessionIo& io) -> std::unique_ptr<l2tp::PayloadSession> {
        return std::make_unique<PppPayload>(*self, info, io);
      });
  gw->ike_->on_child_down = [self](ipsec::SaHandle h) { self->lns_->on_sa_down(h, Clock::now()); };
  log::notice("daemon") << "virtual-router " << vr->name << ": IKE with "
                        << ike.ike_proposals.size() << " phase-1 and " << ike.esp_proposals.size()
                        << " ESP proposals, NAT-T " << (ike.nat_t ? "on" : "off") << "; pool "
                        << ipv4_to_string(gw->pool_->first()) << "-"
                        << ipv4_to_string(gw->pool_->last()) << ", LNS address "
                        << ipv4_to_string(*own)
                        << (lns.require_ipsec ? ", IPsec required" : ", clear L2TP allowed");
  return gw;
}

Gateway::~Gateway() {
  // The LNS owns the payloads, which unregister themselves from this object: destroy it first.
  lns_.reset();
}

void Gateway::on_host_packet(const ipsec::HostPacket& pkt, Clock::time_point now) {
  ++counters_.host_packets;
  switch (pkt.pkt_class) {
    case lm::PktClass::kIke:
    case lm::PktClass::kIkeNatt:
      ike_->on_packet(pkt, now);
      return;
    case lm::PktClass::kEsp:
    case lm::PktClass::kEspUdp:
    case lm::PktClass::kL2tpClear:
      lns_->on_packet(pkt, now);
      return;
    default:
      ++counters_.unhandled_class;
      log::debug("daemon") << "no host handler for " << lm::to_string(pkt.pkt_class) << " from "
                           << ipsec::to_string(pkt.peer);
      return;
  }
}

void Gateway::from_client(PppPayload& session, ByteView ip) {
  lm::DropReason reason = lm::DropReason::kNone;
  const auto h = golden::parse_ipv4(ip, &reason);
  const auto assigned = session.session().peer_addr();
  if (!h || !assigned || h->src != *assigned) {
    ++counters_.spoofed;
    log::warning("daemon") << "session " << session.info().tunnel_id << "/"
                           << session.info().session_id << " (" << session.session().user()
                           << "): IP packet with source "
                           << (h ? ipv4_to_string(h->src) : std::string("(unparsable)"))
                           << " not assigned to it; dropped";
    return;
  }
  if (h->dst == own_address_) {
    if (auto reply = icmp_echo_reply(ip, own_address_)) {
      ++counters_.own_address_pings;
      session.session().send_ip(*reply);
    }
    return;
  }
  if (auto it = routes_.find(h->dst); it != routes_.end()) {  // client to client
    it->second->session().send_ip(ip);
    return;
  }
  if (corporate_ == nullptr || !corporate_->write(ip)) {
    ++counters_.no_route;
    return;
  }
  ++counters_.to_corporate;
}

void Gateway::from_corporate(ByteView ip) {
  lm::DropReason reason = lm::DropReason::kNone;
  const auto h = golden::parse_ipv4(ip, &reason);
  if (!h) return;
  if (h->dst == own_address_) {
    if (auto reply = icmp_echo_reply(ip, own_address_)) corporate_->write(*reply);
    return;
  }
  const auto it = routes_.find(h->dst);
  if (it == routes_.end()) {
    ++counters_.no_route;
    return;
  }
  ++counters_.from_corporate;
  it->second->session().send_ip(ip);
}

void Gateway::poll_once(Clock::time_point now) {
  for (int budget = 0; budget < 256; ++budget) {
    auto pkt = backend_.receive();
    if (!pkt) break;
    on_host_packet(*pkt, now);
  }
  while (auto ev = backend_.next_event()) ike_->on_event(*ev, now);
  if (corporate_ != nullptr) {
    for (int budget = 0; budget < 256; ++budget) {
      auto ip = corporate_->read();
      if (!ip) break;
      from_corporate(*ip);
    }
  }
  if (now - last_tick_ >= kTickInterval) {
    last_tick_ = now;
    backend_.tick(now);
    ike_->tick(now);
    lns_->tick(now);
  }
}

void Gateway::run(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    std::vector<pollfd> fds;
    if (backend_.poll_fd() >= 0) fds.push_back({backend_.poll_fd(), POLLIN, 0});
    if (corporate_ != nullptr) fds.push_back({corporate_->fd(), POLLIN, 0});
    for (const auto& [fd, ready] : poll_sources_) fds.push_back({fd, POLLIN, 0});
    ::poll(fds.data(), fds.size(), static_cast<int>(kTickInterval.count()));
    poll_once(Clock::now());
    // The extra sources (the control socket) see the gateway between two packets.
    for (const auto& [fd, ready] : poll_sources_) {
      for (const auto& p : fds) {
        if (p.fd == fd && (p.revents & POLLIN) != 0) ready();
      }
    }
  }
}

SessionView Gateway::view(const PppPayload& p) const {
  SessionView v;
  v.user = p.session().user();
  v.address = p.session().peer_addr().value_or(0);
  v.auth = p.session().auth_protocol();
  v.l2tp = p.info();
  v.ip_in = p.session().counters().ip_in;
  v.ip_out = p.session().counters().ip_out;
  for (const auto& c : ike_->child_sas()) {
    if (c.handle == p.info().handle) v.sa = c;
  }
  return v;
}

std::vector<SessionView> Gateway::sessions() const {
  std::vector<SessionView> out;
  for (const auto* p : payloads_) {
    if (p->session().phase() == ppp::Phase::kOpen) out.push_back(view(*p));
  }
  return out;
}

std::string to_string(const SessionView& s) {
  std::ostringstream o;
  o << "user " << (s.user.empty() ? "-" : s.user) << " address " << ipv4_to_string(s.address)
    << " auth " << ppp::to_string(s.auth) << " tunnel " << s.l2tp.tunnel_id << "/"
    << s.l2tp.peer_tunnel_id << " session " << s.l2tp.session_id << "/" << s.l2tp.peer_session_id
    << " peer " << ipsec::to_string(s.l2tp.peer) << " lac-port " << s.l2tp.lac_port << " sa-handle "
    << s.l2tp.handle;
  if (s.sa) {
    o << " spi-in " << hex32(s.sa->spi_in) << " spi-out " << hex32(s.sa->spi_out) << " "
      << ike::to_string(s.sa->suite)
      << (s.sa->encap == lm::Encap::kUdp ? " transport-in-udp" : " transport");
  }
  return o.str();
}

std::string Gateway::show(std::string_view what) const {
  std::ostringstream o;
  if (what == "ike sa") {
    for (const auto& s : ike_->ike_sas()) {
      o << ipsec::to_string(s.peer) << " -> " << ipsec::to_string(s.local) << " "
        << ike::to_string(s.state) << " " << ike::to_string(s.suite) << " nat-t "
        << ike::to_string(s.nat_t) << (s.nat_peer ? " (peer behind NAT)" : "") << " children "
        << s.children << "\n";
    }
  } else if (what == "ipsec sa") {
    for (const auto& s : backend_.list_sas()) {
      o << (s.sa.direction == lm::Direction::kInbound ? "in  " : "out ") << hex32(s.sa.spi)
        << " handle " << s.handle << " " << lm::to_string(s.sa.cipher) << "/"
        << lm::to_string(s.sa.integ) << (s.sa.encap == lm::Encap::kUdp ? " udp-encap" : "")
        << " peer " << ipsec::to_string({s.sa.peer_addr, s.sa.peer_port}) << " path "
        << ipsec::to_string(s.path) << " packets " << s.stats.packets << " bytes " << s.stats.bytes
        << (s.slot ? " slot " + std::to_string(*s.slot) : std::string()) << "\n";
    }
  } else if (what == "l2tp tunnel") {
    for (const auto& t : lns_->tunnels()) {
      o << "tunnel " << t.id << "/" << t.peer_id << " " << l2tp::to_string(t.state) << " peer "
        << ipsec::to_string(t.peer) << " host " << t.peer_host << " sa-handle " << t.handle
        << " sessions " << t.sessions << "\n";
    }
  } else if (what == "l2tp session") {
    for (const auto& s : sessions()) o << to_string(s) << "\n";
  } else if (what == "gateway counters") {
    const auto& c = counters_;
    o << "host packets " << c.host_packets << "\nunhandled class " << c.unhandled_class
      << "\nspoofed source " << c.spoofed << "\nno route " << c.no_route << "\nown-address pings "
      << c.own_address_pings << "\nto corporate " << c.to_corporate << "\nfrom corporate "
      << c.from_corporate << "\n";
  } else {
    o << "unknown show command \"" << what
      << "\" (expected: ike sa, ipsec sa, l2tp tunnel, l2tp session, gateway counters)\n";
  }
  return o.str();
}

}  // namespace l2sec::daemon
