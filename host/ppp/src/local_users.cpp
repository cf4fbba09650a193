#include "l2sec/ppp/local_users.hpp"

#include <fstream>
#include <sstream>
#include <vector>

namespace l2sec::ppp {

namespace {
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }
}  // namespace

std::optional<LocalUsers> LocalUsers::parse(std::string_view text, std::string_view source,
                                            std::string* error) {
  Map users;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  auto fail = [&](const std::string& what) -> std::optional<LocalUsers> {
    if (error) *error = std::string(source) + ":" + std::to_string(line_no) + ": " + what;
    return std::nullopt;
  };
  while (pos <= text.size()) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    std::vector<std::string_view> fields;
    for (std::size_t i = 0; i < line.size();) {
      while (i < line.size() && is_space(line[i])) ++i;
      if (i >= line.size()) break;
      std::size_t j = i;
      while (j < line.size() && !is_space(line[j])) ++j;
      fields.push_back(line.substr(i, j - i));
      i = j;
    }
    if (fields.empty() || fields[0].front() == '#') continue;
    for (char c : line) {
      if (static_cast<unsigned char>(c) < 0x20 && !is_space(c)) {
        return fail("control character in line");
      }
    }
    if (fields.size() == 1) return fail("user '" + std::string(fields[0]) + "' has no password");
    if (fields.size() > 2) {
      return fail("expected 'username password', found " + std::to_string(fields.size()) +
                  " fields");
    }
    if (fields[0].size() > 255 || fields[1].size() > 255) {
      return fail("user name or password longer than 255 bytes");
    }
    auto [it, inserted] = users.emplace(std::string(fields[0]), std::string(fields[1]));
    if (!inserted) return fail("user '" + it->first + "' defined twice");
  }
  return LocalUsers(std::move(users));
}

std::optional<LocalUsers> LocalUsers::load(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (error) *error = path + ": cannot open user file";
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path, error);
}

std::optional<std::string> LocalUsers::password(std::string_view user) const {
  auto it = users_.find(user);
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

}  // namespace l2sec::ppp
