// s1mple: entry point. Parses the command line with CLI11, sets up logging, dispatches to the
// subcommand, and turns anything that escapes a subcommand into a one-line error.
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace s1mple::cli {

void PrintError(const std::string& message) {
  std::cerr << "s1mple: error: " << message << "\n";
}

namespace {

bool SetLogLevel(const std::string& name) {
  auto level = spdlog::level::from_str(name);
  // from_str maps anything unknown to "off"; only accept "off" when asked for.
  if (level == spdlog::level::off && name != "off") return false;
  spdlog::set_level(level);
  return true;
}

}  // namespace
}  // namespace s1mple::cli

int main(int argc, char** argv) {
  using namespace s1mple::cli;
  // Logs go to stderr so stdout stays for results (sweep ids, tables, JSON).
  auto logger = spdlog::stderr_color_mt("s1mple");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::info);

  CLI::App app{"s1mple: exhaustive, resumable, distributed backtest sweeps (S1mpleTrader)",
               "s1mple"};
  app.set_version_flag("--version", std::string("s1mple ") + S1MPLE_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  std::string log_level = "info";
  auto* log_opt =
      app.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical or off")
          ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  CliContext ctx;
  app.parse_complete_callback([&] {
    SetLogLevel(log_level);
    ctx.log_level_given = log_opt->count() > 0;
  });

  AddRunCommand(app, ctx);
  AddOptimizeCommand(app, ctx);
  AddVariantCommand(app, ctx);
  AddBrokerCommand(app, ctx);
  AddRunnerCommand(app, ctx);
  AddStatusCommand(app, ctx);
  AddResultsCommand(app, ctx);
  AddResumeCommand(app, ctx);
  AddJobCommand(app, ctx);
  AddKeygenCommand(app, ctx);
  AddPluginCommand(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    // Name an unknown subcommand instead of CLI11's "A subcommand is required".
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg == "--log-level") {
        ++i;
        continue;
      }
      if (!arg.empty() && arg[0] != '-') {
        bool known = false;
        for (const auto* sub : app.get_subcommands({})) known = known || sub->get_name() == arg;
        if (!known) what = "unknown subcommand '" + arg + "'";
        break;
      }
    }
    if (what.empty()) what = e.get_name();
    PrintError(what + " (see s1mple --help)");
    return kExitUsage;
  } catch (const std::exception& e) {
    PrintError(e.what());
    return kExitFailure;
  }
  spdlog::shutdown();
  return ctx.exit_code;
}
