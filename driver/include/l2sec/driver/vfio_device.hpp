// VfioDevice: a real PCIe line card (or QEMU's edu device) through Linux VFIO, type-1 IOMMU.
//
// Opening follows the kernel's Documentation/driver-api/vfio.rst, one step at a time, each failure
// naming the step and the fix:
//   1. /sys/bus/pci/devices/<bdf>/iommu_group -> the group number (no link: no IOMMU or no device)
//      and .../driver -> vfio-pci (else: bind it);
//   2. /dev/vfio/vfio: VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION(VFIO_TYPE1_IOMMU);
//   3. /dev/vfio/<group>: VFIO_GROUP_GET_STATUS (viable: every device of the group bound to
//      vfio-pci or to no driver), VFIO_GROUP_SET_CONTAINER, VFIO_SET_IOMMU(TYPE1);
//   4. VFIO_GROUP_GET_DEVICE_FD, VFIO_DEVICE_GET_INFO, VFIO_DEVICE_GET_REGION_INFO(BAR0), mmap;
//   5. config space: Command.Memory + Bus Master on;
//   6. interrupts: MSI-X or MSI vectors if the device has them, else INTx (with unmask), each
//      through VFIO_DEVICE_SET_IRQS to an eventfd.
// DMA memory: anonymous mmap, VFIO_IOMMU_MAP_DMA at an IOVA from a first-fit allocator below
// the IOVA limit (the device's DMA mask: QEMU's edu device reaches 28 bits), VFIO_IOMMU_UNMAP_DMA
// when the DmaBuffer goes.
//
// The line card's descriptor rings are not defined yet: send/receive return Errc::kUnsupported.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "l2sec/driver/device.hpp"

namespace l2sec::driver {

// Which interrupt kind to use: the best the device has (MSI-X, MSI, INTx), or one forced.
enum class VfioIrqMode : std::uint8_t { kAuto, kMsix, kMsi, kIntx };

struct VfioOptions {
  // Where sysfs and /dev are: tests point them at a fake tree.
  std::string sysfs_root = "/sys";
  std::string dev_root = "/dev";
  // IOVAs handed out lie in [iova_base, iova_limit): the device's DMA mask. 0: 1 << 32.
  std::uint64_t iova_base = 0x100000;
  std::uint64_t iova_limit = 0;
  // Interrupt vectors to enable (MSI/MSI-X), at most what the device has; 0: all it has (capped at
  // 32). INTx always has one.
  unsigned max_irqs = 0;
  // false: no interrupts at all (irq_count() 0).
  bool enable_irqs = true;
  VfioIrqMode irq_mode = VfioIrqMode::kAuto;
};

// "0000:03:00.0" or "03:00.0" -> the canonical "0000:03:00.0" (lower-case hex); nullopt if
// malformed (domain 4 hex digits, bus 2, device 2 below 0x20, function 1 below 8).
std::optional<std::string> canonical_pci_address(std::string_view text);

// Parses the argument of a "vfio:" spec: "<pci address>[,iova-limit=N][,iova-base=N]
// [,max-irqs=N][,no-irqs][,irq=msix|msi|intx]" (N decimal or 0x hex) into the address and options.
Result<std::pair<std::string, VfioOptions>> parse_vfio_argument(std::string_view argument);

class VfioDevice final : public Device {
 public:
  // Opens the device at `pci_address` (any form canonical_pci_address accepts).
  static Result<std::unique_ptr<VfioDevice>> open(std::string_view pci_address,
                                                  VfioOptions options = {});
  ~VfioDevice() override;

  std::string_view name() const override { return name_; }
  const std::string& pci_address() const { return bdf_; }
  int iommu_group() const { return group_; }
  // "msix", "msi", "intx" or "none".
  std::string_view irq_kind() const;

  std::uint64_t bar_size() const override { return bar_size_; }
  std::uint32_t read32(std::uint64_t offset) override;
  void write32(std::uint64_t offset, std::uint32_t value) override;
  // 64-bit access where the device decodes it (edu's DMA registers); same rules as read32.
  std::uint64_t read64(std::uint64_t offset);
  void write64(std::uint64_t offset, std::uint64_t value);

  Result<DmaBuffer> alloc_dma(std::size_t bytes) override;
  // IOVA space still free (bytes), for tests and show commands.
  std::uint64_t iova_free() const;

  unsigned irq_count() const override;
  int irq_fd(unsigned vector) const override;
  Status ack_irq(unsigned vector) override;

  Status send(Ring ring, ByteView message) override;
  std::optional<Bytes> receive(Ring ring) override;
  int ring_fd(Ring ring) const override;

  struct State;  // container, group, device fds, the IOVA allocator (shared with DmaBuffers)

 private:
  VfioDevice() = default;
  std::string bdf_;
  std::string name_;
  int group_ = -1;
  std::shared_ptr<State> state_;
  volatile std::uint8_t* bar_ = nullptr;
  std::uint64_t bar_size_ = 0;
};

}  // namespace l2sec::driver
