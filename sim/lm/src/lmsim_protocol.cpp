#include "l2sec/sim/lm/lmsim_protocol.hpp"

namespace l2sec::lmsim {
namespace {

void put(Bytes& b, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
std::uint64_t get(const std::uint8_t* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}

constexpr std::size_t kWelcomeFixed = 32;
constexpr std::size_t kRegRequest = 16;

}  // namespace

Bytes encode(const Welcome& w) {
  Bytes b;
  put(b, kWelcomeMagic, 4);
  put(b, w.version, 2);
  put(b, w.shm_name.size(), 2);
  put(b, w.pid, 4);
  put(b, 0, 4);
  put(b, w.bar_size, 8);
  put(b, 0, 8);
  b.insert(b.end(), w.shm_name.begin(), w.shm_name.end());
  return b;
}

std::optional<Welcome> decode_welcome(ByteView b) {
  if (b.size() < kWelcomeFixed || get(b.data(), 4) != kWelcomeMagic) return std::nullopt;
  Welcome w;
  w.version = static_cast<std::uint16_t>(get(b.data() + 4, 2));
  const auto len = static_cast<std::size_t>(get(b.data() + 6, 2));
  w.pid = static_cast<std::uint32_t>(get(b.data() + 8, 4));
  w.bar_size = get(b.data() + 16, 8);
  if (b.size() != kWelcomeFixed + len) return std::nullopt;
  w.shm_name.assign(b.begin() + kWelcomeFixed, b.end());
  return w;
}

Bytes encode(const RegRequest& r) {
  Bytes b;
  put(b, static_cast<std::uint8_t>(r.op), 1);
  put(b, 0, 3);
  put(b, r.value, 4);
  put(b, r.offset, 8);
  return b;
}

std::optional<RegRequest> decode_reg_request(ByteView b) {
  if (b.size() != kRegRequest) return std::nullopt;
  const auto op = b[0];
  if (op != static_cast<std::uint8_t>(RegOp::kRead32) &&
      op != static_cast<std::uint8_t>(RegOp::kWrite32)) {
    return std::nullopt;
  }
  RegRequest r;
  r.op = static_cast<RegOp>(op);
  r.value = static_cast<std::uint32_t>(get(b.data() + 4, 4));
  r.offset = get(b.data() + 8, 8);
  return r;
}

}  // namespace l2sec::lmsim
