// The lmsim process's core: one LineCard served to one host at a time over the shared-memory
// rings (shm_ring.hpp) and the control socket (lmsim_protocol.hpp). sim/lm/lmsim.cpp is its
// command line; tests run it in a child process.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "l2sec/sim/lm/line_card.hpp"
#include "l2sec/sim/lm/shm_ring.hpp"
#include "l2sec/sim/lm/unix_socket.hpp"

namespace l2sec::lmsim {

struct LmsimServerCounters {
  std::uint64_t connections = 0, refused = 0;
  std::uint64_t reg_reads = 0, reg_writes = 0;
  std::uint64_t to_card = 0, from_card = 0;
};

class LmsimServer {
 public:
  static constexpr std::size_t kRingBytes = 1u << 20;  // per ring

  // Creates the segment /l2sec-lmsim-<name> and listens on @l2sec-lmsim-<name>.
  static std::unique_ptr<LmsimServer> create(const std::string& name,
                                             std::unique_ptr<LineCard> card, std::string* error);
  // Serves until stop is set (checked at least every 50 ms).
  void run(const std::atomic<bool>& stop);
  // One pass of run()'s loop, waiting up to timeout_ms for something to do.
  void serve_once(int timeout_ms);

  LineCard& card() { return *card_; }
  const LmsimServerCounters& counters() const { return counters_; }

 private:
  LmsimServer(std::string name, std::unique_ptr<LineCard> card)
      : name_(std::move(name)), card_(std::move(card)) {}
  void accept_host();
  bool serve_socket();  // false: the host went
  void drop_host();
  void exchange();

  std::string name_;
  std::unique_ptr<LineCard> card_;
  std::unique_ptr<ShmSegment> shm_;
  Fd listener_, host_;
  Doorbell to_host_, to_card_, irq_;
  std::array<std::deque<Bytes>, kQueueCount> pending_;  // from the card, waiting for ring room
  bool irq_was_ = false;
  bool work_left_ = false;
  LmsimServerCounters counters_;
};

}  // namespace l2sec::lmsim
