#include "l2sec/ipsec/chassis_backend.hpp"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "l2sec/log.hpp"

namespace l2sec::ipsec {

namespace {

std::string hex32(std::uint32_t v) {
  static const char* digits = "0123456789abcdef";
  std::string s = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) s += digits[(v >> shift) & 0xf];
  return s;
}

}  // namespace

std::unique_ptr<ChassisBackend> ChassisBackend::create(std::vector<ChassisSlot> slots,
                                                       ChassisBackendOptions options,
                                                       std::string* error) {
  if (slots.empty()) {
    *error = "chassis: no line module";
    return nullptr;
  }
  if (options.spi_index_slots == 0) options.spi_index_slots = lm::sa_entry::kCapacity;
  std::map<std::uint32_t, std::size_t> owner;
  for (std::size_t i = 0; i < slots.size(); ++i) {
    const auto& s = slots[i];
    const std::string which = "chassis: slot " + std::to_string(i) + " (" + s.name + ")";
    if (!s.backend) {
      *error = which + ": no back end";
      return nullptr;
    }
    if (s.addresses.empty()) {
      *error = which + ": no port address";
      return nullptr;
    }
    for (const auto a : s.addresses) {
      if (a == 0) {
        *error = which + ": port address 0.0.0.0";
        return nullptr;
      }
      const auto [it, fresh] = owner.emplace(a, i);
      if (!fresh && it->second != i) {
        *error = which + ": port address " + ipv4_to_string(a) + " is slot " +
                 std::to_string(it->second) + "'s already";
        return nullptr;
      }
    }
  }
  std::unique_ptr<ChassisBackend> c(new ChassisBackend(std::move(slots), options));
  c->address_slot_ = std::move(owner);

  // One descriptor over the slots' descriptors, and a timer for the polled-only ones.
  bool polled_only = false;
  std::vector<int> fds;
  for (const auto& s : c->slots_) {
    const int fd = s.backend->poll_fd();
    if (fd >= 0) {
      fds.push_back(fd);
    } else {
      polled_only = true;
    }
  }
  if (polled_only && options.polled_slot_interval.count() > 0) {
    c->timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (c->timer_fd_ < 0) {
      *error = std::string("chassis: timerfd_create: ") + std::strerror(errno);
      return nullptr;
    }
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(options.polled_slot_interval).count();
    itimerspec its{};
    its.it_interval.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    its.it_interval.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    its.it_value = its.it_interval;
    if (timerfd_settime(c->timer_fd_, 0, &its, nullptr) != 0) {
      *error = std::string("chassis: timerfd_settime: ") + std::strerror(errno);
      return nullptr;
    }
    fds.push_back(c->timer_fd_);
  }
  if (!fds.empty()) {
    c->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (c->epoll_fd_ < 0) {
      *error = std::string("chassis: epoll_create1: ") + std::strerror(errno);
      return nullptr;
    }
    for (const int fd : fds) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = fd;
      if (epoll_ctl(c->epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
        *error = std::string("chassis: epoll_ctl: ") + std::strerror(errno);
        return nullptr;
      }
    }
  }
  for (std::size_t i = 0; i < c->slots_.size(); ++i) {
    std::string addrs;
    for (const auto a : c->slots_[i].addresses)
      addrs += (addrs.empty() ? "" : ",") + ipv4_to_string(a);
    log::info("chassis") << "slot " << i << ": " << c->slots_[i].name << " ("
                         << c->slots_[i].backend->name() << " back end) owns " << addrs;
  }
  return c;
}

ChassisBackend::ChassisBackend(std::vector<ChassisSlot> slots, ChassisBackendOptions options)
    : slots_(std::move(slots)), options_(options) {
  counters_.slots.resize(slots_.size());
}

ChassisBackend::~ChassisBackend() {
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (timer_fd_ >= 0) close(timer_fd_);
}

std::optional<std::size_t> ChassisBackend::slot_of_address(std::uint32_t addr) const {
  const auto it = address_slot_.find(addr);
  if (it == address_slot_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::size_t> ChassisBackend::slot_of_handle(SaHandle handle) const {
  const auto it = handles_.find(handle);
  if (it == handles_.end()) return std::nullopt;
  return it->second.slot;
}

std::optional<std::size_t> ChassisBackend::slot_of_sa(std::uint32_t spi, lm::Direction dir) const {
  const auto it = sas_.find({spi, dir});
  if (it == sas_.end()) return std::nullopt;
  return it->second.slot;
}

Status ChassisBackend::no_slot(std::uint32_t addr, const char* what) {
  ++counters_.no_slot;
  std::string why = std::string(what) + ": no line module owns local address " +
                    ipv4_to_string(addr) + " (slots own";
  for (const auto& [a, s] : address_slot_) why += " " + ipv4_to_string(a);
  why += ")";
  log::warning("chassis") << why;
  return Status::failure(std::move(why));
}

void ChassisBackend::index_ref(std::uint32_t spi) { ++index_refs_[spi % options_.spi_index_slots]; }

void ChassisBackend::index_unref(std::uint32_t spi) {
  const auto it = index_refs_.find(spi % options_.spi_index_slots);
  if (it == index_refs_.end()) return;
  if (--it->second == 0) index_refs_.erase(it);
}

// ---- SAs

std::uint32_t ChassisBackend::allocate_spi() {
  for (;;) {
    const auto spi = static_cast<std::uint32_t>(rng_());
    if (spi <= 255) continue;
    if (reserved_.contains(spi) || sas_.contains({spi, lm::Direction::kInbound})) continue;
    // Inbound indexes come from the lower half of the table, as a line module's own allocator
    // hands them out (its outbound SAs fill the table from the top).
    const std::uint32_t lower = options_.spi_index_slots / 2;
    const std::uint32_t index = spi % options_.spi_index_slots;
    if (index_refs_.size() < lower && (index >= lower || index_refs_.contains(index))) continue;
    reserved_.emplace(spi, now_);
    index_ref(spi);
    return spi;
  }
}

Status ChassisBackend::add_sa(const SaSpec& spec) {
  const auto& cfg = spec.sa;
  const Key key{cfg.spi, cfg.direction};
  const bool inbound = cfg.direction == lm::Direction::kInbound;
  // An inbound SA takes over its reservation (kept on failure until released below).
  const bool was_reserved = inbound && reserved_.erase(cfg.spi) > 0;
  auto fail = [&](Status st) {
    if (was_reserved) index_unref(cfg.spi);
    return st;
  };
  if (spec.handle == kNoHandle) return fail(Status::failure("SA without a handle"));
  if (sas_.contains(key)) {
    return fail(Status::failure("SPI " + hex32(cfg.spi) + " already installed (slot " +
                                std::to_string(sas_.at(key).slot) + ")"));
  }
  const auto slot = slot_of_address(cfg.local_addr);
  if (!slot) return fail(no_slot(cfg.local_addr, ("SA spi " + hex32(cfg.spi)).c_str()));
  if (const auto h = handles_.find(spec.handle); h != handles_.end() && h->second.slot != *slot) {
    ++counters_.handle_conflicts;
    std::string why = "SA spi " + hex32(cfg.spi) + ": handle " + std::to_string(spec.handle) +
                      " lives in slot " + std::to_string(h->second.slot) + ", its local address " +
                      ipv4_to_string(cfg.local_addr) + " is slot " + std::to_string(*slot) + "'s";
    log::warning("chassis") << why;
    return fail(Status::failure(std::move(why)));
  }
  auto st = slots_[*slot].backend->add_sa(spec);
  if (!st.ok()) {
    st.error = "slot " + std::to_string(*slot) + ": " + st.error;
    return fail(std::move(st));
  }
  sas_.emplace(key, Placed{*slot, spec.handle});
  auto& h = handles_[spec.handle];
  h.slot = *slot;
  ++h.sas;
  if (inbound && !was_reserved) index_ref(cfg.spi);
  ++counters_.slots[*slot].sas_added;
  log::debug("chassis") << "SA spi " << hex32(cfg.spi) << " handle " << spec.handle << " in slot "
                        << *slot << " (" << slots_[*slot].name << ")";
  return Status::success();
}

void ChassisBackend::forget(const Key& key) {
  const auto it = sas_.find(key);
  if (it == sas_.end()) return;
  ++counters_.slots[it->second.slot].sas_deleted;
  if (key.second == lm::Direction::kInbound) index_unref(key.first);
  if (const auto h = handles_.find(it->second.handle); h != handles_.end()) {
    if (h->second.sas <= 1) {
      handles_.erase(h);
    } else {
      --h->second.sas;
    }
  }
  sas_.erase(it);
}

Status ChassisBackend::update_peer(SaHandle handle, Endpoint peer) {
  const auto slot = slot_of_handle(handle);
  if (!slot) {
    ++counters_.unknown_handle;
    return Status::failure("no SA with handle " + std::to_string(handle));
  }
  return slots_[*slot].backend->update_peer(handle, peer);
}

std::optional<SaStatus> ChassisBackend::query_sa(std::uint32_t spi, lm::Direction dir) const {
  const auto slot = slot_of_sa(spi, dir);
  if (!slot) return std::nullopt;
  auto st = slots_[*slot].backend->query_sa(spi, dir);
  if (st) st->slot = static_cast<std::uint16_t>(*slot);
  return st;
}

Status ChassisBackend::del_sa(std::uint32_t spi, lm::Direction dir) {
  const auto slot = slot_of_sa(spi, dir);
  if (!slot) return Status::failure("no SA with SPI " + hex32(spi));
  auto st = slots_[*slot].backend->del_sa(spi, dir);
  // On a failure the record goes only if the slot no longer has the SA either.
  if (st.ok() || !slots_[*slot].backend->query_sa(spi, dir)) forget({spi, dir});
  if (!st.ok()) st.error = "slot " + std::to_string(*slot) + ": " + st.error;
  return st;
}

std::vector<SaStatus> ChassisBackend::list_sas() const {
  std::vector<SaStatus> out;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    for (auto& st : slots_[i].backend->list_sas()) {
      st.slot = static_cast<std::uint16_t>(i);
      out.push_back(std::move(st));
    }
  }
  return out;
}

// ---- egress

Status ChassisBackend::send_ike(Endpoint local, Endpoint peer, ByteView message) {
  const auto slot = slot_of_address(local.addr);
  if (!slot) return no_slot(local.addr, "IKE");
  return slots_[*slot].backend->send_ike(local, peer, message);
}

Status ChassisBackend::send_l2tp(SaHandle handle, std::uint16_t lac_port, ByteView message) {
  const auto slot = slot_of_handle(handle);
  if (!slot) {
    ++counters_.unknown_handle;
    return Status::failure("no outbound SA for handle " + std::to_string(handle),
                           lm::DropReason::kUnknownSpi);
  }
  return slots_[*slot].backend->send_l2tp(handle, lac_port, message);
}

Status ChassisBackend::send_l2tp_clear(Endpoint local, Endpoint peer, ByteView message) {
  const auto slot = slot_of_address(local.addr);
  if (!slot) return no_slot(local.addr, "clear L2TP");
  return slots_[*slot].backend->send_l2tp_clear(local, peer, message);
}

// ---- ingress

void ChassisBackend::drain_timer() {
  if (timer_fd_ < 0) return;
  std::uint64_t expirations = 0;
  while (::read(timer_fd_, &expirations, sizeof expirations) == sizeof expirations) {
  }
}

std::optional<HostPacket> ChassisBackend::receive() {
  drain_timer();
  const std::size_t n = slots_.size();
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (next_rx_ + k) % n;
    if (auto pkt = slots_[i].backend->receive()) {
      next_rx_ = (i + 1) % n;
      ++counters_.slots[i].rx_packets;
      return pkt;
    }
  }
  return std::nullopt;
}

std::optional<Event> ChassisBackend::next_event() {
  const std::size_t n = slots_.size();
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (next_event_ + k) % n;
    if (auto ev = slots_[i].backend->next_event()) {
      next_event_ = (i + 1) % n;
      ++counters_.slots[i].events;
      if (ev->kind == EventKind::kHardExpire) forget({ev->spi, ev->direction});
      return ev;
    }
  }
  return std::nullopt;
}

void ChassisBackend::tick(Clock::time_point now) {
  now_ = now;
  for (auto& s : slots_) s.backend->tick(now);
  for (auto it = reserved_.begin(); it != reserved_.end();) {
    if (now - it->second >= options_.reservation_timeout) {
      index_unref(it->first);
      ++counters_.reservations_expired;
      it = reserved_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace l2sec::ipsec
