#include "l2sec/l2tp/channel.hpp"

#include <algorithm>

namespace l2sec::l2tp {
namespace {
constexpr std::size_t kNrOffset = 10;  // flags, length, tunnel, session, Ns, then Nr
}

ControlChannel::ControlChannel(ChannelConfig config, std::string secret, Transmit transmit)
    : config_(config), secret_(std::move(secret)), transmit_(std::move(transmit)) {
  if (config_.rx_window == 0) config_.rx_window = 1;
}

void ControlChannel::send(const Message& m, std::uint16_t session, Clock::time_point now) {
  if (failed_) return;
  Pending p;
  p.ns = ns_next_++;
  p.wire = encode_control(peer_tunnel_, session, p.ns, nr_expected_, m, secret_);
  p.rto = config_.initial_rto;
  ++counters_.sent;
  waiting_.push_back(std::move(p));
  fill_window(now);
}

void ControlChannel::fill_window(Clock::time_point now) {
  while (!waiting_.empty() && in_flight_.size() < peer_window_) {
    in_flight_.push_back(std::move(waiting_.front()));
    waiting_.pop_front();
    transmit(in_flight_.back(), now);
  }
}

void ControlChannel::transmit(Pending& p, Clock::time_point now) {
  // The tunnel ID may have been learnt after queueing (SCCRQ goes out on tunnel 0).
  store_be16(p.wire.data() + 4, peer_tunnel_);
  store_be16(p.wire.data() + kNrOffset, nr_expected_);
  p.due = now + p.rto;
  ++counters_.transmissions;
  ack_owed_ = false;
  transmit_(p.wire);
}

void ControlChannel::ack(std::uint16_t nr) {
  // Nr acknowledges every message with Ns < Nr. It must not pass what we have sent.
  if (seq_lt(ns_next_ - static_cast<std::uint16_t>(waiting_.size()), nr)) {
    ++counters_.bad_nr;
    return;
  }
  while (!in_flight_.empty() && seq_lt(in_flight_.front().ns, nr)) in_flight_.pop_front();
}

std::vector<Inbound> ControlChannel::receive(const Header& h, Decoded decoded,
                                             Clock::time_point now) {
  std::vector<Inbound> out;
  ack(h.nr);
  if (decoded.zlb) {
    ++counters_.zlb_received;
    fill_window(now);
    return out;
  }
  if (h.ns == nr_expected_) {
    ++nr_expected_;
    ++counters_.received;
    ack_owed_ = true;
    out.push_back(Inbound{h, std::move(decoded.message), std::move(decoded.unknown_mandatory)});
    for (auto it = held_.find(nr_expected_); it != held_.end(); it = held_.find(nr_expected_)) {
      out.push_back(std::move(it->second));
      held_.erase(it);
      ++nr_expected_;
      ++counters_.received;
    }
  } else if (seq_lt(h.ns, nr_expected_)) {
    // Already delivered: the peer missed our acknowledgement.
    ++counters_.duplicates;
    ack_owed_ = true;
  } else if (static_cast<std::uint16_t>(h.ns - nr_expected_) < config_.rx_window) {
    if (held_
            .emplace(h.ns,
                     Inbound{h, std::move(decoded.message), std::move(decoded.unknown_mandatory)})
            .second) {
      ++counters_.out_of_order;
    } else {
      ++counters_.duplicates;
    }
  } else {
    ++counters_.out_of_window;
  }
  fill_window(now);
  return out;
}

void ControlChannel::flush_ack() {
  if (!ack_owed_ || failed_) return;
  ack_owed_ = false;
  ++counters_.zlb_sent;
  // A ZLB carries the Ns of the next new message without consuming it.
  const std::uint16_t ns = in_flight_.empty()
                               ? static_cast<std::uint16_t>(ns_next_ - waiting_.size())
                               : static_cast<std::uint16_t>(in_flight_.back().ns + 1);
  transmit_(encode_zlb(peer_tunnel_, 0, ns, nr_expected_));
}

void ControlChannel::tick(Clock::time_point now) {
  if (failed_) return;
  for (Pending& p : in_flight_) {
    if (now < p.due) continue;
    if (p.retries >= config_.max_retries) {
      failed_ = true;
      return;
    }
    ++p.retries;
    ++counters_.retransmits;
    p.rto = std::min(p.rto * 2, config_.max_rto);
    transmit(p, now);
  }
}

std::optional<Clock::time_point> ControlChannel::next_deadline() const {
  std::optional<Clock::time_point> best;
  for (const Pending& p : in_flight_) {
    if (!best || p.due < *best) best = p.due;
  }
  return best;
}

}  // namespace l2sec::l2tp
