// Test harness for the LNS: a fake IPsec back end that records what the LNS sends, a simulated
// network with loss, duplication and reordering between the LNS and any number of test LACs
// (each behind its own SA handle), and a payload that echoes frames.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "l2sec/ipsec/backend.hpp"
#include "l2sec/l2tp/lac.hpp"
#include "l2sec/l2tp/lns.hpp"

namespace l2sec::l2tp::test {

struct Sent {
  ipsec::SaHandle handle = ipsec::kNoHandle;
  std::uint16_t lac_port = 0;
  ipsec::Endpoint local, peer;  // clear sends
  Bytes msg;
};

// Records sends; everything else is inert. A mock, for unit tests only.
class FakeBackend final : public ipsec::Backend {
 public:
  std::vector<Sent> sent;
  std::function<void(const Sent&)> on_send;
  std::string_view name() const override { return "fake"; }
  std::uint32_t allocate_spi() override { return 0x1000; }
  ipsec::Status add_sa(const ipsec::SaSpec&) override { return {}; }
  ipsec::Status update_peer(ipsec::SaHandle, ipsec::Endpoint) override { return {}; }
  std::optional<ipsec::SaStatus> query_sa(std::uint32_t, lm::Direction) const override {
    return std::nullopt;
  }
  ipsec::Status del_sa(std::uint32_t, lm::Direction) override { return {}; }
  std::vector<ipsec::SaStatus> list_sas() const override { return {}; }
  ipsec::Status send_ike(ipsec::Endpoint, ipsec::Endpoint, ByteView) override { return {}; }
  ipsec::Status send_l2tp(ipsec::SaHandle handle, std::uint16_t lac_port,
                          ByteView message) override {
    record(Sent{handle, lac_port, {}, {}, Bytes(message.begin(), message.end())});
    return {};
  }
  ipsec::Status send_l2tp_clear(ipsec::Endpoint local, ipsec::Endpoint peer,
                                ByteView message) override {
    record(Sent{ipsec::kNoHandle, peer.port, local, peer, Bytes(message.begin(), message.end())});
    return {};
  }
  int poll_fd() const override { return -1; }
  std::optional<ipsec::HostPacket> receive() override { return std::nullopt; }
  std::optional<ipsec::Event> next_event() override { return std::nullopt; }
  void tick(Clock::time_point) override {}

 private:
  void record(Sent s) {
    sent.push_back(s);
    if (on_send) on_send(sent.back());
  }
};

// What a payload saw; outlives the payload (the LNS destroys it after close()).
struct PayloadRecord {
  SessionIo* io = nullptr;  // valid until closed
  SessionInfo info;
  bool started = false, closed = false;
  std::string close_reason;
  std::vector<Bytes> frames;
  bool echo = true;
};

// Echoes every frame back and records what happened.
struct EchoPayload final : PayloadSession {
  std::shared_ptr<PayloadRecord> rec;
  EchoPayload(const SessionInfo& i, SessionIo& o,
              std::shared_ptr<PayloadRecord> r = std::make_shared<PayloadRecord>())
      : rec(std::move(r)) {
    rec->io = &o;
    rec->info = i;
  }
  void start(Clock::time_point) override { rec->started = true; }
  void on_frame(ByteView f, Clock::time_point) override {
    rec->frames.emplace_back(f.begin(), f.end());
    if (rec->echo) rec->io->send_frame(f);
  }
  void tick(Clock::time_point) override {}
  void close(std::string_view reason, Clock::time_point) override {
    rec->closed = true;
    rec->close_reason = std::string(reason);
    rec->io = nullptr;
  }
};

struct Impairment {
  double loss = 0, dup = 0, reorder = 0;
};

// The LNS, a fake back end, and LACs on a simulated network with a simulated clock.
class Net {
 public:
  struct Client {
    std::unique_ptr<Lac> lac;
    ipsec::SaHandle handle = ipsec::kNoHandle;  // kNoHandle: clear L2TP
    ipsec::Endpoint outer;                      // the NAT's mapping
    std::uint16_t inner_port = kL2tpPort;
    bool blackhole_in = false;   // drop what the LNS sends to this client
    bool blackhole_out = false;  // drop what this client sends
    std::vector<std::pair<Clock::time_point, Bytes>> received;  // LNS -> client, as sent
  };

  explicit Net(LnsConfig config, Impairment imp = {}, unsigned seed = 1) : imp_(imp), rng_(seed) {
    lns = std::make_unique<Lns>(std::move(config), backend,
                                [this](const SessionInfo& i, SessionIo& io) {
                                  payloads.push_back(std::make_shared<PayloadRecord>());
                                  return std::make_unique<EchoPayload>(i, io, payloads.back());
                                });
    backend.on_send = [this](const Sent& s) { from_lns(s); };
  }

  // Adds a LAC; protected when handle != kNoHandle.
  Client& add_client(LacConfig lc, ipsec::SaHandle handle, ipsec::Endpoint outer,
                     std::uint16_t inner_port = kL2tpPort) {
    clients.push_back(std::make_unique<Client>());
    Client* c = clients.back().get();
    c->handle = handle;
    c->outer = outer;
    c->inner_port = inner_port;
    c->lac = std::make_unique<Lac>(std::move(lc), [this, c](ByteView d) { from_lac(*c, d); });
    return *c;
  }

  ipsec::HostPacket packet_from(const Client& c, ByteView d) const {
    ipsec::HostPacket p;
    p.pkt_class = c.handle ? lm::PktClass::kEspUdp : lm::PktClass::kL2tpClear;
    p.handle = c.handle;
    p.peer = c.outer;
    p.local = ipsec::Endpoint{kRouter, static_cast<std::uint16_t>(c.handle ? 4500 : kL2tpPort)};
    p.inner_src_port = c.inner_port;
    p.inner_dst_port = kL2tpPort;
    p.payload.assign(d.begin(), d.end());
    return p;
  }

  // Runs the clock forward in 10 ms steps, delivering and ticking.
  void run(std::chrono::milliseconds d) {
    const auto end = now + d;
    while (now < end) {
      now += std::chrono::milliseconds(10);
      deliver_due();
      lns->tick(now);
      for (auto& c : clients) c->lac->tick(now);
      deliver_due();
    }
  }

  static constexpr std::uint32_t kRouter = 0xc6120201;  // 198.18.2.1

  FakeBackend backend;
  std::unique_ptr<Lns> lns;
  std::vector<std::shared_ptr<PayloadRecord>> payloads;
  std::vector<std::unique_ptr<Client>> clients;
  Clock::time_point now{std::chrono::seconds(1000)};
  std::uint64_t dropped = 0, duplicated = 0, reordered = 0;
  // Sees every datagram as it is sent: from the LNS (true) or from a LAC (false).
  std::function<void(bool from_lns, const Client& client, ByteView datagram)> tap;

 private:
  struct InFlight {
    Clock::time_point due;
    Client* to_lac = nullptr;  // nullptr: to the LNS
    ipsec::HostPacket packet;  // to the LNS
    Bytes bytes;               // to a LAC
  };

  void impair(InFlight f) {
    std::uniform_real_distribution<double> u(0, 1);
    if (u(rng_) < imp_.loss) {
      ++dropped;
      return;
    }
    f.due = now + std::chrono::milliseconds(20);
    if (u(rng_) < imp_.reorder) {
      f.due += std::chrono::milliseconds(30 + static_cast<int>(u(rng_) * 200));
      ++reordered;
    }
    if (u(rng_) < imp_.dup) {
      ++duplicated;
      InFlight g = f;
      g.due += std::chrono::milliseconds(50);
      queue_.push_back(std::move(g));
    }
    queue_.push_back(std::move(f));
  }

  void from_lac(Client& c, ByteView d) {
    if (tap) tap(false, c, d);
    if (c.blackhole_out) return;
    InFlight f;
    f.packet = packet_from(c, d);
    impair(std::move(f));
  }

  void from_lns(const Sent& s) {
    for (auto& c : clients) {
      const bool match = s.handle ? c->handle == s.handle && c->inner_port == s.lac_port
                                  : c->handle == ipsec::kNoHandle && c->outer == s.peer;
      if (!match) continue;
      c->received.emplace_back(now, s.msg);
      if (tap) tap(true, *c, s.msg);
      if (c->blackhole_in) return;
      InFlight f;
      f.to_lac = c.get();
      f.bytes = s.msg;
      impair(std::move(f));
      return;
    }
  }

  void deliver_due() {
    for (bool again = true; again;) {
      again = false;
      for (auto it = queue_.begin(); it != queue_.end(); ++it) {
        if (it->due > now) continue;
        InFlight f = std::move(*it);
        queue_.erase(it);
        if (f.to_lac) {
          f.to_lac->lac->on_datagram(f.bytes, now);
        } else {
          lns->on_packet(f.packet, now);
        }
        again = true;
        break;
      }
    }
  }

  Impairment imp_;
  std::mt19937 rng_;
  std::deque<InFlight> queue_;
};

}  // namespace l2sec::l2tp::test
