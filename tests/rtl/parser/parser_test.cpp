// lm_parser_top (rtl/parser) against the golden classifier, frame for frame: random frames of
// every class and every reachable drop reason, random valid gaps on the input and random ready on
// both outputs; the meta beat, the passed-through bytes and the AXI-Lite counters are checked.
#include <gtest/gtest.h>
#include <verilated.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "Vlm_parser_top.h"
#include "l2sec/golden/classify.hpp"
#include "l2sec/golden/ipv4.hpp"
#include "l2sec/pcap/pcap_file.hpp"
#include "lm_regs.hpp"

namespace l2sec {
namespace {

using lm::DropReason;
using lm::PktClass;

constexpr std::size_t kMinFrame = 60;    // Ethernet minimum without FCS: shorter frames are padded
constexpr std::size_t kMaxFrame = 1514;  // Ethernet maximum without FCS
constexpr std::size_t kIpOff = golden::kEthernetHeader;
constexpr std::size_t kUdpOff = kIpOff + golden::kIpv4MinHeader;
constexpr unsigned kNumClasses = static_cast<unsigned>(PktClass::kMalformed) + 1;

// The parser's fixed timing (rtl/parser/README.md): clock edges from the last beat's handshake to
// the edge where its meta beat can be taken with m_axis_meta_tready high.
constexpr std::uint64_t kMetaLatency = 3;

std::uint64_t Seed() {
  const char* env = std::getenv("L2SEC_TEST_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 0) : 0x4c4d5052u;
}

// Recomputes the IPv4 header checksum of the header at kIpOff (any IHL).
void RefreshIpCsum(Bytes& f) {
  const std::size_t ihl = static_cast<std::size_t>(f[kIpOff] & 0xf) * 4;
  if (ihl < 12 || f.size() < kIpOff + ihl) return;
  store_be16(&f[kIpOff + 10], 0);
  store_be16(&f[kIpOff + 10], golden::inet_checksum(ByteView(f).subspan(kIpOff, ihl)));
}

// Recomputes the UDP checksum of an IHL-5 UDP frame from its UDP length.
void RefreshUdpCsum(Bytes& f) {
  const std::size_t len = load_be16(&f[kUdpOff + 4]);
  if (len < golden::kUdpHeader || f.size() < kUdpOff + len) return;
  store_be16(&f[kUdpOff + 6], 0);
  store_be16(&f[kUdpOff + 6],
             golden::udp_checksum(load_be32(&f[kIpOff + 12]), load_be32(&f[kIpOff + 16]),
                                  ByteView(f).subspan(kUdpOff, len)));
}

// Random frames built from valid packets of every class, then (sometimes) mutated.
class FrameGen {
 public:
  explicit FrameGen(std::uint64_t seed) : rng_(seed) {}

  std::uint32_t U32() { return static_cast<std::uint32_t>(rng_()); }
  std::size_t Range(std::size_t lo, std::size_t hi) {  // inclusive
    return std::uniform_int_distribution<std::size_t>(lo, hi)(rng_);
  }
  bool Coin(double p) { return std::bernoulli_distribution(p)(rng_); }
  std::uint8_t Byte() { return static_cast<std::uint8_t>(rng_()); }

  Bytes RandomBytes(std::size_t n) {
    Bytes b(n);
    for (auto& x : b) x = Byte();
    return b;
  }

  // Payload sizes: many short ones (header corner cases), the rest up to max.
  std::size_t PayloadSize(std::size_t min, std::size_t max) {
    if (Coin(0.5)) return Range(min, std::min(max, min + 64));
    return Range(min, max);
  }

  Bytes Frame() {
    Bytes f = Valid();
    Pad(f);
    if (Coin(0.45)) Mutate(f);
    return f;
  }

 private:
  std::uint16_t OtherPort() {
    for (;;) {
      const auto p = static_cast<std::uint16_t>(U32());
      if (p != golden::kPortIke && p != golden::kPortNatT && p != golden::kPortL2tp) return p;
    }
  }

  Bytes Udp(std::uint16_t dport, const Bytes& body) {
    const auto sport = static_cast<std::uint16_t>(Coin(0.5) ? dport : U32());
    return pcap::ethernet_wrap(golden::build_udp_packet(U32(), U32(), sport, dport, body,
                                                        static_cast<std::uint16_t>(U32())));
  }

  Bytes IpPacket(std::uint8_t proto, std::size_t payload) {
    Bytes pkt(golden::kIpv4MinHeader + payload);
    golden::Ipv4Header h;
    h.total_length = static_cast<std::uint16_t>(pkt.size());
    h.id = static_cast<std::uint16_t>(U32());
    h.frag = Coin(0.5) ? 0x4000 : 0;
    h.protocol = proto;
    h.src = U32();
    h.dst = U32();
    golden::write_ipv4(h, pkt);
    for (std::size_t i = golden::kIpv4MinHeader; i < pkt.size(); ++i) pkt[i] = Byte();
    return pcap::ethernet_wrap(pkt);
  }

  static constexpr std::size_t kMaxUdpBody = kMaxFrame - kUdpOff - golden::kUdpHeader;
  static constexpr std::size_t kMaxIpPayload = kMaxFrame - kUdpOff;

  Bytes Valid() {
    switch (Range(0, 13)) {
      case 0:
        return Udp(golden::kPortIke, RandomBytes(PayloadSize(0, kMaxUdpBody)));
      case 1: {  // IKE behind the non-ESP marker
        Bytes body = RandomBytes(PayloadSize(4, kMaxUdpBody));
        std::fill_n(body.begin(), 4, 0);
        return Udp(golden::kPortNatT, body);
      }
      case 2:
        return Udp(golden::kPortNatT, Bytes{0xff});
      case 3:
      case 4: {  // ESP in UDP: SPI non-zero
        Bytes body = RandomBytes(PayloadSize(8, kMaxUdpBody));
        body[0] |= 0x01;
        return Udp(golden::kPortNatT, body);
      }
      case 5:
      case 6:
        return IpPacket(golden::kIpProtoEsp, PayloadSize(8, kMaxIpPayload));
      case 7:
      case 8:
        return Udp(golden::kPortL2tp, RandomBytes(PayloadSize(0, kMaxUdpBody)));
      case 9:
        return Udp(OtherPort(), RandomBytes(PayloadSize(0, kMaxUdpBody)));
      case 10: {  // not IPv4: ARP, IPv6, VLAN, anything else
        static constexpr std::array<std::uint16_t, 4> kTypes = {0x0806, 0x86dd, 0x8100, 0x88cc};
        Bytes f = RandomBytes(Range(golden::kEthernetHeader, kMaxFrame));
        store_be16(&f[12], kTypes[Range(0, kTypes.size() - 1)]);
        return f;
      }
      case 11: {  // fragment: MF set or an offset
        Bytes f = Coin(0.7) ? Udp(Coin(0.5) ? golden::kPortNatT : golden::kPortL2tp,
                                  RandomBytes(PayloadSize(0, kMaxUdpBody)))
                            : IpPacket(golden::kIpProtoEsp, PayloadSize(8, kMaxIpPayload));
        std::uint16_t frag = Coin(0.5) ? 0x2000 : static_cast<std::uint16_t>(Range(1, 0x1fff));
        if (Coin(0.3)) frag |= 0x2000;
        store_be16(&f[kIpOff + 6], frag);
        RefreshIpCsum(f);
        return f;
      }
      case 12: {  // IP options (IHL 6..15): the host's slow path
        const std::size_t opt = Range(1, 10) * 4;
        Bytes f = Udp(Coin(0.5) ? golden::kPortIke : golden::kPortNatT,
                      RandomBytes(PayloadSize(0, kMaxUdpBody - opt)));
        Bytes options = RandomBytes(opt);
        f.insert(f.begin() + kUdpOff, options.begin(), options.end());
        f[kIpOff] = static_cast<std::uint8_t>(0x40 | (5 + opt / 4));
        store_be16(&f[kIpOff + 2], static_cast<std::uint16_t>(load_be16(&f[kIpOff + 2]) + opt));
        RefreshIpCsum(f);
        return f;
      }
      default: {  // other IP protocols
        static constexpr std::array<std::uint8_t, 4> kProtos = {1, 6, 47, 51};
        return IpPacket(kProtos[Range(0, kProtos.size() - 1)], PayloadSize(0, kMaxIpPayload));
      }
    }
  }

  // Ethernet padding to 60 bytes, random (it must not enter any sum); sometimes a few more bytes
  // of trailer after the datagram.
  void Pad(Bytes& f) {
    if (Coin(0.1)) {
      const std::size_t extra = Range(1, 24);
      if (f.size() + extra <= kMaxFrame) {
        const Bytes t = RandomBytes(extra);
        f.insert(f.end(), t.begin(), t.end());
      }
    }
    while (f.size() < kMinFrame) f.push_back(Byte());
  }

  void FlipBit(Bytes& f, std::size_t lo, std::size_t hi) {
    if (lo >= f.size()) return;
    hi = std::min(hi, f.size() - 1);
    f[Range(lo, hi)] ^= static_cast<std::uint8_t>(1u << Range(0, 7));
  }

  void Mutate(Bytes& f) {
    const bool ipv4 = load_be16(&f[12]) == golden::kEtherTypeIpv4;
    switch (Range(ipv4 ? 0 : 0, ipv4 ? 12 : 0)) {
      case 0: {  // truncation, often deep into the headers
        const std::size_t n =
            Coin(0.5) ? Range(1, std::min<std::size_t>(f.size() - 1, 64)) : Range(1, f.size() - 1);
        f.resize(n);
        break;
      }
      case 1:  // IP header bit flip: header checksum
        FlipBit(f, kIpOff, kUdpOff - 1);
        break;
      case 2:  // IP header bit flip, checksum fixed: version, IHL, lengths, flags, protocol
        FlipBit(f, kIpOff, kUdpOff - 1);
        RefreshIpCsum(f);
        break;
      case 3:  // UDP header bit flip: ports, length, checksum
        FlipBit(f, kUdpOff, kUdpOff + 7);
        break;
      case 4:
      case 5:  // payload bit flip: UDP checksum
        FlipBit(f, kUdpOff + 8, f.size() - 1);
        break;
      case 6:  // IP total length anywhere near the frame's size
        store_be16(&f[kIpOff + 2], static_cast<std::uint16_t>(Range(0, f.size() - kIpOff + 16)));
        RefreshIpCsum(f);
        break;
      case 7:  // UDP length anywhere near the datagram's size
        store_be16(&f[kUdpOff + 4], static_cast<std::uint16_t>(Range(0, f.size() - kUdpOff + 8)));
        if (Coin(0.5)) RefreshUdpCsum(f);
        break;
      case 8:  // no UDP checksum: valid
        store_be16(&f[kUdpOff + 6], 0);
        break;
      case 9:  // wrong UDP checksum
        store_be16(&f[kUdpOff + 6], static_cast<std::uint16_t>(load_be16(&f[kUdpOff + 6]) + 1));
        break;
      case 10:  // IHL below 5, or another version
        if (Coin(0.5)) {
          f[kIpOff] = static_cast<std::uint8_t>(0x40 | Range(0, 4));
        } else {
          f[kIpOff] = static_cast<std::uint8_t>((Range(0, 15) << 4) | (f[kIpOff] & 0xf));
        }
        RefreshIpCsum(f);
        break;
      case 11: {  // UDP body shortened to a few bytes (keepalive / marker / ESP corner cases)
        const std::size_t body = Range(0, 9);
        store_be16(&f[kIpOff + 2],
                   static_cast<std::uint16_t>(golden::kIpv4MinHeader + golden::kUdpHeader + body));
        store_be16(&f[kUdpOff + 4], static_cast<std::uint16_t>(golden::kUdpHeader + body));
        RefreshIpCsum(f);
        RefreshUdpCsum(f);
        break;
      }
      default:  // two mutations at once
        Mutate(f);
        Mutate(f);
        break;
    }
  }

  std::mt19937_64 rng_;
};

struct FrameCase {
  Bytes bytes;
  bool passthrough = false;
  golden::Classification expect;
};

struct RunStats {
  std::uint64_t cycles = 0;
  std::uint64_t in_beats = 0;
  std::uint64_t first_in = 0;  // cycle of the first and last input handshake
  std::uint64_t last_in = 0;
  std::vector<std::uint64_t> latency;  // last-beat handshake to meta handshake, per frame
  std::vector<std::string> errors;
};

struct Readiness {
  double in_valid = 1.0;
  double out_ready = 1.0;
  double meta_ready = 1.0;
};

std::string Describe(const golden::Classification& c) {
  std::ostringstream s;
  s << "class " << static_cast<int>(c.pkt_class) << " reason " << static_cast<int>(c.reason)
    << " payload " << c.payload_offset << "+" << c.payload_length << " src " << std::hex
    << c.src_addr << ":" << std::dec << c.src_port << " dst " << std::hex << c.dst_addr << ":"
    << std::dec << c.dst_port;
  return s.str();
}

class LmNattParserRtl : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx_ = std::make_unique<VerilatedContext>();
    top_ = std::make_unique<Vlm_parser_top>(ctx_.get(), "top");
    top_->rst = 1;
    for (int i = 0; i < 4; ++i) Tick();
    top_->rst = 0;
    // The counters clear their RAMs after reset; the parser waits for them.
    for (int i = 0; i < 64 && !top_->s_axis_tready; ++i) Tick();
    ASSERT_TRUE(top_->s_axis_tready) << "parser not ready after reset";
  }

  void TearDown() override { top_->final(); }

  void Tick() {
    top_->clk = 0;
    top_->eval();
    top_->clk = 1;
    top_->eval();
    ctx_->timeInc(1);
  }

  std::uint32_t ReadReg(std::uint32_t addr) {
    top_->s_axil_araddr = static_cast<std::uint16_t>(addr);
    top_->s_axil_arvalid = 1;
    top_->s_axil_rready = 1;
    for (int i = 0; i < 16; ++i) {
      top_->clk = 0;
      top_->eval();
      const bool ar = top_->s_axil_arvalid && top_->s_axil_arready;
      const bool r = top_->s_axil_rvalid;
      const std::uint32_t data = top_->s_axil_rdata;
      top_->clk = 1;
      top_->eval();
      if (ar) top_->s_axil_arvalid = 0;
      if (r) {
        top_->s_axil_rready = 0;
        return data;
      }
    }
    ADD_FAILURE() << "AXI-Lite read of " << std::hex << addr << " timed out";
    return 0xdeadbeef;
  }

  bool WriteReg(std::uint32_t addr, std::uint32_t data) {
    top_->s_axil_awaddr = static_cast<std::uint16_t>(addr);
    top_->s_axil_wdata = data;
    top_->s_axil_wstrb = 0xf;
    top_->s_axil_awvalid = 1;
    top_->s_axil_wvalid = 1;
    top_->s_axil_bready = 1;
    for (int i = 0; i < 16; ++i) {
      top_->clk = 0;
      top_->eval();
      const bool aw = top_->s_axil_awvalid && top_->s_axil_awready;
      const bool b = top_->s_axil_bvalid;
      const bool okay = top_->s_axil_bresp == 0;
      top_->clk = 1;
      top_->eval();
      if (aw) top_->s_axil_awvalid = top_->s_axil_wvalid = 0;
      if (b) {
        top_->s_axil_bready = 0;
        return okay;
      }
    }
    return false;
  }

  golden::Classification Meta() const {
    golden::Classification c;
    c.pkt_class = static_cast<PktClass>(top_->m_axis_meta_pkt_class);
    c.reason = static_cast<DropReason>(top_->m_axis_meta_drop_reason);
    c.payload_offset = top_->m_axis_meta_payload_offset;
    c.payload_length = top_->m_axis_meta_payload_length;
    c.src_addr = top_->m_axis_meta_src_addr;
    c.dst_addr = top_->m_axis_meta_dst_addr;
    c.src_port = top_->m_axis_meta_src_port;
    c.dst_port = top_->m_axis_meta_dst_port;
    return c;
  }

  // Streams the frames through with the given readiness (re-drawn per phase of phase_len frames
  // when phases is not empty) and checks every meta beat and every output frame.
  RunStats Run(const std::vector<FrameCase>& frames, const std::vector<Readiness>& phases,
               std::size_t phase_len, std::mt19937_64& rng) {
    RunStats st;
    auto coin = [&rng](double p) { return p >= 1.0 || std::bernoulli_distribution(p)(rng); };
    const std::size_t n = frames.size();
    std::size_t in_frame = 0, in_off = 0, out_frame = 0, meta_frame = 0;
    bool valid = false;
    Bytes out_buf;
    std::vector<std::uint64_t> last_in_cycle(n, 0);
    const std::uint64_t limit = 200000 + 400ull * n;
    Readiness rd = phases.empty() ? Readiness{} : phases[0];

    auto error = [&st](std::string msg) {
      if (st.errors.size() < 20) st.errors.push_back(std::move(msg));
    };

    while ((out_frame < n || meta_frame < n) && st.cycles < limit) {
      if (!phases.empty() && phase_len > 0) rd = phases[(in_frame / phase_len) % phases.size()];
      // Drive the input: a new beat only once the previous one was taken (AXI keeps it stable).
      if (!valid && in_frame < n && coin(rd.in_valid)) {
        const Bytes& f = frames[in_frame].bytes;
        std::uint64_t data = 0;
        std::uint8_t keep = 0;
        for (std::size_t lane = 0; lane < 8; ++lane) {
          std::uint8_t b = static_cast<std::uint8_t>(rng());  // garbage in unused lanes
          if (in_off + lane < f.size()) {
            b = f[in_off + lane];
            keep = static_cast<std::uint8_t>(keep | (1u << lane));
          }
          data |= std::uint64_t{b} << (8 * lane);
        }
        top_->s_axis_tdata = data;
        top_->s_axis_tkeep = keep;
        top_->s_axis_tlast = in_off + 8 >= f.size();
        top_->nat_passthrough = frames[in_frame].passthrough;
        valid = true;
      }
      top_->s_axis_tvalid = valid;
      top_->m_axis_tready = coin(rd.out_ready);
      top_->m_axis_meta_tready = coin(rd.meta_ready);

      top_->clk = 0;
      top_->eval();
      const bool in_fire = valid && top_->s_axis_tready;
      const bool in_last = top_->s_axis_tlast;
      if (top_->m_axis_tvalid && top_->m_axis_tready) {
        const std::uint8_t keep = top_->m_axis_tkeep;
        if ((keep & (keep + 1)) != 0 || (keep != 0xff && !top_->m_axis_tlast)) {
          error("output tkeep " + std::to_string(keep) + " not contiguous / partial mid-frame");
        }
        for (std::size_t lane = 0; lane < 8; ++lane) {
          if (keep & (1u << lane)) {
            out_buf.push_back(static_cast<std::uint8_t>(top_->m_axis_tdata >> (8 * lane)));
          }
        }
        if (top_->m_axis_tlast) {
          if (out_frame >= n || out_buf != frames[out_frame].bytes) {
            error("frame " + std::to_string(out_frame) + ": passed-through bytes differ");
          }
          out_buf.clear();
          ++out_frame;
        }
      }
      if (top_->m_axis_meta_tvalid && top_->m_axis_meta_tready) {
        if (meta_frame >= n || meta_frame >= in_frame + (in_fire && in_last ? 1 : 0)) {
          error("meta beat before its frame's last beat");
        } else {
          const FrameCase& fc = frames[meta_frame];
          golden::Classification got = Meta();
          golden::Classification want = fc.expect;
          want.l3_offset = 0;  // not on the meta channel
          if (!(got == want) || top_->m_axis_meta_frame_len != fc.bytes.size()) {
            error("frame " + std::to_string(meta_frame) + " (" + std::to_string(fc.bytes.size()) +
                  " bytes, passthrough " + std::to_string(fc.passthrough) + ") " +
                  to_hex(fc.bytes) + "\n  rtl    " + Describe(got) + " len " +
                  std::to_string(top_->m_axis_meta_frame_len) + "\n  golden " + Describe(want));
          }
          st.latency.push_back(st.cycles - last_in_cycle[meta_frame]);
        }
        ++meta_frame;
      }
      top_->clk = 1;
      top_->eval();
      ctx_->timeInc(1);

      if (in_fire) {
        if (st.in_beats == 0) st.first_in = st.cycles;
        st.last_in = st.cycles;
        ++st.in_beats;
        valid = false;
        in_off += 8;
        if (in_last) {
          last_in_cycle[in_frame] = st.cycles;
          ++in_frame;
          in_off = 0;
        }
      }
      ++st.cycles;
    }
    top_->s_axis_tvalid = 0;
    if (out_frame < n || meta_frame < n) {
      error("timed out: " + std::to_string(out_frame) + " frames and " +
            std::to_string(meta_frame) + " meta beats of " + std::to_string(n));
    }
    return st;
  }

  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vlm_parser_top> top_;
};

TEST_F(LmNattParserRtl, IdentityRegisters) {
  EXPECT_EQ(ReadReg(lm::parser::kType), lm::parser::kTypeId);
  EXPECT_EQ(ReadReg(lm::parser::kVersion), lm::parser::kVersionId);
  EXPECT_EQ(ReadReg(lm::parser::kNext), lm::parser::kNextPtr);
  for (unsigned i = 0; i < lm::parser::kClassCountCount; ++i) {
    EXPECT_EQ(ReadReg(lm::parser::kClassCount + 4 * i), 0u) << "CLASS_COUNT " << i;
  }
  for (unsigned i = 0; i < lm::parser::kDropCountCount; ++i) {
    EXPECT_EQ(ReadReg(lm::parser::kDropCount + 4 * i), 0u) << "DROP_COUNT " << i;
  }
  EXPECT_EQ(ReadReg(lm::parser::kBase + 0x0c), 0u) << "hole in the block reads 0";
  // Read-only block: a write is acknowledged OKAY and changes nothing.
  EXPECT_TRUE(WriteReg(lm::parser::kType, 0x12345678));
  EXPECT_TRUE(WriteReg(lm::parser::kClassCount, 0x12345678));
  EXPECT_EQ(ReadReg(lm::parser::kType), lm::parser::kTypeId);
  EXPECT_EQ(ReadReg(lm::parser::kClassCount), 0u);
}

TEST_F(LmNattParserRtl, RandomFramesMatchGoldenWithBackpressure) {
  constexpr std::size_t kFrames = 20000;
  FrameGen gen(Seed());
  std::vector<FrameCase> frames;
  frames.reserve(kFrames);
  std::array<std::uint32_t, 16> class_tally{};
  std::array<std::uint32_t, 32> drop_tally{};
  std::map<std::pair<int, bool>, int> class_seen;  // (class, passthrough)
  std::map<int, int> reason_seen;
  int passthrough_mattered = 0;
  for (std::size_t i = 0; i < kFrames; ++i) {
    FrameCase fc;
    fc.bytes = gen.Frame();
    fc.passthrough = gen.Coin(0.5);
    fc.expect = golden::classify(fc.bytes, fc.passthrough);
    const golden::Classification other = golden::classify(fc.bytes, !fc.passthrough);
    if (fc.passthrough && other.reason == DropReason::kBadUdpCsum) ++passthrough_mattered;
    ++class_tally[static_cast<unsigned>(fc.expect.pkt_class)];
    if (fc.expect.reason != DropReason::kNone)
      ++drop_tally[static_cast<unsigned>(fc.expect.reason)];
    ++class_seen[{static_cast<int>(fc.expect.pkt_class), fc.passthrough}];
    ++reason_seen[static_cast<int>(fc.expect.reason)];
    frames.push_back(std::move(fc));
  }

  // Coverage of the stimulus: every class in both modes, every reason the classifier produces.
  for (unsigned c = 0; c < kNumClasses; ++c) {
    for (bool pt : {false, true}) {
      EXPECT_GT((class_seen[{static_cast<int>(c), pt}]), 0)
          << "class " << c << " never generated with nat_passthrough " << pt;
    }
  }
  for (DropReason r :
       {DropReason::kNone, DropReason::kTruncated, DropReason::kBadLength, DropReason::kBadIpHeader,
        DropReason::kBadIpCsum, DropReason::kBadUdpCsum, DropReason::kNatKeepalive}) {
    EXPECT_GT(reason_seen[static_cast<int>(r)], 0)
        << "drop reason " << static_cast<int>(r) << " never generated";
  }
  EXPECT_GT(passthrough_mattered, 0) << "no bad UDP checksum let through by nat_passthrough";

  // Phases of different pressure: free running, input gaps, output and meta back-pressure.
  const std::vector<Readiness> phases = {
      {1.0, 1.0, 1.0}, {0.7, 0.8, 0.6}, {0.5, 0.3, 0.9},  {1.0, 0.9, 0.1},
      {0.3, 1.0, 1.0}, {0.9, 0.5, 0.5}, {1.0, 1.0, 0.05},
  };
  std::mt19937_64 rng(Seed() ^ 0x5eed);
  const RunStats st = Run(frames, phases, 500, rng);
  for (const auto& e : st.errors) ADD_FAILURE() << e;
  ASSERT_TRUE(st.errors.empty());

  // Counters through AXI-Lite against the tally.
  EXPECT_EQ(ReadReg(lm::parser::kType), lm::parser::kTypeId);
  EXPECT_EQ(ReadReg(lm::parser::kVersion), lm::parser::kVersionId);
  EXPECT_EQ(ReadReg(lm::parser::kNext), lm::parser::kNextPtr);
  for (unsigned i = 0; i < lm::parser::kClassCountCount; ++i) {
    EXPECT_EQ(ReadReg(lm::parser::kClassCount + 4 * i), class_tally[i]) << "CLASS_COUNT " << i;
  }
  for (unsigned i = 0; i < lm::parser::kDropCountCount; ++i) {
    EXPECT_EQ(ReadReg(lm::parser::kDropCount + 4 * i), drop_tally[i]) << "DROP_COUNT " << i;
  }
  std::printf("%zu frames, %llu beats in %llu cycles; classes:", kFrames,
              static_cast<unsigned long long>(st.in_beats),
              static_cast<unsigned long long>(st.cycles));
  for (unsigned c = 0; c < kNumClasses; ++c) std::printf(" %u", class_tally[c]);
  std::printf("; drops:");
  for (unsigned r = 0; r < 8; ++r) std::printf(" %u", drop_tally[r]);
  std::printf("\n");
}

// With every ready high and no input gaps, the parser takes one beat per clock, also for frames of
// one beat, and the meta beat follows the last beat by a fixed latency.
TEST_F(LmNattParserRtl, FullRateAndFixedLatency) {
  FrameGen gen(Seed() + 1);
  std::vector<FrameCase> frames;
  for (std::size_t i = 0; i < 3000; ++i) {
    FrameCase fc;
    if (i % 3 == 0) {
      fc.bytes = gen.RandomBytes(gen.Range(1, 8));  // one-beat runts, back to back
    } else {
      fc.bytes = gen.Frame();
    }
    fc.passthrough = gen.Coin(0.5);
    fc.expect = golden::classify(fc.bytes, fc.passthrough);
    frames.push_back(std::move(fc));
  }
  std::mt19937_64 rng(1);
  const RunStats st = Run(frames, {}, 0, rng);
  for (const auto& e : st.errors) ADD_FAILURE() << e;
  ASSERT_TRUE(st.errors.empty());
  EXPECT_EQ(st.last_in - st.first_in + 1, st.in_beats) << "input stalled at full rate";
  ASSERT_EQ(st.latency.size(), frames.size());
  for (std::size_t i = 0; i < st.latency.size(); ++i) {
    ASSERT_EQ(st.latency[i], kMetaLatency) << "frame " << i;
  }
  std::printf("full rate: %llu beats in %llu cycles (%.3f beats/cycle), meta latency %llu\n",
              static_cast<unsigned long long>(st.in_beats),
              static_cast<unsigned long long>(st.last_in - st.first_in + 1),
              static_cast<double>(st.in_beats) / static_cast<double>(st.last_in - st.first_in + 1),
              static_cast<unsigned long long>(kMetaLatency));
}

// A stalled header channel stops the input once the meta FIFO's worth of frames waits (8 with
// META_DEPTH_LOG2 = 3); releasing it delivers every verdict, in order, and the input resumes.
TEST_F(LmNattParserRtl, MetaBackpressureStopsInput) {
  constexpr unsigned kMetaDepth = 8;
  // One-beat runts (4 bytes): MALFORMED / TRUNCATED, frame_len 4.
  top_->s_axis_tdata = 0x0123456789abcdefull;
  top_->s_axis_tkeep = 0x0f;
  top_->s_axis_tlast = 1;
  top_->s_axis_tvalid = 1;
  top_->m_axis_tready = 1;
  top_->m_axis_meta_tready = 0;
  unsigned taken = 0;
  for (int i = 0; i < 200; ++i) {
    top_->clk = 0;
    top_->eval();
    if (top_->s_axis_tready) ++taken;
    top_->clk = 1;
    top_->eval();
  }
  EXPECT_EQ(taken, kMetaDepth);
  top_->s_axis_tvalid = 0;
  top_->m_axis_meta_tready = 1;
  unsigned metas = 0;
  for (int i = 0; i < 50; ++i) {
    top_->clk = 0;
    top_->eval();
    if (top_->m_axis_meta_tvalid) {
      ++metas;
      EXPECT_EQ(top_->m_axis_meta_pkt_class, static_cast<unsigned>(PktClass::kMalformed));
      EXPECT_EQ(top_->m_axis_meta_drop_reason, static_cast<unsigned>(DropReason::kTruncated));
      EXPECT_EQ(top_->m_axis_meta_frame_len, 4u);
    }
    top_->clk = 1;
    top_->eval();
  }
  EXPECT_EQ(metas, kMetaDepth);
  EXPECT_EQ(ReadReg(lm::parser::kClassCount + 4 * static_cast<unsigned>(PktClass::kMalformed)),
            kMetaDepth);
  EXPECT_EQ(ReadReg(lm::parser::kDropCount + 4 * static_cast<unsigned>(DropReason::kTruncated)),
            kMetaDepth);

  // Then random traffic with a header channel that is rarely ready.
  FrameGen gen(Seed() + 2);
  std::vector<FrameCase> frames;
  for (std::size_t i = 0; i < 400; ++i) {
    FrameCase fc;
    fc.bytes = gen.Frame();
    fc.expect = golden::classify(fc.bytes, false);
    frames.push_back(std::move(fc));
  }
  std::mt19937_64 rng(2);
  const RunStats st = Run(frames, {{1.0, 1.0, 0.02}}, 1, rng);
  for (const auto& e : st.errors) ADD_FAILURE() << e;
  EXPECT_TRUE(st.errors.empty());
}

}  // namespace
}  // namespace l2sec
