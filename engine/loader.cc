// Loading an Operation: operation.yaml, strategy_blueprint.yaml and operators.yaml, validated
// once into the config model (engine/config.h). Formats: docs/CONFIGURATION.md.
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "engine/operation.h"
#include "engine/plugin_package.h"
#include "engine/worker.h"
#include "engine/yaml_util.h"

namespace s1mple::engine {

namespace fs = std::filesystem;

namespace {

// Rejects keys outside `allowed` in a map node.
Status CheckKeys(const YAML::Node& map, std::initializer_list<std::string_view> allowed,
                 std::string_view origin, std::string_view path) {
  for (const auto& kv : map) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    bool ok = false;
    for (auto a : allowed) ok = ok || a == key;
    if (!ok) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return yaml::Error(origin, yaml::Join(path, key), kv.first,
                         "unknown key '" + key + "' (expected one of: " + list + ")");
    }
  }
  return Status::Ok();
}

Status ReadNumber(const YAML::Node& parent, std::string_view key, double min, double max,
                  bool min_exclusive, std::string_view origin, std::string_view path, double& out) {
  const YAML::Node n = parent[std::string(key)];
  if (!n) return Status::Ok();
  double v;
  const std::string p = yaml::Join(path, key);
  if (!yaml::ScalarDouble(n, v))
    return yaml::Error(origin, p, n, "expected a number, got " + yaml::Describe(n));
  if (min_exclusive ? v <= min : v < min)
    return yaml::Error(
        origin, p, n,
        yaml::Num(v) + " must be " + (min_exclusive ? "above " : "at least ") + yaml::Num(min));
  if (v > max)
    return yaml::Error(origin, p, n, yaml::Num(v) + " is above the maximum " + yaml::Num(max));
  out = v;
  return Status::Ok();
}

Result<TimestampMs> ReadTime(const YAML::Node& n, std::string_view origin, std::string_view path) {
  if (!n.IsScalar()) return yaml::Error(origin, path, n, "expected an ISO-8601 date");
  auto ts = ParseIsoTimestamp(n.Scalar());
  if (!ts.ok()) return yaml::Error(origin, path, n, ts.status().message());
  return *ts;
}

Status ParseData(const YAML::Node& n, std::string_view origin, std::string_view path,
                 DataSpec& out) {
  if (!n || !n.IsMap())
    return yaml::Error(origin, path, n,
                       "expected {source: csv, path: FILE} or {source: synthetic, seed: N, ...}");
  const YAML::Node src = n["source"];
  if (!src || !src.IsScalar())
    return yaml::Error(origin, yaml::Join(path, "source"), n, "missing source (csv or synthetic)");
  if (src.Scalar() == "csv") {
    S1MPLE_RETURN_IF_ERROR(CheckKeys(n, {"source", "path"}, origin, path));
    const YAML::Node p = n["path"];
    if (!p || !p.IsScalar() || p.Scalar().empty())
      return yaml::Error(origin, yaml::Join(path, "path"), n, "missing path of the CSV file");
    out.source = DataSpec::Source::kCsv;
    out.path = p.Scalar();
    return Status::Ok();
  }
  if (src.Scalar() != "synthetic")
    return yaml::Error(origin, yaml::Join(path, "source"), src,
                       "unknown source '" + src.Scalar() + "' (expected csv or synthetic)");
  S1MPLE_RETURN_IF_ERROR(
      CheckKeys(n, {"source", "seed", "bars", "interval", "start"}, origin, path));
  out.source = DataSpec::Source::kSynthetic;
  if (const YAML::Node s = n["seed"]) {
    int64_t v;
    if (!yaml::ScalarInt(s, v) || v < 0)
      return yaml::Error(origin, yaml::Join(path, "seed"), s, "expected a non-negative integer");
    out.seed = static_cast<uint64_t>(v);
  }
  if (const YAML::Node b = n["bars"]) {
    int64_t v;
    if (!yaml::ScalarInt(b, v))
      return yaml::Error(origin, yaml::Join(path, "bars"), b, "expected an integer");
    if (v < 1 || v > 50'000'000)
      return yaml::Error(origin, yaml::Join(path, "bars"), b,
                         std::to_string(v) + " is outside 1 .. 50000000");
    out.bars = v;
  }
  if (const YAML::Node i = n["interval"]) {
    auto iv = i.IsScalar() ? ParseInterval(i.Scalar()) : std::nullopt;
    if (!iv)
      return yaml::Error(origin, yaml::Join(path, "interval"), i,
                         yaml::Describe(i) + " is not one of 1m, 5m, 15m, 1h, 4h, 1d");
    out.interval = *iv;
  }
  if (const YAML::Node s = n["start"]) {
    auto ts = ReadTime(s, origin, yaml::Join(path, "start"));
    if (!ts.ok()) return ts.status();
    out.start = *ts;
  }
  return Status::Ok();
}

Status ParseEnvironment(const YAML::Node& n, std::string_view origin, std::string_view path,
                        Environment& env) {
  if (!n || !n.IsMap())
    return yaml::Error(origin, path, n, "missing environment {data: ..., initial_capital: ...}");
  S1MPLE_RETURN_IF_ERROR(CheckKeys(n,
                                   {"data", "period", "initial_capital", "fees_bps", "slippage_bps",
                                    "slippage_within_bar", "periods_per_year"},
                                   origin, path));
  S1MPLE_RETURN_IF_ERROR(ParseData(n["data"], origin, yaml::Join(path, "data"), env.data));
  if (const YAML::Node p = n["period"]) {
    const std::string pp = yaml::Join(path, "period");
    if (!p.IsMap()) return yaml::Error(origin, pp, p, "expected {start: DATE, end: DATE}");
    S1MPLE_RETURN_IF_ERROR(CheckKeys(p, {"start", "end"}, origin, pp));
    if (p["start"]) {
      auto ts = ReadTime(p["start"], origin, yaml::Join(pp, "start"));
      if (!ts.ok()) return ts.status();
      env.period.start = *ts;
    }
    if (p["end"]) {
      auto ts = ReadTime(p["end"], origin, yaml::Join(pp, "end"));
      if (!ts.ok()) return ts.status();
      env.period.end = *ts;
    }
    if (env.period.start && env.period.end && *env.period.end < *env.period.start)
      return yaml::Error(origin, yaml::Join(pp, "end"), p["end"], "end is before start");
  }
  S1MPLE_RETURN_IF_ERROR(
      ReadNumber(n, "initial_capital", 0, 1e15, true, origin, path, env.initial_capital));
  S1MPLE_RETURN_IF_ERROR(ReadNumber(n, "fees_bps", 0, 1000, false, origin, path, env.fees_bps));
  S1MPLE_RETURN_IF_ERROR(
      ReadNumber(n, "slippage_bps", 0, 1000, false, origin, path, env.slippage_bps));
  if (const YAML::Node b = n["slippage_within_bar"]) {
    if (!yaml::ScalarBool(b, env.slippage_within_bar))
      return yaml::Error(origin, yaml::Join(path, "slippage_within_bar"), b,
                         "expected true or false, got " + yaml::Describe(b));
  }
  S1MPLE_RETURN_IF_ERROR(
      ReadNumber(n, "periods_per_year", 0, 1e6, true, origin, path, env.periods_per_year));
  return Status::Ok();
}

Result<std::string> ReadFile(const fs::path& p, std::string_view referenced_from) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    std::string msg = p.string() + ": cannot open file";
    if (!referenced_from.empty()) msg += " (named by " + std::string(referenced_from) + ")";
    return Status::NotFound(msg);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status ParseWorkerList(const YAML::Node& list, WorkerCategory category,
                       std::optional<PlanningPhase> phase, std::string_view origin,
                       const std::string& path, const PluginRegistry& registry,
                       std::vector<WorkerConfig>& out) {
  if (!list || list.IsNull()) return Status::Ok();
  if (!list.IsSequence())
    return yaml::Error(origin, path, list, "expected a list of workers (- plugin: NAME)");
  for (size_t i = 0; i < list.size(); ++i) {
    auto w = registry.ParseWorker(list[i], category, phase, origin, yaml::Index(path, i));
    if (!w.ok()) return w.status();
    out.push_back(std::move(w).value());
  }
  return Status::Ok();
}

// Every trigger must be a built-in event or one a worker of the blueprint publishes.
Status CheckTriggers(const BlueprintConfig& bp, std::string_view origin,
                     const PluginRegistry& registry) {
  std::set<std::string, std::less<>> known;
  for (EventId id = 0; id < kBuiltinEventCount; ++id) known.emplace(BuiltinEventName(id));
  std::vector<const WorkerConfig*> all;
  for (const auto* list : {&bp.context_workers, &bp.opportunity_workers, &bp.threat_workers})
    for (const auto& w : *list) all.push_back(&w);
  for (const auto& phase : bp.planning_workers)
    for (const auto& w : phase) all.push_back(&w);
  for (const auto& g : bp.execution_workers)
    for (const auto& w : g.workers) all.push_back(&w);
  for (const auto* w : all)
    if (const auto* m = registry.Find(w->plugin))
      for (const auto& e : m->publishes) known.insert(e);
  for (const auto* w : all) {
    for (size_t i = 0; i < w->triggers.size(); ++i) {
      if (!known.count(w->triggers[i])) {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        return Status::InvalidArgument(std::string(origin) + ": " + w->yaml_path + ".triggers[" +
                                       std::to_string(i) + "]: unknown event '" + w->triggers[i] +
                                       "' (known: " + list + ")");
      }
    }
  }
  return Status::Ok();
}

ExecutionStrategy DefaultAggregationFor(ExecutionStrategy e, AggregationStrategy& a) {
  a = e == ExecutionStrategy::kSequential ? AggregationStrategy::kChainThrough
      : e == ExecutionStrategy::kParallel ? AggregationStrategy::kCollectAll
                                          : AggregationStrategy::kNone;
  return e;
}

Status ParseOperatorEntry(const YAML::Node& n, OperatorId id, std::string_view origin,
                          const std::string& path, OperatorConfig& out) {
  if (!n.IsMap())
    return yaml::Error(origin, path, n,
                       "expected {execution_strategy: ..., aggregation_strategy: ...}");
  S1MPLE_RETURN_IF_ERROR(CheckKeys(
      n, {"operator_id", "manages_worker_type", "execution_strategy", "aggregation_strategy"},
      origin, path));
  if (const YAML::Node e = n["execution_strategy"]) {
    const std::string s = e.IsScalar() ? e.Scalar() : "";
    if (s == "SEQUENTIAL")
      out.execution = ExecutionStrategy::kSequential;
    else if (s == "PARALLEL")
      out.execution = ExecutionStrategy::kParallel;
    else if (s == "EVENT_DRIVEN")
      out.execution = ExecutionStrategy::kEventDriven;
    else
      return yaml::Error(origin, yaml::Join(path, "execution_strategy"), e,
                         yaml::Describe(e) + " is not one of SEQUENTIAL, PARALLEL, EVENT_DRIVEN");
    DefaultAggregationFor(out.execution, out.aggregation);
  }
  if (const YAML::Node a = n["aggregation_strategy"]) {
    const std::string s = a.IsScalar() ? a.Scalar() : "";
    if (s == "CHAIN_THROUGH")
      out.aggregation = AggregationStrategy::kChainThrough;
    else if (s == "COLLECT_ALL")
      out.aggregation = AggregationStrategy::kCollectAll;
    else if (s == "NONE")
      out.aggregation = AggregationStrategy::kNone;
    else
      return yaml::Error(origin, yaml::Join(path, "aggregation_strategy"), a,
                         yaml::Describe(a) + " is not one of CHAIN_THROUGH, COLLECT_ALL, NONE");
  }
  if (out.aggregation == AggregationStrategy::kChainThrough &&
      out.execution != ExecutionStrategy::kSequential)
    return yaml::Error(origin, path, n, "CHAIN_THROUGH needs execution_strategy SEQUENTIAL");
  if (out.execution == ExecutionStrategy::kEventDriven &&
      out.aggregation != AggregationStrategy::kNone)
    return yaml::Error(origin, path, n,
                       "EVENT_DRIVEN aggregates nothing: use aggregation_strategy NONE");
  if (id == OperatorId::kContext && out.execution == ExecutionStrategy::kEventDriven)
    return yaml::Error(
        origin, path, n,
        "ContextOperator cannot be EVENT_DRIVEN (context is computed for every bar)");
  return Status::Ok();
}

std::optional<OperatorId> FindOperator(std::string_view name) {
  for (int i = 0; i < kOperatorCount; ++i)
    if (OperatorName(static_cast<OperatorId>(i)) == name) return static_cast<OperatorId>(i);
  return std::nullopt;
}

Status ParseOperatorsNode(const YAML::Node& root, std::string_view origin, OperatorsConfig& out) {
  if (!root || root.IsNull()) return Status::Ok();
  if (!root.IsMap()) return yaml::Error(origin, "", root, "expected a map with key 'operators'");
  S1MPLE_RETURN_IF_ERROR(CheckKeys(root, {"operators"}, origin, ""));
  const YAML::Node ops = root["operators"];
  if (!ops || ops.IsNull()) return Status::Ok();
  auto unknown = [&](const YAML::Node& at, const std::string& path, const std::string& name) {
    return yaml::Error(origin, path, at,
                       "unknown operator '" + name +
                           "' (expected ContextOperator, OpportunityOperator, ThreatOperator, "
                           "PlanningOperator, ExecutionOperator)");
  };
  if (ops.IsMap()) {  // canonical: operators: {PlanningOperator: {...}}
    for (const auto& kv : ops) {
      const std::string name = kv.first.Scalar();
      const std::string path = "operators." + name;
      auto id = FindOperator(name);
      if (!id) return unknown(kv.first, path, name);
      S1MPLE_RETURN_IF_ERROR(ParseOperatorEntry(kv.second, *id, origin, path, out[*id]));
    }
    return Status::Ok();
  }
  if (ops.IsSequence()) {  // also accepted: operators: [{operator_id: PlanningOperator, ...}]
    for (size_t i = 0; i < ops.size(); ++i) {
      const std::string path = yaml::Index("operators", i);
      const YAML::Node idn = ops[i]["operator_id"];
      if (!idn || !idn.IsScalar()) return yaml::Error(origin, path, ops[i], "missing operator_id");
      auto id = FindOperator(idn.Scalar());
      if (!id) return unknown(idn, path + ".operator_id", idn.Scalar());
      S1MPLE_RETURN_IF_ERROR(ParseOperatorEntry(ops[i], *id, origin, path, out[*id]));
    }
    return Status::Ok();
  }
  return yaml::Error(origin, "operators", ops, "expected a map of operator name to strategies");
}

Result<BlueprintConfig> ParseBlueprintNode(const YAML::Node& root, std::string_view origin,
                                           const PluginRegistry& registry) {
  BlueprintConfig bp;
  if (!root.IsMap())
    return yaml::Error(origin, "", root, "expected a strategy blueprint (a map of worker lists)");
  S1MPLE_RETURN_IF_ERROR(
      CheckKeys(root,
                {"name", "description", "plugins", "context_workers", "opportunity_workers",
                 "threat_workers", "planning_workers", "execution_workers"},
                origin, ""));
  if (root["name"] && root["name"].IsScalar()) bp.name = root["name"].Scalar();
  if (root["description"] && root["description"].IsScalar())
    bp.description = root["description"].Scalar();
  S1MPLE_RETURN_IF_ERROR(ParseWorkerList(root["context_workers"], WorkerCategory::kContext,
                                         std::nullopt, origin, "context_workers", registry,
                                         bp.context_workers));
  S1MPLE_RETURN_IF_ERROR(ParseWorkerList(root["opportunity_workers"], WorkerCategory::kOpportunity,
                                         std::nullopt, origin, "opportunity_workers", registry,
                                         bp.opportunity_workers));
  S1MPLE_RETURN_IF_ERROR(ParseWorkerList(root["threat_workers"], WorkerCategory::kThreat,
                                         std::nullopt, origin, "threat_workers", registry,
                                         bp.threat_workers));
  if (const YAML::Node pw = root["planning_workers"]; pw && !pw.IsNull()) {
    if (!pw.IsMap())
      return yaml::Error(origin, "planning_workers", pw,
                         "expected a map of phases (entry_planning, exit_planning, "
                         "size_planning, order_routing)");
    S1MPLE_RETURN_IF_ERROR(
        CheckKeys(pw, {"entry_planning", "exit_planning", "size_planning", "order_routing"}, origin,
                  "planning_workers"));
    for (int p = 0; p < kPlanningPhaseCount; ++p) {
      const auto phase = static_cast<PlanningPhase>(p);
      const std::string key(PlanningPhaseKey(phase));
      S1MPLE_RETURN_IF_ERROR(ParseWorkerList(pw[key], WorkerCategory::kPlanning, phase, origin,
                                             "planning_workers." + key, registry,
                                             bp.planning_workers[p]));
    }
  }
  if (const YAML::Node ew = root["execution_workers"]; ew && !ew.IsNull()) {
    if (ew.IsSequence()) {  // a plain list: one group "default"
      ExecutionGroup g{"default", {}};
      S1MPLE_RETURN_IF_ERROR(ParseWorkerList(ew, WorkerCategory::kExecution, std::nullopt, origin,
                                             "execution_workers", registry, g.workers));
      bp.execution_workers.push_back(std::move(g));
    } else if (ew.IsMap()) {
      for (const auto& kv : ew) {
        ExecutionGroup g{kv.first.Scalar(), {}};
        S1MPLE_RETURN_IF_ERROR(ParseWorkerList(kv.second, WorkerCategory::kExecution, std::nullopt,
                                               origin, "execution_workers." + g.name, registry,
                                               g.workers));
        bp.execution_workers.push_back(std::move(g));
      }
    } else {
      return yaml::Error(origin, "execution_workers", ew,
                         "expected a map of groups (position_management: [...], ...)");
    }
  }
  S1MPLE_RETURN_IF_ERROR(CheckTriggers(bp, origin, registry));
  return bp;
}

// The operation document minus what needs files: names, links, environments and the paths the
// links name (resolved by the caller).
struct RawLink {
  std::string name;
  std::string blueprint_path;  // as written
  std::string operators_path;  // as written; empty = the operation's, or defaults
  Environment environment;
};
struct RawOperation {
  std::string name;
  std::string operators_path;
  std::vector<RawLink> links;
  YAML::Node plugins;  // the `plugins:` list as written (resolved by the caller); may be undefined
};

Result<RawOperation> ParseOperationNode(const YAML::Node& root, std::string_view origin,
                                        bool need_blueprint_path) {
  RawOperation op;
  if (!root.IsMap()) return yaml::Error(origin, "", root, "expected an operation (a map)");
  S1MPLE_RETURN_IF_ERROR(CheckKeys(
      root, {"name", "description", "plugins", "operators", "strategy_links"}, origin, ""));
  if (root["name"] && root["name"].IsScalar()) op.name = root["name"].Scalar();
  if (const YAML::Node p = root["plugins"]) {
    // Checked here (a list of file names) so that errors come at load; resolved by the caller.
    auto refs = ParsePluginsList(p, origin, "plugins", {});
    if (!refs.ok()) return refs.status();
    op.plugins = YAML::Clone(p);
  }
  if (const YAML::Node o = root["operators"]) {
    if (!o.IsScalar()) return yaml::Error(origin, "operators", o, "expected a file path");
    op.operators_path = o.Scalar();
  }
  const YAML::Node links = root["strategy_links"];
  if (!links || !links.IsSequence() || links.size() == 0)
    return yaml::Error(origin, "strategy_links", links ? links : root,
                       "expected a non-empty list of strategy links");
  for (size_t i = 0; i < links.size(); ++i) {
    const std::string path = yaml::Index("strategy_links", i);
    const YAML::Node l = links[i];
    if (!l.IsMap()) return yaml::Error(origin, path, l, "expected a strategy link (a map)");
    S1MPLE_RETURN_IF_ERROR(
        CheckKeys(l, {"name", "strategy_blueprint", "operators", "environment"}, origin, path));
    RawLink raw;
    if (l["name"] && l["name"].IsScalar()) raw.name = l["name"].Scalar();
    if (const YAML::Node b = l["strategy_blueprint"]; b && b.IsScalar()) {
      raw.blueprint_path = b.Scalar();
    } else if (need_blueprint_path) {
      return yaml::Error(origin, path + ".strategy_blueprint", l,
                         "missing strategy_blueprint (path of a strategy_blueprint.yaml)");
    }
    if (const YAML::Node o = l["operators"]) {
      if (!o.IsScalar()) return yaml::Error(origin, path + ".operators", o, "expected a file path");
      raw.operators_path = o.Scalar();
    }
    S1MPLE_RETURN_IF_ERROR(
        ParseEnvironment(l["environment"], origin, path + ".environment", raw.environment));
    op.links.push_back(std::move(raw));
  }
  return op;
}

}  // namespace

Result<BlueprintConfig> ParseBlueprintText(std::string_view text, std::string_view origin,
                                           const PluginRegistry& registry) {
  YAML::Node root;
  S1MPLE_RETURN_IF_ERROR(yaml::Parse(text, origin, root));
  return ParseBlueprintNode(root, origin, registry);
}

namespace {

// The registry a link's blueprint is checked against: `base` plus the packages, or `base` itself
// (held, not owned) when there are none.
Result<std::shared_ptr<const PluginRegistry>> LinkRegistry(
    const PluginRegistry& base, const std::vector<PackageRef>& packages) {
  if (packages.empty()) return std::shared_ptr<const PluginRegistry>();
  return RegistryWithPackages(base, packages);
}

// Appends `more` to `all`, each file once.
void AddPackages(std::vector<PackageRef>& all, const std::vector<PackageRef>& more) {
  for (const auto& ref : more) {
    bool seen = false;
    for (const auto& a : all) seen = seen || a.path == ref.path;
    if (!seen) all.push_back(ref);
  }
}

// A text's `plugins:` entries resolved against the package files a job was given (by file name).
Result<std::vector<PackageRef>> ResolveByName(const YAML::Node& list, const std::string& origin,
                                              const PackageFiles* files) {
  auto refs = ParsePluginsList(list, origin, "plugins", {});
  if (!refs.ok()) return refs.status();
  for (auto& ref : *refs) {
    const fs::path* found = nullptr;
    if (files)
      for (const auto& [name, path] : *files)
        if (name == ref.name) found = &path;
    if (!found)
      return Status::InvalidArgument(ref.named_by + ": package '" + ref.name +
                                     "' was not sent with the job (no artifact plugin:" + ref.name +
                                     ")");
    ref.path = *found;
  }
  return refs;
}

}  // namespace

Result<OperatorsConfig> ParseOperatorsText(std::string_view text, std::string_view origin) {
  YAML::Node root;
  S1MPLE_RETURN_IF_ERROR(yaml::Parse(text, origin, root));
  OperatorsConfig ops;
  S1MPLE_RETURN_IF_ERROR(ParseOperatorsNode(root, origin, ops));
  return ops;
}

Result<OperationConfig> LoadOperationFile(const fs::path& path, const PluginRegistry& registry) {
  const std::string origin = path.string();
  auto text = ReadFile(path, "");
  if (!text.ok()) return text.status();
  YAML::Node root;
  S1MPLE_RETURN_IF_ERROR(yaml::Parse(*text, origin, root));
  auto raw = ParseOperationNode(root, origin, /*need_blueprint_path=*/true);
  if (!raw.ok()) return raw.status();
  const fs::path dir = path.parent_path();
  auto resolve = [&](const std::string& p) { return (dir / p).lexically_normal(); };

  OperationConfig op;
  op.source = path;
  op.name = raw->name.empty() ? path.stem().string() : raw->name;
  auto op_packages = ParsePluginsList(raw->plugins, origin, "plugins", dir);
  if (!op_packages.ok()) return op_packages.status();
  for (size_t i = 0; i < raw->links.size(); ++i) {
    RawLink& rl = raw->links[i];
    const std::string link_path = yaml::Index("strategy_links", i);
    StrategyLink link;
    link.environment = rl.environment;
    if (link.environment.data.source == DataSpec::Source::kCsv)
      link.environment.data.path = resolve(link.environment.data.path.string());
    link.blueprint_path = resolve(rl.blueprint_path);
    auto bp_text = ReadFile(link.blueprint_path, origin + ": " + link_path + ".strategy_blueprint");
    if (!bp_text.ok()) return bp_text.status();
    const std::string bp_origin = link.blueprint_path.string();
    YAML::Node bp_root;
    S1MPLE_RETURN_IF_ERROR(yaml::Parse(*bp_text, bp_origin, bp_root));
    link.packages = *op_packages;
    if (bp_root.IsMap()) {
      auto bp_packages = ParsePluginsList(bp_root["plugins"], bp_origin, "plugins",
                                          link.blueprint_path.parent_path());
      if (!bp_packages.ok()) return bp_packages.status();
      AddPackages(link.packages, *bp_packages);
    }
    auto link_registry = LinkRegistry(registry, link.packages);
    if (!link_registry.ok()) return link_registry.status();
    link.registry = *link_registry;
    auto bp = ParseBlueprintNode(bp_root, bp_origin, link.registry ? *link.registry : registry);
    if (!bp.ok()) return bp.status();
    link.blueprint = std::move(bp).value();
    if (link.blueprint.name.empty()) link.blueprint.name = link.blueprint_path.stem().string();
    const std::string& ops_rel =
        rl.operators_path.empty() ? raw->operators_path : rl.operators_path;
    if (!ops_rel.empty()) {
      link.operators_path = resolve(ops_rel);
      auto ops_text = ReadFile(
          link.operators_path,
          origin + ": " +
              (rl.operators_path.empty() ? std::string("operators") : link_path + ".operators"));
      if (!ops_text.ok()) return ops_text.status();
      auto ops = ParseOperatorsText(*ops_text, link.operators_path.string());
      if (!ops.ok()) return ops.status();
      link.operators = *ops;
    }
    link.name = rl.name.empty() ? link.blueprint.name : rl.name;
    op.links.push_back(std::move(link));
  }
  return op;
}

Result<OperationConfig> ParseOperationTexts(std::string_view operation_yaml,
                                            std::string_view blueprint_yaml,
                                            std::string_view operators_yaml,
                                            std::string_view origin, const PluginRegistry& registry,
                                            const PackageFiles* package_files) {
  const std::string o(origin);
  // A runner parses the same operation and operators texts for every job of a sweep: the last
  // successful parse of each is remembered per thread (it does not depend on `origin`; errors are
  // never remembered, so they always name this call's origin).
  struct Memo {
    std::string operation_yaml, operators_yaml;
    std::optional<RawOperation> operation;
    std::optional<OperatorsConfig> operators;
  };
  thread_local Memo memo;
  if (!memo.operation || memo.operation_yaml != operation_yaml) {
    memo.operation.reset();
    YAML::Node root;
    S1MPLE_RETURN_IF_ERROR(yaml::Parse(operation_yaml, o + " operation", root));
    auto parsed = ParseOperationNode(root, o + " operation", /*need_blueprint_path=*/false);
    if (!parsed.ok()) return parsed.status();
    memo.operation = std::move(parsed).value();
    memo.operation_yaml = operation_yaml;
  }
  const RawOperation* raw = &*memo.operation;
  if (raw->links.size() != 1)
    return Status::InvalidArgument(o +
                                   " operation: strategy_links: expected exactly one link, found " +
                                   std::to_string(raw->links.size()));
  const std::string bp_origin = o + " blueprint";
  YAML::Node bp_root;
  S1MPLE_RETURN_IF_ERROR(yaml::Parse(blueprint_yaml, bp_origin, bp_root));
  std::vector<PackageRef> packages;
  if (raw->plugins) {
    auto refs = ResolveByName(raw->plugins, o + " operation", package_files);
    if (!refs.ok()) return refs.status();
    AddPackages(packages, *refs);
  }
  if (bp_root.IsMap() && bp_root["plugins"]) {
    auto refs = ResolveByName(bp_root["plugins"], bp_origin, package_files);
    if (!refs.ok()) return refs.status();
    AddPackages(packages, *refs);
  }
  auto link_registry = LinkRegistry(registry, packages);
  if (!link_registry.ok()) return link_registry.status();
  auto bp = ParseBlueprintNode(bp_root, bp_origin, *link_registry ? **link_registry : registry);
  if (!bp.ok()) return bp.status();
  if (!memo.operators || memo.operators_yaml != operators_yaml) {
    memo.operators.reset();
    auto parsed = ParseOperatorsText(operators_yaml, o + " operators");
    if (!parsed.ok()) return parsed.status();
    memo.operators = *parsed;
    memo.operators_yaml = operators_yaml;
  }
  const OperatorsConfig* ops = &*memo.operators;
  OperationConfig op;
  op.name = raw->name;
  StrategyLink link;
  link.blueprint = std::move(bp).value();
  if (link.blueprint.name.empty()) link.blueprint.name = "strategy";
  link.operators = *ops;
  link.packages = std::move(packages);
  link.registry = std::move(link_registry).value();
  link.environment = raw->links[0].environment;
  link.name = raw->links[0].name.empty() ? link.blueprint.name : raw->links[0].name;
  op.links.push_back(std::move(link));
  if (op.name.empty()) op.name = op.links[0].name;
  return op;
}

}  // namespace s1mple::engine
