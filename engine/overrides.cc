#include "engine/overrides.h"

#include <cerrno>
#include <cstdlib>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

namespace s1mple::engine {
namespace {

using ojson = nlohmann::ordered_json;

// ---- scalar typing ---------------------------------------------------------------------------

bool IsQuotedTag(const std::string& tag) {
  return tag == "!" || tag == "tag:yaml.org,2002:str";
}

// Reads a plain YAML scalar the way YAML 1.2's core schema does (the subset plans use).
ojson TypePlainScalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  const char* begin = s.c_str();
  char* end = nullptr;
  bool looks_integer = s.find_first_of(".eE") == std::string::npos;
  if (looks_integer) {
    errno = 0;
    long long v = std::strtoll(begin, &end, 10);
    if (errno == 0 && end == begin + s.size()) return v;
  }
  // Only decimal forms count as floats (strtod also accepts "inf", "nan", hex: not YAML floats).
  if (s.find_first_not_of("0123456789+-.eE") == std::string::npos) {
    errno = 0;
    double d = std::strtod(begin, &end);
    if (errno == 0 && end == begin + s.size()) return d;
  }
  return s;
}

bool ReadsAsNonString(const std::string& s) {
  return !TypePlainScalar(s).is_string();
}

// ---- emitting --------------------------------------------------------------------------------

void Emit(YAML::Emitter& out, const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      out << YAML::Null;
      return;
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (IsQuotedTag(node.Tag()) && (s.empty() || ReadsAsNonString(s))) {
        out << YAML::DoubleQuoted << s;
      } else {
        out << s;
      }
      return;
    }
    case YAML::NodeType::Sequence:
      if (node.Style() == YAML::EmitterStyle::Flow) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const auto& item : node) Emit(out, item);
      out << YAML::EndSeq;
      return;
    case YAML::NodeType::Map:
      if (node.Style() == YAML::EmitterStyle::Flow) out << YAML::Flow;
      out << YAML::BeginMap;
      for (const auto& kv : node) {
        out << YAML::Key;
        Emit(out, kv.first);
        out << YAML::Value;
        Emit(out, kv.second);
      }
      out << YAML::EndMap;
      return;
  }
}

// ---- JSON -> YAML ----------------------------------------------------------------------------

template <typename Json>
YAML::Node ToYaml(const Json& v) {
  if (v.is_null()) return YAML::Node(YAML::NodeType::Null);
  if (v.is_boolean()) return YAML::Node(v.template get<bool>() ? "true" : "false");
  if (v.is_number_integer() || v.is_number_unsigned()) return YAML::Node(v.dump());
  if (v.is_number_float()) return YAML::Node(v.dump());
  if (v.is_string()) {
    YAML::Node n(v.template get<std::string>());
    n.SetTag("!");  // a string stays a string when read back (see Emit)
    return n;
  }
  if (v.is_array()) {
    YAML::Node seq(YAML::NodeType::Sequence);
    for (const auto& item : v) seq.push_back(ToYaml(item));
    return seq;
  }
  YAML::Node map(YAML::NodeType::Map);
  for (auto it = v.begin(); it != v.end(); ++it) map[it.key()] = ToYaml(it.value());
  return map;
}

// ---- merging ---------------------------------------------------------------------------------

// Deep-merges `patch` onto the YAML map `base` in place: maps merge key by key (base order kept,
// new keys appended), anything else replaces.
void MergeInto(YAML::Node base, const nlohmann::json& patch) {
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    YAML::Node current = base[it.key()];
    if (it.value().is_object() && current.IsMap()) {
      MergeInto(current, it.value());
    } else {
      base[it.key()] = JsonToYaml(it.value());
    }
  }
}

std::string PluginOf(const YAML::Node& worker) {
  if (!worker.IsMap() || !worker["plugin"] || !worker["plugin"].IsScalar()) return {};
  return worker["plugin"].Scalar();
}

YAML::Node CloneWorker(const YAML::Node& worker) {
  return YAML::Clone(worker);
}

// The list form: the override list becomes the slot's workforce.
Result<YAML::Node> MergeList(const YAML::Node& base_slot, const nlohmann::json& list,
                             const std::string& path) {
  std::map<std::string, std::vector<YAML::Node>> base_by_plugin;
  if (base_slot.IsSequence()) {
    for (const auto& w : base_slot) base_by_plugin[PluginOf(w)].push_back(w);
  }
  std::map<std::string, size_t> used;
  YAML::Node out(YAML::NodeType::Sequence);
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& entry = list[i];
    std::string where = path + "[" + std::to_string(i) + "]";
    if (!entry.is_object() || !entry.contains("plugin") || !entry["plugin"].is_string()) {
      return Status::InvalidArgument(where + ": a worker entry needs a 'plugin' name");
    }
    const std::string plugin = entry["plugin"].get<std::string>();
    auto found = base_by_plugin.find(plugin);
    size_t k = used[plugin]++;
    if (found != base_by_plugin.end() && k < found->second.size()) {
      YAML::Node merged = CloneWorker(found->second[k]);
      MergeInto(merged, entry);
      out.push_back(merged);
    } else {
      out.push_back(JsonToYaml(entry));
    }
  }
  return out;
}

// The map form: patch named base workers, keep the slot's list.
Result<YAML::Node> MergeMap(const YAML::Node& base_slot, const nlohmann::json& patches,
                            const std::string& path) {
  YAML::Node out =
      base_slot.IsSequence() ? YAML::Clone(base_slot) : YAML::Node(YAML::NodeType::Sequence);
  for (auto it = patches.begin(); it != patches.end(); ++it) {
    if (!it.value().is_object()) {
      return Status::InvalidArgument(path + "." + it.key() +
                                     ": a worker patch must be a map (params, subtype, triggers)");
    }
    bool found = false;
    for (YAML::Node w : out) {
      if (PluginOf(w) == it.key()) {
        MergeInto(w, it.value());
        found = true;
      }
    }
    if (!found) {
      return Status::InvalidArgument("overrides worker '" + it.key() +
                                     "' which the base blueprint lacks at " + path + "." +
                                     it.key());
    }
  }
  return out;
}

Result<YAML::Node> MergeSlot(const YAML::Node& base_slot, const nlohmann::json& ov,
                             const std::string& path) {
  if (ov.is_array()) return MergeList(base_slot, ov, path);
  if (ov.is_object()) return MergeMap(base_slot, ov, path);
  if (ov.is_null()) return YAML::Node(YAML::NodeType::Sequence);
  return Status::InvalidArgument(path + ": expected a list of workers or a map plugin -> patch");
}

// Where the blueprint keeps its worker categories: `workforce:` at the top, or under
// `strategy_blueprint:`, or the top level itself.
YAML::Node FindWorkforce(YAML::Node root) {
  if (root["strategy_blueprint"] && root["strategy_blueprint"].IsMap()) {
    root = root["strategy_blueprint"];
  }
  if (root["workforce"] && root["workforce"].IsMap()) return root["workforce"];
  return root;
}

bool IsFlatCategory(std::string_view key) {
  return key == "context_workers" || key == "opportunity_workers" || key == "threat_workers";
}
bool IsPhasedCategory(std::string_view key) {
  return key == "planning_workers" || key == "execution_workers";
}

Status ApplyWorkerOverride(YAML::Node workforce, const std::string& key,
                           const nlohmann::json& value) {
  const std::string path = "overrides." + key;
  if (IsFlatCategory(key)) {
    auto merged = MergeSlot(workforce[key], value, path);
    if (!merged.ok()) return merged.status();
    workforce[key] = merged.value();
    return Status::Ok();
  }
  if (!value.is_object()) {
    return Status::InvalidArgument(path + ": expected a map of " +
                                   (key == "planning_workers" ? "phase" : "group") + " -> workers");
  }
  YAML::Node category = workforce[key];
  if (!category.IsMap()) {
    workforce[key] = YAML::Node(YAML::NodeType::Map);
    category = workforce[key];
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    auto merged = MergeSlot(category[it.key()], it.value(), path + "." + it.key());
    if (!merged.ok()) return merged.status();
    category[it.key()] = merged.value();
  }
  return Status::Ok();
}

// Finds the operator entry named `name` in operators.yaml: a list under `operators:` whose
// entries carry operator_id (or id/name), or a map keyed by operator name.
YAML::Node FindOperator(YAML::Node root, const std::string& name) {
  YAML::Node ops = root["operators"] ? root["operators"] : root;
  if (ops.IsSequence()) {
    for (YAML::Node op : ops) {
      for (const char* k : {"operator_id", "id", "name"}) {
        if (op.IsMap() && op[k] && op[k].IsScalar() && op[k].Scalar() == name) return op;
      }
    }
    return YAML::Node(YAML::NodeType::Undefined);
  }
  if (ops.IsMap() && ops[name] && ops[name].IsMap()) return ops[name];
  return YAML::Node(YAML::NodeType::Undefined);
}

Status ApplyOperatorOverrides(YAML::Node operators, const nlohmann::json& value) {
  if (!value.is_object()) {
    return Status::InvalidArgument(
        "overrides.operator_overrides: expected a map OperatorName -> {execution_strategy, "
        "aggregation_strategy}");
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    const std::string path = "overrides.operator_overrides." + it.key();
    if (!it.value().is_object()) {
      return Status::InvalidArgument(path + ": expected a map");
    }
    YAML::Node op = FindOperator(operators, it.key());
    if (!op.IsDefined() || !op.IsMap()) {
      return Status::InvalidArgument(path + ": operators.yaml has no operator '" + it.key() + "'");
    }
    for (auto f = it.value().begin(); f != it.value().end(); ++f) {
      if (f.key() != "execution_strategy" && f.key() != "aggregation_strategy") {
        return Status::InvalidArgument(path + "." + f.key() +
                                       ": only execution_strategy and aggregation_strategy can "
                                       "be overridden");
      }
      if (!f.value().is_string()) {
        return Status::InvalidArgument(path + "." + f.key() + ": expected a string");
      }
    }
    MergeInto(op, it.value());
  }
  return Status::Ok();
}

Result<YAML::Node> ParseYaml(const std::string& text, const char* what) {
  try {
    YAML::Node n = YAML::Load(text);
    if (n.IsNull()) n = YAML::Node(YAML::NodeType::Map);
    return n;
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string(what) + ": " + e.what());
  }
}

}  // namespace

ojson YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return nullptr;
    case YAML::NodeType::Scalar:
      if (IsQuotedTag(node.Tag())) return node.Scalar();
      return TypePlainScalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      ojson arr = ojson::array();
      for (const auto& item : node) arr.push_back(YamlToJson(item));
      return arr;
    }
    case YAML::NodeType::Map: {
      ojson obj = ojson::object();
      for (const auto& kv : node) obj[kv.first.Scalar()] = YamlToJson(kv.second);
      return obj;
    }
  }
  return nullptr;
}

YAML::Node JsonToYaml(const nlohmann::ordered_json& value) {
  return ToYaml(value);
}
YAML::Node JsonToYaml(const nlohmann::json& value) {
  return ToYaml(value);
}

std::string EmitYaml(const YAML::Node& node) {
  YAML::Emitter out;
  out.SetIndent(2);
  Emit(out, node);
  std::string text = out.c_str();
  if (!text.empty() && text.back() != '\n') text += '\n';
  return text;
}

Result<ConfigTexts> ApplyOverrides(const ConfigTexts& base, const nlohmann::json& overrides) {
  if (overrides.is_null() || (overrides.is_object() && overrides.empty())) return base;
  if (!overrides.is_object()) {
    return Status::InvalidArgument("overrides: expected a map of worker categories");
  }
  try {
    // A runner applies every job's overrides to the same base texts: the last successfully parsed
    // base of each is remembered per thread and deep-copied (YAML::Clone) for this call.
    struct Memo {
      std::string text;
      std::optional<YAML::Node> node;
    };
    thread_local Memo blueprint_memo, operators_memo;
    auto parse = [](Memo& memo, const std::string& text, const char* what) -> Result<YAML::Node> {
      if (!memo.node || memo.text != text) {
        memo.node.reset();
        auto n = ParseYaml(text, what);
        if (!n.ok()) return n.status();
        memo.node = std::move(n).value();
        memo.text = text;
      }
      return YAML::Clone(*memo.node);
    };
    auto blueprint = parse(blueprint_memo, base.blueprint_yaml, "blueprint");
    if (!blueprint.ok()) return blueprint.status();
    auto operators = parse(operators_memo, base.operators_yaml, "operators");
    if (!operators.ok()) return operators.status();
    bool blueprint_changed = false;
    bool operators_changed = false;
    YAML::Node workforce = FindWorkforce(blueprint.value());
    for (auto it = overrides.begin(); it != overrides.end(); ++it) {
      if (it.key() == "operator_overrides") {
        S1MPLE_RETURN_IF_ERROR(ApplyOperatorOverrides(operators.value(), it.value()));
        operators_changed = true;
      } else if (IsFlatCategory(it.key()) || IsPhasedCategory(it.key())) {
        S1MPLE_RETURN_IF_ERROR(ApplyWorkerOverride(workforce, it.key(), it.value()));
        blueprint_changed = true;
      } else {
        return Status::InvalidArgument(
            "overrides." + it.key() +
            ": unknown key (expected context_workers, opportunity_workers, threat_workers, "
            "planning_workers, execution_workers or operator_overrides)");
      }
    }
    ConfigTexts out = base;
    if (blueprint_changed) out.blueprint_yaml = EmitYaml(blueprint.value());
    if (operators_changed) out.operators_yaml = EmitYaml(operators.value());
    return out;
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("overrides: ") + e.what());
  }
}

}  // namespace s1mple::engine
