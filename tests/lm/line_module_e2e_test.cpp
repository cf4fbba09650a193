// The line module end to end: the host's LineModuleBackend -> driver (SimDevice in this process,
// LmsimDevice to an lmsim child process) -> host mailbox -> firmware -> Verilated lm_top -> line
// port, and back. The client is the golden ESP model; what it seals the RTL must open and what the
// RTL seals it must open.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "l2sec/driver/sim_device.hpp"
#include "l2sec/golden/crypto.hpp"
#include "l2sec/golden/esp.hpp"
#include "l2sec/golden/ipv4.hpp"
#include "l2sec/ipsec/frame_port.hpp"
#include "l2sec/ipsec/line_module_backend.hpp"
#include "l2sec/sim/lm/line_card.hpp"
#include "l2sec/sim/lm/line_port.hpp"
#include "l2sec/sim/lm/shm_ring.hpp"
#include "l2sec/sim/lm/unix_socket.hpp"

namespace l2sec::ipsec {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kGateway = 0xc6120002;  // 198.18.0.2
constexpr std::uint32_t kClient = 0xc6120101;   // 198.18.1.1 (no NAT in these tests)
constexpr std::uint16_t kClientPort = 4500;

Bytes random(std::size_t n) {
  Bytes b(n);
  golden::random_bytes(b);
  return b;
}

Bytes l2tp_message(std::size_t n, std::uint32_t tag) {
  Bytes m(std::max<std::size_t>(n, 12), 0);
  m[0] = 0x02;  // L2TP data message, version 2
  m[1] = 0x02;
  store_be32(m.data() + 4, tag);
  for (std::size_t i = 12; i < m.size(); ++i) m[i] = static_cast<std::uint8_t>(i * 7 + tag);
  return m;
}

// The client: the golden model holding the mirror of one gateway SA pair.
struct Client {
  golden::EspEngine engine;
  golden::SaHandle out = golden::kNoSa, in = golden::kNoSa;
  std::uint32_t spi_in = 0, spi_out = 0;  // the gateway's inbound and outbound SPIs
};

struct Suite {
  lm::Cipher cipher;
  lm::Integ integ;
  lm::Encap encap;
};

class LineModuleE2e : public ::testing::Test {
 public:
  void SetUp() override {
    auto [ours, wire] = make_memory_link();
    wire_ = wire.get();
    wire_owner_ = std::move(wire);
    std::string error;
    auto device =
        driver::SimDevice::create("sim:e2e", std::make_unique<lmsim::EthernetPort>(std::move(ours)),
                                  lmsim::LineCardOptions{}, &error);
    ASSERT_TRUE(device) << error;
    sim_ = device.get();
    backend_ = LineModuleBackend::create(std::move(device), {}, &error);
    ASSERT_TRUE(backend_) << error;
  }

  void install(SaHandle handle, Client& c, Suite s, Lifetime soft = {}, Lifetime hard = {},
               std::uint16_t client_port = kClientPort) {
    install_on(*backend_, handle, c, s, soft, hard, kGateway, kClient, client_port);
  }

  static void install_on(Backend& b, SaHandle handle, Client& c, Suite s, Lifetime soft,
                         Lifetime hard, std::uint32_t gw, std::uint32_t client,
                         std::uint16_t client_port) {
    golden::SaConfig in;
    in.spi = b.allocate_spi();
    in.direction = lm::Direction::kInbound;
    in.cipher = s.cipher;
    in.integ = s.integ;
    in.icv_len = s.integ == lm::Integ::kHmacSha256 ? lm::IcvLen::kIcv128 : lm::IcvLen::kIcv96;
    in.encap = s.encap;
    in.enc_key = random(golden::cipher_key_len(s.cipher));
    in.auth_key = random(golden::integ_key_len(s.integ));
    in.local_addr = gw;
    in.peer_addr = client;
    in.local_port = golden::kPortNatT;
    in.peer_port = client_port;
    in.only_next_header = golden::kIpProtoUdp;
    golden::SaConfig out = in;
    out.spi = 0x50000000u | (in.spi & 0xfffff);
    out.direction = lm::Direction::kOutbound;
    out.enc_key = random(golden::cipher_key_len(s.cipher));
    out.auth_key = random(golden::integ_key_len(s.integ));
    ASSERT_TRUE(b.add_sa({handle, in, soft, hard}).ok());
    ASSERT_TRUE(b.add_sa({handle, out, soft, hard}).ok());
    c.spi_in = in.spi;
    c.spi_out = out.spi;
    golden::SaConfig c_out = in;
    c_out.direction = lm::Direction::kOutbound;
    std::swap(c_out.local_addr, c_out.peer_addr);
    c_out.local_port = client_port;
    c_out.peer_port = golden::kPortNatT;
    golden::SaConfig c_in = out;
    c_in.direction = lm::Direction::kInbound;
    std::swap(c_in.local_addr, c_in.peer_addr);
    c_in.local_port = client_port;
    c_in.peer_port = golden::kPortNatT;
    std::string error;
    c.out = c.engine.add_sa(c_out, &error).value_or(golden::kNoSa);
    c.in = c.engine.add_sa(c_in, &error).value_or(golden::kNoSa);
    ASSERT_NE(c.out, golden::kNoSa) << error;
    ASSERT_NE(c.in, golden::kNoSa) << error;
  }

  // An L2TP message in ESP from the client (inner UDP lac_port -> 1701).
  static Bytes seal(Client& c, ByteView l2tp, std::uint32_t client = kClient,
                    std::uint32_t gw = kGateway, std::uint16_t lac_port = 1701) {
    const Bytes pkt = golden::build_udp_packet(client, gw, lac_port, golden::kPortL2tp, l2tp);
    Bytes esp;
    const auto r = c.engine.encap_payload(c.out, golden::kIpProtoUdp,
                                          ByteView(pkt).subspan(golden::kIpv4MinHeader),
                                          golden::Ipv4Header{}, esp);
    EXPECT_TRUE(r.ok()) << lm::to_string(r.reason);
    return esp;
  }

  // The client opens what the gateway sent: the L2TP message, or nullopt.
  static std::optional<Bytes> open(Client& c, ByteView wire) {
    Bytes inner;
    const auto r = c.engine.decap(wire, inner);
    if (!r.ok() || inner.size() < 28) return std::nullopt;
    return Bytes(inner.begin() + 28, inner.end());
  }

  std::vector<HostPacket> receive_all() {
    std::vector<HostPacket> got;
    while (auto hp = backend_->receive()) got.push_back(std::move(*hp));
    return got;
  }

  ipsec::MemoryPort* wire_ = nullptr;
  std::unique_ptr<MemoryPort> wire_owner_;
  driver::SimDevice* sim_ = nullptr;
  std::unique_ptr<LineModuleBackend> backend_;
};

TEST_F(LineModuleE2e, EverySuiteDecapsulatesHandsUpWithTheHandleAndEncapsulatesTheReply) {
  const Suite suites[] = {
      {lm::Cipher::kAesCbc128, lm::Integ::kHmacSha1, lm::Encap::kUdp},
      {lm::Cipher::kAesCbc192, lm::Integ::kHmacSha256, lm::Encap::kUdp},
      {lm::Cipher::kAesCbc256, lm::Integ::kHmacSha256, lm::Encap::kNone},
      {lm::Cipher::kAesCbc256, lm::Integ::kHmacSha1, lm::Encap::kUdp},
  };
  SaHandle handle = 10;
  for (const Suite& s : suites) {
    Client c;
    install(handle, c, s);
    for (const std::size_t size : {12u, 100u, 1400u}) {
      const Bytes msg = l2tp_message(size, handle);
      wire_->send(seal(c, msg, kClient, kGateway, 1702));
      const auto got = receive_all();
      ASSERT_EQ(got.size(), 1u) << "suite " << handle << " size " << size;
      EXPECT_EQ(got[0].handle, handle);
      EXPECT_EQ(got[0].spi, c.spi_in);
      EXPECT_EQ(got[0].inner_src_port, 1702);
      EXPECT_EQ(got[0].payload, msg);
      EXPECT_EQ(got[0].peer.addr, kClient);

      const Bytes reply = l2tp_message(size + 3, handle + 1000);
      ASSERT_TRUE(backend_->send_l2tp(handle, 1702, reply).ok());
      const auto wire = wire_->receive();
      ASSERT_TRUE(wire);
      EXPECT_EQ((*wire)[9], s.encap == lm::Encap::kUdp ? golden::kIpProtoUdp : golden::kIpProtoEsp);
      EXPECT_EQ(open(c, *wire), reply);
    }
    const auto st = backend_->query_sa(c.spi_in, lm::Direction::kInbound);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->path, DataPath::kLineModule);
    EXPECT_EQ(st->stats.packets, 3u);
    const auto out = backend_->query_sa(c.spi_out, lm::Direction::kOutbound);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->last_seq, 3u);
    EXPECT_TRUE(out->active_outbound);
    ++handle;
  }
}

TEST_F(LineModuleE2e, NatKeepalivesAreDiscardedAndCounted) {
  const auto before = backend_->counters_of_device();
  ASSERT_TRUE(before);
  for (int i = 0; i < 5; ++i) {
    wire_->send(golden::build_udp_packet(kClient, kGateway, 40000 + i, 4500, Bytes{0xff}));
  }
  EXPECT_TRUE(receive_all().empty());
  const auto after = backend_->counters_of_device();
  ASSERT_TRUE(after);
  const auto ka = static_cast<std::size_t>(lm::PktClass::kNatKeepalive);
  EXPECT_EQ(after->parser_class[ka] - before->parser_class[ka], 5u);
  EXPECT_EQ(after->keepalives[0] - before->keepalives[0], 5u);
  EXPECT_EQ(after->firmware[static_cast<std::size_t>(fw::FwCounter::kRxToHost)],
            before->firmware[static_cast<std::size_t>(fw::FwCounter::kRxToHost)]);
}

TEST_F(LineModuleE2e, RekeyUnderContinuousTrafficLosesNothing) {
  const Suite s{lm::Cipher::kAesCbc128, lm::Integ::kHmacSha1, lm::Encap::kUdp};
  Client old_c, new_c;
  install(7, old_c, s);
  int sent_in = 0, got_in = 0, sent_out = 0, opened_out = 0;
  Client* current = &old_c;
  auto exchange = [&](int tag) {
    // Two packets in flight from the client, one reply each way per round.
    wire_->send(seal(*current, l2tp_message(60, static_cast<std::uint32_t>(tag))));
    wire_->send(seal(*current, l2tp_message(300, static_cast<std::uint32_t>(tag + 1))));
    sent_in += 2;
    for (const auto& hp : receive_all()) {
      EXPECT_EQ(hp.handle, 7u);
      ++got_in;
    }
    ASSERT_TRUE(
        backend_->send_l2tp(7, 1701, l2tp_message(80, static_cast<std::uint32_t>(tag))).ok());
    ++sent_out;
    while (auto w = wire_->receive()) {
      // During the overlap the client holds both inbound SAs, as a real one does.
      if (open(new_c.in != golden::kNoSa ? new_c : old_c, *w) || open(old_c, *w)) ++opened_out;
    }
  };
  for (int i = 0; i < 6; ++i) exchange(i * 10);
  // Make-before-break: the new pair goes in while old traffic is still arriving.
  wire_->send(seal(old_c, l2tp_message(40, 999)));
  ++sent_in;
  install(7, new_c, s);
  for (const auto& hp : receive_all()) {
    EXPECT_EQ(hp.spi, old_c.spi_in);  // sent before the switch, opened by the old SA
    ++got_in;
  }
  for (int i = 6; i < 9; ++i) exchange(i * 10);  // still the old SA from the client
  current = &new_c;
  for (int i = 9; i < 15; ++i) exchange(i * 10);
  ASSERT_TRUE(backend_->del_sa(old_c.spi_in, lm::Direction::kInbound).ok());
  ASSERT_TRUE(backend_->del_sa(old_c.spi_out, lm::Direction::kOutbound).ok());
  for (int i = 15; i < 18; ++i) exchange(i * 10);
  EXPECT_EQ(got_in, sent_in);
  EXPECT_EQ(opened_out, sent_out);
  const auto st = backend_->query_sa(new_c.spi_in, lm::Direction::kInbound);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->stats.packets, 18u);  // rounds 9..17, two each
}

TEST_F(LineModuleE2e, LifetimesExpireByBytesAndBySeconds) {
  const Suite s{lm::Cipher::kAesCbc128, lm::Integ::kHmacSha256, lm::Encap::kUdp};
  // Bytes (the firmware counts): a 1000-byte hard limit on handle 1, soft at 400.
  Client a;
  install(1, a, s, Lifetime{0, 400}, Lifetime{0, 1000});
  int handed_up = 0;
  for (int i = 0; i < 8; ++i) {
    wire_->send(seal(a, l2tp_message(200, static_cast<std::uint32_t>(i))));
    handed_up += static_cast<int>(receive_all().size());
  }
  bool soft = false, hard = false;
  while (auto ev = backend_->next_event()) {
    if (ev->spi != a.spi_in) continue;
    soft |= ev->kind == EventKind::kSoftExpire;
    hard |= ev->kind == EventKind::kHardExpire;
  }
  EXPECT_TRUE(soft);
  EXPECT_TRUE(hard);
  EXPECT_FALSE(backend_->query_sa(a.spi_in, lm::Direction::kInbound).has_value());
  EXPECT_GE(handed_up, 4);  // at least 1000 bytes' worth went through
  EXPECT_LT(handed_up, 8);  // and the rest was refused once the SA was gone
  // Seconds (the back end's tick): soft at 30 s, hard at 60 s on handle 2.
  Client b;
  install(2, b, s, Lifetime{30, 0}, Lifetime{60, 0});
  const auto t0 = Clock::now();
  backend_->tick(t0 + 10s);
  while (auto ev = backend_->next_event()) EXPECT_NE(ev->handle, 2u);
  backend_->tick(t0 + 31s);
  int soft2 = 0;
  while (auto ev = backend_->next_event())
    soft2 += ev->handle == 2 && ev->kind == EventKind::kSoftExpire;
  EXPECT_EQ(soft2, 2);
  wire_->send(seal(b, l2tp_message(50, 1)));
  EXPECT_EQ(receive_all().size(), 1u);  // soft expiry does not stop traffic
  backend_->tick(t0 + 61s);
  int hard2 = 0;
  while (auto ev = backend_->next_event())
    hard2 += ev->handle == 2 && ev->kind == EventKind::kHardExpire;
  EXPECT_EQ(hard2, 2);
  wire_->send(seal(b, l2tp_message(50, 2)));
  EXPECT_TRUE(receive_all().empty());  // gone from the SA table
  EXPECT_FALSE(backend_->send_l2tp(2, 1701, l2tp_message(20, 3)).ok());
}

TEST_F(LineModuleE2e, TruncatedBadIcvAndReplayedFramesAreCounted) {
  const Suite s{lm::Cipher::kAesCbc128, lm::Integ::kHmacSha1, lm::Encap::kUdp};
  Client c;
  install(3, c, s);
  const auto before = backend_->counters_of_device();
  ASSERT_TRUE(before);
  const Bytes good = seal(c, l2tp_message(100, 1));
  wire_->send(good);
  wire_->send(good);  // replayed
  Bytes bad = seal(c, l2tp_message(100, 2));
  bad.back() ^= 0x01;  // ICV
  wire_->send(bad);
  Bytes cut = seal(c, l2tp_message(100, 3));
  cut.resize(cut.size() - 40);  // IPv4 total length now longer than the frame
  wire_->send(cut);
  wire_->send(seal(c, l2tp_message(100, 4)));  // and a good one after all that
  const auto got = receive_all();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].payload, l2tp_message(100, 4));
  const auto st = backend_->query_sa(c.spi_in, lm::Direction::kInbound);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->stats.packets, 2u);
  EXPECT_EQ(st->stats.replay_drop, 1u);
  EXPECT_EQ(st->stats.icv_fail, 1u);
  const auto after = backend_->counters_of_device();
  ASSERT_TRUE(after);
  auto delta = [&](const auto& a, const auto& b, lm::DropReason r) {
    return a[static_cast<std::size_t>(r)] - b[static_cast<std::size_t>(r)];
  };
  EXPECT_EQ(delta(after->decap_drop, before->decap_drop, lm::DropReason::kReplay), 1u);
  EXPECT_EQ(delta(after->decap_drop, before->decap_drop, lm::DropReason::kBadIcv), 1u);
  EXPECT_EQ(delta(after->parser_drop, before->parser_drop, lm::DropReason::kTruncated), 1u);
  EXPECT_EQ(after->decap_packets - before->decap_packets, 2u);
}

TEST_F(LineModuleE2e, ThreeDesGoesToTheSoftwarePathAndAesStaysOnTheLineModule) {
  Client aes, des;
  install(20, aes, {lm::Cipher::kAesCbc128, lm::Integ::kHmacSha1, lm::Encap::kUdp});
  const auto before = backend_->counters_of_device();
  ASSERT_TRUE(before);
  install(21, des, {lm::Cipher::kDes3Cbc, lm::Integ::kHmacSha1, lm::Encap::kUdp});  // not refused
  const auto st = backend_->query_sa(des.spi_in, lm::Direction::kInbound);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->path, DataPath::kSoftware);
  EXPECT_EQ(backend_->query_sa(des.spi_out, lm::Direction::kOutbound)->path, DataPath::kSoftware);
  EXPECT_EQ(backend_->query_sa(aes.spi_in, lm::Direction::kInbound)->path, DataPath::kLineModule);
  EXPECT_EQ(backend_->counters().soft_path_sas, 2u);
  EXPECT_EQ(backend_->list_sas().size(), 4u);

  // Both clients talk; the 3DES one through the host-path entry and TX_IP.
  for (std::uint32_t i = 0; i < 4; ++i) {
    Client& c = i % 2 == 0 ? des : aes;
    const SaHandle handle = i % 2 == 0 ? 21 : 20;
    const Bytes msg = l2tp_message(60 + 50 * i, i);
    wire_->send(seal(c, msg));
    const auto got = receive_all();
    ASSERT_EQ(got.size(), 1u) << i;
    EXPECT_EQ(got[0].handle, handle);
    EXPECT_EQ(got[0].payload, msg);
    const Bytes reply = l2tp_message(40 + 30 * i, 100 + i);
    ASSERT_TRUE(backend_->send_l2tp(handle, 1701, reply).ok());
    const auto wire = wire_->receive();
    ASSERT_TRUE(wire) << i;
    EXPECT_EQ(open(c, *wire), reply);
  }
  const auto after = backend_->counters_of_device();
  ASSERT_TRUE(after);
  auto fw_delta = [&](fw::FwCounter k) {
    const auto i = static_cast<std::size_t>(k);
    return after->firmware[i] - before->firmware[i];
  };
  EXPECT_EQ(fw_delta(fw::FwCounter::kSaHostPath), 1u);
  EXPECT_EQ(fw_delta(fw::FwCounter::kRxHostPath), 2u);
  EXPECT_EQ(fw_delta(fw::FwCounter::kTxIp), 2u);
  EXPECT_EQ(after->decap_packets - before->decap_packets, 2u);  // the AES ones only
  EXPECT_EQ(after->encap_packets - before->encap_packets, 2u);
  EXPECT_EQ(backend_->query_sa(des.spi_in, lm::Direction::kInbound)->stats.packets, 2u);

  EXPECT_TRUE(backend_->del_sa(des.spi_in, lm::Direction::kInbound).ok());
  EXPECT_FALSE(backend_->query_sa(des.spi_in, lm::Direction::kInbound).has_value());
  // The host-path entry went with it: the packet is an unknown SPI on the card.
  wire_->send(seal(des, l2tp_message(30, 9)));
  EXPECT_TRUE(receive_all().empty());
  const auto last = backend_->counters_of_device();
  ASSERT_TRUE(last);
  const auto unknown = static_cast<std::size_t>(lm::DropReason::kUnknownSpi);
  EXPECT_EQ(last->decap_drop[unknown] - after->decap_drop[unknown], 1u);
}

// The firmware's own seconds lifetimes, on the card's clock (the back end keeps seconds on the
// host; a host that hands them to the firmware gets this).
TEST_F(LineModuleE2e, FirmwareSecondsLifetimesFollowTheCardClock) {
  auto& card = sim_->card();
  golden::SaConfig cfg;
  cfg.spi = 0x4242;
  cfg.direction = lm::Direction::kInbound;
  cfg.enc_key = random(16);
  cfg.auth_key = random(20);
  cfg.local_addr = kGateway;
  cfg.peer_addr = kClient;
  fw::SaAdd add;
  add.handle = 77;
  add.sa = *fw::expand_sa(cfg);
  add.soft.seconds = 5;
  add.hard.seconds = 10;
  ASSERT_TRUE(card.deliver(lmsim::Queue::kMboxToDevice, fw::encode(fw::Message{9001, add})));
  card.run();
  Bytes m;
  ASSERT_TRUE(card.take(lmsim::Queue::kMboxFromDevice, m));
  const auto reply = fw::decode(m);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->seq, 9001u);
  ASSERT_TRUE(std::get<fw::Reply>(reply->body).ok());
  auto events = [&] {
    std::vector<fw::EventKind> kinds;
    card.run();
    while (card.take(lmsim::Queue::kMboxFromDevice, m)) {
      const auto ev = fw::decode(m);
      if (ev && std::holds_alternative<fw::Event>(ev->body)) {
        kinds.push_back(std::get<fw::Event>(ev->body).kind);
      }
    }
    return kinds;
  };
  EXPECT_TRUE(events().empty());
  card.advance_clock(6s);
  EXPECT_EQ(events(), std::vector<fw::EventKind>{fw::EventKind::kSoftExpire});
  card.advance_clock(5s);
  EXPECT_EQ(events(), std::vector<fw::EventKind>{fw::EventKind::kHardExpire});
  EXPECT_FALSE(card.firmware().slot_of(0x4242, lm::Direction::kInbound).has_value());
}

// ---- the same through an lmsim process

class LmsimProcess {
 public:
  LmsimProcess(std::string name, std::uint16_t natt_port, std::uint16_t ike_port,
               std::uint16_t l2tp_port)
      : name_(std::move(name)) {
    pid_ = fork();
    if (pid_ == 0) {
      const std::string natt = std::to_string(natt_port), ike = std::to_string(ike_port),
                        l2tp = std::to_string(l2tp_port);
      execl(L2SEC_LMSIM, "lmsim", "--name", name_.c_str(), "--listen", "127.0.0.1", "--port-addr",
            "198.18.0.2", "--natt-port", natt.c_str(), "--ike-port", ike.c_str(), "--l2tp-port",
            l2tp.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~LmsimProcess() { stop(); }
  int stop() {
    if (pid_ <= 0) return status_;
    kill(pid_, SIGTERM);
    waitpid(pid_, &status_, 0);
    pid_ = -1;
    return status_;
  }
  pid_t pid() const { return pid_; }

 private:
  std::string name_;
  pid_t pid_ = -1;
  int status_ = -1;
};

std::uint16_t free_udp_port() {
  const int s = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);
  return ntohs(a.sin_port);
}

TEST(LineModuleLmsim, ServesTheBackEndFromAChildProcessOverSharedMemory) {
  driver::register_sim_devices();
  const std::string name = "e2e-" + std::to_string(getpid());
  const std::uint16_t natt = free_udp_port(), ike = free_udp_port(), l2tp = free_udp_port();
  LmsimProcess proc(name, natt, ike, l2tp);
  ASSERT_GT(proc.pid(), 0);
  std::string error;
  auto device = driver::open_device("lmsim:" + name + ",wait=60000", &error);
  ASSERT_TRUE(device) << error;
  EXPECT_EQ(device->name(), "lmsim:" + name);
  // Registers go over the control socket: the ident block's TYPE at 0 is nonzero, an unaligned
  // read is all ones.
  EXPECT_NE(device->read32(0), 0u);
  EXPECT_EQ(device->read32(2), 0xffffffffu);
  auto backend = LineModuleBackend::create(std::move(device), {}, &error);
  ASSERT_TRUE(backend) << error;
  EXPECT_GE(backend->poll_fd(), 0);  // the doorbell eventfd

  // The client: a UDP socket on loopback; its ESP travels as datagrams to the NAT-T socket.
  const int sock = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  ASSERT_GE(sock, 0);
  sockaddr_in me{};
  me.sin_family = AF_INET;
  me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(sock, reinterpret_cast<sockaddr*>(&me), sizeof me), 0);
  socklen_t len = sizeof me;
  getsockname(sock, reinterpret_cast<sockaddr*>(&me), &len);
  const std::uint16_t my_port = ntohs(me.sin_port);
  Client c;
  LineModuleE2e::install_on(*backend, 4, c,
                            {lm::Cipher::kAesCbc256, lm::Integ::kHmacSha256, lm::Encap::kUdp}, {},
                            {}, kGateway, 0x7f000001, my_port);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(natt);
  for (std::uint32_t i = 0; i < 3; ++i) {
    const Bytes msg = l2tp_message(120 + i, i);
    const Bytes esp = LineModuleE2e::seal(c, msg, 0x7f000001, kGateway);
    const ByteView udp_payload = ByteView(esp).subspan(28);
    ASSERT_EQ(sendto(sock, udp_payload.data(), udp_payload.size(), 0,
                     reinterpret_cast<sockaddr*>(&to), sizeof to),
              static_cast<ssize_t>(udp_payload.size()));
    std::optional<HostPacket> hp;
    for (int k = 0; k < 3000 && !hp; ++k) {
      hp = backend->receive();
      if (!hp) std::this_thread::sleep_for(2ms);
    }
    ASSERT_TRUE(hp) << "nothing handed up by lmsim";
    EXPECT_EQ(hp->handle, 4u);
    EXPECT_EQ(hp->payload, msg);
    EXPECT_EQ(hp->peer, (Endpoint{0x7f000001, my_port}));

    const Bytes reply = l2tp_message(70, 100 + i);
    ASSERT_TRUE(backend->send_l2tp(4, 1701, reply).ok());
    std::uint8_t buf[2048];
    ssize_t n = -1;
    for (int k = 0; k < 3000 && n < 0; ++k) {
      n = recv(sock, buf, sizeof buf, 0);
      if (n < 0) std::this_thread::sleep_for(2ms);
    }
    ASSERT_GT(n, 0) << "no reply datagram";
    // The datagram as the client's stack sees it (its socket stands for port 4500).
    const Bytes wire = golden::build_udp_packet(kGateway, 0x7f000001, 4500, 4500,
                                                ByteView(buf, static_cast<std::size_t>(n)));
    EXPECT_EQ(LineModuleE2e::open(c, wire), reply);
  }
  // A 3DES client on the same socket: the host's software path, through lmsim's host-path entry
  // and TX_IP.
  Client d;
  LineModuleE2e::install_on(*backend, 5, d,
                            {lm::Cipher::kDes3Cbc, lm::Integ::kHmacSha1, lm::Encap::kUdp}, {}, {},
                            kGateway, 0x7f000001, my_port);
  {
    const Bytes msg = l2tp_message(90, 7);
    const Bytes esp = LineModuleE2e::seal(d, msg, 0x7f000001, kGateway);
    const ByteView udp_payload = ByteView(esp).subspan(28);
    ASSERT_EQ(sendto(sock, udp_payload.data(), udp_payload.size(), 0,
                     reinterpret_cast<sockaddr*>(&to), sizeof to),
              static_cast<ssize_t>(udp_payload.size()));
    std::optional<HostPacket> hp;
    for (int k = 0; k < 3000 && !hp; ++k) {
      hp = backend->receive();
      if (!hp) std::this_thread::sleep_for(2ms);
    }
    ASSERT_TRUE(hp) << "3DES: nothing handed up by lmsim";
    EXPECT_EQ(hp->handle, 5u);
    EXPECT_EQ(hp->payload, msg);
    const Bytes reply = l2tp_message(50, 77);
    ASSERT_TRUE(backend->send_l2tp(5, 1701, reply).ok());
    std::uint8_t buf[2048];
    ssize_t n = -1;
    for (int k = 0; k < 3000 && n < 0; ++k) {
      n = recv(sock, buf, sizeof buf, 0);
      if (n < 0) std::this_thread::sleep_for(2ms);
    }
    ASSERT_GT(n, 0) << "3DES: no reply datagram";
    const Bytes wire = golden::build_udp_packet(kGateway, 0x7f000001, 4500, 4500,
                                                ByteView(buf, static_cast<std::size_t>(n)));
    EXPECT_EQ(LineModuleE2e::open(d, wire), reply);
  }
  const auto counters = backend->counters_of_device();
  ASSERT_TRUE(counters);
  EXPECT_EQ(counters->decap_packets, 3u);
  EXPECT_EQ(counters->encap_packets, 3u);
  EXPECT_EQ(counters->firmware[static_cast<std::size_t>(fw::FwCounter::kRxHostPath)], 1u);
  EXPECT_EQ(counters->firmware[static_cast<std::size_t>(fw::FwCounter::kTxIp)], 1u);
  close(sock);

  // The process goes: the device says so, and the shared memory is gone with it.
  const int status = proc.stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  backend->service();
  EXPECT_FALSE(backend->device().service().ok());
  EXPECT_FALSE(lmsim::ShmSegment::open(lmsim::lmsim_shm_name(name), &error));
}

// One host process drives two line modules (two lmsim processes), each with its own SAs and
// traffic; a second host cannot attach to a module that has one.
TEST(LineModuleLmsim, OneHostOpensTwoLineModules) {
  driver::register_sim_devices();
  struct Module {
    std::string name;
    std::uint16_t natt;
    std::unique_ptr<LmsimProcess> proc;
    std::unique_ptr<LineModuleBackend> backend;
  };
  Module mods[2];
  for (int i = 0; i < 2; ++i) {
    mods[i].name = "two-" + std::to_string(getpid()) + "-" + std::to_string(i);
    mods[i].natt = free_udp_port();
    mods[i].proc = std::make_unique<LmsimProcess>(mods[i].name, mods[i].natt, free_udp_port(),
                                                  free_udp_port());
  }
  for (auto& m : mods) {
    std::string error;
    auto dev = driver::open_device("lmsim:" + m.name + ",wait=60000", &error);
    ASSERT_TRUE(dev) << error;
    m.backend = LineModuleBackend::create(std::move(dev), {}, &error);
    ASSERT_TRUE(m.backend) << error;
  }
  std::string error;
  EXPECT_FALSE(driver::open_device("lmsim:" + mods[0].name, &error));  // already attached
  EXPECT_NE(error.find("no welcome"), std::string::npos) << error;

  const int sock = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  ASSERT_GE(sock, 0);
  sockaddr_in me{};
  me.sin_family = AF_INET;
  me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(sock, reinterpret_cast<sockaddr*>(&me), sizeof me), 0);
  socklen_t len = sizeof me;
  getsockname(sock, reinterpret_cast<sockaddr*>(&me), &len);
  const std::uint16_t my_port = ntohs(me.sin_port);
  Client c[2];
  for (int i = 0; i < 2; ++i) {
    LineModuleE2e::install_on(*mods[i].backend, static_cast<SaHandle>(10 + i), c[i],
                              {lm::Cipher::kAesCbc128, lm::Integ::kHmacSha1, lm::Encap::kUdp}, {},
                              {}, kGateway, 0x7f000001, my_port);
  }
  for (int i = 0; i < 2; ++i) {
    const Bytes msg = l2tp_message(40, static_cast<std::uint32_t>(i));
    const Bytes esp = LineModuleE2e::seal(c[i], msg, 0x7f000001, kGateway);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons(mods[i].natt);
    ASSERT_GT(sendto(sock, esp.data() + 28, esp.size() - 28, 0, reinterpret_cast<sockaddr*>(&to),
                     sizeof to),
              0);
  }
  for (int i = 0; i < 2; ++i) {
    std::optional<HostPacket> hp;
    for (int k = 0; k < 3000 && !hp; ++k) {
      hp = mods[i].backend->receive();
      if (!hp) std::this_thread::sleep_for(2ms);
    }
    ASSERT_TRUE(hp) << "module " << i << " handed nothing up";
    EXPECT_EQ(hp->handle, static_cast<SaHandle>(10 + i));
    EXPECT_EQ(hp->payload, l2tp_message(40, static_cast<std::uint32_t>(i)));
    EXPECT_FALSE(mods[i].backend->receive().has_value());
  }
  close(sock);
}

}  // namespace
}  // namespace l2sec::ipsec
