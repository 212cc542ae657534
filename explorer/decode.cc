#include "explorer/decode.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <exception>
#include <string>

#include "store/result_summary.h"

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
  return key.is_string() && store::IsBulkResultMember(key.get_ref<const std::string&>());
}

}  // namespace

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
  // Fast path: the result's summary (store/result_summary.h: the members but the bulk ones,
  // sliced without parsing them; the same text the store keeps beside the result), parsed. A
  // summary is its own summary, so a stored one decodes here to the same document.
  if (auto summary = store::SummarizeResult(bytes.substr(first))) {
    json out = json::parse(*summary, nullptr, false);
    if (!out.is_discarded()) return out;
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
