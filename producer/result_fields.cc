#include "producer/result_fields.h"

#include <algorithm>
#include <string>

#include "common/json_slice.h"

namespace s1mple::producer {

nlohmann::json ParseResultFields(std::string_view text,
                                 std::initializer_list<std::string_view> keys) {
  const nlohmann::json bad = nlohmann::json(nlohmann::json::value_t::discarded);
  auto members = SliceJsonObject(text);
  if (!members) return bad;
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, raw] : *members) {
    // `key` is raw (escapes not decoded); the wanted keys are plain identifiers, so an escaped
    // key never matches one by mistake.
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) continue;
    nlohmann::json v = nlohmann::json::parse(raw, nullptr, false);
    if (v.is_discarded()) return bad;
    out[std::string(key)] = std::move(v);
  }
  return out;
}

}  // namespace s1mple::producer
