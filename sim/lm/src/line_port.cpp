#include "l2sec/sim/lm/line_port.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "l2sec/golden/classify.hpp"
#include "l2sec/log.hpp"

namespace l2sec::lmsim {

std::optional<ByteView> ipv4_of_frame(ByteView frame) {
  if (frame.size() < golden::kEthernetHeader + 20) return std::nullopt;
  if (load_be16(frame.data() + 12) != golden::kEtherTypeIpv4) return std::nullopt;
  ByteView ip = frame.subspan(golden::kEthernetHeader);
  // Ethernet pads short frames to 60 bytes: cut the IPv4 packet at its total length.
  const std::size_t total = load_be16(ip.data() + 2);
  if (total >= 20 && total < ip.size()) ip = ip.first(total);
  return ip;
}

bool EthernetPort::send_frame(ByteView frame) {
  const auto ip = ipv4_of_frame(frame);
  if (!ip || !port_->send(*ip)) {
    ++counters_.tx_dropped;
    if (!ip) log::debug("lm") << "Ethernet port: a frame that is not IPv4 cannot leave; dropped";
    return false;
  }
  ++counters_.tx;
  return true;
}

std::optional<Bytes> EthernetPort::receive_frame() {
  auto pkt = port_->receive();
  if (!pkt) return std::nullopt;
  ++counters_.rx;
  return golden::ethernet_frame(*pkt);
}

std::unique_ptr<TapPort> TapPort::open(const std::string& name, std::string* error) {
  const int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (error) *error = std::string("/dev/net/tun: ") + std::strerror(errno);
    return nullptr;
  }
  ifreq ifr{};
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
    if (error) *error = "TUNSETIFF " + name + ": " + std::strerror(errno);
    close(fd);
    return nullptr;
  }
  return std::unique_ptr<TapPort>(new TapPort(fd, ifr.ifr_name));
}

TapPort::~TapPort() {
  if (fd_ >= 0) close(fd_);
}

bool TapPort::send_frame(ByteView frame) {
  if (write(fd_, frame.data(), frame.size()) != static_cast<ssize_t>(frame.size())) {
    ++counters_.tx_dropped;
    return false;
  }
  ++counters_.tx;
  return true;
}

std::optional<Bytes> TapPort::receive_frame() {
  Bytes buf(65536);
  const ssize_t n = read(fd_, buf.data(), buf.size());
  if (n <= 0) return std::nullopt;
  buf.resize(static_cast<std::size_t>(n));
  ++counters_.rx;
  return buf;
}

}  // namespace l2sec::lmsim
