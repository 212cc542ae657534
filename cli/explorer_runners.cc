#include "cli/explorer_runners.h"

#include <chrono>
#include <memory>
#include <mutex>

#include "transport/client.h"

namespace s1mple::cli {

broker::RunnersProvider MakeRunnersProvider(zmq::context_t& context, std::string endpoint) {
  struct Shared {
    std::mutex mu;
    std::unique_ptr<transport::Client> client;  // guarded by mu; connected on first use
  };
  auto shared = std::make_shared<Shared>();
  return [shared, &context, endpoint]() -> std::vector<broker::ExplorerRunner> {
    std::lock_guard<std::mutex> lock(shared->mu);
    if (!shared->client) {
      transport::ClientOptions o;
      o.endpoint = endpoint;
      o.context = &context;
      o.timeout_ms = 2000;
      auto c = transport::Client::Connect(o);
      if (!c.ok()) return {};
      shared->client = std::move(c).value();
    }
    auto st = shared->client->GetStatus();
    if (!st.ok()) return {};
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    std::vector<broker::ExplorerRunner> out;
    for (const auto& r : st->runners) {
      broker::ExplorerRunner e;
      e.id = r.runner;
      e.slots = r.slots;
      e.busy = r.running;
      e.jobs_done = r.done;
      e.last_seen_ms = now;
      out.push_back(std::move(e));
    }
    return out;
  };
}

}  // namespace s1mple::cli
