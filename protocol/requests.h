// The client side of the protocol as typed calls: each builds one request (or a run of them:
// pages, artifact ranges), sends it through a CallFn and checks the reply. Knows no sockets:
// transport::Client passes its Call, the Trade Explorer's client source (explorer/) whatever
// it was given, a test a function of its own.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "protocol/messages.h"

namespace s1mple::protocol {

// Sends one client request (its `req` is set by the callee) and returns the broker's REPLY; a
// REPLY with ok=false is an error (FailedPrecondition, IsRefused()). See transport::Client::Call.
using CallFn = std::function<Result<Reply>(Message)>;

// PUT: uploads `data` and returns its SHA-256 hex address.
[[nodiscard]] Result<std::string> PutArtifact(const CallFn& call, const std::string& data);
// GET range by range, verifying the hash of the whole.
[[nodiscard]] Result<std::string> GetArtifact(const CallFn& call, const std::string& hash);
// STATUS of one sweep, or of every sweep (following the broker's `next` pages).
[[nodiscard]] Result<StatusReply> GetStatus(const CallFn& call, const std::string& sweep = "");

// What a sweep was submitted with, beyond its status (STATUS include_plan).
struct SweepPlan {
  std::string text;     // the plan YAML as submitted
  std::string summary;  // the producer's plan summary (JSON; empty: none was submitted)
};
// NotFound (naming --plan) when the broker returns no plan text (an older broker).
[[nodiscard]] Result<SweepPlan> GetSweepPlan(const CallFn& call, const std::string& sweep);

// One RESULTS page: at most `limit` jobs looked at from `after` on, fewer when the broker's byte
// budget fills the page first; continue from the reply's `next` until `end`. `fields`: only
// these top-level members of each result (empty: whole results).
[[nodiscard]] Result<ResultsReply> GetResults(const CallFn& call, const std::string& sweep,
                                              uint64_t after, uint32_t limit,
                                              bool include_pending = false,
                                              std::vector<std::string> fields = {});
// PAUSE, RESUME or CANCEL.
[[nodiscard]] Status Control(const CallFn& call, const std::string& sweep, ControlAction action);

}  // namespace s1mple::protocol
