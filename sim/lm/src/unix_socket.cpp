#include "l2sec/sim/lm/unix_socket.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace l2sec::lmsim {
namespace {

constexpr std::size_t kMaxFds = 4;

bool make_addr(const std::string& path, sockaddr_un& sa, socklen_t& len, std::string* error) {
  sa = {};
  sa.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof sa.sun_path) {
    if (error) *error = "bad Unix socket path '" + path + "'";
    return false;
  }
  std::memcpy(sa.sun_path, path.data(), path.size());
  if (path[0] == '@') sa.sun_path[0] = '\0';  // abstract namespace
  len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() +
                               (path[0] == '@' ? 0 : 1));
  return true;
}

}  // namespace

void Fd::reset() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

std::string lmsim_socket_path(const std::string& name) { return "@l2sec-lmsim-" + name; }
std::string lmsim_shm_name(const std::string& name) { return "/l2sec-lmsim-" + name; }

Fd unix_listen(const std::string& path, std::string* error) {
  sockaddr_un sa;
  socklen_t len = 0;
  if (!make_addr(path, sa, len, error)) return {};
  Fd s(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!s.valid()) {
    if (error) *error = std::string("socket: ") + std::strerror(errno);
    return {};
  }
  if (path[0] != '@') unlink(path.c_str());
  if (bind(s.get(), reinterpret_cast<sockaddr*>(&sa), len) != 0 || listen(s.get(), 4) != 0) {
    if (error) *error = "cannot listen on " + path + ": " + std::strerror(errno);
    return {};
  }
  return s;
}

Fd unix_connect(const std::string& path, std::string* error) {
  sockaddr_un sa;
  socklen_t len = 0;
  if (!make_addr(path, sa, len, error)) return {};
  Fd s(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!s.valid()) {
    if (error) *error = std::string("socket: ") + std::strerror(errno);
    return {};
  }
  if (connect(s.get(), reinterpret_cast<sockaddr*>(&sa), len) != 0) {
    if (error) *error = "cannot connect to " + path + ": " + std::strerror(errno);
    return {};
  }
  return s;
}

bool send_message(int sock, ByteView data, std::span<const int> fds) {
  if (fds.size() > kMaxFds) return false;
  iovec iov{const_cast<std::uint8_t*>(data.data()), data.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)] = {};
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  return sendmsg(sock, &msg, MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
}

std::optional<Bytes> receive_message(int sock, std::vector<Fd>* fds, std::size_t max) {
  Bytes buf(max);
  iovec iov{buf.data(), buf.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  if (n <= 0) {
    if (n == 0) errno = 0;
    return std::nullopt;
  }
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (fds != nullptr) {
        fds->emplace_back(fd);
      } else {
        close(fd);
      }
    }
  }
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

}  // namespace l2sec::lmsim
