// The daemon's control socket: live `show` commands while l2secd runs, in the router's own words.
//
//   l2secd --control /run/l2secd.sock        (the default path)
//   l2sec-cli show ike sa                    (or any unambiguous prefix: "sh ik sa")
//
// One command per connection: the client writes one line, the daemon answers with the command's
// output and closes. The server is non-blocking and served from the gateway's poll loop, so a
// command sees the gateway between two packets, never in the middle of one.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace l2sec::daemon {

class Gateway;

struct ControlCounters {
  std::uint64_t commands = 0;
  std::uint64_t errors = 0;  // connections that sent nothing usable or could not be answered
};

class ControlServer {
 public:
  using Handler = std::function<std::string(std::string_view command)>;

  // Listens on the Unix stream socket `path`. A stale socket file (no daemon answers on it) is
  // replaced; a live one is an error, so two daemons never share a path. nullptr and *error when
  // the socket cannot be opened.
  static std::unique_ptr<ControlServer> open(const std::string& path, Handler handler,
                                             std::string* error);
  ~ControlServer();  // closes and removes the socket file
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  // Answers every connection waiting on the socket (call when fd() is readable).
  void serve();
  const ControlCounters& counters() const { return counters_; }

 private:
  ControlServer(int fd, std::string path, Handler handler)
      : fd_(fd), path_(std::move(path)), handler_(std::move(handler)) {}
  void answer(int conn);

  int fd_;
  std::string path_;
  Handler handler_;
  ControlCounters counters_;
};

// Sends one command to the daemon at `path` and returns its answer; nullopt and *error when no
// daemon answers.
std::optional<std::string> control_request(const std::string& path, std::string_view command,
                                           std::string* error);

// The command interpreter: `show ike sa`, `show ipsec sa`, `show l2tp tunnel`,
// `show l2tp session`, `show gateway counters`, each word abbreviable to any unambiguous prefix as
// on the router. Unknown or ambiguous input gets a line starting with "% " that names the word.
std::string execute_command(const Gateway& gateway, std::string_view line);

inline constexpr const char* kDefaultControlPath = "/run/l2secd.sock";

}  // namespace l2sec::daemon
