// The router's command language: a file of CLI commands in JUNOSe's modes (docs/cli.md).
//
//   auto result = config::parse(text, "boston.cfg");
//   if (!result.ok()) for (auto& e : result.errors) log::error("config") << e.to_string();
//
// The whole text is checked (syntax, then validate()) before anything is applied: parse() and
// apply() return a new configuration only when there is no error, and ConfigStore keeps the
// previous configuration when a load fails.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "l2sec/config/config.hpp"

namespace l2sec::config {

// One error, naming the file, the line and its text:
//   boston.cfg:12: "ipsec option nat-x": unknown option "nat-x" (expected: nat-t)
struct Diagnostic {
  std::string file;
  int line = 0;  // 1-based; 0 when the problem is not tied to a line of this text
  std::string text;
  std::string message;
  std::string to_string() const;
};

struct ParseResult {
  std::optional<RouterConfig> config;  // set only when errors is empty
  std::vector<Diagnostic> errors;
  bool ok() const { return config.has_value() && errors.empty(); }
};

// Reads `text` on top of factory_config().
ParseResult parse(std::string_view text, std::string_view file = "<config>");
// Reads `text` on top of `base` (commands change it, `no` forms undo parts of it); `base` itself
// is never modified.
ParseResult apply(const RouterConfig& base, std::string_view text,
                  std::string_view file = "<config>");
// Reads a file on top of factory_config(); a file that cannot be read is one error on line 0.
ParseResult parse_file(const std::filesystem::path& path);

// The running configuration: a load replaces it only when the whole text is good.
class ConfigStore {
 public:
  ConfigStore();
  explicit ConfigStore(RouterConfig initial);
  const RouterConfig& current() const { return current_; }
  // Applies commands to the running configuration (like typing them); returns the errors, and
  // leaves the configuration untouched when there is any.
  std::vector<Diagnostic> apply(std::string_view text, std::string_view file = "<cli>");
  // Replaces the running configuration with the one in `text` (on top of the factory defaults).
  std::vector<Diagnostic> replace(std::string_view text, std::string_view file = "<config>");

 private:
  RouterConfig current_;
};

// The embedded default configuration, parsed. Its text is default_config_text(); the unit tests
// prove it parses and validates clean, so this never fails in a released build (it throws
// std::logic_error with the first error if it ever does).
RouterConfig default_config();

}  // namespace l2sec::config
