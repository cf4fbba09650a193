#include "l2sec/sim/lm/shm_ring.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <new>

namespace l2sec::lmsim {
namespace {

constexpr std::size_t kPage = 4096;

std::size_t round_up(std::size_t n, std::size_t a) { return (n + a - 1) / a * a; }

std::string shm_path(const std::string& name) {
  return name.empty() || name[0] != '/' ? "/" + name : name;
}

std::string os_error(const char* what, const std::string& name) {
  return std::string(what) + " " + name + ": " + std::strerror(errno);
}

}  // namespace

// ---- SpscRing

std::size_t SpscRing::used_bytes() const {
  const std::uint64_t head = c_->head.load(std::memory_order_acquire);
  const std::uint64_t tail = c_->tail.load(std::memory_order_acquire);
  return static_cast<std::size_t>(head - tail);
}

void SpscRing::copy_in(std::uint64_t pos, const std::uint8_t* src, std::size_t n) {
  const std::size_t cap = capacity();
  const std::size_t at = static_cast<std::size_t>(pos & (cap - 1));
  const std::size_t first = std::min(n, cap - at);
  std::memcpy(data_ + at, src, first);
  if (n > first) std::memcpy(data_, src + first, n - first);
}

void SpscRing::copy_out(std::uint64_t pos, std::uint8_t* dst, std::size_t n) const {
  const std::size_t cap = capacity();
  const std::size_t at = static_cast<std::size_t>(pos & (cap - 1));
  const std::size_t first = std::min(n, cap - at);
  std::memcpy(dst, data_ + at, first);
  if (n > first) std::memcpy(dst + first, data_, n - first);
}

bool SpscRing::push(ByteView message) {
  const std::size_t record = round_up(kRecordHeader + message.size(), 4);
  const std::uint64_t head = c_->head.load(std::memory_order_relaxed);  // ours
  const std::uint64_t tail = c_->tail.load(std::memory_order_acquire);
  if (message.size() > max_message() || record > capacity() - (head - tail)) {
    c_->full.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  std::uint8_t len[kRecordHeader];
  const auto n = static_cast<std::uint32_t>(message.size());
  for (std::size_t i = 0; i < kRecordHeader; ++i) len[i] = static_cast<std::uint8_t>(n >> (8 * i));
  copy_in(head, len, kRecordHeader);
  if (!message.empty()) copy_in(head + kRecordHeader, message.data(), message.size());
  c_->head.store(head + record, std::memory_order_release);
  c_->pushed.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool SpscRing::pop(Bytes& out) {
  const std::uint64_t tail = c_->tail.load(std::memory_order_relaxed);  // ours
  const std::uint64_t head = c_->head.load(std::memory_order_acquire);
  if (head == tail) return false;
  std::uint8_t len[kRecordHeader];
  copy_out(tail, len, kRecordHeader);
  std::uint32_t n = 0;
  for (std::size_t i = 0; i < kRecordHeader; ++i)
    n |= static_cast<std::uint32_t>(len[i]) << (8 * i);
  const std::size_t record = round_up(kRecordHeader + n, 4);
  if (record > head - tail) {
    // Cannot happen with a well-behaved producer: the segment is corrupt. Drop what is there.
    c_->tail.store(head, std::memory_order_release);
    return false;
  }
  out.resize(n);
  if (n != 0) copy_out(tail + kRecordHeader, out.data(), n);
  c_->tail.store(tail + record, std::memory_order_release);
  return true;
}

std::optional<Bytes> SpscRing::pop() {
  Bytes b;
  if (!pop(b)) return std::nullopt;
  return b;
}

// ---- ShmSegment

std::unique_ptr<ShmSegment> ShmSegment::create(const std::string& name, std::size_t ring_capacity,
                                               std::string* error) {
  const std::string path = shm_path(name);
  const std::size_t cap = std::bit_ceil(std::max<std::size_t>(ring_capacity, kPage));
  const std::size_t header = round_up(sizeof(ShmHeader), kPage);
  const std::size_t size = header + kShmRingCount * cap;
  shm_unlink(path.c_str());  // a stale segment of a process that died
  const int fd = shm_open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (error) *error = os_error("shm_open", path);
    return nullptr;
  }
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
    if (error) *error = os_error("ftruncate", path);
    close(fd);
    shm_unlink(path.c_str());
    return nullptr;
  }
  void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (base == MAP_FAILED) {
    if (error) *error = os_error("mmap", path);
    shm_unlink(path.c_str());
    return nullptr;
  }
  auto* h = new (base) ShmHeader{};
  h->version = kShmVersion;
  h->header_size = sizeof(ShmHeader);
  h->segment_size = size;
  h->ring_count = kShmRingCount;
  h->owner_pid.store(static_cast<std::uint64_t>(getpid()));
  for (std::size_t i = 0; i < kShmRingCount; ++i) {
    RingControl& r = h->rings[i];
    r.head.store(0);
    r.tail.store(0);
    r.data_offset = header + i * cap;
    r.capacity = cap;
  }
  // The magic last: an opener that sees it sees a whole header.
  std::atomic_thread_fence(std::memory_order_release);
  h->magic = kShmMagic;
  return std::unique_ptr<ShmSegment>(new ShmSegment(path, base, size, true));
}

std::unique_ptr<ShmSegment> ShmSegment::open(const std::string& name, std::string* error) {
  const std::string path = shm_path(name);
  const int fd = shm_open(path.c_str(), O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) {
    if (error) *error = os_error("shm_open", path);
    return nullptr;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || static_cast<std::size_t>(st.st_size) < sizeof(ShmHeader)) {
    if (error) *error = "shared-memory segment " + path + " is too small to be an lmsim segment";
    close(fd);
    return nullptr;
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (base == MAP_FAILED) {
    if (error) *error = os_error("mmap", path);
    return nullptr;
  }
  std::unique_ptr<ShmSegment> seg(new ShmSegment(path, base, size, false));
  const ShmHeader* h = seg->header();
  std::string why;
  if (h->magic != kShmMagic) {
    why = "bad magic";
  } else if (h->version != kShmVersion) {
    why = "version " + std::to_string(h->version) + ", expected " + std::to_string(kShmVersion);
  } else if (h->header_size != sizeof(ShmHeader) || h->ring_count != kShmRingCount ||
             h->segment_size != size) {
    why = "layout differs (header, ring count or size)";
  } else {
    for (const auto& r : h->rings) {
      if (!std::has_single_bit(r.capacity) || r.data_offset < sizeof(ShmHeader) ||
          r.data_offset + r.capacity > size) {
        why = "ring outside the segment";
      }
    }
  }
  if (!why.empty()) {
    if (error) *error = "shared-memory segment " + path + ": " + why;
    return nullptr;
  }
  return seg;
}

ShmSegment::~ShmSegment() {
  if (base_ != nullptr) munmap(base_, size_);
  if (owner_) shm_unlink(name_.c_str());
}

SpscRing ShmSegment::ring(std::size_t index) const {
  RingControl* r = &header()->rings[index];
  return SpscRing(r, static_cast<std::uint8_t*>(base_) + r->data_offset);
}

void ShmSegment::reset() {
  for (auto& r : header()->rings) {
    r.tail.store(r.head.load(std::memory_order_acquire), std::memory_order_release);
  }
}

// ---- Doorbell

Doorbell::Doorbell() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

Doorbell::~Doorbell() {
  if (fd_ >= 0) close(fd_);
}

Doorbell& Doorbell::operator=(Doorbell&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

void Doorbell::ring() const {
  const std::uint64_t one = 1;
  if (fd_ >= 0) [[maybe_unused]]
    const auto n = write(fd_, &one, sizeof one);
}

std::uint64_t Doorbell::drain() const {
  std::uint64_t v = 0;
  if (fd_ < 0 || read(fd_, &v, sizeof v) != static_cast<ssize_t>(sizeof v)) return 0;
  return v;
}

}  // namespace l2sec::lmsim
