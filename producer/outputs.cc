#include "producer/outputs.h"

#include <algorithm>
#include <fstream>
#include <future>
#include <iostream>
#include <optional>
#include <sstream>

#include <spdlog/spdlog.h>

#include "common/atomic_file.h"
#include "common/iso_time.h"
#include "common/vocabulary.h"
#include "producer/analysis.h"
#include "producer/result_fields.h"

namespace s1mple::producer {

namespace {

// The members of a stored result that the outputs use: the metrics, causality, period, bar count,
// daily returns (the overfitting and variant statistics, returns.csv) and warnings of each run;
// a variant test's also its equity curve. Only these travel (RESULTS `fields`) and are parsed;
// trades and opportunities stay.
std::vector<std::string> OutputFields(const JobSpace& space) {
  if (space.plan().kind == PlanKind::kOptimization)
    return {"metrics", "causality", "period", "bars", "returns", "warnings"};
  return {"metrics", "causality", "period", "bars", "equity", "returns", "warnings"};
}

// The daily returns go to `returns` without a document (thousands of numbers per run).
nlohmann::json ParseOutputFields(const JobSpace& space, std::string_view result,
                                 std::optional<engine::DailyReturns>& returns) {
  if (space.plan().kind == PlanKind::kOptimization)
    return ParseResultFields(
        result, {"metrics", "causality", "period", "bars", "returns", "warnings"}, returns);
  return ParseResultFields(
      result, {"metrics", "causality", "period", "bars", "equity", "returns", "warnings"}, returns);
}

// report.html gets the summary's `overfitting` and `validation` blocks as
// <script type="application/json" id="analysis"> before its snapshot, for the overfitting panel
// (ui/src/overfitting.js). The report is built from the store while the analysis runs, so they
// are added once the analysis is done; '<' is escaped so no text can end the element early.
Status EmbedAnalysis(const std::filesystem::path& report, const nlohmann::json& summary) {
  if (!summary.contains("overfitting") && !summary.contains("validation")) return Status::Ok();
  nlohmann::json analysis = nlohmann::json::object();
  for (const char* key : {"overfitting", "validation"})
    if (summary.contains(key)) analysis[key] = summary[key];
  std::string text;
  for (char c : analysis.dump()) {
    if (c == '<')
      text += "\\u003c";
    else
      text += c;
  }
  std::ifstream in(report, std::ios::binary);
  if (!in) return Status::IOError(report.string() + ": cannot read");
  std::stringstream html;
  html << in.rdbuf();
  std::string page = html.str();
  const std::string marker = "<script type=\"application/json\" id=\"snapshot\">";
  const size_t at = page.find(marker);
  if (at == std::string::npos) return Status::Internal(report.string() + ": no snapshot element");
  std::string element = "<script type=\"application/json\" id=\"analysis\">";
  element.append(text).append("</script>\n");
  page.insert(at, element);
  return WriteFileAtomically(report, page);
}

}  // namespace

// Writes results.csv, report.html, returns.csv (when `returns`) and, last, the result JSON from
// the results the broker holds now, in index order. The JSON is written last (by a rename), so its
// presence says every output is complete. Returns the analyzer's summary.
Result<nlohmann::json> WriteOutputs(transport::Client& client, SweepSite& site,
                                    const std::string& sweep, const JobSpace& space,
                                    const std::filesystem::path& out_dir, bool returns) {
  SweepInfo info;
  info.sweep_id = sweep;
  info.finished_at = FormatIsoTime(WallClockMs());
  info.started_at = info.finished_at;
  if (auto s = site.Stored(sweep)) info.started_at = FormatIsoTime(s->created_ms);
  AnalysisOptions aopts;
  aopts.out_dir = out_dir;
  aopts.write_returns = returns;
  auto analyzer = SweepAnalyzer::Open(space, info, aopts);  // creates out_dir
  if (!analyzer.ok()) return analyzer.status();
  // report.html is built on a second thread while the analyzer reads the results (the store is
  // thread-safe; a remote report has its own connection; after a sweep both cores are free).
  // Waited for below, or by the future's destructor on an early return.
  const SweepKind kind =
      space.plan().kind == PlanKind::kVariant ? SweepKind::kVariant : SweepKind::kOptimization;
  std::future<Status> report = std::async(std::launch::async, [&site, &sweep, kind, &out_dir] {
    return site.WriteReport(sweep, kind, out_dir / "report.html");
  });
  const std::vector<std::string> fields = OutputFields(space);
  uint64_t after = 0;
  while (true) {
    auto page = client.GetResults(sweep, after, 1000, false, fields);
    if (!page.ok()) return page.status().WithContext("results of " + sweep);
    for (const auto& item : page->items) {
      JobOutcome outcome;
      outcome.index = item.index;
      outcome.attempts = static_cast<int>(std::max<uint32_t>(1, item.attempts));
      const std::optional<JobState> state = JobStateFromName(item.state);
      if (state == JobState::kDone) {
        outcome.ok = true;
        outcome.result = ParseOutputFields(space, item.result, outcome.returns);
        if (outcome.result.is_discarded()) {
          outcome.ok = false;
          outcome.failure_reason = "stored result is not JSON";
        }
      } else if (state == JobState::kFailed) {
        outcome.failure_reason = item.error;
      } else {
        continue;
      }
      S1MPLE_RETURN_IF_ERROR((*analyzer)->Add(outcome));
    }
    if (page->end || page->items.empty()) break;
    after = page->next;
  }
  const Status report_status = report.get();
  if (!report_status.ok()) spdlog::warn("report.html not written: {}", report_status.ToString());
  auto summary = (*analyzer)->Finish();
  if (summary.ok() && report_status.ok()) {
    const Status embedded = EmbedAnalysis(out_dir / "report.html", *summary);
    if (!embedded.ok())
      spdlog::warn("report.html: the overfitting panel is missing: {}", embedded.ToString());
  }
  return summary;
}

void PrintOutcome(const std::string& sweep, const std::filesystem::path& out_dir,
                  const JobSpace& space, const nlohmann::json& summary) {
  const bool variant = space.plan().kind == PlanKind::kVariant;
  std::cout << "sweep " << sweep << ": " << summary.value("successful_runs", 0) << " succeeded, "
            << summary.value("failed_runs", 0) << " failed";
  const int64_t missing = summary.contains("missing_runs") && summary["missing_runs"].is_number()
                              ? summary["missing_runs"].get<int64_t>()
                              : 0;
  if (missing > 0) std::cout << ", " << missing << " pending (not finished yet)";
  std::cout << "\n";
  if (!variant && summary.contains("best_configuration") &&
      summary["best_configuration"].is_object()) {
    const auto& b = summary["best_configuration"];
    std::cout << "best by " << space.plan().targets.primary_metric
              << (space.plan().constraints.empty() ? "" : " (meeting the constraints)") << ": run "
              << b.value("run_id", std::string("?"));
    if (b.contains("metrics") && b["metrics"].contains(space.plan().targets.primary_metric))
      std::cout << " (" << b["metrics"][space.plan().targets.primary_metric].dump() << ")";
    if (b.contains("configuration")) std::cout << "  " << b["configuration"].dump();
    std::cout << "\n";
  } else if (!variant && summary.contains("best_configuration_note") &&
             summary.value("successful_runs", 0) > 0) {
    std::cout << "best: none (" << summary["best_configuration_note"].get<std::string>() << ")\n";
  }
  if (variant && summary.contains("comparative_analysis"))
    std::cout << "comparison: " << summary["comparative_analysis"].dump() << "\n";
  if (summary.contains("warnings") && summary["warnings"].is_array())
    for (const auto& w : summary["warnings"])
      std::cerr << "s1mple: warning: " << w.value("warning", std::string()) << " ("
                << w.value("runs", 0) << " runs, first " << w.value("first_run", std::string())
                << ")\n";
  const auto json_name =
      variant ? SweepAnalyzer::kVariantJsonName : SweepAnalyzer::kOptimizationJsonName;
  std::cout << "outputs in " << out_dir.string() << "/: results.csv (pandas.read_csv), "
            << json_name << ", report.html (open in a browser)\n";
}

std::filesystem::path OutDirFor(const std::filesystem::path& out_dir, const std::string& sweep) {
  return out_dir.empty() ? std::filesystem::path("runs") / sweep : out_dir;
}

}  // namespace s1mple::producer
