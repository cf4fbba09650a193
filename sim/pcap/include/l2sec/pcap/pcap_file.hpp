// Reading and writing pcap files through libpcap (pcap_open_dead/pcap_dump and pcap_open_offline).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "l2sec/golden/bytes.hpp"

struct pcap;
struct pcap_dumper;

namespace l2sec::pcap {

// Link types as libpcap's DLT_ values.
enum class LinkType : int {
  kEthernet = 1,  // DLT_EN10MB
  kRawIp = 12,    // DLT_RAW: each record starts with the IP header
};

struct Record {
  std::chrono::microseconds timestamp{};
  std::uint32_t original_length = 0;
  Bytes data;
};

// Writes a capture. Opening fails with a message naming the file; write() never throws.
class PcapWriter {
 public:
  static std::unique_ptr<PcapWriter> open(const std::string& path, LinkType link,
                                          std::string* error);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  void write(ByteView frame, std::chrono::microseconds timestamp);
  // Timestamps a fixed 1 ms apart from the first, so captures are reproducible.
  void write(ByteView frame);
  void flush();
  LinkType link() const { return link_; }

 private:
  PcapWriter(::pcap* handle, ::pcap_dumper* dumper, LinkType link)
      : handle_(handle), dumper_(dumper), link_(link) {}
  ::pcap* handle_;
  ::pcap_dumper* dumper_;
  LinkType link_;
  std::int64_t next_us_ = 1'700'000'000'000'000;
};

class PcapReader {
 public:
  static std::unique_ptr<PcapReader> open(const std::string& path, std::string* error);
  ~PcapReader();
  PcapReader(const PcapReader&) = delete;
  PcapReader& operator=(const PcapReader&) = delete;

  // The file's link type as libpcap reports it (a DLT_ value).
  int link() const;
  // The next record, or nullopt at the end (or on a truncated file: see error()).
  std::optional<Record> next();
  const std::string& error() const { return error_; }

 private:
  explicit PcapReader(::pcap* handle) : handle_(handle) {}
  ::pcap* handle_;
  std::string error_;
};

// Wraps an IPv4 packet in an Ethernet II header between two fixed, locally administered MACs.
Bytes ethernet_wrap(ByteView ipv4_packet);

}  // namespace l2sec::pcap
