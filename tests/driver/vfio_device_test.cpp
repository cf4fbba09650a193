// VfioDevice's refusals on a machine without any VFIO device: each step of the set-up that can
// fail is reached through a fake sysfs and /dev tree (VfioOptions' roots) or the real one, and
// must name the step and the fix. The real run is the vfio_edu_guest test.
#include "l2sec/driver/vfio_device.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "l2sec/driver/device.hpp"

namespace l2sec::driver {
namespace {

namespace fs = std::filesystem;

constexpr const char* kBdf = "0000:00:03.0";

// A temporary tree: ROOT/sys and ROOT/dev.
class FakeRoot {
 public:
  FakeRoot() {
    std::string tmpl = (fs::temp_directory_path() / "l2sec-vfio-test-XXXXXX").string();
    root_ = ::mkdtemp(tmpl.data());
    fs::create_directories(root_ / "sys/bus/pci/devices");
    fs::create_directories(root_ / "dev");
  }
  ~FakeRoot() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  FakeRoot(const FakeRoot&) = delete;
  FakeRoot& operator=(const FakeRoot&) = delete;

  VfioOptions options() const {
    VfioOptions o;
    o.sysfs_root = (root_ / "sys").string();
    o.dev_root = (root_ / "dev").string();
    return o;
  }
  fs::path device_dir() const { return root_ / "sys/bus/pci/devices" / kBdf; }
  // the edu device's identity, optionally in an IOMMU group and bound to a driver
  void add_device(int group, const std::string& driver) {
    fs::create_directories(device_dir());
    std::ofstream(device_dir() / "vendor") << "0x1234\n";
    std::ofstream(device_dir() / "device") << "0x11e8\n";
    if (group >= 0) {
      const fs::path g = root_ / "sys/kernel/iommu_groups" / std::to_string(group);
      fs::create_directories(g / "devices");
      fs::create_directory_symlink(g, device_dir() / "iommu_group");
    }
    if (!driver.empty()) {
      const fs::path d = root_ / "sys/bus/pci/drivers" / driver;
      fs::create_directories(d);
      fs::create_directory_symlink(d, device_dir() / "driver");
    }
  }
  void add_dev_file(const std::string& rel) {
    fs::create_directories((root_ / "dev" / rel).parent_path());
    std::ofstream(root_ / "dev" / rel) << "";
  }

 private:
  fs::path root_;
};

Result<std::unique_ptr<VfioDevice>> open_fake(const FakeRoot& r) {
  return VfioDevice::open(kBdf, r.options());
}

#define EXPECT_HAS(text, part) \
  EXPECT_NE((text).find(part), std::string::npos) << "missing \"" << (part) << "\" in: " << (text)

TEST(VfioAddress, Canonical) {
  EXPECT_EQ(canonical_pci_address("0000:00:03.0"), "0000:00:03.0");
  EXPECT_EQ(canonical_pci_address("00:03.0"), "0000:00:03.0");
  EXPECT_EQ(canonical_pci_address("0000:AF:1F.7"), "0000:af:1f.7");
  EXPECT_EQ(canonical_pci_address("10de:01:00.1"), "10de:01:00.1");
  for (const char* bad : {"", "0000:00:03", "0000:00:20.0", "0000:00:03.8", "zz:00.0",
                          "0000-00-03.0", "00000:00:03.0", "0000:00:03.0 ", "/dev/vfio/7"}) {
    EXPECT_FALSE(canonical_pci_address(bad)) << bad;
  }
}

TEST(VfioAddress, Options) {
  auto p = parse_vfio_argument("03:00.0,iova-limit=0x10000000,max-irqs=2");
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ(p->first, "0000:03:00.0");
  EXPECT_EQ(p->second.iova_limit, 0x10000000u);
  EXPECT_EQ(p->second.max_irqs, 2u);
  EXPECT_TRUE(p->second.enable_irqs);
  auto i = parse_vfio_argument("0000:03:00.0,irq=intx");
  ASSERT_TRUE(i.ok()) << i.error();
  EXPECT_EQ(i->second.irq_mode, VfioIrqMode::kIntx);
  auto q = parse_vfio_argument("0000:03:00.0,no-irqs,iova-base=4096");
  ASSERT_TRUE(q.ok()) << q.error();
  EXPECT_FALSE(q->second.enable_irqs);
  EXPECT_EQ(q->second.iova_base, 4096u);
  for (const char* bad :
       {"0000:03:00.0,iova-limit=", "0000:03:00.0,iova-limit=12q", "0000:03:00.0,max-irqs=33",
        "0000:03:00.0,irq=legacy", "0000:03:00.0,no-irqs=1", "0000:03:00.0,",
        "0000:03:00.0,iova-base=0x2000,iova-limit=0x1000"}) {
    auto r = parse_vfio_argument(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code, Errc::kInvalidArgument) << bad;
  }
}

TEST(VfioOpen, MalformedAddress) {
  auto r = VfioDevice::open("0000:00:3.0");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code, Errc::kInvalidArgument);
  EXPECT_HAS(r.error(), "vfio: '0000:00:3.0' is not a PCI address");
}

TEST(VfioOpen, NonexistentDevice) {
  // ffff:ff:1f.7 is a valid address no machine here has
  auto r = VfioDevice::open("ffff:ff:1f.7");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code, Errc::kNotFound);
  EXPECT_HAS(r.error(), "no PCI device ffff:ff:1f.7");
  EXPECT_HAS(r.error(), "/sys/bus/pci/devices/ffff:ff:1f.7 does not exist");
}

TEST(VfioOpen, RealHostDeviceNotOnVfio) {
  // A real PCI device of this machine: without an IOMMU it has no group; with one, it is bound
  // to its own driver, not vfio-pci (a machine where it is bound to vfio-pci skips).
  std::string bdf;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/bus/pci/devices", ec)) {
    bdf = e.path().filename().string();
    break;
  }
  if (bdf.empty()) GTEST_SKIP() << "no PCI devices in /sys/bus/pci/devices";
  const fs::path drv = fs::path("/sys/bus/pci/devices") / bdf / "driver";
  if (fs::is_symlink(drv) && fs::read_symlink(drv).filename() == "vfio-pci") {
    GTEST_SKIP() << bdf << " is bound to vfio-pci";
  }
  auto r = VfioDevice::open(bdf);
  ASSERT_FALSE(r.ok()) << bdf;
  if (!fs::exists(fs::path("/sys/bus/pci/devices") / bdf / "iommu_group")) {
    EXPECT_EQ(r.status().code, Errc::kNotFound);
    EXPECT_HAS(r.error(), bdf + ": has no iommu_group");
    EXPECT_HAS(r.error(), "intel_iommu=on");
  } else {
    EXPECT_HAS(r.error(), "vfio-pci");
  }
}

TEST(VfioOpen, NoIommuGroup) {
  FakeRoot root;
  root.add_device(-1, "");
  auto r = open_fake(root);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code, Errc::kNotFound);
  EXPECT_HAS(r.error(), "vfio: 0000:00:03.0: has no iommu_group");
  EXPECT_HAS(r.error(), "intel_iommu=on");
  EXPECT_HAS(r.error(), "-device intel-iommu,intremap=on");
}

TEST(VfioOpen, NoDriver) {
  FakeRoot root;
  root.add_device(7, "");
  auto r = open_fake(root);
  ASSERT_FALSE(r.ok());
  EXPECT_HAS(r.error(), "is not bound to vfio-pci");
  EXPECT_HAS(r.error(), "modprobe vfio-pci");
  EXPECT_HAS(r.error(), "echo 1234 11e8 > /sys/bus/pci/drivers/vfio-pci/new_id");
}

TEST(VfioOpen, OtherDriver) {
  FakeRoot root;
  root.add_device(7, "e1000e");
  auto r = open_fake(root);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code, Errc::kBusy);
  EXPECT_HAS(r.error(), "is bound to e1000e, not vfio-pci");
  EXPECT_HAS(r.error(), "/sys/bus/pci/devices/0000:00:03.0/driver/unbind");
  EXPECT_HAS(r.error(), "echo 1234 11e8 > /sys/bus/pci/drivers/vfio-pci/new_id");
}

TEST(VfioOpen, NoContainerDevice) {
  FakeRoot root;
  root.add_device(7, "vfio-pci");
  auto r = open_fake(root);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code, Errc::kNotFound);
  EXPECT_HAS(r.error(), "/dev/vfio/vfio: No such file or directory (modprobe vfio-pci");
}

TEST(VfioOpen, ContainerIsNotVfio) {
  FakeRoot root;
  root.add_device(7, "vfio-pci");
  root.add_dev_file("vfio/vfio");  // a plain file: the ioctl fails
  auto r = open_fake(root);
  ASSERT_FALSE(r.ok());
  EXPECT_HAS(r.error(), "VFIO_GET_API_VERSION failed");
  EXPECT_HAS(r.error(), "is it the VFIO character device?");
}

TEST(VfioOpen, ContainerPermissionDenied) {
  if (::geteuid() == 0) GTEST_SKIP() << "root opens a mode-000 file anyway";
  FakeRoot root;
  root.add_device(7, "vfio-pci");
  root.add_dev_file("vfio/vfio");
  ASSERT_EQ(::chmod((root.options().dev_root + "/vfio/vfio").c_str(), 0), 0);
  auto r = open_fake(root);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code, Errc::kPermission);
  EXPECT_HAS(r.error(), "Permission denied (run as root");
}

TEST(VfioOpen, ThroughOpenDevice) {
  std::string error;
  EXPECT_EQ(open_device("vfio:ffff:ff:1f.7,iova-limit=0x10000000", &error), nullptr);
  EXPECT_HAS(error, "no PCI device ffff:ff:1f.7");
}

}  // namespace
}  // namespace l2sec::driver
