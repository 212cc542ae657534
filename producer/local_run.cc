#include "producer/local_run.h"

#include <exception>

namespace s1mple::producer {

InProcessRunner::InProcessRunner(const PreparedSweep& sweep, engine::JsonOptions json,
                                 const engine::PluginRegistry* registry)
    : sweep_(sweep), json_(json), registry_(registry ? *registry : engine::DefaultRegistry()) {}

JobOutcome InProcessRunner::Run(uint64_t index) {
  JobOutcome outcome;
  outcome.index = index;
  auto fail = [&](const Status& st) {
    outcome.ok = false;
    outcome.failure_reason = st.message();
    return outcome;
  };
  try {
    auto texts = JobTexts(sweep_.base, sweep_.space->Overrides(index));
    if (!texts.ok()) return fail(texts.status());
    auto config = engine::ParseOperationTexts(sweep_.base.operation_yaml, texts->blueprint_yaml,
                                              texts->operators_yaml, "job " + std::to_string(index),
                                              registry_);
    if (!config.ok()) return fail(config.status());
    const engine::StrategyLink& link = config->links.at(0);
    const std::string key = link.environment.data.CacheKey();
    if (!data_ || key != data_key_) {
      auto data = engine::LoadData(link.environment.data);
      if (!data.ok()) return fail(data.status());
      data_ = data.value();
      data_key_ = key;
    }
    engine::RunOptions options;
    options.registry = &registry_;
    auto result = engine::RunBacktest(link, *data_, options);
    if (!result.ok()) return fail(result.status());
    outcome.ok = true;
    outcome.result = engine::ToJson(result.value(), json_);
  } catch (const std::exception& e) {
    return fail(Status::Internal(std::string("job ") + std::to_string(index) + ": " + e.what()));
  }
  return outcome;
}

}  // namespace s1mple::producer
