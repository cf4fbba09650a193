// l2secd: the gateway daemon. Runs one virtual router's IKE responder, LNS and PPP over the
// software IPsec back end on UDP sockets (the line module's port, carried over loopback), with the
// corporate side on a TUN interface, optionally in a network namespace.
//
//   l2secd [--config FILE] [--listen ADDR] [--port-addr ADDR] [--netns NAME] [--tun NAME]
//          [--corporate-addr ADDR/LEN] [--no-tun] [--sessions N] [--timeout SECONDS] [-v]
//          [--control PATH|none] [--line-module sim|lmsim:NAME|SPEC]
//
// --line-module serves the line-module port with the line-module back end (docs/line-module.md)
// instead of the software one: `sim` runs the simulated line card (Verilated lm_top + firmware) in
// this process on the UDP sockets the --listen/--port-addr/--*-port options describe;
// `lmsim:NAME` attaches to a running `lmsim --name NAME` process (which owns the sockets); any
// other driver spec (vfio:...) opens that device. 3DES SAs stay on the host's software path.
//
// Without --config it runs the embedded default configuration (docs/cli.md). It prints one line
// per PPP session that comes up ("session up: user alice address 198.19.0.10 ..."), and with
// --sessions N its exit status says whether N sessions were up at the same time at some point
// (it runs until SIGTERM/SIGINT or --timeout). While it runs, `l2sec-cli show ...` asks it for live
// show output over the control socket (default /run/l2secd.sock).
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

#include "l2sec/config/parser.hpp"
#include "l2sec/daemon/control.hpp"
#include "l2sec/daemon/gateway.hpp"
#include "l2sec/daemon/tun.hpp"
#include "l2sec/golden/bytes.hpp"
#include "l2sec/ipsec/frame_port.hpp"
#if L2SEC_WITH_LINE_MODULE
#include "l2sec/driver/sim_device.hpp"
#include "l2sec/ipsec/line_module_backend.hpp"
#endif
#include "l2sec/ipsec/soft_backend.hpp"
#include "l2sec/log.hpp"

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop = true; }

[[noreturn]] void usage(const char* why) {
  if (why != nullptr) std::cerr << "l2secd: " << why << "\n";
  std::cerr << "usage: l2secd [--config FILE] [--vr NAME] [--listen ADDR] [--port-addr ADDR]\n"
               "              [--ike-port N --natt-port N --l2tp-port N]\n"
               "              [--netns NAME] [--tun NAME] [--corporate-addr ADDR/LEN] [--no-tun]\n"
               "              [--sessions N] [--timeout SECONDS] [--show-config] [-v]\n"
               "              [--control PATH|none] [--line-module sim|lmsim:NAME|SPEC]\n";
  std::exit(2);
}

std::uint32_t parse_addr(const std::string& text, const char* what) {
  const auto a = l2sec::ipv4_from_string(text);
  if (!a) usage((std::string("bad ") + what + " address: " + text).c_str());
  return *a;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace l2sec;
  std::string config_file, vr = "default", netns, tun_name = "l2sec0";
  std::string corporate = "198.19.255.254/16";
  std::string control_path = daemon::kDefaultControlPath;
  ipsec::UdpPortOptions port_options;
  port_options.local_addr = 0x7f000001;
  std::string line_module;  // empty: the software back end
  bool no_tun = false, show_config = false;
  long want_sessions = 0, timeout_s = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage((a + " needs a value").c_str());
      return argv[++i];
    };
    if (a == "--config") {
      config_file = value();
    } else if (a == "--vr") {
      vr = value();
    } else if (a == "--listen") {
      port_options.local_addr = parse_addr(value(), "listen");
    } else if (a == "--port-addr") {
      port_options.port_addr = parse_addr(value(), "port");
    } else if (a == "--ike-port") {
      port_options.ike_port = static_cast<std::uint16_t>(std::stoi(value()));
    } else if (a == "--natt-port") {
      port_options.natt_port = static_cast<std::uint16_t>(std::stoi(value()));
    } else if (a == "--l2tp-port") {
      port_options.l2tp_port = static_cast<std::uint16_t>(std::stoi(value()));
    } else if (a == "--netns") {
      netns = value();
    } else if (a == "--tun") {
      tun_name = value();
    } else if (a == "--corporate-addr") {
      corporate = value();
    } else if (a == "--no-tun") {
      no_tun = true;
    } else if (a == "--sessions") {
      want_sessions = std::stol(value());
    } else if (a == "--timeout") {
      timeout_s = std::stol(value());
    } else if (a == "--control") {
      control_path = value();
    } else if (a == "--line-module") {
      line_module = value();
    } else if (a == "--show-config") {
      show_config = true;
    } else if (a == "-v") {
      log::set_level(log::Level::kDebug);
    } else if (a == "-h" || a == "--help") {
      usage(nullptr);
    } else {
      usage(("unknown option " + a).c_str());
    }
  }

  const auto parsed = config_file.empty()
                          ? config::parse(config::default_config_text(), "<default>")
                          : config::parse_file(config_file);
  if (!parsed.ok()) {
    for (const auto& e : parsed.errors) std::cerr << e.to_string() << "\n";
    return 1;
  }
  const config::RouterConfig& cfg = *parsed.config;
  if (show_config) {
    std::cout << config::render(cfg);
    return 0;
  }

  // The line module's port: the software back end on UDP sockets. The port presents itself with
  // the address clients target (the transport profile's), defaulting to the first one configured.
  if (port_options.port_addr == 0) {
    for (const auto& tp : cfg.transport_profiles) {
      if (tp.virtual_router == vr && tp.local_address != 0) {
        port_options.port_addr = tp.local_address;
        break;
      }
    }
  }
  std::string error;
  std::unique_ptr<ipsec::Backend> backend_owner;
  if (line_module.empty()) {
    auto port = ipsec::UdpPort::open(port_options, &error);
    if (!port) {
      std::cerr << "l2secd: " << error << "\n";
      return 1;
    }
    ipsec::SoftBackendOptions backend_options;
    backend_options.nat_passthrough = config::nat_passthrough(cfg, vr);
    backend_owner = std::make_unique<ipsec::SoftBackend>(std::move(port), backend_options);
  } else {
#if L2SEC_WITH_LINE_MODULE
    driver::register_sim_devices();
    std::string spec = line_module;
    if (spec == "sim") {
      spec = "sim:listen=" + ipv4_to_string(port_options.local_addr) + ",port-addr=" +
             ipv4_to_string(port_options.port_addr ? port_options.port_addr
                                                   : port_options.local_addr) +
             ",ike=" + std::to_string(port_options.ike_port) +
             ",natt=" + std::to_string(port_options.natt_port) +
             ",l2tp=" + std::to_string(port_options.l2tp_port);
    }
    auto device = driver::open_device(spec, &error);
    if (!device) {
      std::cerr << "l2secd: line module: " << error << "\n";
      return 1;
    }
    ipsec::LineModuleBackendOptions lm_options;
    lm_options.nat_passthrough = config::nat_passthrough(cfg, vr);
    backend_owner = ipsec::LineModuleBackend::create(std::move(device), lm_options, &error);
    if (!backend_owner) {
      std::cerr << "l2secd: line module: " << error << "\n";
      return 1;
    }
#else
    std::cerr << "l2secd: --line-module: this build has no line-module back end\n";
    return 1;
#endif
  }
  ipsec::Backend& backend = *backend_owner;

  std::unique_ptr<daemon::Tun> tun;
  if (!no_tun) {
    daemon::TunOptions t;
    t.name = tun_name;
    t.netns = netns;
    const auto slash = corporate.find('/');
    t.addr = parse_addr(corporate.substr(0, slash), "corporate");
    if (slash != std::string::npos)
      t.prefix_len = static_cast<unsigned>(std::stoul(corporate.substr(slash + 1)));
    tun = daemon::Tun::open(t, &error);
    if (!tun) {
      std::cerr << "l2secd: corporate side: " << error << "\n";
      return 1;
    }
  }

  auto gateway = daemon::Gateway::create(cfg, vr, backend, tun.get(), &error);
  if (!gateway) {
    std::cerr << "l2secd: " << error << "\n";
    return 1;
  }
  std::size_t up_now = 0, up_max = 0;
  gateway->on_session_up = [&](const daemon::SessionView& s) {
    std::cout << "session up: " << daemon::to_string(s) << std::endl;
    up_max = std::max(up_max, ++up_now);
  };
  gateway->on_session_down = [&](const daemon::SessionView& s, std::string_view why) {
    std::cout << "session down (" << why << "): " << daemon::to_string(s) << std::endl;
    if (up_now > 0) --up_now;
  };

  std::unique_ptr<daemon::ControlServer> control;
  if (control_path != "none") {
    control = daemon::ControlServer::open(
        control_path,
        [&gw = *gateway](std::string_view line) { return daemon::execute_command(gw, line); },
        &error);
    if (!control) {
      std::cerr << "l2secd: " << error << "\n";
      return 1;
    }
    gateway->add_poll_source(control->fd(), [&control] { control->serve(); });
  }

  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  // tests/interop/gateway_session.py waits for a line that starts "l2secd: listening".
  std::cout
      << "l2secd: listening on " << ipv4_to_string(port_options.local_addr) << " (port "
      << ipv4_to_string(port_options.port_addr ? port_options.port_addr : port_options.local_addr)
      << ") UDP " << port_options.ike_port << "/" << port_options.natt_port << "/"
      << port_options.l2tp_port
      << (tun ? ", corporate side on " + tun->name() + (netns.empty() ? "" : " in netns " + netns)
              : std::string())
      << (control ? "; control socket " + control->path() : std::string())
      << (line_module.empty() ? ""
                              : "; " + std::string(backend.name()) + " back end on " + line_module)
      << std::endl;

  const auto start = ipsec::Clock::now();
  std::atomic<bool> stop{false};
  std::thread watchdog([&] {
    while (!stop.load()) {
      if (g_stop.load()) stop = true;
      if (timeout_s > 0 && ipsec::Clock::now() - start > std::chrono::seconds(timeout_s)) {
        stop = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  gateway->run(stop);
  stop = true;
  watchdog.join();

  std::cout << "l2secd: stopping; " << up_max << " session(s) were up at most at once\n"
            << "show ike sa:\n"
            << gateway->show("ike sa") << "show ipsec sa:\n"
            << gateway->show("ipsec sa") << "show l2tp session:\n"
            << gateway->show("l2tp session");
  const bool ok = want_sessions == 0 || up_max >= static_cast<std::size_t>(want_sessions);
  return ok ? 0 : 1;
}
