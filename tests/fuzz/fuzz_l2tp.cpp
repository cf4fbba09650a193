// libFuzzer target: the L2TP codec and the LNS.
//
// The first input byte picks the path:
//   0: the rest is an L2TP datagram for the codec (header, then the control body with and
//      without a shared secret); whatever decodes must re-encode and decode to the same message;
//   1: the rest is one datagram to an LNS with an established tunnel and session (the tunnel and
//      session IDs in the header are patched to the live ones when the second byte says so, so
//      the fuzzer reaches the state machines and not only the lookup);
//   2: the rest is a stream of datagrams (a length byte, a flags byte, the bytes) to that LNS,
//      with the clock moving between them, some of them on a second SA handle;
//   3: the rest is a hidden AVP value unhidden under a fixed secret and vector.
// Sanitizers catch crashes and undefined behaviour; the invariants below catch the rest.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "../host/l2tp/harness.hpp"
#include "l2sec/l2tp/codec.hpp"
#include "l2sec/log.hpp"

using namespace l2sec;
using namespace l2sec::l2tp;
using namespace std::chrono_literals;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

struct World {
  std::unique_ptr<test::Net> net;
  test::Net::Client* client = nullptr;
  test::Net::Client* other = nullptr;
  std::uint16_t sid = 0;

  World() {
    LnsConfig cfg;
    cfg.tunnel_secret = "fuzz";
    net = std::make_unique<test::Net>(cfg);
    LacConfig lc;
    lc.secret = "fuzz";
    lc.tunnel_id = 0x0101;
    client = &net->add_client(lc, 1, ipsec::Endpoint{0xc6120102, 4500});
    other = &net->add_client(lc, 2, ipsec::Endpoint{0xc6120102, 4501});
    client->lac->connect(net->now);
    net->run(100ms);
    sid = client->lac->open_session(net->now);
    net->run(100ms);
    check(client->lac->call_state(sid) == Lac::CallState::kEstablished);
  }
};

void codec(const std::uint8_t* data, std::size_t size) {
  const ByteView d(data, size);
  Error e = Error::kNone;
  auto h = parse_header(d, &e);
  if (!h) return;
  check(h->payload_offset <= d.size());
  if (!h->control) return;
  const ByteView body = d.subspan(h->payload_offset, h->length - h->payload_offset);
  for (std::string_view secret : {std::string_view{}, std::string_view{"fuzz"}}) {
    Decoded dec = decode_control(body, secret);
    if (dec.error != Error::kNone || dec.zlb || dec.ignore) continue;
    const Bytes again = encode_control(h->tunnel, h->session, h->ns, h->nr, dec.message, secret);
    auto h2 = parse_header(again, nullptr);
    check(h2.has_value());
    Decoded dec2 = decode_control(ByteView(again).subspan(h2->payload_offset), secret);
    check(dec2.error == Error::kNone);
    check(dec2.message.type == dec.message.type);
    check(dec2.message.avps.size() == dec.message.avps.size());
    for (std::size_t i = 0; i < dec.message.avps.size(); ++i) {
      check(dec2.message.avps[i].type == dec.message.avps[i].type);
      check(dec2.message.avps[i].value == dec.message.avps[i].value);
    }
  }
}

void patch_ids(World& w, Bytes& pkt, std::uint8_t how) {
  auto h = parse_header(pkt, nullptr);
  if (!h) return;
  const std::size_t at = h->has_length ? 4 : 2;
  if (pkt.size() < at + 4) return;
  if (how & 1) store_be16(pkt.data() + at, w.client->lac->peer_tunnel_id());
  if (how & 2) {
    const auto tunnels = w.net->lns->sessions();
    if (!tunnels.empty()) store_be16(pkt.data() + at + 2, tunnels[0].info.session_id);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static bool quiet = [] {
    log::set_sink([](log::Level, std::string_view, std::string_view) {});
    return true;
  }();
  (void)quiet;
  if (size == 0) return 0;
  const std::uint8_t path = data[0] % 4;
  ++data;
  --size;
  switch (path) {
    case 0:
      codec(data, size);
      break;
    case 1: {
      if (size == 0) return 0;
      World w;
      Bytes pkt(data + 1, data + size);
      patch_ids(w, pkt, data[0]);
      w.net->lns->on_packet(w.net->packet_from(*w.client, pkt), w.net->now);
      w.net->run(2s);
      // Whatever happened, the listings stay consistent.
      for (const auto& s : w.net->lns->sessions()) check(s.info.tunnel_id != 0);
      break;
    }
    case 2: {
      World w;
      std::size_t pos = 0;
      while (pos + 2 <= size) {
        const std::size_t len = data[pos];
        const std::uint8_t flags = data[pos + 1];
        pos += 2;
        if (pos + len > size) break;
        Bytes pkt(data + pos, data + pos + len);
        pos += len;
        patch_ids(w, pkt, flags);
        auto& from = (flags & 4) ? *w.other : *w.client;
        w.net->lns->on_packet(w.net->packet_from(from, pkt), w.net->now);
        if (flags & 8) w.net->run(std::chrono::milliseconds(500 * (flags >> 4)));
      }
      w.net->run(40s);
      break;
    }
    default: {
      Bytes vec = {1, 2, 3, 4};
      auto v = unhide_value(9, ByteView(data, size), "fuzz", vec);
      if (v) {
        const Bytes again = hide_value(9, *v, "fuzz", vec, {});
        check(unhide_value(9, again, "fuzz", vec) == v);
      }
      break;
    }
  }
  return 0;
}
