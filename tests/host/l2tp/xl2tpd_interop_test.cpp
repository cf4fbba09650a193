// A real LAC: xl2tpd (Debian's, userspace mode) dials our LNS over clear L2TP on loopback inside a
// network namespace this test creates (so port 1701 is ours alone): LNS on 127.0.0.1:1701,
// xl2tpd on 127.0.0.2:1701. The control plane must come up to an established session (SCCRQ ..
// ICCN, with xl2tpd's hidden-free defaults and length bit). pppd cannot run here (no /dev/ppp), so
// xl2tpd hangs up afterwards; that CDN must be understood too. Skipped without root or xl2tpd.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "harness.hpp"

extern char** environ;

using namespace l2sec;
using namespace l2sec::l2tp;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t kLnsAddr = 0x7f000001;  // 127.0.0.1

// Clear L2TP over a real UDP socket; nothing else.
class UdpClearBackend final : public ipsec::Backend {
 public:
  explicit UdpClearBackend(int fd) : fd_(fd) {}
  std::string_view name() const override { return "udp-clear"; }
  std::uint32_t allocate_spi() override { return 0; }
  ipsec::Status add_sa(const ipsec::SaSpec&) override { return ipsec::Status::failure("no SAs"); }
  ipsec::Status update_peer(ipsec::SaHandle, ipsec::Endpoint) override {
    return ipsec::Status::failure("no SAs");
  }
  std::optional<ipsec::SaStatus> query_sa(std::uint32_t, lm::Direction) const override {
    return std::nullopt;
  }
  ipsec::Status del_sa(std::uint32_t, lm::Direction) override {
    return ipsec::Status::failure("no SAs");
  }
  std::vector<ipsec::SaStatus> list_sas() const override { return {}; }
  ipsec::Status send_ike(ipsec::Endpoint, ipsec::Endpoint, ByteView) override {
    return ipsec::Status::failure("no IKE");
  }
  ipsec::Status send_l2tp(ipsec::SaHandle, std::uint16_t, ByteView) override {
    return ipsec::Status::failure("no SAs");
  }
  ipsec::Status send_l2tp_clear(ipsec::Endpoint local, ipsec::Endpoint peer,
                                ByteView message) override {
    EXPECT_EQ(local.port, kL2tpPort);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(peer.addr);
    to.sin_port = htons(peer.port);
    if (::sendto(fd_, message.data(), message.size(), 0, reinterpret_cast<sockaddr*>(&to),
                 sizeof to) < 0) {
      return ipsec::Status::failure(std::strerror(errno));
    }
    ++sent;
    return {};
  }
  int poll_fd() const override { return fd_; }
  std::optional<ipsec::HostPacket> receive() override { return std::nullopt; }
  std::optional<ipsec::Event> next_event() override { return std::nullopt; }
  void tick(Clock::time_point) override {}
  std::uint64_t sent = 0;

 private:
  int fd_;
};

bool loopback_up() {
  const int s = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) return false;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  bool ok = ::ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  ok = ok && ::ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
  ::close(s);
  return ok;
}

int hidden_from_lac = 0;  // messages from xl2tpd that carried hidden AVPs

int message_type(ByteView d, std::string_view secret) {
  auto h = parse_header(d, nullptr);
  if (!h || !h->control) return -1;
  Decoded dec = decode_control(d.subspan(h->payload_offset, h->length - h->payload_offset), secret);
  if (dec.message.has_hidden) ++hidden_from_lac;
  return dec.zlb ? 0 : dec.message.type;
}

}  // namespace

class L2tpXl2tpdInterop : public ::testing::TestWithParam<bool> {};

// Param: tunnel authentication, challenge both ways (secret from xl2tpd's auth file), and
// hide_avps on: xl2tpd hides nothing, so neither do we.
TEST_P(L2tpXl2tpdInterop, RealLacBringsUpTunnelAndSession) {
  const bool auth = GetParam();
  const char* xl2tpd = "/usr/sbin/xl2tpd";
  if (::access(xl2tpd, X_OK) != 0) GTEST_SKIP() << "xl2tpd is not installed";
  if (::unshare(CLONE_NEWNET) != 0) GTEST_SKIP() << "cannot create a network namespace";
  ASSERT_TRUE(loopback_up());

  const auto dir =
      std::filesystem::temp_directory_path() / ("l2sec-xl2tpd-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream conf(dir / "xl2tpd.conf");
    conf << "[global]\nlisten-addr = 127.0.0.2\nport = 1701\n"
         << "auth file = " << (dir / "l2tp-secrets").string() << "\n"
         << "[lac probe]\nlns = 127.0.0.1\nlength bit = yes\nname = probe\n"
         << "pppoptfile = " << (dir / "options").string() << "\n";
    if (auth) conf << "challenge = yes\nhidden bit = yes\n";
    std::ofstream(dir / "l2tp-secrets") << "* * interop-secret\n";
    std::ofstream(dir / "options") << "noauth\n";
  }
  const std::string control = (dir / "control").string();
  ASSERT_EQ(::mkfifo(control.c_str(), 0600), 0);

  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(kLnsAddr);
  addr.sin_port = htons(kL2tpPort);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);

  UdpClearBackend backend(fd);
  LnsConfig cfg;
  cfg.require_ipsec = false;
  cfg.host_name = "l2sec-lns";
  if (auth) {
    cfg.tunnel_secret = "interop-secret";
    cfg.hide_avps = true;
  }
  std::vector<std::shared_ptr<test::PayloadRecord>> payloads;
  Lns lns(cfg, backend, [&](const SessionInfo& i, SessionIo& io) {
    payloads.push_back(std::make_shared<test::PayloadRecord>());
    payloads.back()->echo = false;
    return std::make_unique<test::EchoPayload>(i, io, payloads.back());
  });

  const std::string conf_path = (dir / "xl2tpd.conf").string();
  const std::string pid_path = (dir / "pid").string();
  std::vector<std::string> args = {xl2tpd, "-D", "-c", conf_path, "-p", pid_path, "-C", control};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  const std::string log_path = (dir / "xl2tpd.log").string();
  posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = -1;
  ASSERT_EQ(::posix_spawn(&pid, xl2tpd, &fa, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);

  std::vector<int> from_lac;
  bool dialled = false, established = false;
  const auto start = Clock::now();
  auto established_at = start;
  while (Clock::now() - start < 15s) {
    const auto now = Clock::now();
    if (!dialled && now - start > 500ms) {
      const int c = ::open(control.c_str(), O_WRONLY | O_NONBLOCK);
      if (c >= 0) {
        const char cmd[] = "c probe\n";
        dialled = ::write(c, cmd, sizeof cmd - 1) == static_cast<ssize_t>(sizeof cmd - 1);
        ::close(c);
      }
    }
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, 50);
    for (;;) {
      std::uint8_t buf[4096];
      sockaddr_in from{};
      socklen_t len = sizeof from;
      const ssize_t n =
          ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n <= 0) break;
      ipsec::HostPacket pkt;
      pkt.pkt_class = lm::PktClass::kL2tpClear;
      pkt.local = ipsec::Endpoint{kLnsAddr, kL2tpPort};
      pkt.peer = ipsec::Endpoint{ntohl(from.sin_addr.s_addr), ntohs(from.sin_port)};
      pkt.payload.assign(buf, buf + n);
      from_lac.push_back(message_type(pkt.payload, cfg.tunnel_secret));
      lns.on_packet(pkt, Clock::now());
    }
    lns.tick(Clock::now());
    if (!established && !payloads.empty() && payloads[0]->started) {
      established = true;
      established_at = Clock::now();
    }
    // After the session came up, give xl2tpd time to hang up (its pppd cannot start here).
    if (established && Clock::now() - established_at > 3s) break;
  }
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(fd);

  std::string seen;
  for (int t : from_lac) {
    seen += t <= 0 ? (t == 0 ? "ZLB " : "data ")
                   : std::string(to_string(static_cast<MsgType>(t))) + " ";
  }
  std::ifstream log_in(log_path);
  const std::string xl_log((std::istreambuf_iterator<char>(log_in)), {});
  std::filesystem::remove_all(dir);
  std::printf("from xl2tpd: %s(%d with hidden AVPs)\n", seen.c_str(), hidden_from_lac);
  ASSERT_TRUE(established) << "from xl2tpd: " << seen << "\nxl2tpd log:\n" << xl_log;
  const auto tunnels = lns.tunnels();
  ASSERT_EQ(tunnels.size(), 1u);
  EXPECT_FALSE(tunnels[0].peer_host.empty());
  EXPECT_EQ(lns.counters().malformed, 0u) << xl_log;
  EXPECT_EQ(lns.counters().unknown_tunnel, 0u);
  EXPECT_EQ(lns.counters().fsm_errors, 0u);
  ASSERT_GE(from_lac.size(), 3u);
  EXPECT_EQ(from_lac[0], static_cast<int>(MsgType::kSccrq));
  EXPECT_EQ(lns.counters().auth_failures, 0u);
  std::printf("xl2tpd (%s) session up: tunnel %u/%u session %u/%u%s\n",
              tunnels[0].peer_host.c_str(), payloads[0]->info.tunnel_id,
              payloads[0]->info.peer_tunnel_id, payloads[0]->info.session_id,
              payloads[0]->info.peer_session_id,
              payloads[0]->closed ? (", then closed: " + payloads[0]->close_reason).c_str() : "");
}

INSTANTIATE_TEST_SUITE_P(Xl2tpd, L2tpXl2tpdInterop, ::testing::Values(false, true),
                         [](const auto& p) {
                           return p.param ? std::string("ChallengeAndHiddenAvps")
                                          : std::string("Plain");
                         });
