#include "l2sec/ppp/ipv4_pool.hpp"

#include "l2sec/log.hpp"

namespace l2sec::ppp {

std::optional<Ipv4Pool> Ipv4Pool::create(std::uint32_t first, std::uint32_t last,
                                         std::string* error) {
  auto fail = [&](std::string msg) -> std::optional<Ipv4Pool> {
    if (error) *error = std::move(msg);
    return std::nullopt;
  };
  const std::string range = ipv4_to_string(first) + " - " + ipv4_to_string(last);
  if (first > last) return fail("address pool " + range + ": first address above last");
  if (first == 0 || last == 0xffffffffu) {
    return fail("address pool " + range + ": includes 0.0.0.0 or 255.255.255.255");
  }
  if (last - first >= kMaxSize) {
    return fail("address pool " + range + ": more than " + std::to_string(kMaxSize) + " addresses");
  }
  return Ipv4Pool(first, last);
}

std::optional<std::uint32_t> Ipv4Pool::allocate() {
  const auto n = static_cast<std::uint32_t>(used_.size());
  for (std::uint32_t k = 0; k < n; ++k) {
    const std::uint32_t i = (cursor_ + k) % n;
    if (!used_[i]) {
      used_[i] = true;
      ++in_use_;
      cursor_ = (i + 1) % n;
      return first_ + i;
    }
  }
  ++exhausted_;
  log::warning("ppp") << "address pool " << ipv4_to_string(first_) << " - " << ipv4_to_string(last_)
                      << " exhausted (" << n << " in use)";
  return std::nullopt;
}

bool Ipv4Pool::allocated(std::uint32_t addr) const {
  return addr >= first_ && addr <= last_ && used_[addr - first_];
}

void Ipv4Pool::release(std::uint32_t addr) {
  if (!allocated(addr)) {
    ++bad_releases_;
    log::warning("ppp") << "address pool: release of " << ipv4_to_string(addr)
                        << ", which is not allocated from it, ignored";
    return;
  }
  used_[addr - first_] = false;
  --in_use_;
}

}  // namespace l2sec::ppp
