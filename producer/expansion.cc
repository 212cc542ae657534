#include "producer/expansion.h"

#include <algorithm>

#include "producer/halving.h"
#include "producer/search.h"

namespace s1mple::producer {

using json = nlohmann::json;

void MergeJson(json& into, const json& patch) {
  if (!patch.is_object() || !into.is_object()) {
    into = patch;
    return;
  }
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    auto found = into.find(it.key());
    if (found != into.end() && found->is_object() && it.value().is_object()) {
      MergeJson(*found, it.value());
    } else {
      into[it.key()] = it.value();
    }
  }
}

Result<JobSpace> JobSpace::Make(std::shared_ptr<const Plan> plan,
                                std::shared_ptr<const FoldSchedule> schedule,
                                std::shared_ptr<const HalvingLadder> ladder) {
  JobSpace space;
  space.plan_ = std::move(plan);
  if ((space.plan_->validation.mode != ValidationMode::kNone) != (schedule != nullptr)) {
    return Status::InvalidArgument(space.plan_->origin() + ": " +
                                   space.plan_->validation.yaml_path +
                                   (schedule ? ": folds given for a plan without validation"
                                             : ": the folds need the data range"));
  }
  if (schedule && schedule->segments.empty())
    return Status::InvalidArgument(space.plan_->origin() + ": " +
                                   space.plan_->validation.yaml_path + ": no folds");
  space.schedule_ = std::move(schedule);
  for (const auto& dim : space.plan_->dimensions) {
    const uint64_t n = dim.size();
    if (n == 0) {
      return Status::InvalidArgument(space.plan_->origin() + ": " + dim.yaml_path +
                                     ": yields no values");
    }
    if (space.size_ > UINT64_MAX / n) {
      return Status::InvalidArgument(space.plan_->origin() +
                                     ": the plan has more than 2^64 combinations");
    }
    space.size_ *= n;
    for (const auto& c : dim.columns) space.columns_.push_back(c);
  }
  auto trials = SelectTrials(*space.plan_, space.size_);
  if (!trials.ok()) return trials.status();
  if (!trials->empty()) {
    space.trials_ = std::make_shared<const std::vector<uint64_t>>(std::move(trials).value());
  }
  if (space.configurations() > UINT64_MAX / space.segments())
    return Status::InvalidArgument(space.plan_->origin() +
                                   ": the plan has more than 2^64 jobs with its folds");
  const auto& search = space.plan_->search;
  if (search.method == SearchMethod::kTpe && search.budget < space.size_) {
    if (space.schedule_)
      return Status::InvalidArgument(space.plan_->origin() + ": " + search.yaml_path +
                                     ": method tpe with a validation section is not available in "
                                     "this version (grid, random and sobol are)");
    space.adaptive_ = true;
    space.trials_ = std::make_shared<const std::vector<uint64_t>>();
    space.max_trials_ = search.budget;
  }
  const bool halving = search.method == SearchMethod::kHalving;
  if (halving != (ladder != nullptr)) {
    return Status::InvalidArgument(space.plan_->origin() + ": " + search.yaml_path +
                                   (ladder ? ": rungs given for a search that is not halving"
                                           : ": the halving rungs need the data range"));
  }
  if (halving) {
    if (space.schedule_)
      return Status::InvalidArgument(space.plan_->origin() + ": " + search.yaml_path +
                                     ": method halving with a validation section is not "
                                     "available in this version (grid, random and sobol are)");
    space.ladder_ = std::move(ladder);
    space.adaptive_ = true;
    space.trials_ = std::make_shared<const std::vector<uint64_t>>();
    space.max_trials_ =
        HalvingMaxJobs(std::min(search.budget, space.size_), space.ladder_->fidelities, search.eta);
  }
  return space;
}

JobSpace JobSpace::WithTrials(std::vector<uint64_t> trials, std::vector<uint32_t> rungs) const {
  JobSpace out = *this;
  out.trials_ = std::make_shared<const std::vector<uint64_t>>(std::move(trials));
  out.rungs_ =
      rungs.empty() ? nullptr : std::make_shared<const std::vector<uint32_t>>(std::move(rungs));
  return out;
}

uint32_t JobSpace::RungOf(uint64_t index) const {
  if (!rungs_) return 0;
  return (*rungs_)[ConfigOf(index)];
}

double JobSpace::FidelityOf(uint64_t index) const {
  if (!ladder_) return 1.0;
  return ladder_->fidelities.at(RungOf(index));
}

json JobSpace::TrialOverrides(uint64_t grid_index, uint32_t rung) const {
  JobSpace one = *this;
  one.trials_ = std::make_shared<const std::vector<uint64_t>>(1, grid_index);
  one.rungs_ = std::make_shared<const std::vector<uint32_t>>(1, rung);
  return one.Overrides(0);
}

std::vector<JobSpace::Pick> JobSpace::Picks(uint64_t index) const {
  index = GridIndexOf(index);
  const auto& dims = plan_->dimensions;
  std::vector<Pick> picks(dims.size());
  for (size_t d = dims.size(); d-- > 0;) {
    const uint64_t n = dims[d].size();
    uint64_t digit = index % n;
    index /= n;
    for (const auto& option : dims[d].options) {
      if (digit < option.size()) {
        picks[d] = {&option, digit};
        break;
      }
      digit -= option.size();
    }
  }
  return picks;
}

namespace {

// Calls fn(axis, value) for each axis of `option` at mixed-radix position `within`.
template <typename Fn>
void ForEachAxisValue(const Option& option, uint64_t within, Fn&& fn) {
  for (size_t a = option.axes.size(); a-- > 0;) {
    const uint64_t n = option.axes[a].values.size();
    fn(option.axes[a], option.axes[a].values.At(within % n));
    within /= n;
  }
}

}  // namespace

json JobSpace::Overrides(uint64_t index) const {
  json doc = json::object();
  for (const auto& pick : Picks(index)) {
    json fragment = pick.option->fragment;
    ForEachAxisValue(*pick.option, pick.within, [&](const Axis& axis, json value) {
      fragment[axis.target] = std::move(value);
    });
    MergeJson(doc, fragment);
  }
  if (schedule_) doc["period"] = schedule_->SegmentPeriod(SegmentOf(index));
  if (ladder_) {
    const json& period = ladder_->periods.at(RungOf(index));
    if (!period.is_null()) doc["period"] = period;
  }
  return doc;
}

VariedParams JobSpace::Varied(uint64_t index) const {
  std::vector<std::optional<json>> values(columns_.size());
  auto set = [&](const std::string& column, json v) {
    auto it = std::find(columns_.begin(), columns_.end(), column);
    if (it != columns_.end()) values[static_cast<size_t>(it - columns_.begin())] = std::move(v);
  };
  for (const auto& pick : Picks(index)) {
    for (const auto& [column, value] : pick.option->fixed_columns) set(column, value);
    ForEachAxisValue(*pick.option, pick.within,
                     [&](const Axis& axis, json value) { set(axis.column, std::move(value)); });
  }
  VariedParams out;
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (values[i]) out.emplace_back(columns_[i], std::move(*values[i]));
  }
  return out;
}

std::string JobSpace::Describe(uint64_t index) const {
  std::string line;
  for (const auto& [column, value] : Varied(index)) {
    if (!line.empty()) line += ' ';
    line += column + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return line.empty() ? "(base configuration)" : line;
}

json JobSpace::Configuration(uint64_t index) const {
  json config = json::object();
  for (const auto& [column, value] : Varied(index)) {
    json* node = &config;
    size_t start = 0;
    for (size_t dot = column.find('.'); dot != std::string::npos; dot = column.find('.', start)) {
      node = &(*node)[column.substr(start, dot - start)];
      if (!node->is_object()) *node = json::object();
      start = dot + 1;
    }
    (*node)[column.substr(start)] = value;
  }
  return config;
}

}  // namespace s1mple::producer
