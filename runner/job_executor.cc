#include "runner/job_executor.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

namespace s1mple::runner {
namespace {

JobOutput Failure(std::string reason, bool retryable = false) {
  JobOutput out;
  out.ok = false;
  out.error = std::move(reason);
  out.retryable = retryable;
  return out;
}

[[noreturn]] void CrashNow() {
  std::signal(SIGSEGV, SIG_DFL);
  std::raise(SIGSEGV);
  std::abort();  // not reached
}

}  // namespace

JobOutput DiagExecutor::Execute(const JobInput& job, const ArtifactLookup& /*artifacts*/) {
  nlohmann::json o = nlohmann::json::parse(job.overrides, nullptr, /*allow_exceptions=*/false);
  if (o.is_discarded() || !o.is_object())
    return Failure("bad config: overrides are not a JSON object");
  if (o.value("crash", false)) CrashNow();
  if (o.contains("crash_attempts") && o["crash_attempts"].is_number_unsigned() &&
      job.attempt <= o["crash_attempts"].get<uint64_t>()) {
    CrashNow();
  }
  if (o.value("abort", false)) std::abort();
  if (o.contains("exit") && o["exit"].is_number_integer()) ::_exit(o["exit"].get<int>());
  if (o.value("hang", false)) {
    while (true) std::this_thread::sleep_for(std::chrono::hours(1));
  }
  if (o.contains("fail")) {
    return Failure(o["fail"].is_string() ? o["fail"].get<std::string>() : o["fail"].dump());
  }
  if (o.contains("throw")) {
    throw std::runtime_error(o["throw"].is_string() ? o["throw"].get<std::string>()
                                                    : o["throw"].dump());
  }
  if (o.contains("sleep_ms") && o["sleep_ms"].is_number_unsigned()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(o["sleep_ms"].get<uint64_t>()));
  }
  if (o.contains("spin_ms") && o["spin_ms"].is_number_unsigned()) {
    auto end =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(o["spin_ms"].get<uint64_t>());
    volatile uint64_t x = 0;
    while (std::chrono::steady_clock::now() < end) x = x + 1;
  }
  nlohmann::json result = {
      {"index", job.index},
      {"value", o.contains("value") ? o["value"] : nlohmann::json(job.index * 2)},
      {"echo", o}};
  // {"pad_bytes": N}: a result of about N bytes (tests of the size bounds), at most 64 MiB.
  if (o.contains("pad_bytes") && o["pad_bytes"].is_number_unsigned())
    result["pad"] = std::string(std::min<uint64_t>(o["pad_bytes"].get<uint64_t>(), 64u << 20), 'x');
  JobOutput out;
  out.ok = true;
  out.result = result.dump();
  return out;
}

KindDispatcher::KindDispatcher(std::unique_ptr<JobExecutor> backtest)
    : backtest_(std::move(backtest)) {}

JobOutput KindDispatcher::Execute(const JobInput& job, const ArtifactLookup& artifacts) {
  try {
    if (job.kind == "diag") return diag_.Execute(job, artifacts);
    if (job.kind == "backtest") {
      if (!backtest_) return Failure("this runner cannot run backtests (built without the engine)");
      return backtest_->Execute(job, artifacts);
    }
    return Failure("unknown job kind '" + job.kind + "'");
  } catch (const std::exception& e) {
    return Failure(std::string("exception: ") + e.what());
  } catch (...) {
    return Failure("exception: unknown");
  }
}

}  // namespace s1mple::runner
