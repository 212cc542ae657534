#include "broker/explorer_report.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <system_error>

#include "broker/explorer_api.h"
#include "broker/explorer_decode.h"
#include "broker/explorer_page.h"
#include "broker/explorer_store_source.h"

namespace s1mple::broker {

using nlohmann::json;

namespace {

// Higher is better, except for drawdowns, where the smaller magnitude is better.
double Score(const json& run, const std::string& metric) {
  const json& m = run["metrics"];
  if (!m.is_object() || !m.contains(metric) || !m[metric].is_number()) return -INFINITY;
  const double v = m[metric].get<double>();
  return metric.find("drawdown") != std::string::npos ? -std::fabs(v) : v;
}

std::vector<uint64_t> DetailedRuns(const json& runs, const std::string& metric, uint64_t max) {
  std::vector<std::pair<double, uint64_t>> ranked;
  for (const auto& r : runs) {
    if (r["status"] != "done") continue;
    ranked.emplace_back(Score(r, metric), r["index"].get<uint64_t>());
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<uint64_t> out;
  for (const auto& [score, index] : ranked) {
    if (out.size() >= max) break;
    out.push_back(index);
  }
  return out;
}

}  // namespace

Result<json> BuildReportSnapshot(ExplorerSource& source, const std::string& sweep_id,
                                 const ReportOptions& options) {
  ExplorerApi api(source);
  auto sweep = api.Sweep(sweep_id);
  if (!sweep.ok()) return sweep.status();
  auto list = api.Sweeps();
  if (!list.ok()) return list.status();
  json sweeps = json::array();
  for (const auto& s : (*list)["sweeps"]) {
    if (s["id"] == sweep_id) sweeps.push_back(s);
  }

  json runs = json::array();
  uint64_t offset = 0;
  for (;;) {
    auto page = api.Runs(sweep_id, offset, api.options().max_page);
    if (!page.ok()) return page.status();
    for (auto& r : (*page)["runs"]) runs.push_back(std::move(r));
    if ((*page)["next_offset"].is_null()) break;
    offset = (*page)["next_offset"].get<uint64_t>();
  }

  json details = json::object();
  const std::string metric = (*sweep)["plan"]["primary_metric"].get<std::string>();
  for (uint64_t index : DetailedRuns(runs, metric, options.max_detailed_runs)) {
    auto run = api.Run(sweep_id, index);
    if (!run.ok()) return run.status();
    details[std::to_string(index)] = std::move(*run);
  }
  return json{
      {"generated", (*list)["now"]},
      {"sweep_id", sweep_id},
      {"sweeps", {{"sweeps", std::move(sweeps)}, {"runners", nullptr}, {"now", (*list)["now"]}}},
      {"sweep", std::move(*sweep)},
      {"runs",
       {{"sweep", sweep_id},
        {"total", runs.size()},
        {"offset", 0},
        {"limit", runs.size()},
        {"next_offset", nullptr},
        {"runs", std::move(runs)}}},
      {"details", std::move(details)}};
}

std::string RenderReportHtml(const json& snapshot) {
  std::string data = snapshot.dump(-1, ' ', false, json::error_handler_t::replace);
  // Inside <script> only "</" can end the element early; JSON allows "<\/" for it.
  std::string safe;
  safe.reserve(data.size() + 64);
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '<' && i + 1 < data.size() && data[i + 1] == '/') {
      safe += "<\\/";
      ++i;
    } else {
      safe += data[i];
    }
  }
  const std::string tag = "<script type=\"application/json\" id=\"snapshot\">" + safe + "</script>";
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
  auto snapshot = BuildReportSnapshot(source, sweep_id, options);
  if (!snapshot.ok()) return snapshot.status();
  const std::string html = RenderReportHtml(*snapshot);
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(html.data(), static_cast<std::streamsize>(html.size()));
    out.close();
    if (!out) return Status::IOError("cannot write " + tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec)
    return Status::IOError("cannot rename " + tmp.string() + " to " + path.string() + ": " +
                           ec.message());
  return Status::Ok();
}

Status WriteReportHtml(store::JobStore& store, const std::string& sweep_id,
                       const std::filesystem::path& path, const ReportOptions& options) {
  auto source = MakeStoreExplorerSource(store);
  return WriteReportHtml(*source, sweep_id, path, options);
}

}  // namespace s1mple::broker
