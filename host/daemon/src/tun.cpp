#include "l2sec/daemon/tun.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "l2sec/golden/ipv4.hpp"

namespace l2sec::daemon {
namespace {

std::string sys_error(const std::string& what) { return what + ": " + std::strerror(errno); }

// Enters a network namespace for the lifetime of the object, then returns to the original one.
class NetnsGuard {
 public:
  bool enter(const std::string& netns, std::string* error) {
    if (netns.empty()) return true;
    original_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    const std::string path = "/var/run/netns/" + netns;
    const int target = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (original_ < 0 || target < 0) {
      *error = sys_error("network namespace " + netns + " (" + path + ")");
      if (target >= 0) ::close(target);
      return false;
    }
    const int rc = setns(target, CLONE_NEWNET);
    ::close(target);
    if (rc != 0) {
      *error = sys_error("setns " + netns);
      return false;
    }
    entered_ = true;
    return true;
  }
  ~NetnsGuard() {
    if (entered_) setns(original_, CLONE_NEWNET);
    if (original_ >= 0) ::close(original_);
  }

 private:
  int original_ = -1;
  bool entered_ = false;
};

// Interface names are checked to fit (IFNAMSIZ - 1 characters) before they get here.
void copy_name(char (&dst)[IFNAMSIZ], const std::string& name) {
  std::memset(dst, 0, IFNAMSIZ);
  std::memcpy(dst, name.data(), std::min<std::size_t>(name.size(), IFNAMSIZ - 1));
}

bool set_addr(int sock, const std::string& ifname, unsigned long request, std::uint32_t addr) {
  ifreq ifr{};
  copy_name(ifr.ifr_name, ifname);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(addr);
  std::memcpy(&ifr.ifr_addr, &sin, sizeof sin);
  return ioctl(sock, request, &ifr) == 0;
}

}  // namespace

std::unique_ptr<Tun> Tun::open(const TunOptions& options, std::string* error) {
  if (options.name.empty() || options.name.size() >= IFNAMSIZ) {
    *error = "bad interface name \"" + options.name + "\"";
    return nullptr;
  }
  NetnsGuard ns;
  if (!ns.enter(options.netns, error)) return nullptr;
  std::unique_ptr<Tun> tun(new Tun(options));
  tun->fd_ = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (tun->fd_ < 0) {
    *error = sys_error("/dev/net/tun");
    return nullptr;
  }
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  copy_name(ifr.ifr_name, options.name);
  if (ioctl(tun->fd_, TUNSETIFF, &ifr) != 0) {
    *error = sys_error("TUNSETIFF " + options.name);
    return nullptr;
  }
  const int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) {
    *error = sys_error("socket");
    return nullptr;
  }
  const std::uint32_t mask =
      options.prefix_len == 0 ? 0 : ~std::uint32_t{0} << (32 - options.prefix_len);
  bool ok = set_addr(sock, options.name, SIOCSIFADDR, options.addr) &&
            set_addr(sock, options.name, SIOCSIFNETMASK, mask);
  if (ok) {
    ifreq mtu{};
    copy_name(mtu.ifr_name, options.name);
    mtu.ifr_mtu = static_cast<int>(options.mtu);
    ok = ioctl(sock, SIOCSIFMTU, &mtu) == 0;
  }
  if (ok) {
    ifreq flags{};
    copy_name(flags.ifr_name, options.name);
    ok = ioctl(sock, SIOCGIFFLAGS, &flags) == 0;
    flags.ifr_flags = static_cast<short>(flags.ifr_flags | IFF_UP | IFF_RUNNING);
    ok = ok && ioctl(sock, SIOCSIFFLAGS, &flags) == 0;
  }
  if (!ok) *error = sys_error("configuring " + options.name);
  ::close(sock);
  if (!ok) return nullptr;
  return tun;
}

Tun::~Tun() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<Bytes> Tun::read() {
  Bytes buf(65536);
  const ssize_t n = ::read(fd_, buf.data(), buf.size());
  if (n <= 0) return std::nullopt;
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

bool Tun::write(ByteView ip_packet) {
  return ::write(fd_, ip_packet.data(), ip_packet.size()) == static_cast<ssize_t>(ip_packet.size());
}

std::optional<Bytes> icmp_echo_reply(ByteView ip_packet, std::uint32_t addr) {
  lm::DropReason reason = lm::DropReason::kNone;
  const auto ip = golden::parse_ipv4(ip_packet, &reason);
  constexpr std::uint8_t kIcmp = 1, kEchoRequest = 8, kEchoReply = 0;
  if (!ip || ip->protocol != kIcmp || ip->dst != addr || ip->is_fragment()) return std::nullopt;
  const std::size_t hl = ip->ihl_bytes;
  if (ip->total_length < hl + 8 || ip_packet[hl] != kEchoRequest) return std::nullopt;
  Bytes reply(ip_packet.begin(), ip_packet.begin() + ip->total_length);
  store_be32(reply.data() + 12, ip->dst);
  store_be32(reply.data() + 16, ip->src);
  reply[8] = 64;  // TTL
  golden::refresh_ipv4_checksum(reply);
  reply[hl] = kEchoReply;
  store_be16(reply.data() + hl + 2, 0);
  store_be16(reply.data() + hl + 2, golden::inet_checksum(ByteView(reply).subspan(hl)));
  return reply;
}

}  // namespace l2sec::daemon
