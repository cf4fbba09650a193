// A fake ipsec::Backend for the IKE tests and the fuzz target: it records the SAs it is given and
// the IKE messages sent through it, and hands out SPIs from a counter.
#pragma once

#include <map>
#include <utility>
#include <vector>

#include "l2sec/ipsec/backend.hpp"

namespace l2sec::ike::testing {

class FakeBackend final : public ipsec::Backend {
 public:
  struct Sent {
    ipsec::Endpoint local;
    ipsec::Endpoint peer;
    Bytes message;
  };

  explicit FakeBackend(std::uint32_t first_spi = 0x1000) : next_spi_(first_spi) {}

  std::string_view name() const override { return "fake"; }
  std::uint32_t allocate_spi() override { return next_spi_++; }
  ipsec::Status add_sa(const ipsec::SaSpec& spec) override {
    if (fail_add) return ipsec::Status::failure("refused by test");
    added.push_back(spec);
    sas[{spec.sa.spi, spec.sa.direction}] = spec;
    return {};
  }
  ipsec::Status update_peer(ipsec::SaHandle handle, ipsec::Endpoint peer) override {
    peer_updates.emplace_back(handle, peer);
    for (auto& [key, s] : sas) {
      if (s.handle == handle) {
        s.sa.peer_addr = peer.addr;
        s.sa.peer_port = peer.port;
      }
    }
    return {};
  }
  std::optional<ipsec::SaStatus> query_sa(std::uint32_t spi, lm::Direction dir) const override {
    auto it = sas.find({spi, dir});
    if (it == sas.end()) return std::nullopt;
    ipsec::SaStatus st;
    st.handle = it->second.handle;
    st.sa = it->second.sa;
    return st;
  }
  ipsec::Status del_sa(std::uint32_t spi, lm::Direction dir) override {
    deleted.emplace_back(spi, dir);
    if (!sas.erase({spi, dir})) return ipsec::Status::failure("no such SA");
    return {};
  }
  std::vector<ipsec::SaStatus> list_sas() const override {
    std::vector<ipsec::SaStatus> out;
    for (const auto& [key, s] : sas) out.push_back(*query_sa(s.sa.spi, s.sa.direction));
    return out;
  }
  ipsec::Status send_ike(ipsec::Endpoint local, ipsec::Endpoint peer, ByteView msg) override {
    sent.push_back({local, peer, Bytes(msg.begin(), msg.end())});
    return {};
  }
  ipsec::Status send_l2tp(ipsec::SaHandle, std::uint16_t, ByteView) override {
    return ipsec::Status::failure("not in the fake");
  }
  ipsec::Status send_l2tp_clear(ipsec::Endpoint, ipsec::Endpoint, ByteView) override {
    return ipsec::Status::failure("not in the fake");
  }
  int poll_fd() const override { return -1; }
  std::optional<ipsec::HostPacket> receive() override { return std::nullopt; }
  std::optional<ipsec::Event> next_event() override { return std::nullopt; }
  void tick(ipsec::Clock::time_point) override {}

  std::vector<Sent> sent;
  std::vector<ipsec::SaSpec> added;
  std::map<std::pair<std::uint32_t, lm::Direction>, ipsec::SaSpec> sas;
  std::vector<std::pair<std::uint32_t, lm::Direction>> deleted;
  std::vector<std::pair<ipsec::SaHandle, ipsec::Endpoint>> peer_updates;
  bool fail_add = false;

 private:
  std::uint32_t next_spi_;
};

}  // namespace l2sec::ike::testing
