// Helpers shared by the configuration tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "l2sec/config/parser.hpp"
#include "l2sec/golden/bytes.hpp"

namespace l2sec::config::test {

// Parses text that must be good; a failure lists every error.
inline RouterConfig parse_ok(std::string_view text) {
  ParseResult r = parse(text, "test.cfg");
  std::string all;
  for (const auto& e : r.errors) all += e.to_string() + "\n";
  EXPECT_TRUE(r.ok()) << all;
  return r.config ? *r.config : factory_config();
}

// The errors of text that must be bad, as the router prints them.
inline std::vector<std::string> errors_of(std::string_view text) {
  ParseResult r = parse(text, "test.cfg");
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.config.has_value());
  std::vector<std::string> out;
  for (const auto& e : r.errors) out.push_back(e.to_string());
  return out;
}

inline Ipv4 ip(std::string_view s) { return *ipv4_from_string(s); }

inline const VirtualRouter& vr(const RouterConfig& c, std::string_view name = "default") {
  const VirtualRouter* v = find_virtual_router(c, name);
  EXPECT_NE(v, nullptr) << name;
  static const VirtualRouter empty;
  return v != nullptr ? *v : empty;
}

}  // namespace l2sec::config::test
