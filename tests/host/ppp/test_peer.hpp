// A PPP client for tests: the client side of LCP, PAP, CHAP-MD5, MS-CHAPv2 and IPCP, written
// independently of the LNS's automaton (a simple Ack-what-you-can peer with retransmission), so
// a Session can be brought up end to end in one process.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "l2sec/golden/bytes.hpp"
#include "l2sec/ppp/session.hpp"

namespace l2sec::ppp::test {

struct PeerConfig {
  std::string user = "alice";
  std::string password = "secret";
  // Authentication protocols the client Acks when the LNS requests them; anything else is Nak'd
  // with `preferred` (or Rejected when `preferred` is kNone).
  std::vector<AuthProtocol> accept = {AuthProtocol::kPap, AuthProtocol::kChapMd5,
                                      AuthProtocol::kMsChapV2};
  AuthProtocol preferred = AuthProtocol::kNone;
  std::uint16_t mru = 1400;
  std::uint32_t magic = 0x11223344;
  bool request_accm = true;
  bool request_pfc_acfc = false;
  // More LCP options as (type, value), e.g. what Windows sends: Callback (13), MRRU (17),
  // Endpoint Discriminator (19).
  std::vector<std::pair<std::uint8_t, Bytes>> extra_lcp_options;
  bool request_dns = false;
  bool request_vj = false;                     // IP-Compression-Protocol (Van Jacobson)
  std::vector<std::uint16_t> extra_protocols;  // sent a Configure-Request each once LCP is up
  bool answer_echo = true;
  bool hdlc_header = true;  // FF 03 in front of our frames
  std::chrono::seconds restart{3};
};

class TestPeer {
 public:
  using Clock = std::chrono::steady_clock;
  TestPeer(PeerConfig config, std::function<void(ByteView)> send);

  void start(Clock::time_point now);
  void receive(ByteView frame, Clock::time_point now);
  void tick(Clock::time_point now);  // retransmissions
  void send_ip(ByteView packet);
  void send_raw(ByteView frame);  // as is, for malformed-input tests
  void send_terminate();

  bool lcp_open() const { return lcp_ack_sent_ && lcp_ack_rcvd_; }
  bool ipcp_open() const { return ipcp_ack_sent_ && ipcp_ack_rcvd_; }
  std::optional<AuthProtocol> auth_requested() const { return auth_; }  // what we Acked
  std::optional<bool> auth_ok() const { return auth_ok_; }
  bool server_verified() const { return server_verified_; }  // MS-CHAPv2 "S=" checked
  const std::string& auth_message() const { return auth_message_; }
  std::uint32_t address() const { return addr_; }
  std::uint32_t dns1() const { return dns1_; }
  std::uint32_t dns2() const { return dns2_; }
  std::uint32_t server_address() const { return server_addr_; }
  std::uint32_t server_magic() const { return server_magic_; }
  const std::vector<std::uint16_t>& protocol_rejects() const { return protocol_rejects_; }
  const std::vector<std::uint8_t>& lcp_rejected() const { return lcp_rejected_; }
  const std::vector<std::uint8_t>& ipcp_rejected() const { return ipcp_rejected_; }
  const std::vector<Bytes>& ip_received() const { return ip_; }
  const std::vector<Bytes>& code_rejects() const { return code_rejects_; }
  bool terminated() const { return terminated_; }
  unsigned echo_requests() const { return echo_requests_; }
  unsigned challenges() const { return challenges_; }
  std::vector<AuthProtocol> auth_offers() const { return auth_offers_; }
  void set_answer_echo(bool on) { cfg_.answer_echo = on; }

 private:
  struct Opt {
    std::uint8_t type;
    Bytes value;
  };
  void send_packet(std::uint16_t proto, std::uint8_t code, std::uint8_t id, ByteView data);
  void send_lcp_request();
  void send_ipcp_request();
  void send_pap();
  void on_lcp(ByteView p);
  void on_ipcp(ByteView p);
  void on_chap(ByteView p);
  void on_pap(ByteView p);
  void lcp_opened();
  void auth_done();
  static Bytes encode(const std::vector<Opt>& opts);
  static std::optional<std::vector<Opt>> decode(ByteView data);

  PeerConfig cfg_;
  std::function<void(ByteView)> send_;
  Clock::time_point now_{};
  std::uint8_t next_id_ = 1;
  // LCP
  std::vector<Opt> lcp_opts_;
  std::uint8_t lcp_req_id_ = 0;
  Clock::time_point lcp_sent_{};
  bool lcp_ack_sent_ = false, lcp_ack_rcvd_ = false, lcp_was_open_ = false;
  std::optional<AuthProtocol> auth_;
  std::uint32_t server_magic_ = 0;
  std::uint16_t server_mru_ = 1500;
  // auth
  std::optional<bool> auth_ok_;
  bool server_verified_ = false;
  std::string auth_message_;
  std::uint8_t pap_id_ = 0;
  Clock::time_point pap_sent_{};
  bool pap_pending_ = false;
  std::array<std::uint8_t, 16> peer_challenge_{};
  std::array<std::uint8_t, 16> auth_challenge_{};
  std::array<std::uint8_t, 24> nt_response_{};
  // IPCP
  std::vector<Opt> ipcp_opts_;
  std::uint8_t ipcp_req_id_ = 0;
  Clock::time_point ipcp_sent_{};
  bool ipcp_started_ = false, ipcp_ack_sent_ = false, ipcp_ack_rcvd_ = false;
  std::uint32_t addr_ = 0, dns1_ = 0, dns2_ = 0, server_addr_ = 0;
  // observations
  std::vector<std::uint16_t> protocol_rejects_;
  std::vector<std::uint8_t> lcp_rejected_, ipcp_rejected_;
  std::vector<Bytes> ip_, code_rejects_;
  std::vector<AuthProtocol> auth_offers_;
  bool terminated_ = false;
  unsigned echo_requests_ = 0, challenges_ = 0;
};

}  // namespace l2sec::ppp::test
