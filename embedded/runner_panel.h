// The runner panel of a broker in this process: the runners it has connected, from STATUS over
// an in-process endpoint. Feeds the Trade Explorer's runner panel (explorer::RunnersFromStatus)
// for `s1mple broker --http` and the embedded session's --http.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "protocol/messages.h"

namespace s1mple::embedded {

using RunnerPanel = std::function<std::vector<protocol::RunnerStatus>()>;

// `context` must be the broker's context (inproc://) and outlive the panel. Thread-safe: the
// HTTP server calls it from its request threads; one client, guarded by a mutex, serves them.
// An unreachable broker gives an empty list.
RunnerPanel MakeRunnerPanel(zmq::context_t& context, std::string endpoint);

}  // namespace s1mple::embedded
