#include "explorer/decode.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <exception>
#include <string>

#include "common/json_slice.h"

namespace s1mple::explorer {

using nlohmann::json;

Result<json> DecodeBlob(std::string_view bytes, std::string_view what) {
  size_t first = 0;
  while (first < bytes.size() && std::isspace(static_cast<unsigned char>(bytes[first]))) ++first;
  if (first == bytes.size()) return json::object();
  const char c = bytes[first];
  try {
    if (c == '{' || c == '[') return json::parse(bytes.begin(), bytes.end());
    return json::from_msgpack(bytes.begin(), bytes.end());
  } catch (const std::exception& e) {
    return Status::Corruption(std::string(what) + ": neither JSON nor msgpack (" + e.what() + ")");
  }
}

namespace {

// Members the runs table never shows: the curves, the trades and the daily returns (about 12
// bytes a day, issue 18) are parsed only for a run's own page.
bool IsBulkKey(const json& key) {
  return key == "equity" || key == "buy_and_hold" || key == "trades" || key == "opportunities" ||
         key == "returns";
}

}  // namespace

// The members of a JSON object's text, sliced like SliceJsonObject (common/json_slice.h) but
// skipping nested values with a table-driven loop that looks only at brackets and quotes: the
// equity curve and trades of a stored result are most of its bytes, and this pass over them is
// what a first read of a big sweep's runs costs (about 3x faster than the character-class
// scanner). nullopt when the text is not one object at this level; values are not validated
// (the caller parses what it keeps).
std::optional<std::vector<std::pair<std::string_view, std::string_view>>> FastSlice(
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

Result<json> DecodeResultSummary(std::string_view bytes, std::string_view what) {
  size_t first = 0;
  while (first < bytes.size() && std::isspace(static_cast<unsigned char>(bytes[first]))) ++first;
  if (first == bytes.size() || bytes[first] != '{') {
    auto doc = DecodeBlob(bytes, what);  // msgpack (no parse callback): decode, then drop
    if (doc.ok() && doc->is_object()) {
      for (const char* k : {"equity", "buy_and_hold", "trades", "opportunities", "returns"}) {
        doc->erase(k);
        if (doc->contains("result") && (*doc)["result"].is_object()) (*doc)["result"].erase(k);
      }
    }
    return doc;
  }
  // Fast path: slice the members and parse all but the bulk ones (one level down too, for a
  // document that wraps the engine result in "result").
  if (auto members = FastSlice(bytes.substr(first))) {
    json out = json::object();
    bool ok = true;
    for (const auto& [key, raw] : *members) {
      if (key.find('\\') != std::string_view::npos) ok = false;  // escaped key: slow path
      const std::string k(key);
      if (IsBulkKey(k)) continue;
      if (k == "result" && !raw.empty() && raw.front() == '{') {
        if (auto inner = FastSlice(raw)) {
          json r = json::object();
          for (const auto& [ikey, iraw] : *inner) {
            if (ikey.find('\\') != std::string_view::npos) ok = false;
            const std::string ik(ikey);
            if (IsBulkKey(ik)) continue;
            r[ik] = json::parse(iraw, nullptr, false);
            ok = ok && !r[ik].is_discarded();
          }
          out[k] = std::move(r);
          continue;
        }
      }
      out[k] = json::parse(raw, nullptr, false);
      ok = ok && !out[k].is_discarded();
    }
    if (ok) return out;
  }
  // Slow path (keys with escapes, or text the slicer refuses): a parse whose callback drops the
  // bulk members, which also reports where the text is malformed.
  auto drop_bulk = [](int depth, json::parse_event_t event, json& parsed) {
    return !(event == json::parse_event_t::key && (depth == 1 || depth == 2) && IsBulkKey(parsed));
  };
  try {
    return json::parse(bytes.begin(), bytes.end(), drop_bulk);
  } catch (const std::exception& e) {
    return Status::Corruption(std::string(what) + ": neither JSON nor msgpack (" + e.what() + ")");
  }
}

Result<json> EngineResult(const json& doc, std::string_view what) {
  const json* r = &doc;
  if (r->is_object() && !r->contains("metrics") && r->contains("result")) r = &(*r)["result"];
  if (!r->is_object() || !r->contains("metrics") || !(*r)["metrics"].is_object()) {
    return Status::Corruption(std::string(what) + ": result has no \"metrics\" object");
  }
  return *r;
}

namespace {

void Flatten(const json& node, const std::string& path,
             std::vector<std::pair<std::string, json>>& out) {
  auto join = [&](const std::string& seg) { return path.empty() ? seg : path + "." + seg; };
  if (node.is_object() && !node.empty()) {
    for (auto it = node.begin(); it != node.end(); ++it) Flatten(it.value(), join(it.key()), out);
    return;
  }
  if (node.is_array() && !node.empty()) {
    for (size_t i = 0; i < node.size(); ++i) {
      const json& el = node[i];
      if (el.is_object() && el.contains("plugin") && el["plugin"].is_string()) {
        const std::string plugin = el["plugin"].get<std::string>();
        json rest = el;
        rest.erase("plugin");
        // A bare worker entry ({"plugin": P}) still says "P is in this slot".
        if (rest.empty()) {
          out.emplace_back(path + ".plugin", plugin);
        } else {
          Flatten(rest, join(plugin), out);
        }
      } else {
        Flatten(el, path + "[" + std::to_string(i) + "]", out);
      }
    }
    return;
  }
  out.emplace_back(path, node);
}

}  // namespace

std::vector<std::pair<std::string, json>> FlattenOverrides(const json& doc) {
  std::vector<std::pair<std::string, json>> raw;
  if ((doc.is_object() || doc.is_array()) && !doc.empty()) Flatten(doc, "", raw);
  for (auto& [path, value] : raw) path = ParamColumnName(path);
  return raw;
}

std::string ParamColumnName(std::string_view dotted_path) {
  std::vector<std::string> segs;
  size_t start = 0;
  while (start <= dotted_path.size()) {
    size_t dot = dotted_path.find('.', start);
    if (dot == std::string_view::npos) dot = dotted_path.size();
    segs.emplace_back(dotted_path.substr(start, dot - start));
    start = dot + 1;
  }
  std::string out;
  for (size_t i = 0; i < segs.size(); ++i) {
    std::string seg = segs[i];
    if (seg == "params" && i + 1 < segs.size()) continue;
    if (i == 0 && segs.size() > 1) {
      if (seg == "operator_overrides")
        seg = "operator";
      else if (seg.size() > 8 && seg.ends_with("_workers"))
        continue;
    }
    if (!out.empty()) out += '.';
    out += seg;
  }
  return out;
}

json DrawdownCurve(const json& equity) {
  json out = json::array();
  if (!equity.is_array()) return out;
  double peak = 0;
  bool have_peak = false;
  for (const auto& pt : equity) {
    if (!pt.is_array() || pt.size() < 2 || !pt[1].is_number()) continue;
    const double v = pt[1].get<double>();
    if (!have_peak || v > peak) {
      peak = v;
      have_peak = true;
    }
    const double dd = peak > 0 ? v / peak - 1.0 : 0.0;
    out.push_back(json::array({pt[0], dd}));
  }
  return out;
}

std::string ReproduceCommand(std::string_view sweep_id, uint64_t index) {
  const std::string dir = "runs/" + std::string(sweep_id) + "-" + std::to_string(index);
  return "s1mple job " + std::string(sweep_id) + "/" + std::to_string(index) + " --export " + dir +
         " && s1mple run " + dir + "/operation.yaml";
}

}  // namespace s1mple::explorer
