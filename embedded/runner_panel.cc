#include "embedded/runner_panel.h"

#include <memory>

#include "common/thread_annotations.h"
#include "transport/client.h"

namespace s1mple::embedded {

RunnerPanel MakeRunnerPanel(zmq::context_t& context, std::string endpoint) {
  struct Shared {
    Mutex mu;
    std::unique_ptr<transport::Client> client GUARDED_BY(mu);  // connected on first use
  };
  auto shared = std::make_shared<Shared>();
  return [shared, &context, endpoint]() -> std::vector<protocol::RunnerStatus> {
    MutexLock lock(&shared->mu);
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
    return std::move(st->runners);
  };
}

}  // namespace s1mple::embedded
