// Test support for system tests: a child process (posix_spawn) with its output in a log file,
// killed (SIGKILL) and reaped when the object goes away so a failing test leaves nothing behind.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace s1mple::testing {

class DaemonProcess {
 public:
  DaemonProcess(std::vector<std::string> argv, std::filesystem::path log) : log_(std::move(log)) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~DaemonProcess() {
    if (pid_ > 0 && !exit_code_) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
  }
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int sig) const {
    if (pid_ > 0 && !exit_code_) ::kill(pid_, sig);
  }
  // Waits up to `limit` for the process to exit; returns its exit code (128+signal if killed).
  std::optional<int> Wait(std::chrono::milliseconds limit) {
    if (exit_code_) return exit_code_;
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return exit_code_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::nullopt;
  }
  std::string Log() const {
    std::ifstream f(log_);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

 private:
  pid_t pid_ = -1;
  std::filesystem::path log_;
  std::optional<int> exit_code_;
};

// The endpoint a daemon started with `--endpoint-file FILE` listens on: the first line of FILE
// ("listening on tcp://127.0.0.1:PORT"), waited for up to 10 s; empty if it never came.
inline std::string WaitForEndpoint(const std::filesystem::path& endpoint_file) {
  for (int i = 0; i < 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(endpoint_file);
    std::string line;
    if (std::getline(in, line) && line.rfind("listening on ", 0) == 0) return line.substr(13);
  }
  return "";
}

}  // namespace s1mple::testing
