// An ExplorerSource (broker/explorer_source.h) over a broker's client protocol: what report.html
// is built from when the sweep lives on a remote broker (`s1mple optimize|results --broker`),
// where there is no store to read. It sees one sweep, through STATUS (with its plan) and RESULTS
// pages.
//
// What the protocol does not carry is left empty: the sweep's creation time (0), its artifacts,
// max_attempts and timeout, and each job's attempt history (the failure reason is there).
//
// Thread-safe: one mutex serializes the client (a transport::Client is not), so the report may be
// built on its own thread with its own client.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "broker/explorer_source.h"
#include "transport/client.h"

namespace s1mple::cli {

class ClientExplorerSource final : public broker::ExplorerSource {
 public:
  // `kind`: "optimization" or "variant" (STATUS does not say; the plan does).
  ClientExplorerSource(std::unique_ptr<transport::Client> client, std::string sweep_id,
                       std::string kind);

  Result<std::vector<broker::ExplorerSweep>> ListSweeps() override;
  Result<broker::ExplorerSweep> GetSweep(const std::string& sweep_id) override;
  // Each done job carries the small members of its result (metrics, causality, period, bars,
  // fetched with RESULTS `fields`) even when `with_results` is false; with_results: the whole
  // result.
  Status ScanJobs(const std::string& sweep_id, uint64_t from_index, uint64_t limit,
                  bool with_results,
                  const std::function<bool(const broker::ExplorerJob&)>& fn) override;
  Result<broker::ExplorerJob> GetJob(const std::string& sweep_id, uint64_t index) override;

 private:
  Result<broker::ExplorerSweep> Sweep();

  std::mutex mu_;  // guards client_ and plan_
  std::unique_ptr<transport::Client> client_;
  const std::string sweep_id_;
  const std::string kind_;
  std::string plan_;  // fetched once
  bool have_plan_ = false;
};

}  // namespace s1mple::cli
