// s1mple status [SWEEP] [--broker ENDPOINT] [--json]: sweeps with done/running/pending/failed,
// rate and ETA; connected runners with slots and throughput; the broker's counters (--json).
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "transport/client.h"

namespace s1mple::cli {
namespace {

struct StatusArgs {
  std::string sweep;
  std::string broker = "tcp://127.0.0.1:5555";
  std::string server_key;
  std::string key_file;
  bool json = false;
  int timeout_ms = 5000;
};

std::string Eta(double s) {
  if (s < 0) return "?";
  char buf[32];
  long t = static_cast<long>(s + 0.5);
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else if (t >= 60)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%lds", t);
  return buf;
}

nlohmann::json ToJson(const protocol::StatusReply& s) {
  nlohmann::json j;
  j["sweeps"] = nlohmann::json::array();
  for (const auto& w : s.sweeps) {
    j["sweeps"].push_back({{"sweep", w.sweep},
                           {"name", w.name},
                           {"state", w.state},
                           {"total", w.total},
                           {"done", w.done},
                           {"running", w.running},
                           {"pending", w.pending},
                           {"failed", w.failed},
                           {"rate", w.rate},
                           {"eta_s", w.eta_s},
                           {"max_workers", w.max_workers}});
  }
  j["runners"] = nlohmann::json::array();
  for (const auto& r : s.runners) {
    j["runners"].push_back({{"runner", r.runner},
                            {"slots", r.slots},
                            {"running", r.running},
                            {"credit", r.credit},
                            {"done", r.done},
                            {"rate", r.rate},
                            {"connected_s", r.connected_s}});
  }
  j["counters"] = s.counters;
  return j;
}

void PrintTable(const protocol::StatusReply& s) {
  std::printf("%-16s %-24s %-9s %8s %8s %8s %8s %7s %8s %8s\n", "SWEEP", "NAME", "STATE", "TOTAL",
              "DONE", "RUNNING", "PENDING", "FAILED", "RATE/s", "ETA");
  for (const auto& w : s.sweeps) {
    std::string name = w.name.size() > 24 ? w.name.substr(0, 23) + "~" : w.name;
    std::printf("%-16s %-24s %-9s %8llu %8llu %8llu %8llu %7llu %8.1f %8s\n", w.sweep.c_str(),
                name.c_str(), w.state.c_str(), static_cast<unsigned long long>(w.total),
                static_cast<unsigned long long>(w.done), static_cast<unsigned long long>(w.running),
                static_cast<unsigned long long>(w.pending),
                static_cast<unsigned long long>(w.failed), w.rate, Eta(w.eta_s).c_str());
  }
  if (s.sweeps.empty()) std::printf("(no sweeps)\n");
  std::printf("\n%-32s %6s %8s %10s %8s %10s\n", "RUNNER", "SLOTS", "RUNNING", "DONE", "RATE/s",
              "CONNECTED");
  for (const auto& r : s.runners) {
    std::printf("%-32s %6u %8u %10llu %8.1f %10s\n", r.runner.c_str(), r.slots, r.running,
                static_cast<unsigned long long>(r.done), r.rate, Eta(r.connected_s).c_str());
  }
  if (s.runners.empty()) std::printf("(no runners connected)\n");
}

int RunStatus(const StatusArgs& a) {
  auto sec = transport::LoadClientSecurity(a.server_key, a.key_file);
  if (!sec.ok()) {
    PrintError(sec.status().ToString());
    return kExitUsage;
  }
  transport::ClientOptions co;
  co.endpoint = a.broker;
  co.security = *sec;
  co.timeout_ms = a.timeout_ms;
  auto client = transport::Client::Connect(co);
  if (!client.ok()) {
    PrintError(client.status().ToString());
    return kExitUsage;
  }
  auto status = (*client)->GetStatus(a.sweep);
  if (!status.ok()) {
    PrintError(status.status().ToString());
    return kExitFailure;
  }
  if (a.json)
    std::cout << ToJson(*status).dump(2) << "\n";
  else
    PrintTable(*status);
  return kExitOk;
}

}  // namespace

void AddStatusCommand(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<StatusArgs>();
  auto* sub =
      app.add_subcommand("status", "Show sweeps (progress, rate, ETA) and connected runners");
  sub->add_option("SWEEP", args->sweep, "one sweep id (default: all)");
  sub->add_option("--broker", args->broker, "the broker's endpoint")->capture_default_str();
  sub->add_option("--server-key", args->server_key, "the broker's public key (Z85 or .pub file)");
  sub->add_option("--key", args->key_file, "our secret key file (s1mple keygen)");
  sub->add_flag("--json", args->json, "print JSON (with the broker's counters)");
  sub->add_option("--timeout-ms", args->timeout_ms, "give up after this long")
      ->capture_default_str();
  sub->callback([args, &ctx] { ctx.exit_code = RunStatus(*args); });
}

}  // namespace s1mple::cli
