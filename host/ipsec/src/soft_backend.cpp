#include "l2sec/ipsec/soft_backend.hpp"

#include <cstring>

#include "l2sec/golden/classify.hpp"
#include "l2sec/golden/crypto.hpp"
#include "l2sec/golden/ipv4.hpp"
#include "l2sec/log.hpp"

namespace l2sec::ipsec {
namespace {

constexpr std::size_t kNonEspMarker = 4;
using golden::wipe;

SaStatus status_of(const SaSpec& spec, const golden::Sa* sa, bool active,
                   Clock::time_point installed) {
  SaStatus st;
  st.handle = spec.handle;
  st.sa = spec.sa;
  st.sa.enc_key.assign(st.sa.enc_key.size(), 0);
  st.sa.auth_key.assign(st.sa.auth_key.size(), 0);
  st.sa.iv_key.assign(st.sa.iv_key.size(), 0);
  st.path = DataPath::kSoftware;
  st.installed = installed;
  st.active_outbound = active;
  if (sa != nullptr) {
    st.stats = sa->stats();
    st.sa.peer_addr = sa->config().peer_addr;
    st.sa.peer_port = sa->config().peer_port;
    st.last_seq = spec.sa.direction == lm::Direction::kOutbound ? sa->last_seq()
                                                                : sa->replay_window().highest();
  }
  return st;
}

}  // namespace

SoftBackend::SoftBackend(std::unique_ptr<FramePort> port, SoftBackendOptions options)
    : port_(std::move(port)), options_(options) {}

std::uint32_t SoftBackend::allocate_spi() {
  const std::uint32_t slots = options_.spi_index_slots;
  for (;;) {
    const auto spi = static_cast<std::uint32_t>(rng_());
    if (spi <= 255) continue;
    if (used_slots_.size() >= slots) {
      // Every slot is taken: only SPI uniqueness matters on the software path.
      if (!sas_.contains({spi, lm::Direction::kInbound})) return spi;
      continue;
    }
    if (used_slots_.contains(spi % slots)) continue;
    used_slots_.insert(spi % slots);  // reserved until the SA goes (or add_sa never comes)
    return spi;
  }
}

Status SoftBackend::add_sa(const SaSpec& spec) {
  const auto& cfg = spec.sa;
  if (spec.handle == kNoHandle) return Status::failure("SA without a handle");
  if (sas_.contains({cfg.spi, cfg.direction})) {
    return Status::failure("SPI " + std::to_string(cfg.spi) + " already installed");
  }
  std::string error;
  const auto h = engine_.add_sa(cfg, &error);
  if (!h) return Status::failure(error);
  Entry e{spec, *h, now_, false};
  sas_.emplace(Key{cfg.spi, cfg.direction}, std::move(e));
  if (cfg.direction == lm::Direction::kInbound) {
    used_slots_.insert(cfg.spi % options_.spi_index_slots);
  } else {
    active_outbound_[spec.handle] = cfg.spi;
  }
  log::info("ipsec") << "installed " << (cfg.direction == lm::Direction::kInbound ? "in" : "out")
                     << "bound SA spi 0x" << std::hex << cfg.spi << std::dec << " handle "
                     << spec.handle << " " << lm::to_string(cfg.cipher) << "/"
                     << lm::to_string(cfg.integ)
                     << (cfg.encap == lm::Encap::kUdp ? " udp-encap" : "") << " peer "
                     << to_string(Endpoint{cfg.peer_addr, cfg.peer_port}) << " (software path)";
  return Status::success();
}

Status SoftBackend::update_peer(SaHandle handle, Endpoint peer) {
  bool any = false;
  for (auto& [key, e] : sas_) {
    if (e.spec.handle != handle) continue;
    any = true;
    e.spec.sa.peer_addr = peer.addr;
    e.spec.sa.peer_port = peer.port;
    if (auto* sa = engine_.find(e.engine_handle)) sa->set_peer(peer.addr, peer.port);
  }
  if (!any) return Status::failure("no SA with handle " + std::to_string(handle));
  log::info("ipsec") << "handle " << handle << ": peer now " << to_string(peer);
  return Status::success();
}

std::optional<SaStatus> SoftBackend::query_sa(std::uint32_t spi, lm::Direction dir) const {
  const auto it = sas_.find({spi, dir});
  if (it == sas_.end()) return std::nullopt;
  const auto active = active_outbound_.find(it->second.spec.handle);
  const bool is_active =
      dir == lm::Direction::kOutbound && active != active_outbound_.end() && active->second == spi;
  return status_of(it->second.spec, engine_.find(it->second.engine_handle), is_active,
                   it->second.installed);
}

std::vector<SaStatus> SoftBackend::list_sas() const {
  std::vector<SaStatus> out;
  for (const auto& [key, e] : sas_) {
    if (auto st = query_sa(key.first, key.second)) out.push_back(std::move(*st));
  }
  return out;
}

void SoftBackend::remove(std::map<Key, Entry>::iterator it) {
  Entry& e = it->second;
  engine_.remove_sa(e.engine_handle);
  const auto& cfg = e.spec.sa;
  if (cfg.direction == lm::Direction::kInbound) {
    used_slots_.erase(cfg.spi % options_.spi_index_slots);
  } else {
    const auto active = active_outbound_.find(e.spec.handle);
    if (active != active_outbound_.end() && active->second == cfg.spi) {
      // Fall back to another outbound SA of the same handle, if one is left (the old one of a
      // rekey that is deleted later than the new one is the odd case).
      active_outbound_.erase(active);
      for (const auto& [k, other] : sas_) {
        if (&other != &e && other.spec.handle == e.spec.handle &&
            k.second == lm::Direction::kOutbound) {
          active_outbound_[e.spec.handle] = k.first;
        }
      }
    }
  }
  wipe(e.spec.sa.enc_key);
  wipe(e.spec.sa.auth_key);
  wipe(e.spec.sa.iv_key);
  sas_.erase(it);
}

Status SoftBackend::del_sa(std::uint32_t spi, lm::Direction dir) {
  const auto it = sas_.find({spi, dir});
  if (it == sas_.end()) return Status::failure("no SA with SPI " + std::to_string(spi));
  log::info("ipsec") << "deleted " << (dir == lm::Direction::kInbound ? "in" : "out")
                     << "bound SA spi 0x" << std::hex << spi << std::dec << " handle "
                     << it->second.spec.handle;
  remove(it);
  return Status::success();
}

SoftBackend::Entry* SoftBackend::find_by_engine(golden::SaHandle h) {
  for (auto& [key, e] : sas_) {
    if (e.engine_handle == h) return &e;
  }
  return nullptr;
}

bool SoftBackend::transmit(ByteView packet) {
  if (!port_->send(packet)) {
    drop(lm::DropReason::kNoBuffer);
    return false;
  }
  ++counters_.frames_out;
  return true;
}

Status SoftBackend::send_ike(Endpoint local, Endpoint peer, ByteView message) {
  Bytes payload;
  if (local.port == golden::kPortNatT) payload.assign(kNonEspMarker, 0);
  payload.insert(payload.end(), message.begin(), message.end());
  const Bytes pkt =
      golden::build_udp_packet(local.addr, peer.addr, local.port, peer.port, payload, ip_id_++);
  if (!transmit(pkt))
    return Status::failure("port refused the IKE packet", lm::DropReason::kNoBuffer);
  ++counters_.ike_out;
  return Status::success();
}

Status SoftBackend::send_l2tp_clear(Endpoint local, Endpoint peer, ByteView message) {
  const Bytes pkt = golden::build_udp_packet(local.addr, peer.addr, golden::kPortL2tp, peer.port,
                                             message, ip_id_++);
  if (!transmit(pkt))
    return Status::failure("port refused the L2TP packet", lm::DropReason::kNoBuffer);
  ++counters_.l2tp_clear_out;
  return Status::success();
}

Status SoftBackend::send_l2tp(SaHandle handle, std::uint16_t lac_port, ByteView message) {
  const auto active = active_outbound_.find(handle);
  if (active == active_outbound_.end()) {
    drop(lm::DropReason::kUnknownSpi);
    return Status::failure("no outbound SA for handle " + std::to_string(handle),
                           lm::DropReason::kUnknownSpi);
  }
  const auto it = sas_.find({active->second, lm::Direction::kOutbound});
  Entry& e = it->second;
  const auto& cfg = e.spec.sa;
  // The inner UDP segment, its checksum over the addresses the peer knows (RFC 3948 3.1.2: the
  // original addresses when a NAT sits between us).
  Bytes segment(golden::kUdpHeader + message.size());
  store_be16(segment.data(), golden::kPortL2tp);
  store_be16(segment.data() + 2, lac_port);
  store_be16(segment.data() + 4, static_cast<std::uint16_t>(segment.size()));
  std::memcpy(segment.data() + golden::kUdpHeader, message.data(), message.size());
  const std::uint32_t csum_src = cfg.natoa_local.value_or(cfg.local_addr);
  const std::uint32_t csum_dst = cfg.natoa_peer.value_or(cfg.peer_addr);
  std::uint16_t csum = golden::udp_checksum(csum_src, csum_dst, segment);
  store_be16(segment.data() + 6, csum == 0 ? 0xffff : csum);

  golden::Ipv4Header fields;
  fields.id = ip_id_++;
  Bytes out;
  const auto r = engine_.encap_payload(e.engine_handle, golden::kIpProtoUdp, segment, fields, out);
  if (!r.ok()) {
    drop(r.reason);
    if (r.reason == lm::DropReason::kSeqOverflow) {
      events_.push_back({EventKind::kSeqOverflow, handle, cfg.spi, lm::Direction::kOutbound, {}});
    }
    return Status::failure(std::string("encap failed: ") + std::string(lm::to_string(r.reason)),
                           r.reason);
  }
  check_bytes(e);
  if (!transmit(out))
    return Status::failure("port refused the ESP packet", lm::DropReason::kNoBuffer);
  ++counters_.l2tp_protected_out;
  return Status::success();
}

void SoftBackend::check_bytes(Entry& e) {
  const auto* sa = engine_.find(e.engine_handle);
  if (sa == nullptr) return;
  const std::uint64_t bytes = sa->stats().bytes;
  const auto& cfg = e.spec.sa;
  if (!e.soft_fired && e.spec.soft.bytes != 0 && bytes >= e.spec.soft.bytes) {
    e.soft_fired = true;
    events_.push_back({EventKind::kSoftExpire, e.spec.handle, cfg.spi, cfg.direction, {}});
  }
  if (e.spec.hard.bytes != 0 && bytes >= e.spec.hard.bytes) {
    events_.push_back({EventKind::kHardExpire, e.spec.handle, cfg.spi, cfg.direction, {}});
    log::notice("ipsec") << "SA spi 0x" << std::hex << cfg.spi << std::dec
                         << ": hard byte lifetime reached, deleted";
    remove(sas_.find({cfg.spi, cfg.direction}));
  }
}

std::optional<HostPacket> SoftBackend::receive() {
  while (auto packet = port_->receive()) {
    ++counters_.frames_in;
    const Bytes frame = golden::ethernet_frame(*packet);
    const auto c = golden::classify(frame, options_.nat_passthrough);
    HostPacket hp;
    hp.pkt_class = c.pkt_class;
    hp.local = {c.dst_addr, c.dst_port};
    hp.peer = {c.src_addr, c.src_port};
    const ByteView payload(frame.data() + c.payload_offset, c.payload_length);
    switch (c.pkt_class) {
      case lm::PktClass::kIke:
      case lm::PktClass::kIkeNatt:
        if (c.dropped()) break;
        ++counters_.ike_in;
        hp.payload.assign(payload.begin(), payload.end());
        return hp;
      case lm::PktClass::kL2tpClear:
        if (c.dropped()) break;
        ++counters_.l2tp_clear_in;
        hp.inner_src_port = c.src_port;
        hp.inner_dst_port = c.dst_port;
        hp.payload.assign(payload.begin(), payload.end());
        return hp;
      case lm::PktClass::kNatKeepalive:
        ++counters_.keepalives_discarded;
        break;
      case lm::PktClass::kEsp:
      case lm::PktClass::kEspUdp: {
        if (c.dropped()) break;
        Bytes inner;
        const auto r = engine_.decap(ByteView(*packet), inner);
        if (!r.ok()) {
          drop(r.reason);
          log::debug("ipsec") << "ESP from " << to_string(hp.peer) << " spi 0x" << std::hex << r.spi
                              << std::dec << " dropped: " << lm::to_string(r.reason);
          continue;
        }
        Entry* e = find_by_engine(r.sa);
        if (e == nullptr) continue;  // cannot happen: the engine only knows our SAs
        if (r.next_header == golden::kNextHeaderNone) {  // dummy packet (RFC 4303 2.6)
          check_bytes(*e);
          continue;
        }
        lm::DropReason reason = lm::DropReason::kNone;
        const auto ip = golden::parse_ipv4(inner, &reason);
        const std::size_t hl = ip ? ip->ihl_bytes : 0;
        if (!ip || ip->protocol != golden::kIpProtoUdp || inner.size() < hl + golden::kUdpHeader ||
            load_be16(inner.data() + hl + 2) != golden::kPortL2tp) {
          ++counters_.not_l2tp;
          log::warning("ipsec") << "SA handle " << e->spec.handle
                                << ": decapsulated packet is not L2TP (UDP to 1701); dropped";
          check_bytes(*e);
          continue;
        }
        const Endpoint from{r.src_addr,
                            c.pkt_class == lm::PktClass::kEspUdp ? r.src_port : std::uint16_t{0}};
        const auto& cfg = e->spec.sa;
        if (from.addr != cfg.peer_addr ||
            (cfg.encap == lm::Encap::kUdp && from.port != cfg.peer_port)) {
          events_.push_back({EventKind::kPeerMoved, e->spec.handle, cfg.spi, cfg.direction, from});
        }
        ++counters_.l2tp_protected_in;
        hp.handle = e->spec.handle;
        hp.spi = r.spi;
        hp.peer = from;
        hp.inner_src_port = load_be16(inner.data() + hl);
        hp.inner_dst_port = golden::kPortL2tp;
        hp.payload.assign(inner.begin() + static_cast<std::ptrdiff_t>(hl + golden::kUdpHeader),
                          inner.end());
        check_bytes(*e);  // may delete the SA (hard byte lifetime); the packet was good
        return hp;
      }
      case lm::PktClass::kFragment:
        ++counters_.fragments;
        log::warning("ipsec") << "fragment from " << ipv4_to_string(c.src_addr)
                              << ": not reassembled on the software path; dropped";
        break;
      case lm::PktClass::kMalformed:
        break;
      case lm::PktClass::kOther:
        ++counters_.other;
        break;
    }
    if (c.dropped()) drop(c.reason);
  }
  return std::nullopt;
}

std::optional<Event> SoftBackend::next_event() {
  if (events_.empty()) return std::nullopt;
  Event e = events_.front();
  events_.pop_front();
  return e;
}

void SoftBackend::tick(Clock::time_point now) {
  now_ = now;
  for (auto it = sas_.begin(); it != sas_.end();) {
    Entry& e = it->second;
    const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - e.installed).count();
    const auto& cfg = e.spec.sa;
    if (!e.soft_fired && e.spec.soft.seconds != 0 &&
        static_cast<std::uint64_t>(age) >= e.spec.soft.seconds) {
      e.soft_fired = true;
      events_.push_back({EventKind::kSoftExpire, e.spec.handle, cfg.spi, cfg.direction, {}});
    }
    if (e.spec.hard.seconds != 0 && static_cast<std::uint64_t>(age) >= e.spec.hard.seconds) {
      events_.push_back({EventKind::kHardExpire, e.spec.handle, cfg.spi, cfg.direction, {}});
      log::notice("ipsec") << "SA spi 0x" << std::hex << cfg.spi << std::dec
                           << ": hard lifetime reached, deleted";
      const auto next = std::next(it);
      remove(it);
      it = next;
      continue;
    }
    ++it;
  }
}

}  // namespace l2sec::ipsec
