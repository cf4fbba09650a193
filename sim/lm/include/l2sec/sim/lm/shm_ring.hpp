// Shared-memory message rings between the host driver (LmsimDevice) and the lmsim process
// (docs/line-module.md sections 4 and 5).
//
// One POSIX shared-memory segment (shm_open + mmap) holds a versioned header and kRingCount
// bounded single-producer/single-consumer rings, one per driver::Ring. Each ring is a byte circle
// of a power-of-two capacity with two free-running 64-bit counters:
//
//   head  bytes ever written; only the producer stores it (release), the consumer loads (acquire)
//   tail  bytes ever consumed; only the consumer stores it (release), the producer loads (acquire)
//
// A message is a 4-byte little-endian length and its bytes, padded to 4; records wrap around the
// end of the circle byte-wise, so every message up to max_message() fits in an empty ring. The
// producer copies the record first and publishes it with one release store of head: a consumer
// never sees half a message. The header and counters hold no pointers, so the two processes may
// map the segment at different addresses.
//
// Doorbells: an eventfd per direction (Doorbell). The producer rings after publishing; the
// consumer poll()s the fd and drains it before it empties the ring (the count is only a hint: the
// ring is the truth, so a lost or spurious ring costs a pass, never a message). The eventfds are
// handed from lmsim to the host over its Unix socket (SCM_RIGHTS, unix_socket.hpp); a futex would
// need a thread parked in it, where an eventfd goes into the daemon's poll loop as is.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "l2sec/golden/bytes.hpp"

namespace l2sec::lmsim {

inline constexpr std::uint64_t kShmMagic = 0x474e495242534d4cull;  // "LMSBRING" little-endian
inline constexpr std::uint32_t kShmVersion = 1;
inline constexpr std::size_t kShmRingCount = 4;  // driver::kRingCount
inline constexpr std::size_t kCacheLine = 64;

static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "shared-memory rings need lock-free 64-bit atomics");

// One ring's control block in the segment. head and tail sit on cache lines of their own.
struct alignas(kCacheLine) RingControl {
  alignas(kCacheLine) std::atomic<std::uint64_t> head;
  alignas(kCacheLine) std::atomic<std::uint64_t> tail;
  alignas(kCacheLine) std::uint64_t data_offset;  // from the start of the segment
  std::uint64_t capacity;                         // bytes, a power of two
  std::atomic<std::uint64_t> pushed;              // messages (statistics)
  std::atomic<std::uint64_t> full;                // push refusals (statistics)
};

struct ShmHeader {
  std::uint64_t magic;
  std::uint32_t version;
  std::uint32_t header_size;  // sizeof(ShmHeader): catches a layout change without a version bump
  std::uint64_t segment_size;
  std::uint32_t ring_count;
  std::uint32_t reserved;
  std::atomic<std::uint64_t> owner_pid;  // the creator (lmsim), for diagnostics
  RingControl rings[kShmRingCount];
};

// A view of one ring in a mapped segment. Either end's methods may be called, but per ring one
// process (thread) produces and one consumes.
class SpscRing {
 public:
  SpscRing() = default;
  SpscRing(RingControl* control, std::uint8_t* data) : c_(control), data_(data) {}

  // Producer. False (and the full counter) when the message does not fit now; a message larger
  // than max_message() never fits.
  bool push(ByteView message);
  // Consumer. False when empty. out is overwritten (its capacity reused).
  bool pop(Bytes& out);
  std::optional<Bytes> pop();

  std::size_t capacity() const { return static_cast<std::size_t>(c_->capacity); }
  std::size_t max_message() const { return capacity() - kRecordHeader - 3; }
  std::size_t used_bytes() const;
  bool empty() const { return used_bytes() == 0; }
  std::uint64_t pushed() const { return c_->pushed.load(std::memory_order_relaxed); }
  std::uint64_t refused_full() const { return c_->full.load(std::memory_order_relaxed); }
  bool valid() const { return c_ != nullptr; }

  static constexpr std::size_t kRecordHeader = 4;

 private:
  void copy_in(std::uint64_t pos, const std::uint8_t* src, std::size_t n);
  void copy_out(std::uint64_t pos, std::uint8_t* dst, std::size_t n) const;

  RingControl* c_ = nullptr;
  std::uint8_t* data_ = nullptr;
};

// The mapped segment. The creator owns the name and unlinks it when it goes; openers only unmap.
class ShmSegment {
 public:
  // Creates "/name" (a stale segment of that name is replaced) with kShmRingCount rings of
  // ring_capacity bytes each (rounded up to a power of two, at least 4 KiB).
  static std::unique_ptr<ShmSegment> create(const std::string& name, std::size_t ring_capacity,
                                            std::string* error);
  // Maps an existing segment and checks magic, version, layout and sizes.
  static std::unique_ptr<ShmSegment> open(const std::string& name, std::string* error);
  ~ShmSegment();
  ShmSegment(const ShmSegment&) = delete;
  ShmSegment& operator=(const ShmSegment&) = delete;

  SpscRing ring(std::size_t index) const;
  const std::string& name() const { return name_; }
  std::size_t size() const { return size_; }
  bool owner() const { return owner_; }
  // Empties every ring (the creator, when a new host attaches after the old one went).
  void reset();

 private:
  ShmSegment(std::string name, void* base, std::size_t size, bool owner)
      : name_(std::move(name)), base_(base), size_(size), owner_(owner) {}
  ShmHeader* header() const { return static_cast<ShmHeader*>(base_); }

  std::string name_;
  void* base_ = nullptr;
  std::size_t size_ = 0;
  bool owner_ = false;
};

// An eventfd doorbell (non-blocking, close-on-exec). Owns its descriptor.
class Doorbell {
 public:
  Doorbell();                             // a new eventfd; fd() < 0 if that failed
  explicit Doorbell(int fd) : fd_(fd) {}  // adopts fd
  ~Doorbell();
  Doorbell(Doorbell&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Doorbell& operator=(Doorbell&& o) noexcept;
  Doorbell(const Doorbell&) = delete;
  Doorbell& operator=(const Doorbell&) = delete;

  void ring() const;
  // Consumes the pending count; returns it (0 when nothing was pending).
  std::uint64_t drain() const;
  int fd() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace l2sec::lmsim
