// libFuzzer target: the ISAKMP codec and the IKE responder.
//
// The first input byte picks the path:
//   0: the rest is an ISAKMP datagram for the codec (header, payload chain, every structured
//      payload decoder);
//   1: the rest is a datagram for Responder::on_packet from an unknown peer (Main Mode from
//      scratch, or anything else);
//   2: the rest is a payload chain sealed on an established IKE SA with a valid HASH(1), so the
//      Quick Mode and informational code behind the authentication is reached: byte 1 picks the
//      exchange (even: Quick Mode, odd: informational), byte 2 the first payload type.
// Sanitizers catch crashes; the responder must never throw.
#include <cstdint>
#include <memory>

#include "fake_backend.hpp"
#include "l2sec/ike/initiator.hpp"
#include "l2sec/ike/isakmp.hpp"
#include "l2sec/ike/responder.hpp"
#include "l2sec/log.hpp"

using namespace l2sec;
using namespace l2sec::ike;

namespace {

constexpr std::uint32_t kClient = 0xc612000f;
constexpr std::uint32_t kRouter = 0xc6120201;

struct World {
  testing::FakeBackend rb{0x2000};
  testing::FakeBackend ib{0x9000};
  std::unique_ptr<Responder> responder;
  std::unique_ptr<Initiator> initiator;
  ipsec::Clock::time_point now = ipsec::Clock::time_point{} + std::chrono::hours(1);
  std::uint32_t mid = 1;

  World() {
    log::set_sink([](log::Level, std::string_view, std::string_view) {});
    reset();
  }
  void reset() {
    IkeConfig c;
    c.group_psk[kRouter] = "fuzz";
    c.max_half_open = 64;
    responder = std::make_unique<Responder>(c, rb);
    InitiatorConfig ic;
    ic.local = {kClient, 500};
    ic.remote = {kRouter, 500};
    ic.psk = "fuzz";
    ic.ike = {lm::Cipher::kAesCbc128, HashAlg::kSha1, 19};
    initiator = std::make_unique<Initiator>(ic, ib);
    initiator->start(now);
    for (int round = 0; round < 20; ++round) {
      for (auto& m : std::exchange(ib.sent, {})) {
        responder->on_packet({lm::PktClass::kIke, m.peer, m.local, 0, 0, 0, 0, m.message}, now);
      }
      for (auto& m : std::exchange(rb.sent, {})) {
        initiator->on_packet({lm::PktClass::kIke, m.peer, m.local, 0, 0, 0, 0, m.message}, now);
      }
    }
    if (initiator->state() != InitiatorState::kDone) std::abort();
  }
};

World& world() {
  static World w;
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const ByteView in(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      ParseError e = ParseError::kNone;
      if (auto m = parse_message(in, &e)) {
        for (const auto& p : m->payloads) {
          switch (p.type) {
            case PayloadType::kSa:
              (void)parse_sa(p.body, &e);
              break;
            case PayloadType::kId:
              (void)parse_id(p.body, &e);
              break;
            case PayloadType::kNotify:
              (void)parse_notify(p.body, &e);
              break;
            case PayloadType::kDelete:
              (void)parse_delete(p.body, &e);
              break;
            case PayloadType::kNatOa:
            case PayloadType::kNatOaDraft:
              (void)parse_nat_oa(p.body, &e);
              break;
            case PayloadType::kCert:
            case PayloadType::kCertReq:
              (void)parse_cert(p.body, &e);
              break;
            default:
              break;
          }
        }
      }
      // Without the header check too, as a decrypted body.
      Message m;
      (void)parse_payloads(PayloadType::kHash, in, true, m, &e);
      return 0;
    }
    case 1: {
      World& w = world();
      w.responder->on_packet({lm::PktClass::kIke,
                              {kRouter, 500},
                              {0xc6120063, 500},
                              0,
                              0,
                              0,
                              0,
                              Bytes(in.begin(), in.end())},
                             w.now);
      w.rb.sent.clear();
      w.now += std::chrono::seconds(1);
      w.responder->tick(w.now);
      return 0;
    }
    default: {
      if (in.size() < 2) return 0;
      World& w = world();
      if (w.responder->ike_sas().empty()) {
        w.rb.sent.clear();
        w.ib.sent.clear();
        w.reset();
      }
      const auto ex = (in[0] & 1) ? ExchangeType::kInformational : ExchangeType::kQuickMode;
      const auto first = static_cast<PayloadType>(in[1]);
      const Bytes msg = w.initiator->protect(ex, ++w.mid, first, in.subspan(2));
      const auto sa = w.responder->ike_sas().front();
      w.responder->on_packet({lm::PktClass::kIke, sa.local, sa.peer, 0, 0, 0, 0, msg}, w.now);
      w.rb.sent.clear();
      w.now += std::chrono::seconds(1);
      w.responder->tick(w.now);
      return 0;
    }
  }
}
