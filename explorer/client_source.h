// An ExplorerSource (explorer/source.h) over a broker's client protocol: what report.html is
// built from when the sweep lives on a remote broker (`s1mple optimize|results --broker`),
// where there is no store to read. It sees one sweep, through STATUS (with its plan and plan
// summary) and RESULTS pages, sent through a protocol::CallFn (the caller's connection: the
// explorer knows no sockets).
//
// What the protocol does not carry is left empty: the sweep's creation time (0), its artifacts,
// max_attempts and timeout, and each job's attempt history (the failure reason is there).
//
// Thread-safe: one mutex serializes the calls (a connection serves one request at a time), so
// the report may be built on its own thread with its own connection.
#pragma once

#include <string>

#include "common/thread_annotations.h"
#include "common/vocabulary.h"
#include "explorer/source.h"
#include "protocol/requests.h"

namespace s1mple::explorer {

class ClientExplorerSource final : public ExplorerSource {
 public:
  // `call` must stay usable for the source's lifetime. `kind`: the sweep's kind when its plan
  // summary does not say (STATUS does not carry it).
  ClientExplorerSource(protocol::CallFn call, std::string sweep_id, SweepKind kind);

  Result<std::vector<ExplorerSweep>> ListSweeps() override;
  Result<ExplorerSweep> GetSweep(const std::string& sweep_id) override;
  // Each done job carries the small members of its result (metrics, causality, period, bars,
  // fetched with RESULTS `fields`) even when `with_results` is false; with_results: the whole
  // result.
  Status ScanJobs(const std::string& sweep_id, uint64_t from_index, uint64_t limit,
                  bool with_results, const std::function<bool(const ExplorerJob&)>& fn) override;
  Result<ExplorerJob> GetJob(const std::string& sweep_id, uint64_t index) override;

 private:
  Result<ExplorerSweep> Sweep() REQUIRES(mu_);

  Mutex mu_;
  protocol::CallFn call_ GUARDED_BY(mu_);
  const std::string sweep_id_;
  const SweepKind kind_;
  protocol::SweepPlan plan_ GUARDED_BY(mu_);  // fetched once
  bool have_plan_ GUARDED_BY(mu_) = false;
};

}  // namespace s1mple::explorer
