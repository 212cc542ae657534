#include "cli/daemon_signals.h"

#include <atomic>

namespace s1mple::cli {
namespace {

std::atomic<void (*)(void*)> g_stop{nullptr};
std::atomic<void*> g_arg{nullptr};

extern "C" void OnStopSignal(int) {
  auto stop = g_stop.load();
  if (stop) stop(g_arg.load());
}

}  // namespace

void InstallStopSignals(void (*stop)(void*), void* arg) {
  g_arg.store(arg);
  g_stop.store(stop);
  struct sigaction sa {};
  sa.sa_handler = stop ? OnStopSignal : SIG_DFL;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

}  // namespace s1mple::cli
