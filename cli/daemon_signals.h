// SIGTERM/SIGINT handling for the long-running subcommands (broker, runner): the first signal
// calls the registered stop function (which must be async-signal-safe, e.g. Broker::Stop or
// Runner::Stop); the daemon then shuts down cleanly and exits 0.
#pragma once

#include <csignal>
#include <functional>

namespace s1mple::cli {

// Installs handlers for SIGTERM and SIGINT that call `stop` (a plain function pointer taking
// `arg`, both kept in a global). Pass nullptr to uninstall.
void InstallStopSignals(void (*stop)(void*), void* arg);

}  // namespace s1mple::cli
