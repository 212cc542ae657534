#include "explorer/report.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <system_error>

#include "common/atomic_file.h"
#include "explorer/api.h"
#include "explorer/decode.h"
#include "explorer/page.h"
#include "explorer/plan_summary.h"
#include "explorer/store_source.h"

namespace s1mple::explorer {

using nlohmann::json;

namespace {

constexpr std::string_view kScriptOpen = "<script type=\"application/json\" id=\"snapshot\">";
constexpr std::string_view kScriptClose = "</script>";

// JSON text as it may stand inside <script>: only "</" can end the element early, and JSON
// allows "<\/" for it. Invalid UTF-8 in a plan text is replaced rather than fatal.
void WriteSafe(std::ostream& out, const json& value) {
  const std::string data = value.dump(-1, ' ', false, json::error_handler_t::replace);
  size_t from = 0;
  for (size_t at = data.find("</"); at != std::string::npos; at = data.find("</", from)) {
    out.write(data.data() + from, static_cast<std::streamsize>(at - from));
    out << "<\\/";
    from = at + 2;
  }
  out.write(data.data() + from, static_cast<std::streamsize>(data.size() - from));
}

// The runs whose curves and trades the report embeds: the best `max` by the plan's primary
// metric, runs that meet the plan's constraints first (so the best configuration that
// optimization_result.json names is always among them), then the rest; ties by index. Fed one
// row at a time; keeps at most `max` candidates.
class DetailPicker {
 public:
  DetailPicker(const PlanInfo& plan, uint64_t max) : plan_(plan), max_(max) {}

  void Consider(const json& row) {
    if (max_ == 0 || row["status"] != "done") return;
    Candidate c;
    c.index = row["index"].get<uint64_t>();
    c.eligible = MeetsConstraints(row, plan_.constraints);
    const json& m = row["metrics"];
    if (m.is_object() && m.contains(plan_.primary_metric) && m[plan_.primary_metric].is_number()) {
      const double v = m[plan_.primary_metric].get<double>();
      c.score = plan_.maximize ? v : -v;
    }
    if (best_.size() == max_ && !Better(c, best_.back())) return;
    best_.insert(std::upper_bound(best_.begin(), best_.end(), c, Better), c);
    if (best_.size() > max_) best_.pop_back();
  }
  std::vector<uint64_t> Indexes() const {
    std::vector<uint64_t> out;
    for (const auto& c : best_) out.push_back(c.index);
    return out;
  }

 private:
  struct Candidate {
    bool eligible = false;
    double score = -INFINITY;
    uint64_t index = 0;
  };
  static bool Better(const Candidate& a, const Candidate& b) {
    if (a.eligible != b.eligible) return a.eligible;
    if (a.score != b.score) return a.score > b.score;
    return a.index < b.index;
  }
  const PlanInfo& plan_;
  const uint64_t max_;
  std::vector<Candidate> best_;  // best first
};

// The snapshot document, streamed: the runs go out page by page, so memory holds one page of
// rows (not every run of a 100,000-job sweep) plus the detailed runs one at a time.
// `what` names `out` in the error of a failed write.
Status WriteSnapshot(ExplorerSource& source, const std::string& sweep_id,
                     const ReportOptions& options, std::ostream& out, const std::string& what) {
  ExplorerOptions eo;
  eo.row_cache_bytes = 0;  // one pass: nothing to cache
  ExplorerApi api(source, eo);
  auto sweep = api.Sweep(sweep_id);
  if (!sweep.ok()) return sweep.status();
  auto list = api.Sweeps();
  if (!list.ok()) return list.status();
  json sweeps = json::array();
  for (const auto& s : (*list)["sweeps"]) {
    if (s["id"] == sweep_id) sweeps.push_back(s);
  }
  auto stored = source.GetSweep(sweep_id);
  if (!stored.ok()) return stored.status();
  const PlanInfo plan = ReadPlanSummary(stored->plan_summary);

  out << "{\"generated\":";
  WriteSafe(out, (*list)["now"]);
  out << ",\"sweep_id\":";
  WriteSafe(out, sweep_id);
  out << ",\"sweeps\":";
  WriteSafe(out,
            json{{"sweeps", std::move(sweeps)}, {"runners", nullptr}, {"now", (*list)["now"]}});
  out << ",\"sweep\":";
  WriteSafe(out, *sweep);
  out << ",\"runs\":{\"sweep\":";
  WriteSafe(out, sweep_id);
  out << ",\"offset\":0,\"next_offset\":null,\"runs\":[";
  DetailPicker picker(plan, options.max_detailed_runs);
  uint64_t n = 0;
  uint64_t offset = 0;
  for (;;) {
    auto page = api.Runs(sweep_id, offset, api.options().max_page);
    if (!page.ok()) return page.status();
    for (const auto& r : (*page)["runs"]) {
      if (n++ > 0) out << ",";
      WriteSafe(out, r);
      picker.Consider(r);
    }
    if ((*page)["next_offset"].is_null()) break;
    offset = (*page)["next_offset"].get<uint64_t>();
  }
  out << "],\"total\":" << n << ",\"limit\":" << n << "},\"details\":{";
  bool first = true;
  for (uint64_t index : picker.Indexes()) {
    auto run = api.Run(sweep_id, index);
    if (!run.ok()) return run.status();
    out << (first ? "" : ",");
    first = false;
    WriteSafe(out, std::to_string(index));
    out << ":";
    WriteSafe(out, *run);
  }
  out << "}}";
  return out ? Status::Ok() : Status::IOError("cannot write " + what + " (disk full?)");
}

}  // namespace

Result<json> BuildReportSnapshot(ExplorerSource& source, const std::string& sweep_id,
                                 const ReportOptions& options) {
  std::ostringstream text;
  S1MPLE_RETURN_IF_ERROR(WriteSnapshot(source, sweep_id, options, text, "the snapshot"));
  return json::parse(text.str());
}

std::string RenderReportHtml(const json& snapshot) {
  std::ostringstream data;
  WriteSafe(data, snapshot);
  const std::string tag = std::string(kScriptOpen) + data.str() + std::string(kScriptClose);
  std::string html(ExplorerPageHtml());
  const size_t at = html.find(kSnapshotMarker);
  if (at == std::string::npos) {
    const size_t body = html.rfind("</body>");
    html.insert(body == std::string::npos ? html.size() : body, tag);
  } else {
    html.replace(at, kSnapshotMarker.size(), tag);
  }
  return html;
}

Status WriteReportHtml(ExplorerSource& source, const std::string& sweep_id,
                       const std::filesystem::path& path, const ReportOptions& options) {
  // The page around the snapshot: before the marker, and after it.
  const std::string_view page = ExplorerPageHtml();
  size_t at = page.find(kSnapshotMarker);
  size_t resume =
      at == std::string_view::npos ? std::string_view::npos : at + kSnapshotMarker.size();
  if (at == std::string_view::npos) {
    at = page.rfind("</body>");
    if (at == std::string_view::npos) at = page.size();
    resume = at;
  }
  // A failed report leaves no temporary file (the AtomicFile removes it).
  auto file = AtomicFile::Create(path);
  if (!file.ok()) return file.status();
  std::ostream& out = (*file)->stream();
  out.write(page.data(), static_cast<std::streamsize>(at));
  out << kScriptOpen;
  S1MPLE_RETURN_IF_ERROR(
      WriteSnapshot(source, sweep_id, options, out, (*file)->temp_path().string()));
  out << kScriptClose;
  out.write(page.data() + resume, static_cast<std::streamsize>(page.size() - resume));
  return (*file)->Commit();
}

Status WriteReportHtml(store::JobStore& store, const std::string& sweep_id,
                       const std::filesystem::path& path, const ReportOptions& options) {
  auto source = MakeStoreExplorerSource(store);
  return WriteReportHtml(*source, sweep_id, path, options);
}

}  // namespace s1mple::explorer
