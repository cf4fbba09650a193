// l2secd: the gateway daemon. Runs one virtual router's IKE responder, LNS and PPP over the
// software IPsec back end on UDP sockets (the line module's port, carried over loopback), with the
// corporate side on a TUN interface, optionally in a network namespace.
//
//   l2secd [--config FILE] [--listen ADDR] [--port-addr ADDR] [--netns NAME] [--tun NAME]
//          [--corporate-addr ADDR/LEN] [--no-tun] [--sessions N] [--timeout SECONDS] [-v]
//          [--control PATH|none] [--line-module SLOT]...
//
// --line-module serves the line-module port with the line-module back end (docs/line-module.md)
// instead of the software one: `sim` runs the simulated line card (Verilated lm_top + firmware) in
// this process on the UDP sockets the --listen/--port-addr/--*-port options describe;
// `lmsim:NAME` attaches to a running `lmsim --name NAME` process (which owns the sockets); any
// other driver spec (vfio:...) opens that device. 3DES SAs stay on the host's software path.
//
// Several line modules (a chassis). --line-module may be given several times: each one is a slot
// (0, 1, ... in order) and the gateway runs on an ipsec::ChassisBackend over them
// (host/ipsec/include/l2sec/ipsec/chassis_backend.hpp): an SA goes to the slot whose port owns its
// local address, IKE and clear L2TP leave through the slot owning the local address, packets and
// events come from every slot. Each slot needs its own port address (and a `sim` slot its own UDP
// sockets):
//   sim[,listen=ADDR][,port-addr=ADDR][,ike=N][,natt=N][,l2tp=N][,tap=IF][,trace=FILE]
//       a simulated card in this process; what is not given comes from --listen, --port-addr
//       (default: the first transport profile's address) and --ike-port/--natt-port/--l2tp-port;
//   lmsim:NAME[,wait=MS][,port-addr=ADDR]   a card in a separate `lmsim --name NAME` process
//       (shared-memory rings; lmsim owns the sockets); port-addr: the address clients dial on it
//       (default as above); any other SPEC[,port-addr=ADDR] the same way.
// For example, two cards, one in process and one in an lmsim process:
//   l2secd --line-module sim,listen=127.0.0.1,port-addr=198.18.0.2
//          --line-module lmsim:card1,port-addr=198.18.0.3
// with an `ipsec transport profile` for each address. No two slots may own one address. With one
// --line-module nothing changes (no chassis); the startup line names every slot.
//
// Without --config it runs the embedded default configuration (docs/cli.md). It prints one line
// per PPP session that comes up ("session up: user alice address 198.19.0.10 ..."), and with
// --sessions N its exit status says whether N sessions were up at the same time at some point
// (it runs until SIGTERM/SIGINT or --timeout). While it runs, `l2sec-cli show ...` asks it for live
// show output over the control socket (default /run/l2secd.sock); with several line modules
// `show ipsec sa` names the slot of each SA.
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "l2sec/config/parser.hpp"
#include "l2sec/daemon/control.hpp"
#include "l2sec/daemon/gateway.hpp"
#include "l2sec/daemon/tun.hpp"
#include "l2sec/golden/bytes.hpp"
#include "l2sec/ipsec/chassis_backend.hpp"
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
               "              [--control PATH|none] [--line-module SLOT]...\n"
               "SLOT (one per line module; several make a chassis, one slot each, in order):\n"
               "  sim[,listen=ADDR][,port-addr=ADDR][,ike=N][,natt=N][,l2tp=N][,tap=IF]\n"
               "                        a simulated card in this process (defaults: the options\n"
               "                        above)\n"
               "  lmsim:NAME[,wait=MS][,port-addr=ADDR]\n"
               "                        a card in a running `lmsim --name NAME` process\n"
               "  SPEC[,port-addr=ADDR]  another driver spec (vfio:...)\n"
               "port-addr: the address clients dial on that card (default --port-addr, else the\n"
               "first transport profile's); each slot needs its own.\n";
  std::exit(2);
}

std::uint32_t parse_addr(const std::string& text, const char* what) {
  const auto a = l2sec::ipv4_from_string(text);
  if (!a) usage((std::string("bad ") + what + " address: " + text).c_str());
  return *a;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto end = text.find(sep, start);
    out.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

// One --line-module: the driver spec to open and the port address the slot owns.
struct SlotSpec {
  std::string text;         // as given
  std::string device_spec;  // for driver::open_device
  std::uint32_t port_addr = 0;
  std::string describe;  // for the startup line
  bool sim_udp = false;  // `sim[,...]`: describe is "sim LISTEN (port ADDR) UDP I/N/L"
};

// `sim[,key=value...]` becomes a `sim:` spec with the global port options as defaults; any other
// spec loses its `port-addr=` (the chassis' business, not the driver's) unless it is `sim:`'s own.
SlotSpec parse_slot(const std::string& text, const l2sec::ipsec::UdpPortOptions& defaults) {
  using l2sec::ipv4_to_string;
  SlotSpec slot;
  slot.text = text;
  const std::uint32_t default_port = defaults.port_addr ? defaults.port_addr : defaults.local_addr;
  if (text == "sim" || text.starts_with("sim,")) {
    l2sec::ipsec::UdpPortOptions o = defaults;
    std::string extra;
    auto parts = split(text, ',');
    for (std::size_t i = 1; i < parts.size(); ++i) {
      const auto eq = parts[i].find('=');
      const std::string key = parts[i].substr(0, eq);
      const std::string val = eq == std::string::npos ? "" : parts[i].substr(eq + 1);
      auto port = [&]() {
        char* end = nullptr;
        const unsigned long v = std::strtoul(val.c_str(), &end, 10);
        if (val.empty() || *end != '\0' || v == 0 || v > 65535) {
          usage(("--line-module " + text + ": bad " + key + " port " + val).c_str());
        }
        return static_cast<std::uint16_t>(v);
      };
      if (key == "listen") {
        o.local_addr = parse_addr(val, "listen");
      } else if (key == "port-addr") {
        o.port_addr = parse_addr(val, "port");
      } else if (key == "ike") {
        o.ike_port = port();
      } else if (key == "natt") {
        o.natt_port = port();
      } else if (key == "l2tp") {
        o.l2tp_port = port();
      } else if (key == "tap" || key == "trace") {
        extra += "," + parts[i];
      } else {
        usage(("--line-module " + text + ": unknown sim option '" + key +
               "' (listen, port-addr, ike, natt, l2tp, tap, trace)")
                  .c_str());
      }
    }
    slot.port_addr = o.port_addr ? o.port_addr : o.local_addr;
    const std::string udp = std::to_string(o.ike_port) + "/" + std::to_string(o.natt_port) + "/" +
                            std::to_string(o.l2tp_port);
    slot.device_spec =
        "sim:listen=" + ipv4_to_string(o.local_addr) +
        ",port-addr=" + ipv4_to_string(slot.port_addr) + ",ike=" + std::to_string(o.ike_port) +
        ",natt=" + std::to_string(o.natt_port) + ",l2tp=" + std::to_string(o.l2tp_port) + extra;
    slot.sim_udp = true;
    slot.describe = "sim " + ipv4_to_string(o.local_addr) + " (port " +
                    ipv4_to_string(slot.port_addr) + ") UDP " + udp;
    return slot;
  }
  const bool sim_scheme = text.starts_with("sim:");
  std::string spec;
  for (const auto& part : split(text, ',')) {
    if (part.starts_with("port-addr=")) {
      slot.port_addr = parse_addr(part.substr(10), "port");
      if (!sim_scheme) continue;
    }
    spec += (spec.empty() ? "" : ",") + part;
  }
  if (sim_scheme) {
    // sim:'s own first option follows the colon.
    const auto colon = text.find(':');
    for (const auto& part : split(text.substr(colon + 1), ',')) {
      if (part.starts_with("port-addr=")) slot.port_addr = parse_addr(part.substr(10), "port");
    }
  }
  if (slot.port_addr == 0) slot.port_addr = default_port;
  slot.device_spec = spec;
  slot.describe = spec + " (port " + ipv4_to_string(slot.port_addr) + ")";
  return slot;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace l2sec;
  std::string config_file, vr = "default", netns, tun_name = "l2sec0";
  std::string corporate = "198.19.255.254/16";
  std::string control_path = daemon::kDefaultControlPath;
  ipsec::UdpPortOptions port_options;
  port_options.local_addr = 0x7f000001;
  std::vector<std::string> line_modules;  // empty: the software back end; several: a chassis
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
      line_modules.push_back(value());
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
  std::vector<SlotSpec> slots;
  for (const auto& text : line_modules) slots.push_back(parse_slot(text, port_options));
  for (std::size_t i = 0; i < slots.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (slots[i].port_addr == slots[j].port_addr) {
        std::cerr << "l2secd: line modules " << j << " and " << i << " both own port address "
                  << ipv4_to_string(slots[i].port_addr)
                  << " (give each --line-module its own port-addr=)\n";
        return 1;
      }
    }
  }
  if (line_modules.empty()) {
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
    std::vector<ipsec::ChassisSlot> chassis_slots;
    std::uint32_t capacity = 0;  // the smallest SA table of the slots
    for (std::size_t i = 0; i < slots.size(); ++i) {
      const std::string which =
          slots.size() > 1 ? "line module " + std::to_string(i) + " (" + slots[i].text + ")"
                           : std::string("line module");
      auto device = driver::open_device(slots[i].device_spec, &error);
      if (!device) {
        std::cerr << "l2secd: " << which << ": " << error << "\n";
        return 1;
      }
      ipsec::LineModuleBackendOptions lm_options;
      lm_options.nat_passthrough = config::nat_passthrough(cfg, vr);
      auto lm = ipsec::LineModuleBackend::create(std::move(device), lm_options, &error);
      if (!lm) {
        std::cerr << "l2secd: " << which << ": " << error << "\n";
        return 1;
      }
      const std::uint32_t c = lm->hello().capacity;
      if (c != 0 && (capacity == 0 || c < capacity)) capacity = c;
      chassis_slots.push_back({slots[i].text, {slots[i].port_addr}, std::move(lm)});
    }
    if (chassis_slots.size() == 1) {
      backend_owner = std::move(chassis_slots.front().backend);
    } else {
      ipsec::ChassisBackendOptions chassis_options;
      if (capacity != 0) chassis_options.spi_index_slots = capacity;
      backend_owner =
          ipsec::ChassisBackend::create(std::move(chassis_slots), chassis_options, &error);
      if (!backend_owner) {
        std::cerr << "l2secd: " << error << " (give each --line-module its own port-addr=)\n";
        return 1;
      }
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
  std::string where;
  if (slots.size() > 1) {
    where = std::to_string(slots.size()) + " line modules:";
    for (std::size_t i = 0; i < slots.size(); ++i) {
      where += (i == 0 ? " slot " : ", slot ") + std::to_string(i) + " " + slots[i].describe;
    }
  } else if (slots.size() == 1 && slots[0].sim_udp) {
    where = slots[0].describe.substr(4);  // plain `sim`: the same as the global options
  } else {
    where =
        ipv4_to_string(port_options.local_addr) + " (port " +
        ipv4_to_string(port_options.port_addr ? port_options.port_addr : port_options.local_addr) +
        ") UDP " + std::to_string(port_options.ike_port) + "/" +
        std::to_string(port_options.natt_port) + "/" + std::to_string(port_options.l2tp_port);
  }
  std::cout << "l2secd: listening on " << where
            << (tun ? ", corporate side on " + tun->name() +
                          (netns.empty() ? "" : " in netns " + netns)
                    : std::string())
            << (control ? "; control socket " + control->path() : std::string())
            << (slots.size() == 1
                    ? "; " + std::string(backend.name()) + " back end on " + slots[0].text
                : slots.empty() ? std::string()
                                : "; " + std::string(backend.name()) + " back end")
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
