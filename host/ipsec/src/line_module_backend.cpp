#include "l2sec/ipsec/line_module_backend.hpp"

#include <openssl/crypto.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <functional>
#include <iterator>
#include <thread>

#include "l2sec/golden/classify.hpp"
#include "l2sec/golden/crypto.hpp"
#include "l2sec/log.hpp"

namespace l2sec::ipsec {
namespace {

using driver::Ring;

// The inner SoftBackend's port, the host's slow path through the line module. What the line
// module hands up whole for it (a host-path SA's ESP, RX_PACKET not protected) arrives here,
// queued by the back end; what it sends (ESP sealed in software: a whole IPv4 packet) leaves as
// TX_IP, the firmware putting the Ethernet header in front.
class DeviceSlowPort final : public FramePort {
 public:
  using Sender = std::function<Status(ByteView)>;
  explicit DeviceSlowPort(Sender sender) : sender_(std::move(sender)) {}
  bool send(ByteView packet) override {
    const Status st = sender_(packet);
    if (st.ok()) return true;
    ++refused_;
    if (refused_ == 1 || refused_ % 1000 == 0) {
      log::warning("lm") << "software-path packet not sent through the line module: " << st.error
                         << " (" << refused_ << " so far)";
    }
    return false;
  }
  std::optional<Bytes> receive() override {
    if (queue_.empty()) return std::nullopt;
    Bytes b = std::move(queue_.front());
    queue_.pop_front();
    return b;
  }
  int fd() const override { return -1; }
  void deliver(Bytes ipv4) { queue_.push_back(std::move(ipv4)); }

 private:
  Sender sender_;
  std::deque<Bytes> queue_;
  std::uint64_t refused_ = 0;
};

fw::Endpoint to_fw(Endpoint e) { return {e.addr, e.port}; }
Endpoint from_fw(fw::Endpoint e) { return {e.addr, e.port}; }

lm::DropReason reason_of(const fw::Reply& r) {
  if (r.reason != lm::DropReason::kNone) return r.reason;
  switch (r.result) {
    case fw::Result::kNoRoute:
    case fw::Result::kNotFound:
      return lm::DropReason::kUnknownSpi;
    case fw::Result::kBusy:
      return lm::DropReason::kNoBuffer;
    default:
      return lm::DropReason::kNone;
  }
}

std::string describe(const fw::Reply& r) {
  std::string s(fw::to_string(r.result));
  if (!r.error.empty()) s += ": " + r.error;
  return s;
}

}  // namespace

LineModuleBackend::LineModuleBackend(std::unique_ptr<driver::Device> device,
                                     LineModuleBackendOptions options)
    : device_(std::move(device)), options_(options) {
  SoftBackendOptions so;
  so.nat_passthrough = options.nat_passthrough;
  soft_ = std::make_unique<SoftBackend>(
      std::make_unique<DeviceSlowPort>([this](ByteView packet) {
        return transmit(fw::TxIp{0, Bytes(packet.begin(), packet.end())}, "TX_IP");
      }),
      so);
}

LineModuleBackend::~LineModuleBackend() {
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

std::unique_ptr<LineModuleBackend> LineModuleBackend::create(std::unique_ptr<driver::Device> device,
                                                             LineModuleBackendOptions options,
                                                             std::string* error) {
  std::string why;
  if (device == nullptr) {
    if (error) *error = "no device";
    return nullptr;
  }
  std::unique_ptr<LineModuleBackend> b(new LineModuleBackend(std::move(device), options));
  const auto r = b->request(fw::Hello{}, Ring::kMboxToDevice, &why);
  if (!r) {
    if (error) *error = "line module " + std::string(b->device_->name()) + ": HELLO: " + why;
    return nullptr;
  }
  if (!r->ok() || !r->hello) {
    if (error)
      *error = "line module " + std::string(b->device_->name()) + " refused HELLO: " + describe(*r);
    return nullptr;
  }
  if (r->hello->version != fw::kVersion) {
    if (error)
      *error = "line module speaks mailbox version " + std::to_string(r->hello->version) +
               ", we speak " + std::to_string(fw::kVersion);
    return nullptr;
  }
  b->hello_ = *r->hello;
  if (b->hello_.capacity != 0) b->slots_ = b->hello_.capacity;
  // One descriptor for the daemon's poll loop: the device's from-device rings.
  b->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  int added = 0;
  for (const Ring ring : {Ring::kMboxFromDevice, Ring::kPacketFromDevice}) {
    const int fd = b->device_->ring_fd(ring);
    if (fd < 0 || b->epoll_fd_ < 0) continue;
    epoll_event ev{};
    ev.events = EPOLLIN;
    if (epoll_ctl(b->epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0) ++added;
  }
  if (added == 0 && b->epoll_fd_ >= 0) {
    close(b->epoll_fd_);
    b->epoll_fd_ = -1;  // polled only: the daemon's tick interval drives it
  }
  log::info("lm") << "line module " << b->device_->name() << ": mailbox v" << b->hello_.version
                  << ", regmap 0x" << std::hex << b->hello_.regmap_version << ", rtl 0x"
                  << b->hello_.rtl_version << std::dec << ", " << b->slots_ << " SA slots, "
                  << unsigned{b->hello_.ports} << " port(s)";
  return b;
}

// ---- the mailbox

bool LineModuleBackend::push(Ring ring, ByteView bytes, std::string* error) {
  const auto deadline = Clock::now() + options_.reply_timeout;
  for (;;) {
    const auto st = device_->send(ring, bytes);
    if (st.ok()) return true;
    if (!st.full() || Clock::now() > deadline) {
      if (error) *error = st.error;
      return false;
    }
    // The ring is full: let the device take some, and keep what it hands us meanwhile.
    if (const auto s = device_->service(); !s.ok()) {
      if (error) *error = s.error;
      return false;
    }
    drain(Ring::kPacketFromDevice, std::nullopt, nullptr);
    drain(Ring::kMboxFromDevice, std::nullopt, nullptr);
  }
}

void LineModuleBackend::take(const Bytes& raw, std::optional<std::uint32_t> waiting_for,
                             std::optional<fw::Reply>* got) {
  fw::DecodeError derr;
  auto m = fw::decode(raw, &derr);
  if (!m) {
    ++counters_.stray_messages;
    log::warning("lm") << "undecodable message from the line module: " << derr.reason;
    return;
  }
  if (auto* reply = std::get_if<fw::Reply>(&m->body)) {
    if (waiting_for && got != nullptr && m->seq == *waiting_for) {
      *got = std::move(*reply);
      return;
    }
    // A transmit's response when nobody waits (asynchronous TX), or a late one.
    if (!reply->ok()) {
      ++counters_.tx_refused;
      log::debug("lm") << fw::to_string(static_cast<fw::MsgType>(reply->answers)) << " seq "
                       << m->seq << " refused: " << describe(*reply);
    }
    return;
  }
  if (auto* ev = std::get_if<fw::Event>(&m->body)) {
    ++counters_.events;
    Event e{static_cast<EventKind>(ev->kind), ev->handle, ev->spi, ev->direction,
            from_fw(ev->peer)};
    if (ev->kind == fw::EventKind::kHardExpire) {
      // The firmware has deleted the SA already.
      const auto it = sas_.find({ev->spi, ev->direction});
      if (it != sas_.end() && it->second.path == DataPath::kLineModule) forget(it);
    }
    events_.push_back(e);
    return;
  }
  if (auto* rx = std::get_if<fw::RxPacket>(&m->body)) {
    ++counters_.rx_packets;
    if ((rx->pkt_class == lm::PktClass::kEsp || rx->pkt_class == lm::PktClass::kEspUdp) &&
        !rx->is_protected) {
      // ESP the line module did not decapsulate, handed up whole: the software path's.
      if (const auto ip =
              rx->payload.size() > golden::kEthernetHeader
                  ? std::optional<ByteView>(ByteView(rx->payload).subspan(golden::kEthernetHeader))
                  : std::nullopt) {
        // The soft backend's port is ours; feed it.
        static_cast<DeviceSlowPort&>(soft_->port()).deliver(Bytes(ip->begin(), ip->end()));
      }
      return;
    }
    HostPacket hp;
    hp.pkt_class = rx->pkt_class;
    hp.local = from_fw(rx->local);
    hp.peer = from_fw(rx->peer);
    hp.handle = rx->is_protected ? rx->handle : kNoHandle;
    hp.spi = rx->spi;
    hp.inner_src_port = rx->inner_src_port;
    hp.inner_dst_port = rx->inner_dst_port;
    hp.payload = std::move(rx->payload);
    rx_.push_back(std::move(hp));
    return;
  }
  ++counters_.stray_messages;
}

void LineModuleBackend::drain(Ring ring, std::optional<std::uint32_t> waiting_for,
                              std::optional<fw::Reply>* got) {
  while (auto raw = device_->receive(ring)) {
    take(*raw, waiting_for, got);
    if (got != nullptr && got->has_value()) return;
  }
}

std::optional<fw::Reply> LineModuleBackend::request(fw::Body body, Ring ring, std::string* error) {
  const std::uint32_t seq = ++seq_;
  fw::encode(fw::Message{seq, std::move(body)}, buf_);
  ++counters_.requests;
  if (!push(ring, buf_, error)) return std::nullopt;
  const Ring answers =
      ring == Ring::kMboxToDevice ? Ring::kMboxFromDevice : Ring::kPacketFromDevice;
  const auto deadline = Clock::now() + options_.reply_timeout;
  std::optional<fw::Reply> got;
  for (int pass = 0;; ++pass) {
    drain(answers, seq, &got);
    if (got) {
      ++counters_.replies;
      return got;
    }
    if (Clock::now() > deadline) {
      ++counters_.timeouts;
      if (error) *error = "no response from the line module within the timeout";
      return std::nullopt;
    }
    if (const auto s = device_->service(); !s.ok()) {
      if (error) *error = s.error;
      return std::nullopt;
    }
    // A device in another process: give it the CPU between looks (this machine may have one).
    if (device_->ring_fd(answers) >= 0 && pass > 8) std::this_thread::yield();
  }
}

void LineModuleBackend::service() {
  if (const auto s = device_->service(); !s.ok()) {
    log::error("lm") << "line module " << device_->name() << ": " << s.error;
  }
  drain(Ring::kMboxFromDevice, std::nullopt, nullptr);
  drain(Ring::kPacketFromDevice, std::nullopt, nullptr);
}

// ---- SAs

std::uint32_t LineModuleBackend::allocate_spi() {
  // Inbound SPIs index the lower half of the table (see used_slots_ in the header).
  const std::uint32_t lower = slots_ / 2;
  const auto installed_lower = static_cast<std::size_t>(std::distance(
      used_slots_.begin(), used_slots_.lower_bound(static_cast<std::uint16_t>(lower))));
  const bool room = installed_lower + reserved_slots_.size() < lower;
  for (;;) {
    const auto spi = static_cast<std::uint32_t>(rng_());
    if (spi <= 255) continue;
    if (!room) {
      // Every inbound slot is taken or promised: the SA will be served by the software path
      // (counted there); only uniqueness counts.
      if (!sas_.contains({spi, lm::Direction::kInbound})) return spi;
      continue;
    }
    const auto slot = static_cast<std::uint16_t>(spi % slots_);
    if (slot >= lower || used_slots_.contains(slot) || reserved_slots_.contains(slot)) continue;
    reserved_slots_.emplace(slot, now_);
    return spi;
  }
}

Status LineModuleBackend::add_sa(const SaSpec& spec) {
  const auto& cfg = spec.sa;
  if (spec.handle == kNoHandle) return Status::failure("SA without a handle");
  if (sas_.contains({cfg.spi, cfg.direction})) {
    return Status::failure("SPI " + std::to_string(cfg.spi) + " already installed");
  }
  if (const auto bad = golden::validate_sa_config(cfg)) return Status::failure(*bad);
  // The SPI's reservation ends here: installed below, or it failed and the SPI is not used.
  if (cfg.direction == lm::Direction::kInbound) {
    reserved_slots_.erase(static_cast<std::uint16_t>(cfg.spi % slots_));
  }
  Entry e{spec, DataPath::kLineModule, std::nullopt, now_, false, false};
  std::string why;
  const bool des3 = cfg.cipher == lm::Cipher::kDes3Cbc;
  if (des3) why = "3DES is not implemented by the line module";
  if (des3 && cfg.direction == lm::Direction::kInbound) {
    // The software path decapsulates it; the line module only has to hand its ESP up, which a
    // host-path entry (lookup fields, no keys) in the SA table does.
    if (auto host = fw::expand_sa(cfg, &why)) {
      fw::SaAdd add;
      add.handle = spec.handle;
      add.sa = fw::without_keys(*host);
      add.sa.key_len = 0;
      const auto r = request(std::move(add), Ring::kMboxToDevice, &why);
      if (!r) return Status::failure("line module: " + why);
      if (r->result == fw::Result::kHostPath && r->slot) {
        e.host_entry = true;
        e.slot = r->slot;
        used_slots_.insert(static_cast<std::uint16_t>(cfg.spi % slots_));
        why = "3DES, host-path entry in slot " + std::to_string(*r->slot);
      } else {
        // A full table, a collision, an older firmware: the SA still works in software, but its
        // ESP does not reach the host through this line module.
        why = "3DES; no host-path entry (" + describe(*r) + "): its ESP will not reach the host";
        log::warning("lm") << "SA spi 0x" << std::hex << cfg.spi << std::dec << ": " << why;
      }
    }
  }
  auto params = des3 ? std::nullopt : fw::expand_sa(cfg, &why);
  bool soft = !params.has_value();
  if (params) {
    if (options_.nat_passthrough) params->nat_passthrough = true;
    if (cfg.iv_key.empty()) golden::random_bytes(params->iv_key);  // the RTL's IV generator key
    fw::SaAdd add;
    add.handle = spec.handle;
    add.sa = *params;
    add.soft.bytes = spec.soft.bytes;  // seconds are checked in tick()
    add.hard.bytes = spec.hard.bytes;
    const auto r = request(std::move(add), Ring::kMboxToDevice, &why);
    OPENSSL_cleanse(params->key.data(), params->key.size());
    OPENSSL_cleanse(params->iv_key.data(), params->iv_key.size());
    if (!r) return Status::failure("line module: " + why);
    if (!r->ok()) {
      switch (r->result) {
        case fw::Result::kUnsupported:
        case fw::Result::kNoSpace:
        case fw::Result::kCollision:
          why = describe(*r);
          soft = true;  // the host's slow path takes it
          break;
        default:
          return Status::failure("line module refused the SA: " + describe(*r), reason_of(*r));
      }
    } else {
      e.slot = r->slot;
      if (cfg.direction == lm::Direction::kInbound) {
        used_slots_.insert(static_cast<std::uint16_t>(cfg.spi % slots_));
      } else if (r->slot) {
        used_slots_.insert(*r->slot);
      }
    }
  }
  if (soft) {
    const auto st = soft_->add_sa(spec);
    if (!st.ok()) {
      if (e.host_entry) {
        std::string ignored;
        request(fw::SaDel{cfg.spi, cfg.direction, 0}, Ring::kMboxToDevice, &ignored);
        used_slots_.erase(static_cast<std::uint16_t>(cfg.spi % slots_));
      }
      return st;
    }
    e.path = DataPath::kSoftware;
    ++counters_.soft_path_sas;
    if (cfg.direction == lm::Direction::kOutbound) soft_active_out_[spec.handle] = cfg.spi;
    log::notice("ipsec") << "SA spi 0x" << std::hex << cfg.spi << std::dec << " handle "
                         << spec.handle << " on the software path (" << why << ")";
  } else {
    if (cfg.direction == lm::Direction::kOutbound) soft_active_out_.erase(spec.handle);
    log::info("ipsec") << "installed " << (cfg.direction == lm::Direction::kInbound ? "in" : "out")
                       << "bound SA spi 0x" << std::hex << cfg.spi << std::dec << " handle "
                       << spec.handle << " " << lm::to_string(cfg.cipher) << "/"
                       << lm::to_string(cfg.integ) << " slot " << e.slot.value_or(0)
                       << " (line module)";
  }
  // Keys stay with the data path that uses them, not here.
  golden::wipe(e.spec.sa.enc_key);
  golden::wipe(e.spec.sa.auth_key);
  golden::wipe(e.spec.sa.iv_key);
  sas_.emplace(Key{cfg.spi, cfg.direction}, std::move(e));
  return Status::success();
}

Status LineModuleBackend::update_peer(SaHandle handle, Endpoint peer) {
  bool lm_any = false, soft_any = false;
  for (auto& [key, e] : sas_) {
    if (e.spec.handle != handle) continue;
    (e.path == DataPath::kLineModule ? lm_any : soft_any) = true;
    e.spec.sa.peer_addr = peer.addr;
    e.spec.sa.peer_port = peer.port;
  }
  if (!lm_any && !soft_any) return Status::failure("no SA with handle " + std::to_string(handle));
  if (soft_any) {
    if (auto st = soft_->update_peer(handle, peer); !st.ok()) return st;
  }
  if (lm_any) {
    std::string why;
    const auto r = request(fw::SaUpdatePeer{handle, to_fw(peer)}, Ring::kMboxToDevice, &why);
    if (!r) return Status::failure("line module: " + why);
    if (!r->ok()) return Status::failure("line module: " + describe(*r), reason_of(*r));
  }
  log::info("ipsec") << "handle " << handle << ": peer now " << to_string(peer);
  return Status::success();
}

std::optional<SaStatus> LineModuleBackend::query_sa(std::uint32_t spi, lm::Direction dir) const {
  const auto it = sas_.find({spi, dir});
  if (it == sas_.end()) return std::nullopt;
  const Entry& e = it->second;
  if (e.path == DataPath::kSoftware) {
    auto st = soft_->query_sa(spi, dir);
    if (st) st->installed = e.installed;
    return st;
  }
  // Asking the device is not const (it runs a simulated one); the answer does not change what
  // this object holds beyond its queues.
  auto* self = const_cast<LineModuleBackend*>(this);
  std::string why;
  const auto r = self->request(fw::SaQuery{spi, dir}, Ring::kMboxToDevice, &why);
  if (!r || !r->ok() || !r->sa) {
    log::warning("lm") << "SA_QUERY spi 0x" << std::hex << spi << std::dec << ": "
                       << (r ? describe(*r) : why);
    return std::nullopt;
  }
  const fw::SaInfo& info = *r->sa;
  SaStatus st;
  st.handle = e.spec.handle;
  st.sa = e.spec.sa;  // keys already wiped
  st.sa.peer_addr = info.sa.peer_addr;
  st.sa.peer_port = info.sa.peer_port;
  st.path = DataPath::kLineModule;
  st.stats.packets = info.counters.packets;
  st.stats.bytes = info.counters.bytes;
  st.stats.icv_fail = info.counters.icv_fail;
  st.stats.replay_drop = info.counters.replay_drop;
  st.stats.pad_fail = info.counters.pad_fail;
  st.stats.other_drop = info.counters.other_drop;
  st.last_seq = info.last_seq;
  st.installed = e.installed;
  st.active_outbound = info.active_outbound;
  return st;
}

std::vector<SaStatus> LineModuleBackend::list_sas() const {
  std::vector<SaStatus> out;
  for (const auto& [key, e] : sas_) {
    if (auto st = query_sa(key.first, key.second)) out.push_back(std::move(*st));
  }
  return out;
}

void LineModuleBackend::forget(std::map<Key, Entry>::iterator it) {
  const Entry& e = it->second;
  if (e.path == DataPath::kLineModule) {
    if (it->first.second == lm::Direction::kInbound) {
      used_slots_.erase(static_cast<std::uint16_t>(it->first.first % slots_));
    } else if (e.slot) {
      used_slots_.erase(*e.slot);
    }
  } else {
    if (it->first.second == lm::Direction::kInbound) {
      used_slots_.erase(static_cast<std::uint16_t>(it->first.first % slots_));
    }
    const auto a = soft_active_out_.find(e.spec.handle);
    if (a != soft_active_out_.end() && a->second == it->first.first) soft_active_out_.erase(a);
  }
  sas_.erase(it);
}

Status LineModuleBackend::del_sa(std::uint32_t spi, lm::Direction dir) {
  const auto it = sas_.find({spi, dir});
  if (it == sas_.end()) return Status::failure("no SA with SPI " + std::to_string(spi));
  if (it->second.path == DataPath::kSoftware) {
    drop_host_entry(it->second, spi, dir);
    const auto st = soft_->del_sa(spi, dir);
    forget(it);
    return st;
  }
  std::string why;
  const auto r = request(fw::SaDel{spi, dir, 0}, Ring::kMboxToDevice, &why);
  if (!r) return Status::failure("line module: " + why);
  if (!r->ok() && r->result != fw::Result::kNotFound) {
    return Status::failure("line module: " + describe(*r), reason_of(*r));
  }
  log::info("ipsec") << "deleted " << (dir == lm::Direction::kInbound ? "in" : "out")
                     << "bound SA spi 0x" << std::hex << spi << std::dec << " handle "
                     << it->second.spec.handle;
  forget(it);
  return Status::success();
}

void LineModuleBackend::drop_host_entry(Entry& e, std::uint32_t spi, lm::Direction dir) {
  if (!e.host_entry) return;
  e.host_entry = false;
  std::string why;
  const auto r = request(fw::SaDel{spi, dir, 0}, Ring::kMboxToDevice, &why);
  if (!r || (!r->ok() && r->result != fw::Result::kNotFound)) {
    log::warning("lm") << "host-path entry of spi 0x" << std::hex << spi << std::dec
                       << " not removed: " << (r ? describe(*r) : why);
  }
}

// ---- egress

Status LineModuleBackend::transmit(fw::Body body, const char* what) {
  std::string why;
  if (!options_.synchronous_tx) {
    fw::encode(fw::Message{++seq_, std::move(body)}, buf_);
    if (!push(Ring::kPacketToDevice, buf_, &why)) {
      ++counters_.tx_refused;
      return Status::failure(std::string(what) + ": " + why, lm::DropReason::kNoBuffer);
    }
    ++counters_.tx_sent;
    return Status::success();
  }
  const auto r = request(std::move(body), Ring::kPacketToDevice, &why);
  if (!r) {
    ++counters_.tx_refused;
    return Status::failure(std::string(what) + ": " + why, lm::DropReason::kNoBuffer);
  }
  if (!r->ok()) {
    ++counters_.tx_refused;
    return Status::failure(std::string(what) + ": " + describe(*r), reason_of(*r));
  }
  ++counters_.tx_sent;
  return Status::success();
}

Status LineModuleBackend::send_ike(Endpoint local, Endpoint peer, ByteView message) {
  return transmit(fw::TxIke{0, to_fw(local), to_fw(peer), Bytes(message.begin(), message.end())},
                  "TX_IKE");
}

Status LineModuleBackend::send_l2tp_clear(Endpoint local, Endpoint peer, ByteView message) {
  return transmit(
      fw::TxL2tpClear{0, to_fw(local), to_fw(peer), Bytes(message.begin(), message.end())},
      "TX_L2TP_CLEAR");
}

Status LineModuleBackend::send_l2tp(SaHandle handle, std::uint16_t lac_port, ByteView message) {
  if (soft_active_out_.contains(handle)) return soft_->send_l2tp(handle, lac_port, message);
  bool any = false;
  for (const auto& [key, e] : sas_) {
    any |= e.spec.handle == handle && key.second == lm::Direction::kOutbound &&
           e.path == DataPath::kLineModule;
  }
  if (!any) {
    return Status::failure("no outbound SA for handle " + std::to_string(handle),
                           lm::DropReason::kUnknownSpi);
  }
  return transmit(fw::TxL2tp{handle, lac_port, Bytes(message.begin(), message.end())}, "TX_L2TP");
}

// ---- ingress

std::optional<HostPacket> LineModuleBackend::receive() {
  if (rx_.empty()) service();
  if (!rx_.empty()) {
    HostPacket hp = std::move(rx_.front());
    rx_.pop_front();
    return hp;
  }
  return soft_->receive();
}

std::optional<Event> LineModuleBackend::next_event() {
  if (events_.empty()) drain(Ring::kMboxFromDevice, std::nullopt, nullptr);
  if (!events_.empty()) {
    Event e = events_.front();
    events_.pop_front();
    return e;
  }
  auto ev = soft_->next_event();
  if (ev && ev->kind == EventKind::kHardExpire) {
    // The software path has deleted the SA: its host-path entry and our record go too.
    const auto it = sas_.find({ev->spi, ev->direction});
    if (it != sas_.end() && it->second.path == DataPath::kSoftware) {
      drop_host_entry(it->second, ev->spi, ev->direction);
      forget(it);
    }
  }
  return ev;
}

void LineModuleBackend::tick(Clock::time_point now) {
  now_ = now;
  // SPIs handed out for a Quick Mode that never completed.
  std::erase_if(reserved_slots_, [&](const auto& r) { return now - r.second > kSpiReservation; });
  soft_->tick(now);  // the software path's own lifetimes
  std::vector<Key> hard;
  for (auto& [key, e] : sas_) {
    if (e.path != DataPath::kLineModule) continue;
    const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - e.installed).count();
    if (!e.soft_fired && e.spec.soft.seconds != 0 &&
        static_cast<std::uint64_t>(age) >= e.spec.soft.seconds) {
      e.soft_fired = true;
      events_.push_back({EventKind::kSoftExpire, e.spec.handle, key.first, key.second, {}});
    }
    if (e.spec.hard.seconds != 0 && static_cast<std::uint64_t>(age) >= e.spec.hard.seconds) {
      hard.push_back(key);
    }
  }
  for (const auto& key : hard) {
    const SaHandle handle = sas_.at(key).spec.handle;
    log::notice("ipsec") << "SA spi 0x" << std::hex << key.first << std::dec
                         << ": hard lifetime reached, deleted";
    if (const auto st = del_sa(key.first, key.second); !st.ok()) {
      log::warning("lm") << "hard expiry of spi 0x" << std::hex << key.first << std::dec << ": "
                         << st.error;
      const auto it = sas_.find(key);
      if (it != sas_.end()) forget(it);
    }
    events_.push_back({EventKind::kHardExpire, handle, key.first, key.second, {}});
  }
  service();
}

std::optional<fw::CountersInfo> LineModuleBackend::counters_of_device() {
  std::string why;
  const auto r = request(fw::CountersRequest{}, Ring::kMboxToDevice, &why);
  if (!r || !r->ok() || !r->counters) return std::nullopt;
  return r->counters;
}

}  // namespace l2sec::ipsec
