// Identities that are text on the wire and in the store but never one another: a sweep's id
// ("sw-" + 12 hex digits), a runner's (chosen by the broker) and an artifact's hash (SHA-256,
// 64 hex digits). Each is its own type, so a RunnerId passed where a SweepId belongs does not
// compile, while the text they are read from (a message field, a literal in a test) converts
// to either, and each reads as its text (keys, messages, logs).
//
//   store::SweepId sweep = reply.sweep;   // from the wire's text
//   store->Complete(sweep, 3, 1, runner, result);
//   store->Complete(runner, 3, 1, sweep, result);  // does not compile
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace s1mple {

template <typename Tag>
class Id {
 public:
  Id() = default;
  Id(std::string text) : text_(std::move(text)) {}  // NOLINT: text converts (see top)
  Id(const char* text) : text_(text) {}             // NOLINT
  explicit Id(std::string_view text) : text_(text) {}

  const std::string& str() const noexcept { return text_; }
  operator const std::string&() const noexcept { return text_; }  // NOLINT: reads as its text
  operator std::string_view() const noexcept { return text_; }    // NOLINT
  bool empty() const noexcept { return text_.empty(); }
  std::size_t size() const noexcept { return text_.size(); }
  const char* c_str() const noexcept { return text_.c_str(); }

  friend bool operator==(const Id&, const Id&) = default;
  friend std::strong_ordering operator<=>(const Id& a, const Id& b) {
    return a.text_.compare(b.text_) <=> 0;
  }
  // Messages: "sweep " + sweep + " is done".
  friend std::string operator+(const std::string& a, const Id& b) { return a + b.text_; }
  friend std::string operator+(std::string&& a, const Id& b) { return std::move(a) + b.text_; }
  friend std::string operator+(const char* a, const Id& b) { return a + b.text_; }
  friend std::string operator+(const Id& a, const std::string& b) { return a.text_ + b; }
  friend std::string operator+(const Id& a, const char* b) { return a.text_ + b; }
  friend std::ostream& operator<<(std::ostream& out, const Id& id) { return out << id.text_; }

 private:
  std::string text_;
};

using SweepId = Id<struct SweepIdTag>;
using RunnerId = Id<struct RunnerIdTag>;
using ArtifactHash = Id<struct ArtifactHashTag>;

// A map of ids as text, e.g. a sweep's artifact hashes by role for a wire message.
template <typename Key, typename Tag>
std::map<Key, std::string> AsText(const std::map<Key, Id<Tag>>& ids) {
  return {ids.begin(), ids.end()};
}

}  // namespace s1mple

template <typename Tag>
struct std::hash<s1mple::Id<Tag>> {
  std::size_t operator()(const s1mple::Id<Tag>& id) const noexcept {
    return std::hash<std::string>{}(id.str());
  }
};
