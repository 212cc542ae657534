// Test support: run a command as a child process and capture what it printed.
// Header-only; used by tests that drive the real `s1mple` binary (cli, system).
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace s1mple::testing {

struct CommandResult {
  int exit_code = -1;  // the exit status, or 128+signal when killed by a signal
  std::string out;     // stdout
  std::string err;     // stderr
};

// Path of the s1mple binary under test (set by ctest through S1MPLE_BIN).
inline std::string S1mpleBin() {
  const char* bin = std::getenv("S1MPLE_BIN");
  return bin ? bin : "build/cli/s1mple";
}

// Project root (set by ctest through S1MPLE_ROOT); tests run with it as working directory.
inline std::filesystem::path ProjectRoot() {
  const char* root = std::getenv("S1MPLE_ROOT");
  return root ? std::filesystem::path(root) : std::filesystem::current_path();
}

inline std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  return q + "'";
}

// Runs argv (argv[0] looked up on PATH or given as a path) through /bin/sh, waits, and returns
// exit code, stdout and stderr.
inline CommandResult Run(const std::vector<std::string>& argv) {
  namespace fs = std::filesystem;
  static int counter = 0;
  fs::path dir = fs::temp_directory_path() /
                 ("s1mple-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::create_directories(dir);
  std::string cmd;
  for (const auto& a : argv) cmd += ShellQuote(a) + " ";
  cmd += "</dev/null >" + ShellQuote((dir / "out").string()) + " 2>" +
         ShellQuote((dir / "err").string());
  int status = std::system(cmd.c_str());
  CommandResult r;
  if (status != -1 && WIFEXITED(status))
    r.exit_code = WEXITSTATUS(status);
  else if (status != -1 && WIFSIGNALED(status))
    r.exit_code = 128 + WTERMSIG(status);
  auto slurp = [](const fs::path& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  r.out = slurp(dir / "out");
  r.err = slurp(dir / "err");
  fs::remove_all(dir);
  return r;
}

// Runs the s1mple binary with the given arguments.
inline CommandResult RunS1mple(std::vector<std::string> args) {
  args.insert(args.begin(), S1mpleBin());
  return Run(args);
}

}  // namespace s1mple::testing
