#include "producer/plan_loader.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "engine/calendar.h"
#include "engine/overrides.h"
#include "producer/fold_analysis.h"
#include "producer/validation.h"

namespace s1mple::producer {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const std::set<std::string> kFlatCategories = {"context_workers", "opportunity_workers",
                                               "threat_workers"};
const std::set<std::string> kPhasedCategories = {"planning_workers", "execution_workers"};
const std::set<std::string> kExecutionStrategies = {"SEQUENTIAL", "PARALLEL", "EVENT_DRIVEN"};
const std::set<std::string> kAggregationStrategies = {"CHAIN_THROUGH", "COLLECT_ALL", "NONE"};
const std::set<std::string> kVisualizations = {"equity_curves", "drawdown_curves",
                                               "monthly_returns", "trade_distribution"};
const std::set<std::string> kCausalityAnalyses = {"opportunities_per_variant",
                                                  "threats_per_variant", "rejection_reasons"};

// The aggregation that goes with an execution strategy when a plan does not say (seed 9.2.3).
std::string DefaultAggregation(const std::string& execution) {
  if (execution == "SEQUENTIAL") return "CHAIN_THROUGH";
  if (execution == "PARALLEL") return "COLLECT_ALL";
  return "NONE";
}

// Loader state: the origin for messages and the plan being built.
class Loader {
 public:
  Loader(std::string origin, Plan& plan) : origin_(std::move(origin)), plan_(plan) {}

  Status Error(const std::string& path, const YAML::Node& node, const std::string& what) const {
    std::string msg = origin_ + ": " + path + ": " + what;
    if (node.IsDefined() && node.Mark().line >= 0) {
      msg += " (line " + std::to_string(node.Mark().line + 1) + ")";
    }
    return Status::InvalidArgument(msg);
  }

  Status CheckKeys(const YAML::Node& map, const std::string& path,
                   const std::set<std::string>& allowed) const {
    if (!map.IsMap()) return Error(path, map, "expected a map");
    for (const auto& kv : map) {
      const std::string key = kv.first.Scalar();
      if (!allowed.count(key)) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        return Error(path + "." + key, kv.first, "unknown key (expected one of: " + list + ")");
      }
    }
    return Status::Ok();
  }

  Result<std::string> String(const YAML::Node& parent, const std::string& key,
                             const std::string& path, bool required) const {
    YAML::Node n = parent[key];
    if (!n.IsDefined() || n.IsNull()) {
      if (required) return Error(path + "." + key, parent, "missing");
      return std::string();
    }
    if (!n.IsScalar()) return Error(path + "." + key, n, "expected a string");
    return n.Scalar();
  }

  Result<std::string> Identifier(const YAML::Node& parent, const std::string& key,
                                 const std::string& path) const {
    auto s = String(parent, key, path, true);
    if (!s.ok()) return s;
    const std::string& v = s.value();
    bool ok = !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    });
    if (!ok) {
      return Error(path + "." + key, parent[key],
                   "'" + v + "' is not a name (letters, digits, '_' and '-' only)");
    }
    return s;
  }

  Result<std::vector<std::string>> StringList(const YAML::Node& n, const std::string& path) const {
    std::vector<std::string> out;
    if (!n.IsSequence()) return Error(path, n, "expected a list");
    for (size_t i = 0; i < n.size(); ++i) {
      if (!n[i].IsScalar()) {
        return Error(path + "[" + std::to_string(i) + "]", n[i], "expected a string");
      }
      out.push_back(n[i].Scalar());
    }
    return out;
  }

  Result<Decimal> Number(const YAML::Node& parent, const std::string& key,
                         const std::string& path) const {
    YAML::Node n = parent[key];
    if (!n.IsDefined()) return Error(path + "." + key, parent, "missing");
    if (!n.IsScalar() || n.Tag() == "!") return Error(path + "." + key, n, "expected a number");
    auto d = Decimal::Parse(n.Scalar());
    if (!d.ok()) return Error(path + "." + key, n, d.status().message());
    return d;
  }

  // A swept value: {start, end, step} | {values: [...]} | (when allow_fixed) any other value,
  // which is then the only value.
  Result<ValueAxis> Values(const YAML::Node& n, const std::string& path, bool allow_fixed) const {
    bool is_spec = n.IsMap() && (n["start"] || n["end"] || n["step"] || n["values"]);
    if (!is_spec) {
      if (!allow_fixed || !n.IsDefined()) {
        return Error(path, n, "expected {start, end, step} or {values: [...]}");
      }
      return ValueAxis::List({json(engine::YamlToJson(n))});
    }
    if (n["values"]) {
      S1MPLE_RETURN_IF_ERROR(CheckKeys(n, path, {"values"}));
      YAML::Node v = n["values"];
      if (!v.IsSequence()) return Error(path + ".values", v, "expected a list");
      if (v.size() == 0) return Error(path + ".values", v, "the list is empty: it yields nothing");
      std::vector<json> values;
      for (const auto& item : v) values.push_back(json(engine::YamlToJson(item)));
      for (size_t i = 0; i < values.size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
          if (values[i] == values[j]) {
            return Error(path + ".values[" + std::to_string(i) + "]", v[i],
                         "duplicate value " + values[i].dump());
          }
        }
      }
      return ValueAxis::List(std::move(values));
    }
    S1MPLE_RETURN_IF_ERROR(CheckKeys(n, path, {"start", "end", "step"}));
    auto start = Number(n, "start", path);
    if (!start.ok()) return start.status();
    auto end = Number(n, "end", path);
    if (!end.ok()) return end.status();
    auto step = Number(n, "step", path);
    if (!step.ok()) return step.status();
    auto range = DecimalRange::Make(start.value(), end.value(), step.value());
    if (!range.ok()) return Error(path, n, range.status().message());
    return ValueAxis::Range(range.value());
  }

  // The slot a (category, phase) pair names, validated: "opportunity_workers" or
  // "planning_workers.exit_planning". Returns the JSON pointer prefix in `pointer`.
  Result<std::string> Slot(const YAML::Node& entry, const std::string& path,
                           json::json_pointer& pointer) const {
    auto category = String(entry, "worker_category", path, true);
    if (!category.ok()) return category;
    const std::string& cat = category.value();
    if (kFlatCategories.count(cat)) {
      if (entry["worker_phase"] || entry["worker_group"]) {
        return Error(path + ".worker_phase", entry, cat + " has no phases");
      }
      pointer = json::json_pointer("/" + cat);
      return cat;
    }
    if (!kPhasedCategories.count(cat)) {
      return Error(path + ".worker_category", entry["worker_category"],
                   "unknown worker category '" + cat +
                       "' (expected context_workers, opportunity_workers, threat_workers, "
                       "planning_workers or execution_workers)");
    }
    const char* key = entry["worker_group"] ? "worker_group" : "worker_phase";
    auto phase = Identifier(entry, key, path);
    if (!phase.ok()) return phase;
    pointer = json::json_pointer("/" + cat + "/" + phase.value());
    return cat + "." + phase.value();
  }

  // A worker entry {plugin, subtype?, triggers?, params?} at `list_pointer`/`index` inside an
  // option's fragment; params may hold ranges, which become axes of the option.
  Status WorkerEntry(const YAML::Node& entry, const std::string& path, const std::string& slot,
                     const json::json_pointer& list_pointer, Option& option,
                     bool params_may_sweep) {
    YAML::Node e = YAML::Clone(entry);  // (yaml-cpp nodes are references: never assign into one)
    if (entry.IsScalar()) {             // a bare plugin name
      e.reset(YAML::Node(YAML::NodeType::Map));
      e["plugin"] = entry.Scalar();
    }
    S1MPLE_RETURN_IF_ERROR(CheckKeys(e, path, {"plugin", "subtype", "triggers", "params"}));
    auto plugin = Identifier(e, "plugin", path);
    if (!plugin.ok()) return plugin.status();
    json worker = json::object();
    worker["plugin"] = plugin.value();
    if (e["subtype"]) {
      auto subtype = Identifier(e, "subtype", path);
      if (!subtype.ok()) return subtype.status();
      worker["subtype"] = subtype.value();
    }
    if (e["triggers"]) {
      auto triggers = StringList(e["triggers"], path + ".triggers");
      if (!triggers.ok()) return triggers.status();
      worker["triggers"] = triggers.value();
    }
    json first_params = json::object();
    json& list = option.fragment[list_pointer];
    if (!list.is_array()) list = json::array();
    const json::json_pointer entry_pointer = list_pointer / list.size();
    if (e["params"]) {
      YAML::Node params = e["params"];
      if (!params.IsMap()) return Error(path + ".params", params, "expected a map");
      worker["params"] = json::object();
      for (const auto& kv : params) {
        const std::string name = kv.first.Scalar();
        const std::string ppath = path + ".params." + name;
        auto values = Values(kv.second, ppath, /*allow_fixed=*/true);
        if (!values.ok()) return values.status();
        if (values->size() > 1 && !params_may_sweep) {
          return Error(ppath, kv.second, "a variant sets one value, not a range");
        }
        first_params[name] = values->At(0);
        if (values->size() == 1) {
          worker["params"][name] = values->At(0);
        } else {
          option.axes.push_back(Axis{plugin.value() + "." + name, entry_pointer / "params" / name,
                                     values.value(), plugin.value(), name, ppath});
        }
      }
    }
    option.fragment[list_pointer].push_back(worker);
    plan_.workers.push_back({slot, plugin.value(), first_params, false, path});
    return Status::Ok();
  }

  // ---- optimization dimensions ---------------------------------------------------------------

  Status ParameterSpace(const YAML::Node& list, const std::string& path) {
    if (!list.IsSequence()) return Error(path, list, "expected a list");
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string epath = path + "[" + std::to_string(i) + "]";
      const YAML::Node entry = list[i];
      S1MPLE_RETURN_IF_ERROR(CheckKeys(entry, epath,
                                       {"worker_category", "worker_phase", "worker_group",
                                        "worker_plugin", "subtype", "parameters"}));
      json::json_pointer slot_pointer;
      auto slot = Slot(entry, epath, slot_pointer);
      if (!slot.ok()) return slot.status();
      auto plugin = Identifier(entry, "worker_plugin", epath);
      if (!plugin.ok()) return plugin.status();
      const json::json_pointer worker_pointer = slot_pointer / plugin.value();
      json base_fragment = json::object();
      base_fragment[worker_pointer] = json::object();
      if (entry["subtype"]) {
        auto subtype = Identifier(entry, "subtype", epath);
        if (!subtype.ok()) return subtype.status();
        base_fragment[worker_pointer]["subtype"] = subtype.value();
      }
      YAML::Node params = entry["parameters"];
      if (!params.IsMap() || params.size() == 0) {
        return Error(epath + ".parameters", params.IsDefined() ? params : entry,
                     "expected a map of parameter -> {start, end, step} or {values}");
      }
      json first_params = json::object();
      for (const auto& kv : params) {
        const std::string name = kv.first.Scalar();
        const std::string ppath = epath + ".parameters." + name;
        auto values = Values(kv.second, ppath, /*allow_fixed=*/false);
        if (!values.ok()) return values.status();
        first_params[name] = values->At(0);
        Dimension dim;
        dim.name = plugin.value() + "." + name;
        dim.yaml_path = ppath;
        dim.columns = {dim.name};
        dim.slots = {{slot.value(), false}};
        Option option;
        option.fragment = base_fragment;
        option.label = dim.name;
        option.yaml_path = ppath;
        option.axes.push_back(Axis{dim.name, worker_pointer / "params" / name, values.value(),
                                   plugin.value(), name, ppath});
        dim.options.push_back(std::move(option));
        plan_.dimensions.push_back(std::move(dim));
      }
      plan_.workers.push_back({slot.value(), plugin.value(), first_params, true, epath});
    }
    return Status::Ok();
  }

  Status WorkerSelection(const YAML::Node& list, const std::string& path) {
    if (!list.IsSequence()) return Error(path, list, "expected a list");
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string epath = path + "[" + std::to_string(i) + "]";
      const YAML::Node entry = list[i];
      S1MPLE_RETURN_IF_ERROR(CheckKeys(
          entry, epath, {"worker_category", "worker_phase", "worker_group", "subtype_variants"}));
      json::json_pointer slot_pointer;
      auto slot = Slot(entry, epath, slot_pointer);
      if (!slot.ok()) return slot.status();
      YAML::Node variants = entry["subtype_variants"];
      if (!variants.IsSequence() || variants.size() == 0) {
        return Error(epath + ".subtype_variants", variants.IsDefined() ? variants : entry,
                     "expected a non-empty list of {subtype, plugins}");
      }
      Dimension dim;
      dim.name = slot.value() + ".subtype";
      dim.yaml_path = epath;
      dim.columns = {slot.value() + ".subtype", slot.value() + ".plugins"};
      dim.slots = {{slot.value(), true}};
      for (size_t v = 0; v < variants.size(); ++v) {
        const std::string vpath = epath + ".subtype_variants[" + std::to_string(v) + "]";
        const YAML::Node variant = variants[v];
        S1MPLE_RETURN_IF_ERROR(CheckKeys(variant, vpath, {"subtype", "plugins"}));
        auto subtype = Identifier(variant, "subtype", vpath);
        if (!subtype.ok()) return subtype.status();
        YAML::Node plugins = variant["plugins"];
        if (!plugins.IsSequence() || plugins.size() == 0) {
          return Error(vpath + ".plugins", plugins.IsDefined() ? plugins : variant,
                       "expected a non-empty list of plugin names");
        }
        Option option;
        option.label = subtype.value();
        option.yaml_path = vpath;
        std::string joined;
        for (size_t p = 0; p < plugins.size(); ++p) {
          YAML::Node worker = YAML::Clone(plugins[p]);
          if (plugins[p].IsScalar()) {
            worker.reset(YAML::Node(YAML::NodeType::Map));
            worker["plugin"] = plugins[p].Scalar();
          }
          if (!worker["subtype"]) worker["subtype"] = subtype.value();
          S1MPLE_RETURN_IF_ERROR(WorkerEntry(worker, vpath + ".plugins[" + std::to_string(p) + "]",
                                             slot.value(), slot_pointer, option, true));
          joined += (joined.empty() ? "" : "+") +
                    option.fragment[slot_pointer][p]["plugin"].get<std::string>();
        }
        option.fixed_columns = {{slot.value() + ".subtype", subtype.value()},
                                {slot.value() + ".plugins", joined}};
        for (const auto& axis : option.axes) AddColumn(dim, axis.column);
        dim.options.push_back(std::move(option));
      }
      S1MPLE_RETURN_IF_ERROR(UniqueLabels(dim, variants, epath + ".subtype_variants", "subtype"));
      plan_.dimensions.push_back(std::move(dim));
    }
    return Status::Ok();
  }

  Status PlanningVariants(const YAML::Node& list, const std::string& path) {
    if (!list.IsSequence()) return Error(path, list, "expected a list");
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string epath = path + "[" + std::to_string(i) + "]";
      const YAML::Node entry = list[i];
      S1MPLE_RETURN_IF_ERROR(CheckKeys(entry, epath, {"phase", "variants"}));
      auto phase = Identifier(entry, "phase", epath);
      if (!phase.ok()) return phase.status();
      const std::string slot = "planning_workers." + phase.value();
      const json::json_pointer slot_pointer("/planning_workers/" + phase.value());
      YAML::Node variants = entry["variants"];
      if (!variants.IsSequence() || variants.size() == 0) {
        return Error(epath + ".variants", variants.IsDefined() ? variants : entry,
                     "expected a non-empty list of {plugin, params}");
      }
      Dimension dim;
      dim.name = "planning." + phase.value() + ".plugin";
      dim.yaml_path = epath;
      dim.columns = {dim.name};
      dim.slots = {{slot, true}};
      for (size_t v = 0; v < variants.size(); ++v) {
        const std::string vpath = epath + ".variants[" + std::to_string(v) + "]";
        Option option;
        option.yaml_path = vpath;
        S1MPLE_RETURN_IF_ERROR(WorkerEntry(variants[v], vpath, slot, slot_pointer, option, true));
        option.label = option.fragment[slot_pointer][0]["plugin"].get<std::string>();
        option.fixed_columns = {{dim.name, option.label}};
        for (const auto& axis : option.axes) AddColumn(dim, axis.column);
        dim.options.push_back(std::move(option));
      }
      S1MPLE_RETURN_IF_ERROR(UniqueLabels(dim, variants, epath + ".variants", "plugin"));
      plan_.dimensions.push_back(std::move(dim));
    }
    return Status::Ok();
  }

  Result<std::vector<std::string>> StrategyValues(const YAML::Node& entry, const std::string& key,
                                                  const std::string& path,
                                                  const std::set<std::string>& allowed) const {
    const std::string kpath = path + "." + key;
    auto axis = Values(entry[key], kpath, /*allow_fixed=*/true);
    if (!axis.ok()) return axis.status();
    std::vector<std::string> out;
    for (uint64_t i = 0; i < axis->size(); ++i) {
      json v = axis->At(i);
      if (!v.is_string() || !allowed.count(v.get<std::string>())) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        return Error(kpath, entry[key], v.dump() + " is not one of " + list);
      }
      out.push_back(v.get<std::string>());
    }
    return out;
  }

  Status OperatorVariants(const YAML::Node& list, const std::string& path) {
    if (!list.IsSequence()) return Error(path, list, "expected a list");
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string epath = path + "[" + std::to_string(i) + "]";
      const YAML::Node entry = list[i];
      S1MPLE_RETURN_IF_ERROR(
          CheckKeys(entry, epath, {"operator_id", "execution_strategy", "aggregation_strategy"}));
      auto op = Identifier(entry, "operator_id", epath);
      if (!op.ok()) return op.status();
      if (!entry["execution_strategy"] && !entry["aggregation_strategy"]) {
        return Error(epath, entry,
                     "varies nothing: give execution_strategy and/or "
                     "aggregation_strategy values");
      }
      std::vector<std::string> executions = {""};
      std::vector<std::string> aggregations = {""};
      if (entry["execution_strategy"]) {
        auto v = StrategyValues(entry, "execution_strategy", epath, kExecutionStrategies);
        if (!v.ok()) return v.status();
        executions = v.value();
      }
      if (entry["aggregation_strategy"]) {
        auto v = StrategyValues(entry, "aggregation_strategy", epath, kAggregationStrategies);
        if (!v.ok()) return v.status();
        aggregations = v.value();
      }
      Dimension dim;
      const std::string prefix = "operator." + op.value() + ".";
      dim.name = prefix + "execution_strategy";
      dim.yaml_path = epath;
      dim.columns = {prefix + "execution_strategy", prefix + "aggregation_strategy"};
      dim.slots = {{"operator_overrides." + op.value(), false}};
      for (const auto& exec : executions) {
        for (const auto& agg_given : aggregations) {
          json patch = json::object();
          std::string agg = agg_given;
          if (agg.empty() && !exec.empty()) agg = DefaultAggregation(exec);
          if (!exec.empty()) patch["execution_strategy"] = exec;
          patch["aggregation_strategy"] = agg;
          Option option;
          option.fragment["operator_overrides"][op.value()] = patch;
          option.label = op.value() + " " + (exec.empty() ? "" : exec + "/") + agg;
          option.yaml_path = epath;
          if (!exec.empty()) option.fixed_columns.push_back({prefix + "execution_strategy", exec});
          option.fixed_columns.push_back({prefix + "aggregation_strategy", agg});
          dim.options.push_back(std::move(option));
        }
      }
      plan_.dimensions.push_back(std::move(dim));
    }
    return Status::Ok();
  }

  // An overrides document (worker_variants and variant plans): structure checked, slots and
  // worker references recorded.
  Result<json> Overrides(const YAML::Node& node, const std::string& path,
                         std::vector<SlotUse>& slots) {
    if (!node.IsDefined() || node.IsNull()) return json::object();
    if (!node.IsMap()) return Error(path, node, "expected a map of worker categories");
    json out = json(engine::YamlToJson(node));
    for (const auto& kv : node) {
      const std::string key = kv.first.Scalar();
      const std::string kpath = path + "." + key;
      if (key == "operator_overrides") {
        S1MPLE_RETURN_IF_ERROR(OperatorOverrides(kv.second, kpath, slots));
      } else if (kFlatCategories.count(key)) {
        S1MPLE_RETURN_IF_ERROR(SlotOverride(kv.second, kpath, key, slots));
      } else if (kPhasedCategories.count(key)) {
        if (!kv.second.IsMap()) {
          return Error(kpath, kv.second,
                       std::string("expected a map of ") +
                           (key == "planning_workers" ? "phase" : "group") + " -> workers");
        }
        for (const auto& phase : kv.second) {
          S1MPLE_RETURN_IF_ERROR(SlotOverride(phase.second, kpath + "." + phase.first.Scalar(),
                                              key + "." + phase.first.Scalar(), slots));
        }
      } else {
        return Error(kpath, kv.first,
                     "unknown override key (expected context_workers, opportunity_workers, "
                     "threat_workers, planning_workers, execution_workers or "
                     "operator_overrides)");
      }
    }
    return out;
  }

  Status SlotOverride(const YAML::Node& node, const std::string& path, const std::string& slot,
                      std::vector<SlotUse>& slots) {
    if (node.IsSequence()) {
      slots.push_back({slot, true});
      for (size_t i = 0; i < node.size(); ++i) {
        const std::string wpath = path + "[" + std::to_string(i) + "]";
        Option scratch;
        S1MPLE_RETURN_IF_ERROR(WorkerEntry(node[i], wpath, slot, json::json_pointer("/w"), scratch,
                                           /*params_may_sweep=*/false));
      }
      return Status::Ok();
    }
    if (node.IsMap()) {
      slots.push_back({slot, false});
      for (const auto& kv : node) {
        const std::string wpath = path + "." + kv.first.Scalar();
        if (!kv.second.IsMap()) return Error(wpath, kv.second, "expected a worker patch map");
        S1MPLE_RETURN_IF_ERROR(CheckKeys(kv.second, wpath, {"subtype", "triggers", "params"}));
        json params =
            kv.second["params"] ? json(engine::YamlToJson(kv.second["params"])) : json::object();
        plan_.workers.push_back({slot, kv.first.Scalar(), params, true, wpath});
      }
      return Status::Ok();
    }
    if (node.IsNull()) {
      slots.push_back({slot, true});
      return Status::Ok();
    }
    return Error(path, node, "expected a list of workers or a map plugin -> patch");
  }

  Status OperatorOverrides(const YAML::Node& node, const std::string& path,
                           std::vector<SlotUse>& slots) {
    if (!node.IsMap()) return Error(path, node, "expected a map OperatorName -> strategies");
    for (const auto& kv : node) {
      const std::string opath = path + "." + kv.first.Scalar();
      S1MPLE_RETURN_IF_ERROR(
          CheckKeys(kv.second, opath, {"execution_strategy", "aggregation_strategy"}));
      if (kv.second["execution_strategy"]) {
        auto v = StrategyValues(kv.second, "execution_strategy", opath, kExecutionStrategies);
        if (!v.ok()) return v.status();
        if (v->size() != 1) return Error(opath, kv.second, "one execution_strategy per variant");
      }
      if (kv.second["aggregation_strategy"]) {
        auto v = StrategyValues(kv.second, "aggregation_strategy", opath, kAggregationStrategies);
        if (!v.ok()) return v.status();
        if (v->size() != 1) return Error(opath, kv.second, "one aggregation_strategy per variant");
      }
      slots.push_back({"operator_overrides." + kv.first.Scalar(), false});
    }
    return Status::Ok();
  }

  Status WorkerVariants(const YAML::Node& list, const std::string& path) {
    auto dim = NamedVariants(list, path, "worker_variant");
    if (!dim.ok()) return dim.status();
    plan_.dimensions.push_back(std::move(dim.value()));
    return Status::Ok();
  }

  // A list of {name, description, overrides}: one dimension, one option per entry.
  Result<Dimension> NamedVariants(const YAML::Node& list, const std::string& path,
                                  const std::string& column) {
    if (!list.IsSequence() || list.size() == 0) {
      return Error(path, list, "expected a non-empty list of {name, description, overrides}");
    }
    Dimension dim;
    dim.name = column;
    dim.yaml_path = path;
    dim.columns = {column};
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string vpath = path + "[" + std::to_string(i) + "]";
      const YAML::Node entry = list[i];
      S1MPLE_RETURN_IF_ERROR(CheckKeys(entry, vpath, {"name", "description", "overrides"}));
      auto name = Identifier(entry, "name", vpath);
      if (!name.ok()) return name.status();
      auto description = String(entry, "description", vpath, false);
      if (!description.ok()) return description.status();
      std::vector<SlotUse> slots;
      auto overrides = Overrides(entry["overrides"], vpath + ".overrides", slots);
      if (!overrides.ok()) return overrides.status();
      Option option;
      option.fragment = overrides.value();
      option.label = name.value();
      option.yaml_path = vpath;
      option.fixed_columns = {{column, name.value()}};
      for (const auto& s : slots) dim.slots.push_back(s);
      dim.options.push_back(std::move(option));
      plan_.variants.push_back({name.value(), description.value(), vpath});
    }
    S1MPLE_RETURN_IF_ERROR(UniqueLabels(dim, list, path, "name"));
    return dim;
  }

  // ---- targets, constraints, configs ---------------------------------------------------------

  Status MetricRef(const std::string& name, const std::string& path, const YAML::Node& node) {
    if (!IsKnownMetric(name)) {
      std::string list;
      for (const auto& m : KnownMetrics()) list += (list.empty() ? "" : ", ") + m;
      return Error(path, node, "unknown metric '" + name + "' (metrics: " + list + ")");
    }
    plan_.metric_refs.push_back({name, path});
    return Status::Ok();
  }

  Status Targets(const YAML::Node& node, const std::string& path) {
    S1MPLE_RETURN_IF_ERROR(
        CheckKeys(node, path, {"primary_metric", "secondary_metrics", "direction"}));
    auto& t = plan_.targets;
    t.yaml_path = path;
    if (node["primary_metric"]) {
      auto m = String(node, "primary_metric", path, true);
      if (!m.ok()) return m.status();
      t.primary_metric = m.value();
      S1MPLE_RETURN_IF_ERROR(
          MetricRef(t.primary_metric, path + ".primary_metric", node["primary_metric"]));
    }
    t.maximize = t.primary_metric != "max_drawdown";
    if (node["direction"]) {
      auto d = String(node, "direction", path, true);
      if (!d.ok()) return d.status();
      if (d.value() != "maximize" && d.value() != "minimize") {
        return Error(path + ".direction", node["direction"], "expected maximize or minimize");
      }
      t.maximize = d.value() == "maximize";
    }
    if (node["secondary_metrics"]) {
      auto list = StringList(node["secondary_metrics"], path + ".secondary_metrics");
      if (!list.ok()) return list.status();
      for (size_t i = 0; i < list->size(); ++i) {
        S1MPLE_RETURN_IF_ERROR(MetricRef((*list)[i],
                                         path + ".secondary_metrics[" + std::to_string(i) + "]",
                                         node["secondary_metrics"][i]));
      }
      t.secondary_metrics = list.value();
    }
    return Status::Ok();
  }

  Status Constraints(const YAML::Node& node, const std::string& path) {
    if (!node.IsMap()) return Error(path, node, "expected a map");
    for (const auto& kv : node) {
      const std::string key = kv.first.Scalar();
      const std::string kpath = path + "." + key;
      if (!kv.second.IsScalar() || kv.second.Tag() == "!") {
        return Error(kpath, kv.second, "expected a number");
      }
      auto number = Decimal::Parse(kv.second.Scalar());
      if (!number.ok()) return Error(kpath, kv.second, number.status().message());
      const double value = number->ToJson().get<double>();
      Constraint c;
      c.key = key;
      c.yaml_path = kpath;
      if (key == "min_trades") {
        c.metric = "total_trades";
        c.min = value;
      } else if (key == "max_drawdown") {
        c.metric = "max_drawdown";
        c.max = value;
        c.absolute = true;
      } else if (key.rfind("min_", 0) == 0) {
        c.metric = key.substr(4);
        c.min = value;
      } else if (key.rfind("max_", 0) == 0) {
        c.metric = key.substr(4);
        c.max = value;
      } else {
        return Error(kpath, kv.first,
                     "unknown constraint (expected min_trades, max_drawdown, min_<metric> or "
                     "max_<metric>)");
      }
      if (c.metric == "max_drawdown") c.absolute = true;
      S1MPLE_RETURN_IF_ERROR(MetricRef(c.metric, kpath, kv.first));
      plan_.constraints.push_back(c);
    }
    return Status::Ok();
  }

  Status Parallel(const YAML::Node& node, const std::string& path) {
    S1MPLE_RETURN_IF_ERROR(CheckKeys(node, path, {"max_workers", "timeout_per_run"}));
    for (const char* key : {"max_workers", "timeout_per_run"}) {
      if (!node[key]) continue;
      auto n = Number(node, key, path);
      if (!n.ok()) return n.status();
      if (!n->is_integer() || n->is_negative() || n->units() > 1'000'000'000) {
        return Error(path + "." + key, node[key], "expected a whole number >= 0");
      }
      int v = static_cast<int>(n->units());
      if (std::string(key) == "max_workers") {
        plan_.parallel.max_workers = v;
      } else {
        plan_.parallel.timeout_per_run_s = v;
      }
    }
    return Status::Ok();
  }

  // overfitting: {cscv_blocks: S} (docs/STATISTICS.md): even, 2 to 20 (C(20, 10) = 184,756
  // splits is the most that stays within seconds).
  Status Overfitting(const YAML::Node& node, const std::string& path) {
    S1MPLE_RETURN_IF_ERROR(CheckKeys(node, path, {"cscv_blocks"}));
    if (!node["cscv_blocks"]) return Status::Ok();
    auto n = Number(node, "cscv_blocks", path);
    if (!n.ok()) return n.status();
    if (!n->is_integer() || n->is_negative() || n->units() < 2 || n->units() > 20 ||
        n->units() % 2 != 0)
      return Error(path + ".cscv_blocks", node["cscv_blocks"], "expected an even number, 2 to 20");
    plan_.cscv_blocks = static_cast<size_t>(n->units());
    return Status::Ok();
  }

  // search: {method: grid | random | sobol | tpe | halving, budget: N, seed: S, ...}; tpe also
  // takes startup_trials, candidates and in_flight, halving eta and min_fidelity.
  Status Search(const YAML::Node& node, const std::string& path) {
    if (!node.IsMap()) return Error(path, node, "expected a map {method, budget, seed}");
    S1MPLE_RETURN_IF_ERROR(CheckKeys(node, path,
                                     {"method", "budget", "seed", "startup_trials", "candidates",
                                      "in_flight", "eta", "min_fidelity"}));
    auto& s = plan_.search;
    s.yaml_path = path;
    if (node["method"]) {
      auto m = String(node, "method", path, true);
      if (!m.ok()) return m.status();
      if (*m == "grid") {
        s.method = SearchMethod::kGrid;
      } else if (*m == "random") {
        s.method = SearchMethod::kRandom;
      } else if (*m == "sobol") {
        s.method = SearchMethod::kSobol;
      } else if (*m == "tpe") {
        s.method = SearchMethod::kTpe;
      } else if (*m == "halving") {
        s.method = SearchMethod::kHalving;
      } else {
        return Error(path + ".method", node["method"],
                     "unknown method '" + *m + "' (expected grid, random, sobol, tpe or halving)");
      }
    }
    auto whole = [&](const char* key, uint64_t min, uint64_t& out) -> Status {
      if (!node[key]) return Status::Ok();
      auto n = Number(node, key, path);
      if (!n.ok()) return n.status();
      if (!n->is_integer() || n->is_negative() || n->units() < static_cast<int64_t>(min) ||
          n->units() > 1'000'000'000'000LL) {
        return Error(path + "." + key, node[key],
                     "expected a whole number >= " + std::to_string(min));
      }
      out = static_cast<uint64_t>(n->units());
      return Status::Ok();
    };
    S1MPLE_RETURN_IF_ERROR(whole("budget", 1, s.budget));
    S1MPLE_RETURN_IF_ERROR(whole("seed", 0, s.seed));
    for (const char* key : {"startup_trials", "candidates", "in_flight"}) {
      if (node[key] && s.method != SearchMethod::kTpe) {
        return Error(path + "." + key, node[key], std::string(key) + " is an option of method tpe");
      }
    }
    for (const char* key : {"eta", "min_fidelity"}) {
      if (node[key] && s.method != SearchMethod::kHalving) {
        return Error(path + "." + key, node[key],
                     std::string(key) + " is an option of method halving");
      }
    }
    S1MPLE_RETURN_IF_ERROR(whole("startup_trials", 0, s.startup_trials));
    S1MPLE_RETURN_IF_ERROR(whole("candidates", 1, s.candidates));
    S1MPLE_RETURN_IF_ERROR(whole("in_flight", 0, s.in_flight));
    if (node["eta"]) {
      S1MPLE_RETURN_IF_ERROR(whole("eta", 2, s.eta));
      if (s.eta > 100)
        return Error(path + ".eta", node["eta"], "expected a whole number, 2 to 100");
    }
    if (node["min_fidelity"]) {
      auto f = Number(node, "min_fidelity", path);
      if (!f.ok()) return f.status();
      const double v = static_cast<double>(f->units()) / std::pow(10.0, f->scale());
      if (!(v > 0) || v > 1)
        return Error(path + ".min_fidelity", node["min_fidelity"],
                     "expected a fraction of the data, 0 < min_fidelity <= 1");
      if (v < 1e-6)
        return Error(path + ".min_fidelity", node["min_fidelity"],
                     "is below 0.000001 (more than 20 rungs at eta 2)");
      s.min_fidelity = v;
    }
    if (s.method != SearchMethod::kGrid && !node["budget"]) {
      return Error(path, node,
                   std::string("method ") + SearchMethodName(s.method) +
                       " needs a budget (the number of configurations to run)");
    }
    if (s.method == SearchMethod::kGrid && node["budget"]) {
      return Error(path + ".budget", node["budget"],
                   "a grid runs every configuration; a budget needs method random, sobol, tpe or "
                   "halving");
    }
    return Status::Ok();
  }

  // validation: exactly one of holdout {split | fraction}, walk_forward {train, test, step,
  // anchored}, cpcv {groups, test_groups, embargo} (docs/PLANS.md "Validation").
  Status Validation(const YAML::Node& node, const std::string& path) {
    if (!node.IsMap() || node.size() != 1)
      return Error(path, node, "expected one of {holdout: ...}, {walk_forward: ...}, {cpcv: ...}");
    S1MPLE_RETURN_IF_ERROR(CheckKeys(node, path, {"holdout", "walk_forward", "cpcv"}));
    auto& v = plan_.validation;
    v.yaml_path = path;
    auto duration = [&](const YAML::Node& parent, const char* key, const std::string& at,
                        Duration& out) -> Status {
      const YAML::Node n = parent[key];
      if (!n.IsDefined() || n.IsNull()) return Error(at + "." + key, parent, "missing");
      if (!n.IsScalar()) return Error(at + "." + key, n, "expected a duration (90d, 6mo, 2y)");
      auto d = ParseDuration(n.Scalar());
      if (!d.ok()) return Error(at + "." + key, n, d.status().message());
      out = std::move(d).value();
      return Status::Ok();
    };
    auto whole = [&](const YAML::Node& parent, const char* key, const std::string& at, int min,
                     int max, int& out) -> Status {
      auto n = Number(parent, key, at);
      if (!n.ok()) return n.status();
      if (!n->is_integer() || n->units() < min || n->units() > max)
        return Error(
            at + "." + key, parent[key],
            "expected a whole number, " + std::to_string(min) + " to " + std::to_string(max));
      out = static_cast<int>(n->units());
      return Status::Ok();
    };
    if (const YAML::Node h = node["holdout"]) {
      const std::string at = path + ".holdout";
      v.mode = ValidationMode::kHoldout;
      S1MPLE_RETURN_IF_ERROR(CheckKeys(h, at, {"split", "fraction"}));
      if (h.size() != 1) return Error(at, h, "expected {split: DATE} or {fraction: F}");
      if (h["split"]) {
        const YAML::Node d = h["split"];
        std::optional<int64_t> day;
        if (d.IsScalar()) day = engine::ParseIsoDate(d.Scalar());
        if (!day) return Error(at + ".split", d, "expected a date YYYY-MM-DD");
        v.split_day = *day;
      } else {
        auto f = Number(h, "fraction", at);
        if (!f.ok()) return f.status();
        v.fraction = f->ToJson().get<double>();
        if (!(v.fraction > 0 && v.fraction < 1))
          return Error(at + ".fraction", h["fraction"],
                       "expected a fraction of the days strictly between 0 and 1 (e.g. 0.7)");
      }
      return Status::Ok();
    }
    if (const YAML::Node w = node["walk_forward"]) {
      const std::string at = path + ".walk_forward";
      v.mode = ValidationMode::kWalkForward;
      S1MPLE_RETURN_IF_ERROR(CheckKeys(w, at, {"train", "test", "step", "anchored"}));
      S1MPLE_RETURN_IF_ERROR(duration(w, "train", at, v.train));
      S1MPLE_RETURN_IF_ERROR(duration(w, "test", at, v.test));
      if (w["step"]) {
        S1MPLE_RETURN_IF_ERROR(duration(w, "step", at, v.step));
      } else {
        v.step = v.test;
      }
      if (const YAML::Node a = w["anchored"]) {
        if (!a.IsScalar() || (a.Scalar() != "true" && a.Scalar() != "false"))
          return Error(at + ".anchored", a, "expected true or false");
        v.anchored = a.Scalar() == "true";
      }
      return Status::Ok();
    }
    const YAML::Node c = node["cpcv"];
    const std::string at = path + ".cpcv";
    v.mode = ValidationMode::kCpcv;
    S1MPLE_RETURN_IF_ERROR(CheckKeys(c, at, {"groups", "test_groups", "embargo"}));
    S1MPLE_RETURN_IF_ERROR(whole(c, "groups", at, 3, 32, v.groups));
    S1MPLE_RETURN_IF_ERROR(whole(c, "test_groups", at, 1, v.groups - 1, v.test_groups));
    if (Binomial(v.groups, v.test_groups) > 10'000)
      return Error(at, c, "C(groups, test_groups) is above 10,000 splits");
    if (c["embargo"]) {
      const YAML::Node e = c["embargo"];
      if (e.IsScalar() && e.Scalar() == "0") {
        v.embargo = Duration{0, Duration::Unit::kDay, std::string(1, '0')};
      } else {
        S1MPLE_RETURN_IF_ERROR(duration(c, "embargo", at, v.embargo));
      }
    }
    return Status::Ok();
  }

  // CPCV selects on the union of a split's train groups, so the primary metric and every
  // constraint must be one that union can be computed for (producer/fold_analysis.h,
  // CpcvUnionMetrics). `config`: the optimization_config node.
  Status CpcvSelectable(const YAML::Node& config) const {
    if (plan_.validation.mode != ValidationMode::kCpcv) return Status::Ok();
    std::string accepted;
    for (const auto& m : CpcvUnionMetrics()) accepted += (accepted.empty() ? "" : ", ") + m;
    const std::string why =
        " cannot be computed on the union of a cpcv split's train groups (a result keeps "
        "profit_factor as a ratio, without its gross profit and loss); cpcv selects by and "
        "constrains: " +
        accepted;
    const auto& t = plan_.targets;
    if (!IsCpcvUnionMetric(t.primary_metric)) {
      const YAML::Node targets = config["optimization_targets"];
      return Error(t.yaml_path + ".primary_metric",
                   targets ? targets["primary_metric"] : config["validation"]["cpcv"],
                   t.primary_metric + why);
    }
    for (const auto& c : plan_.constraints) {
      if (!IsCpcvUnionMetric(c.metric))
        return Error(c.yaml_path, config["constraints"][c.key],
                     c.key + " (" + c.metric + ")" + why);
    }
    return Status::Ok();
  }

  Status Comparison(const YAML::Node& node, const std::string& path) {
    S1MPLE_RETURN_IF_ERROR(
        CheckKeys(node, path, {"metrics", "visualizations", "causality_analysis", "baseline"}));
    auto& c = plan_.comparison;
    if (node["baseline"]) {
      const YAML::Node& b = node["baseline"];
      bool known = false;
      if (b.IsScalar())
        for (const auto& v : plan_.variants) known = known || v.name == b.Scalar();
      if (!known) {
        std::string names;
        for (const auto& v : plan_.variants) names += (names.empty() ? "" : ", ") + v.name;
        return Error(path + ".baseline", b, "expected the name of a variant (" + names + ")");
      }
      c.baseline = b.Scalar();
    }
    if (node["metrics"]) {
      auto list = StringList(node["metrics"], path + ".metrics");
      if (!list.ok()) return list.status();
      for (size_t i = 0; i < list->size(); ++i) {
        S1MPLE_RETURN_IF_ERROR(MetricRef((*list)[i], path + ".metrics[" + std::to_string(i) + "]",
                                         node["metrics"][i]));
      }
      c.metrics = list.value();
    }
    auto checked = [&](const char* key, const std::set<std::string>& allowed,
                       std::vector<std::string>& out) -> Status {
      if (!node[key]) return Status::Ok();
      auto list = StringList(node[key], path + "." + key);
      if (!list.ok()) return list.status();
      for (size_t i = 0; i < list->size(); ++i) {
        if (!allowed.count((*list)[i])) {
          std::string names;
          for (const auto& a : allowed) names += (names.empty() ? "" : ", ") + a;
          return Error(path + "." + key + "[" + std::to_string(i) + "]", node[key][i],
                       "unknown '" + (*list)[i] + "' (expected one of: " + names + ")");
        }
      }
      out = list.value();
      return Status::Ok();
    };
    S1MPLE_RETURN_IF_ERROR(checked("visualizations", kVisualizations, c.visualizations));
    S1MPLE_RETURN_IF_ERROR(checked("causality_analysis", kCausalityAnalyses, c.causality_analysis));
    return Status::Ok();
  }

  // ---- whole-plan checks ---------------------------------------------------------------------

  void AddColumn(Dimension& dim, const std::string& column) const {
    if (std::find(dim.columns.begin(), dim.columns.end(), column) == dim.columns.end()) {
      dim.columns.push_back(column);
    }
  }

  Status UniqueLabels(const Dimension& dim, const YAML::Node& list, const std::string& path,
                      const char* what) const {
    for (size_t i = 0; i < dim.options.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (dim.options[i].label == dim.options[j].label && dim.options[i].axes.empty()) {
          return Error(path + "[" + std::to_string(i) + "]", list[i],
                       std::string("duplicate ") + what + " '" + dim.options[i].label + "'");
        }
      }
    }
    return Status::Ok();
  }

  // Two dimensions may share a slot only when both patch it (map form); a list replaces the
  // slot's workforce, so it cannot be combined with another write to that slot. Columns must be
  // unique so each results.csv column means one thing.
  Status CheckDimensionsCompatible() const {
    std::map<std::string, std::pair<size_t, bool>> slot_owner;  // slot -> (dimension, list)
    std::map<std::string, size_t> column_owner;
    std::map<std::string, size_t> target_owner;
    const auto& dims = plan_.dimensions;
    for (size_t d = 0; d < dims.size(); ++d) {
      for (const auto& use : dims[d].slots) {
        auto [it, fresh] = slot_owner.insert({use.slot, {d, use.list_form}});
        if (!fresh && it->second.first != d && (use.list_form || it->second.second)) {
          return Status::InvalidArgument(
              origin_ + ": " + dims[d].yaml_path + ": sets " + use.slot + ", which " +
              dims[it->second.first].yaml_path +
              " also sets; a worker list replaces the slot, so these cannot be combined");
        }
      }
      for (const auto& column : dims[d].columns) {
        auto [it, fresh] = column_owner.insert({column, d});
        if (!fresh && it->second != d) {
          return Status::InvalidArgument(origin_ + ": " + dims[d].yaml_path + ": varies " + column +
                                         ", which " + dims[it->second].yaml_path +
                                         " already varies");
        }
      }
      for (const auto& option : dims[d].options) {
        for (const auto& axis : option.axes) {
          auto [it, fresh] = target_owner.insert({axis.target.to_string(), d});
          if (!fresh && it->second != d) {
            return Status::InvalidArgument(origin_ + ": " + axis.yaml_path + ": " + axis.column +
                                           " is already varied by " + dims[it->second].yaml_path);
          }
        }
      }
    }
    return Status::Ok();
  }

  Status BaseOperation(const YAML::Node& config, const std::string& path,
                       const PlanLoadOptions& options) {
    auto base = String(config, "base_operation", path, true);
    if (!base.ok()) return base.status();
    plan_.base_operation = base.value();
    const fs::path given(base.value());
    std::vector<fs::path> tried;
    auto consider = [&](const fs::path& p) {
      tried.push_back(p);
      std::error_code ec;
      return fs::is_regular_file(p, ec);
    };
    if (given.is_absolute()) {
      if (consider(given)) plan_.base_operation_path = given;
    } else {
      std::vector<fs::path> dirs = options.search_dirs;
      if (dirs.empty()) dirs.push_back(fs::current_path());
      fs::path up = fs::absolute(plan_.file).parent_path();
      while (!up.empty()) {
        dirs.push_back(up);
        if (up == up.parent_path()) break;
        up = up.parent_path();
      }
      for (const auto& dir : dirs) {
        if (consider(dir / given)) {
          plan_.base_operation_path = (dir / given).lexically_normal();
          break;
        }
      }
    }
    if (plan_.base_operation_path.empty()) {
      if (!options.require_base_operation) {
        plan_.base_operation_path = given;
        return Status::Ok();
      }
      return Error(path + ".base_operation", config["base_operation"],
                   "'" + base.value() +
                       "' does not exist (looked in the working directory and "
                       "above the plan file)");
    }
    return Status::Ok();
  }

  Status LoadOptimization(const YAML::Node& config, const PlanLoadOptions& options) {
    const std::string path = "optimization_config";
    plan_.kind = PlanKind::kOptimization;
    S1MPLE_RETURN_IF_ERROR(CheckKeys(
        config, path,
        {"name", "description", "base_operation", "parameter_space", "worker_selection",
         "planning_variants", "operator_variants", "worker_variants", "optimization_targets",
         "constraints", "parallel_config", "search", "overfitting", "validation"}));
    S1MPLE_RETURN_IF_ERROR(Header(config, path));
    S1MPLE_RETURN_IF_ERROR(BaseOperation(config, path, options));
    if (config["parameter_space"]) {
      S1MPLE_RETURN_IF_ERROR(ParameterSpace(config["parameter_space"], path + ".parameter_space"));
    }
    if (config["worker_selection"]) {
      S1MPLE_RETURN_IF_ERROR(
          WorkerSelection(config["worker_selection"], path + ".worker_selection"));
    }
    if (config["planning_variants"]) {
      S1MPLE_RETURN_IF_ERROR(
          PlanningVariants(config["planning_variants"], path + ".planning_variants"));
    }
    if (config["operator_variants"]) {
      S1MPLE_RETURN_IF_ERROR(
          OperatorVariants(config["operator_variants"], path + ".operator_variants"));
    }
    if (config["worker_variants"]) {
      S1MPLE_RETURN_IF_ERROR(WorkerVariants(config["worker_variants"], path + ".worker_variants"));
    }
    if (config["optimization_targets"]) {
      S1MPLE_RETURN_IF_ERROR(
          Targets(config["optimization_targets"], path + ".optimization_targets"));
    } else {
      plan_.metric_refs.push_back({plan_.targets.primary_metric, path});
    }
    if (config["constraints"]) {
      S1MPLE_RETURN_IF_ERROR(Constraints(config["constraints"], path + ".constraints"));
    }
    if (config["parallel_config"]) {
      S1MPLE_RETURN_IF_ERROR(Parallel(config["parallel_config"], path + ".parallel_config"));
    }
    if (config["overfitting"]) {
      S1MPLE_RETURN_IF_ERROR(Overfitting(config["overfitting"], path + ".overfitting"));
    }
    if (config["search"]) {
      S1MPLE_RETURN_IF_ERROR(Search(config["search"], path + ".search"));
    }
    if (config["validation"]) {
      S1MPLE_RETURN_IF_ERROR(Validation(config["validation"], path + ".validation"));
      S1MPLE_RETURN_IF_ERROR(CpcvSelectable(config));
    }
    return CheckDimensionsCompatible();
  }

  Status LoadVariant(const YAML::Node& config, const PlanLoadOptions& options) {
    const std::string path = "variant_config";
    plan_.kind = PlanKind::kVariant;
    S1MPLE_RETURN_IF_ERROR(CheckKeys(config, path,
                                     {"name", "description", "base_operation", "variants",
                                      "comparison_config", "parallel_config"}));
    S1MPLE_RETURN_IF_ERROR(Header(config, path));
    S1MPLE_RETURN_IF_ERROR(BaseOperation(config, path, options));
    if (!config["variants"]) return Error(path + ".variants", config, "missing");
    auto dim = NamedVariants(config["variants"], path + ".variants", "variant");
    if (!dim.ok()) return dim.status();
    plan_.dimensions.push_back(std::move(dim.value()));
    if (config["comparison_config"]) {
      S1MPLE_RETURN_IF_ERROR(Comparison(config["comparison_config"], path + ".comparison_config"));
    }
    if (config["parallel_config"]) {
      S1MPLE_RETURN_IF_ERROR(Parallel(config["parallel_config"], path + ".parallel_config"));
    }
    return Status::Ok();
  }

  Status Header(const YAML::Node& config, const std::string& path) {
    auto name = String(config, "name", path, true);
    if (!name.ok()) return name.status();
    plan_.name = name.value();
    auto description = String(config, "description", path, false);
    if (!description.ok()) return description.status();
    plan_.description = description.value();
    return Status::Ok();
  }

 private:
  std::string origin_;
  Plan& plan_;
};

}  // namespace

const char* PlanKindName(PlanKind kind) {
  return kind == PlanKind::kOptimization ? "optimization" : "variant";
}

const char* SearchMethodName(SearchMethod method) {
  switch (method) {
    case SearchMethod::kRandom:
      return "random";
    case SearchMethod::kSobol:
      return "sobol";
    case SearchMethod::kTpe:
      return "tpe";
    case SearchMethod::kHalving:
      return "halving";
    case SearchMethod::kGrid:
      break;
  }
  return "grid";
}

uint64_t ValueAxis::size() const {
  if (auto* r = std::get_if<DecimalRange>(&values_)) return r->size();
  return std::get<std::vector<json>>(values_).size();
}

json ValueAxis::At(uint64_t i) const {
  if (auto* r = std::get_if<DecimalRange>(&values_)) return r->JsonAt(i);
  return std::get<std::vector<json>>(values_)[i];
}

bool ValueAxis::numeric() const {
  if (std::holds_alternative<DecimalRange>(values_)) return true;
  for (const auto& v : std::get<std::vector<json>>(values_)) {
    if (!v.is_number()) return false;
  }
  return true;
}

uint64_t Option::size() const {
  uint64_t n = 1;
  for (const auto& a : axes) n *= a.values.size();
  return n;
}

uint64_t Dimension::size() const {
  uint64_t n = 0;
  for (const auto& o : options) n += o.size();
  return n;
}

const std::vector<std::string>& KnownMetrics() {
  static const std::vector<std::string> kMetrics = {
      "sharpe_ratio", "sortino_ratio", "total_return",  "cagr",         "max_drawdown",
      "calmar",       "win_rate",      "profit_factor", "total_trades", "avg_trade_duration"};
  return kMetrics;
}

const std::vector<std::string>& KnownCausalityCounts() {
  static const std::vector<std::string> kCounts = {"opportunities_detected",
                                                   "opportunities_rejected", "threats_detected"};
  return kCounts;
}

bool IsKnownMetric(const std::string& name) {
  const auto& m = KnownMetrics();
  const auto& c = KnownCausalityCounts();
  return std::find(m.begin(), m.end(), name) != m.end() ||
         std::find(c.begin(), c.end(), name) != c.end();
}

Result<Plan> ParsePlanText(const std::string& text, const fs::path& origin,
                           const PlanLoadOptions& options) {
  Plan plan;
  plan.file = origin;
  plan.text = text;
  Loader loader(origin.string(), plan);
  try {
    YAML::Node root = YAML::Load(text);
    if (root["optimization_config"] && root["variant_config"]) {
      return loader.Error("(top level)", root,
                          "has both optimization_config and variant_config; one plan per file");
    }
    if (root.IsMap() && root.size() != 1) {
      S1MPLE_RETURN_IF_ERROR(
          loader.CheckKeys(root, "(top level)", {"optimization_config", "variant_config"}));
    }
    if (root["optimization_config"]) {
      S1MPLE_RETURN_IF_ERROR(loader.LoadOptimization(root["optimization_config"], options));
    } else if (root["variant_config"]) {
      S1MPLE_RETURN_IF_ERROR(loader.LoadVariant(root["variant_config"], options));
    } else {
      return loader.Error("(top level)", root, "expected optimization_config or variant_config");
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(origin.string() + ": " + e.what());
  }
  return plan;
}

Result<Plan> LoadPlanFile(const fs::path& file, const PlanLoadOptions& options) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::NotFound(file.string() + ": cannot read the plan file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParsePlanText(ss.str(), file, options);
}

}  // namespace s1mple::producer
