#include "store/result_summary.h"

#include <array>

namespace s1mple::store {

bool IsBulkResultMember(std::string_view key) {
  return key == "equity" || key == "buy_and_hold" || key == "trades" || key == "opportunities" ||
         key == "returns";
}

// Sliced like SliceJsonObject (common/json_slice.h), but nested values are skipped with a
// table-driven loop that looks only at brackets and quotes: the equity curve and trades of a
// stored result are most of its bytes (about 3x faster than the character-class scanner).
std::optional<std::vector<std::pair<std::string_view, std::string_view>>> SliceResultMembers(
    std::string_view s) {
  static constexpr auto kClass = [] {
    std::array<unsigned char, 256> t{};
    t['['] = t['{'] = 1;
    t[']'] = t['}'] = 2;
    t['"'] = 3;
    return t;
  }();
  const char* p = s.data();
  const char* const end = p + s.size();
  auto space = [&] {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
  };
  // p at '"': past the closing quote; false when unterminated.
  auto string = [&] {
    for (++p; p < end; ++p) {
      if (*p == '\\') {
        ++p;
        continue;
      }
      if (*p == '"') {
        ++p;
        return true;
      }
    }
    return false;
  };
  std::vector<std::pair<std::string_view, std::string_view>> out;
  space();
  if (p == end || *p != '{') return std::nullopt;
  ++p;
  space();
  if (p < end && *p == '}') {
    ++p;
    space();
    return p == end ? std::optional(out) : std::nullopt;
  }
  for (;;) {
    space();
    if (p == end || *p != '"') return std::nullopt;
    const char* k0 = p + 1;
    if (!string()) return std::nullopt;
    const std::string_view key(k0, static_cast<size_t>(p - 1 - k0));
    space();
    if (p == end || *p != ':') return std::nullopt;
    ++p;
    space();
    const char* v0 = p;
    if (p == end) return std::nullopt;
    if (*p == '"') {
      if (!string()) return std::nullopt;
    } else if (*p == '{' || *p == '[') {
      int depth = 0;
      for (;;) {
        if (p == end) return std::nullopt;
        const unsigned char c = kClass[static_cast<unsigned char>(*p)];
        if (c == 0) {
          ++p;
        } else if (c == 1) {
          ++depth;
          ++p;
        } else if (c == 2) {
          ++p;
          if (--depth == 0) break;
        } else if (!string()) {
          return std::nullopt;
        }
      }
    } else {
      while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' &&
             *p != '\r' && *p != '\t')
        ++p;
      if (p == v0) return std::nullopt;
    }
    out.emplace_back(key, std::string_view(v0, static_cast<size_t>(p - v0)));
    space();
    if (p < end && *p == ',') {
      ++p;
      continue;
    }
    if (p == end || *p != '}') return std::nullopt;
    ++p;
    space();
    if (p != end) return std::nullopt;
    return out;
  }
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
      if (auto inner = SliceResultMembers(raw)) {
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
  auto members = SliceResultMembers(result);
  if (!members) return std::nullopt;
  std::string out;
  out.reserve(1024);
  if (!AppendSummary(out, *members, true)) return std::nullopt;
  return out;
}

}  // namespace s1mple::store
