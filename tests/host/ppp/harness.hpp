// A Session and a TestPeer wired back to back through two queues, with a fake clock, loss and
// duplication filters, and a trace of every frame for captures.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "l2sec/ppp/ipv4_pool.hpp"
#include "l2sec/ppp/local_users.hpp"
#include "l2sec/ppp/session.hpp"
#include "test_peer.hpp"

namespace l2sec::ppp::test {

inline std::uint32_t ip(const char* s) { return ipv4_from_string(s).value(); }

struct Harness {
  explicit Harness(Config config = default_config(), PeerConfig peer_config = {},
                   std::uint32_t pool_size = 16)
      : cfg(std::move(config)),
        users(LocalUsers::Map{{"alice", "secret"}, {"bob", "hunter2"}, {"User", "clientPass"}}),
        pool(Ipv4Pool::create(ip("198.18.10.1"), ip("198.18.10.1") + pool_size - 1, nullptr)
                 .value()) {
    peer_cfg = std::move(peer_config);
    make();
  }

  static Config default_config() {
    Config c;
    c.local_addr = ip("198.18.2.1");
    c.echo_interval = std::chrono::seconds(30);
    return c;
  }

  void make() {
    Session::Hooks hooks;
    hooks.send_frame = [this](ByteView f) {
      trace.push_back({true, Bytes(f.begin(), f.end())});
      to_client.emplace_back(f.begin(), f.end());
    };
    hooks.deliver_ip = [this](ByteView p) { delivered.emplace_back(p.begin(), p.end()); };
    hooks.on_up = [this] { ++ups; };
    hooks.on_down = [this](std::string_view r) {
      ++downs;
      down_reason = std::string(r);
      addr_at_down = session->peer_addr();
    };
    session = std::make_unique<Session>(cfg, users, pool, hooks);
    peer = std::make_unique<TestPeer>(peer_cfg, [this](ByteView f) {
      trace.push_back({false, Bytes(f.begin(), f.end())});
      to_server.emplace_back(f.begin(), f.end());
    });
  }

  // Delivers queued frames both ways until both queues are empty.
  void pump() {
    for (int guard = 0; guard < 10000 && (!to_client.empty() || !to_server.empty()); ++guard) {
      if (!to_server.empty()) {
        Bytes f = std::move(to_server.front());
        to_server.pop_front();
        deliver(f, true);
      }
      if (!to_client.empty()) {
        Bytes f = std::move(to_client.front());
        to_client.pop_front();
        deliver(f, false);
      }
    }
  }

  void deliver(const Bytes& f, bool to_srv) {
    if (drop && drop(f, to_srv)) return;
    const int copies = duplicate && duplicate(f, to_srv) ? 2 : 1;
    for (int i = 0; i < copies; ++i) {
      if (to_srv) {
        session->on_frame(f, now);
      } else if (peer_connected) {
        peer->receive(f, now);
      }
    }
  }

  void start() {
    session->start(now);
    if (peer_connected) peer->start(now);
    pump();
  }

  // Advances the clock in one-second steps, ticking both ends and pumping.
  void advance(std::chrono::seconds d) {
    for (auto i = std::chrono::seconds(0); i < d; i += std::chrono::seconds(1)) {
      now += std::chrono::seconds(1);
      session->tick(now);
      if (peer_connected) peer->tick(now);
      pump();
    }
  }

  // Frames the LNS sent of one protocol and code.
  std::size_t sent(std::uint16_t proto, std::uint8_t code) const {
    std::size_t n = 0;
    for (const auto& [out, f] : trace) {
      if (out && f.size() >= 5 && load_be16(f.data() + 2) == proto && f[4] == code) ++n;
    }
    return n;
  }

  Config cfg;
  PeerConfig peer_cfg;
  LocalUsers users;
  Ipv4Pool pool;
  std::unique_ptr<Session> session;
  std::unique_ptr<TestPeer> peer;
  bool peer_connected = true;
  std::deque<Bytes> to_client, to_server;
  std::function<bool(const Bytes&, bool to_server)> drop, duplicate;
  std::vector<std::pair<bool, Bytes>> trace;  // (from the LNS, frame)
  std::vector<Bytes> delivered;
  int ups = 0, downs = 0;
  std::optional<std::string> down_reason;
  std::optional<std::uint32_t> addr_at_down;  // what peer_addr() said inside on_down
  Clock::time_point now = Clock::time_point{} + std::chrono::hours(1);
};

}  // namespace l2sec::ppp::test
