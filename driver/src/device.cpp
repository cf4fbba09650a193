// The Device abstraction's shared parts: results, DmaBuffer, interrupt waits, the spec factory.
#include "l2sec/driver/device.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <mutex>
#include <thread>

#include "l2sec/driver/vfio_device.hpp"

namespace l2sec::driver {

std::string_view to_string(Errc e) {
  switch (e) {
    case Errc::kOk:
      return "ok";
    case Errc::kFull:
      return "full";
    case Errc::kUnsupported:
      return "unsupported";
    case Errc::kInvalidArgument:
      return "invalid argument";
    case Errc::kNotFound:
      return "not found";
    case Errc::kPermission:
      return "permission";
    case Errc::kBusy:
      return "busy";
    case Errc::kNoMemory:
      return "no memory";
    case Errc::kTimeout:
      return "timeout";
    case Errc::kIo:
      return "io";
  }
  return "?";
}

std::string_view to_string(Ring r) {
  switch (r) {
    case Ring::kMboxToDevice:
      return "mbox-to-device";
    case Ring::kMboxFromDevice:
      return "mbox-from-device";
    case Ring::kPacketToDevice:
      return "packet-to-device";
    case Ring::kPacketFromDevice:
      return "packet-from-device";
  }
  return "?";
}

void DmaBuffer::reset() noexcept {
  if (cpu_ != nullptr && release_) release_(cpu_, iova_, size_);
  cpu_ = nullptr;
  iova_ = 0;
  size_ = 0;
  release_ = nullptr;
}

std::uint64_t Device::take_irq(unsigned vector) {
  const int fd = irq_fd(vector);
  if (fd < 0) return 0;
  std::uint64_t count = 0;
  // the eventfds are non-blocking: EAGAIN means nothing fired
  if (::read(fd, &count, sizeof count) != static_cast<ssize_t>(sizeof count)) return 0;
  return count;
}

Result<std::uint64_t> Device::wait_irq(unsigned vector, std::chrono::milliseconds timeout) {
  if (vector >= irq_count()) {
    return Status::failure(Errc::kNotFound, std::string(name()) + ": no interrupt vector " +
                                                std::to_string(vector) + " (the device has " +
                                                std::to_string(irq_count()) + ")");
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (const std::uint64_t n = take_irq(vector); n != 0) return n;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return Status::failure(Errc::kTimeout, std::string(name()) + ": interrupt vector " +
                                                 std::to_string(vector) + " did not fire within " +
                                                 std::to_string(timeout.count()) + " ms");
    }
    const int fd = irq_fd(vector);
    if (fd >= 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
      pollfd p{fd, POLLIN, 0};
      const int r = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(1, left.count())));
      if (r < 0 && errno != EINTR) {
        return Status::failure(Errc::kIo, std::string(name()) + ": poll on the interrupt eventfd");
      }
    } else {
      if (Status s = service(); !s) return s;
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
}

// ---- specs and the scheme registry -----------------------------------------------------------

std::optional<DeviceSpec> parse_device_spec(std::string_view spec) {
  const auto colon = spec.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  const std::string_view scheme = spec.substr(0, colon);
  if (scheme[0] < 'a' || scheme[0] > 'z') return std::nullopt;  // "0000:03:00.0" is no scheme
  const bool well_formed = std::all_of(scheme.begin(), scheme.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
  if (!well_formed) return std::nullopt;
  return DeviceSpec{std::string(scheme), std::string(spec.substr(colon + 1))};
}

namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, DeviceOpener, std::less<>> openers;
};
Registry& registry() {
  static Registry r;
  return r;
}

std::unique_ptr<Device> fail(std::string* error, std::string why) {
  if (error != nullptr) *error = std::move(why);
  return nullptr;
}

std::unique_ptr<Device> open_vfio(std::string_view argument, std::string* error) {
  auto parsed = parse_vfio_argument(argument);
  if (!parsed) return fail(error, parsed.error());
  auto dev = VfioDevice::open(parsed->first, parsed->second);
  if (!dev) return fail(error, dev.error());
  return std::move(dev).value();
}

}  // namespace

bool register_device_scheme(std::string scheme, DeviceOpener opener) {
  if (scheme == "vfio" || scheme.empty() || !opener) return false;
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  return r.openers.emplace(std::move(scheme), std::move(opener)).second;
}

std::unique_ptr<Device> open_device(std::string_view spec, std::string* error) {
  const auto parsed = parse_device_spec(spec);
  if (!parsed) {
    std::string why = "device spec '" + std::string(spec) +
                      "' is not scheme:argument (vfio:<pci address>, sim:, lmsim:<name>)";
    if (canonical_pci_address(spec.substr(0, spec.find(',')))) {
      why += "; for a PCI card say vfio:" + std::string(spec);
    }
    return fail(error, std::move(why));
  }
  if (parsed->scheme == "vfio") return open_vfio(parsed->argument, error);
  DeviceOpener opener;
  std::string known = "vfio";
  {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    if (auto it = r.openers.find(parsed->scheme); it != r.openers.end()) opener = it->second;
    for (const auto& [name, unused] : r.openers) known += ", " + name;
  }
  if (!opener) {
    std::string why = "device spec '" + std::string(spec) + "': unknown scheme '" + parsed->scheme +
                      "' (known: " + known + ")";
    if (parsed->scheme == "sim" || parsed->scheme == "lmsim") {
      why +=
          "; the simulation back ends register it: link l2sec::driver_sim and call its "
          "registration";
    }
    return fail(error, std::move(why));
  }
  std::string why;
  auto dev = opener(parsed->argument, &why);
  if (!dev) {
    return fail(error, why.empty() ? parsed->scheme + ": open '" + parsed->argument + "' failed"
                                   : std::move(why));
  }
  return dev;
}

}  // namespace l2sec::driver
