#include "producer/result_fields.h"

#include <algorithm>
#include <string>

#include "common/json_slice.h"

namespace s1mple::producer {

namespace {

nlohmann::json Parse(std::string_view text, std::initializer_list<std::string_view> keys,
                     std::optional<engine::DailyReturns>* returns) {
  const nlohmann::json bad = nlohmann::json(nlohmann::json::value_t::discarded);
  auto members = SliceJsonObject(text);
  if (!members) return bad;
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, raw] : *members) {
    // `key` is raw (escapes not decoded); the wanted keys are plain identifiers, so an escaped
    // key never matches one by mistake.
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) continue;
    if (returns && key == "returns") {
      auto r = engine::DailyReturnsFromJsonText(raw);
      if (r.ok()) {
        *returns = std::move(r).value();
      } else {
        returns->reset();
        if (nlohmann::json::parse(raw, nullptr, false).is_discarded()) return bad;
      }
      continue;
    }
    nlohmann::json v = nlohmann::json::parse(raw, nullptr, false);
    if (v.is_discarded()) return bad;
    out[std::string(key)] = std::move(v);
  }
  return out;
}

}  // namespace

nlohmann::json ParseResultFields(std::string_view text,
                                 std::initializer_list<std::string_view> keys) {
  return Parse(text, keys, nullptr);
}

nlohmann::json ParseResultFields(std::string_view text,
                                 std::initializer_list<std::string_view> keys,
                                 std::optional<engine::DailyReturns>& returns) {
  returns.reset();
  return Parse(text, keys, &returns);
}

const engine::DailyReturns* ReturnsOf(const nlohmann::json& result,
                                      const engine::DailyReturns* parsed,
                                      std::optional<engine::DailyReturns>& holder) {
  if (parsed) return parsed;
  const auto it = result.find("returns");
  if (it == result.end()) return nullptr;
  auto r = engine::DailyReturnsFromJson(*it);
  if (!r.ok()) return nullptr;
  holder = std::move(r).value();
  return &*holder;
}

}  // namespace s1mple::producer
