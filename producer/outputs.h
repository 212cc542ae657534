// A sweep's outputs from the results its broker holds now: results.csv, report.html and, last,
// optimization_result.json | variant_comparison.json (producer/analysis.h), each written
// atomically, so the JSON's presence says every output is complete. Works for any sweep,
// finished or not (`s1mple results`).
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "producer/expansion.h"
#include "producer/sweep_site.h"
#include "transport/client.h"

namespace s1mple::producer {

// Reads every result of `sweep` in index order through `client` (only the members the outputs
// use travel) and writes the outputs into `out_dir` (created); report.html is built meanwhile
// on a second thread by `site`. Returns the analyzer's summary.
[[nodiscard]] Result<nlohmann::json> WriteOutputs(transport::Client& client, SweepSite& site,
                                                  const std::string& sweep, const JobSpace& space,
                                                  const std::filesystem::path& out_dir);

// What the session prints on stdout once the outputs are written: counts, the best run under
// the constraints (or the comparison), and where the files are.
void PrintOutcome(const std::string& sweep, const std::filesystem::path& out_dir,
                  const JobSpace& space, const nlohmann::json& summary);

// `out_dir`, or runs/<sweep> when it is empty.
std::filesystem::path OutDirFor(const std::filesystem::path& out_dir, const std::string& sweep);

}  // namespace s1mple::producer
