// VfioDevice: a PCIe device through Linux VFIO (type-1 IOMMU). See vfio_device.hpp for the steps.
#include "l2sec/driver/vfio_device.hpp"

#include <fcntl.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <vector>

namespace l2sec::driver {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kPage = 4096;
// x86's interrupt address window: never hand it out as an IOVA (MSI writes land there).
constexpr std::uint64_t kMsiWindowStart = 0xfee00000;
constexpr std::uint64_t kMsiWindowEnd = 0xff000000;
constexpr unsigned kMaxIrqs = 32;

// An owned file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

std::string errno_text(int err) { return std::strerror(err); }

Status failure(Errc code, std::string why) { return Status::failure(code, "vfio: " + why); }

Errc errc_of(int err) {
  switch (err) {
    case ENOENT:
    case ENODEV:
    case ENXIO:
      return Errc::kNotFound;
    case EACCES:
    case EPERM:
      return Errc::kPermission;
    case EBUSY:
      return Errc::kBusy;
    case ENOMEM:
      return Errc::kNoMemory;
    default:
      return Errc::kIo;
  }
}

// The basename a sysfs symlink points to ("../../../kernel/iommu_groups/7" -> "7"), or "".
std::string link_target_name(const fs::path& link) {
  std::error_code ec;
  const fs::path target = fs::read_symlink(link, ec);
  if (ec) return {};
  return target.filename().string();
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  std::string s;
  std::getline(in, s);
  return s;
}

// "0x1234" -> "1234", as vfio-pci's new_id wants it.
std::string strip_0x(std::string s) {
  if (s.rfind("0x", 0) == 0) s.erase(0, 2);
  return s;
}

bool parse_number(std::string_view text, std::uint64_t& out) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, base);
  return ec == std::errc() && end == text.data() + text.size();
}

bool is_hex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

}  // namespace

// ---- addresses and specs -------------------------------------------------------------------

std::optional<std::string> canonical_pci_address(std::string_view text) {
  std::string s(text);
  std::transform(s.begin(), s.end(), s.begin(), [](char c) {
    return static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
  });
  if (s.size() == 7) s = "0000:" + s;  // BB:DD.F
  // DDDD:BB:DD.F
  if (s.size() != 12 || s[4] != ':' || s[7] != ':' || s[10] != '.') return std::nullopt;
  const std::string_view v(s);
  if (!is_hex(v.substr(0, 4)) || !is_hex(v.substr(5, 2)) || !is_hex(v.substr(8, 2)) ||
      !is_hex(v.substr(11, 1))) {
    return std::nullopt;
  }
  std::uint64_t dev = 0, fn = 0;
  if (!parse_number("0x" + s.substr(8, 2), dev) || dev >= 0x20) return std::nullopt;
  if (!parse_number(s.substr(11, 1), fn) || fn >= 8) return std::nullopt;
  return s;
}

Result<std::pair<std::string, VfioOptions>> parse_vfio_argument(std::string_view argument) {
  VfioOptions options;
  const auto comma = argument.find(',');
  const std::string_view address = argument.substr(0, comma);
  auto bdf = canonical_pci_address(address);
  if (!bdf) {
    return failure(Errc::kInvalidArgument,
                   "'" + std::string(address) +
                       "' is not a PCI address (expected DDDD:BB:DD.F or BB:DD.F, e.g. "
                       "0000:00:03.0; lspci -D lists them)");
  }
  std::string_view rest =
      argument.substr(comma == std::string_view::npos ? argument.size() : comma);
  while (!rest.empty()) {
    rest.remove_prefix(1);  // the ','
    const auto next = rest.find(',');
    const std::string_view item = rest.substr(0, next);
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next);
    const auto eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : item.substr(eq + 1);
    std::uint64_t n = 0;
    const bool numeric = eq != std::string_view::npos && parse_number(value, n);
    if (key == "no-irqs" && eq == std::string_view::npos) {
      options.enable_irqs = false;
    } else if (key == "iova-limit" && numeric) {
      options.iova_limit = n;
    } else if (key == "iova-base" && numeric) {
      options.iova_base = n;
    } else if (key == "irq" && (value == "msix" || value == "msi" || value == "intx")) {
      options.irq_mode = value == "msix"  ? VfioIrqMode::kMsix
                         : value == "msi" ? VfioIrqMode::kMsi
                                          : VfioIrqMode::kIntx;
    } else if (key == "max-irqs" && numeric && n <= kMaxIrqs) {
      options.max_irqs = static_cast<unsigned>(n);
    } else {
      return failure(Errc::kInvalidArgument,
                     "bad option '" + std::string(item) +
                         "' (known: iova-limit=N, iova-base=N, max-irqs=N (<= 32), no-irqs, "
                         "irq=msix|msi|intx)");
    }
  }
  if (options.iova_limit != 0 && options.iova_limit <= options.iova_base) {
    return failure(Errc::kInvalidArgument, "iova-limit must lie above iova-base");
  }
  return std::pair{*bdf, options};
}

// ---- the shared state ----------------------------------------------------------------------

struct VfioDevice::State {
  enum class Irq : std::uint8_t { kNone, kIntx, kMsi, kMsix };

  std::string bdf;
  UniqueFd container;
  UniqueFd group;
  UniqueFd device;
  void* bar_map = nullptr;  // nullptr: BAR0 not mmap-able, accessed with pread/pwrite
  std::uint64_t bar_map_len = 0;
  std::uint64_t bar_offset = 0;  // BAR0's offset in the device fd
  std::uint64_t config_offset = 0;
  Irq irq = Irq::kNone;
  std::vector<UniqueFd> irq_fds;

  // The IOVA allocator: free ranges, start -> length, page aligned. DmaBuffers free into it
  // through a weak_ptr to this state.
  mutable std::mutex mutex;
  std::map<std::uint64_t, std::uint64_t> free_ranges;

  ~State() {
    if (irq != Irq::kNone && device.valid()) set_irqs_none();
    if (bar_map != nullptr) ::munmap(bar_map, bar_map_len);
    device.reset();
    if (group.valid()) ::ioctl(group.get(), VFIO_GROUP_UNSET_CONTAINER);
    group.reset();
    container.reset();  // unmaps whatever DMA is still mapped
  }

  std::uint32_t irq_index() const {
    switch (irq) {
      case Irq::kMsix:
        return VFIO_PCI_MSIX_IRQ_INDEX;
      case Irq::kMsi:
        return VFIO_PCI_MSI_IRQ_INDEX;
      default:
        return VFIO_PCI_INTX_IRQ_INDEX;
    }
  }

  void set_irqs_none() {
    vfio_irq_set set{};
    set.argsz = sizeof set;
    set.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
    set.index = irq_index();
    set.start = 0;
    set.count = 0;
    ::ioctl(device.get(), VFIO_DEVICE_SET_IRQS, &set);
  }

  void add_free(std::uint64_t start, std::uint64_t len) {
    // the caller holds mutex; merges with both neighbours
    auto next = free_ranges.lower_bound(start);
    if (next != free_ranges.begin()) {
      auto prev = std::prev(next);
      if (prev->first + prev->second == start) {
        start = prev->first;
        len += prev->second;
        free_ranges.erase(prev);
      }
    }
    if (next != free_ranges.end() && start + len == next->first) {
      len += next->second;
      free_ranges.erase(next);
    }
    free_ranges[start] = len;
  }

  std::optional<std::uint64_t> take_iova(std::uint64_t len) {
    std::lock_guard lock(mutex);
    for (auto it = free_ranges.begin(); it != free_ranges.end(); ++it) {
      if (it->second < len) continue;
      const std::uint64_t iova = it->first;
      const std::uint64_t left = it->second - len;
      free_ranges.erase(it);
      if (left != 0) free_ranges[iova + len] = left;
      return iova;
    }
    return std::nullopt;
  }

  void give_iova(std::uint64_t iova, std::uint64_t len) {
    std::lock_guard lock(mutex);
    add_free(iova, len);
  }

  bool unmap_dma(std::uint64_t iova, std::uint64_t len) {
    vfio_iommu_type1_dma_unmap unmap{};
    unmap.argsz = sizeof unmap;
    unmap.iova = iova;
    unmap.size = len;
    return ::ioctl(container.get(), VFIO_IOMMU_UNMAP_DMA, &unmap) == 0;
  }
};

// ---- opening ---------------------------------------------------------------------------------

Result<std::unique_ptr<VfioDevice>> VfioDevice::open(std::string_view pci_address,
                                                     VfioOptions options) {
  const auto canonical = canonical_pci_address(pci_address);
  if (!canonical) {
    return failure(Errc::kInvalidArgument,
                   "'" + std::string(pci_address) +
                       "' is not a PCI address (expected DDDD:BB:DD.F or BB:DD.F, e.g. "
                       "0000:00:03.0; lspci -D lists them)");
  }
  const std::string bdf = *canonical;
  const std::string who = bdf + ": ";

  // 1. sysfs: the device, its IOMMU group, its driver
  const fs::path sys_dev = fs::path(options.sysfs_root) / "bus/pci/devices" / bdf;
  std::error_code ec;
  if (!fs::exists(sys_dev, ec)) {
    return failure(Errc::kNotFound, "no PCI device " + bdf + " (" + sys_dev.string() +
                                        " does not exist; lspci -D lists the devices)");
  }
  const std::string vendor = strip_0x(read_text(sys_dev / "vendor"));
  const std::string device_id = strip_0x(read_text(sys_dev / "device"));
  const std::string new_id =
      "echo " + vendor + " " + device_id + " > /sys/bus/pci/drivers/vfio-pci/new_id";
  const std::string group_name = link_target_name(sys_dev / "iommu_group");
  std::uint64_t group_number = 0;
  if (group_name.empty() || !parse_number(group_name, group_number)) {
    return failure(Errc::kNotFound,
                   who +
                       "has no iommu_group: the kernel runs without an IOMMU (enable VT-d or "
                       "AMD-Vi in the firmware and boot with intel_iommu=on or amd_iommu=on; "
                       "in QEMU: -machine q35,kernel-irqchip=split -device "
                       "intel-iommu,intremap=on)");
  }
  const std::string driver = link_target_name(sys_dev / "driver");
  if (driver.empty()) {
    return failure(Errc::kNotFound,
                   who + "is not bound to vfio-pci (no driver: modprobe vfio-pci; " + new_id + ")");
  }
  if (driver != "vfio-pci") {
    return failure(Errc::kBusy, who + "is bound to " + driver + ", not vfio-pci (echo " + bdf +
                                    " > " + (sys_dev / "driver/unbind").string() + "; " + new_id +
                                    ")");
  }

  auto state = std::make_shared<State>();
  state->bdf = bdf;

  // 2. the container
  const fs::path container_path = fs::path(options.dev_root) / "vfio/vfio";
  state->container = UniqueFd(::open(container_path.c_str(), O_RDWR | O_CLOEXEC));
  if (!state->container.valid()) {
    const int err = errno;
    std::string fix = err == ENOENT   ? "modprobe vfio-pci (it loads vfio)"
                      : err == EACCES ? "run as root, or give the user rw on /dev/vfio/vfio"
                                      : "is the vfio module loaded?";
    return failure(errc_of(err),
                   container_path.string() + ": " + errno_text(err) + " (" + fix + ")");
  }
  const int api = ::ioctl(state->container.get(), VFIO_GET_API_VERSION);
  if (api != VFIO_API_VERSION) {
    const int err = errno;
    return failure(
        Errc::kIo,
        container_path.string() + ": VFIO_GET_API_VERSION " +
            (api < 0
                 ? "failed: " + errno_text(err) + " (is it the VFIO character device?)"
                 : "is " + std::to_string(api) + ", expected " + std::to_string(VFIO_API_VERSION)));
  }
  unsigned long iommu_type = VFIO_TYPE1v2_IOMMU;
  if (::ioctl(state->container.get(), VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0) {
    iommu_type = VFIO_TYPE1_IOMMU;
    if (::ioctl(state->container.get(), VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) <= 0) {
      return failure(Errc::kUnsupported,
                     "the container has no type-1 IOMMU support (modprobe vfio_iommu_type1)");
    }
  }

  // 3. the group
  const std::string group_str = std::to_string(group_number);
  const fs::path group_path = fs::path(options.dev_root) / "vfio" / group_str;
  state->group = UniqueFd(::open(group_path.c_str(), O_RDWR | O_CLOEXEC));
  if (!state->group.valid()) {
    const int err = errno;
    std::string fix = err == ENOENT   ? "vfio-pci has not claimed the group: " + new_id
                      : err == EACCES ? "run as root, or give the user rw on " + group_path.string()
                      : err == EBUSY
                          ? "the group is already open: by another process (QEMU, DPDK, a "
                            "second l2secd) or a VfioDevice of this one"
                          : "see dmesg";
    return failure(errc_of(err),
                   who + group_path.string() + ": " + errno_text(err) + " (" + fix + ")");
  }
  vfio_group_status gstatus{};
  gstatus.argsz = sizeof gstatus;
  if (::ioctl(state->group.get(), VFIO_GROUP_GET_STATUS, &gstatus) != 0) {
    const int err = errno;
    return failure(Errc::kIo, who + "VFIO_GROUP_GET_STATUS on " + group_path.string() + ": " +
                                  errno_text(err));
  }
  if ((gstatus.flags & VFIO_GROUP_FLAGS_VIABLE) == 0) {
    std::string members;
    const fs::path gdir =
        fs::path(options.sysfs_root) / "kernel/iommu_groups" / group_str / "devices";
    for (const auto& entry : fs::directory_iterator(gdir, ec)) {
      const std::string d = link_target_name(entry.path() / "driver");
      members += " " + entry.path().filename().string() + "(" + (d.empty() ? "no driver" : d) + ")";
    }
    return failure(Errc::kPermission,
                   who + "IOMMU group " + group_str +
                       " is not viable: every device in it must be bound to vfio-pci or to no "
                       "driver; members:" +
                       (members.empty() ? " (unknown)" : members));
  }
  int container_fd = state->container.get();
  if (::ioctl(state->group.get(), VFIO_GROUP_SET_CONTAINER, &container_fd) != 0) {
    const int err = errno;
    return failure(errc_of(err), who + "VFIO_GROUP_SET_CONTAINER: " + errno_text(err));
  }
  if (::ioctl(state->container.get(), VFIO_SET_IOMMU, iommu_type) != 0) {
    const int err = errno;
    return failure(errc_of(err), who + "VFIO_SET_IOMMU(type 1): " + errno_text(err) +
                                     " (modprobe vfio_iommu_type1; dmesg says why)");
  }

  // 4. the device, BAR0
  state->device = UniqueFd(::ioctl(state->group.get(), VFIO_GROUP_GET_DEVICE_FD, bdf.c_str()));
  if (!state->device.valid()) {
    const int err = errno;
    return failure(errc_of(err), who + "VFIO_GROUP_GET_DEVICE_FD: " + errno_text(err) +
                                     (err == EBUSY ? " (the device is open elsewhere)" : ""));
  }
  vfio_device_info dinfo{};
  dinfo.argsz = sizeof dinfo;
  if (::ioctl(state->device.get(), VFIO_DEVICE_GET_INFO, &dinfo) != 0) {
    const int err = errno;
    return failure(Errc::kIo, who + "VFIO_DEVICE_GET_INFO: " + errno_text(err));
  }
  if ((dinfo.flags & VFIO_DEVICE_FLAGS_PCI) == 0 ||
      dinfo.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX) {
    return failure(Errc::kUnsupported, who + "not a PCI device as VFIO sees it (flags 0x" +
                                           std::to_string(dinfo.flags) + ")");
  }
  vfio_region_info bar{};
  bar.argsz = sizeof bar;
  bar.index = VFIO_PCI_BAR0_REGION_INDEX;
  if (::ioctl(state->device.get(), VFIO_DEVICE_GET_REGION_INFO, &bar) != 0) {
    const int err = errno;
    return failure(Errc::kIo, who + "VFIO_DEVICE_GET_REGION_INFO(BAR0): " + errno_text(err));
  }
  if (bar.size == 0) return failure(Errc::kUnsupported, who + "has no BAR0");
  state->bar_offset = bar.offset;
  std::unique_ptr<VfioDevice> dev(new VfioDevice());
  dev->bar_size_ = bar.size;
  if ((bar.flags & VFIO_REGION_INFO_FLAG_MMAP) != 0) {
    void* map = ::mmap(nullptr, bar.size, PROT_READ | PROT_WRITE, MAP_SHARED, state->device.get(),
                       static_cast<off_t>(bar.offset));
    if (map == MAP_FAILED) {
      const int err = errno;
      return failure(errc_of(err), who + "mmap of BAR0 (" + std::to_string(bar.size) +
                                       " bytes): " + errno_text(err));
    }
    state->bar_map = map;
    state->bar_map_len = bar.size;
    dev->bar_ = static_cast<volatile std::uint8_t*>(map);
  }

  // 5. config space: memory decoding and bus mastering on
  vfio_region_info cfg{};
  cfg.argsz = sizeof cfg;
  cfg.index = VFIO_PCI_CONFIG_REGION_INDEX;
  if (::ioctl(state->device.get(), VFIO_DEVICE_GET_REGION_INFO, &cfg) != 0) {
    const int err = errno;
    return failure(Errc::kIo, who + "VFIO_DEVICE_GET_REGION_INFO(config): " + errno_text(err));
  }
  state->config_offset = cfg.offset;
  std::uint16_t command = 0;
  const auto cmd_at = static_cast<off_t>(cfg.offset + PCI_COMMAND);
  if (::pread(state->device.get(), &command, sizeof command, cmd_at) != sizeof command) {
    const int err = errno;
    return failure(Errc::kIo, who + "reading the PCI command register: " + errno_text(err));
  }
  command = static_cast<std::uint16_t>(command | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
  if (::pwrite(state->device.get(), &command, sizeof command, cmd_at) != sizeof command) {
    const int err = errno;
    return failure(Errc::kIo,
                   who + "enabling bus mastering (PCI command register): " + errno_text(err));
  }

  // 6. interrupts: MSI-X, else MSI, else INTx
  if (options.enable_irqs) {
    const std::pair<std::uint32_t, State::Irq> kinds[] = {
        {VFIO_PCI_MSIX_IRQ_INDEX, State::Irq::kMsix},
        {VFIO_PCI_MSI_IRQ_INDEX, State::Irq::kMsi},
        {VFIO_PCI_INTX_IRQ_INDEX, State::Irq::kIntx}};
    const auto wanted = [&](State::Irq kind) {
      switch (options.irq_mode) {
        case VfioIrqMode::kAuto:
          return true;
        case VfioIrqMode::kMsix:
          return kind == State::Irq::kMsix;
        case VfioIrqMode::kMsi:
          return kind == State::Irq::kMsi;
        case VfioIrqMode::kIntx:
          return kind == State::Irq::kIntx;
      }
      return false;
    };
    for (const auto& [index, kind] : kinds) {
      if (index >= dinfo.num_irqs || !wanted(kind)) continue;
      vfio_irq_info info{};
      info.argsz = sizeof info;
      info.index = index;
      if (::ioctl(state->device.get(), VFIO_DEVICE_GET_IRQ_INFO, &info) != 0) continue;
      if (info.count == 0 || (info.flags & VFIO_IRQ_INFO_EVENTFD) == 0) continue;
      unsigned n = std::min(info.count, kMaxIrqs);
      if (options.max_irqs != 0) n = std::min(n, options.max_irqs);
      std::vector<std::uint8_t> buf(sizeof(vfio_irq_set) + n * sizeof(std::int32_t));
      auto* set = reinterpret_cast<vfio_irq_set*>(buf.data());
      set->argsz = static_cast<std::uint32_t>(buf.size());
      set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
      set->index = index;
      set->start = 0;
      set->count = n;
      for (unsigned i = 0; i < n; ++i) {
        UniqueFd efd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
        if (!efd.valid()) {
          const int err = errno;
          return failure(errc_of(err), who + "eventfd: " + errno_text(err));
        }
        const std::int32_t fd = efd.get();
        std::memcpy(set->data + i * sizeof fd, &fd, sizeof fd);
        state->irq_fds.push_back(std::move(efd));
      }
      if (::ioctl(state->device.get(), VFIO_DEVICE_SET_IRQS, set) != 0) {
        const int err = errno;
        return failure(errc_of(err), who + "VFIO_DEVICE_SET_IRQS (" +
                                         (kind == State::Irq::kIntx  ? "INTx"
                                          : kind == State::Irq::kMsi ? "MSI"
                                                                     : "MSI-X") +
                                         ", " + std::to_string(n) +
                                         " eventfds): " + errno_text(err) +
                                         " (interrupt remapping: intremap=on on the IOMMU)");
      }
      state->irq = kind;
      break;
    }
    if (state->irq == State::Irq::kNone && options.irq_mode != VfioIrqMode::kAuto) {
      return failure(Errc::kUnsupported, who + "the device has no " +
                                             (options.irq_mode == VfioIrqMode::kIntx  ? "INTx"
                                              : options.irq_mode == VfioIrqMode::kMsi ? "MSI"
                                                                                      : "MSI-X") +
                                             " interrupt VFIO can signal through an eventfd");
    }
  }

  // the IOVA space
  const std::uint64_t base = (options.iova_base + kPage - 1) & ~(kPage - 1);
  const std::uint64_t limit =
      (options.iova_limit == 0 ? (std::uint64_t{1} << 32) : options.iova_limit) & ~(kPage - 1);
  if (limit <= base) return failure(Errc::kInvalidArgument, who + "empty IOVA range");
  {
    std::lock_guard lock(state->mutex);
    const std::uint64_t hole_start = std::clamp(kMsiWindowStart, base, limit);
    const std::uint64_t hole_end = std::clamp(kMsiWindowEnd, base, limit);
    if (hole_start > base) state->add_free(base, hole_start - base);
    if (limit > hole_end) state->add_free(hole_end, limit - hole_end);
  }

  dev->bdf_ = bdf;
  dev->name_ = "vfio:" + bdf;
  dev->group_ = static_cast<int>(group_number);
  dev->state_ = std::move(state);
  return dev;
}

VfioDevice::~VfioDevice() = default;

std::string_view VfioDevice::irq_kind() const {
  switch (state_->irq) {
    case State::Irq::kMsix:
      return "msix";
    case State::Irq::kMsi:
      return "msi";
    case State::Irq::kIntx:
      return "intx";
    case State::Irq::kNone:
      break;
  }
  return "none";
}

// ---- registers -----------------------------------------------------------------------------

std::uint32_t VfioDevice::read32(std::uint64_t offset) {
  if (offset % 4 != 0 || offset + 4 > bar_size_) return 0xffffffff;
  if (bar_ != nullptr) return *reinterpret_cast<volatile std::uint32_t*>(bar_ + offset);
  std::uint32_t v = 0xffffffff;
  if (::pread(state_->device.get(), &v, sizeof v,
              static_cast<off_t>(state_->bar_offset + offset)) != sizeof v) {
    return 0xffffffff;
  }
  return v;
}

void VfioDevice::write32(std::uint64_t offset, std::uint32_t value) {
  if (offset % 4 != 0 || offset + 4 > bar_size_) return;
  if (bar_ != nullptr) {
    *reinterpret_cast<volatile std::uint32_t*>(bar_ + offset) = value;
    return;
  }
  (void)!::pwrite(state_->device.get(), &value, sizeof value,
                  static_cast<off_t>(state_->bar_offset + offset));
}

std::uint64_t VfioDevice::read64(std::uint64_t offset) {
  if (offset % 8 != 0 || offset + 8 > bar_size_) return ~std::uint64_t{0};
  if (bar_ != nullptr) return *reinterpret_cast<volatile std::uint64_t*>(bar_ + offset);
  std::uint64_t v = ~std::uint64_t{0};
  if (::pread(state_->device.get(), &v, sizeof v,
              static_cast<off_t>(state_->bar_offset + offset)) != sizeof v) {
    return ~std::uint64_t{0};
  }
  return v;
}

void VfioDevice::write64(std::uint64_t offset, std::uint64_t value) {
  if (offset % 8 != 0 || offset + 8 > bar_size_) return;
  if (bar_ != nullptr) {
    *reinterpret_cast<volatile std::uint64_t*>(bar_ + offset) = value;
    return;
  }
  (void)!::pwrite(state_->device.get(), &value, sizeof value,
                  static_cast<off_t>(state_->bar_offset + offset));
}

// ---- DMA -------------------------------------------------------------------------------------

Result<DmaBuffer> VfioDevice::alloc_dma(std::size_t bytes) {
  if (bytes == 0) return failure(Errc::kInvalidArgument, bdf_ + ": alloc_dma of 0 bytes");
  const std::uint64_t len = (std::uint64_t{bytes} + kPage - 1) & ~(kPage - 1);
  const auto iova = state_->take_iova(len);
  if (!iova) {
    return failure(Errc::kNoMemory, bdf_ + ": no IOVA space for " + std::to_string(len) +
                                        " bytes below the limit (" + std::to_string(iova_free()) +
                                        " bytes free)");
  }
  void* cpu = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (cpu == MAP_FAILED) {
    const int err = errno;
    state_->give_iova(*iova, len);
    return failure(Errc::kNoMemory,
                   bdf_ + ": mmap of " + std::to_string(len) + " bytes: " + errno_text(err));
  }
  vfio_iommu_type1_dma_map map{};
  map.argsz = sizeof map;
  map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
  map.vaddr = reinterpret_cast<std::uint64_t>(cpu);
  map.iova = *iova;
  map.size = len;
  if (::ioctl(state_->container.get(), VFIO_IOMMU_MAP_DMA, &map) != 0) {
    const int err = errno;
    ::munmap(cpu, len);
    state_->give_iova(*iova, len);
    return failure(
        errc_of(err),
        bdf_ + ": VFIO_IOMMU_MAP_DMA of " + std::to_string(len) + " bytes at IOVA 0x" +
            [&] {
              char b[17];
              auto r = std::to_chars(b, b + 16, *iova, 16);
              return std::string(b, r.ptr);
            }() +
            ": " + errno_text(err) + (err == ENOMEM ? " (locked-memory limit: ulimit -l)" : ""));
  }
  std::weak_ptr<State> weak = state_;
  return DmaBuffer(cpu, *iova, len, [weak](void* p, std::uint64_t io, std::size_t size) {
    if (auto state = weak.lock()) {
      // unmap from the device before the memory goes; the IOVA is reusable only if that worked
      if (state->unmap_dma(io, size)) state->give_iova(io, size);
    }
    ::munmap(p, size);
  });
}

std::uint64_t VfioDevice::iova_free() const {
  std::lock_guard lock(state_->mutex);
  std::uint64_t total = 0;
  for (const auto& [start, len] : state_->free_ranges) total += len;
  return total;
}

// ---- interrupts ------------------------------------------------------------------------------

unsigned VfioDevice::irq_count() const { return static_cast<unsigned>(state_->irq_fds.size()); }

int VfioDevice::irq_fd(unsigned vector) const {
  return vector < state_->irq_fds.size() ? state_->irq_fds[vector].get() : -1;
}

Status VfioDevice::ack_irq(unsigned vector) {
  if (vector >= state_->irq_fds.size()) {
    return failure(Errc::kNotFound, bdf_ + ": no interrupt vector " + std::to_string(vector));
  }
  if (state_->irq != State::Irq::kIntx) return Status::success();
  vfio_irq_set set{};
  set.argsz = sizeof set;
  set.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK;
  set.index = VFIO_PCI_INTX_IRQ_INDEX;
  set.start = 0;
  set.count = 1;
  if (::ioctl(state_->device.get(), VFIO_DEVICE_SET_IRQS, &set) != 0) {
    const int err = errno;
    return failure(errc_of(err), bdf_ + ": unmasking INTx: " + errno_text(err));
  }
  return Status::success();
}

// ---- rings -----------------------------------------------------------------------------------

Status VfioDevice::send(Ring ring, ByteView /*message*/) {
  return failure(Errc::kUnsupported,
                 bdf_ + ": message rings (" + std::string(to_string(ring)) +
                     ") are not supported by this device: the line card's descriptor rings are "
                     "not defined yet (docs/line-module.md section 4)");
}

std::optional<Bytes> VfioDevice::receive(Ring /*ring*/) { return std::nullopt; }

int VfioDevice::ring_fd(Ring /*ring*/) const { return -1; }

}  // namespace l2sec::driver
