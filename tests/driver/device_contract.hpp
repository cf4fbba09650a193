// The Device contract (driver/include/l2sec/driver/device.hpp) as GoogleTest checks every back end
// can run on an opened device: include this and call check_device_contract(dev) from a TEST. The
// driver's own tests run it on a reference loopback device; driver/sim runs it on its devices.
#pragma once

#include <cstdint>
#include <set>

#include "gtest/gtest.h"
#include "l2sec/driver/device.hpp"

namespace l2sec::driver::contract {

inline void check_device_contract(Device& dev) {
  SCOPED_TRACE(std::string(dev.name()));
  EXPECT_FALSE(dev.name().empty());

  // registers: out of range and misaligned read as all ones
  ASSERT_GE(dev.bar_size(), 4u);
  EXPECT_EQ(dev.read32(dev.bar_size()), 0xffffffffu);
  EXPECT_EQ(dev.read32(1), 0xffffffffu);
  dev.write32(dev.bar_size(), 0);  // dropped, no crash

  // DMA: page-rounded, zeroed, distinct IOVAs; or not offered at all
  auto a = dev.alloc_dma(100);
  if (a.ok()) {
    auto b = dev.alloc_dma(5000);
    ASSERT_TRUE(b.ok()) << b.error();
    EXPECT_GE(a->size(), 100u);
    EXPECT_EQ(a->size() % 4096, 0u);
    EXPECT_GE(b->size(), 5000u);
    std::uint64_t nonzero = 0;
    for (auto x : a->bytes()) nonzero += x != 0;
    EXPECT_EQ(nonzero, 0u) << "alloc_dma memory is zeroed";
    const bool apart = a->iova() + a->size() <= b->iova() || b->iova() + b->size() <= a->iova();
    EXPECT_TRUE(apart) << "IOVAs overlap";
    EXPECT_EQ(a->iova() % 4096, 0u);
  } else {
    EXPECT_EQ(a.status().code, Errc::kUnsupported) << a.error();
  }

  // interrupts: a vector past the end is refused, each vector has an fd or is polled
  auto w = dev.wait_irq(dev.irq_count(), std::chrono::milliseconds(1));
  EXPECT_EQ(w.status().code, Errc::kNotFound);
  std::set<int> fds;
  for (unsigned v = 0; v < dev.irq_count(); ++v) {
    if (dev.irq_fd(v) >= 0) {
      EXPECT_TRUE(fds.insert(dev.irq_fd(v)).second) << "vector " << v;
    }
  }
  EXPECT_EQ(dev.irq_fd(dev.irq_count()), -1);

  // rings: directions and bounds, or unsupported throughout
  const std::uint8_t byte = 0;
  const Status probe = dev.send(Ring::kMboxFromDevice, ByteView(&byte, 1));
  EXPECT_FALSE(probe.ok()) << "send on a from-device ring";
  if (probe.code == Errc::kUnsupported) {
    EXPECT_EQ(dev.send(Ring::kMboxToDevice, ByteView(&byte, 1)).code, Errc::kUnsupported);
  } else {
    EXPECT_EQ(probe.code, Errc::kInvalidArgument) << probe.error;
    EXPECT_EQ(dev.send(Ring::kPacketFromDevice, ByteView(&byte, 1)).code, Errc::kInvalidArgument);
    const Bytes huge(kMaxRingMessage + 1, 0);
    EXPECT_EQ(dev.send(Ring::kMboxToDevice, huge).code, Errc::kInvalidArgument);
    EXPECT_EQ(dev.send(Ring::kPacketToDevice, huge).code, Errc::kInvalidArgument);
  }
  EXPECT_FALSE(dev.receive(Ring::kMboxToDevice)) << "receive on a to-device ring";
  EXPECT_FALSE(dev.receive(Ring::kPacketToDevice));
  EXPECT_EQ(dev.ring_fd(Ring::kMboxToDevice), -1);
  EXPECT_TRUE(dev.service().ok());
}

}  // namespace l2sec::driver::contract
