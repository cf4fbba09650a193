#include "l2sec/log.hpp"

#include <cstdio>
#include <mutex>
#include <utility>

namespace l2sec::log {
namespace {

std::mutex g_mutex;
Level g_level = Level::kInfo;
Sink g_sink;

}  // namespace

std::string_view to_string(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kNotice:
      return "notice";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "?";
}

void set_level(Level level) {
  std::lock_guard lock(g_mutex);
  g_level = level;
}

Level level() {
  std::lock_guard lock(g_mutex);
  return g_level;
}

Sink set_sink(Sink sink) {
  std::lock_guard lock(g_mutex);
  return std::exchange(g_sink, std::move(sink));
}

Line::Line(Level level, std::string_view subsystem)
    : level_(level), subsystem_(subsystem), enabled_(level >= log::level()) {}

Line::~Line() {
  if (!enabled_) return;
  const std::string text = out_.str();
  std::lock_guard lock(g_mutex);
  if (g_sink) {
    g_sink(level_, subsystem_, text);
    return;
  }
  std::fprintf(stderr, "%.*s %s: %s\n", static_cast<int>(to_string(level_).size()),
               to_string(level_).data(), subsystem_.c_str(), text.c_str());
}

}  // namespace l2sec::log
