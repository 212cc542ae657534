// The sweep session (issue 8): what `s1mple optimize|variant PLAN.yaml`, `s1mple resume` and
// `s1mple results` do once a plan is loaded. It submits the plan's jobs to a broker — an
// embedded one (LocalCluster: store under .s1mple/, one local runner slot per core) or a remote
// one (--broker tcp://HOST:PORT, CurveZMQ keys) — follows progress, and writes the outputs
// (results.csv, optimization_result.json | variant_comparison.json, report.html) from the
// results the store holds. Nothing is kept only in memory: every finished job is in the store
// the moment the broker acknowledges it, so an interrupted session loses no recorded result
// and `s1mple resume SWEEP` carries on.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "cli/commands.h"
#include "producer/sweep_request.h"

namespace CLI {
class App;
}

namespace s1mple::cli {

// Flags shared by optimize, variant, resume and results (besides --broker and --store).
struct SessionFlags {
  std::string key;           // our secret key file (NAME.key), for a CurveZMQ broker
  std::string server_key;    // the broker's public key (Z85 or a .pub file)
  bool detach = false;       // submit, print the sweep id alone on stdout, exit
  bool fresh = false;        // embedded: a new sweep even if the identical plan has one
  std::string http;          // embedded mode: serve the Trade Explorer at HOST:PORT meanwhile
  bool http_public = false;  // allow a non-loopback --http address
  bool no_progress = false;  // no progress output at all
  bool returns = false;      // also write returns.csv (every run's daily returns)
};

// Registers --key, --server-key, --detach and --fresh (when with_detach), --http, --http-public,
// --no-progress and --returns on `sub`, writing into `flags` (which must outlive the app).
void AddSessionFlags(CLI::App* sub, SessionFlags& flags, bool with_detach);

// Runs a prepared plan to completion (or until SIGINT) and writes its outputs. The newest sweep
// of the identical plan (same plan text and base artifacts) in the same store, unless cancelled,
// is carried on instead of starting over: an unfinished one is resumed, a finished one's outputs
// are written from its results (unless flags.fresh); the session says so. With a broker, an
// open (cut-off) submission of the identical plan is finished (SUBMIT_BEGIN resume_identical).
// Exit codes as in cli/commands.h.
int RunSweepSession(const producer::SweepRequest& request, const SessionFlags& flags,
                    CliContext& ctx);

// Where a sweep lives: a local store (embedded broker) or a remote broker.
struct SweepLocation {
  std::string broker;  // empty: local store
  std::filesystem::path store_dir = ".s1mple";
  int local_runners = 0;  // embedded resume: local slots (0: cores)
};

// `s1mple resume SWEEP`: continues an interrupted sweep (finishes an interrupted submission,
// resumes a paused sweep), follows it to the end and writes its outputs to out_dir (default
// runs/<sweep-id>).
int ResumeSweep(const std::string& sweep_id, const SweepLocation& where,
                const std::filesystem::path& out_dir, const std::filesystem::path& plan_file,
                const SessionFlags& flags, CliContext& ctx);

// `s1mple results SWEEP`: writes the outputs of any sweep, finished or not, from what the
// store holds now.
int WriteSweepResults(const std::string& sweep_id, const SweepLocation& where,
                      const std::filesystem::path& out_dir, const std::filesystem::path& plan_file,
                      const SessionFlags& flags, CliContext& ctx);

}  // namespace s1mple::cli
