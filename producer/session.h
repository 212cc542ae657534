// The sweep session (issue 8): what `s1mple optimize|variant PLAN.yaml`, `s1mple resume` and
// `s1mple results` do once a plan is loaded. It submits the plan's jobs to a broker -- an
// embedded one or a remote one, behind a SweepSite (producer/sweep_site.h) -- streaming them
// from the lazy job space (producer/submission.h), follows progress and the best run so far
// (producer/follow.h), and writes the outputs from the results the broker holds
// (producer/outputs.h). Nothing is kept only in memory: every finished job is in the store the
// moment the broker acknowledges it, so an interrupted session loses no recorded result and
// `s1mple resume SWEEP` carries on.
//
// Resume detection: the newest sweep of the identical plan (same plan text and base artifacts)
// in an embedded store, unless cancelled, is carried on instead of starting over (an unfinished
// one is resumed, a finished one's outputs are written from its results, unless `fresh`). With a
// broker, an open (cut-off) submission of the identical plan is finished (SUBMIT_BEGIN
// resume_identical).
//
// SIGINT and SIGTERM interrupt a session (its handler is installed for the session's lifetime):
// it stops following, says how to continue, and ends with SessionEnd::kInterrupted.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "producer/sweep_request.h"
#include "producer/sweep_site.h"

namespace s1mple::producer {

// Options shared by optimize, variant, resume and results (besides where the sweep lives).
struct SessionOptions {
  std::string key;           // our secret key file (NAME.key), for a CurveZMQ broker
  std::string server_key;    // the broker's public key (Z85 or a .pub file)
  bool detach = false;       // submit, print the sweep id alone on stdout, end
  bool fresh = false;        // embedded: a new sweep even if the identical plan has one
  std::string http;          // embedded: serve the Trade Explorer at HOST:PORT meanwhile
  bool http_public = false;  // allow a non-loopback --http address
  bool no_progress = false;  // no progress output at all
  // Makes the site a sweep runs on (required; the CLI's cli/sweep_sites.h).
  SiteFactory sites;
  // Prints one error line (the CLI's "s1mple: error: ..."); empty: "error: ..." on stderr.
  std::function<void(const std::string&)> print_error;
};

// How a session ended; the values are the CLI's exit codes (cli/commands.h).
enum class SessionEnd : int {
  kOk = 0,
  kFailure = 1,       // the work failed: a lost broker, every run failed, an output not written
  kUsage = 2,         // bad input: a flag, an unknown sweep, a plan that does not load
  kInterrupted = 130  // SIGINT / SIGTERM
};

// Where a stored sweep lives: a local store (embedded broker) or a remote broker.
struct SweepLocation {
  std::string broker;  // empty: local store
  std::filesystem::path store_dir = ".s1mple";
  int local_runners = 0;  // embedded resume: local slots (0: cores)
};

// Runs a prepared plan to completion (or until interrupted) and writes its outputs.
SessionEnd RunSweepSession(const SweepRequest& request, const SessionOptions& options);

// `s1mple resume SWEEP`: continues an interrupted sweep (finishes an interrupted submission,
// resumes a paused sweep), follows it to the end and writes its outputs to out_dir (default
// runs/<sweep-id>). `plan_file`: the plan when the broker cannot return it (empty: the plan the
// sweep was submitted with).
SessionEnd ResumeSweep(const std::string& sweep_id, const SweepLocation& where,
                       const std::filesystem::path& out_dir, const std::filesystem::path& plan_file,
                       const SessionOptions& options);

// `s1mple results SWEEP`: writes the outputs of any sweep, finished or not, from what the store
// holds now.
SessionEnd WriteSweepResults(const std::string& sweep_id, const SweepLocation& where,
                             const std::filesystem::path& out_dir,
                             const std::filesystem::path& plan_file, const SessionOptions& options);

}  // namespace s1mple::producer
