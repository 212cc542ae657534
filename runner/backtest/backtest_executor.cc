#include "runner/backtest/backtest_executor.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "engine/job.h"

namespace s1mple::runner {
namespace {

namespace eng = s1mple::engine;

namespace fs = std::filesystem;

JobOutput Deterministic(std::string reason) {
  JobOutput out;
  out.error = std::move(reason);
  out.retryable = false;
  return out;
}

constexpr std::string_view kPluginRole = "plugin:";

// Whether `name` is a plain file name (what a plugin role carries after "plugin:").
bool IsPlainFileName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

// The plugin cache of this machine: <dir>/<sha256>/<file name>, written once per package (the
// runner verified the bytes against the hash when it fetched them). The directory is private to
// this user (0700); a file already there is used only when its bytes are the package's.
Result<fs::path> PackageFile(const fs::path& dir, const std::string& hash, const std::string& name,
                             const std::string& bytes) {
  std::error_code ec;
  const fs::path folder = dir / hash;
  const fs::path file = folder / name;
  if (fs::exists(file, ec)) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (ss.str() == bytes) return file;
  }
  fs::create_directories(folder, ec);
  if (ec) return Status::IOError(folder.string() + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  // The runner's pool processes may write the same package at once: each its own temporary.
  auto out = AtomicFile::Create(file, AtomicFile::Writers::kProcesses);
  if (!out.ok()) return out.status();
  (*out)->Append(bytes);
  S1MPLE_RETURN_IF_ERROR((*out)->Commit());
  return file;
}

fs::path DefaultPluginDir() {
  return fs::temp_directory_path() / ("s1mple-plugins-" + std::to_string(::getuid()));
}

// The runner's side of a backtest job: the artifacts by role and the overrides text; the job
// itself runs through engine::JobRunner, as it does in the producer (engine/job.h).
class BacktestExecutor final : public JobExecutor {
 public:
  explicit BacktestExecutor(BacktestExecutorOptions options)
      : jobs_(RunnerOptions(options)),
        plugin_dir_(options.plugin_dir.empty() ? DefaultPluginDir()
                                               : fs::path(options.plugin_dir)) {}

  JobOutput Execute(const JobInput& job, const ArtifactLookup& artifacts) override {
    const std::string origin = "job " + job.sweep + "/" + std::to_string(job.index);
    auto text = [&](const std::string& role) -> const std::string* {
      auto it = job.artifacts.find(role);
      return it == job.artifacts.end() ? nullptr : artifacts(it->second);
    };
    const std::string* operation = text("operation");
    const std::string* blueprint = text("blueprint");
    const std::string* operators = text("operators");
    if (!operation || !blueprint)
      return Deterministic("bad config: " + origin +
                           ": the sweep has no operation or blueprint artifact");
    const nlohmann::json overrides = nlohmann::json::parse(job.overrides, nullptr, false);
    if (overrides.is_discarded() || !overrides.is_object())
      return Deterministic("bad config: " + origin + ": overrides are not a JSON object");
    eng::JobSpec spec;
    spec.origin = origin;
    spec.operation_yaml = *operation;
    spec.blueprint_yaml = *blueprint;
    if (operators) spec.operators_yaml = *operators;
    spec.overrides = &overrides;
    std::string csv_key;
    if (auto it = job.artifacts.find("data"); it != job.artifacts.end()) {
      spec.csv = artifacts(it->second);  // nullptr when not sent: the job fails, naming it
      csv_key = "csv-sha256:" + it->second;
      spec.csv_key = csv_key;
    }
    // The sweep's plugin packages, as files this process can load.
    eng::PackageFiles packages;
    for (const auto& [role, hash] : job.artifacts) {
      if (role.rfind(kPluginRole, 0) != 0) continue;
      const std::string name = role.substr(kPluginRole.size());
      const std::string* bytes = artifacts(hash);
      if (!IsPlainFileName(name) || !bytes)
        return Deterministic("bad config: " + origin + ": plugin artifact '" + role +
                             "' is not a file name or was not sent");
      auto it = files_.find(hash + "/" + name);
      if (it == files_.end()) {
        auto file = PackageFile(plugin_dir_, hash, name, *bytes);
        if (!file.ok()) {
          JobOutput out;
          out.error = "cannot load a plugin package on this machine: " + origin + ": " + name +
                      ": " + file.status().message();
          out.retryable = true;
          return out;
        }
        it = files_.emplace(hash + "/" + name, *file).first;
      }
      packages.emplace_back(name, it->second);
    }
    if (!packages.empty()) spec.packages = &packages;
    eng::JobResult r = jobs_.Run(spec);
    if (!r.ok()) {
      JobOutput out = Deterministic(r.FailureReason());
      out.retryable = r.retryable();  // another machine may load the package
      return out;
    }
    JobOutput out;
    out.ok = true;
    out.result = r.result.dump();
    return out;
  }

 private:
  static eng::JobRunnerOptions RunnerOptions(const BacktestExecutorOptions& o) {
    eng::JobRunnerOptions jo;
    jo.json.max_equity_points = o.max_equity_points;
    jo.json.include_trades = o.include_trades;
    jo.json.max_trades = o.max_trades;
    jo.read_data_files = false;  // a runner has only the artifacts it was sent
    jo.column_cache_mib = o.column_cache_mib;
    return jo;
  }

  eng::JobRunner jobs_;  // keeps the parsed data sets of this worker process
  fs::path plugin_dir_;
  std::map<std::string, fs::path> files_;  // "<hash>/<name>" -> the package file written
};

}  // namespace

std::unique_ptr<JobExecutor> MakeBacktestExecutor(BacktestExecutorOptions options) {
  return std::make_unique<BacktestExecutor>(options);
}

}  // namespace s1mple::runner
