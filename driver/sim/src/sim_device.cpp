#include "l2sec/driver/sim_device.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

#include "l2sec/golden/bytes.hpp"
#include "l2sec/sim/lm/line_card.hpp"
#include "l2sec/sim/lm/line_port.hpp"

namespace l2sec::driver {
namespace {

constexpr std::uint64_t kBarSize = std::uint64_t{1} << lm::kAddrWidth;
constexpr std::size_t kPage = 4096;

lmsim::Queue queue_of(Ring r) { return static_cast<lmsim::Queue>(r); }

// "key=value,key=value"; nullopt and *error on a malformed list.
std::optional<std::vector<std::pair<std::string, std::string>>> split_options(std::string_view text,
                                                                              std::string* error) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      if (error) *error = "option '" + std::string(item) + "' is not key=value";
      return std::nullopt;
    }
    out.emplace_back(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
  }
  return out;
}

}  // namespace

SimDevice::SimDevice(std::string name, std::unique_ptr<lmsim::LineCard> card)
    : name_(std::move(name)), card_(std::move(card)) {
  irq_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  bell_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ready_fd_ = epoll_create1(EPOLL_CLOEXEC);
  for (const int fd : {bell_fd_, card_->port_fd()}) {
    if (fd < 0 || ready_fd_ < 0) continue;
    epoll_event ev{};
    ev.events = EPOLLIN;
    epoll_ctl(ready_fd_, EPOLL_CTL_ADD, fd, &ev);
  }
}

SimDevice::~SimDevice() {
  for (const int fd : {irq_fd_, bell_fd_, ready_fd_}) {
    if (fd >= 0) close(fd);
  }
}

std::unique_ptr<SimDevice> SimDevice::create(std::string name,
                                             std::unique_ptr<lmsim::LinePort> port,
                                             const lmsim::LineCardOptions& options,
                                             std::string* error) {
  auto card = lmsim::LineCard::create(std::move(port), options, error);
  if (!card) return nullptr;
  return std::unique_ptr<SimDevice>(new SimDevice(std::move(name), std::move(card)));
}

std::unique_ptr<SimDevice> SimDevice::open(std::string_view argument, std::string* error) {
  const auto opts = split_options(argument, error);
  if (!opts) return nullptr;
  ipsec::UdpPortOptions udp;
  udp.local_addr = 0x7f000001;
  lmsim::LineCardOptions card;
  std::string tap;
  for (const auto& [key, value] : *opts) {
    auto addr = [&](std::uint32_t& out) {
      const auto a = ipv4_from_string(value);
      if (a) out = *a;
      return a.has_value();
    };
    auto port = [&](std::uint16_t& out) {
      char* end = nullptr;
      const unsigned long v = std::strtoul(value.c_str(), &end, 10);
      if (end == value.c_str() || *end != '\0' || v > 65535) return false;
      out = static_cast<std::uint16_t>(v);
      return true;
    };
    bool ok = true;
    if (key == "listen") {
      ok = addr(udp.local_addr);
    } else if (key == "port-addr") {
      ok = addr(udp.port_addr);
    } else if (key == "ike") {
      ok = port(udp.ike_port);
    } else if (key == "natt") {
      ok = port(udp.natt_port);
    } else if (key == "l2tp") {
      ok = port(udp.l2tp_port);
    } else if (key == "tap") {
      tap = value;
    } else if (key == "trace") {
      card.harness.fst_path = value;
    } else {
      if (error) {
        *error =
            "sim: unknown option '" + key + "' (listen, port-addr, ike, natt, l2tp, tap, trace)";
      }
      return nullptr;
    }
    if (!ok) {
      if (error) *error = "sim: bad value '" + value + "' for " + key;
      return nullptr;
    }
  }
  std::unique_ptr<lmsim::LinePort> line;
  if (!tap.empty()) {
    line = lmsim::TapPort::open(tap, error);
  } else if (auto p = ipsec::UdpPort::open(udp, error)) {
    line = std::make_unique<lmsim::EthernetPort>(std::move(p));
  }
  if (!line) return nullptr;
  return create("sim:" + std::string(argument), std::move(line), card, error);
}

std::uint64_t SimDevice::bar_size() const { return kBarSize; }

std::uint32_t SimDevice::read32(std::uint64_t offset) {
  if (offset >= kBarSize || (offset & 3) != 0) return 0xffffffffu;
  return card_->fpga().read32(static_cast<std::uint32_t>(offset));
}

void SimDevice::write32(std::uint64_t offset, std::uint32_t value) {
  if (offset >= kBarSize || (offset & 3) != 0) return;
  card_->fpga().write32(static_cast<std::uint32_t>(offset), value);
}

Result<DmaBuffer> SimDevice::alloc_dma(std::size_t bytes) {
  const std::size_t size = (std::max<std::size_t>(bytes, 1) + kPage - 1) / kPage * kPage;
  void* p = std::aligned_alloc(kPage, size);
  if (p == nullptr) return Status::failure(Errc::kNoMemory, "sim: out of memory");
  std::memset(p, 0, size);
  const std::uint64_t iova = next_iova_;
  next_iova_ += size;
  return DmaBuffer(p, iova, size, [](void* cpu, std::uint64_t, std::size_t) { std::free(cpu); });
}

int SimDevice::irq_fd(unsigned vector) const { return vector == 0 ? irq_fd_ : -1; }

Status SimDevice::ack_irq(unsigned vector) {
  if (vector != 0) return Status::failure(Errc::kNotFound, "sim: one interrupt vector (0)");
  irq_raised_ = false;  // re-armed: a line still high fires again at the next service()
  return Status::success();
}

Status SimDevice::send(Ring ring, ByteView message) {
  if (!to_device(ring)) {
    return Status::failure(Errc::kInvalidArgument,
                           "sim: " + std::string(to_string(ring)) + " is not a to-device ring");
  }
  if (message.size() > kMaxRingMessage) {
    return Status::failure(Errc::kInvalidArgument, "sim: message larger than a ring carries");
  }
  if (!card_->deliver(queue_of(ring), message)) {
    return Status::failure(Errc::kFull, "sim: " + std::string(to_string(ring)) + " is full");
  }
  return Status::success();
}

std::optional<Bytes> SimDevice::receive(Ring ring) {
  if (to_device(ring)) return std::nullopt;
  Bytes out;
  if (!card_->take(queue_of(ring), out)) {
    std::uint64_t v = 0;  // empty: re-arm the doorbell
    [[maybe_unused]] const auto n = read(bell_fd_, &v, sizeof v);
    return std::nullopt;
  }
  return out;
}

int SimDevice::ring_fd(Ring ring) const { return to_device(ring) ? -1 : ready_fd_; }

void SimDevice::signal() {
  const std::uint64_t one = 1;
  if (card_->queued(lmsim::Queue::kMboxFromDevice) != 0 ||
      card_->queued(lmsim::Queue::kPacketFromDevice) != 0) {
    [[maybe_unused]] const auto n = write(bell_fd_, &one, sizeof one);
  }
  if (card_->harness().irq()) [[maybe_unused]]
    const auto n = write(irq_fd_, &one, sizeof one);
}

Status SimDevice::service() {
  card_->run();
  signal();
  return Status::success();
}

// ---- registration

void register_sim_devices() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_device_scheme("sim", [](std::string_view arg, std::string* error) {
      return std::unique_ptr<Device>(SimDevice::open(arg, error));
    });
    register_device_scheme("lmsim", [](std::string_view arg, std::string* error) {
      return std::unique_ptr<Device>(LmsimDevice::open(arg, error));
    });
  });
}

}  // namespace l2sec::driver
