#include "l2sec/ipsec/frame_port.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "l2sec/golden/ipv4.hpp"
#include "l2sec/log.hpp"

namespace l2sec::ipsec {
namespace {

constexpr std::size_t kMaxDatagram = 65535;
constexpr std::uint16_t kWellKnown[3] = {golden::kPortIke, golden::kPortNatT, golden::kPortL2tp};

sockaddr_in make_addr(std::uint32_t addr, std::uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(addr);
  sa.sin_port = htons(port);
  return sa;
}

}  // namespace

std::unique_ptr<UdpPort> UdpPort::open(const UdpPortOptions& options, std::string* error) {
  std::unique_ptr<UdpPort> port(new UdpPort(options));
  port->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (port->epoll_fd_ < 0) {
    *error = std::string("epoll_create1: ") + std::strerror(errno);
    return nullptr;
  }
  const std::uint16_t ports[3] = {options.ike_port, options.natt_port, options.l2tp_port};
  for (int i = 0; i < 3; ++i) {
    const int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0) {
      *error = std::string("socket: ") + std::strerror(errno);
      return nullptr;
    }
    port->sockets_[i] = s;
    const int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const sockaddr_in sa = make_addr(options.local_addr, ports[i]);
    if (bind(s, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
      *error = "cannot bind UDP " + ipv4_to_string(options.local_addr) + ":" +
               std::to_string(ports[i]) + ": " + std::strerror(errno);
      return nullptr;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<std::uint32_t>(i);
    if (epoll_ctl(port->epoll_fd_, EPOLL_CTL_ADD, s, &ev) != 0) {
      *error = std::string("epoll_ctl: ") + std::strerror(errno);
      return nullptr;
    }
  }
  return port;
}

UdpPort::~UdpPort() {
  for (int s : sockets_) {
    if (s >= 0) close(s);
  }
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

int UdpPort::socket_for(std::uint16_t well_known_port) const {
  for (int i = 0; i < 3; ++i) {
    if (kWellKnown[i] == well_known_port) return sockets_[i];
  }
  return -1;
}

std::uint16_t UdpPort::bound_port(std::uint16_t well_known_port) const {
  const int s = socket_for(well_known_port);
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  if (s < 0 || getsockname(s, reinterpret_cast<sockaddr*>(&sa), &len) != 0) return 0;
  return ntohs(sa.sin_port);
}

bool UdpPort::send(ByteView packet) {
  lm::DropReason reason = lm::DropReason::kNone;
  const auto ip = golden::parse_ipv4(packet, &reason);
  if (!ip || ip->protocol != golden::kIpProtoUdp || ip->is_fragment() ||
      ip->total_length < ip->ihl_bytes + golden::kUdpHeader) {
    ++counters_.tx_refused;
    log::warning("lm") << "UDP port: cannot send "
                       << (ip && ip->protocol == golden::kIpProtoEsp ? "plain ESP"
                                                                     : "a non-UDP packet")
                       << " through UDP sockets; dropped";
    return false;
  }
  const ByteView udp = packet.subspan(ip->ihl_bytes, ip->total_length - ip->ihl_bytes);
  const std::uint16_t sport = load_be16(udp.data());
  const std::uint16_t dport = load_be16(udp.data() + 2);
  const int s = socket_for(sport);
  if (s < 0 || ip->src != port_addr_) {
    ++counters_.tx_refused;
    log::warning("lm") << "UDP port: no socket for source " << ipv4_to_string(ip->src) << ":"
                       << sport << "; dropped";
    return false;
  }
  const sockaddr_in to = make_addr(ip->dst, dport);
  const ByteView payload = udp.subspan(golden::kUdpHeader);
  if (sendto(s, payload.data(), payload.size(), 0, reinterpret_cast<const sockaddr*>(&to),
             sizeof to) < 0) {
    ++counters_.tx_refused;
    log::warning("lm") << "UDP port: sendto " << ipv4_to_string(ip->dst) << ":" << dport << ": "
                       << std::strerror(errno);
    return false;
  }
  ++counters_.tx;
  return true;
}

std::optional<Bytes> UdpPort::receive() {
  Bytes buf(kMaxDatagram);
  for (int i = 0; i < 3; ++i) {
    sockaddr_in from{};
    socklen_t from_len = sizeof from;
    const ssize_t n = recvfrom(sockets_[i], buf.data(), buf.size(), 0,
                               reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) continue;  // EAGAIN: nothing on this socket
    if (static_cast<std::size_t>(n) > kMaxDatagram - 28) continue;  // cannot be re-wrapped
    ++counters_.rx;
    return golden::build_udp_packet(ntohl(from.sin_addr.s_addr), port_addr_, ntohs(from.sin_port),
                                    kWellKnown[i],
                                    ByteView(buf.data(), static_cast<std::size_t>(n)));
  }
  return std::nullopt;
}

bool MemoryPort::send(ByteView packet) {
  peer_queue_->emplace_back(packet.begin(), packet.end());
  return true;
}

std::optional<Bytes> MemoryPort::receive() {
  if (queue_->empty()) return std::nullopt;
  Bytes b = std::move(queue_->front());
  queue_->pop_front();
  return b;
}

std::pair<std::unique_ptr<MemoryPort>, std::unique_ptr<MemoryPort>> make_memory_link() {
  auto a = std::make_unique<MemoryPort>();
  auto b = std::make_unique<MemoryPort>();
  a->peer_queue_ = b->queue_;
  b->peer_queue_ = a->queue_;
  return {std::move(a), std::move(b)};
}

}  // namespace l2sec::ipsec
