// The pipe protocol between a runner and its pool worker processes, and the worker process's
// main loop. Internal to runner/ (the hidden `s1mple runner-worker` subcommand calls
// RunWorkerProcess).
//
// Framing: 4-byte little-endian length, then a msgpack map.
//   runner -> worker  {sweep, index, attempt, kind, overrides, artifacts: {role: hash},
//                      blobs: {hash: bytes}}   (blobs: artifacts this worker has not seen yet)
//   worker -> runner  {ok, result, error, retryable}
// A worker keeps every blob it was sent (and whatever its executor caches, e.g. parsed data
// sets) for its lifetime, so the runner sends each artifact to each worker once.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/status.h"
#include "runner/job_executor.h"

namespace s1mple::runner {

inline constexpr size_t kMaxPipeFrameBytes = 256u << 20;

struct WorkerRequest {
  JobInput job;
  std::map<std::string, std::string> blobs;  // hash -> bytes
};

std::string EncodeWorkerRequest(const WorkerRequest& request);  // framed
std::string EncodeWorkerResponse(const JobOutput& output);      // framed
// Decode one frame body (without the 4-byte length).
Result<WorkerRequest> DecodeWorkerRequest(std::string_view body);
Result<JobOutput> DecodeWorkerResponse(std::string_view body);

// If `buffer` starts with a complete frame, moves its body to *body, erases it from the buffer
// and returns true. Corruption for a length beyond kMaxPipeFrameBytes.
Result<bool> TakeFrame(std::string& buffer, std::string* body);

// The worker process: reads requests from in_fd, runs them with `executor`, writes responses
// to out_fd, until in_fd closes. Returns the process exit code.
int RunWorkerProcess(int in_fd, int out_fd, JobExecutor& executor);

}  // namespace s1mple::runner
