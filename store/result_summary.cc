#include "store/result_summary.h"

#include "common/json_slice.h"

namespace s1mple::store {

bool IsBulkResultMember(std::string_view key) {
  return key == "equity" || key == "buy_and_hold" || key == "trades" || key == "opportunities" ||
         key == "returns";
}

namespace {

// Appends the summary of one object's members; false when a key holds an escape.
bool AppendSummary(std::string& out,
                   const std::vector<std::pair<std::string_view, std::string_view>>& members,
                   bool top) {
  out += '{';
  bool first = true;
  for (const auto& [key, raw] : members) {
    if (key.find('\\') != std::string_view::npos) return false;
    if (IsBulkResultMember(key)) continue;
    if (!first) out += ',';
    first = false;
    out += '"';
    out += key;
    out += "\":";
    if (top && key == "result" && !raw.empty() && raw.front() == '{') {
      if (auto inner = SliceJsonObject(raw)) {
        if (!AppendSummary(out, *inner, false)) return false;
        continue;
      }
    }
    out += raw;
  }
  out += '}';
  return true;
}

}  // namespace

std::optional<std::string> SummarizeResult(std::string_view result) {
  auto members = SliceJsonObject(result);
  if (!members) return std::nullopt;
  std::string out;
  out.reserve(1024);
  if (!AppendSummary(out, *members, true)) return std::nullopt;
  return out;
}

}  // namespace s1mple::store
