// The corporate side of the gateway: a TUN interface, optionally living in a network namespace
// (the test's or the main job's "corporate network"), carrying the IP packets of PPP sessions.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "l2sec/golden/bytes.hpp"

namespace l2sec::daemon {

struct TunOptions {
  std::string name = "l2sec0";
  std::string netns;         // /var/run/netns/<netns>; empty = the daemon's own namespace
  std::uint32_t addr = 0;    // the corporate host's address on the interface, host order
  unsigned prefix_len = 16;  // the route to the PPP clients' pool goes through the interface
  unsigned mtu = 1400;
};

class Tun {
 public:
  // Creates and configures the interface (address, MTU, up); nullptr and *error on failure.
  static std::unique_ptr<Tun> open(const TunOptions& options, std::string* error);
  ~Tun();
  Tun(const Tun&) = delete;
  Tun& operator=(const Tun&) = delete;

  int fd() const { return fd_; }
  // One IP packet from the corporate side, or nullopt when none waits.
  std::optional<Bytes> read();
  bool write(ByteView ip_packet);
  const std::string& name() const { return options_.name; }

 private:
  explicit Tun(const TunOptions& options) : options_(options) {}
  TunOptions options_;
  int fd_ = -1;
};

// The gateway answers ping on its own PPP address: the echo reply for an ICMP echo request to
// addr, or nullopt when the packet is something else.
std::optional<Bytes> icmp_echo_reply(ByteView ip_packet, std::uint32_t addr);

}  // namespace l2sec::daemon
