// MetricsServer: a small HTTP server that answers GET /metrics with the Prometheus text
// exposition that a callback renders at each scrape — for daemons without the Trade Explorer's
// server (the runner's --metrics-addr). The broker serves /metrics on its Trade Explorer server
// instead (ExplorerServerOptions::metrics).
//
// Any address may be bound, loopback or not: the runner's metrics carry counts and no plan or
// result. Start/Stop from one thread; the callback runs on the server's own thread (one at a
// time), so what it reads must be thread-safe. The destructor stops it.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/status.h"

namespace s1mple::metrics {

struct MetricsServerOptions {
  // "HOST:PORT" or "[V6]:PORT"; port 0 = any free port (read it back with port()).
  std::string address = "127.0.0.1:9465";
};

class MetricsServer {
 public:
  // `render` is called per scrape and returns the exposition (exposition.h).
  MetricsServer(MetricsServerOptions options, std::function<std::string()> render);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds and serves. InvalidArgument naming the address when it is malformed; IOError when it
  // cannot be bound (in use, not this machine's); FailedPrecondition when started twice.
  [[nodiscard]] Status Start();
  // Stops serving and joins the thread. Idempotent.
  void Stop();
  int port() const;
  // "http://HOST:PORT/metrics" (after Start).
  std::string url() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace s1mple::metrics
