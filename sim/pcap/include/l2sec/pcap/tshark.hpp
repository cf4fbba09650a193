// Running tshark over our captures: the esp_sa table entry that lets it decrypt and authenticate an
// SA's packets, and a runner that returns what it printed.
#pragma once

#include <string>
#include <vector>

#include "l2sec/golden/esp.hpp"

namespace l2sec::pcap {

// One `uat:esp_sa:...` preference value for an SA (keys included), as tshark's -o takes it.
// src/dst are the packet's outer addresses in the direction the SA protects.
std::string tshark_esp_sa(const golden::SaConfig& sa, std::uint32_t src, std::uint32_t dst);

// The -o arguments that turn on ESP decryption and ICV checking with the given SAs.
std::vector<std::string> tshark_esp_args(const std::vector<std::string>& esp_sa_entries);

struct TsharkRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `tshark -r capture <args...>` without a shell; exit_code -1 when tshark cannot be started.
TsharkRun run_tshark(const std::string& capture, const std::vector<std::string>& args);

}  // namespace l2sec::pcap
