// Test support: `promtool check metrics` (Debian's prometheus package) on an exposition text.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace s1mple::metrics {

struct PromtoolResult {
  bool ran = false;  // false: no promtool (output says what to install)
  int exit_code = -1;
  std::string output;  // what promtool printed (problems, lint warnings)
};

// Path of promtool: $PROMTOOL, else the one CMake found, else /usr/bin/promtool.
inline std::string PromtoolPath() {
  if (const char* p = std::getenv("PROMTOOL")) return p;
#ifdef S1MPLE_PROMTOOL
  if (std::string(S1MPLE_PROMTOOL).size() &&
      std::string(S1MPLE_PROMTOOL).find("NOTFOUND") == std::string::npos)
    return S1MPLE_PROMTOOL;
#endif
  return "/usr/bin/promtool";
}

inline PromtoolResult PromtoolCheckMetrics(const std::string& text) {
  namespace fs = std::filesystem;
  PromtoolResult r;
  const std::string tool = PromtoolPath();
  if (!fs::exists(tool)) {
    r.output = "promtool not found at " + tool +
               ": install Debian's prometheus package (scripts/setup does)";
    return r;
  }
  static int n = 0;
  const fs::path dir =
      fs::temp_directory_path() /
      ("s1mple-promtool-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
  fs::create_directories(dir);
  std::ofstream(dir / "in") << text;
  const std::string cmd =
      tool + " check metrics < " + (dir / "in").string() + " > " + (dir / "out").string() + " 2>&1";
  const int status = std::system(cmd.c_str());
  r.ran = true;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  std::ifstream out(dir / "out");
  std::stringstream ss;
  ss << out.rdbuf();
  r.output = ss.str();
  fs::remove_all(dir);
  return r;
}

}  // namespace s1mple::metrics
