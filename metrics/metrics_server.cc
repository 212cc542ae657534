#include "metrics/metrics_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <charconv>
#include <chrono>
#include <exception>
#include <thread>

#include "metrics/exposition.h"

namespace s1mple::metrics {

class MetricsServer::Impl {
 public:
  Impl(MetricsServerOptions o, std::function<std::string()> render)
      : options_(std::move(o)), render_(std::move(render)) {}
  ~Impl() { Stop(); }

  Status Start() {
    if (thread_.joinable()) return Status::FailedPrecondition("metrics server already started");
    S1MPLE_RETURN_IF_ERROR(Parse());
    server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      std::string body;
      try {
        body = render_();
      } catch (const std::exception& e) {
        res.status = 500;
        res.set_content(std::string("metrics: ") + e.what() + "\n", "text/plain");
        return;
      }
      res.set_content(body, kContentType);
    });
    server_.new_task_queue = [] { return new httplib::ThreadPool(1); };
    server_.set_keep_alive_timeout(1);
    server_.set_socket_options([](socket_t sock) {
      int yes = 1;  // not SO_REUSEPORT: a second server must fail to bind a port in use
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    if (port_ == 0) {
      port_ = server_.bind_to_any_port(host_);
      if (port_ < 0) return Status::IOError("cannot bind metrics address " + options_.address);
    } else if (!server_.bind_to_port(host_, port_)) {
      return Status::IOError("cannot bind metrics address " + options_.address +
                             " (in use, or not an address of this machine)");
    }
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 5000 && !server_.is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return Status::Ok();
  }

  void Stop() {
    if (!thread_.joinable()) return;
    server_.stop();
    thread_.join();
  }

  int port() const { return port_; }
  std::string url() const {
    const bool v6 = host_.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_) + "/metrics";
  }

 private:
  Status Parse() {
    const std::string& a = options_.address;
    auto bad = [&](const std::string& why) {
      return Status::InvalidArgument("metrics address '" + a + "': " + why +
                                     " (expected HOST:PORT, e.g. 0.0.0.0:9465)");
    };
    std::string port_text;
    if (!a.empty() && a[0] == '[') {
      const size_t close = a.find(']');
      if (close == std::string::npos || close + 1 >= a.size() || a[close + 1] != ':')
        return bad("malformed IPv6 address");
      host_ = a.substr(1, close - 1);
      port_text = a.substr(close + 2);
    } else {
      const size_t colon = a.rfind(':');
      if (colon == std::string::npos) return bad("no port");
      host_ = a.substr(0, colon);
      port_text = a.substr(colon + 1);
    }
    if (host_.empty()) return bad("no host");
    const char* end = port_text.data() + port_text.size();
    auto [ptr, ec] = std::from_chars(port_text.data(), end, port_);
    if (port_text.empty() || ec != std::errc() || ptr != end || port_ < 0 || port_ > 65535)
      return bad("port must be a number 0..65535");
    return Status::Ok();
  }

  MetricsServerOptions options_;
  std::function<std::string()> render_;
  httplib::Server server_;
  std::thread thread_;
  std::string host_;
  int port_ = -1;
};

MetricsServer::MetricsServer(MetricsServerOptions options, std::function<std::string()> render)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(render))) {}
MetricsServer::~MetricsServer() = default;
Status MetricsServer::Start() {
  return impl_->Start();
}
void MetricsServer::Stop() {
  impl_->Stop();
}
int MetricsServer::port() const {
  return impl_->port();
}
std::string MetricsServer::url() const {
  return impl_->url();
}

}  // namespace s1mple::metrics
