// ArtifactFetches: the runner's downloads of artifacts from the broker, range by range (GET with
// `offset`; each REPLY carries at most protocol::kArtifactChunkBytes and the artifact's `total`),
// with a deadline per request and a bounded number of tries, so that a lost or refused reply
// never stalls a job silently: it is asked for again, and after `max_tries` the jobs that need
// the artifact fail with the reason (docs/PROTOCOL.md, "GET").
//
// Not thread-safe: the runner's loop thread owns it. It sends nothing itself; it returns the GET
// requests to send.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "protocol/messages.h"

namespace s1mple::runner {

struct FetchOptions {
  int reply_timeout_ms = 30000;  // no REPLY within this long: ask again (a try)
  int max_tries = 3;             // tries per artifact before the jobs that need it fail
};

class ArtifactFetches {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ArtifactFetches(FetchOptions options = {}) : options_(options) {}

  // Starts fetching `hash` unless it is already being fetched; returns the GET to send.
  std::optional<protocol::Get> Want(const std::string& hash, Clock::time_point now);
  bool InFlight(const std::string& hash) const { return by_hash_.count(hash) > 0; }

  // What a REPLY meant for the fetches.
  struct Event {
    enum class Kind { kNotOurs, kMore, kComplete, kFailed } kind = Kind::kNotOurs;
    std::string hash;
    std::string data;                   // kComplete: the whole artifact (not yet verified)
    std::optional<protocol::Get> next;  // kMore (and a retry after an error): send this
    std::string reason;                 // kFailed: why, for the jobs' failure text
  };
  Event OnReply(const protocol::Reply& reply, Clock::time_point now);
  // The bytes of a completed artifact did not verify (e.g. its hash): counts as a failed try.
  Event Rejected(const std::string& hash, const std::string& why, Clock::time_point now);

  // Requests past their deadline: each is asked again (`resend`) or, out of tries, `failed`.
  struct Expired {
    std::vector<protocol::Get> resend;
    std::vector<Event> failed;
  };
  Expired OnTimer(Clock::time_point now);
  // The earliest request deadline (the loop's poll timeout).
  std::optional<Clock::time_point> NextDeadline() const;

  // The connection was lost: requests on it will not be answered. Fetches restart from scratch
  // when Want() is called again (tries are not counted for it).
  void Reset();

 private:
  struct Fetch {
    std::string data;  // bytes received so far (offset = data.size())
    uint64_t req = 0;
    int tries = 1;
    std::string last_error;
    Clock::time_point deadline;
  };
  protocol::Get Request(const std::string& hash, Fetch& f, Clock::time_point now);
  Event Retry(const std::string& hash, std::string why, Clock::time_point now);

  FetchOptions options_;
  uint64_t next_req_ = 1ull << 40;  // apart from other request ids of the runner
  std::map<std::string, Fetch> by_hash_;
  std::map<uint64_t, std::string> by_req_;
  std::map<std::string, int> tries_done_;  // completed fetches: tries used, until verified
};

}  // namespace s1mple::runner
