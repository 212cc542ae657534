// Internal helpers for the YAML loaders: errors that name origin, YAML path and line, and typed
// scalar reads that never throw. Not part of the engine's public API.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "common/status.h"

namespace s1mple::engine::yaml {

// "<origin>: <path>: <message> (line N)"; the line when the node has a position.
inline Status Error(std::string_view origin, std::string_view path, const YAML::Node& node,
                    std::string_view message) {
  std::string out(origin);
  if (!path.empty()) out += ": " + std::string(path);
  out += ": ";
  out += message;
  if (node.IsDefined() && node.Mark().line >= 0)
    out += " (line " + std::to_string(node.Mark().line + 1) + ")";
  return Status::InvalidArgument(std::move(out));
}

inline std::string Join(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return std::string(path) + "." + std::string(key);
}

inline std::string Index(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

inline std::string Describe(const YAML::Node& n) {
  if (n.IsScalar()) return "'" + n.Scalar() + "'";
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a map";
  return "nothing";
}

inline bool ScalarDouble(const YAML::Node& n, double& out) {
  if (!n.IsScalar()) return false;
  std::string_view s = n.Scalar();
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && std::isfinite(out) && !s.empty();
}

inline bool ScalarInt(const YAML::Node& n, int64_t& out) {
  if (!n.IsScalar()) return false;
  std::string_view s = n.Scalar();
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

inline bool ScalarBool(const YAML::Node& n, bool& out) {
  if (!n.IsScalar()) return false;
  const std::string& s = n.Scalar();
  if (s == "true" || s == "True" || s == "TRUE" || s == "yes" || s == "on") {
    out = true;
    return true;
  }
  if (s == "false" || s == "False" || s == "FALSE" || s == "no" || s == "off") {
    out = false;
    return true;
  }
  return false;
}

// A number for messages: shortest form that round-trips for typical config values.
inline std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

// Parses YAML text; a syntax error becomes "<origin>: YAML syntax error at line N: ...".
inline Status Parse(std::string_view text, std::string_view origin, YAML::Node& out) {
  try {
    out = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string(origin) + ": YAML syntax error at line " +
                                   std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return Status::Ok();
}

}  // namespace s1mple::engine::yaml
