#include "producer/plan_check.h"

#include <fstream>
#include <map>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "common/atomic_file.h"
#include "engine/job.h"
#include "engine/operation.h"

namespace s1mple::producer {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

Result<std::string> ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path.string() + ": cannot read");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status WriteText(const fs::path& path, const std::string& text) {
  return WriteFileAtomically(path, text);
}

// operators.yaml spelling out the engine's defaults (for bases without an operators file, so
// operator_overrides always have an entry to patch).
std::string DefaultOperatorsYaml() {
  const auto defaults = engine::OperatorsConfig::DefaultOperators();
  std::string text = "operators:\n";
  for (int i = 0; i < engine::kOperatorCount; ++i) {
    const auto id = static_cast<engine::OperatorId>(i);
    text += "  " + std::string(engine::OperatorName(id)) + ":\n";
    text += "    execution_strategy: " +
            std::string(engine::ExecutionStrategyName(defaults[static_cast<size_t>(i)].execution)) +
            "\n";
    text +=
        "    aggregation_strategy: " +
        std::string(engine::AggregationStrategyName(defaults[static_cast<size_t>(i)].aggregation)) +
        "\n";
  }
  return text;
}

// The stripped operation text: one link, blueprint and operators beside it, csv path absolute.
Result<std::string> StripOperation(const BaseTexts& base, const engine::StrategyLink& link) {
  try {
    YAML::Node root = YAML::LoadFile(base.operation_path.string());
    YAML::Node links = root["strategy_links"];
    if (!links.IsSequence() || links.size() != 1) {
      return Status::InvalidArgument(base.operation_path.string() +
                                     ": strategy_links: expected exactly one link");
    }
    YAML::Node node = links[0];
    node["strategy_blueprint"] = kExportedBlueprintName;
    if (node["operators"])
      node["operators"] = kExportedOperatorsName;
    else
      root["operators"] = kExportedOperatorsName;
    if (link.environment.data.source == engine::DataSpec::Source::kCsv) {
      for (YAML::Node holder : {node, root}) {
        YAML::Node env = holder["environment"];
        if (env.IsMap() && env["data"].IsMap() && env["data"]["path"]) {
          env["data"]["path"] =
              fs::absolute(link.environment.data.path).lexically_normal().string();
          break;
        }
      }
    }
    return engine::EmitYaml(root);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(base.operation_path.string() + ": " + e.what());
  }
}

std::optional<engine::WorkerCategory> CategoryOfSlot(const std::string& slot) {
  const std::string key = slot.substr(0, slot.find('.'));
  for (int i = 0; i < 5; ++i) {
    auto c = static_cast<engine::WorkerCategory>(i);
    if (engine::CategoryKey(c) == key) return c;
  }
  return std::nullopt;
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

class Checker {
 public:
  Checker(const JobSpace& space, const BaseTexts& base, const engine::PluginRegistry& registry,
          const CheckOptions& options)
      : space_(space), plan_(space.plan()), base_(base), registry_(registry), options_(options) {}

  Status Run() {
    for (const auto& ref : plan_.workers) S1MPLE_RETURN_IF_ERROR(Worker(ref));
    for (const auto& dim : plan_.dimensions) {
      for (const auto& option : dim.options) {
        for (const auto& axis : option.axes) S1MPLE_RETURN_IF_ERROR(AxisValues(axis));
        S1MPLE_RETURN_IF_ERROR(OptionLoads(option));
      }
    }
    // An adaptive search has no jobs before it runs: check the grid's first and last points.
    const JobSpace probe =
        space_.adaptive() ? space_.WithTrials({0, space_.grid_size() - 1}) : space_;
    S1MPLE_RETURN_IF_ERROR(JobLoads(probe, 0));
    if (probe.size() > 1) S1MPLE_RETURN_IF_ERROR(JobLoads(probe, probe.size() - 1));
    return Status::Ok();
  }

 private:
  Status Error(const std::string& path, const std::string& what) const {
    return Status::InvalidArgument(plan_.origin() + ": " + path + ": " + what);
  }

  Result<const engine::PluginManifest*> Manifest(const std::string& slot, const std::string& plugin,
                                                 const std::string& path) const {
    const auto* manifest = registry_.Find(plugin);
    if (manifest) return manifest;
    auto category = CategoryOfSlot(slot);
    std::string known = category ? " (known " + std::string(engine::CategoryKey(*category)) +
                                       " plugins: " + Join(registry_.Names(*category)) + ")"
                                 : "";
    return Error(path, "unknown plugin '" + plugin + "'" + known);
  }

  Status Worker(const Plan::WorkerRef& ref) const {
    auto manifest = Manifest(ref.slot, ref.plugin, ref.yaml_path);
    if (!manifest.ok()) return manifest.status();
    for (auto it = ref.params.begin(); it != ref.params.end(); ++it) {
      const std::string path = ref.yaml_path + ".params." + it.key();
      S1MPLE_RETURN_IF_ERROR(Param(*manifest.value(), it.key(), it.value(), path));
    }
    return Status::Ok();
  }

  Status Param(const engine::PluginManifest& manifest, const std::string& name, const json& value,
               const std::string& path) const {
    if (!manifest.FindParam(name)) {
      std::vector<std::string> declared;
      for (const auto& p : manifest.params) declared.push_back(p.name);
      return Error(path, "unknown parameter '" + name + "' of plugin '" + manifest.name +
                             "' (parameters: " + (declared.empty() ? "none" : Join(declared)) +
                             ")");
    }
    auto parsed =
        registry_.ParseParam(manifest, name, engine::JsonToYaml(value), plan_.origin(), path);
    if (!parsed.ok()) return parsed.status();
    return Status::Ok();
  }

  Status AxisValues(const Axis& axis) const {
    const auto* manifest = registry_.Find(axis.plugin);
    if (!manifest) return Error(axis.yaml_path, "unknown plugin '" + axis.plugin + "'");
    const uint64_t n = axis.values.size();
    auto check = [&](uint64_t i) {
      return Param(*manifest, axis.param, axis.values.At(i), axis.yaml_path);
    };
    if (n <= options_.max_values_checked_per_axis) {
      for (uint64_t i = 0; i < n; ++i) S1MPLE_RETURN_IF_ERROR(check(i));
      return Status::Ok();
    }
    S1MPLE_RETURN_IF_ERROR(check(0));
    return check(n - 1);
  }

  Status Loads(const json& overrides, const std::string& path, const std::string& who) const {
    auto texts = JobTexts(base_, overrides);
    if (!texts.ok()) return Error(path, who + texts.status().message());
    // The base's packages, by file name, as a runner's job finds them; they are merged onto the
    // built-ins (registry_ already holds their plugins then: PrepareSweep).
    engine::PackageFiles packages;
    for (const auto& ref : base_.packages) packages.emplace_back(ref.name, ref.path);
    auto config = engine::ParseOperationTexts(
        base_.operation_yaml, texts->blueprint_yaml, texts->operators_yaml,
        plan_.origin() + " " + path, packages.empty() ? registry_ : engine::DefaultRegistry(),
        &packages);
    if (!config.ok()) return config.status();
    return Status::Ok();
  }

  Status OptionLoads(const Option& option) const {
    json fragment = option.fragment;
    for (const auto& axis : option.axes) fragment[axis.target] = axis.values.At(0);
    std::string who;
    if (plan_.kind == PlanKind::kVariant) who = "variant '" + option.label + "' ";
    return Loads(fragment, option.yaml_path, who);
  }

  Status JobLoads(const JobSpace& space, uint64_t index) const {
    return Loads(space.Overrides(index),
                 "job " + std::to_string(index) + " (" + space.Describe(index) + ")", "");
  }

  const JobSpace& space_;
  const Plan& plan_;
  const BaseTexts& base_;
  const engine::PluginRegistry& registry_;
  CheckOptions options_;
};

}  // namespace

Result<BaseTexts> LoadBase(const Plan& plan, const engine::PluginRegistry& registry) {
  const std::string where =
      plan.origin() + ": " + PlanKindName(plan.kind) + "_config.base_operation";
  auto op = engine::LoadOperationFile(plan.base_operation_path, registry);
  if (!op.ok()) return Status::InvalidArgument(where + ": " + op.status().message());
  if (op->links.size() != 1) {
    return Status::InvalidArgument(
        where + ": " + plan.base_operation_path.string() + " has " +
        std::to_string(op->links.size()) +
        " strategy links; a sweep varies one strategy (give an operation with one link)");
  }
  const auto& link = op->links[0];
  BaseTexts base;
  base.operation_path = plan.base_operation_path;
  base.link_name = link.name;
  base.packages = link.packages;
  base.registry = link.registry;
  auto blueprint = ReadText(link.blueprint_path);
  if (!blueprint.ok()) return blueprint.status();
  base.blueprint_yaml = blueprint.value();
  if (link.operators_path.empty()) {
    base.operators_yaml = DefaultOperatorsYaml();
  } else {
    auto operators = ReadText(link.operators_path);
    if (!operators.ok()) return operators.status();
    base.operators_yaml = operators.value();
  }
  if (link.environment.data.source == engine::DataSpec::Source::kCsv) {
    base.data_path = fs::absolute(link.environment.data.path).lexically_normal();
  }
  auto stripped = StripOperation(base, link);
  if (!stripped.ok()) return stripped.status();
  base.operation_yaml = stripped.value();
  return base;
}

Status CheckPlan(const JobSpace& space, const BaseTexts& base,
                 const engine::PluginRegistry& registry, const CheckOptions& options) {
  return Checker(space, base, registry, options).Run();
}

Result<engine::ConfigTexts> JobTexts(const BaseTexts& base, const json& overrides) {
  // A validation fold's `period` (engine/job.h) is the job's window, not a blueprint change.
  auto period = engine::PeriodOverride(overrides);
  if (!period.ok()) return period.status();
  return engine::ApplyOverrides({base.blueprint_yaml, base.operators_yaml},
                                *period ? engine::WithoutPeriod(overrides) : overrides);
}

Result<std::string> WithPeriod(const std::string& operation_yaml, const json& period) {
  try {
    YAML::Node root = YAML::Load(operation_yaml);
    YAML::Node links = root["strategy_links"];
    if (!links.IsSequence() || links.size() == 0)
      return Status::InvalidArgument("operation: no strategy link to set the period of");
    YAML::Node env = links[0]["environment"];
    YAML::Node p(YAML::NodeType::Map);
    for (const char* key : {"start", "end"})
      if (period.contains(key)) p[key] = period[key].get<std::string>();
    env["period"] = p;
    return engine::EmitYaml(root);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("operation: ") + e.what());
  }
}

Result<std::string> WithDataPath(const std::string& operation_yaml, const std::string& path) {
  try {
    YAML::Node root = YAML::Load(operation_yaml);
    YAML::Node links = root["strategy_links"];
    std::vector<YAML::Node> holders;
    if (links.IsSequence() && links.size() > 0) holders.push_back(links[0]);
    holders.push_back(root);
    for (YAML::Node holder : holders) {
      YAML::Node env = holder["environment"];
      if (env.IsMap() && env["data"].IsMap() && env["data"]["path"]) {
        env["data"]["path"] = path;
        return engine::EmitYaml(root);
      }
    }
    return Status::InvalidArgument("operation: no environment.data.path to point at " + path);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("operation: ") + e.what());
  }
}

Status ExportJob(const BaseTexts& base, const json& overrides, const fs::path& dir,
                 const std::optional<std::string>& data_csv) {
  auto texts = JobTexts(base, overrides);
  if (!texts.ok()) return texts.status();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError(dir.string() + ": " + ec.message());
  std::string operation = base.operation_yaml;
  if (overrides.is_object() && overrides.contains("period")) {
    // The fold's window goes where `s1mple run` reads it: the link's environment.period.
    auto with_period = WithPeriod(operation, overrides["period"]);
    if (!with_period.ok()) return with_period.status();
    operation = with_period.value();
  }
  if (data_csv) {
    auto rewritten = WithDataPath(operation, "data.csv");
    if (!rewritten.ok()) return rewritten.status();
    operation = rewritten.value();
    S1MPLE_RETURN_IF_ERROR(WriteText(dir / "data.csv", *data_csv));
  }
  S1MPLE_RETURN_IF_ERROR(WriteText(dir / kExportedOperationName, operation));
  S1MPLE_RETURN_IF_ERROR(WriteText(dir / kExportedBlueprintName, texts->blueprint_yaml));
  S1MPLE_RETURN_IF_ERROR(WriteText(dir / kExportedOperatorsName, texts->operators_yaml));
  return WriteText(dir / "overrides.json", overrides.dump(2) + "\n");
}

}  // namespace s1mple::producer
