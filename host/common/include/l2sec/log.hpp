// The daemon's log: one line per event, "<level> <subsystem>: <text>", like the router's own
// event log categories (ike, ipsec, l2tp, ppp, config, lm). Written to stderr by default; tests
// and the CLI can install their own sink.
//
//   log::warning("ike") << "Main Mode from " << peer << ": bad HASH_I, dropped";
#pragma once

#include <functional>
#include <sstream>
#include <string>
#include <string_view>

namespace l2sec::log {

enum class Level { kDebug, kInfo, kNotice, kWarning, kError };

std::string_view to_string(Level level);

using Sink = std::function<void(Level, std::string_view subsystem, std::string_view text)>;

// The lowest level that is written; kInfo by default.
void set_level(Level level);
Level level();
// Replaces the sink (nullptr restores stderr). Returns the previous one.
Sink set_sink(Sink sink);

// One log line, written when it goes out of scope.
class Line {
 public:
  Line(Level level, std::string_view subsystem);
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;
  ~Line();

  template <typename T>
  Line& operator<<(const T& value) {
    if (enabled_) out_ << value;
    return *this;
  }

 private:
  Level level_;
  std::string subsystem_;
  bool enabled_;
  std::ostringstream out_;
};

inline Line debug(std::string_view subsystem) { return Line(Level::kDebug, subsystem); }
inline Line info(std::string_view subsystem) { return Line(Level::kInfo, subsystem); }
inline Line notice(std::string_view subsystem) { return Line(Level::kNotice, subsystem); }
inline Line warning(std::string_view subsystem) { return Line(Level::kWarning, subsystem); }
inline Line error(std::string_view subsystem) { return Line(Level::kError, subsystem); }

}  // namespace l2sec::log
