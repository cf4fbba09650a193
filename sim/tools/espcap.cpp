// l2sec-espcap: a client behind NAT and the router exchange L2TP through ESP made and checked by
// the golden model, for every suite, with and without NAT-T; the router's side is written to a
// capture, together with the esp_sa entries tshark needs to decrypt it.
//
//   l2sec-espcap [--out DIR] [--tshark]
//
// Exit status 0 when every packet decapsulated back to what was sent.

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "l2sec/golden/esp.hpp"
#include "l2sec/pcap/pcap_file.hpp"
#include "l2sec/pcap/tshark.hpp"
#include "l2sec/traffic/l2tp_samples.hpp"

using namespace l2sec;
using golden::SaConfig;

namespace {

// Addresses from the 198.18.0.0/15 benchmarking range.
constexpr std::uint32_t kClientPrivate = 0xc612000f;  // 198.18.0.15, behind the NAT
constexpr std::uint32_t kNatPublic = 0xc6120102;      // 198.18.1.2, the NAT's outside address
constexpr std::uint16_t kNatPort = 61001;             // the NAT's mapping of the client's 4500
constexpr std::uint32_t kClientDirect = 0xc6120114;   // 198.18.1.20, a client without NAT
constexpr std::uint32_t kRouter = 0xc6120201;         // 198.18.2.1, the LNS

struct Suite {
  const char* name;
  lm::Cipher cipher;
  lm::Integ integ;
  lm::IcvLen icv;
};

constexpr Suite kSuites[] = {
    {"aes128-sha1-96", lm::Cipher::kAesCbc128, lm::Integ::kHmacSha1, lm::IcvLen::kIcv96},
    {"aes192-sha1-96", lm::Cipher::kAesCbc192, lm::Integ::kHmacSha1, lm::IcvLen::kIcv96},
    {"aes256-sha256-128", lm::Cipher::kAesCbc256, lm::Integ::kHmacSha256, lm::IcvLen::kIcv128},
    {"aes256-sha256-96", lm::Cipher::kAesCbc256, lm::Integ::kHmacSha256, lm::IcvLen::kIcv96},
    {"3des-sha1-96", lm::Cipher::kDes3Cbc, lm::Integ::kHmacSha1, lm::IcvLen::kIcv96},
};

Bytes random_key(std::size_t n) {
  Bytes k(n);
  golden::random_bytes(k);
  return k;
}

// What a NAT does to ESP in UDP: outgoing, a new source address and port; incoming, the reverse
// on the destination. ESP in UDP carries a zero UDP checksum, so only the IPv4 checksum changes.
void nat_rewrite(Bytes& pkt, bool source, std::uint32_t addr, std::uint16_t port) {
  store_be32(pkt.data() + (source ? 12 : 16), addr);
  golden::refresh_ipv4_checksum(pkt);
  if (pkt[9] == golden::kIpProtoUdp) store_be16(pkt.data() + (source ? 20 : 22), port);
}

struct Args {
  std::string out = ".";
  bool tshark = false;
};

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
      args.out = argv[++i];
    } else if (std::strcmp(argv[i], "--tshark") == 0) {
      args.tshark = true;
    } else {
      std::fprintf(stderr, "usage: %s [--out DIR] [--tshark]\n", argv[0]);
      return 2;
    }
  }
  const std::string pcap_path = args.out + "/esp-l2tp.pcap";
  std::string error;
  auto writer = pcap::PcapWriter::open(pcap_path, pcap::LinkType::kEthernet, &error);
  if (!writer) {
    std::fprintf(stderr, "l2sec-espcap: %s\n", error.c_str());
    return 1;
  }

  std::vector<std::string> uat;
  int failures = 0;
  std::uint32_t spi = 0xc0010100;
  std::printf("%-18s %-9s %-6s %5s %5s %9s\n", "suite", "encap", "dir", "pkts", "ok", "bytes");
  for (const Suite& suite : kSuites) {
    for (bool natt : {true, false}) {
      const std::uint32_t client = natt ? kClientPrivate : kClientDirect;
      const std::uint32_t client_outside = natt ? kNatPublic : kClientDirect;
      // Client -> router SA, as the client and as the router hold it; then router -> client.
      SaConfig c2r;
      c2r.spi = ++spi;
      c2r.cipher = suite.cipher;
      c2r.integ = suite.integ;
      c2r.icv_len = suite.icv;
      c2r.encap = natt ? lm::Encap::kUdp : lm::Encap::kNone;
      c2r.enc_key = random_key(golden::cipher_key_len(suite.cipher));
      c2r.auth_key = random_key(golden::integ_key_len(suite.integ));
      SaConfig r2c = c2r;
      r2c.spi = ++spi;
      r2c.enc_key = random_key(golden::cipher_key_len(suite.cipher));
      r2c.auth_key = random_key(golden::integ_key_len(suite.integ));

      golden::EspEngine client_engine, router_engine;
      SaConfig c_out = c2r;  // client's outbound view: its own private address
      c_out.direction = lm::Direction::kOutbound;
      c_out.local_addr = client;
      c_out.peer_addr = kRouter;
      SaConfig r_in = c2r;  // router's inbound view: NAT-OA tells it the client's original address
      r_in.direction = lm::Direction::kInbound;
      r_in.local_addr = kRouter;
      r_in.peer_addr = client_outside;
      r_in.peer_port = kNatPort;
      if (natt) r_in.natoa_peer = kClientPrivate;
      SaConfig r_out = r2c;
      r_out.direction = lm::Direction::kOutbound;
      r_out.local_addr = kRouter;
      r_out.peer_addr = client_outside;
      r_out.peer_port = natt ? kNatPort : golden::kPortNatT;
      r_out.iv_mode = golden::IvMode::kCounter;
      r_out.iv_key = random_key(16);
      SaConfig c_in = r2c;
      c_in.direction = lm::Direction::kInbound;
      c_in.local_addr = client;                 // the NAT translates the destination back
      if (natt) c_in.natoa_local = kNatPublic;  // the router sent to the NAT's address
      c_in.peer_addr = kRouter;

      auto h_c_out = client_engine.add_sa(c_out, &error);
      auto h_c_in = client_engine.add_sa(c_in, &error);
      auto h_r_in = router_engine.add_sa(r_in, &error);
      auto h_r_out = router_engine.add_sa(r_out, &error);
      if (!h_c_out || !h_c_in || !h_r_in || !h_r_out) {
        std::fprintf(stderr, "l2sec-espcap: %s: %s\n", suite.name, error.c_str());
        return 1;
      }
      uat.push_back(pcap::tshark_esp_sa(r_in, client_outside, kRouter));
      uat.push_back(pcap::tshark_esp_sa(r_out, kRouter, client_outside));

      // The LAC's side of a tunnel and session set-up, then a ping in PPP.
      const std::uint16_t tid = static_cast<std::uint16_t>(spi & 0xffff);
      std::vector<Bytes> l2tp_up = {
          traffic::l2tp_sccrq(tid, "lac.example"),
          traffic::l2tp_hello(1, 1, 1),
          traffic::l2tp_data(1, 1, traffic::kPppLcp,
                             traffic::lcp_configure_request(1, 1400, 0x1a2b3c4d)),
          traffic::l2tp_data(1, 1, traffic::kPppIp,
                             traffic::icmp_echo(0xc6130002, 0xc6130001, 1, 56)),
          traffic::l2tp_data(1, 1, traffic::kPppIp,
                             traffic::icmp_echo(0xc6130002, 0xc6130001, 2, 1300)),
      };
      int ok_up = 0, ok_down = 0;
      std::size_t bytes = 0;
      Bytes wire, plain;
      for (std::size_t i = 0; i < l2tp_up.size(); ++i) {
        const Bytes l2tp =
            golden::build_udp_packet(client, kRouter, golden::kPortL2tp, golden::kPortL2tp,
                                     l2tp_up[i], static_cast<std::uint16_t>(i + 1));
        if (!client_engine.encap(*h_c_out, l2tp, wire).ok()) continue;
        if (natt) nat_rewrite(wire, true, kNatPublic, kNatPort);
        writer->write(pcap::ethernet_wrap(wire));
        auto r = router_engine.decap(wire, plain);
        // After decap the packet carries the NAT's address; its UDP checksum must verify.
        const bool same_payload = r.ok() && plain.size() == l2tp.size() &&
                                  std::equal(plain.begin() + 28, plain.end(), l2tp.begin() + 28);
        const bool csum =
            r.ok() && golden::udp_checksum_ok(client_outside, kRouter, ByteView(plain).subspan(20));
        if (same_payload && csum && r.sa == *h_r_in) {
          ++ok_up;
          bytes += l2tp_up[i].size();
        }
        // The router answers each message through its outbound SA.
        const Bytes reply =
            golden::build_udp_packet(kRouter, client_outside, golden::kPortL2tp, golden::kPortL2tp,
                                     traffic::l2tp_hello(tid, static_cast<std::uint16_t>(i),
                                                         static_cast<std::uint16_t>(i + 1)),
                                     static_cast<std::uint16_t>(100 + i));
        if (!router_engine.encap(*h_r_out, reply, wire).ok()) continue;
        writer->write(pcap::ethernet_wrap(wire));
        if (natt) nat_rewrite(wire, false, kClientPrivate, golden::kPortNatT);
        auto back = client_engine.decap(wire, plain);
        // The client sees its own address as destination, and a UDP checksum that verifies.
        const bool same = back.ok() && plain.size() == reply.size() &&
                          std::equal(plain.begin() + 28, plain.end(), reply.begin() + 28);
        if (same && golden::udp_checksum_ok(kRouter, client, ByteView(plain).subspan(20))) {
          ++ok_down;
        }
      }
      const int n = static_cast<int>(l2tp_up.size());
      failures += (n - ok_up) + (n - ok_down);
      std::printf("%-18s %-9s %-6s %5d %5d %9zu\n", suite.name, natt ? "udp-4500" : "esp", "in", n,
                  ok_up, bytes);
      std::printf("%-18s %-9s %-6s %5d %5d %9s\n", suite.name, natt ? "udp-4500" : "esp", "out", n,
                  ok_down, "");
    }
  }
  writer.reset();

  const std::string uat_path = args.out + "/esp-l2tp.esp_sa";
  std::ofstream uat_file(uat_path);
  for (const auto& e : uat) uat_file << e << "\n";
  uat_file.close();
  std::printf("\ncapture: %s\ntshark esp_sa entries: %s\n", pcap_path.c_str(), uat_path.c_str());

  if (args.tshark) {
    auto run = pcap::run_tshark(pcap_path, pcap::tshark_esp_args(uat));
    if (run.exit_code < 0) {
      std::printf("tshark not found; install it with scripts/setup-debian.sh\n");
    } else {
      std::printf("\n--- what tshark reads of it (decrypted with the SA keys) ---\n");
      std::istringstream lines(run.output);
      for (std::string line; std::getline(lines, line);) {
        if (line.rfind("Running as user", 0) != 0) std::printf("%s\n", line.c_str());
      }
      // Tally tshark's own verdicts: ICVs it verified, frames it found malformed.
      auto args2 = pcap::tshark_esp_args(uat);
      args2.insert(args2.end(), {"-T", "fields", "-e", "esp.icv_good", "-e", "_ws.malformed"});
      auto tally = pcap::run_tshark(pcap_path, args2);
      int frames = 0, good = 0, malformed = 0;
      std::istringstream t(tally.output);
      for (std::string line; std::getline(t, line);) {
        if (line.rfind("Running as user", 0) == 0) continue;
        ++frames;
        good += line.rfind("1", 0) == 0;
        malformed += line.find("alformed") != std::string::npos;
      }
      std::printf("\ntshark: %d frames, %d ICVs verified, %d malformed\n", frames, good, malformed);
      if (good != frames || malformed != 0) ++failures;
    }
  }
  if (failures != 0) {
    std::fprintf(stderr, "l2sec-espcap: %d packets did not survive the round trip\n", failures);
    return 1;
  }
  return 0;
}
