// Names and defaults of the configuration model, and ParamSet.
#include "engine/config.h"

#include <cassert>

namespace s1mple::engine {

std::string_view ParamTypeName(ParamType t) {
  switch (t) {
    case ParamType::kBool:
      return "bool";
    case ParamType::kInt:
      return "int";
    case ParamType::kFloat:
      return "float";
    case ParamType::kString:
      return "string";
    case ParamType::kEnum:
      return "enum";
    case ParamType::kStringList:
      return "list of strings";
  }
  return "?";
}

std::string_view ExecutionStrategyName(ExecutionStrategy s) {
  switch (s) {
    case ExecutionStrategy::kSequential:
      return "SEQUENTIAL";
    case ExecutionStrategy::kParallel:
      return "PARALLEL";
    case ExecutionStrategy::kEventDriven:
      return "EVENT_DRIVEN";
  }
  return "?";
}

std::string_view AggregationStrategyName(AggregationStrategy s) {
  switch (s) {
    case AggregationStrategy::kChainThrough:
      return "CHAIN_THROUGH";
    case AggregationStrategy::kCollectAll:
      return "COLLECT_ALL";
    case AggregationStrategy::kNone:
      return "NONE";
  }
  return "?";
}

std::string_view OperatorName(OperatorId id) {
  switch (id) {
    case OperatorId::kContext:
      return "ContextOperator";
    case OperatorId::kOpportunity:
      return "OpportunityOperator";
    case OperatorId::kThreat:
      return "ThreatOperator";
    case OperatorId::kPlanning:
      return "PlanningOperator";
    case OperatorId::kExecution:
      return "ExecutionOperator";
  }
  return "?";
}

std::array<OperatorConfig, kOperatorCount> OperatorsConfig::DefaultOperators() {
  using E = ExecutionStrategy;
  using A = AggregationStrategy;
  return {{{E::kSequential, A::kChainThrough},
           {E::kParallel, A::kCollectAll},
           {E::kParallel, A::kCollectAll},
           {E::kSequential, A::kChainThrough},
           {E::kEventDriven, A::kNone}}};
}

void ParamSet::Set(std::string name, ParamValue value) {
  for (auto& [n, v] : items_) {
    if (n == name) {
      v = std::move(value);
      return;
    }
  }
  items_.emplace_back(std::move(name), std::move(value));
}

const ParamValue* ParamSet::Find(std::string_view name) const {
  for (const auto& [n, v] : items_)
    if (n == name) return &v;
  return nullptr;
}

bool ParamSet::Has(std::string_view name) const {
  return Find(name) != nullptr;
}

bool ParamSet::GetBool(std::string_view name) const {
  const auto* v = Find(name);
  assert(v && std::holds_alternative<bool>(*v));
  return v && std::holds_alternative<bool>(*v) ? std::get<bool>(*v) : false;
}

int64_t ParamSet::GetInt(std::string_view name) const {
  const auto* v = Find(name);
  assert(v && std::holds_alternative<int64_t>(*v));
  return v && std::holds_alternative<int64_t>(*v) ? std::get<int64_t>(*v) : 0;
}

double ParamSet::GetFloat(std::string_view name) const {
  const auto* v = Find(name);
  if (v && std::holds_alternative<double>(*v)) return std::get<double>(*v);
  if (v && std::holds_alternative<int64_t>(*v)) return static_cast<double>(std::get<int64_t>(*v));
  assert(false && "GetFloat on a parameter that is not a number");
  return 0;
}

const std::string& ParamSet::GetString(std::string_view name) const {
  static const std::string kEmpty;
  const auto* v = Find(name);
  assert(v && std::holds_alternative<std::string>(*v));
  return v && std::holds_alternative<std::string>(*v) ? std::get<std::string>(*v) : kEmpty;
}

const std::vector<std::string>& ParamSet::GetStringList(std::string_view name) const {
  static const std::vector<std::string> kEmpty;
  const auto* v = Find(name);
  assert(v && std::holds_alternative<std::vector<std::string>>(*v));
  return v && std::holds_alternative<std::vector<std::string>>(*v)
             ? std::get<std::vector<std::string>>(*v)
             : kEmpty;
}

}  // namespace s1mple::engine
