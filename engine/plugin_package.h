// Plugin packages: a researcher's own plugins, written outside this tree, in a shared library
// built against the SDK (C++, s1mple/plugin.h) or in a Python module (the s1mple Python bases,
// engine/python_bridge.h). Operations and blueprints list them (`plugins: [libx.so, x.py]`,
// docs/CONFIGURATION.md); a blueprint then names their plugins like built-ins. A sweep carries
// them as content-addressed artifacts, and runners load them in their pool processes
// (docs/PLUGINS_GUIDE.md).
//
// Loading a shared library: its stamp (engine/plugin_abi.h) is read from the file and compared
// with this s1mple's before dlopen, so a package built for another ABI, SDK version, compiler or
// architecture is refused before any of its code runs; then dlopen (RTLD_NOW | RTLD_LOCAL: it
// resolves the engine's symbols from the s1mple executable, which exports them) and its entry
// point registers its plugins into a registry of its own. A package is never unloaded.
//
// Failures come in three kinds, by Status code, so that a runner can tell a job's fault from its
// own (engine/job.h):
//   NotFound            the file is not there;
//   FailedPrecondition  this machine cannot load it though the package may be fine: another ABI,
//                       SDK version, compiler or architecture, no Python, a module the Python
//                       package imports is not installed here, dlopen refused it;
//   InvalidArgument     the package itself is at fault: not a package, a manifest s1mple refuses,
//                       a registration that failed, a Python module that raises at import.
// Every message names the package and what named it ("config/op.yaml: plugins[0]: libx.so: ...").
//
// Thread-safety: every function may be called from any thread; loaded packages and the merged
// registries are cached per process under one mutex and are immutable once made.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/config.h"
#include "engine/plugin_registry.h"

namespace YAML {
class Node;
}

namespace s1mple::engine {

// Where each package file lives on this machine, by file name (a runner's verified copies in its
// plugin cache). What ParseOperationTexts resolves a text's `plugins:` entries against.
using PackageFiles = std::vector<std::pair<std::string, std::filesystem::path>>;

// Reads a `plugins:` list of file paths (a sequence of strings; a single string is a list of
// one). Relative paths resolve against `dir`. Errors name origin and yaml_path.
[[nodiscard]] Result<std::vector<PackageRef>> ParsePluginsList(const YAML::Node& node,
                                                               std::string_view origin,
                                                               std::string_view yaml_path,
                                                               const std::filesystem::path& dir);

// Loads one package once per process (a later call for the same file returns the same registry)
// and returns a registry holding only its plugins, each manifest's `package` set to ref.name.
// A package that registers no plugin is refused.
[[nodiscard]] Result<std::shared_ptr<const PluginRegistry>> LoadPackage(const PackageRef& ref);

// `base` plus the plugins of `packages`, in order. A plugin whose name is taken (by a built-in or
// by an earlier package) is an error naming both; so are two different files with the same file
// name (a sweep ships packages by file name). The same file listed twice counts once. Cached per
// process by base and files, so the jobs of one sweep build it once. An empty list gives a
// registry equal to `base`.
[[nodiscard]] Result<std::shared_ptr<const PluginRegistry>> RegistryWithPackages(
    const PluginRegistry& base, std::span<const PackageRef> packages);

// The stamp of a shared library (engine/plugin_abi.h), read from its ELF file without loading it.
struct PackageStamp {
  std::string text;  // as written, e.g. "s1mple-plugin;abi=2;sdk=0.1.0;..."
  std::string abi, sdk, compiler, arch, cxx11abi;
  std::string elf_arch;  // from the ELF header's e_machine ("x86_64", "aarch64", "machine 40", ...)
};
// InvalidArgument when the file is not a 64-bit little-endian ELF shared object or has no stamp;
// NotFound when it cannot be read.
[[nodiscard]] Result<PackageStamp> ReadPackageStamp(const std::filesystem::path& path);
// What this s1mple was built as (its own stamp).
const PackageStamp& HostStamp();
// FailedPrecondition naming the first field that differs (architecture, ABI, SDK version,
// compiler, C++11 string ABI) and what to do; Ok when the package fits this s1mple.
[[nodiscard]] Status CheckPackageStamp(const PackageStamp& package);

}  // namespace s1mple::engine
