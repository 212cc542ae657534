// The subcommands of `s1mple`. Each lives in its own cmd_<name>.cc and registers itself on the
// app with Add<Name>Command; its callback runs after parsing and sets ctx.exit_code.
//
// Exit codes: 0 success, 1 the work failed (a backtest error, a lost broker, ...),
// 2 bad usage or bad input (unknown flag, bad YAML, malformed CSV), 130 interrupted (SIGINT).
// Errors go to stderr as one line "s1mple: error: ..."; results go to stdout or to files.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace s1mple::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInterrupted = 130;

struct CliContext {
  int exit_code = kExitOk;
  bool log_level_given = false;  // --log-level was on the command line
};

// Prints "s1mple: error: <message>" on stderr.
void PrintError(const std::string& message);

void AddRunCommand(CLI::App& app, CliContext& ctx);
void AddOptimizeCommand(CLI::App& app, CliContext& ctx);
void AddVariantCommand(CLI::App& app, CliContext& ctx);
void AddBrokerCommand(CLI::App& app, CliContext& ctx);
void AddRunnerCommand(CLI::App& app, CliContext& ctx);
void AddStatusCommand(CLI::App& app, CliContext& ctx);
void AddResultsCommand(CLI::App& app, CliContext& ctx);
void AddResumeCommand(CLI::App& app, CliContext& ctx);
void AddJobCommand(CLI::App& app, CliContext& ctx);
void AddKeygenCommand(CLI::App& app, CliContext& ctx);
void AddPluginCommand(CLI::App& app, CliContext& ctx);

}  // namespace s1mple::cli
