#include "l2sec/ipsec/backend.hpp"

#include "l2sec/golden/bytes.hpp"

namespace l2sec::ipsec {

std::string to_string(const Endpoint& e) {
  return ipv4_to_string(e.addr) + ":" + std::to_string(e.port);
}

std::string_view to_string(DataPath p) {
  switch (p) {
    case DataPath::kLineModule:
      return "line-module";
    case DataPath::kSoftware:
      return "software";
  }
  return "?";
}

std::string_view to_string(EventKind k) {
  switch (k) {
    case EventKind::kSoftExpire:
      return "soft-expire";
    case EventKind::kHardExpire:
      return "hard-expire";
    case EventKind::kSeqOverflow:
      return "seq-overflow";
    case EventKind::kPeerMoved:
      return "peer-moved";
  }
  return "?";
}

}  // namespace l2sec::ipsec
