// Shared pieces of the firmware tests: a firmware on the mock FPGA, requests through the mailbox
// codec, golden SA configurations.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "l2sec/fw/firmware.hpp"
#include "l2sec/fw/mailbox.hpp"
#include "l2sec/golden/crypto.hpp"
#include "l2sec/golden/esp.hpp"
#include "l2sec/log.hpp"
#include "mock_fpga.hpp"

namespace l2sec::fw::test {

inline constexpr std::uint32_t kGateway = 0xc6120002;     // 198.18.0.2
inline constexpr std::uint32_t kNatOutside = 0xc6120101;  // 198.18.1.1: the client's NAT
inline constexpr std::uint32_t kClientInside = 0xc612000f;
inline constexpr std::uint16_t kNatPort = 40123;

inline Bytes pattern(std::size_t n, std::uint8_t seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + 7 * i);
  return b;
}

// One direction of a client's SA as IKE would hand it to the back end (AES-128/SHA-1, NAT-T).
inline golden::SaConfig sa_config(std::uint32_t spi, lm::Direction dir, std::uint8_t seed = 1) {
  golden::SaConfig c;
  c.spi = spi;
  c.direction = dir;
  c.cipher = lm::Cipher::kAesCbc128;
  c.integ = lm::Integ::kHmacSha1;
  c.icv_len = lm::IcvLen::kIcv96;
  c.encap = lm::Encap::kUdp;
  c.enc_key = pattern(16, seed);
  c.auth_key = pattern(20, static_cast<std::uint8_t>(seed + 100));
  c.iv_key = pattern(16, static_cast<std::uint8_t>(seed + 50));
  c.iv_mode = golden::IvMode::kCounter;
  c.local_addr = kGateway;
  c.peer_addr = kNatOutside;
  c.local_port = 4500;
  c.peer_port = kNatPort;
  c.natoa_peer = kClientInside;
  c.replay_window = 64;
  return c;
}

class FirmwareTest : public ::testing::Test {
 protected:
  FirmwareConfig config() const {
    FirmwareConfig c;
    c.outbox_capacity = 64;
    c.outbound_grace_ms = 1000;
    c.lifetime_interval_ms = 0;  // every poll
    return c;
  }
  void SetUp() override {
    log::set_level(log::Level::kWarning);  // refusals are logged as warnings; keep those
    fw = std::make_unique<Firmware>(fpga, config());
  }

  Message roundtrip(Body body) {
    const std::uint32_t s = ++seq;
    const Bytes resp = fw->handle(encode(Message{s, std::move(body)}));
    DecodeError err;
    auto m = decode(resp, &err);
    EXPECT_TRUE(m.has_value()) << err.reason;
    if (!m) return {};
    EXPECT_EQ(m->seq, s);
    return *m;
  }
  Reply request(Body body) {
    const Message m = roundtrip(std::move(body));
    const auto* r = std::get_if<Reply>(&m.body);
    EXPECT_NE(r, nullptr);
    return r ? *r : Reply{};
  }
  Reply add(std::uint32_t handle, const golden::SaConfig& cfg, Lifetime soft = {},
            Lifetime hard = {}) {
    std::string error;
    const auto p = expand_sa(cfg, &error);
    EXPECT_TRUE(p.has_value()) << error;
    return request(SaAdd{handle, p.value_or(SaParams{}), soft, hard});
  }
  std::vector<Message> drain() {
    std::vector<Message> out;
    Bytes b;
    while (fw->take_message(b)) {
      auto m = decode(b);
      EXPECT_TRUE(m.has_value());
      if (m) out.push_back(std::move(*m));
    }
    return out;
  }
  std::vector<Event> events() {
    std::vector<Event> out;
    for (auto& m : drain()) {
      if (auto* e = std::get_if<Event>(&m.body)) out.push_back(*e);
    }
    return out;
  }

  MockFpga fpga{256, 6};
  std::unique_ptr<Firmware> fw;
  std::uint32_t seq = 0;
};

}  // namespace l2sec::fw::test
