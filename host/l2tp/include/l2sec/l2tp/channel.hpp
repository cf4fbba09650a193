// The reliable delivery layer of one control connection (RFC 2661 5.8): Ns/Nr, the receive window
// we advertise (out-of-order messages inside it are held until the gap fills), the peer's window
// that bounds what we keep in flight, ZLB acknowledgements, retransmission with capped
// exponential backoff and a retry limit. It knows nothing of the message semantics; the tunnel
// state machine (Lns, Lac) feeds it and reads what comes out in order.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "l2sec/golden/bytes.hpp"
#include "l2sec/l2tp/codec.hpp"

namespace l2sec::l2tp {

using Clock = std::chrono::steady_clock;

struct ChannelConfig {
  std::uint16_t rx_window = 8;                  // advertised; out-of-order buffer size
  std::chrono::milliseconds initial_rto{1000};  // first retransmission after 1 s
  std::chrono::milliseconds max_rto{8000};      // doubling stops at 8 s
  unsigned max_retries = 5;                     // retransmissions before the peer is dead
};

struct ChannelCounters {
  std::uint64_t sent = 0;           // messages queued for reliable delivery
  std::uint64_t transmissions = 0;  // including retransmissions
  std::uint64_t retransmits = 0;
  std::uint64_t received = 0;  // delivered in order
  std::uint64_t duplicates = 0;
  std::uint64_t out_of_order = 0;  // held until the gap filled
  std::uint64_t out_of_window = 0;
  std::uint64_t zlb_sent = 0;
  std::uint64_t zlb_received = 0;
  std::uint64_t bad_nr = 0;  // an Nr acknowledging what we never sent
};

// One control message as it came in: the header's session ID and the decoded body.
struct Inbound {
  Header header;
  Message message;
  std::optional<Avp> unknown_mandatory;
};

class ControlChannel {
 public:
  using Transmit = std::function<void(ByteView)>;

  ControlChannel(ChannelConfig config, std::string secret, Transmit transmit);

  // The tunnel ID written into our headers (the peer's Assigned Tunnel ID).
  void set_peer_tunnel(std::uint16_t id) { peer_tunnel_ = id; }
  std::uint16_t peer_tunnel() const { return peer_tunnel_; }
  // The peer's Receive Window Size AVP (4 when absent, 5.8); 0 is treated as 1.
  void set_peer_window(std::uint16_t w) { peer_window_ = w == 0 ? 1 : w; }
  std::uint16_t peer_window() const { return peer_window_; }

  // Queues a message for reliable delivery; sent at once when the peer's window allows.
  void send(const Message& m, std::uint16_t session, Clock::time_point now);

  // A decoded control message or ZLB with its header. Returns the messages now in order (this one
  // and any held ones it releases); acknowledgements are processed either way.
  std::vector<Inbound> receive(const Header& h, Decoded decoded, Clock::time_point now);

  // Sends a ZLB if an acknowledgement is owed and nothing carried it since.
  void flush_ack();
  // Retransmits what is due. After the retry limit failed() turns true and nothing more is sent.
  void tick(Clock::time_point now);
  bool failed() const { return failed_; }
  // Nothing waits for an acknowledgement.
  bool all_acked() const { return in_flight_.empty() && waiting_.empty(); }
  // The earliest retransmission deadline, if any.
  std::optional<Clock::time_point> next_deadline() const;

  std::uint16_t ns_next() const { return ns_next_; }
  std::uint16_t nr_expected() const { return nr_expected_; }
  const ChannelCounters& counters() const { return counters_; }
  const ChannelConfig& config() const { return config_; }

 private:
  struct Pending {
    std::uint16_t ns = 0;
    Bytes wire;  // the whole message; Nr is patched on every transmission
    unsigned retries = 0;
    std::chrono::milliseconds rto{0};
    Clock::time_point due{};
  };
  void transmit(Pending& p, Clock::time_point now);
  void fill_window(Clock::time_point now);
  void ack(std::uint16_t nr);

  ChannelConfig config_;
  std::string secret_;
  Transmit transmit_;
  std::uint16_t peer_tunnel_ = 0;
  std::uint16_t peer_window_ = 4;
  std::uint16_t ns_next_ = 0;              // Ns of the next new message
  std::uint16_t nr_expected_ = 0;          // Ns we expect next from the peer
  std::deque<Pending> in_flight_;          // sent, not yet acknowledged, in Ns order
  std::deque<Pending> waiting_;            // beyond the peer's window
  std::map<std::uint16_t, Inbound> held_;  // out-of-order, keyed by Ns
  bool ack_owed_ = false;
  bool failed_ = false;
  ChannelCounters counters_;
};

}  // namespace l2sec::l2tp
