// SweepSite: where a sweep runs, as the sweep session (producer/session.h) sees it: a broker to
// talk to, and, for an embedded broker, the facts the session reads from its store on this
// machine (a remote broker says what it can over STATUS). The CLI makes one (cli/sweep_sites.h):
// an embedded cluster (embedded/) with an optional Trade Explorer, or a remote broker's address
// and keys; report.html comes from the Trade Explorer (explorer/). The producer uses neither.
//
// Thread-safety: WriteReport may run on a second thread while the session uses its own client;
// everything else is called from the session's thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "common/vocabulary.h"
#include "transport/client.h"

namespace s1mple::producer {

// A sweep in an embedded store.
struct StoredSweep {
  std::string id;
  SweepState state = SweepState::kSubmitting;
  int64_t created_ms = 0;  // wall clock, ms since the epoch
  uint64_t job_count = 0;  // jobs stored so far
  uint64_t finished = 0;   // DONE + FAILED
};

class SweepSite {
 public:
  virtual ~SweepSite() = default;

  // How to reach the broker; the session makes its connections from these.
  virtual const transport::ClientOptions& client_options() const = 0;
  // True for an embedded broker (its store is on this machine, in this process).
  virtual bool embedded() const = 0;
  // For the session's lines: "4 local slots" or "broker tcp://HOST:PORT".
  virtual std::string Describe() const = 0;
  // The Trade Explorer's URL while this site serves it, else empty.
  virtual std::string explorer_url() const { return {}; }

  // Embedded only (nullopt / Ok for a remote broker):
  // The newest sweep of the identical plan (plan hash and base artifacts) that is not cancelled.
  virtual std::optional<StoredSweep> FindIdentical(
      const std::string& /*plan_hash*/, const std::map<std::string, std::string>& /*artifacts*/) {
    return std::nullopt;
  }
  virtual std::optional<StoredSweep> Stored(const std::string& /*sweep*/) { return std::nullopt; }
  // Why the store refuses writes (a full disk), or Ok; with the store's directory.
  virtual Status StoreWriteStatus() const { return Status::Ok(); }
  virtual std::string store_dir() const { return {}; }

  // Writes report.html of `sweep` at `path` (an AtomicFile).
  [[nodiscard]] virtual Status WriteReport(const std::string& sweep, SweepKind kind,
                                           const std::filesystem::path& path) = 0;
  // Embedded: stops the runner, then the broker (every acknowledged result is durable).
  virtual void Stop() {}
};

// What the session asks for when it needs a site.
struct SiteRequest {
  std::string broker;                           // empty: embedded
  std::filesystem::path store_dir = ".s1mple";  // embedded store
  int local_runners = 0;                        // embedded slots (0: one per core)
  bool start_runner = true;                     // false: broker only (outputs of a stored sweep)
  std::string key;                              // our secret key file (remote, CurveZMQ)
  std::string server_key;                       // the broker's public key (remote, CurveZMQ)
  std::string http;                             // embedded: serve the Trade Explorer here
  bool http_public = false;                     // allow a non-loopback --http address
};
using SiteFactory = std::function<Result<std::unique_ptr<SweepSite>>(const SiteRequest&)>;

}  // namespace s1mple::producer
