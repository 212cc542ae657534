// The plugin registry: registration, validation of blueprint entries, docs/PLUGINS.md.
#include "engine/plugin_registry.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "engine/plugins/builtin.h"
#include "engine/yaml_util.h"

namespace s1mple::engine {

namespace {

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out.empty() ? "(none)" : out;
}

bool IsEventName(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           (c >= 'A' && c <= 'Z');
  });
}

std::string FormatValue(const ParamValue& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>)
          return x ? "true" : "false";
        else if constexpr (std::is_same_v<T, int64_t>)
          return std::to_string(x);
        else if constexpr (std::is_same_v<T, double>)
          return yaml::Num(x);
        else if constexpr (std::is_same_v<T, std::string>)
          return x.empty() ? "\"\"" : x;
        else {
          std::string s = "[";
          for (size_t i = 0; i < x.size(); ++i) s += (i ? ", " : "") + x[i];
          return s + "]";
        }
      },
      v);
}

Status CheckBounds(const ParamSpec& spec, double v, std::string_view origin, std::string_view path,
                   const YAML::Node& node) {
  if (spec.min && v < *spec.min)
    return yaml::Error(origin, path, node,
                       yaml::Num(v) + " is below the minimum " + yaml::Num(*spec.min));
  if (spec.max && v > *spec.max)
    return yaml::Error(origin, path, node,
                       yaml::Num(v) + " is above the maximum " + yaml::Num(*spec.max));
  return Status::Ok();
}

}  // namespace

const ParamSpec* PluginManifest::FindParam(std::string_view n) const {
  for (const auto& p : params)
    if (p.name == n) return &p;
  return nullptr;
}

namespace {

bool IsPluginName(std::string_view s) {
  if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Whether the default's alternative is the one the type needs.
bool DefaultFitsType(const ParamSpec& p) {
  switch (p.type) {
    case ParamType::kBool:
      return std::holds_alternative<bool>(p.default_value);
    case ParamType::kInt:
      return std::holds_alternative<int64_t>(p.default_value);
    case ParamType::kFloat:
      return std::holds_alternative<double>(p.default_value);
    case ParamType::kString:
    case ParamType::kEnum:
      return std::holds_alternative<std::string>(p.default_value);
    case ParamType::kStringList:
      return std::holds_alternative<std::vector<std::string>>(p.default_value);
  }
  return false;
}

Status CheckParam(const PluginManifest& m, const ParamSpec& p) {
  auto bad = [&](const std::string& what) {
    return Status::InvalidArgument(DescribePlugin(m) + ": param '" + p.name + "': " + what);
  };
  if (!IsPluginName(p.name))
    return Status::InvalidArgument(DescribePlugin(m) + ": param name '" + p.name +
                                   "' is not snake_case (a-z, 0-9, _; starting with a letter)");
  if (!DefaultFitsType(p))
    return bad("its default is not of its type " + std::string(ParamTypeName(p.type)));
  if (p.min && p.max && *p.min > *p.max)
    return bad("min " + yaml::Num(*p.min) + " is above max " + yaml::Num(*p.max));
  double v = 0;
  bool numeric = true;
  if (std::holds_alternative<int64_t>(p.default_value))
    v = static_cast<double>(std::get<int64_t>(p.default_value));
  else if (std::holds_alternative<double>(p.default_value))
    v = std::get<double>(p.default_value);
  else
    numeric = false;
  if (numeric && ((p.min && v < *p.min) || (p.max && v > *p.max)))
    return bad("default " + FormatValue(p.default_value) + " is out of its bounds");
  if (p.type == ParamType::kEnum) {
    if (p.choices.empty()) return bad("an enum needs choices");
    const auto& d = std::get<std::string>(p.default_value);
    if (std::find(p.choices.begin(), p.choices.end(), d) == p.choices.end())
      return bad("default '" + d + "' is not one of " + JoinNames(p.choices));
  }
  if (p.type == ParamType::kStringList && !p.choices.empty()) {
    for (const auto& d : std::get<std::vector<std::string>>(p.default_value))
      if (std::find(p.choices.begin(), p.choices.end(), d) == p.choices.end())
        return bad("default item '" + d + "' is not one of " + JoinNames(p.choices));
  }
  return Status::Ok();
}

Status CheckManifest(const PluginManifest& m) {
  if (!IsPluginName(m.name))
    return Status::InvalidArgument("plugin name '" + m.name +
                                   "' is not snake_case (a-z, 0-9, _; starting with a letter)" +
                                   (m.package.empty() ? "" : " (package " + m.package + ")"));
  if (static_cast<int>(m.category) > static_cast<int>(WorkerCategory::kExecution))
    return Status::InvalidArgument(DescribePlugin(m) + ": unknown category");
  std::set<std::string_view> seen;
  for (const auto& p : m.params) {
    if (!seen.insert(p.name).second)
      return Status::InvalidArgument(DescribePlugin(m) + ": param '" + p.name +
                                     "' is declared twice");
    S1MPLE_RETURN_IF_ERROR(CheckParam(m, p));
  }
  if (!m.phases.empty() && m.category != WorkerCategory::kPlanning)
    return Status::InvalidArgument(DescribePlugin(m) +
                                   ": only planning workers have phases (it is a " +
                                   std::string(CategoryName(m.category)) + ")");
  for (const auto* list : {&m.default_triggers, &m.publishes, &m.wirings})
    for (const auto& e : *list)
      if (!IsEventName(e))
        return Status::InvalidArgument(DescribePlugin(m) + ": '" + e + "' is not an event name");
  return Status::Ok();
}

}  // namespace

std::string DescribePlugin(const PluginManifest& m) {
  if (m.package.empty()) return "the built-in plugin '" + m.name + "'";
  return "plugin '" + m.name + "' of " + m.package;
}

Status PluginRegistry::Register(PluginManifest manifest, WorkerFactory factory) {
  if (!default_package_.empty()) manifest.package = default_package_;
  if (auto it = plugins_.find(manifest.name); it != plugins_.end())
    return Status::AlreadyExists(DescribePlugin(manifest) + " clashes with " +
                                 DescribePlugin(it->second.manifest));
  S1MPLE_RETURN_IF_ERROR(CheckManifest(manifest));
  if (!factory) return Status::InvalidArgument(DescribePlugin(manifest) + ": no factory");
  std::string name = manifest.name;
  plugins_.emplace(std::move(name), Entry{std::move(manifest), std::move(factory)});
  return Status::Ok();
}

Status PluginRegistry::Merge(const PluginRegistry& other) {
  for (const auto& [name, e] : other.plugins_)
    if (auto it = plugins_.find(name); it != plugins_.end())
      return Status::AlreadyExists(DescribePlugin(e.manifest) + " clashes with " +
                                   DescribePlugin(it->second.manifest));
  for (const auto& [name, e] : other.plugins_) plugins_.emplace(name, e);
  return Status::Ok();
}

const PluginManifest* PluginRegistry::Find(std::string_view name) const {
  auto it = plugins_.find(name);
  return it == plugins_.end() ? nullptr : &it->second.manifest;
}

std::vector<const PluginManifest*> PluginRegistry::Manifests() const {
  std::vector<const PluginManifest*> out;
  for (const auto& [name, e] : plugins_) out.push_back(&e.manifest);
  std::stable_sort(out.begin(), out.end(), [](const auto* a, const auto* b) {
    return static_cast<int>(a->category) < static_cast<int>(b->category);
  });
  return out;
}

std::vector<std::string> PluginRegistry::Names(WorkerCategory category) const {
  std::vector<std::string> out;
  for (const auto& [name, e] : plugins_)
    if (e.manifest.category == category) out.push_back(name);
  return out;
}

Result<ParamValue> PluginRegistry::ParseParam(const PluginManifest& manifest,
                                              std::string_view param, const YAML::Node& value,
                                              std::string_view origin,
                                              std::string_view path) const {
  const ParamSpec* spec = manifest.FindParam(param);
  if (!spec) {
    std::vector<std::string> names;
    for (const auto& p : manifest.params) names.push_back(p.name);
    return yaml::Error(origin, path, value,
                       "unknown parameter '" + std::string(param) + "' for plugin '" +
                           manifest.name + "'; its parameters: " + JoinNames(names));
  }
  auto type_error = [&] {
    return yaml::Error(
        origin, path, value,
        "expected " + std::string(ParamTypeName(spec->type)) + ", got " + yaml::Describe(value));
  };
  switch (spec->type) {
    case ParamType::kBool: {
      bool b;
      if (!yaml::ScalarBool(value, b)) return type_error();
      return ParamValue(b);
    }
    case ParamType::kInt: {
      int64_t i;
      if (!yaml::ScalarInt(value, i)) {
        double d;
        if (yaml::ScalarDouble(value, d))
          return yaml::Error(origin, path, value,
                             "expected an integer, got " + yaml::Describe(value));
        return type_error();
      }
      S1MPLE_RETURN_IF_ERROR(CheckBounds(*spec, static_cast<double>(i), origin, path, value));
      return ParamValue(i);
    }
    case ParamType::kFloat: {
      double d;
      if (!yaml::ScalarDouble(value, d)) return type_error();
      S1MPLE_RETURN_IF_ERROR(CheckBounds(*spec, d, origin, path, value));
      return ParamValue(d);
    }
    case ParamType::kString: {
      if (!value.IsScalar()) return type_error();
      return ParamValue(value.Scalar());
    }
    case ParamType::kEnum: {
      if (!value.IsScalar()) return type_error();
      if (std::find(spec->choices.begin(), spec->choices.end(), value.Scalar()) ==
          spec->choices.end())
        return yaml::Error(origin, path, value,
                           yaml::Describe(value) + " is not one of " + JoinNames(spec->choices));
      return ParamValue(value.Scalar());
    }
    case ParamType::kStringList: {
      std::vector<std::string> items;
      if (value.IsScalar()) {
        items.push_back(value.Scalar());
      } else if (value.IsSequence()) {
        for (const auto& item : value) {
          if (!item.IsScalar()) return type_error();
          items.push_back(item.Scalar());
        }
      } else {
        return type_error();
      }
      if (!spec->choices.empty()) {
        for (const auto& it : items)
          if (std::find(spec->choices.begin(), spec->choices.end(), it) == spec->choices.end())
            return yaml::Error(origin, path, value,
                               "'" + it + "' is not one of " + JoinNames(spec->choices));
      }
      return ParamValue(std::move(items));
    }
  }
  return type_error();
}

Result<WorkerConfig> PluginRegistry::ParseWorker(const YAML::Node& entry, WorkerCategory category,
                                                 std::optional<PlanningPhase> phase,
                                                 std::string_view origin,
                                                 std::string_view path) const {
  if (!entry.IsMap())
    return yaml::Error(
        origin, path, entry,
        "expected a worker entry {plugin: NAME, params: {...}}, got " + yaml::Describe(entry));
  for (const auto& kv : entry) {
    const std::string key = kv.first.Scalar();
    if (key != "plugin" && key != "subtype" && key != "triggers" && key != "params")
      return yaml::Error(
          origin, yaml::Join(path, key), kv.first,
          "unknown key '" + key + "' (a worker has plugin, subtype, triggers, params)");
  }
  const YAML::Node plugin = entry["plugin"];
  if (!plugin || !plugin.IsScalar() || plugin.Scalar().empty())
    return yaml::Error(origin, yaml::Join(path, "plugin"), entry, "missing plugin name");
  const std::string name = plugin.Scalar();
  const PluginManifest* m = Find(name);
  if (!m)
    return yaml::Error(origin, yaml::Join(path, "plugin"), plugin,
                       "unknown plugin '" + name + "'; known " +
                           std::string(CategoryKey(category)) +
                           " plugins: " + JoinNames(Names(category)));
  if (m->category != category)
    return yaml::Error(origin, yaml::Join(path, "plugin"), plugin,
                       "plugin '" + name + "' is a " + std::string(CategoryName(m->category)) +
                           ", not allowed under " + std::string(CategoryKey(category)) +
                           "; known " + std::string(CategoryKey(category)) +
                           " plugins: " + JoinNames(Names(category)));
  if (phase && !m->phases.empty() &&
      std::find(m->phases.begin(), m->phases.end(), *phase) == m->phases.end()) {
    std::vector<std::string> ok;
    for (auto p : m->phases) ok.emplace_back(PlanningPhaseKey(p));
    return yaml::Error(origin, yaml::Join(path, "plugin"), plugin,
                       "plugin '" + name + "' cannot plan " +
                           std::string(PlanningPhaseKey(*phase)) + " (it plans " + JoinNames(ok) +
                           ")");
  }
  WorkerConfig wc;
  wc.plugin = name;
  wc.yaml_path = std::string(path);
  wc.subtype = m->subtype;
  if (const auto st = entry["subtype"]) {
    if (!st.IsScalar())
      return yaml::Error(origin, yaml::Join(path, "subtype"), st, "expected a string");
    wc.subtype = st.Scalar();
  }
  if (const auto tr = entry["triggers"]) {
    if (category == WorkerCategory::kContext)
      return yaml::Error(origin, yaml::Join(path, "triggers"), tr,
                         "context_workers take no triggers (context is computed for every bar)");
    std::vector<YAML::Node> items;
    if (tr.IsScalar())
      items.push_back(tr);
    else if (tr.IsSequence())
      for (const auto& t : tr) items.push_back(t);
    else
      return yaml::Error(origin, yaml::Join(path, "triggers"), tr, "expected a list of events");
    for (size_t i = 0; i < items.size(); ++i) {
      if (!items[i].IsScalar() || !IsEventName(items[i].Scalar()))
        return yaml::Error(origin, yaml::Index(yaml::Join(path, "triggers"), i), items[i],
                           "expected an event name, got " + yaml::Describe(items[i]));
      wc.triggers.push_back(items[i].Scalar());
    }
  }
  // Defaults first (manifest order), then the blueprint's values.
  for (const auto& p : m->params) wc.params.Set(p.name, p.default_value);
  if (const auto params = entry["params"]) {
    if (!params.IsMap() && !params.IsNull())
      return yaml::Error(origin, yaml::Join(path, "params"), params, "expected a map");
    if (params.IsMap()) {
      for (const auto& kv : params) {
        const std::string key = kv.first.Scalar();
        const std::string ppath = yaml::Join(yaml::Join(path, "params"), key);
        auto v = ParseParam(*m, key, kv.second, origin, ppath);
        if (!v.ok()) return v.status();
        wc.params.Set(key, std::move(v).value());
      }
    }
  }
  // Cross-parameter checks live in the factory: run it once now so errors come at load.
  auto w = Create(wc);
  if (!w.ok())
    return yaml::Error(origin, yaml::Join(path, "params"), entry["params"], w.status().message());
  return wc;
}

Result<std::unique_ptr<Worker>> PluginRegistry::Create(const WorkerConfig& config) const {
  auto it = plugins_.find(config.plugin);
  if (it == plugins_.end())
    return Status::InvalidArgument("unknown plugin '" + config.plugin + "'");
  try {
    return it->second.factory(config.params);
  } catch (const std::exception& e) {
    return Status::Internal("plugin '" + config.plugin + "' failed to construct: " + e.what());
  }
}

PluginRegistry MakeBuiltinRegistry() {
  PluginRegistry r;
  RegisterBuiltinPlugins(r);
  return r;
}

const PluginRegistry& DefaultRegistry() {
  static const PluginRegistry registry = MakeBuiltinRegistry();
  return registry;
}

std::string GeneratePluginsMarkdown(const PluginRegistry& registry) {
  std::ostringstream md;
  md << "# Plugins\n\n"
     << "Generated from the plugin manifests by `s1mple run --plugins-md > docs/PLUGINS.md`; do "
        "not edit by hand (a test checks it is up to date).\n\n"
     << "A blueprint entry is `- plugin: NAME` with optional `subtype`, `triggers` and `params`; "
        "params not given take the defaults below. Bounds are inclusive. See "
        "docs/CONFIGURATION.md for the blueprint format.\n\n"
     << "Writing one: a plugin derives from its category's base in `engine/worker.h` "
        "(ContextWorker, OpportunityWorker, ThreatWorker, PlanningWorker, ExecutionWorker) and "
        "implements the protected hook (`OnBind`, `OnCompute`, `OnDetect`, `OnAssess`, `OnPlan`, "
        "`OnEvent`, `OnManage`); the engine calls the base's public entry, which catches what the "
        "hook throws (the run fails naming the file, the YAML path and the plugin), can time "
        "it (`RunOptions::time_workers`) and treats a NaN price as no price. Opportunity and "
        "execution workers may also implement `OnNextActive` (the next bar their hook could act "
        "on), so that the engine skips the quiet bars before it (docs/CONFIGURATION.md, \"Quiet "
        "bars\"). Prices, sizes and "
        "money are `Price`, `Quantity` and `Money` (`engine/types.h`), \"no price\" is an empty "
        "`std::optional<Price>`; `engine/plugins/plugin_util.h` has the manifest helpers, the "
        "EMA-spread and sourced-indicator skeletons and the risk-sizing helper. Your own plugins, "
        "in "
        "C++ or Python, outside this tree: docs/PLUGINS_GUIDE.md.\n";
  md << GenerateManifestSections(registry);
  return md.str();
}

std::string GenerateManifestSections(const PluginRegistry& registry) {
  std::ostringstream md;
  std::optional<WorkerCategory> current;
  for (const PluginManifest* m : registry.Manifests()) {
    if (current != m->category) {
      current = m->category;
      md << "\n## " << CategoryName(m->category) << "s (`" << CategoryKey(m->category) << "`)\n";
    }
    md << "\n### `" << m->name << "`\n\n" << m->description << "\n\n";
    md << "- subtype: `" << (m->subtype.empty() ? "-" : m->subtype) << "`\n";
    md << "- kind: " << (m->event_driven ? "EventDrivenWorker" : "StandardWorker") << "\n";
    if (!m->package.empty()) md << "- package: `" << m->package << "`\n";
    if (!m->phases.empty()) {
      md << "- phases:";
      for (auto p : m->phases) md << " `" << PlanningPhaseKey(p) << "`";
      md << "\n";
    }
    if (!m->default_triggers.empty()) {
      md << "- default triggers:";
      for (const auto& t : m->default_triggers) md << " `" << t << "`";
      md << "\n";
    }
    if (m->event_driven) {
      md << "- events: wirings (listens to)";
      for (const auto& t : m->wirings) md << " `" << t << "`";
      md << "; publishes";
      for (const auto& t : m->publishes) md << " `" << t << "`";
      md << "\n";
    }
    if (!m->produces_columns.empty()) {
      md << "- context columns:";
      for (const auto& c : m->produces_columns) md << " `" << c << "`";
      md << "\n";
    }
    if (m->params.empty()) {
      md << "\nNo parameters.\n";
      continue;
    }
    md << "\n| param | type | default | bounds | description |\n|---|---|---|---|---|\n";
    for (const auto& p : m->params) {
      std::string bounds;
      if (p.type == ParamType::kEnum || (p.type == ParamType::kStringList && !p.choices.empty())) {
        bounds = JoinNames(p.choices);
      } else if (p.min || p.max) {
        bounds = (p.min ? yaml::Num(*p.min) : "") + " .. " + (p.max ? yaml::Num(*p.max) : "");
      }
      md << "| `" << p.name << "` | " << ParamTypeName(p.type) << " | `"
         << FormatValue(p.default_value) << "` | " << bounds << " | " << p.description << " |\n";
    }
  }
  return md.str();
}

}  // namespace s1mple::engine
