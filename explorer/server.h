// ExplorerServer: the Trade Explorer over HTTP — the page at "/" and the JSON API of
// docs/API.md under "/api/" — reading a job store.
//
// It binds 127.0.0.1 by default and refuses any address that is not loopback unless
// Options::allow_non_loopback is set (the page shows plans and results to whoever connects;
// there is no authentication). It serves on its own threads (a small pool); it only reads the
// store, so it can run beside the broker's poll loop. Start/Stop may be called from any one
// thread; the destructor stops it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "explorer/api.h"
#include "explorer/source.h"

namespace s1mple::store {
class JobStore;
}

namespace s1mple::explorer {

struct ExplorerServerOptions {
  // "HOST:PORT" ("[::1]:PORT" for IPv6). Port 0 = any free port (read it back with port()).
  std::string address = "127.0.0.1:8080";
  // Allow a non-loopback HOST (e.g. 0.0.0.0). Off: Start refuses with InvalidArgument.
  bool allow_non_loopback = false;
  // Request threads. Each open (kept-alive) connection holds one while it lasts.
  int threads = 8;
  // What the API shows (runner callback, page sizes, clock).
  ExplorerOptions api;
  // Keep the finished rows of sealed sweeps ready before anyone asks (ExplorerApi::WarmRows),
  // on one thread of its own: every sealed sweep when the server starts (newest first), then
  // each sweep again once all its runs have finished (the sweeps list is looked at every
  // warm_poll_ms). Only the row cache's memory (ExplorerOptions::row_cache_bytes) is used; the
  // first open of a big sweep then reads kept rows instead of decoding every result.
  bool warm_rows = true;
  int warm_poll_ms = 2000;
  // Threads the warm-up builds a sweep's pages with (0: one per core).
  int warm_threads = 0;
  // GET /metrics answers what this renders (Prometheus text exposition, metrics/exposition.h),
  // called on a request thread per scrape; unset: no /metrics (404).
  std::function<std::string()> metrics;
};

// Splits "HOST:PORT" (or "[V6]:PORT"). InvalidArgument naming `address` when malformed.
struct HostPort {
  std::string host;
  int port = 0;
};
[[nodiscard]] Result<HostPort> ParseHostPort(const std::string& address);
// True for "localhost", 127.0.0.0/8 and ::1.
bool IsLoopbackHost(const std::string& host);

class ExplorerServer {
 public:
  // Serves `store` (borrowed; must outlive the server).
  ExplorerServer(store::JobStore& store, ExplorerServerOptions options);
  // Serves any source (borrowed; must outlive the server). For tests and embedding.
  ExplorerServer(ExplorerSource& source, ExplorerServerOptions options);
  ~ExplorerServer();
  ExplorerServer(const ExplorerServer&) = delete;
  ExplorerServer& operator=(const ExplorerServer&) = delete;

  // Binds and starts serving; returns once the server accepts connections. InvalidArgument for
  // a malformed or non-loopback address (without allow_non_loopback); IOError when the
  // address cannot be bound (e.g. the port is in use); FailedPrecondition when started twice.
  [[nodiscard]] Status Start();
  // Stops accepting, finishes requests in flight and joins the threads. Idempotent.
  void Stop();

  // The bound port (after Start), e.g. when the address asked for port 0.
  int port() const;
  // "http://HOST:PORT/" (after Start).
  std::string url() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace s1mple::explorer
