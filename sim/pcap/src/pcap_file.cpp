#include "l2sec/pcap/pcap_file.hpp"

#include <pcap/pcap.h>

#include <cstring>

#include "l2sec/golden/classify.hpp"

namespace l2sec::pcap {

std::unique_ptr<PcapWriter> PcapWriter::open(const std::string& path, LinkType link,
                                             std::string* error) {
  ::pcap* handle = pcap_open_dead(static_cast<int>(link), 65535);
  if (handle == nullptr) {
    if (error != nullptr) *error = "pcap_open_dead failed";
    return nullptr;
  }
  ::pcap_dumper* dumper = pcap_dump_open(handle, path.c_str());
  if (dumper == nullptr) {
    if (error != nullptr) *error = path + ": " + pcap_geterr(handle);
    pcap_close(handle);
    return nullptr;
  }
  return std::unique_ptr<PcapWriter>(new PcapWriter(handle, dumper, link));
}

PcapWriter::~PcapWriter() {
  pcap_dump_close(dumper_);
  pcap_close(handle_);
}

void PcapWriter::write(ByteView frame, std::chrono::microseconds timestamp) {
  pcap_pkthdr hdr{};
  hdr.ts.tv_sec = static_cast<time_t>(timestamp.count() / 1'000'000);
  hdr.ts.tv_usec = static_cast<suseconds_t>(timestamp.count() % 1'000'000);
  hdr.caplen = static_cast<bpf_u_int32>(frame.size());
  hdr.len = hdr.caplen;
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &hdr, frame.data());
}

void PcapWriter::write(ByteView frame) {
  write(frame, std::chrono::microseconds(next_us_));
  next_us_ += 1000;
}

void PcapWriter::flush() { pcap_dump_flush(dumper_); }

std::unique_ptr<PcapReader> PcapReader::open(const std::string& path, std::string* error) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  ::pcap* handle = pcap_open_offline(path.c_str(), errbuf);
  if (handle == nullptr) {
    if (error != nullptr) *error = errbuf;
    return nullptr;
  }
  return std::unique_ptr<PcapReader>(new PcapReader(handle));
}

PcapReader::~PcapReader() { pcap_close(handle_); }

int PcapReader::link() const { return pcap_datalink(handle_); }

std::optional<Record> PcapReader::next() {
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(handle_, &hdr, &data);
  if (rc != 1) {
    if (rc == PCAP_ERROR) error_ = pcap_geterr(handle_);
    return std::nullopt;
  }
  Record r;
  r.timestamp =
      std::chrono::microseconds(std::int64_t{hdr->ts.tv_sec} * 1'000'000 + hdr->ts.tv_usec);
  r.original_length = hdr->len;
  r.data.assign(data, data + hdr->caplen);
  return r;
}

Bytes ethernet_wrap(ByteView ipv4_packet) { return golden::ethernet_frame(ipv4_packet); }

}  // namespace l2sec::pcap
