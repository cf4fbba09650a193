// The firmware's only way to the FPGA (docs/line-module.md section 2): the line module's AXI-Lite
// register space and the two host streams of lm_top, each packet with its header beat.
//
// Implementations: the simulated line card's adapter on the Verilated lm_top (sim/lm), the mock
// register file of the firmware tests (tests/firmware/mock_fpga.hpp) and, on a real card, the
// line-module CPU's memory-mapped window and stream FIFOs.
#pragma once

#include <cstdint>

#include "l2sec/golden/bytes.hpp"
#include "lm_regs.hpp"

namespace l2sec::fw {

// The m_axis_host_rx_hdr beat of a packet the FPGA hands up (docs/line-module.md section 1).
struct RxMeta {
  lm::PktClass pkt_class = lm::PktClass::kOther;
  bool sa_valid = false;       // decapsulated by SA sa_index: the data is the restored IPv4 packet
  std::uint16_t sa_index = 0;  // [11:0]
  std::uint32_t spi = 0;       // decapsulated packets: the SPI and sequence number
  std::uint32_t seq = 0;
  std::uint32_t src_addr = 0;  // outer source (the peer's NAT mapping), host order
  std::uint32_t dst_addr = 0;  // outer destination (our address)
  std::uint16_t src_port = 0;  // outer UDP ports, 0 for plain ESP
  std::uint16_t dst_port = 0;
  std::uint16_t payload_offset = 0;  // in the data: the L2TP message (decapsulated), the ISAKMP
                                     // message after the non-ESP marker (IKE_NATT), the UDP payload
  std::uint16_t len = 0;             // bytes of data as the header states them
  std::uint8_t port = 0;             // line port
};

// The s_axis_host_tx_hdr beat of a packet the firmware sends.
struct TxMeta {
  bool encap = false;             // 1: ESP-encapsulate the transport payload with SA sa_index;
                                  // 0: the data is a whole Ethernet frame for the wire
  std::uint16_t sa_index = 0;     // [11:0]
  std::uint8_t next_header = 17;  // encap: the inner protocol (UDP)
  std::uint8_t tos = 0;
  std::uint8_t ttl = 64;
  std::uint16_t id = 0;
  std::uint16_t frag = 0;  // flags and fragment offset as on the wire
  std::uint8_t port = 0;   // line port
};

// The register interface plus the two host streams. Not thread-safe: one firmware owns it.
class FpgaIo {
 public:
  virtual ~FpgaIo() = default;

  // 32-bit AXI-Lite access at a byte offset of the line module's register space (lm_regs.hpp).
  virtual std::uint32_t read32(std::uint32_t offset) = 0;
  virtual void write32(std::uint32_t offset, std::uint32_t value) = 0;

  // The next packet for the firmware with its header; false when nothing waits. frame is
  // overwritten (its capacity is reused: no allocation per packet once it is large enough).
  virtual bool rx_frame(RxMeta& meta, Bytes& frame) = 0;
  // Offers a packet to the FPGA; false when it cannot take it now (retry later).
  virtual bool tx_frame(const TxMeta& meta, ByteView frame) = 0;
};

}  // namespace l2sec::fw
