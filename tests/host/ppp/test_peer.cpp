#include "test_peer.hpp"

#include <algorithm>

#include "l2sec/ppp/chap_crypto.hpp"
#include "l2sec/ppp/protocols.hpp"

namespace l2sec::ppp::test {

namespace {
Bytes u32(std::uint32_t v) {
  Bytes b(4);
  store_be32(b.data(), v);
  return b;
}
Bytes u16(std::uint16_t v) {
  Bytes b(2);
  store_be16(b.data(), v);
  return b;
}
std::optional<AuthProtocol> auth_of(const Bytes& v) {
  if (v.size() == 2 && load_be16(v.data()) == kProtoPap) return AuthProtocol::kPap;
  if (v.size() == 3 && load_be16(v.data()) == kProtoChap) {
    if (v[2] == kChapAlgMd5) return AuthProtocol::kChapMd5;
    if (v[2] == kChapAlgMsV2) return AuthProtocol::kMsChapV2;
  }
  return std::nullopt;
}
Bytes auth_value(AuthProtocol p) {
  switch (p) {
    case AuthProtocol::kPap:
      return u16(kProtoPap);
    case AuthProtocol::kChapMd5:
      return {0xc2, 0x23, kChapAlgMd5};
    case AuthProtocol::kMsChapV2:
      return {0xc2, 0x23, kChapAlgMsV2};
    default:
      return {};
  }
}
}  // namespace

TestPeer::TestPeer(PeerConfig config, std::function<void(ByteView)> send)
    : cfg_(std::move(config)), send_(std::move(send)) {
  lcp_opts_.push_back({kLcpMru, u16(cfg_.mru)});
  if (cfg_.request_accm) lcp_opts_.push_back({kLcpAccm, u32(0)});
  lcp_opts_.push_back({kLcpMagic, u32(cfg_.magic)});
  if (cfg_.request_pfc_acfc) {
    lcp_opts_.push_back({kLcpPfc, {}});
    lcp_opts_.push_back({kLcpAcfc, {}});
  }
  for (const auto& [type, value] : cfg_.extra_lcp_options) lcp_opts_.push_back({type, value});
  ipcp_opts_.push_back({kIpcpAddress, u32(0)});
  if (cfg_.request_dns) {
    ipcp_opts_.push_back({kIpcpDns1, u32(0)});
    ipcp_opts_.push_back({kIpcpDns2, u32(0)});
  }
  if (cfg_.request_vj) ipcp_opts_.push_back({kIpcpCompression, {0x00, 0x2d, 0x0f, 0x01}});
  for (std::size_t i = 0; i < peer_challenge_.size(); ++i) {
    peer_challenge_[i] = static_cast<std::uint8_t>(0x21 + 7 * i);
  }
}

Bytes TestPeer::encode(const std::vector<Opt>& opts) {
  Bytes out;
  for (const Opt& o : opts) {
    out.push_back(o.type);
    out.push_back(static_cast<std::uint8_t>(o.value.size() + 2));
    out.insert(out.end(), o.value.begin(), o.value.end());
  }
  return out;
}

std::optional<std::vector<TestPeer::Opt>> TestPeer::decode(ByteView d) {
  std::vector<Opt> out;
  std::size_t i = 0;
  while (i < d.size()) {
    if (d.size() - i < 2 || d[i + 1] < 2 || d[i + 1] > d.size() - i) return std::nullopt;
    out.push_back({d[i], Bytes(d.begin() + static_cast<std::ptrdiff_t>(i) + 2,
                               d.begin() + static_cast<std::ptrdiff_t>(i) + d[i + 1])});
    i += d[i + 1];
  }
  return out;
}

void TestPeer::send_packet(std::uint16_t proto, std::uint8_t code, std::uint8_t id, ByteView data) {
  Bytes f;
  if (cfg_.hdlc_header) f = {0xff, 0x03};
  f.push_back(static_cast<std::uint8_t>(proto >> 8));
  f.push_back(static_cast<std::uint8_t>(proto));
  f.push_back(code);
  f.push_back(id);
  const auto len = static_cast<std::uint16_t>(data.size() + 4);
  f.push_back(static_cast<std::uint8_t>(len >> 8));
  f.push_back(static_cast<std::uint8_t>(len));
  f.insert(f.end(), data.begin(), data.end());
  send_(f);
}

void TestPeer::send_raw(ByteView frame) { send_(frame); }

void TestPeer::send_ip(ByteView packet) {
  Bytes f;
  if (cfg_.hdlc_header) f = {0xff, 0x03};
  f.push_back(0x00);
  f.push_back(0x21);
  f.insert(f.end(), packet.begin(), packet.end());
  send_(f);
}

void TestPeer::send_terminate() {
  static constexpr std::uint8_t kBye[] = {'u', 's', 'e', 'r'};
  send_packet(kProtoLcp, 5, next_id_++, kBye);
}

void TestPeer::start(Clock::time_point now) {
  now_ = now;
  send_lcp_request();
}

void TestPeer::send_lcp_request() {
  lcp_req_id_ = next_id_++;
  lcp_sent_ = now_;
  send_packet(kProtoLcp, 1, lcp_req_id_, encode(lcp_opts_));
}

void TestPeer::send_ipcp_request() {
  ipcp_started_ = true;
  ipcp_req_id_ = next_id_++;
  ipcp_sent_ = now_;
  send_packet(kProtoIpcp, 1, ipcp_req_id_, encode(ipcp_opts_));
}

void TestPeer::send_pap() {
  Bytes d;
  d.push_back(static_cast<std::uint8_t>(cfg_.user.size()));
  d.insert(d.end(), cfg_.user.begin(), cfg_.user.end());
  d.push_back(static_cast<std::uint8_t>(cfg_.password.size()));
  d.insert(d.end(), cfg_.password.begin(), cfg_.password.end());
  pap_id_ = next_id_++;
  pap_sent_ = now_;
  pap_pending_ = true;
  send_packet(kProtoPap, kPapRequest, pap_id_, d);
}

void TestPeer::tick(Clock::time_point now) {
  now_ = now;
  if (terminated_) return;
  if (!lcp_ack_rcvd_ && now - lcp_sent_ >= cfg_.restart) send_lcp_request();
  if (pap_pending_ && now - pap_sent_ >= cfg_.restart) {
    pap_sent_ = now;
    Bytes d;
    d.push_back(static_cast<std::uint8_t>(cfg_.user.size()));
    d.insert(d.end(), cfg_.user.begin(), cfg_.user.end());
    d.push_back(static_cast<std::uint8_t>(cfg_.password.size()));
    d.insert(d.end(), cfg_.password.begin(), cfg_.password.end());
    send_packet(kProtoPap, kPapRequest, pap_id_, d);
  }
  if (ipcp_started_ && !ipcp_ack_rcvd_ && now - ipcp_sent_ >= cfg_.restart) {
    send_ipcp_request();
  }
}

void TestPeer::receive(ByteView f, Clock::time_point now) {
  now_ = now;
  if (f.size() >= 2 && f[0] == 0xff && f[1] == 0x03) f = f.subspan(2);
  if (f.size() < 2) return;
  const std::uint16_t proto = load_be16(f.data());
  const ByteView p = f.subspan(2);
  switch (proto) {
    case kProtoLcp:
      return on_lcp(p);
    case kProtoIpcp:
      return on_ipcp(p);
    case kProtoChap:
      return on_chap(p);
    case kProtoPap:
      return on_pap(p);
    case kProtoIp:
      ip_.emplace_back(p.begin(), p.end());
      return;
    default:
      return;
  }
}

void TestPeer::on_lcp(ByteView p) {
  if (p.size() < 4 || load_be16(p.data() + 2) > p.size()) return;
  const std::uint8_t code = p[0], id = p[1];
  const ByteView d = p.subspan(4, load_be16(p.data() + 2) - 4u);
  switch (code) {
    case 1: {  // Configure-Request from the LNS
      auto opts = decode(d);
      if (!opts) return;
      if (lcp_was_open_) {
        // The LNS renegotiates (RFC 1661 Opened + RCR): start over, authentication included.
        lcp_ack_sent_ = lcp_ack_rcvd_ = lcp_was_open_ = false;
        ipcp_started_ = ipcp_ack_sent_ = ipcp_ack_rcvd_ = false;
        pap_pending_ = false;
        auth_ok_.reset();
        send_lcp_request();
      }
      std::vector<Opt> nak, rej;
      std::optional<AuthProtocol> asked;
      for (const Opt& o : *opts) {
        if (o.type == kLcpAuth) {
          asked = auth_of(o.value);
          if (asked) auth_offers_.push_back(*asked);
          const bool ok = asked && std::find(cfg_.accept.begin(), cfg_.accept.end(), *asked) !=
                                       cfg_.accept.end();
          if (!ok) {
            if (cfg_.preferred == AuthProtocol::kNone) {
              rej.push_back(o);
            } else {
              nak.push_back({kLcpAuth, auth_value(cfg_.preferred)});
            }
          }
        } else if (o.type == kLcpMagic && o.value.size() == 4) {
          server_magic_ = load_be32(o.value.data());
        } else if (o.type == kLcpMru && o.value.size() == 2) {
          server_mru_ = load_be16(o.value.data());
        } else if (o.type != kLcpMru && o.type != kLcpMagic) {
          rej.push_back(o);
        }
      }
      if (!rej.empty()) {
        send_packet(kProtoLcp, 4, id, encode(rej));
      } else if (!nak.empty()) {
        send_packet(kProtoLcp, 3, id, encode(nak));
      } else {
        auth_ = asked;
        send_packet(kProtoLcp, 2, id, d);
        lcp_ack_sent_ = true;
        if (lcp_open() && !lcp_was_open_) lcp_opened();
      }
      return;
    }
    case 2:
      if (id != lcp_req_id_) return;
      lcp_ack_rcvd_ = true;
      if (lcp_open() && !lcp_was_open_) lcp_opened();
      return;
    case 3:
    case 4: {
      if (id != lcp_req_id_) return;
      auto opts = decode(d);
      if (!opts) return;
      for (const Opt& o : *opts) {
        auto it = std::find_if(lcp_opts_.begin(), lcp_opts_.end(),
                               [&](const Opt& x) { return x.type == o.type; });
        if (it == lcp_opts_.end()) continue;
        if (code == 4) {
          lcp_rejected_.push_back(o.type);
          lcp_opts_.erase(it);
        } else {
          it->value = o.value;
        }
      }
      send_lcp_request();
      return;
    }
    case 5:
      terminated_ = true;
      send_packet(kProtoLcp, 6, id, {});
      return;
    case 7:
      code_rejects_.emplace_back(d.begin(), d.end());
      return;
    case 8:
      if (d.size() >= 2) protocol_rejects_.push_back(load_be16(d.data()));
      return;
    case 9: {
      ++echo_requests_;
      if (!cfg_.answer_echo || d.size() < 4) return;
      Bytes r(d.begin(), d.end());
      store_be32(r.data(), cfg_.magic);
      send_packet(kProtoLcp, 10, id, r);
      return;
    }
    default:
      return;
  }
}

void TestPeer::lcp_opened() {
  lcp_was_open_ = true;
  for (std::uint16_t proto : cfg_.extra_protocols) {
    // A Configure-Request of that control protocol (CCP with MPPE, ECP, IPv6CP interface id).
    const Bytes opt = {0x12, 0x06, 0x01, 0x00, 0x00, 0x40};
    send_packet(proto, 1, next_id_++, opt);
  }
  if (auth_ == AuthProtocol::kPap) {
    send_pap();
  } else if (!auth_) {
    auth_done();
  }
}

void TestPeer::auth_done() {
  if (!ipcp_started_) send_ipcp_request();
}

void TestPeer::on_pap(ByteView p) {
  if (p.size() < 5 || p[1] != pap_id_) return;
  pap_pending_ = false;
  const std::size_t n = std::min<std::size_t>(p[4], p.size() - 5);
  auth_message_.assign(reinterpret_cast<const char*>(p.data() + 5), n);
  auth_ok_ = p[0] == kPapAck;
  if (*auth_ok_) auth_done();
}

void TestPeer::on_chap(ByteView p) {
  if (p.size() < 4 || load_be16(p.data() + 2) > p.size()) return;
  const std::uint8_t code = p[0], id = p[1];
  const ByteView d = p.subspan(4, load_be16(p.data() + 2) - 4u);
  if (code == kChapChallenge) {
    ++challenges_;
    if (d.empty() || d.size() < 1u + d[0]) return;
    const ByteView chal = d.subspan(1, d[0]);
    Bytes value;
    if (auth_ == AuthProtocol::kMsChapV2) {
      if (chal.size() != 16) return;
      std::copy(chal.begin(), chal.end(), auth_challenge_.begin());
      const auto nt =
          generate_nt_response(auth_challenge_, peer_challenge_, cfg_.user, cfg_.password);
      if (!nt) return;
      nt_response_ = *nt;
      value.assign(peer_challenge_.begin(), peer_challenge_.end());
      value.resize(24, 0);
      value.insert(value.end(), nt->begin(), nt->end());
      value.push_back(0);
    } else {
      const auto h = chap_md5_response(id, cfg_.password, chal);
      value.assign(h.begin(), h.end());
    }
    Bytes r;
    r.push_back(static_cast<std::uint8_t>(value.size()));
    r.insert(r.end(), value.begin(), value.end());
    r.insert(r.end(), cfg_.user.begin(), cfg_.user.end());
    send_packet(kProtoChap, kChapResponse, id, r);
    return;
  }
  if (code == kChapSuccess || code == kChapFailure) {
    auth_message_.assign(reinterpret_cast<const char*>(d.data()), d.size());
    auth_ok_ = code == kChapSuccess;
    if (code == kChapSuccess && auth_ == AuthProtocol::kMsChapV2) {
      const auto expect = generate_authenticator_response(
          cfg_.password, nt_response_, peer_challenge_, auth_challenge_, cfg_.user);
      server_verified_ = expect && auth_message_.rfind(*expect, 0) == 0;
      if (!server_verified_) return;  // a client must not go on with a forged Success
    }
    if (code == kChapSuccess) auth_done();
  }
}

void TestPeer::on_ipcp(ByteView p) {
  if (p.size() < 4 || load_be16(p.data() + 2) > p.size()) return;
  const std::uint8_t code = p[0], id = p[1];
  const ByteView d = p.subspan(4, load_be16(p.data() + 2) - 4u);
  switch (code) {
    case 1: {
      auto opts = decode(d);
      if (!opts) return;
      for (const Opt& o : *opts) {
        if (o.type == kIpcpAddress && o.value.size() == 4) server_addr_ = load_be32(o.value.data());
      }
      send_packet(kProtoIpcp, 2, id, d);
      ipcp_ack_sent_ = true;
      if (!ipcp_started_) send_ipcp_request();
      return;
    }
    case 2: {
      if (id != ipcp_req_id_) return;
      ipcp_ack_rcvd_ = true;
      for (const Opt& o : ipcp_opts_) {
        if (o.value.size() != 4) continue;
        const std::uint32_t v = load_be32(o.value.data());
        if (o.type == kIpcpAddress) addr_ = v;
        if (o.type == kIpcpDns1) dns1_ = v;
        if (o.type == kIpcpDns2) dns2_ = v;
      }
      return;
    }
    case 3:
    case 4: {
      if (id != ipcp_req_id_) return;
      auto opts = decode(d);
      if (!opts) return;
      for (const Opt& o : *opts) {
        auto it = std::find_if(ipcp_opts_.begin(), ipcp_opts_.end(),
                               [&](const Opt& x) { return x.type == o.type; });
        if (code == 4) {
          ipcp_rejected_.push_back(o.type);
          if (it != ipcp_opts_.end()) ipcp_opts_.erase(it);
        } else if (it != ipcp_opts_.end()) {
          it->value = o.value;
        } else {
          ipcp_opts_.push_back(o);
        }
      }
      send_ipcp_request();
      return;
    }
    case 5:
      send_packet(kProtoIpcp, 6, id, {});
      return;
    default:
      return;
  }
}

}  // namespace l2sec::ppp::test
