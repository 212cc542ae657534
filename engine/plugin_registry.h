// Plugins: their manifests and factories, and validation of blueprint entries against them.
//
// A PluginRegistry is a plain object: construct an empty one and Register plugins (tests add
// their own), or use MakeBuiltinRegistry() / DefaultRegistry() for every built-in plugin.
// Registration is not thread-safe; a filled registry is immutable and safe to share.
//
// Adding a built-in plugin is one new file, engine/plugins/<name>.cc, defining
// `void Register<Name>(PluginRegistry&)`, plus one line in engine/plugins/builtin.cc. A user's
// plugins come in packages (a shared library or a Python module, engine/plugin_package.h) that
// register into a registry of their own; RegistryWithPackages merges them onto the built-ins.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/config.h"
#include "engine/worker.h"

namespace YAML {
class Node;
}

namespace s1mple::engine {

// A typed parameter with its default and bounds (bounds apply to kInt and kFloat).
struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kFloat;
  ParamValue default_value;
  std::optional<double> min;         // inclusive
  std::optional<double> max;         // inclusive
  std::vector<std::string> choices;  // kEnum: the allowed values; kStringList: allowed items
  std::string description;
};

struct PluginManifest {
  std::string name;  // unique, snake_case, what `plugin:` names
  WorkerCategory category = WorkerCategory::kContext;
  std::string subtype;  // default subtype, e.g. "momentum_signal", "portfolio_risk"
  std::string description;
  std::vector<ParamSpec> params;
  // Planning workers: the phases the plugin may sit in (empty: any).
  std::vector<PlanningPhase> phases;
  // Capabilities. A StandardWorker (event_driven false) sits in the implicit pipeline and runs
  // on `default_triggers` (default: on_context_ready); a blueprint's `triggers:` replaces them.
  // An EventDrivenWorker declares the `events` capability: the events it `publishes` and its
  // `wirings` (the events it listens to, its default triggers).
  bool event_driven = false;
  std::vector<std::string> default_triggers;
  std::vector<std::string> publishes;
  std::vector<std::string> wirings;
  std::vector<std::string> produces_columns;  // context workers: column name patterns, for docs
  // Where the plugin comes from: "" for a built-in, else its package's file name
  // (libmy_signals.so, my_signals.py), as messages about clashes and docs name it.
  std::string package;

  const ParamSpec* FindParam(std::string_view name) const;
};

// Builds a worker from validated params. May reject combinations bounds cannot express
// (e.g. fast_period >= slow_period) with InvalidArgument; the message names the params, the
// caller prefixes file and YAML path.
using WorkerFactory = std::function<Result<std::unique_ptr<Worker>>(const ParamSet& params)>;

class PluginRegistry {
 public:
  PluginRegistry() = default;
  PluginRegistry(const PluginRegistry&) = default;
  PluginRegistry& operator=(const PluginRegistry&) = default;
  PluginRegistry(PluginRegistry&&) = default;
  PluginRegistry& operator=(PluginRegistry&&) = default;

  // Checks the manifest and adds the plugin. AlreadyExists when the name is taken (the message
  // names who holds it: the built-in plugin, or the package); InvalidArgument when the manifest
  // is not one s1mple can use: an empty or non-snake_case name, a param declared twice, a
  // default of the wrong type or out of its bounds, min above max, an enum default outside its
  // choices, a planning phase list on another category, an event name that is not one.
  [[nodiscard]] Status Register(PluginManifest manifest, WorkerFactory factory);

  // Adds every plugin of `other` (e.g. a package's own registry). On a clash nothing is added
  // and the AlreadyExists message names both holders, e.g. "plugin 'ema' of libx.so clashes
  // with the built-in plugin 'ema'" or "... with plugin 'ema' of other.py".
  [[nodiscard]] Status Merge(const PluginRegistry& other);

  size_t size() const { return plugins_.size(); }

  // Every plugin registered from now on gets manifest.package = `package` (what a package's
  // own registry is made with, engine/plugin_package.h), whatever the manifest said.
  void SetDefaultPackage(std::string package) { default_package_ = std::move(package); }

  const PluginManifest* Find(std::string_view name) const;
  // Every manifest, by category (WorkerCategory order) then name.
  std::vector<const PluginManifest*> Manifests() const;
  // Every plugin name of a category, sorted (for "unknown plugin, known: ..." messages).
  std::vector<std::string> Names(WorkerCategory category) const;

  // Validates one blueprint entry (a map with plugin, optional subtype, triggers, params) for a
  // slot of `category` (and `phase` for planning workers). Checks: the plugin is known (else
  // lists the known ones of the category), fits the slot, every param is declared (else lists
  // the declared ones), has the right type and is within bounds; triggers are a list of event
  // names. Fills in defaults. Errors: InvalidArgument "<origin>: <yaml_path>.params.x: ...".
  [[nodiscard]] Result<WorkerConfig> ParseWorker(const YAML::Node& entry, WorkerCategory category,
                                                 std::optional<PlanningPhase> phase,
                                                 std::string_view origin,
                                                 std::string_view yaml_path) const;

  // Validates one parameter value (e.g. a sweep's value for it) against a manifest.
  [[nodiscard]] Result<ParamValue> ParseParam(const PluginManifest& manifest,
                                              std::string_view param, const YAML::Node& value,
                                              std::string_view origin,
                                              std::string_view yaml_path) const;

  // Creates the worker for a validated entry (runs the factory's cross-parameter checks).
  [[nodiscard]] Result<std::unique_ptr<Worker>> Create(const WorkerConfig& config) const;

 private:
  struct Entry {
    PluginManifest manifest;
    WorkerFactory factory;
  };
  std::map<std::string, Entry, std::less<>> plugins_;  // ordered: deterministic listings
  std::string default_package_;
};

// A registry with every built-in plugin (engine/plugins/builtin.cc).
PluginRegistry MakeBuiltinRegistry();
// A process-wide built-in registry, constructed on first use (thread-safe), never modified.
const PluginRegistry& DefaultRegistry();

// docs/PLUGINS.md, generated from the manifests (`s1mple run --plugins-md` prints it).
std::string GeneratePluginsMarkdown(const PluginRegistry& registry);
// The category and plugin sections of that page for the plugins of `registry` alone (what
// `s1mple plugin doc PACKAGE` prints under its own title), "##" category headings.
std::string GenerateManifestSections(const PluginRegistry& registry);
// "the built-in plugin 'x'" or "plugin 'x' of PACKAGE": how messages name a plugin.
std::string DescribePlugin(const PluginManifest& manifest);

}  // namespace s1mple::engine
