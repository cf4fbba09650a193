// The lmsim control connection (a Unix SOCK_SEQPACKET socket, @l2sec-lmsim-<name>): what the host
// driver's LmsimDevice and the lmsim process say besides the shared-memory rings.
//
//   lmsim -> host, once on accept:  Welcome (32 bytes + the segment name) with three descriptors:
//                                   [0] doorbell to the host (from-device rings have messages),
//                                   [1] doorbell to lmsim (to-device rings have messages),
//                                   [2] the interrupt eventfd (lm_top's irq went high)
//   host -> lmsim: RegRequest (16 bytes)   lmsim -> host: RegReply (8 bytes)
//
// All little-endian. One host at a time: a second connection is refused (closed at once); when the
// host goes, lmsim empties the rings and waits for the next.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "l2sec/golden/bytes.hpp"

namespace l2sec::lmsim {

inline constexpr std::uint32_t kWelcomeMagic = 0x434d534c;  // "LSMC"
inline constexpr std::uint16_t kProtocolVersion = 1;

struct Welcome {
  std::uint16_t version = kProtocolVersion;
  std::uint32_t pid = 0;
  std::uint64_t bar_size = 0;
  std::string shm_name;
};

enum class RegOp : std::uint8_t { kRead32 = 1, kWrite32 = 2 };

struct RegRequest {
  RegOp op = RegOp::kRead32;
  std::uint64_t offset = 0;
  std::uint32_t value = 0;
};

Bytes encode(const Welcome& w);
std::optional<Welcome> decode_welcome(ByteView b);
Bytes encode(const RegRequest& r);
std::optional<RegRequest> decode_reg_request(ByteView b);

}  // namespace l2sec::lmsim
