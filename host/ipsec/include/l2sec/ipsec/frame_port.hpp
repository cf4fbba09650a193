// A line-module port as a data plane sees it: whole IPv4 packets in and out, exactly what the
// line module's MAC would carry (without the Ethernet header).
//
//   UdpPort     carries real traffic on a host: UDP sockets on one address for IKE (500), NAT-T
//               (4500) and L2TP (1701). A datagram that arrives is wrapped as the IPv4/UDP packet
//               it was on the wire (peer -> us); a packet sent is unwrapped into a datagram from
//               the socket of its source port. Plain ESP (IP protocol 50) cannot travel this way
//               and is refused with a counter.
//   MemoryPort  two connected ends in one process, for tests.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "l2sec/golden/bytes.hpp"

namespace l2sec::ipsec {

class FramePort {
 public:
  virtual ~FramePort() = default;
  // Sends one IPv4 packet; false (with a log line and a counter) when it cannot go out.
  virtual bool send(ByteView ipv4_packet) = 0;
  // The next packet that arrived, or nullopt. Never blocks.
  virtual std::optional<Bytes> receive() = 0;
  // Readable when receive() may return something; -1 if there is no descriptor.
  virtual int fd() const = 0;
};

struct UdpPortOptions {
  std::uint32_t local_addr = 0x7f000001;  // the address the sockets bind to (127.0.0.1)
  // The port's address as the gateway sees it (the line-module port's address clients target,
  // e.g. 198.18.0.2 behind QEMU's NAT while the sockets sit on 127.0.0.1); 0: local_addr.
  std::uint32_t port_addr = 0;
  // The socket ports. Normally the well-known ones; tests use others. Packets are always
  // presented with the well-known ports (500, 4500, 1701), whatever the sockets use.
  std::uint16_t ike_port = 500;
  std::uint16_t natt_port = 4500;
  std::uint16_t l2tp_port = 1701;
};

struct UdpPortCounters {
  std::uint64_t rx = 0, tx = 0;
  std::uint64_t tx_refused = 0;  // not UDP, not from one of our ports, or sendto failed
};

class UdpPort final : public FramePort {
 public:
  // Opens and binds the three sockets; nullptr and *error when one cannot be bound.
  static std::unique_ptr<UdpPort> open(const UdpPortOptions& options, std::string* error);
  ~UdpPort() override;
  UdpPort(const UdpPort&) = delete;
  UdpPort& operator=(const UdpPort&) = delete;

  bool send(ByteView ipv4_packet) override;
  std::optional<Bytes> receive() override;
  int fd() const override { return epoll_fd_; }
  const UdpPortCounters& counters() const { return counters_; }
  // The port a socket is really bound to (for ephemeral test ports), 0 if unknown.
  std::uint16_t bound_port(std::uint16_t well_known_port) const;
  std::uint32_t port_addr() const { return port_addr_; }

 private:
  explicit UdpPort(const UdpPortOptions& options)
      : options_(options), port_addr_(options.port_addr ? options.port_addr : options.local_addr) {}
  int socket_for(std::uint16_t well_known_port) const;

  UdpPortOptions options_;
  std::uint32_t port_addr_;
  int epoll_fd_ = -1;
  int sockets_[3] = {-1, -1, -1};  // IKE, NAT-T, L2TP
  UdpPortCounters counters_;
};

// One end of an in-process link; make_memory_link() returns both ends.
class MemoryPort final : public FramePort {
 public:
  bool send(ByteView ipv4_packet) override;
  std::optional<Bytes> receive() override;
  int fd() const override { return -1; }
  std::size_t pending() const { return queue_->size(); }

 private:
  friend std::pair<std::unique_ptr<MemoryPort>, std::unique_ptr<MemoryPort>> make_memory_link();
  std::shared_ptr<std::deque<Bytes>> queue_ = std::make_shared<std::deque<Bytes>>();  // inbound
  std::shared_ptr<std::deque<Bytes>> peer_queue_;  // the other end's inbound queue
};

std::pair<std::unique_ptr<MemoryPort>, std::unique_ptr<MemoryPort>> make_memory_link();

}  // namespace l2sec::ipsec
