#include "l2sec/daemon/control.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <vector>

#include "l2sec/daemon/gateway.hpp"
#include "l2sec/log.hpp"

namespace l2sec::daemon {
namespace {

constexpr std::size_t kMaxCommand = 512;

// Closes a descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int release() {
    const int f = fd;
    fd = -1;
    return f;
  }
};

bool make_address(const std::string& path, sockaddr_un* sa, std::string* error) {
  *sa = {};
  sa->sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(sa->sun_path)) {
    *error = "control socket path \"" + path + "\" is empty or longer than " +
             std::to_string(sizeof(sa->sun_path) - 1) + " bytes";
    return false;
  }
  std::memcpy(sa->sun_path, path.c_str(), path.size() + 1);
  return true;
}

void set_timeouts(int fd, int ms) {
  timeval tv{};
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Whether a process listens on the socket (a stale file refuses the connection).
bool listening(const sockaddr_un& sa) {
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  return fd.fd >= 0 && ::connect(fd.fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0;
}

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream in{std::string(line)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace

std::unique_ptr<ControlServer> ControlServer::open(const std::string& path, Handler handler,
                                                   std::string* error) {
  sockaddr_un sa;
  if (!make_address(path, &sa, error)) return nullptr;
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      *error = "control socket path " + path + " exists and is not a socket";
      return nullptr;
    }
    if (listening(sa)) {
      *error = "control socket " + path + " is in use by a running daemon (choose --control PATH)";
      return nullptr;
    }
    ::unlink(path.c_str());  // stale: nobody answers on it
  }
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.fd < 0) {
    *error = std::string("control socket: ") + std::strerror(errno);
    return nullptr;
  }
  if (::bind(fd.fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0 ||
      ::listen(fd.fd, 8) != 0) {
    *error = "control socket " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  ::chmod(path.c_str(), 0600);  // show output names users and addresses: root only
  return std::unique_ptr<ControlServer>(new ControlServer(fd.release(), path, std::move(handler)));
}

ControlServer::~ControlServer() {
  ::close(fd_);
  ::unlink(path_.c_str());
}

void ControlServer::serve() {
  for (;;) {
    const int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN: nothing more waiting
    }
    Fd guard(conn);
    answer(conn);
  }
}

void ControlServer::answer(int conn) {
  // A client that connects and says nothing holds the daemon for at most this long.
  set_timeouts(conn, 200);
  std::string line;
  std::array<char, 128> buf;
  while (line.size() <= kMaxCommand && line.find('\n') == std::string::npos) {
    const ssize_t n = ::recv(conn, buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    line.append(buf.data(), static_cast<std::size_t>(n));
  }
  if (line.size() > kMaxCommand) {
    ++counters_.errors;
    log::warning("control") << "command longer than " << kMaxCommand << " bytes refused";
    write_all(conn, "% command too long\n");
    return;
  }
  if (const auto nl = line.find('\n'); nl != std::string::npos) line.resize(nl);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (words(line).empty()) return;  // a probe (or an idle client): nothing to answer
  ++counters_.commands;
  log::debug("control") << "command: " << line;
  if (!write_all(conn, handler_(line))) {
    ++counters_.errors;
    log::warning("control") << "could not send the answer to \"" << line << "\"";
  }
}

std::optional<std::string> control_request(const std::string& path, std::string_view command,
                                           std::string* error) {
  sockaddr_un sa;
  if (!make_address(path, &sa, error)) return std::nullopt;
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.fd < 0 || ::connect(fd.fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    *error = "no daemon answers on " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  set_timeouts(fd.fd, 5000);
  if (!write_all(fd.fd, std::string(command) + "\n")) {
    *error = "could not send the command to " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  ::shutdown(fd.fd, SHUT_WR);
  std::string reply;
  std::array<char, 4096> buf;
  for (;;) {
    const ssize_t n = ::recv(fd.fd, buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = "no answer from " + path + ": " + std::strerror(errno);
      return std::nullopt;
    }
    if (n == 0) break;
    reply.append(buf.data(), static_cast<std::size_t>(n));
  }
  return reply;
}

std::string execute_command(const Gateway& gateway, std::string_view line) {
  // Every command the daemon answers, word by word; the last element is the gateway's show key.
  struct Command {
    std::vector<std::string_view> words;
    std::string_view show;
  };
  static const Command kCommands[] = {
      {{"show", "ike", "sa"}, "ike sa"},
      {{"show", "ipsec", "sa"}, "ipsec sa"},
      {{"show", "l2tp", "tunnel"}, "l2tp tunnel"},
      {{"show", "l2tp", "session"}, "l2tp session"},
      {{"show", "gateway", "counters"}, "gateway counters"},
  };
  const auto input = words(line);
  std::vector<const Command*> candidates;
  for (const auto& c : kCommands) candidates.push_back(&c);
  for (std::size_t i = 0; i < input.size(); ++i) {
    std::vector<const Command*> next;
    std::vector<std::string_view> matched_words;
    for (const auto* c : candidates) {
      if (i < c->words.size() && c->words[i].substr(0, input[i].size()) == input[i]) {
        next.push_back(c);
        bool seen = false;
        for (auto w : matched_words) seen = seen || w == c->words[i];
        if (!seen) matched_words.push_back(c->words[i]);
      }
    }
    if (next.empty()) return "% Invalid input detected at \"" + input[i] + "\"\n";
    if (matched_words.size() > 1) {
      std::string why = "% Ambiguous command at \"" + input[i] + "\" (";
      for (std::size_t k = 0; k < matched_words.size(); ++k) {
        why += (k ? ", " : "") + std::string(matched_words[k]);
      }
      return why + ")\n";
    }
    candidates = std::move(next);
  }
  if (input.empty() || candidates.size() != 1 || candidates[0]->words.size() != input.size()) {
    std::string why = "% Incomplete command (expected:";
    for (const auto* c : candidates) {
      if (input.size() < c->words.size()) why += " " + std::string(c->words[input.size()]);
    }
    return why + ")\n";
  }
  return gateway.show(candidates[0]->show);
}

}  // namespace l2sec::daemon
