// The chassis back end: one ipsec::Backend made of several, one per line module ("slot"), the way
// a chassis router's control plane (the SRP) runs all its line modules from one daemon. Each slot
// is a whole back end of its own (a LineModuleBackend over SimDevice, LmsimDevice or VfioDevice,
// or a SoftBackend) with the address(es) its line-module port answers on; slots are numbered from
// 0 in the order given.
//
// Where each call goes:
//   - add_sa: to the slot that owns the SA's local address (SaConfig::local_addr). An SA whose
//     local address no slot owns is refused (Status error, counters().no_slot, a warning), so is
//     an SA whose handle already lives in another slot (a child SA pair never spans two cards).
//     The chassis remembers (SPI, direction) -> slot and handle -> slot;
//   - update_peer, send_l2tp: the slot holding the handle's SAs;
//   - query_sa, del_sa: the slot holding (SPI, direction); SaStatus::slot says which;
//   - send_ike, send_l2tp_clear: the slot owning the local endpoint's address;
//   - receive, next_event: every slot in turn (round robin, one item per slot per turn), so a
//     busy card cannot starve the others. HostPacket::local already names the port it came in
//     on; a kHardExpire event also drops the chassis' own record of that SA;
//   - tick: every slot; list_sas: every slot's, in slot order, each with its slot.
//
// SPIs. Backend::allocate_spi() is called before add_sa and without an address, so the chassis
// cannot know which slot will hold the SA. A line module places an inbound SA at table index
// SPI mod capacity (4096), and each back end's own allocator keeps those indexes distinct; a
// collision there moves the SA to the host's software path. The chassis therefore allocates
// itself, chassis-wide: a random SPI above 255 that no slot holds as an inbound SA and no other
// allocation has reserved, whose index (SPI mod spi_index_slots) is in the lower half of the
// table (a line module's outbound SAs fill it from the top; see LineModuleBackend) and is used by
// no inbound SA in any slot and by no pending reservation — i.e. an SPI that is free in every slot,
// whichever takes it. The reservation lasts until add_sa of that SPI (or its failure), or
// reservation_timeout (IKE gave up). Once every lower-half index is in use somewhere in the chassis
// (more than capacity / 2 inbound SAs in all), only uniqueness is kept and a slot that finds the
// index taken serves the SA on its software path, as a single back end does when its table is full.
// The slots' own allocators are not used (their reservations would never be freed).
//
// poll_fd(): one epoll descriptor holding every slot's poll_fd() that is >= 0 (a
// LineModuleBackend's is itself an epoll fd; nesting is fine). Slots whose poll_fd() is -1 (polled
// only) are covered by a periodic timerfd in the same epoll set (polled_slot_interval, 20 ms by
// default), so the daemon's poll wakes up and calls receive() often enough for them; receive()
// drains the timer. Without such slots there is no timer. Without any descriptor at all (every
// slot polled only and the interval 0) poll_fd() is -1 and the daemon's tick drives it.
//
// Errors are Status values; nothing here throws.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "l2sec/ipsec/backend.hpp"

namespace l2sec::ipsec {

// One line module of the chassis.
struct ChassisSlot {
  std::string name;  // for logs and the daemon's startup line ("sim", "lmsim:b")
  std::vector<std::uint32_t> addresses;  // the port address(es) it owns (host byte order, nonzero)
  std::unique_ptr<Backend> backend;
};

struct ChassisBackendOptions {
  // The index space the SPI allocator keeps distinct (the smallest SA table of the slots).
  std::uint32_t spi_index_slots = lm::sa_entry::kCapacity;
  // An allocated SPI whose add_sa never came is released after this long (see tick()).
  std::chrono::seconds reservation_timeout{300};
  // How often polled-only slots (poll_fd() == -1) make poll_fd() readable; 0: never.
  std::chrono::milliseconds polled_slot_interval{20};
};

struct ChassisSlotCounters {
  std::uint64_t rx_packets = 0, events = 0;
  std::uint64_t sas_added = 0, sas_deleted = 0;
};

struct ChassisBackendCounters {
  std::uint64_t no_slot = 0;           // SAs and sends refused: no slot owns the local address
  std::uint64_t handle_conflicts = 0;  // SAs refused: their handle lives in another slot
  std::uint64_t unknown_handle = 0;    // send_l2tp / update_peer for a handle no slot holds
  std::uint64_t reservations_expired = 0;
  std::vector<ChassisSlotCounters> slots;
};

class ChassisBackend final : public Backend {
 public:
  // nullptr and *error when there is no slot, a slot without back end or address, or two slots
  // owning one address.
  static std::unique_ptr<ChassisBackend> create(std::vector<ChassisSlot> slots,
                                                ChassisBackendOptions options, std::string* error);
  ~ChassisBackend() override;
  ChassisBackend(const ChassisBackend&) = delete;
  ChassisBackend& operator=(const ChassisBackend&) = delete;

  std::string_view name() const override { return "chassis"; }

  std::uint32_t allocate_spi() override;
  Status add_sa(const SaSpec& spec) override;
  Status update_peer(SaHandle handle, Endpoint peer) override;
  std::optional<SaStatus> query_sa(std::uint32_t spi, lm::Direction dir) const override;
  Status del_sa(std::uint32_t spi, lm::Direction dir) override;
  std::vector<SaStatus> list_sas() const override;

  Status send_ike(Endpoint local, Endpoint peer, ByteView message) override;
  Status send_l2tp(SaHandle handle, std::uint16_t lac_port, ByteView message) override;
  Status send_l2tp_clear(Endpoint local, Endpoint peer, ByteView message) override;

  int poll_fd() const override { return epoll_fd_; }
  std::optional<HostPacket> receive() override;
  std::optional<Event> next_event() override;
  void tick(Clock::time_point now) override;

  std::size_t slot_count() const { return slots_.size(); }
  Backend& slot(std::size_t i) { return *slots_.at(i).backend; }
  const Backend& slot(std::size_t i) const { return *slots_.at(i).backend; }
  const std::string& slot_name(std::size_t i) const { return slots_.at(i).name; }
  const std::vector<std::uint32_t>& slot_addresses(std::size_t i) const {
    return slots_.at(i).addresses;
  }
  // Which slot owns an address, holds a handle, holds an SA.
  std::optional<std::size_t> slot_of_address(std::uint32_t addr) const;
  std::optional<std::size_t> slot_of_handle(SaHandle handle) const;
  std::optional<std::size_t> slot_of_sa(std::uint32_t spi, lm::Direction dir) const;
  const ChassisBackendCounters& counters() const { return counters_; }

 private:
  ChassisBackend(std::vector<ChassisSlot> slots, ChassisBackendOptions options);
  using Key = std::pair<std::uint32_t, lm::Direction>;
  struct Placed {
    std::size_t slot = 0;
    SaHandle handle = kNoHandle;
  };
  struct Handle {
    std::size_t slot = 0;
    std::size_t sas = 0;  // SAs of the handle the chassis knows of
  };

  Status no_slot(std::uint32_t addr, const char* what);
  void forget(const Key& key);  // an SA is gone from its slot
  void index_ref(std::uint32_t spi);
  void index_unref(std::uint32_t spi);
  void drain_timer();

  std::vector<ChassisSlot> slots_;
  ChassisBackendOptions options_;
  std::map<std::uint32_t, std::size_t> address_slot_;
  std::map<Key, Placed> sas_;
  std::map<SaHandle, Handle> handles_;
  std::map<std::uint32_t, Clock::time_point> reserved_;  // allocated SPI -> when
  std::map<std::uint32_t, std::uint32_t> index_refs_;    // SPI index -> inbound SAs + reservations
  std::size_t next_rx_ = 0, next_event_ = 0;
  int epoll_fd_ = -1;
  int timer_fd_ = -1;
  std::mt19937 rng_{std::random_device{}()};
  Clock::time_point now_ = Clock::now();
  ChassisBackendCounters counters_;
};

}  // namespace l2sec::ipsec
