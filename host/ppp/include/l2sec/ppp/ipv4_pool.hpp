// An IPCP address pool over an inclusive range of IPv4 addresses: each address is handed out once
// until it is released; released addresses are reused (after the rest of the range, round robin).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "l2sec/ppp/session.hpp"

namespace l2sec::ppp {

class Ipv4Pool : public AddressPool {
 public:
  // At most this many addresses in one pool.
  static constexpr std::uint32_t kMaxSize = 1u << 24;

  // first..last inclusive, host byte order. nullopt with a message when first > last, the range
  // is too large or includes 0.0.0.0 / 255.255.255.255.
  static std::optional<Ipv4Pool> create(std::uint32_t first, std::uint32_t last,
                                        std::string* error);

  std::optional<std::uint32_t> allocate() override;
  // Releasing an address that is not in the pool or not allocated is logged, counted and ignored.
  void release(std::uint32_t addr) override;

  std::uint32_t first() const { return first_; }
  std::uint32_t last() const { return last_; }
  std::uint32_t size() const { return static_cast<std::uint32_t>(used_.size()); }
  std::uint32_t in_use() const { return in_use_; }
  std::uint64_t exhausted() const { return exhausted_; }  // allocate() found nothing
  std::uint64_t bad_releases() const { return bad_releases_; }
  bool allocated(std::uint32_t addr) const;

 private:
  Ipv4Pool(std::uint32_t first, std::uint32_t last)
      : first_(first), last_(last), used_(std::size_t{last - first} + 1, false) {}
  std::uint32_t first_, last_;
  std::vector<bool> used_;
  std::uint32_t cursor_ = 0;
  std::uint32_t in_use_ = 0;
  std::uint64_t exhausted_ = 0, bad_releases_ = 0;
};

}  // namespace l2sec::ppp
