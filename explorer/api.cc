#include "explorer/api.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <exception>
#include <iterator>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>

#include "common/iso_time.h"
#include "common/json_slice.h"
#include "explorer/decode.h"
#include "explorer/plan_summary.h"
#include "store/result_summary.h"

namespace s1mple::explorer {

using nlohmann::json;

namespace {

// The separator of a kept row's cells (and of Columns::job_params): JSON text never holds it
// outside strings and escapes it inside them. kAbsent, no JSON text either, marks a missing cell.
constexpr char kSep = '\x1f';
constexpr char kAbsent = '\x1e';

// A run that will not change any more (its row can be kept).
bool Finished(JobState s) {
  return s == JobState::kDone || s == JobState::kFailed;
}

std::string Dump(const json& v) {
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

json CountsJson(const ExplorerCounts& c) {
  // Keyed by the states' one spelling (common/vocabulary.h).
  return {{"total", c.total},
          {Name(JobState::kPending), c.pending},
          {Name(JobState::kLeased), c.leased},
          {Name(JobState::kDone), c.done},
          {Name(JobState::kFailed), c.failed}};
}

std::vector<std::string> VariantNames(const ExplorerSweep& sweep, const PlanInfo& plan) {
  std::vector<std::string> names;
  if (sweep.kind != SweepKind::kVariant) return names;
  for (const auto& v : plan.variants) names.push_back(v.name);
  return names;
}

json DimensionsJson(const std::vector<PlanInfo::Dimension>& dims) {
  json out = json::array();
  for (const auto& d : dims)
    out.push_back({{"name", d.name}, {"size", d.size}, {"columns", d.columns}});
  return out;
}

// A key the document path reads as it is written: ASCII, no escape, no control character.
bool PlainKey(std::string_view key) {
  for (char c : key)
    if (c == '\\' || static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x80)
      return false;
  return true;
}

// A string of printable ASCII without escapes or quotes inside, or true, false or null: text
// that Dump writes back exactly as it is once parsed (so it needs no parser to check or copy).
bool PlainScalar(std::string_view raw) {
  if (raw == "true" || raw == "false" || raw == "null") return true;
  if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') return false;
  for (char c : raw.substr(1, raw.size() - 2))
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
  return true;
}

using Members = std::vector<std::pair<std::string_view, std::string_view>>;

// An object's members in a document's order (sorted by key); false when a key is not plain or
// occurs twice (the document path keeps the later one: the caller then asks it).
bool SortPlainMembers(Members& members) {
  for (const auto& [key, value] : members)
    if (!PlainKey(key)) return false;
  std::sort(members.begin(), members.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return std::adjacent_find(members.begin(), members.end(), [](const auto& a, const auto& b) {
           return a.first == b.first;
         }) == members.end();
}

// Appends the cell of a value's text (what Dump writes of it once parsed: the document path's
// cell) to `out`, without the parser; false when the text is not one this writer reads exactly
// (the caller then asks the parser, which also says whether it is JSON at all). Numbers, most
// of a row, are read here: an integer of at most 18 digits is written back as it is, another
// number is read with from_chars (correctly rounded, as the parser's strtod) and written by
// the same to_chars Dump calls. Plain strings and literals are copied; objects (keys sorted, as
// a document's) and arrays are written member by member, so the rejection reasons, a run's
// period and the overrides need no parser either. Escapes, non-ASCII text, duplicate keys and
// deep nesting are left to the parser.
bool AppendCell(std::string& out, std::string_view raw, int depth = 0) {
  if (raw.empty()) return false;
  if (raw.front() == '{' || raw.front() == '[') {
    if (depth >= 32) return false;
    const size_t mark = out.size();
    auto fail = [&] {
      out.resize(mark);
      return false;
    };
    if (raw.front() == '[') {
      auto elements = SliceJsonArray(raw);
      if (!elements) return false;
      out += '[';
      for (size_t i = 0; i < elements->size(); ++i) {
        if (i) out += ',';
        if (!AppendCell(out, (*elements)[i], depth + 1)) return fail();
      }
      out += ']';
      return true;
    }
    auto members = SliceJsonObject(raw);
    if (!members || !SortPlainMembers(*members)) return false;
    out += '{';
    for (size_t i = 0; i < members->size(); ++i) {
      if (i) out += ',';
      out += '"';
      out += (*members)[i].first;
      out += "\":";
      if (!AppendCell(out, (*members)[i].second, depth + 1)) return fail();
    }
    out += '}';
    return true;
  }
  if (raw.front() == '-' || (raw.front() >= '0' && raw.front() <= '9')) {
    bool integer = false;
    if (JsonNumberLength(raw, &integer) != raw.size()) return false;
    if (integer) {
      const size_t digits = raw.size() - (raw.front() == '-' ? 1 : 0);
      if (digits > 18 || raw == "-0") return false;  // big, or -0
      out += raw;
      return true;
    }
    const char* const end = raw.data() + raw.size();
    double d = 0;
    auto [at, ec] = std::from_chars(raw.data(), end, d);
    if (ec != std::errc() || at != end || !std::isfinite(d)) return false;
    // What Dump(json(d)) writes (nlohmann's serializer calls this for a finite double),
    // without a document and its string.
    char buf[64];
    char* const last = nlohmann::detail::to_chars(buf, buf + sizeof buf, d);
    out.append(buf, last);
    return true;
  }
  if (!PlainScalar(raw)) return false;
  out += raw;
  return true;
}

// AppendCell, else the parser's reading (its Dump); false when the text does not parse.
bool AppendCellOrParsed(std::string& out, std::string_view raw) {
  if (AppendCell(out, raw)) return true;
  json v = json::parse(raw, nullptr, false);
  if (v.is_discarded()) return false;
  out += Dump(v);
  return true;
}

// FlattenOverrides of overrides stored as JSON text, each value as its cell (what Dump writes
// of it), without a document: (column, cell) in the document's order (keys sorted at each
// level). `columns` memoizes ParamColumnName by dotted path (a sweep's jobs share their paths).
// False when the text holds what only the document path reads exactly (a non-empty array,
// whose worker entries FlattenOverrides names by plugin; escapes; duplicate keys; msgpack; text
// that does not parse): the caller then decodes it.
bool FlattenOverridesText(std::string_view text,
                          std::vector<std::pair<std::string, std::string>>& out,
                          std::unordered_map<std::string, std::string>& columns) {
  size_t first = 0;
  while (first < text.size() && IsJsonSpace(text[first])) ++first;
  if (first == text.size()) return true;  // DecodeBlob's empty document: no column
  if (text[first] != '{') return false;
  std::string path;
  // Walks an object's members (sliced already: each nested object is sliced once).
  auto walk = [&](auto& self, Members& members, int depth) -> bool {
    if (depth >= 32 || !SortPlainMembers(members)) return false;
    const size_t mark = path.size();
    for (const auto& [key, value] : members) {
      if (mark) path += '.';
      path += key;
      std::optional<Members> inner;
      if (value.front() == '{') {
        inner = SliceJsonObject(value);
        if (!inner) return false;
      } else if (value.front() == '[') {
        auto elements = SliceJsonArray(value);
        if (!elements || !elements->empty()) return false;
      }
      if (inner && !inner->empty()) {
        if (!self(self, *inner, depth + 1)) return false;
      } else {
        std::string cell;
        if (!AppendCell(cell, value)) return false;
        auto [it, inserted] = columns.try_emplace(path);
        if (inserted) it->second = ParamColumnName(path);
        out.emplace_back(it->second, std::move(cell));
      }
      path.resize(mark);
    }
    return true;
  };
  auto top = SliceJsonObject(text.substr(first));
  if (!top) return false;
  const size_t mark = out.size();
  if (walk(walk, *top, 0)) return true;
  out.resize(mark);
  return false;
}

// Whether two cells hold equal values as the document path compares them (5 equals 5.0).
bool SameValue(const std::string& a, const std::string& b) {
  return a == b || json::parse(a, nullptr, false) == json::parse(b, nullptr, false);
}

}  // namespace

std::vector<ExplorerRunner> RunnersFromStatus(const std::vector<protocol::RunnerStatus>& runners,
                                              int64_t now_ms) {
  std::vector<ExplorerRunner> out;
  for (const auto& r : runners) {
    ExplorerRunner e;
    e.id = r.runner;
    e.slots = r.slots;
    e.busy = r.running;
    e.jobs_done = r.done;
    e.last_seen_ms = now_ms;
    out.push_back(std::move(e));
  }
  return out;
}

ExplorerApi::ExplorerApi(ExplorerSource& source, ExplorerOptions options)
    : source_(source), options_(std::move(options)) {}

int64_t ExplorerApi::Now() const {
  if (options_.now_ms) return options_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double ExplorerApi::RatePerSecond(const std::string& sweep_id, uint64_t finished) {
  const int64_t now = Now();
  MutexLock lock(&mu_);
  auto& s = samples_[sweep_id];
  if (s.empty() || s.back().first != now) s.emplace_back(now, finished);
  while (s.size() > 2 && now - s.front().first > options_.rate_window_ms) s.pop_front();
  const auto& [t0, f0] = s.front();
  const auto& [t1, f1] = s.back();
  if (t1 - t0 < 500 || f1 < f0) return 0.0;
  return static_cast<double>(f1 - f0) * 1000.0 / static_cast<double>(t1 - t0);
}

json ExplorerApi::SweepSummary(const ExplorerSweep& sweep) {
  const ExplorerCounts& c = sweep.counts;
  const uint64_t finished = c.done + c.failed;
  const double rate = RatePerSecond(sweep.id, finished);
  json eta = nullptr;
  const uint64_t remaining = c.total > finished ? c.total - finished : 0;
  if (remaining == 0)
    eta = 0;
  else if (rate > 0)
    eta = static_cast<double>(remaining) / rate;
  return {
      {"id", sweep.id},
      {"name", sweep.name},
      {"kind", Name(sweep.kind)},
      {"state", Name(sweep.state)},
      {"created_ms", sweep.created_ms},
      {"created",
       sweep.created_ms > 0 ? json(FormatIsoTime(sweep.created_ms)) : json()},  // 0: unknown
      {"counts", CountsJson(c)},
      {"progress", c.total ? static_cast<double>(finished) / static_cast<double>(c.total) : 0.0},
      {"rate_per_s", rate},
      {"eta_s", eta}};
}

Result<json> ExplorerApi::Sweeps() {
  auto sweeps = source_.ListSweeps();
  if (!sweeps.ok()) return sweeps.status();
  json list = json::array();
  for (const auto& s : *sweeps) list.push_back(SweepSummary(s));
  {
    // Rows of sweeps that are no longer listed (deleted) are dropped.
    std::set<std::string> listed;
    for (const auto& s : *sweeps) listed.insert(s.id);
    MutexLock lock(&mu_);
    for (auto it = tables_.begin(); it != tables_.end();) {
      if (listed.count(it->first)) {
        ++it;
        continue;
      }
      row_bytes_ -= it->second.bytes;
      columns_.erase(it->first);
      it = tables_.erase(it);
    }
  }
  json runners = nullptr;
  if (options_.runners) {
    runners = json::array();
    for (const auto& r : options_.runners()) {
      runners.push_back({{"id", r.id},
                         {"slots", r.slots},
                         {"busy", r.busy},
                         {"jobs_done", r.jobs_done},
                         {"last_seen", FormatIsoTime(r.last_seen_ms)}});
    }
  }
  return json{
      {"sweeps", std::move(list)}, {"runners", std::move(runners)}, {"now", FormatIsoTime(Now())}};
}

Result<ExplorerApi::Columns> ExplorerApi::ParamColumns(const ExplorerSweep& sweep, int threads) {
  const bool final_count = sweep.state != SweepState::kSubmitting;
  {
    MutexLock lock(&mu_);
    auto it = columns_.find(sweep.id);
    if (it != columns_.end() && it->second.job_count == sweep.counts.total) return it->second;
  }
  // A sealed sweep's columns are computed once: a request that comes while another computes
  // them waits and takes its answer.
  std::shared_ptr<Mutex> builder = final_count ? Builder(sweep.id, "columns") : nullptr;
  std::optional<MutexLock> building;
  if (builder) {
    building.emplace(builder.get());
    MutexLock lock(&mu_);
    auto it = columns_.find(sweep.id);
    if (it != columns_.end() && it->second.job_count == sweep.counts.total) return it->second;
  }
  // One pass over every job's overrides (small blobs, no results): a column varies when two
  // jobs disagree on it or one job lacks it. `threads` passes over parts of the index range
  // at once (the warm-up's), merged in index order.
  struct Seen {
    std::string first;  // the first job's cell
    uint64_t count = 0;
    bool differs = false;
    uint32_t at = 0;  // position in `order` (the part's, then once merged the sweep's)
  };
  // Of a sealed sweep, each job's flattened columns as (position in `order`, cell) for
  // Columns::job_params, while they fit; nullopt: its overrides do not decode.
  using JobColumns = std::optional<std::vector<std::pair<uint32_t, std::string>>>;
  struct Part {
    uint64_t from = 0, limit = 0;  // limit 0: to the end
    std::map<std::string, Seen> seen;
    std::vector<std::string> order;
    uint64_t jobs = 0;
    std::vector<JobColumns> per_job;  // by index - from
    bool keep_params = false;
    Status status;
  };
  const uint64_t total = sweep.counts.total;
  const uint64_t parts_n =
      final_count && total >= 20'000 ? static_cast<uint64_t>(std::max(1, threads)) : 1;
  std::vector<Part> parts(parts_n);
  const uint64_t params_budget = options_.row_cache_bytes / 4 / parts_n;
  for (uint64_t p = 0; p < parts_n; ++p) {
    parts[p].from = total * p / parts_n;
    parts[p].limit = p + 1 == parts_n ? 0 : total * (p + 1) / parts_n - parts[p].from;
    parts[p].keep_params = final_count;
  }
  // (Run on helper threads too: no exception may leave it.)
  auto pass = [&](Part& part) {
    try {
      uint64_t params_bytes = 0;
      std::vector<std::pair<std::string, std::string>> flat;  // (column, cell) of one job
      std::unordered_map<std::string, std::string> names;     // dotted path -> column
      part.status =
          source_.ScanJobs(sweep.id, part.from, part.limit, false, [&](const ExplorerJob& job) {
            ++part.jobs;
            const uint64_t i = job.index - part.from;
            if (part.keep_params && i >= part.per_job.size()) part.per_job.resize(i + 1);
            // The overrides' text flattened straight into cells; other overrides (msgpack, worker
            // lists, escapes) decoded and flattened as documents.
            flat.clear();
            if (!FlattenOverridesText(job.overrides, flat, names)) {
              flat.clear();
              // (Its message is not kept: the run's row names the job when it shows the error.)
              auto doc = DecodeBlob(job.overrides, "overrides");
              if (!doc.ok()) return true;  // shown per run as an error; does not hide the others
              for (auto& [col, value] : FlattenOverrides(*doc)) flat.emplace_back(col, Dump(value));
            }
            std::vector<std::pair<uint32_t, std::string>> mine;
            for (auto& [col, cell] : flat) {
              auto [it, inserted] = part.seen.try_emplace(col);
              if (inserted) {
                part.order.push_back(col);
                it->second.first = cell;
                it->second.at = static_cast<uint32_t>(part.order.size() - 1);
              } else if (!it->second.differs && !SameValue(it->second.first, cell)) {
                it->second.differs = true;
              }
              ++it->second.count;
              if (part.keep_params) mine.emplace_back(it->second.at, std::move(cell));
            }
            if (part.keep_params) {
              for (const auto& [at, cell] : mine) params_bytes += cell.size() + 48;
              part.keep_params = params_bytes <= params_budget;
              if (part.keep_params)
                part.per_job[i] = std::move(mine);
              else
                part.per_job = {};  // too many: the rows flatten each job's overrides again
            }
            return true;
          });
    } catch (const std::exception& e) {
      part.status = Status::Internal(std::string("columns of ") + sweep.id + ": " + e.what());
    }
  };
  {
    std::vector<std::thread> helpers;
    for (uint64_t p = 1; p < parts_n; ++p) helpers.emplace_back(pass, std::ref(parts[p]));
    pass(parts[0]);
    for (auto& t : helpers) t.join();
  }
  for (const auto& part : parts)
    if (!part.status.ok()) return part.status;
  // The parts merged: a column's first value is the lowest index's, its order of first sight
  // the same as one pass's.
  std::map<std::string, Seen> seen = std::move(parts[0].seen);
  std::vector<std::string> order = std::move(parts[0].order);
  uint64_t jobs = parts[0].jobs;
  bool keep_params = parts[0].keep_params;
  std::vector<std::vector<uint32_t>> remap(parts_n);  // part's position -> merged position
  for (uint64_t p = 1; p < parts_n; ++p) {
    jobs += parts[p].jobs;
    keep_params = keep_params && parts[p].keep_params;
    remap[p].resize(parts[p].order.size());
    for (size_t k = 0; k < parts[p].order.size(); ++k) {
      const std::string& col = parts[p].order[k];
      Seen& mine = parts[p].seen[col];
      auto [it, inserted] = seen.try_emplace(col);
      if (inserted) {
        order.push_back(col);
        it->second = std::move(mine);
        it->second.at = static_cast<uint32_t>(order.size() - 1);
      } else {
        it->second.differs =
            it->second.differs || mine.differs || !SameValue(it->second.first, mine.first);
        it->second.count += mine.count;
      }
      remap[p][k] = it->second.at;
    }
  }
  Columns cols;
  cols.job_count = jobs;
  cols.fixed = json::object();
  for (const auto& col : order) {
    const Seen& s = seen[col];
    if (s.differs || s.count != jobs)
      cols.varied.push_back(col);
    else
      cols.fixed[col] = json::parse(s.first);
  }
  if (keep_params) {
    // The varied columns in the rows' order (sorted), as positions in `order`.
    std::vector<std::string> sorted = cols.varied;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int> slot(order.size(), -1);
    for (size_t k = 0; k < sorted.size(); ++k) slot[seen[sorted[k]].at] = static_cast<int>(k);
    auto texts = std::make_shared<std::vector<std::string>>();
    std::vector<const std::string*> cell(sorted.size());
    for (uint64_t p = 0; p < parts_n; ++p) {
      const Part& part = parts[p];
      if (texts->size() < part.from + part.per_job.size())
        texts->resize(part.from + part.per_job.size());
      for (size_t i = 0; i < part.per_job.size(); ++i) {
        if (!part.per_job[i]) continue;
        std::fill(cell.begin(), cell.end(), nullptr);
        for (const auto& [at, text] : *part.per_job[i]) {  // a later duplicate column wins
          const int to = slot[p == 0 ? at : remap[p][at]];
          if (to >= 0) cell[to] = &text;
        }
        std::string& out = (*texts)[part.from + i];
        out = "P";
        for (const std::string* c : cell) {
          out += kSep;
          if (c)
            out += *c;
          else
            out += kAbsent;
        }
      }
    }
    cols.job_params = std::move(texts);
  }
  if (final_count) {
    MutexLock lock(&mu_);
    columns_[sweep.id] = cols;
  }
  return cols;
}

json ExplorerApi::RunRow(const ExplorerSweep& sweep, const std::vector<std::string>& variant_names,
                         const ExplorerJob& job, json* engine_out) {
  const std::string what = "job " + sweep.id + "/" + std::to_string(job.index);
  json row = {{"index", job.index},
              {"name", job.index < variant_names.size() ? json(variant_names[job.index]) : json()},
              {"status", Name(job.state)},
              {"attempts", job.attempts},
              {"params", json::object()},
              {"metrics", nullptr},
              {"causality", nullptr},
              {"failure", job.failure_reason.empty() ? json() : json(job.failure_reason)}};
  if (auto doc = DecodeBlob(job.overrides, what + " overrides"); doc.ok()) {
    for (auto& [col, value] : FlattenOverrides(*doc)) row["params"][col] = std::move(value);
  } else {
    row["error"] = doc.status().message();
  }
  if (job.result) {
    // The runs table needs only the summary; a run's page (engine_out) needs everything.
    auto doc = engine_out ? DecodeBlob(*job.result, what + " result")
                          : DecodeResultSummary(*job.result, what + " result");
    // The engine result (EngineResult, without its copy): its members are moved into the row.
    json* engine = doc.ok() ? &*doc : nullptr;
    if (engine && engine->is_object() && !engine->contains("metrics") && engine->contains("result"))
      engine = &(*engine)["result"];
    if (engine && engine->is_object() && engine->contains("metrics") &&
        (*engine)["metrics"].is_object()) {
      const bool keep = engine_out != nullptr;
      row["metrics"] = keep ? (*engine)["metrics"] : std::move((*engine)["metrics"]);
      if (engine->contains("causality"))
        row["causality"] = keep ? (*engine)["causality"] : std::move((*engine)["causality"]);
      if (keep) *engine_out = std::move(*engine);
    } else if (doc.ok() && sweep.kind == SweepKind::kDiag) {
      row["result"] = std::move(*doc);  // diagnostic jobs have no engine metrics
    } else {
      row["error"] =
          doc.ok() ? EngineResult(*doc, what).status().message() : doc.status().message();
    }
  }
  return row;
}

Result<json> ExplorerApi::Sweep(const std::string& sweep_id) {
  auto sweep = source_.GetSweep(sweep_id);
  if (!sweep.ok()) return sweep.status();
  auto cols = ParamColumns(*sweep);
  if (!cols.ok()) return cols.status();
  const PlanInfo plan = ReadPlanSummary(sweep->plan_summary);

  json doc = SweepSummary(*sweep);
  doc["plan"] = {{"name", plan.name},
                 {"description", plan.description},
                 {"base_operation", plan.base_operation},
                 {"primary_metric", plan.primary_metric},
                 {"direction", plan.maximize ? "maximize" : "minimize"},
                 {"constraints", ConstraintsJson(plan.constraints)},
                 {"secondary_metrics", plan.secondary_metrics},
                 {"comparison_metrics", plan.comparison_metrics},
                 {"dimensions", DimensionsJson(plan.dimensions)},
                 {"text", sweep->plan_text}};
  doc["params"] = cols->varied;
  doc["fixed_params"] = cols->fixed;
  json variants = json::array();
  if (sweep->kind == SweepKind::kVariant) {
    for (size_t i = 0; i < plan.variants.size(); ++i) {
      variants.push_back({{"index", i},
                          {"name", plan.variants[i].name},
                          {"description", plan.variants[i].description}});
    }
  }
  doc["variants"] = std::move(variants);
  doc["limits"] = {{"max_attempts", sweep->max_attempts},
                   {"max_workers", sweep->max_workers},
                   {"timeout_per_run_ms", sweep->timeout_per_run_ms}};
  doc["artifacts"] = sweep->artifacts;

  json failures = json::array();
  if (sweep->counts.failed > 0) {
    Status st = source_.ScanJobs(sweep_id, 0, 0, false, [&](const ExplorerJob& job) {
      if (job.state != JobState::kFailed) return true;
      failures.push_back({{"index", job.index},
                          {"reason", job.failure_reason},
                          {"attempts", job.attempts},
                          {"history", job.attempt_history}});
      return failures.size() < options_.max_failures_listed;
    });
    if (!st.ok()) return st;
  }
  doc["failures"] = std::move(failures);
  return doc;
}

// ---- the runs of a sweep: /runs and /table --------------------------------------------------
//
// A row is kept between requests as one entry: 'C' and its cells (the values' JSON texts,
// separated by kSep, which JSON text never holds outside strings and escapes inside them) when
// its members are those of the sweep's layout, else 'W' and the whole row's text. Both answers
// are written from the entries, so a cached row costs no parse and no allocation of JSON nodes;
// the /runs text is byte for byte what dumping the row documents gives (the tests hold it).

namespace {

const char* const kCausalityKeys[] = {"opportunities_detected", "opportunities_rejected",
                                      "threats_detected", "top_rejection_reasons"};
const char* const kRowKeys[] = {"attempts", "causality", "failure", "index",
                                "metrics",  "name",      "params",  "status"};

bool HasExactly(const json& obj, const std::vector<std::string>& keys) {
  if (!obj.is_object() || obj.size() != keys.size()) return false;
  for (const auto& k : keys)
    if (!obj.contains(k)) return false;
  return true;
}

std::vector<std::string_view> SplitCells(std::string_view cells) {
  std::vector<std::string_view> out;
  size_t from = 0;
  for (;;) {
    const size_t at = cells.find(kSep, from);
    out.push_back(cells.substr(from, at == std::string_view::npos ? at : at - from));
    if (at == std::string_view::npos) return out;
    from = at + 1;
  }
}

}  // namespace

std::string ExplorerApi::EncodeRow(const json& row, Layout& layout) {
  bool fits = row.is_object() && row.size() == std::size(kRowKeys);
  for (const char* k : kRowKeys) fits = fits && row.contains(k);
  if (fits) fits = HasExactly(row["params"], layout.params);
  if (fits && row["metrics"].is_object()) {
    if (!layout.metrics_known) {
      layout.metrics.clear();
      layout.metric_keys.clear();
      for (auto it = row["metrics"].begin(); it != row["metrics"].end(); ++it) {
        layout.metrics.push_back(it.key());
        layout.metric_keys.push_back(Dump(it.key()));
      }
      layout.metrics_known = true;
    }
    fits = HasExactly(row["metrics"], layout.metrics);
  } else if (fits) {
    fits = row["metrics"].is_null();
  }
  if (fits && row["causality"].is_object()) {
    fits = row["causality"].size() == std::size(kCausalityKeys);
    for (const char* k : kCausalityKeys) fits = fits && row["causality"].contains(k);
  } else if (fits) {
    fits = row["causality"].is_null();
  }
  if (!fits) {
    std::string whole(1, 'W');
    whole += Dump(row);
    return whole;
  }
  const bool has_m = row["metrics"].is_object(), has_c = row["causality"].is_object();
  std::string out = "C";
  out += static_cast<char>('0' + (has_m ? 1 : 0) + (has_c ? 2 : 0));
  auto cell = [&](const json& v) {
    out += kSep;
    out += Dump(v);
  };
  for (const char* k : {"attempts", "failure", "index", "name", "status"}) cell(row[k]);
  for (const auto& p : layout.params) cell(row["params"][p]);
  if (has_m)
    for (const auto& m : layout.metrics) cell(row["metrics"][m]);
  if (has_c)
    for (const char* k : kCausalityKeys) cell(row["causality"][k]);
  return out;
}

namespace {

// An object's members as (key, cell) into `cells`, the cells written into `arena`, sorted by key
// (a document's order); false for text that is not a plain object (escaped or duplicate keys,
// values that do not parse). The keys are views of `raw`; `members` is a buffer.
// (A template so that it may fill ExplorerApi's private Cells::Cell.)
template <class Cell>
bool CellsOfObject(std::string_view raw, std::string& arena, std::vector<Cell>& cells,
                   Members& members) {
  if (raw.empty() || raw.front() != '{') return false;
  if (!SliceJsonObject(raw, members) || !SortPlainMembers(members)) return false;
  for (const auto& [key, value] : members) {
    const size_t at = arena.size();
    if (!AppendCellOrParsed(arena, value)) return false;
    cells.push_back({key, at, arena.size() - at});
  }
  return true;
}

}  // namespace

bool ExplorerApi::DirectCells(const std::vector<std::string>& variant_names, const ExplorerJob& job,
                              std::string_view text, const std::set<std::string>& varied,
                              const std::string* params, Cells& c) {
  c.arena.clear();
  c.params.clear();
  c.metrics.clear();
  c.causality.clear();
  c.has_causality = false;
  // The result's members as DecodeResultSummary would keep them: the bulk ones are skipped
  // unread (as there), the others must parse (as there: else the row is an error).
  if (!SliceJsonObject(text, c.members)) return false;
  std::string_view metrics, causality;
  bool has_metrics = false, has_causality = false;
  c.keys.clear();
  for (const auto& [key, raw] : c.members) {
    if (!PlainKey(key) || key == "result") return false;
    c.keys.push_back(key);
    if (store::IsBulkResultMember(key)) continue;
    if (key == "metrics") {
      metrics = raw;
      has_metrics = true;
    } else if (key == "causality") {
      causality = raw;
      has_causality = true;
    } else if (!PlainScalar(raw)) {
      c.scratch.clear();
      if (!AppendCell(c.scratch, raw) && !json::accept(raw)) return false;
    }
  }
  std::sort(c.keys.begin(), c.keys.end());
  if (std::adjacent_find(c.keys.begin(), c.keys.end()) != c.keys.end()) return false;
  if (!has_metrics) return false;  // a wrapped or diagnostic result, or an error
  c.arena.reserve(text.size());
  if (!CellsOfObject(metrics, c.arena, c.metrics, c.object)) return false;
  if (has_causality && causality != "null") {
    c.cause.clear();
    if (!CellsOfObject(causality, c.arena, c.cause, c.object) ||
        c.cause.size() != std::size(kCausalityKeys))
      return false;
    for (const char* k : kCausalityKeys) {
      auto it =
          std::find_if(c.cause.begin(), c.cause.end(), [&](const auto& x) { return x.key == k; });
      if (it == c.cause.end()) return false;
      c.causality.push_back(*it);
    }
    c.has_causality = true;
  }
  // The parameters, as RunRow flattens them (a later duplicate column wins), varied only.
  auto add_param = [&](const std::string& col, std::string_view cell) {
    c.params.push_back({col, c.arena.size(), cell.size()});
    c.arena += cell;
  };
  if (params) {                         // flattened already, in the varied columns' (sorted) order
    if (params->empty()) return false;  // the overrides do not decode
    // 'P', then kSep and a cell per varied column.
    std::string_view rest = std::string_view(*params).substr(1);
    for (const std::string& col : varied) {
      if (rest.empty() || rest.front() != kSep) return false;
      rest.remove_prefix(1);
      const size_t end = std::min(rest.find(kSep), rest.size());
      if (rest.substr(0, end) != std::string_view(&kAbsent, 1)) add_param(col, rest.substr(0, end));
      rest.remove_prefix(end);
    }
    if (!rest.empty()) return false;
  } else {
    auto doc = DecodeBlob(job.overrides, "overrides");
    if (!doc.ok()) return false;
    std::map<std::string, json> flat;
    for (auto& [col, value] : FlattenOverrides(*doc))
      if (varied.count(col)) flat[col] = std::move(value);
    for (const auto& [col, value] : flat) add_param(*varied.find(col), Dump(value));
  }
  c.attempts = std::to_string(job.attempts);
  c.failure = job.failure_reason.empty() ? "null" : Dump(job.failure_reason);
  c.index = std::to_string(job.index);
  c.name = job.index < variant_names.size() ? Dump(variant_names[job.index]) : "null";
  c.status = Dump(std::string(Name(job.state)));
  return true;
}

std::string ExplorerApi::EncodeCells(const Cells& c, Layout& layout) {
  // EncodeRow's rules on the same row: the parameters must be the layout's, then the first row
  // with metrics sets the metric names.
  bool fits = c.params.size() == layout.params.size();
  for (size_t k = 0; fits && k < c.params.size(); ++k) fits = c.params[k].key == layout.params[k];
  if (fits && !layout.metrics_known) {
    layout.metrics.clear();
    layout.metric_keys.clear();
    for (const auto& m : c.metrics) {
      layout.metrics.emplace_back(m.key);
      layout.metric_keys.push_back(Dump(layout.metrics.back()));
    }
    layout.metrics_known = true;
  }
  fits = fits && c.metrics.size() == layout.metrics.size();
  for (size_t k = 0; fits && k < c.metrics.size(); ++k)
    fits = c.metrics[k].key == layout.metrics[k];
  if (!fits) {  // the whole row, as the document path writes it
    json row = {{"attempts", json::parse(c.attempts)},
                {"causality", nullptr},
                {"failure", json::parse(c.failure)},
                {"index", json::parse(c.index)},
                {"metrics", json::object()},
                {"name", json::parse(c.name)},
                {"params", json::object()},
                {"status", json::parse(c.status)}};
    if (c.has_causality) {
      row["causality"] = json::object();
      for (size_t k = 0; k < std::size(kCausalityKeys); ++k)
        row["causality"][kCausalityKeys[k]] = json::parse(c.text(c.causality[k]));
    }
    for (const auto& m : c.metrics) row["metrics"][std::string(m.key)] = json::parse(c.text(m));
    for (const auto& p : c.params) row["params"][std::string(p.key)] = json::parse(c.text(p));
    std::string whole(1, 'W');
    whole += Dump(row);
    return whole;
  }
  std::string out = "C";
  out += static_cast<char>('0' + 1 + (c.has_causality ? 2 : 0));
  out.reserve(c.arena.size() + c.params.size() + c.metrics.size() + c.causality.size() +
              c.attempts.size() + c.failure.size() + c.index.size() + c.name.size() +
              c.status.size() + 16);
  for (const std::string* v : {&c.attempts, &c.failure, &c.index, &c.name, &c.status}) {
    out += kSep;
    out += *v;
  }
  for (const auto* cells : {&c.params, &c.metrics, &c.causality})
    for (const auto& x : *cells) {
      out += kSep;
      out += c.text(x);
    }
  return out;
}

void ExplorerApi::AppendRowText(std::string& out, std::string_view entry, const Layout& layout) {
  if (entry.empty() || entry[0] == 'W') {
    out.append(entry.substr(entry.empty() ? 0 : 1));
    return;
  }
  const auto cells = SplitCells(entry.substr(1));
  const int flags = cells[0].empty() ? 0 : cells[0][0] - '0';
  size_t at = 6 + layout.params.size();
  out += "{\"attempts\":";
  out += cells[1];
  out += ",\"causality\":";
  const size_t causality_at = at + ((flags & 1) ? layout.metrics.size() : 0);
  if (flags & 2) {
    out += '{';
    for (size_t k = 0; k < std::size(kCausalityKeys); ++k) {
      out += k ? ",\"" : "\"";
      out += kCausalityKeys[k];
      out += "\":";
      out += cells[causality_at + k];
    }
    out += '}';
  } else {
    out += "null";
  }
  out += ",\"failure\":";
  out += cells[2];
  out += ",\"index\":";
  out += cells[3];
  out += ",\"metrics\":";
  if (flags & 1) {
    out += '{';
    for (size_t k = 0; k < layout.metrics.size(); ++k) {
      if (k) out += ',';
      out += layout.metric_keys[k];
      out += ':';
      out += cells[at + k];
    }
    out += '}';
  } else {
    out += "null";
  }
  out += ",\"name\":";
  out += cells[4];
  out += ",\"params\":{";
  for (size_t k = 0; k < layout.params.size(); ++k) {
    if (k) out += ',';
    out += layout.param_keys[k];
    out += ':';
    out += cells[6 + k];
  }
  out += "},\"status\":";
  out += cells[5];
  out += '}';
}

void ExplorerApi::Forget(const std::string& sweep_id) {
  MutexLock lock(&mu_);
  columns_.erase(sweep_id);
  const std::string prefix = sweep_id + "#";
  for (auto b = builders_.lower_bound(prefix);
       b != builders_.end() && b->first.compare(0, prefix.size(), prefix) == 0;)
    b = builders_.erase(b);
  auto it = tables_.find(sweep_id);
  if (it == tables_.end()) return;
  row_bytes_ -= it->second.bytes;
  tables_.erase(it);
}

Result<ExplorerApi::Page> ExplorerApi::ReadPage(const std::string& sweep_id, uint64_t offset,
                                                uint64_t limit) {
  auto sweep = source_.GetSweep(sweep_id);
  if (!sweep.ok()) {
    if (sweep.status().IsNotFound()) Forget(sweep_id);  // deleted: its rows go too
    return sweep.status();
  }
  // Rows are kept only once the sweep is sealed (its varied columns can no longer change) and
  // only for finished runs (a finished run never changes). A sweep deleted and created again
  // under the same id has another creation time: its old rows are dropped.
  const bool cacheable = sweep->state != SweepState::kSubmitting;
  {
    MutexLock lock(&mu_);
    auto it = tables_.find(sweep_id);
    if (it != tables_.end() && it->second.created_ms != sweep->created_ms) {
      row_bytes_ -= it->second.bytes;
      tables_.erase(it);
      columns_.erase(sweep_id);
    }
  }
  auto cols = ParamColumns(*sweep);
  if (!cols.ok()) return cols.status();
  std::vector<std::string> varied = cols->varied;
  std::sort(varied.begin(), varied.end());
  const std::set<std::string> varied_set(varied.begin(), varied.end());
  const std::vector<std::string> names = VariantNames(*sweep, ReadPlanSummary(sweep->plan_summary));

  Page page;
  page.total = sweep->counts.total;
  Layout fresh_layout;  // for a sweep whose rows are not kept
  {
    MutexLock lock(&mu_);
    Layout* layout = &fresh_layout;
    if (cacheable) {
      auto [it, inserted] = tables_.try_emplace(sweep_id);
      if (inserted) it->second.created_ms = sweep->created_ms;
      layout = &it->second.layout;
    }
    if (layout->params != varied) {  // first read (the columns are final once sealed)
      layout->params = varied;
      layout->param_keys.clear();
      for (const auto& p : varied) layout->param_keys.push_back(Dump(p));
    }
    page.layout = *layout;
  }

  // 1. The job records of the page (small); kept rows are taken as they are.
  std::vector<ExplorerJob> todo;  // rows to build, with their position in the page
  std::vector<size_t> todo_at;
  // The kept row of a finished run into the page's entry `at`; false when it is not kept.
  auto take_kept = [&](const ExplorerJob& job, size_t at) {
    MutexLock lock(&mu_);
    auto it = tables_.find(sweep_id);
    if (it == tables_.end() || job.index >= it->second.rows.size() ||
        it->second.rows[job.index].empty())
      return false;
    // Kept rows are written in the kept layout, whose metric names, once known, stay.
    if (!page.layout.metrics_known) page.layout = it->second.layout;
    page.entries[at] = it->second.rows[job.index];
    return true;
  };
  bool unkept = false;  // a finished run whose row is not kept yet
  Status st = source_.ScanJobs(sweep_id, offset, limit, false, [&](const ExplorerJob& job) {
    page.entries.emplace_back();
    if (cacheable && Finished(job.state) && take_kept(job, page.entries.size() - 1)) return true;
    unkept = unkept || (cacheable && Finished(job.state));
    todo_at.push_back(page.entries.size() - 1);
    todo.push_back(job);
    return true;
  });
  if (!st.ok()) return st;
  // Building finished runs' rows is one request's work at a time per block of max_table_page
  // runs (builders_): a request that needs rows another one (or the warm-up) is building waits
  // for it and takes them kept; pages of other blocks are built meanwhile. A request whose rows
  // are all kept does not wait. Blocks are locked in ascending order.
  std::vector<std::shared_ptr<Mutex>> builders;
  std::vector<std::unique_ptr<MutexLock>> building;
  if (unkept) {
    std::set<uint64_t> blocks;  // of the finished runs (a running one's row is never kept)
    for (const auto& job : todo)
      if (Finished(job.state))
        blocks.insert(job.index / std::max<uint64_t>(1, options_.max_table_page));
    for (uint64_t b : blocks) {
      builders.push_back(Builder(sweep_id, std::to_string(b)));
      building.push_back(std::make_unique<MutexLock>(builders.back().get()));
    }
    size_t left = 0;
    for (size_t k = 0; k < todo.size(); ++k) {
      if (Finished(todo[k].state) && take_kept(todo[k], todo_at[k])) continue;
      if (left != k) {  // (a self-move would empty the job)
        todo[left] = std::move(todo[k]);
        todo_at[left] = todo_at[k];
      }
      ++left;
    }
    todo.resize(left);
    todo_at.resize(left);
  }

  // 2. The results of the runs done since the last request: one range scan when there are
  // many (the first read of a big sweep), a read each otherwise.
  std::map<uint64_t, size_t> need;  // index -> position in todo
  for (size_t k = 0; k < todo.size(); ++k)
    if (todo[k].state == JobState::kDone && !todo[k].result) need.emplace(todo[k].index, k);
  // Each row is built as its result is read, so one result at a time is in memory.
  std::vector<json> rows(todo.size());
  std::vector<bool> built(todo.size(), false);
  auto build = [&](size_t k, const std::string& error) {
    json row = RunRow(*sweep, names, todo[k], nullptr);
    if (!error.empty()) row["error"] = error;
    // Only the varied columns: the fixed ones are in the sweep document once.
    json& params = row["params"];
    for (auto it = params.begin(); it != params.end();) {
      if (varied_set.count(it.key()))
        ++it;
      else
        it = params.erase(it);
    }
    rows[k] = std::move(row);
    built[k] = true;
    todo[k].result.reset();
  };
  // A done run's row straight from its result's or summary's text (ExplorerOptions::direct_rows),
  // encoded at once in the page's layout: only the entry (~300 bytes) stays, not its cells.
  std::vector<std::optional<std::string>> direct(todo.size());
  Cells cells;  // its buffers serve every row of the page
  auto build_direct = [&](size_t k, std::string_view text) -> bool {
    if (!options_.direct_rows) return false;
    const std::string* params = nullptr;
    if (cols->job_params && todo[k].index < cols->job_params->size())
      params = &(*cols->job_params)[todo[k].index];
    if (DirectCells(names, todo[k], text, varied_set, params, cells))
      direct[k] = EncodeCells(cells, page.layout);
    built[k] = direct[k].has_value();
    return built[k];
  };
  if (need.size() >= 16) {
    // The results' summaries first (a range scan over small values: what a first read of a big
    // sweep costs); a summary that does not decode is read again from the full result.
    Status ss = source_.ScanResultSummaries(sweep_id, need.begin()->first, need.rbegin()->first + 1,
                                            [&](uint64_t index, std::string_view bytes) {
                                              auto it = need.find(index);
                                              if (it == need.end()) return true;
                                              if (build_direct(it->second, bytes)) {
                                                need.erase(it);
                                                return true;
                                              }
                                              todo[it->second].result = std::string(bytes);
                                              build(it->second, "");
                                              if (rows[it->second].contains("error")) {
                                                built[it->second] = false;
                                                rows[it->second] = json();
                                              } else {
                                                need.erase(it);
                                              }
                                              return true;
                                            });
    if (!ss.ok()) return ss;
  }
  // Results without a summary (recorded before summaries existed, or not JSON text): one
  // range scan when they are many and at least half the results of their range, else a read
  // each (a scan would read the others' full results too).
  if (need.size() >= 16 && 2 * need.size() >= need.rbegin()->first - need.begin()->first + 1) {
    Status rs = source_.ScanResults(sweep_id, need.begin()->first, need.rbegin()->first + 1,
                                    [&](uint64_t index, std::string_view bytes) {
                                      auto it = need.find(index);
                                      if (it == need.end()) return true;
                                      if (build_direct(it->second, bytes)) return true;
                                      todo[it->second].result = std::string(bytes);
                                      build(it->second, "");
                                      return true;
                                    });
    if (!rs.ok()) return rs;
  }
  for (const auto& [index, k] : need) {
    if (built[k]) continue;
    auto full = source_.GetJob(sweep_id, index);
    std::string error;
    if (full.ok())
      todo[k] = std::move(*full);
    else
      error = full.status().ToString();
    build(k, error);
  }

  // 3. Encode the other new rows (in the page's layout too), then keep the finished ones when
  // that layout is the kept one: the first row with metrics names them, for this page and, when
  // no other request named them first, for the sweep.
  for (size_t k = 0; k < todo.size(); ++k)
    if (!built[k]) build(k, "");
  std::vector<std::string> entries(todo.size());
  for (size_t k = 0; k < todo.size(); ++k)
    entries[k] = direct[k] ? std::move(*direct[k]) : EncodeRow(rows[k], page.layout);
  MutexLock lock(&mu_);
  SweepRows* kept = nullptr;
  if (cacheable) {
    auto it = tables_.find(sweep_id);
    if (it != tables_.end() && it->second.created_ms == sweep->created_ms) {
      Layout& known = it->second.layout;
      if (known.params == page.layout.params && !known.metrics_known) known = page.layout;
      if (known.params == page.layout.params && known.metrics_known == page.layout.metrics_known &&
          known.metrics == page.layout.metrics)
        kept = &it->second;
    }
  }
  for (size_t k = 0; k < todo.size(); ++k) {
    std::string& entry = entries[k];
    if (kept && Finished(todo[k].state) && (direct[k] || !rows[k].contains("error")) &&
        row_bytes_ + entry.size() <= options_.row_cache_bytes) {
      if (kept->rows.size() <= todo[k].index) kept->rows.resize(todo[k].index + 1);
      if (kept->rows[todo[k].index].empty()) {
        kept->rows[todo[k].index] = entry;
        kept->bytes += entry.size();
        row_bytes_ += entry.size();
      }
    }
    page.entries[todo_at[k]] = std::move(entry);
  }
  return page;
}

Result<std::string> ExplorerApi::RunsText(const std::string& sweep_id, uint64_t offset,
                                          uint64_t limit) {
  if (limit == 0) limit = options_.default_page;
  limit = std::min(limit, options_.max_page);
  auto page = ReadPage(sweep_id, offset, limit);
  if (!page.ok()) return page.status();
  const uint64_t next = offset + page->entries.size();
  std::string out = "{\"limit\":" + std::to_string(limit) + ",\"next_offset\":" +
                    (next < page->total && !page->entries.empty() ? std::to_string(next) : "null") +
                    ",\"offset\":" + std::to_string(offset) + ",\"runs\":[";
  size_t bytes = 0;
  for (const auto& e : page->entries) bytes += e.size() + 64;
  out.reserve(bytes + 256);
  for (size_t i = 0; i < page->entries.size(); ++i) {
    if (i) out += ',';
    AppendRowText(out, page->entries[i], page->layout);
  }
  out += "],\"sweep\":" + Dump(sweep_id) + ",\"total\":" + std::to_string(page->total) + "}";
  return out;
}

Result<json> ExplorerApi::Runs(const std::string& sweep_id, uint64_t offset, uint64_t limit) {
  auto text = RunsText(sweep_id, offset, limit);
  if (!text.ok()) return text.status();
  return json::parse(*text);
}

Result<std::string> ExplorerApi::TableText(const std::string& sweep_id, uint64_t offset,
                                           uint64_t limit) {
  if (limit == 0) limit = options_.max_table_page;
  limit = std::min(limit, options_.max_table_page);
  auto page = ReadPage(sweep_id, offset, limit);
  if (!page.ok()) return page.status();
  const Layout& layout = page->layout;
  const size_t n = page->entries.size();
  // One text per column, filled row by row.
  const size_t np = layout.params.size(), nm = layout.metrics.size();
  std::vector<std::string> base(5), params(np), metrics(nm), causality(std::size(kCausalityKeys));
  std::string metrics_null, causality_null, whole;
  auto add = [](std::string& col, std::string_view v, size_t i) {
    if (i) col += ',';
    col += v;
  };
  for (size_t i = 0; i < n; ++i) {
    const std::string& e = page->entries[i];
    if (e.empty() || e[0] == 'W') {
      for (auto& c : base) add(c, "null", i);
      for (auto& c : params) add(c, "null", i);
      for (auto& c : metrics) add(c, "null", i);
      for (auto& c : causality) add(c, "null", i);
      if (!whole.empty()) whole += ',';
      whole += '"';
      whole += std::to_string(i);
      whole += "\":";
      whole.append(std::string_view(e).substr(e.empty() ? 0 : 1));
      continue;
    }
    const auto cells = SplitCells(std::string_view(e).substr(1));
    const int flags = cells[0].empty() ? 0 : cells[0][0] - '0';
    for (size_t k = 0; k < 5; ++k) add(base[k], cells[1 + k], i);
    for (size_t k = 0; k < np; ++k) add(params[k], cells[6 + k], i);
    size_t at = 6 + np;
    for (size_t k = 0; k < nm; ++k) add(metrics[k], (flags & 1) ? cells[at + k] : "null", i);
    if (flags & 1) at += nm;
    for (size_t k = 0; k < causality.size(); ++k)
      add(causality[k], (flags & 2) ? cells[at + k] : "null", i);
    if (!(flags & 1)) add(metrics_null, std::to_string(i), metrics_null.empty() ? 0 : 1);
    if (!(flags & 2)) add(causality_null, std::to_string(i), causality_null.empty() ? 0 : 1);
  }
  const uint64_t next = offset + n;
  std::string out =
      "{\"sweep\":" + Dump(sweep_id) + ",\"total\":" + std::to_string(page->total) +
      ",\"offset\":" + std::to_string(offset) + ",\"limit\":" + std::to_string(limit) +
      ",\"next_offset\":" + (next < page->total && n > 0 ? std::to_string(next) : "null") +
      ",\"count\":" + std::to_string(n) + ",\"params\":" + Dump(layout.params) +
      ",\"metrics\":" + Dump(layout.metrics) + ",\"columns\":{";
  const char* const base_names[] = {"attempts", "failure", "index", "name", "status"};
  for (size_t k = 0; k < 5; ++k)
    out += std::string(k ? "," : "") + "\"" + base_names[k] + "\":[" + base[k] + "]";
  out += ",\"params\":[";
  for (size_t k = 0; k < np; ++k) out += std::string(k ? "," : "") + "[" + params[k] + "]";
  out += "],\"metrics\":[";
  for (size_t k = 0; k < nm; ++k) out += std::string(k ? "," : "") + "[" + metrics[k] + "]";
  out += "]";
  for (size_t k = 0; k < causality.size(); ++k)
    out += std::string(",\"") + kCausalityKeys[k] + "\":[" + causality[k] + "]";
  out += "},\"metrics_null\":[" + metrics_null + "],\"causality_null\":[" + causality_null +
         "],\"rows\":{" + whole + "}}";
  return out;
}

std::shared_ptr<Mutex> ExplorerApi::Builder(const std::string& sweep_id, const std::string& what) {
  MutexLock lock(&mu_);
  auto& b = builders_[sweep_id + "#" + what];
  if (!b) b = std::make_shared<Mutex>();
  return b;
}

uint64_t ExplorerApi::WarmRows(const std::string& sweep_id, const std::function<bool()>& stop,
                               int threads) {
  auto sweep = source_.GetSweep(sweep_id);
  if (!sweep.ok() || sweep->state == SweepState::kSubmitting) return KeptRows(sweep_id);
  // Once, before the pages need it (its helper threads catch what they throw; the caller's
  // thread is the caller's to guard, as the server's warm-up loop does).
  if (!ParamColumns(*sweep, threads).ok()) return KeptRows(sweep_id);
  const uint64_t page = std::max<uint64_t>(1, options_.max_table_page);
  const uint64_t pages = (sweep->counts.total + page - 1) / page;
  std::atomic<uint64_t> next = 0;
  // No exception leaves a warm-up thread (it would end the process, the broker): a page that
  // throws is left for a request to build, which answers the error.
  auto work = [&] {
    try {
      for (uint64_t k = next++; k < pages; k = next++) {
        if (stop && stop()) return;
        {
          MutexLock lock(&mu_);
          if (row_bytes_ + 4096 > options_.row_cache_bytes) return;  // full: read anew later
        }
        if (!ReadPage(sweep_id, k * page, page).ok()) return;
      }
    } catch (const std::exception&) {
    }
  };
  std::vector<std::thread> helpers;
  for (int t = 1; t < std::min<int64_t>(threads, static_cast<int64_t>(pages)); ++t)
    helpers.emplace_back(work);
  work();
  for (auto& t : helpers) t.join();
  return KeptRows(sweep_id);
}

uint64_t ExplorerApi::KeptRows(const std::string& sweep_id) {
  MutexLock lock(&mu_);
  auto it = tables_.find(sweep_id);
  if (it == tables_.end()) return 0;
  uint64_t n = 0;
  for (const auto& r : it->second.rows) n += r.empty() ? 0 : 1;
  return n;
}

Result<json> ExplorerApi::Table(const std::string& sweep_id, uint64_t offset, uint64_t limit) {
  auto text = TableText(sweep_id, offset, limit);
  if (!text.ok()) return text.status();
  return json::parse(*text);
}

Result<json> ExplorerApi::Run(const std::string& sweep_id, uint64_t index) {
  auto sweep = source_.GetSweep(sweep_id);
  if (!sweep.ok()) return sweep.status();
  auto job = source_.GetJob(sweep_id, index);
  if (!job.ok()) return job.status();
  const std::vector<std::string> names = VariantNames(*sweep, ReadPlanSummary(sweep->plan_summary));
  json engine;
  json row = RunRow(*sweep, names, *job, &engine);
  row["sweep"] = {{"id", sweep->id}, {"name", sweep->name}, {"kind", Name(sweep->kind)}};
  auto overrides = DecodeBlob(job->overrides, "overrides");
  row["overrides"] = overrides.ok() ? *overrides : json();
  row["history"] = job->attempt_history;
  const json empty = json::array();
  const json& equity = engine.is_object() && engine.contains("equity") ? engine["equity"] : empty;
  row["equity"] = equity;
  row["drawdown"] = DrawdownCurve(equity);
  // The buy-and-hold equity of the same data at the same points ([[ts_ms, v], ...]); empty for
  // results written before the engine carried it, or whose lengths disagree.
  json bh = json::array();
  if (engine.is_object() && engine.contains("buy_and_hold") && engine["buy_and_hold"].is_array() &&
      engine["buy_and_hold"].size() == equity.size()) {
    const json& v = engine["buy_and_hold"];
    for (size_t i = 0; i < v.size(); ++i)
      if (equity[i].is_array() && !equity[i].empty())
        bh.push_back(json::array({equity[i][0], v[i]}));
  }
  row["buy_and_hold"] = std::move(bh);
  row["trades"] = engine.is_object() && engine.contains("trades") ? engine["trades"] : empty;
  row["bars"] = engine.is_object() && engine.contains("bars") ? engine["bars"] : json();
  row["period"] = engine.is_object() && engine.contains("period") ? engine["period"] : json();
  row["reproduce"] = ReproduceCommand(sweep_id, index);
  return row;
}

}  // namespace s1mple::explorer
