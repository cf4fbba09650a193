// The host driver's one Device abstraction (docs/line-module.md section 4): what the host needs of
// a line module, whichever back end serves it:
//   - VfioDevice (vfio_device.hpp): a real PCIe card through Linux VFIO;
//   - SimDevice, LmsimDevice (driver/sim): the Verilated lm_top and the firmware, in this process
//     or in an lmsim process over shared memory.
// Nothing above the driver knows which one it runs on.
//
// A Device offers
//   - BAR0 registers: read32/write32 at a byte offset (4-byte aligned, below bar_size());
//   - DMA memory: alloc_dma() -> DmaBuffer, CPU pointer + IOVA the device uses + size, freed (and
//     unmapped from the IOMMU) when the DmaBuffer goes;
//   - interrupts: irq_count() vectors, each with an eventfd that becomes readable when the vector
//     fires (-1: polled only), ack_irq() to re-arm it;
//   - message rings: whole messages (the host mailbox's, firmware/include/l2sec/fw/mailbox.hpp) to
//     and from the device, bounded, never blocking;
//   - service(): lets a simulated device run for a while; real hardware returns at once.
//
// Errors are explicit results (Status, Result<T>); nothing here throws across the API. A Device is
// used from one thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace l2sec::driver {

// The same types as l2sec::Bytes / l2sec::ByteView (golden/bytes.hpp), without depending on it.
using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// ---- results ---------------------------------------------------------------------------------

// What kind of failure a Status carries; the text says what exactly and how to fix it.
enum class Errc : std::uint8_t {
  kOk,
  kFull,             // a to-device ring has no room now: retry after service() / later
  kUnsupported,      // this device or back end does not offer the operation
  kInvalidArgument,  // malformed spec, bad offset, wrong ring direction, message too large
  kNotFound,         // no such device, file or vector
  kPermission,       // the OS refused (permissions, not viable group)
  kBusy,             // the device is in use elsewhere
  kNoMemory,         // out of memory or IOVA space
  kTimeout,          // wait_irq ran out of time
  kIo,               // an OS call or the device failed otherwise
};
std::string_view to_string(Errc e);

// Empty on success, otherwise what went wrong (the shape of ipsec::Status, plus a code).
struct Status {
  Errc code = Errc::kOk;
  std::string error;
  bool ok() const { return code == Errc::kOk; }
  explicit operator bool() const { return ok(); }
  bool full() const { return code == Errc::kFull; }
  static Status success() { return {}; }
  static Status failure(Errc code, std::string why) { return {code, std::move(why)}; }
};

// A value or the Status saying why there is none. T may be move-only (DmaBuffer, unique_ptr).
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}           // NOLINT(google-explicit-constructor)
  Result(Status failure) : status_(std::move(failure)) {  // NOLINT(google-explicit-constructor)
    if (status_.ok()) status_ = Status::failure(Errc::kIo, "internal: Result without a value");
  }
  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Status& status() const { return status_; }
  const std::string& error() const { return status_.error; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

// ---- DMA memory --------------------------------------------------------------------------

// Memory both the CPU and the device reach: `data()` for the CPU, `iova()` for the device (what
// goes into its DMA address registers). Movable, not copyable; freeing unmaps it from the device
// first. Back ends construct it with the release action that undoes their allocation; a buffer
// may outlive its Device (the back end must make its release action safe for that).
class DmaBuffer {
 public:
  using Release = std::function<void(void* cpu, std::uint64_t iova, std::size_t size)>;

  DmaBuffer() = default;
  DmaBuffer(void* cpu, std::uint64_t iova, std::size_t size, Release release)
      : cpu_(cpu), iova_(iova), size_(size), release_(std::move(release)) {}
  DmaBuffer(DmaBuffer&& other) noexcept { swap(other); }
  DmaBuffer& operator=(DmaBuffer&& other) noexcept {
    if (this != &other) {
      reset();
      swap(other);
    }
    return *this;
  }
  DmaBuffer(const DmaBuffer&) = delete;
  DmaBuffer& operator=(const DmaBuffer&) = delete;
  ~DmaBuffer() { reset(); }

  void* data() const { return cpu_; }
  std::uint64_t iova() const { return iova_; }
  std::size_t size() const { return size_; }
  bool valid() const { return cpu_ != nullptr; }
  std::span<std::uint8_t> bytes() const { return {static_cast<std::uint8_t*>(cpu_), size_}; }

  // Frees now (unmap, then release the memory); the buffer is empty afterwards.
  void reset() noexcept;

 private:
  void swap(DmaBuffer& other) noexcept {
    std::swap(cpu_, other.cpu_);
    std::swap(iova_, other.iova_);
    std::swap(size_, other.size_);
    std::swap(release_, other.release_);
  }
  void* cpu_ = nullptr;
  std::uint64_t iova_ = 0;
  std::size_t size_ = 0;
  Release release_;
};

// ---- message rings -------------------------------------------------------------------------

// The device's message rings. Each carries whole messages (host mailbox messages,
// firmware/include/l2sec/fw/mailbox.hpp); order is kept within a ring, not across rings.
//   kMboxToDevice     host -> device: mailbox requests (HELLO, SA_ADD, SA_DEL, SA_QUERY, ...)
//   kMboxFromDevice   device -> host: their responses, and EVENT messages
//   kPacketToDevice   host -> device: TX_IKE, TX_L2TP, TX_L2TP_CLEAR, TX_IP
//   kPacketFromDevice device -> host: RX_PACKET
// Control has rings of its own so that it never waits behind a queue of packets.
enum class Ring : std::uint8_t {
  kMboxToDevice,
  kMboxFromDevice,
  kPacketToDevice,
  kPacketFromDevice
};
inline constexpr std::size_t kRingCount = 4;
std::string_view to_string(Ring r);
constexpr bool to_device(Ring r) { return r == Ring::kMboxToDevice || r == Ring::kPacketToDevice; }

// The largest message a ring carries: the mailbox header (16 bytes) and its largest body (64 KiB).
inline constexpr std::size_t kMaxRingMessage = 16 + 65536;

// ---- the device ------------------------------------------------------------------------------

class Device {
 public:
  virtual ~Device() = default;
  Device() = default;
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  // The spec it was opened with, e.g. "vfio:0000:03:00.0", "sim:", "lmsim:lm0".
  virtual std::string_view name() const = 0;

  // ---- BAR0 registers. offset: bytes, 4-byte aligned, below bar_size(). Out of range or
  // misaligned: read32 returns 0xffffffff (what a PCIe read of nothing returns), write32 does
  // nothing.
  virtual std::uint64_t bar_size() const = 0;
  virtual std::uint32_t read32(std::uint64_t offset) = 0;
  virtual void write32(std::uint64_t offset, std::uint32_t value) = 0;

  // ---- DMA memory: at least `bytes` (rounded up to a page), zeroed, mapped for the device.
  virtual Result<DmaBuffer> alloc_dma(std::size_t bytes) = 0;

  // ---- interrupts. Vectors 0 .. irq_count()-1.
  virtual unsigned irq_count() const = 0;
  // An eventfd that becomes readable when the vector fires; -1 if the vector is polled only (then
  // wait_irq() polls take_irq() and service()). Owned by the device: do not close it.
  virtual int irq_fd(unsigned vector) const = 0;
  // Consumes and returns how many times the vector fired since the last take (0: none), never
  // blocking. The default reads irq_fd(vector) (an eventfd, non-blocking); polled-only back ends
  // override it.
  virtual std::uint64_t take_irq(unsigned vector);
  // Re-arms the vector once the caller has cleared the device's own interrupt status (INTx:
  // unmasks the line, which VFIO masks when it fires; MSI: nothing to do).
  virtual Status ack_irq(unsigned vector) = 0;
  // Waits until the vector fires (or has fired since the last take) and returns take_irq()'s
  // count; does not ack. Errc::kTimeout after `timeout`, Errc::kNotFound for a vector the device
  // does not have.
  Result<std::uint64_t> wait_irq(unsigned vector, std::chrono::milliseconds timeout);

  // ---- message rings. send: a to-device ring, one whole message of at most kMaxRingMessage
  // bytes; never blocks: Errc::kFull when there is no room now. Errc::kUnsupported when the
  // device has no rings (yet).
  virtual Status send(Ring ring, ByteView message) = 0;
  // The next message on a from-device ring, or nullopt when none waits. Never blocks.
  virtual std::optional<Bytes> receive(Ring ring) = 0;
  // A descriptor that becomes readable when receive(ring) may return something, for a
  // from-device ring; -1 if the ring is polled only (call service() and receive()).
  virtual int ring_fd(Ring ring) const = 0;

  // Lets a simulated device run (clock cycles, firmware poll, shared-memory exchange); real
  // hardware returns at once. Errors: the simulation stopped (e.g. the lmsim process died).
  virtual Status service() { return Status::success(); }
};

// ---- opening a device by its spec --------------------------------------------------------

// Opens "scheme:argument":
//   vfio:<pci address>[,option=value...]  VfioDevice (vfio_device.hpp): "vfio:0000:03:00.0",
//                                         "vfio:03:00.0" (domain 0000), options
//                                         iova-limit=0x10000000
//   sim:[...], lmsim:<name>[...]          the simulation back ends, when driver/sim registers them
// nullptr and *error (when given) set on failure.
std::unique_ptr<Device> open_device(std::string_view spec, std::string* error);

// The hook the other back ends register their schemes with (driver/sim: "sim", "lmsim"). The
// opener gets the part after "scheme:". Returns false when the scheme is taken (or is "vfio").
using DeviceOpener =
    std::function<std::unique_ptr<Device>(std::string_view argument, std::string* error)>;
bool register_device_scheme(std::string scheme, DeviceOpener opener);

// Splits "scheme:argument"; nullopt when there is no ':' or the scheme is empty or not [a-z0-9_].
struct DeviceSpec {
  std::string scheme;
  std::string argument;
};
std::optional<DeviceSpec> parse_device_spec(std::string_view spec);

}  // namespace l2sec::driver
