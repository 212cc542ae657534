// The Trade Explorer's runner panel for a broker in this process: a RunnersProvider that asks
// the broker for STATUS over an in-process endpoint and reports its connected runners.
#pragma once

#include <string>

#include <zmq.hpp>

#include "broker/explorer_source.h"

namespace s1mple::cli {

// `context` must be the broker's context (inproc://) and outlive the provider. Thread-safe: the
// HTTP server calls it from its request threads; one client, guarded by a mutex, serves them.
broker::RunnersProvider MakeRunnersProvider(zmq::context_t& context, std::string endpoint);

}  // namespace s1mple::cli
