// The simulated line card's port to real traffic: whole Ethernet frames in and out, what the
// line module's MAC carries (docs/line-module.md section 5).
//
//   EthernetPort  wraps an ipsec::FramePort (UdpPort: real UDP sockets on 500/4500/1701;
//                 MemoryPort: tests): IPv4 packets are framed with golden::ethernet_frame on the
//                 way in; frames out lose their Ethernet header, and anything that is not IPv4
//                 (ARP, ...) is counted and dropped, since a FramePort carries IPv4 only.
//   TapPort       a Linux TAP device (IFF_TAP | IFF_NO_PI): whole frames, ARP included.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "l2sec/golden/bytes.hpp"
#include "l2sec/ipsec/frame_port.hpp"

namespace l2sec::lmsim {

struct LinePortCounters {
  std::uint64_t rx = 0, tx = 0;
  std::uint64_t tx_dropped = 0;  // not IPv4 (EthernetPort), refused by the port, write failed
};

class LinePort {
 public:
  virtual ~LinePort() = default;
  // One Ethernet frame (no FCS) to the wire; false (counted) when it cannot go.
  virtual bool send_frame(ByteView frame) = 0;
  // The next frame from the wire, or nullopt. Never blocks.
  virtual std::optional<Bytes> receive_frame() = 0;
  // Readable when receive_frame() may return something; -1 if polled only.
  virtual int fd() const = 0;
  const LinePortCounters& counters() const { return counters_; }

 protected:
  LinePortCounters counters_;
};

class EthernetPort final : public LinePort {
 public:
  explicit EthernetPort(std::unique_ptr<ipsec::FramePort> port) : port_(std::move(port)) {}
  bool send_frame(ByteView frame) override;
  std::optional<Bytes> receive_frame() override;
  int fd() const override { return port_->fd(); }
  ipsec::FramePort& inner() { return *port_; }

 private:
  std::unique_ptr<ipsec::FramePort> port_;
};

class TapPort final : public LinePort {
 public:
  // Opens (creates) TAP interface `name` in the caller's network namespace; the caller brings it
  // up and addresses it. nullptr and *error when /dev/net/tun is missing or the ioctl fails.
  static std::unique_ptr<TapPort> open(const std::string& name, std::string* error);
  ~TapPort() override;
  TapPort(const TapPort&) = delete;
  TapPort& operator=(const TapPort&) = delete;

  bool send_frame(ByteView frame) override;
  std::optional<Bytes> receive_frame() override;
  int fd() const override { return fd_; }
  const std::string& name() const { return name_; }

 private:
  TapPort(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  int fd_ = -1;
  std::string name_;
};

// The IPv4 packet inside an Ethernet II frame (EtherType 0x0800), or nullopt.
std::optional<ByteView> ipv4_of_frame(ByteView frame);

}  // namespace l2sec::lmsim
