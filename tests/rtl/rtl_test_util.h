// Helpers shared by the RTL crypto test suites: byte-order conversion between network-order byte
// strings and Verilator wide ports, hex parsing and the random seed.
#pragma once

#include <verilated.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace l2sec::rtltest {

using Bytes = std::vector<std::uint8_t>;

inline std::uint32_t LoadBe32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

inline void StoreBe32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

// Drives a Verilator wide port from a network-order byte string: bytes[0] lands in the port's top
// byte. Shorter strings are left aligned (the low bits are zero), as for AES-128 keys in
// key[255:0].
template <std::size_t kWords>
void SetWide(VlWide<kWords>& port, std::span<const std::uint8_t> bytes) {
  std::array<std::uint8_t, kWords * 4> buf{};
  for (std::size_t i = 0; i < bytes.size() && i < buf.size(); ++i) buf[i] = bytes[i];
  for (std::size_t w = 0; w < kWords; ++w) port[w] = LoadBe32(&buf[(kWords - 1 - w) * 4]);
}

// Reads a Verilator wide port as a network-order byte string (top byte first).
template <std::size_t kWords>
Bytes GetWide(const VlWide<kWords>& port) {
  Bytes out(kWords * 4);
  for (std::size_t w = 0; w < kWords; ++w) StoreBe32(&out[(kWords - 1 - w) * 4], port[w]);
  return out;
}

// Word i of a multi-word port in big-endian word order (word 0 in the top 32 bits).
template <std::size_t kWords, std::size_t kN>
void SetWords(VlWide<kWords>& port, const std::array<std::uint32_t, kN>& words) {
  static_assert(kN == kWords);
  for (std::size_t i = 0; i < kN; ++i) port[kWords - 1 - i] = words[i];
}

template <std::size_t kWords>
std::array<std::uint32_t, kWords> GetWords(const VlWide<kWords>& port) {
  std::array<std::uint32_t, kWords> out{};
  for (std::size_t i = 0; i < kWords; ++i) out[i] = port[kWords - 1 - i];
  return out;
}

inline Bytes FromHex(std::string_view hex) {
  Bytes out;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  int hi = -1;
  for (char c : hex) {
    const int n = nibble(c);
    if (n < 0) continue;  // Spaces and separators are allowed.
    if (hi < 0) {
      hi = n;
    } else {
      out.push_back(static_cast<std::uint8_t>((hi << 4) | n));
      hi = -1;
    }
  }
  return out;
}

inline std::string ToHex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 0x0f]);
  }
  return s;
}

inline Bytes FromString(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Seed for the random tests: L2SEC_TEST_SEED if set, else a fixed default so runs repeat.
inline std::uint64_t TestSeed() {
  if (const char* env = std::getenv("L2SEC_TEST_SEED")) return std::strtoull(env, nullptr, 0);
  return 0x6c32736563ULL;  // "l2sec"
}

inline Bytes RandomBytes(std::mt19937_64& rng, std::size_t n) {
  Bytes out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

}  // namespace l2sec::rtltest
