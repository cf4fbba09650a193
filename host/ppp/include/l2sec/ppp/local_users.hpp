// The daemon's local user file: one "username password" per line, blank lines and lines starting
// with '#' ignored. An Authenticator for the PPP sessions until RADIUS arrives.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "l2sec/ppp/session.hpp"

namespace l2sec::ppp {

class LocalUsers : public Authenticator {
 public:
  using Map = std::map<std::string, std::string, std::less<>>;

  explicit LocalUsers(Map users) : users_(std::move(users)) {}
  // Parses the text of a user file. On error: nullopt and "<source>:<line>: <what>" in *error.
  static std::optional<LocalUsers> parse(std::string_view text, std::string_view source,
                                         std::string* error);
  // Reads and parses a file; the error names the file (and the line).
  static std::optional<LocalUsers> load(const std::string& path, std::string* error);

  std::optional<std::string> password(std::string_view user) const override;
  std::size_t size() const { return users_.size(); }

 private:
  Map users_;
};

}  // namespace l2sec::ppp
