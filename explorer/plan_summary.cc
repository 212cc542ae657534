#include "explorer/plan_summary.h"

#include <cmath>

namespace s1mple::explorer {

using nlohmann::json;

namespace {

std::string Str(const json& doc, const char* key) {
  auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> Strs(const json& doc, const char* key) {
  std::vector<std::string> out;
  auto it = doc.find(key);
  if (it == doc.end() || !it->is_array()) return out;
  for (const auto& e : *it) {
    if (e.is_string()) out.push_back(e.get<std::string>());
  }
  return out;
}

std::optional<double> Num(const json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

}  // namespace

PlanInfo ReadPlanSummary(std::string_view summary_json) {
  PlanInfo info;
  const json doc = json::parse(summary_json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return info;
  info.kind = Str(doc, "kind");
  info.name = Str(doc, "name");
  info.description = Str(doc, "description");
  info.base_operation = Str(doc, "base_operation");
  if (std::string pm = Str(doc, "primary_metric"); !pm.empty()) info.primary_metric = pm;
  info.secondary_metrics = Strs(doc, "secondary_metrics");
  info.maximize = info.primary_metric != "max_drawdown";
  if (const std::string d = Str(doc, "direction"); d == "maximize" || d == "minimize")
    info.maximize = d == "maximize";
  if (auto cs = doc.find("constraints"); cs != doc.end() && cs->is_array()) {
    for (const auto& c : *cs) {
      if (!c.is_object()) continue;
      PlanInfo::Constraint k;
      k.key = Str(c, "key");
      k.metric = Str(c, "metric");
      k.min = Num(c, "min");
      k.max = Num(c, "max");
      k.absolute = c.value("absolute", false);
      if (k.metric.empty() || (!k.min && !k.max)) continue;
      info.constraints.push_back(std::move(k));
    }
  }
  if (auto ds = doc.find("dimensions"); ds != doc.end() && ds->is_array()) {
    for (const auto& d : *ds) {
      if (!d.is_object()) continue;
      PlanInfo::Dimension dim;
      dim.name = Str(d, "name");
      if (auto n = d.find("size"); n != d.end() && n->is_number_unsigned())
        dim.size = n->get<uint64_t>();
      dim.columns = Strs(d, "columns");
      info.dimensions.push_back(std::move(dim));
    }
  }
  if (auto vs = doc.find("variants"); vs != doc.end() && vs->is_array()) {
    for (const auto& v : *vs) {
      if (v.is_object()) info.variants.push_back({Str(v, "name"), Str(v, "description")});
    }
  }
  info.comparison_metrics = Strs(doc, "comparison_metrics");
  return info;
}

namespace {

std::optional<double> RunMetric(const json& run, const std::string& name) {
  for (const char* block : {"metrics", "causality"}) {
    if (!run.contains(block) || !run[block].is_object()) continue;
    auto it = run[block].find(name);
    if (it != run[block].end() && it->is_number()) return it->get<double>();
  }
  return std::nullopt;
}

std::string Number(double v) {
  return json(v).dump();
}

}  // namespace

bool MeetsConstraints(const json& run, const std::vector<PlanInfo::Constraint>& constraints,
                      std::vector<std::string>* failures) {
  bool ok = true;
  for (const auto& c : constraints) {
    auto value = RunMetric(run, c.metric);
    if (!value) {
      ok = false;
      if (failures) failures->push_back(c.metric + " undefined");
      continue;
    }
    const double v = c.absolute ? std::fabs(*value) : *value;
    if (c.min && v < *c.min) {
      ok = false;
      if (failures) failures->push_back(c.metric + " " + Number(v) + " < " + Number(*c.min));
    }
    if (c.max && v > *c.max) {
      ok = false;
      if (failures) failures->push_back(c.metric + " " + Number(v) + " > " + Number(*c.max));
    }
  }
  return ok;
}

json ConstraintsJson(const std::vector<PlanInfo::Constraint>& constraints) {
  json out = json::array();
  for (const auto& c : constraints) {
    out.push_back({{"key", c.key},
                   {"metric", c.metric},
                   {"min", c.min ? json(*c.min) : json()},
                   {"max", c.max ? json(*c.max) : json()},
                   {"absolute", c.absolute}});
  }
  return out;
}

}  // namespace s1mple::explorer
