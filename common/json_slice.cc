#include "common/json_slice.h"

#include <array>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace s1mple {
namespace {

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  void SkipSpace() {
    while (i_ < s_.size() && IsJsonSpace(s_[i_])) ++i_;
  }
  bool Eat(char c) {
    SkipSpace();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool AtEnd() {
    SkipSpace();
    return i_ >= s_.size();
  }
  size_t pos() const { return i_; }

  // A string token starting at the current '"'; returns its raw contents (escapes kept).
  std::optional<std::string_view> String() {
    SkipSpace();
    if (i_ >= s_.size() || s_[i_] != '"') return std::nullopt;
    const size_t start = ++i_;
    // To the next quote not escaped: a quote after an odd run of backslashes is escaped.
    while (i_ < s_.size()) {
      const void* q = std::memchr(s_.data() + i_, '"', s_.size() - i_);
      if (q == nullptr) break;
      const size_t at = static_cast<size_t>(static_cast<const char*>(q) - s_.data());
      size_t back = at;
      while (back > start && s_[back - 1] == '\\') --back;
      i_ = at + 1;
      if ((at - back) % 2 == 0) return s_.substr(start, at - start);
    }
    i_ = s_.size();
    return std::nullopt;
  }

  // Skips one value (object, array, string or scalar); false when it is malformed.
  bool SkipValue() {
    SkipSpace();
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '"') return String().has_value();
    if (c == '{' || c == '[') {
      // Nested values are most of a stored result's bytes (its equity curve and trades): one
      // table lookup per byte, looking only at brackets and quotes.
      static constexpr auto kClass = [] {
        std::array<unsigned char, 256> t{};
        t['['] = t['{'] = 1;
        t[']'] = t['}'] = 2;
        t['"'] = 3;
        return t;
      }();
      int depth = 0;
      while (i_ < s_.size()) {
#ifdef __SSE2__
        // 16 bytes at a time to the next bracket or quote (an equity curve is mostly digits
        // and commas): '[' and '{', ']' and '}' differ only in bit 5, so two compares find all
        // four, a third the quote.
        if (i_ + 16 <= s_.size()) {
          const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s_.data() + i_));
          const __m128i folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
          const __m128i hits =
              _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(folded, _mm_set1_epi8('{')),
                                        _mm_cmpeq_epi8(folded, _mm_set1_epi8('}'))),
                           _mm_cmpeq_epi8(v, _mm_set1_epi8('"')));
          const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(hits));
          if (mask == 0) {
            i_ += 16;
            continue;
          }
          i_ += static_cast<size_t>(__builtin_ctz(mask));
        }
#endif
        switch (kClass[static_cast<unsigned char>(s_[i_])]) {
          case 0:
            ++i_;
            break;
          case 1:
            ++depth;
            ++i_;
            break;
          case 2:
            ++i_;
            if (--depth == 0) return true;
            break;
          default:
            if (!String()) return false;
        }
      }
      return false;
    }
    // A number, true, false or null: up to the next delimiter (one table lookup per byte; the
    // metrics of every stored result are scanned here).
    static constexpr auto kDelimiter = [] {
      std::array<bool, 256> t{};
      for (unsigned char d : {',', '}', ']', ' ', '\n', '\r', '\t'}) t[d] = true;
      return t;
    }();
    const size_t start = i_;
    while (i_ < s_.size() && !kDelimiter[static_cast<unsigned char>(s_[i_])]) ++i_;
    return i_ > start;
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

bool SliceJsonObject(std::string_view text,
                     std::vector<std::pair<std::string_view, std::string_view>>& out) {
  out.clear();
  Scanner sc(text);
  if (!sc.Eat('{')) return false;
  if (sc.Eat('}')) return sc.AtEnd();
  do {
    auto key = sc.String();
    if (!key || !sc.Eat(':')) return false;
    sc.SkipSpace();
    const size_t start = sc.pos();
    if (!sc.SkipValue()) return false;
    out.emplace_back(*key, text.substr(start, sc.pos() - start));
  } while (sc.Eat(','));
  return sc.Eat('}') && sc.AtEnd();
}

std::optional<std::vector<std::pair<std::string_view, std::string_view>>> SliceJsonObject(
    std::string_view text) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  if (!SliceJsonObject(text, out)) return std::nullopt;
  return out;
}

size_t JsonNumberLength(std::string_view text, bool* integer) {
  const size_t n = text.size();
  auto digit = [&](size_t k) { return k < n && text[k] >= '0' && text[k] <= '9'; };
  size_t i = 0;
  if (i < n && text[i] == '-') ++i;
  if (!digit(i)) return 0;
  if (text[i] == '0') {
    ++i;
  } else {
    while (digit(i)) ++i;
  }
  bool whole = true;
  if (i < n && text[i] == '.') {
    ++i;
    if (!digit(i)) return 0;
    while (digit(i)) ++i;
    whole = false;
  }
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
    if (!digit(i)) return 0;
    while (digit(i)) ++i;
    whole = false;
  }
  if (integer) *integer = whole;
  return i;
}

std::optional<std::vector<std::string_view>> SliceJsonArray(std::string_view text) {
  Scanner sc(text);
  std::vector<std::string_view> out;
  if (!sc.Eat('[')) return std::nullopt;
  if (sc.Eat(']')) {
    if (!sc.AtEnd()) return std::nullopt;
    return out;
  }
  do {
    sc.SkipSpace();
    const size_t start = sc.pos();
    if (!sc.SkipValue()) return std::nullopt;
    out.push_back(text.substr(start, sc.pos() - start));
  } while (sc.Eat(','));
  if (!sc.Eat(']') || !sc.AtEnd()) return std::nullopt;
  return out;
}

}  // namespace s1mple
