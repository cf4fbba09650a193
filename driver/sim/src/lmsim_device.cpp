#include <poll.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "l2sec/driver/sim_device.hpp"
#include "l2sec/sim/lm/lmsim_protocol.hpp"
#include "l2sec/sim/lm/shm_ring.hpp"
#include "l2sec/sim/lm/unix_socket.hpp"

namespace l2sec::driver {

struct LmsimDevice::Impl {
  lmsim::Fd sock;
  std::unique_ptr<lmsim::ShmSegment> shm;
  lmsim::Doorbell to_host, to_card, irq;
  lmsim::Welcome welcome;
  bool dead = false;
  std::string why_dead;
};

LmsimDevice::LmsimDevice(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LmsimDevice::~LmsimDevice() = default;

std::unique_ptr<LmsimDevice> LmsimDevice::connect(const std::string& name,
                                                  std::chrono::milliseconds wait,
                                                  std::string* error) {
  auto impl = std::make_unique<Impl>();
  const auto deadline = std::chrono::steady_clock::now() + wait;
  std::string why;
  for (;;) {
    impl->sock = lmsim::unix_connect(lmsim::lmsim_socket_path(name), &why);
    if (impl->sock.valid() || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!impl->sock.valid()) {
    if (error) *error = "lmsim:" + name + ": " + why + " (is `lmsim --name " + name + "` running?)";
    return nullptr;
  }
  std::vector<lmsim::Fd> fds;
  const auto m = lmsim::receive_message(impl->sock.get(), &fds, 4096);
  const auto w = m ? lmsim::decode_welcome(*m) : std::nullopt;
  if (!w || fds.size() != 3) {
    if (error) *error = "lmsim:" + name + ": no welcome (another host attached?)";
    return nullptr;
  }
  if (w->version != lmsim::kProtocolVersion) {
    if (error) {
      *error = "lmsim:" + name + ": protocol version " + std::to_string(w->version) +
               ", expected " + std::to_string(lmsim::kProtocolVersion);
    }
    return nullptr;
  }
  impl->welcome = *w;
  impl->to_host = lmsim::Doorbell(fds[0].release());
  impl->to_card = lmsim::Doorbell(fds[1].release());
  impl->irq = lmsim::Doorbell(fds[2].release());
  impl->shm = lmsim::ShmSegment::open(w->shm_name, error);
  if (!impl->shm) return nullptr;
  std::unique_ptr<LmsimDevice> dev(new LmsimDevice(std::move(impl)));
  dev->name_ = "lmsim:" + name;
  return dev;
}

std::unique_ptr<LmsimDevice> LmsimDevice::open(std::string_view argument, std::string* error) {
  std::string name(argument.substr(0, argument.find(',')));
  std::chrono::milliseconds wait(0);
  if (const auto comma = argument.find(','); comma != std::string_view::npos) {
    const std::string opt(argument.substr(comma + 1));
    if (opt.rfind("wait=", 0) != 0) {
      if (error) *error = "lmsim: unknown option '" + opt + "' (wait=MS)";
      return nullptr;
    }
    wait = std::chrono::milliseconds(std::strtol(opt.c_str() + 5, nullptr, 10));
  }
  if (name.empty()) {
    if (error) *error = "lmsim: a name is needed (lmsim:<name>)";
    return nullptr;
  }
  return connect(name, wait, error);
}

std::uint64_t LmsimDevice::bar_size() const { return impl_->welcome.bar_size; }

std::uint32_t LmsimDevice::read32(std::uint64_t offset) {
  if (impl_->dead || offset >= bar_size() || (offset & 3) != 0) return 0xffffffffu;
  if (!lmsim::send_message(impl_->sock.get(),
                           lmsim::encode(lmsim::RegRequest{lmsim::RegOp::kRead32, offset, 0}))) {
    impl_->dead = true;
    return 0xffffffffu;
  }
  const auto r = lmsim::receive_message(impl_->sock.get(), nullptr, 64);
  if (!r || r->size() != 8) {
    impl_->dead = true;
    return 0xffffffffu;
  }
  return static_cast<std::uint32_t>((*r)[0] | ((*r)[1] << 8) | ((*r)[2] << 16)) |
         (static_cast<std::uint32_t>((*r)[3]) << 24);
}

void LmsimDevice::write32(std::uint64_t offset, std::uint32_t value) {
  if (impl_->dead || offset >= bar_size() || (offset & 3) != 0) return;
  if (!lmsim::send_message(impl_->sock.get(), lmsim::encode(lmsim::RegRequest{
                                                  lmsim::RegOp::kWrite32, offset, value})) ||
      !lmsim::receive_message(impl_->sock.get(), nullptr, 64)) {
    impl_->dead = true;
  }
}

Result<DmaBuffer> LmsimDevice::alloc_dma(std::size_t) {
  return Status::failure(Errc::kUnsupported,
                         "lmsim: no DMA memory (the mailbox travels on the shared-memory rings)");
}

int LmsimDevice::irq_fd(unsigned vector) const { return vector == 0 ? impl_->irq.fd() : -1; }

Status LmsimDevice::ack_irq(unsigned vector) {
  if (vector != 0) return Status::failure(Errc::kNotFound, "lmsim: one interrupt vector (0)");
  return Status::success();  // lmsim counts rising edges of irq: nothing to re-arm
}

Status LmsimDevice::send(Ring ring, ByteView message) {
  if (!to_device(ring)) {
    return Status::failure(Errc::kInvalidArgument,
                           "lmsim: " + std::string(to_string(ring)) + " is not a to-device ring");
  }
  if (impl_->dead) return Status::failure(Errc::kIo, "lmsim: " + impl_->why_dead);
  lmsim::SpscRing r = impl_->shm->ring(static_cast<std::size_t>(ring));
  if (message.size() > r.max_message()) {
    return Status::failure(Errc::kInvalidArgument, "lmsim: message larger than the ring");
  }
  if (!r.push(message)) {
    return Status::failure(Errc::kFull, "lmsim: " + std::string(to_string(ring)) + " is full");
  }
  impl_->to_card.ring();
  return Status::success();
}

std::optional<Bytes> LmsimDevice::receive(Ring ring) {
  if (to_device(ring)) return std::nullopt;
  lmsim::SpscRing r = impl_->shm->ring(static_cast<std::size_t>(ring));
  Bytes out;
  if (r.pop(out)) return out;
  // Empty: consume the doorbell, then look once more (a push between the two is not lost).
  impl_->to_host.drain();
  if (r.pop(out)) return out;
  return std::nullopt;
}

int LmsimDevice::ring_fd(Ring ring) const { return to_device(ring) ? -1 : impl_->to_host.fd(); }

Status LmsimDevice::service() {
  if (!impl_->dead) {
    pollfd p{impl_->sock.get(), POLLIN, 0};
    if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR | POLLIN)) != 0) {
      // lmsim never speaks unasked: readable means it closed the connection.
      impl_->dead = true;
      impl_->why_dead = "the lmsim process (pid " + std::to_string(impl_->welcome.pid) +
                        ") closed the connection";
    }
  }
  if (impl_->dead) return Status::failure(Errc::kIo, name_ + ": " + impl_->why_dead);
  return Status::success();
}

}  // namespace l2sec::driver
