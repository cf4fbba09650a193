// l2sec-ike-interop: the IKE Responder on plain UDP sockets (ports 500 and 4500 of one address),
// for checking Main Mode and Quick Mode on the wire against a real client (strongSwan's charon in
// a network namespace, see tests/host/ike/strongswan_interop.sh). SAs are only printed: this host
// has no ESP data path here; the daemon uses the real software back end instead.
//
//   l2sec-ike-interop LOCAL_ADDR PSK [SECONDS] [--nat-t off]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>

#include "l2sec/ike/responder.hpp"
#include "l2sec/log.hpp"

using namespace l2sec;

namespace {

class SocketBackend final : public ipsec::Backend {
 public:
  explicit SocketBackend(std::uint32_t addr) : addr_(addr) {
    fd500_ = open_socket(500);
    fd4500_ = open_socket(4500);
  }
  ~SocketBackend() override {
    if (fd500_ >= 0) ::close(fd500_);
    if (fd4500_ >= 0) ::close(fd4500_);
  }
  bool ok() const { return fd500_ >= 0 && fd4500_ >= 0; }
  int fd(int i) const { return i == 0 ? fd500_ : fd4500_; }

  std::string_view name() const override { return "interop-sockets"; }
  std::uint32_t allocate_spi() override { return next_spi_++; }
  ipsec::Status add_sa(const ipsec::SaSpec& s) override {
    std::cout << "SA " << lm::to_string(s.sa.direction) << " handle " << s.handle << " spi 0x"
              << std::hex << s.sa.spi << std::dec << " " << lm::to_string(s.sa.cipher) << "/"
              << lm::to_string(s.sa.integ) << " encap " << lm::to_string(s.sa.encap) << " peer "
              << ipv4_to_string(s.sa.peer_addr) << ":" << s.sa.peer_port << " enc_key "
              << to_hex(s.sa.enc_key) << " auth_key " << to_hex(s.sa.auth_key) << " life "
              << s.hard.seconds << "s"
              << (s.sa.natoa_peer ? " natoa_peer " + ipv4_to_string(*s.sa.natoa_peer) : "")
              << std::endl;
    sas_[{s.sa.spi, s.sa.direction}] = s;
    return {};
  }
  ipsec::Status update_peer(ipsec::SaHandle h, ipsec::Endpoint p) override {
    std::cout << "update_peer " << h << " " << ipsec::to_string(p) << std::endl;
    return {};
  }
  std::optional<ipsec::SaStatus> query_sa(std::uint32_t, lm::Direction) const override {
    return std::nullopt;
  }
  ipsec::Status del_sa(std::uint32_t spi, lm::Direction d) override {
    std::cout << "del_sa 0x" << std::hex << spi << std::dec << " " << lm::to_string(d) << std::endl;
    sas_.erase({spi, d});
    return {};
  }
  std::vector<ipsec::SaStatus> list_sas() const override { return {}; }
  ipsec::Status send_ike(ipsec::Endpoint local, ipsec::Endpoint peer, ByteView msg) override {
    Bytes out;
    const int fd = local.port == 4500 ? fd4500_ : fd500_;
    if (local.port == 4500) out = {0, 0, 0, 0};  // non-ESP marker
    out.insert(out.end(), msg.begin(), msg.end());
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(peer.addr);
    to.sin_port = htons(peer.port);
    if (::sendto(fd, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) {
      return ipsec::Status::failure(std::strerror(errno));
    }
    return {};
  }
  ipsec::Status send_l2tp(ipsec::SaHandle, std::uint16_t, ByteView) override {
    return ipsec::Status::failure("no data path");
  }
  ipsec::Status send_l2tp_clear(ipsec::Endpoint, ipsec::Endpoint, ByteView) override {
    return ipsec::Status::failure("no data path");
  }
  int poll_fd() const override { return -1; }
  std::optional<ipsec::HostPacket> receive() override {
    for (int i = 0; i < 2; ++i) {
      std::uint8_t buf[65536];
      sockaddr_in from{};
      socklen_t len = sizeof from;
      const auto n = ::recvfrom(fd(i), buf, sizeof buf, MSG_DONTWAIT,
                                reinterpret_cast<sockaddr*>(&from), &len);
      if (n <= 0) continue;
      ipsec::HostPacket p;
      p.local = {addr_, static_cast<std::uint16_t>(i == 0 ? 500 : 4500)};
      p.peer = {ntohl(from.sin_addr.s_addr), ntohs(from.sin_port)};
      const auto size = static_cast<std::size_t>(n);
      if (i == 1) {
        if (size == 1 && buf[0] == 0xff) continue;  // NAT keepalive
        if (size < 4 || load_be32(buf) != 0) {
          std::cout << "ESP in UDP from " << ipsec::to_string(p.peer) << " (" << size
                    << " bytes), no data path here" << std::endl;
          continue;
        }
        p.pkt_class = lm::PktClass::kIkeNatt;
        p.payload.assign(buf + 4, buf + size);
      } else {
        p.pkt_class = lm::PktClass::kIke;
        p.payload.assign(buf, buf + size);
      }
      return p;
    }
    return std::nullopt;
  }
  std::optional<ipsec::Event> next_event() override { return std::nullopt; }
  void tick(ipsec::Clock::time_point) override {}

 private:
  int open_socket(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) return -1;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(addr_);
    a.sin_port = htons(port);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
      std::perror("bind");
      ::close(fd);
      return -1;
    }
    return fd;
  }
  std::uint32_t addr_;
  int fd500_ = -1;
  int fd4500_ = -1;
  std::uint32_t next_spi_ = 0xc0de0100;
  std::map<std::pair<std::uint32_t, lm::Direction>, ipsec::SaSpec> sas_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: l2sec-ike-interop LOCAL_ADDR PSK [SECONDS] [--nat-t off]\n";
    return 2;
  }
  const auto addr = ipv4_from_string(argv[1]);
  if (!addr) {
    std::cerr << "bad address " << argv[1] << "\n";
    return 2;
  }
  const int seconds = argc > 3 ? std::atoi(argv[3]) : 30;
  ike::IkeConfig cfg;
  cfg.group_psk[*addr] = argv[2];
  if (argc > 5 && std::string(argv[4]) == "--nat-t" && std::string(argv[5]) == "off") {
    cfg.nat_t = false;
  }
  SocketBackend backend(*addr);
  if (!backend.ok()) return 1;
  ike::Responder responder(cfg, backend);
  int children = 0;
  responder.on_child_up = [&](const ike::ChildInfo& c) {
    ++children;
    std::cout << "CHILD UP handle " << c.handle << " " << ike::to_string(c.suite)
              << (c.encap == lm::Encap::kUdp ? " TRANSPORT-in-UDP" : " TRANSPORT") << " peer "
              << ipsec::to_string(c.peer) << " lac_port " << c.lac_port << std::endl;
  };
  responder.on_child_down = [&](ipsec::SaHandle h) {
    std::cout << "CHILD DOWN handle " << h << std::endl;
  };
  const auto end = ipsec::Clock::now() + std::chrono::seconds(seconds);
  auto next_tick = ipsec::Clock::now();
  while (ipsec::Clock::now() < end) {
    pollfd fds[2] = {{backend.fd(0), POLLIN, 0}, {backend.fd(1), POLLIN, 0}};
    ::poll(fds, 2, 200);
    while (auto p = backend.receive()) responder.on_packet(*p, ipsec::Clock::now());
    if (ipsec::Clock::now() >= next_tick) {
      responder.tick(ipsec::Clock::now());
      next_tick += std::chrono::seconds(1);
    }
  }
  const auto& c = responder.counters();
  std::cout << "rx " << c.rx_packets << " tx " << c.tx_packets << " ike_established "
            << c.ike_established << " children " << c.children_installed << " decrypt_failed "
            << c.decrypt_failed << " auth_failed " << c.auth_failed << " no_proposal "
            << c.no_proposal << " deletes " << c.deletes_received << " dpd " << c.dpd_requests
            << std::endl;
  return children > 0 ? 0 : 1;
}
