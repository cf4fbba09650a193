#include "l2sec/sim/lm/lmsim_server.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "l2sec/log.hpp"
#include "l2sec/sim/lm/lmsim_protocol.hpp"

namespace l2sec::lmsim {
namespace {

constexpr std::uint64_t kBarSize = std::uint64_t{1} << lm::kAddrWidth;

}  // namespace

std::unique_ptr<LmsimServer> LmsimServer::create(const std::string& name,
                                                 std::unique_ptr<LineCard> card,
                                                 std::string* error) {
  std::unique_ptr<LmsimServer> s(new LmsimServer(name, std::move(card)));
  s->shm_ = ShmSegment::create(lmsim_shm_name(name), kRingBytes, error);
  if (!s->shm_) return nullptr;
  s->listener_ = unix_listen(lmsim_socket_path(name), error);
  if (!s->listener_.valid()) return nullptr;
  if (!s->to_host_.valid() || !s->to_card_.valid() || !s->irq_.valid()) {
    if (error) *error = "eventfd failed";
    return nullptr;
  }
  return s;
}

void LmsimServer::accept_host() {
  Fd c(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!c.valid()) return;
  if (host_.valid()) {
    ++counters_.refused;
    log::warning("lm") << "lmsim " << name_ << ": a second host tried to attach; refused";
    return;  // closed: one host at a time
  }
  shm_->reset();
  for (auto& p : pending_) p.clear();
  Welcome w;
  w.pid = static_cast<std::uint32_t>(getpid());
  w.bar_size = kBarSize;
  w.shm_name = shm_->name();
  const int fds[] = {to_host_.fd(), to_card_.fd(), irq_.fd()};
  if (!send_message(c.get(), encode(w), fds)) return;
  host_ = std::move(c);
  ++counters_.connections;
  log::info("lm") << "lmsim " << name_ << ": host attached";
}

void LmsimServer::drop_host() {
  host_.reset();
  shm_->reset();
  for (auto& p : pending_) p.clear();
  log::info("lm") << "lmsim " << name_ << ": host detached";
}

bool LmsimServer::serve_socket() {
  for (;;) {
    pollfd p{host_.get(), POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) return true;
    if ((p.revents & (POLLHUP | POLLERR)) != 0 && (p.revents & POLLIN) == 0) return false;
    const auto m = receive_message(host_.get(), nullptr, 64);
    if (!m) return false;
    const auto r = decode_reg_request(*m);
    Bytes reply(8, 0);
    if (r && r->offset < kBarSize && (r->offset & 3) == 0) {
      const auto off = static_cast<std::uint32_t>(r->offset);
      if (r->op == RegOp::kRead32) {
        const std::uint32_t v = card_->fpga().read32(off);
        for (int i = 0; i < 4; ++i)
          reply[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
        ++counters_.reg_reads;
      } else {
        card_->fpga().write32(off, r->value);
        ++counters_.reg_writes;
      }
    } else {
      reply.assign(8, 0xff);  // what a read of nothing returns
    }
    if (!send_message(host_.get(), reply)) return false;
  }
}

void LmsimServer::exchange() {
  // Host -> card.
  Bytes m;
  for (const Queue q : {Queue::kMboxToDevice, Queue::kPacketToDevice}) {
    SpscRing ring = shm_->ring(static_cast<std::size_t>(q));
    while (card_->queued(q) < 1024 && ring.pop(m)) {
      card_->deliver(q, m);
      ++counters_.to_card;
    }
  }
  // The card runs.
  bool idle = false;
  card_->run(&idle);
  // Card -> host.
  bool rang = false;
  for (const Queue q : {Queue::kMboxFromDevice, Queue::kPacketFromDevice}) {
    auto& pend = pending_[static_cast<std::size_t>(q)];
    while (card_->take(q, m)) pend.push_back(std::move(m));
    SpscRing ring = shm_->ring(static_cast<std::size_t>(q));
    while (!pend.empty() && ring.push(pend.front())) {
      pend.pop_front();
      rang = true;
      ++counters_.from_card;
    }
  }
  if (rang) to_host_.ring();
  const bool irq = card_->harness().irq();
  if (irq && !irq_was_) irq_.ring();
  irq_was_ = irq;
  work_left_ = !idle || !pending_[1].empty() || !pending_[3].empty() ||
               !shm_->ring(static_cast<std::size_t>(Queue::kMboxToDevice)).empty() ||
               !shm_->ring(static_cast<std::size_t>(Queue::kPacketToDevice)).empty();
}

void LmsimServer::serve_once(int timeout_ms) {
  pollfd fds[4];
  nfds_t n = 0;
  fds[n++] = {listener_.get(), POLLIN, 0};
  fds[n++] = {to_card_.fd(), POLLIN, 0};
  if (card_->port_fd() >= 0) fds[n++] = {card_->port_fd(), POLLIN, 0};
  if (host_.valid()) fds[n++] = {host_.get(), POLLIN, 0};
  poll(fds, n, work_left_ ? 0 : timeout_ms);
  if ((fds[0].revents & POLLIN) != 0) accept_host();
  to_card_.drain();
  if (host_.valid() && !serve_socket()) drop_host();
  if (!host_.valid()) {
    // Nobody to hand packets to: the card still runs (keepalives counted, lifetimes), and what it
    // would hand up is dropped.
    bool idle = false;
    card_->run(&idle);
    Bytes m;
    for (const Queue q : {Queue::kMboxFromDevice, Queue::kPacketFromDevice}) {
      while (card_->take(q, m)) {
      }
    }
    work_left_ = !idle;
    return;
  }
  exchange();
}

void LmsimServer::run(const std::atomic<bool>& stop) {
  while (!stop.load()) serve_once(50);
}

}  // namespace l2sec::lmsim
