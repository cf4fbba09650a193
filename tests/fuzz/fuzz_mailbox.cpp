// libFuzzer target: the host mailbox (firmware/include/l2sec/fw/mailbox.hpp) and the firmware's
// request handler.
//
// The first input byte picks the path:
//   0: the rest is decoded as a message; whatever decodes must re-encode to the same bytes (the
//      codec is canonical) and decode again to the same message;
//   1: the rest is handed to a firmware on the mock FPGA (SAs installed, one a 3DES host-path
//      entry, so SA paths are reached); the response must decode and echo a readable request's seq;
//   2: the rest is a message body: a header for the type in the next byte is put in front, so the
//      body decoders are reached without the fuzzer guessing the magic and the length.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "l2sec/fw/firmware.hpp"
#include "l2sec/fw/mailbox.hpp"
#include "l2sec/log.hpp"
#include "mock_fpga.hpp"

using namespace l2sec;
using namespace l2sec::fw;

namespace {

void check_roundtrip(ByteView data) {
  DecodeError err;
  const auto m = decode(data, &err);
  // The zero-copy TX_L2TP decoder accepts exactly the TX_L2TP messages decode() accepts.
  const auto view = decode_tx_l2tp(data);
  const auto* tx = m ? std::get_if<TxL2tp>(&m->body) : nullptr;
  if ((view != std::nullopt) != (tx != nullptr)) std::abort();
  if (view && (view->seq != m->seq || view->handle != tx->handle ||
               view->lac_port != tx->lac_port || view->message.size() != tx->message.size() ||
               !std::equal(view->message.begin(), view->message.end(), tx->message.begin()))) {
    std::abort();
  }
  if (!m) {
    if (err.reason.empty()) std::abort();  // every refusal has a reason
    return;
  }
  const Bytes again = encode(*m);
  if (again.size() != data.size() || std::memcmp(again.data(), data.data(), data.size()) != 0) {
    std::abort();
  }
  const auto m2 = decode(again);
  if (!m2 || !(*m2 == *m)) std::abort();
}

void check_firmware(ByteView data) {
  test::MockFpga fpga(64, 6);
  FirmwareConfig cfg;
  cfg.outbox_capacity = 8;
  Firmware fw(fpga, cfg);
  SaParams p;
  p.spi = 0x1000'0001;
  p.key_len = 16;
  fw.handle(encode(Message{1, SaAdd{5, p, {}, {}}}));
  p.spi = 0x2000'0002;
  p.direction = lm::Direction::kOutbound;
  fw.handle(encode(Message{2, SaAdd{5, p, {}, {}}}));
  // A host-path entry (inbound 3DES), so RX and SA paths meet one too; TX_IP needs no setup.
  SaParams des;
  des.spi = 0x3000'0003;
  des.cipher = lm::Cipher::kDes3Cbc;
  des.key_len = 0;
  fw.handle(encode(Message{3, SaAdd{6, des, {}, {}}}));
  const Bytes resp = fw.handle(data);
  const auto r = decode(resp);
  if (!r || !std::holds_alternative<Reply>(r->body)) std::abort();
  DecodeError err;
  const auto req = decode(data, &err);
  const std::uint32_t seq = req ? req->seq : err.seq;
  if ((req || err.header_read) && r->seq != seq) std::abort();
  fw.poll(1'000'000);
  Bytes msg;
  while (fw.take_message(msg)) {
    if (!decode(msg)) std::abort();
  }
}

void check_body(ByteView data) {
  if (data.empty()) return;
  // magic, version 1, type (one byte: every defined type fits), seq 0, length
  Bytes msg = {'L', '2', 'M', 'B', 1, 0, data[0], 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const auto n = static_cast<std::uint32_t>(data.size() - 1);
  for (unsigned i = 0; i < 4; ++i) msg[12 + i] = static_cast<std::uint8_t>(n >> (8 * i));
  msg.insert(msg.end(), data.begin() + 1, data.end());
  check_roundtrip(msg);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = [] {
    log::set_level(log::Level::kError);
    log::set_sink([](log::Level, std::string_view, std::string_view) {});
    return true;
  }();
  (void)quiet;
  if (size == 0) return 0;
  const ByteView rest(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      check_roundtrip(rest);
      break;
    case 1:
      check_firmware(rest);
      break;
    case 2:
      check_body(rest);
      break;
  }
  return 0;
}
