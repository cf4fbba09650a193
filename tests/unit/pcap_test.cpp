#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <cstdio>
#include <filesystem>

#include "l2sec/golden/ipv4.hpp"
#include "l2sec/pcap/pcap_file.hpp"

using namespace l2sec;

namespace {
std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() /
          (std::string(name) + "-" + std::to_string(::getpid()) + ".pcap"))
      .string();
}
}  // namespace

TEST(Pcap, WriteThenReadBack) {
  const std::string path = temp_path("l2sec-pcap");
  std::vector<Bytes> frames;
  for (std::size_t n : {0u, 1u, 60u, 1514u}) {
    Bytes f(n);
    for (std::size_t i = 0; i < n; ++i) f[i] = static_cast<std::uint8_t>(i * 7);
    frames.push_back(f);
  }
  {
    std::string err;
    auto w = pcap::PcapWriter::open(path, pcap::LinkType::kEthernet, &err);
    ASSERT_TRUE(w) << err;
    for (const auto& f : frames) w->write(f);
  }
  std::string err;
  auto r = pcap::PcapReader::open(path, &err);
  ASSERT_TRUE(r) << err;
  EXPECT_EQ(r->link(), DLT_EN10MB);
  std::chrono::microseconds last{0};
  for (const auto& f : frames) {
    auto rec = r->next();
    ASSERT_TRUE(rec.has_value());
    EXPECT_EQ(rec->data, f);
    EXPECT_EQ(rec->original_length, f.size());
    EXPECT_GT(rec->timestamp, last);
    last = rec->timestamp;
  }
  EXPECT_FALSE(r->next().has_value());
  EXPECT_TRUE(r->error().empty());
  std::remove(path.c_str());
}

TEST(Pcap, RawIpLinkType) {
  const std::string path = temp_path("l2sec-pcap-raw");
  const Bytes pkt = golden::build_udp_packet(0xc6120001, 0xc6120002, 1701, 1701, Bytes(4, 1));
  {
    auto w = pcap::PcapWriter::open(path, pcap::LinkType::kRawIp, nullptr);
    ASSERT_TRUE(w);
    w->write(pkt);
  }
  auto r = pcap::PcapReader::open(path, nullptr);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->link(), DLT_RAW);
  EXPECT_EQ(r->next()->data, pkt);
  std::remove(path.c_str());
}

TEST(Pcap, ErrorsNameTheProblem) {
  std::string err;
  EXPECT_FALSE(pcap::PcapReader::open("/nonexistent/x.pcap", &err));
  EXPECT_NE(err.find("No such file"), std::string::npos) << err;
  err.clear();
  EXPECT_FALSE(pcap::PcapWriter::open("/nonexistent/x.pcap", pcap::LinkType::kEthernet, &err));
  EXPECT_NE(err.find("/nonexistent/x.pcap"), std::string::npos) << err;
  // A file that is not a capture.
  const std::string junk = temp_path("l2sec-junk");
  FILE* f = std::fopen(junk.c_str(), "w");
  std::fputs("not a capture at all", f);
  std::fclose(f);
  EXPECT_FALSE(pcap::PcapReader::open(junk, &err));
  EXPECT_FALSE(err.empty());
  std::remove(junk.c_str());
}

TEST(Pcap, EthernetWrap) {
  const Bytes ip = {0x45, 0, 0, 20};
  const Bytes f = pcap::ethernet_wrap(ip);
  ASSERT_EQ(f.size(), 18u);
  EXPECT_EQ(f[12], 0x08);
  EXPECT_EQ(f[13], 0x00);
  EXPECT_EQ(f[14], 0x45);
}
