#include "l2sec/pcap/tshark.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace l2sec::pcap {

namespace {

const char* tshark_cipher(lm::Cipher c) {
  switch (c) {
    case lm::Cipher::kAesCbc128:
    case lm::Cipher::kAesCbc192:
    case lm::Cipher::kAesCbc256:
      return "AES-CBC [RFC3602]";
    case lm::Cipher::kDes3Cbc:
      return "TripleDES-CBC [RFC2451]";
    case lm::Cipher::kNone:
      break;
  }
  return "NULL";
}

const char* tshark_integ(lm::Integ i, lm::IcvLen l) {
  if (i == lm::Integ::kHmacSha1) return "HMAC-SHA-1-96 [RFC2404]";
  if (i == lm::Integ::kHmacSha256) {
    return l == lm::IcvLen::kIcv128 ? "HMAC-SHA-256-128 [RFC4868]"
                                    : "HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]";
  }
  return "NULL";
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

std::string tshark_esp_sa(const golden::SaConfig& sa, std::uint32_t src, std::uint32_t dst) {
  char spi[16];
  std::snprintf(spi, sizeof spi, "0x%08x", sa.spi);
  return quoted("IPv4") + "," + quoted(ipv4_to_string(src)) + "," + quoted(ipv4_to_string(dst)) +
         "," + quoted(spi) + "," + quoted(tshark_cipher(sa.cipher)) + "," +
         quoted("0x" + to_hex(sa.enc_key)) + "," + quoted(tshark_integ(sa.integ, sa.icv_len)) +
         "," + quoted("0x" + to_hex(sa.auth_key));
}

std::vector<std::string> tshark_esp_args(const std::vector<std::string>& esp_sa_entries) {
  std::vector<std::string> args = {"-o", "esp.enable_encryption_decode:TRUE", "-o",
                                   "esp.enable_authentication_check:TRUE"};
  for (const auto& e : esp_sa_entries) {
    args.push_back("-o");
    args.push_back("uat:esp_sa:" + e);
  }
  return args;
}

TsharkRun run_tshark(const std::string& capture, const std::vector<std::string>& args) {
  TsharkRun run;
  int fds[2];
  if (pipe(fds) != 0) return run;
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return run;
  }
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<std::string> argv_s = {"tshark", "-n", "-r", capture};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp("tshark", argv.data());
    _exit(127);
  }
  close(fds[1]);
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) run.output.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (run.exit_code == 127) run.exit_code = -1;
  return run;
}

}  // namespace l2sec::pcap
