// Unix sequenced-packet sockets for the lmsim control connection: message boundaries kept, file
// descriptors (the doorbell eventfds) passed with SCM_RIGHTS. A path starting with '@' is in the
// abstract namespace (nothing on disk to clean up; gone with the network namespace).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "l2sec/golden/bytes.hpp"

namespace l2sec::lmsim {

// An owned descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.release();
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    const int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset();
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// The socket address lmsim <name> listens on.
std::string lmsim_socket_path(const std::string& name);  // "@l2sec-lmsim-<name>"
std::string lmsim_shm_name(const std::string& name);     // "/l2sec-lmsim-<name>"

Fd unix_listen(const std::string& path, std::string* error);
Fd unix_connect(const std::string& path, std::string* error);

// One message with up to 4 descriptors. False on error (errno kept).
bool send_message(int sock, ByteView data, std::span<const int> fds = {});
// One message (blocking unless the socket is non-blocking); nullopt on EOF or error (errno kept;
// 0 for EOF). Received descriptors are appended to *fds (owned by the caller).
std::optional<Bytes> receive_message(int sock, std::vector<Fd>* fds = nullptr,
                                     std::size_t max = 65536);

}  // namespace l2sec::lmsim
