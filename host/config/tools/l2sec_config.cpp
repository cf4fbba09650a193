// l2sec-config: checks a configuration file and prints it the way the router shows it.
//
//   l2sec-config check boston.cfg   errors as "file:line: "text": message", exit 1; else "ok"
//   l2sec-config show boston.cfg    the canonical configuration (show configuration)
//   l2sec-config default            the embedded default configuration, canonical
#include <cstdio>
#include <iostream>
#include <string_view>

#include "l2sec/config/parser.hpp"

namespace {

int usage() {
  std::cerr << "usage: l2sec-config check <file> | show <file> | default\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace l2sec::config;
  if (argc < 2) return usage();
  const std::string_view command = argv[1];
  if (command == "default" && argc == 2) {
    std::cout << render(default_config());
    return 0;
  }
  if ((command != "check" && command != "show") || argc != 3) return usage();
  const ParseResult result = parse_file(argv[2]);
  for (const auto& e : result.errors) std::cerr << e.to_string() << '\n';
  if (!result.ok()) {
    std::cerr << result.errors.size() << (result.errors.size() == 1 ? " error" : " errors")
              << ", configuration not applied\n";
    return 1;
  }
  if (command == "check") {
    std::cout << "ok\n";
  } else {
    std::cout << render(*result.config);
  }
  return 0;
}
