#include "runner/artifact_fetch.h"

namespace s1mple::runner {

namespace pr = s1mple::protocol;

pr::Get ArtifactFetches::Request(const std::string& hash, Fetch& f, Clock::time_point now) {
  if (f.req) by_req_.erase(f.req);
  f.req = next_req_++;
  by_req_[f.req] = hash;
  f.deadline = now + std::chrono::milliseconds(options_.reply_timeout_ms);
  pr::Get get;
  get.req = f.req;
  get.hash = hash;
  get.offset = f.data.size();
  return get;
}

std::optional<pr::Get> ArtifactFetches::Want(const std::string& hash, Clock::time_point now) {
  auto [it, fresh] = by_hash_.try_emplace(hash);
  if (!fresh) return std::nullopt;
  return Request(hash, it->second, now);
}

ArtifactFetches::Event ArtifactFetches::Retry(const std::string& hash, std::string why,
                                              Clock::time_point now) {
  Event e;
  e.hash = hash;
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return e;
  Fetch& f = it->second;
  if (f.tries >= options_.max_tries) {
    e.kind = Event::Kind::kFailed;
    e.reason = "not fetched from the broker in " + std::to_string(f.tries) + " tries; last: " + why;
    by_req_.erase(f.req);
    by_hash_.erase(it);
    return e;
  }
  f.tries++;
  f.last_error = std::move(why);
  f.data.clear();  // start over: what came may be what was wrong
  e.kind = Event::Kind::kMore;
  e.next = Request(hash, f, now);
  return e;
}

ArtifactFetches::Event ArtifactFetches::OnReply(const pr::Reply& reply, Clock::time_point now) {
  auto r = by_req_.find(reply.req);
  if (r == by_req_.end()) return {};  // not a fetch, or one we gave up on
  std::string hash = r->second;
  by_req_.erase(r);
  Fetch& f = by_hash_.at(hash);
  f.req = 0;
  if (!reply.ok) return Retry(hash, "GET: " + reply.error, now);
  const auto* g = std::get_if<pr::GetReply>(&reply.payload);
  if (!g) return Retry(hash, "GET reply without data", now);
  if (g->offset != f.data.size() || g->total > pr::kMaxArtifactBytes ||
      (g->data.empty() && f.data.size() < g->total))
    return Retry(hash,
                 "GET reply for bytes from " + std::to_string(g->offset) + " of " +
                     std::to_string(g->total) + " does not continue the " +
                     std::to_string(f.data.size()) + " bytes received",
                 now);
  f.data += g->data;
  Event e;
  e.hash = hash;
  if (f.data.size() < g->total) {
    e.kind = Event::Kind::kMore;
    e.next = Request(hash, f, now);
    return e;
  }
  e.kind = Event::Kind::kComplete;
  e.data = std::move(f.data);
  // Keep the entry until the caller verified the bytes (Rejected) or moved on: erase it now, a
  // rejection re-creates the try count from what Rejected is told.
  tries_done_[hash] = f.tries;
  by_hash_.erase(hash);
  return e;
}

ArtifactFetches::Event ArtifactFetches::Rejected(const std::string& hash, const std::string& why,
                                                 Clock::time_point now) {
  auto done = tries_done_.find(hash);
  int tries = done == tries_done_.end() ? 1 : done->second;
  if (done != tries_done_.end()) tries_done_.erase(done);
  Fetch& f = by_hash_[hash];
  f.tries = tries;
  return Retry(hash, why, now);
}

ArtifactFetches::Expired ArtifactFetches::OnTimer(Clock::time_point now) {
  Expired out;
  std::vector<std::string> late;
  for (const auto& [hash, f] : by_hash_) {
    if (f.req && f.deadline <= now) late.push_back(hash);
  }
  for (const auto& hash : late) {
    Event e = Retry(
        hash, "no reply to GET within " + std::to_string(options_.reply_timeout_ms) + " ms", now);
    if (e.kind == Event::Kind::kFailed)
      out.failed.push_back(std::move(e));
    else if (e.next)
      out.resend.push_back(*e.next);
  }
  return out;
}

std::optional<ArtifactFetches::Clock::time_point> ArtifactFetches::NextDeadline() const {
  std::optional<Clock::time_point> next;
  for (const auto& [hash, f] : by_hash_) {
    if (f.req && (!next || f.deadline < *next)) next = f.deadline;
  }
  return next;
}

void ArtifactFetches::Reset() {
  by_hash_.clear();
  by_req_.clear();
  tries_done_.clear();
}

}  // namespace s1mple::runner
