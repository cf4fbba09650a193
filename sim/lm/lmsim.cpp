// lmsim: one simulated line card (the Verilated lm_top, the firmware and a line port) in a process
// of its own, served to a host driver (driver/sim's LmsimDevice, spec "lmsim:<name>") over POSIX
// shared memory. Start one per line module; one daemon opens several.
//
//   lmsim --name NAME [--listen ADDR] [--port-addr ADDR] [--ike-port N] [--natt-port N]
//         [--l2tp-port N] [--tap IFNAME] [--trace FILE.fst] [-v]
//
// The line port is UDP sockets on ADDR (127.0.0.1) for IKE, NAT-T and L2TP presented as
// PORT-ADDR, or a TAP interface with --tap. It prints "lmsim NAME: ready" once the firmware runs
// and the host can attach; SIGTERM or SIGINT stop it (the segment and socket go with it).
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <string>

#include "l2sec/golden/bytes.hpp"
#include "l2sec/log.hpp"
#include "l2sec/sim/lm/line_card.hpp"
#include "l2sec/sim/lm/lmsim_server.hpp"

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

[[noreturn]] void usage(const std::string& why) {
  if (!why.empty()) std::cerr << "lmsim: " << why << "\n";
  std::cerr
      << "usage: lmsim --name NAME [--listen ADDR] [--port-addr ADDR] [--ike-port N]\n"
         "             [--natt-port N] [--l2tp-port N] [--tap IFNAME] [--trace FILE.fst] [-v]\n";
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace l2sec;
  std::string name, tap, trace;
  ipsec::UdpPortOptions port;
  port.local_addr = 0x7f000001;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    auto addr = [&](const std::string& v) {
      const auto x = ipv4_from_string(v);
      if (!x) usage("bad address " + v);
      return *x;
    };
    if (a == "--name") {
      name = value();
    } else if (a == "--listen") {
      port.local_addr = addr(value());
    } else if (a == "--port-addr") {
      port.port_addr = addr(value());
    } else if (a == "--ike-port") {
      port.ike_port = static_cast<std::uint16_t>(std::stoi(value()));
    } else if (a == "--natt-port") {
      port.natt_port = static_cast<std::uint16_t>(std::stoi(value()));
    } else if (a == "--l2tp-port") {
      port.l2tp_port = static_cast<std::uint16_t>(std::stoi(value()));
    } else if (a == "--tap") {
      tap = value();
    } else if (a == "--trace") {
      trace = value();
    } else if (a == "-v") {
      log::set_level(log::Level::kDebug);
    } else if (a == "-h" || a == "--help") {
      usage("");
    } else {
      usage("unknown option " + a);
    }
  }
  if (name.empty()) usage("--name is required");

  std::string error;
  std::unique_ptr<lmsim::LinePort> line;
  if (!tap.empty()) {
    line = lmsim::TapPort::open(tap, &error);
  } else if (auto udp = ipsec::UdpPort::open(port, &error)) {
    line = std::make_unique<lmsim::EthernetPort>(std::move(udp));
  }
  if (!line) {
    std::cerr << "lmsim " << name << ": line port: " << error << "\n";
    return 1;
  }
  lmsim::LineCardOptions options;
  options.harness.fst_path = trace;
  auto card = lmsim::LineCard::create(std::move(line), options, &error);
  if (!card) {
    std::cerr << "lmsim " << name << ": " << error << "\n";
    return 1;
  }
  auto server = lmsim::LmsimServer::create(name, std::move(card), &error);
  if (!server) {
    std::cerr << "lmsim " << name << ": " << error << "\n";
    return 1;
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  std::cout << "lmsim " << name << ": ready" << std::endl;
  server->run(g_stop);
  const auto& c = server->card().counters();
  std::cout << "lmsim " << name << ": stopped after " << c.cycles << " cycles, " << c.frames_in
            << " frames in, " << c.frames_out << " out, " << c.requests << " requests" << std::endl;
  return 0;
}
