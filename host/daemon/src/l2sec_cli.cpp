// l2sec-cli: asks a running l2secd for live show output over its control socket.
//
//   l2sec-cli [--control PATH] show ike sa
//   l2sec-cli sh l2tp sess                  (words abbreviate as on the router)
//
// Prints the daemon's answer; exits 1 when no daemon answers or the command is refused ("% ...").
#include <iostream>
#include <string>

#include "l2sec/daemon/control.hpp"

int main(int argc, char** argv) {
  std::string path = l2sec::daemon::kDefaultControlPath;
  std::string command;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--control" && i + 1 < argc) {
      path = argv[++i];
    } else if (a == "-h" || a == "--help") {
      std::cout << "usage: l2sec-cli [--control PATH] show {ike sa | ipsec sa | l2tp tunnel | "
                   "l2tp session | gateway counters}\n";
      return 0;
    } else {
      command += (command.empty() ? "" : " ") + a;
    }
  }
  if (command.empty()) {
    std::cerr << "l2sec-cli: no command (try: l2sec-cli show l2tp session)\n";
    return 2;
  }
  std::string error;
  const auto reply = l2sec::daemon::control_request(path, command, &error);
  if (!reply) {
    std::cerr << "l2sec-cli: " << error << "\n";
    return 1;
  }
  std::cout << *reply;
  return reply->rfind("% ", 0) == 0 ? 1 : 0;
}
