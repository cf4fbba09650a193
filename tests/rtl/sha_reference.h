// Reference SHA-1 / SHA-256 compression functions for the RTL tests, on OpenSSL's block transforms
// with the chaining state set directly (as the RTL cores take it).
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace l2sec::rtltest {

using Sha1State = std::array<std::uint32_t, 5>;
using Sha256State = std::array<std::uint32_t, 8>;

inline constexpr Sha1State kSha1Iv = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
inline constexpr Sha256State kSha256Iv = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                          0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

// One compression of a 64-byte block into the chaining state h (FIPS 180-4 word order).
Sha1State Sha1Compress(const Sha1State& h, std::span<const std::uint8_t, 64> block);
Sha256State Sha256Compress(const Sha256State& h, std::span<const std::uint8_t, 64> block);

}  // namespace l2sec::rtltest
