// libFuzzer target for the LNS's PPP: a Session is brought to a phase with the test client
// (Establish, Authenticate with PAP / CHAP-MD5 / MS-CHAPv2 pending, Open, Terminate), then fed
// the fuzzer's frames, with clock ticks in between. Beyond ASan/UBSan it checks that the session
// never holds more than one address, never reports up after down, and frees its address when
// down.
//
// Input: byte 0 selects the phase, byte 1 the authentication protocol; then records of
// [length byte][frame]; a length of 0xff advances the clock by one second instead.
//
// Build (as tests/fuzz/run_fuzz.sh builds fuzz_esp):
//   clang++-14 -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined
//     -fno-sanitize-recover=undefined -Itests/host/ppp -Ihost/ppp/include -Isim/golden/include
//     -Ihost/common/include tests/fuzz/fuzz_ppp.cpp tests/host/ppp/test_peer.cpp
//     host/ppp/src/*.cpp host/common/src/log.cpp sim/golden/src/bytes.cpp -lcrypto
#include <cstddef>
#include <cstdint>

#include "harness.hpp"
#include "l2sec/log.hpp"
#include "l2sec/ppp/protocols.hpp"

using namespace l2sec;
using namespace l2sec::ppp;
using namespace l2sec::ppp::test;

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = [] {
    log::set_sink([](log::Level, std::string_view, std::string_view) {});
    return true;
  }();
  (void)quiet;
  if (size < 2) return 0;
  const unsigned phase = data[0] % 4;
  static constexpr AuthProtocol kAuth[] = {AuthProtocol::kPap, AuthProtocol::kChapMd5,
                                           AuthProtocol::kMsChapV2};
  Config cfg = Harness::default_config();
  cfg.auth = {kAuth[data[1] % 3]};
  cfg.dns1 = ip("198.18.3.53");
  cfg.echo_interval = std::chrono::seconds(5);
  cfg.echo_failures = 2;
  Harness h(cfg, {}, 2);
  if (phase == 1) {  // authentication stays pending: the client's answers are lost
    h.drop = [](const Bytes& f, bool to_server) {
      if (!to_server || f.size() < 4) return false;
      const std::uint16_t p = load_be16(f.data() + 2);
      return p == kProtoPap || p == kProtoChap;
    };
  }
  if (phase == 0) h.peer_connected = false;
  h.start();
  if (phase == 2) check(h.session->phase() == Phase::kOpen);
  if (phase == 3) {
    h.peer_connected = false;
    h.session->close("fuzz", h.now);
  }
  h.drop = nullptr;
  h.peer_connected = false;  // from here on only the fuzzer talks to the session
  const int ups_before = h.ups;
  std::size_t i = 2;
  while (i < size) {
    const std::size_t len = data[i++];
    if (len == 0xff) {
      h.now += std::chrono::seconds(1);
      h.session->tick(h.now);
    } else {
      const std::size_t n = std::min(len, size - i);
      h.session->on_frame(ByteView(data + i, n), h.now);
      i += n;
    }
    h.to_client.clear();
    check(h.pool.in_use() <= 1);
    check(h.downs <= 1);
    if (h.downs == 1) {
      check(h.session->phase() == Phase::kDead);
      check(!h.session->peer_addr().has_value());
      check(h.pool.in_use() == 0);
    }
  }
  if (h.downs == 1) check(h.ups >= ups_before);
  return 0;
}
