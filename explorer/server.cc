#include "explorer/server.h"

#include <httplib.h>
#include <sys/socket.h>
#include <zlib.h>

#include <charconv>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

#include "explorer/page.h"
#include "explorer/store_source.h"
#include "metrics/exposition.h"

namespace s1mple::explorer {

using nlohmann::json;

Result<HostPort> ParseHostPort(const std::string& address) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("HTTP address '" + address + "': " + why +
                                   " (expected HOST:PORT, e.g. 127.0.0.1:8080)");
  };
  HostPort hp;
  std::string port_text;
  if (!address.empty() && address[0] == '[') {
    const size_t close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':') {
      return bad("malformed IPv6 address");
    }
    hp.host = address.substr(1, close - 1);
    port_text = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos) return bad("no port");
    hp.host = address.substr(0, colon);
    port_text = address.substr(colon + 1);
  }
  if (hp.host.empty()) return bad("no host");
  const char* end = port_text.data() + port_text.size();
  auto [ptr, ec] = std::from_chars(port_text.data(), end, hp.port);
  if (port_text.empty() || ec != std::errc() || ptr != end || hp.port < 0 || hp.port > 65535) {
    return bad("port must be a number 0..65535");
  }
  return hp;
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  // 127.0.0.0/8 written as a dotted quad.
  int parts = 0;
  size_t pos = 0;
  while (pos <= host.size()) {
    size_t dot = host.find('.', pos);
    if (dot == std::string::npos) dot = host.size();
    const std::string part = host.substr(pos, dot - pos);
    int v = -1;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc() || ptr != part.data() + part.size() || v < 0 || v > 255) {
      return false;
    }
    if (parts == 0 && v != 127) return false;
    ++parts;
    pos = dot + 1;
  }
  return parts == 4;
}

namespace {

int HttpCode(const Status& st) {
  if (st.IsNotFound()) return 404;
  if (st.IsInvalidArgument()) return 400;
  return 500;
}

void SendJson(httplib::Response& res, const Result<json>& doc) {
  res.set_header("Cache-Control", "no-store");
  if (doc.ok()) {
    res.status = 200;
    res.set_content(doc->dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
  } else {
    res.status = HttpCode(doc.status());
    res.set_content(json{{"error", doc.status().ToString()}}.dump(), "application/json");
  }
}

// A JSON document the api wrote as text.
void SendText(httplib::Response& res, const Result<std::string>& text) {
  if (!text.ok()) return SendJson(res, text.status());
  res.set_header("Cache-Control", "no-store");
  res.status = 200;
  res.set_content(*text, "application/json");
}

// A non-negative integer query parameter; `fallback` when absent.
Result<uint64_t> QueryUint(const httplib::Request& req, const char* name, uint64_t fallback) {
  if (!req.has_param(name)) return fallback;
  const std::string text = req.get_param_value(name);
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    return Status::InvalidArgument(std::string("query parameter '") + name +
                                   "' must be a non-negative integer, got '" + text + "'");
  }
  return v;
}

}  // namespace

class ExplorerServer::Impl {
 public:
  Impl(std::unique_ptr<ExplorerSource> owned, ExplorerSource& source, ExplorerServerOptions opts)
      : owned_(std::move(owned)),
        options_(std::move(opts)),
        api_source_(source),
        api_(source, options_.api) {}

  ~Impl() { Stop(); }

  Status Start() {
    if (thread_.joinable()) return Status::FailedPrecondition("explorer server already started");
    auto hp = ParseHostPort(options_.address);
    if (!hp.ok()) return hp.status();
    if (!IsLoopbackHost(hp->host) && !options_.allow_non_loopback) {
      return Status::InvalidArgument(
          "HTTP address '" + options_.address +
          "' is not loopback; the Trade Explorer has no authentication, so serving it to the "
          "network needs an explicit opt-in (--http-public)");
    }
    host_ = hp->host;
    (void)GzippedPage();  // before the first load asks for it
    Routes();
    const int threads = std::max(1, options_.threads);
    server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    // A connection holds a pool thread while it is kept alive; browsers keep several open, so
    // keep idle ones briefly.
    server_.set_keep_alive_timeout(1);
    // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, which would let a second
    // server share a port in use instead of failing to bind.
    server_.set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    if (hp->port == 0) {
      port_ = server_.bind_to_any_port(host_);
      if (port_ < 0) return Status::IOError("cannot bind HTTP address " + options_.address);
    } else {
      if (!server_.bind_to_port(host_, hp->port)) {
        return Status::IOError("cannot bind HTTP address " + options_.address +
                               " (in use, or not an address of this machine)");
      }
      port_ = hp->port;
    }
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() is a no-op until the accept loop runs; wait for it so Stop never hangs.
    for (int i = 0; i < 5000 && !server_.is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (options_.warm_rows) {
      {
        std::lock_guard<std::mutex> lock(warm_mu_);
        warm_stop_ = false;
      }
      warm_ = std::thread([this] { WarmLoop(); });
    }
    return Status::Ok();
  }

  void Stop() {
    if (warm_.joinable()) {
      {
        std::lock_guard<std::mutex> lock(warm_mu_);
        warm_stop_ = true;
      }
      warm_cv_.notify_all();
      warm_.join();
    }
    if (!thread_.joinable()) return;
    server_.stop();
    thread_.join();
  }

  int port() const { return port_; }
  std::string url() const {
    const bool v6 = host_.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_) + "/";
  }

 private:
  static bool AcceptsGzip(const httplib::Request& req) {
    const std::string v = req.get_header_value("Accept-Encoding");
    return v.find("gzip") != std::string::npos;
  }
  // The page's gzip stream; empty when zlib fails (the page is then sent as httplib does).
  const std::string& GzippedPage() {
    std::call_once(gz_once_, [this] {
      const std::string_view html = ExplorerPageHtml();
      z_stream z{};
      // windowBits 15 + 16: a gzip header and trailer, as Content-Encoding: gzip wants.
      if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
          Z_OK)
        return;
      std::string out(deflateBound(&z, html.size()) + 64, '\0');
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(html.data()));
      z.avail_in = static_cast<uInt>(html.size());
      z.next_out = reinterpret_cast<Bytef*>(out.data());
      z.avail_out = static_cast<uInt>(out.size());
      const int rc = deflate(&z, Z_FINISH);
      out.resize(z.total_out);
      deflateEnd(&z);
      if (rc == Z_STREAM_END) gz_page_ = std::move(out);
    });
    return gz_page_;
  }

  bool WarmStopping() {
    std::lock_guard<std::mutex> lock(warm_mu_);
    return warm_stop_;
  }

  // ExplorerServerOptions::warm_rows: every sealed sweep once at start, newest first (their
  // finished runs never change), then each sweep whose runs have all finished since it was last
  // warmed. A running sweep is left to the page's own refreshes, which read only new rows.
  void WarmLoop() {
    std::map<std::string, std::pair<int64_t, uint64_t>> warmed;  // id -> (created, finished)
    const int threads = options_.warm_threads > 0
                            ? options_.warm_threads
                            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    for (bool first = true; !WarmStopping(); first = false) {
      auto sweeps = api_source_.ListSweeps();
      if (sweeps.ok()) {
        for (auto it = sweeps->rbegin(); it != sweeps->rend() && !WarmStopping(); ++it) {
          if (it->state == SweepState::kSubmitting) continue;
          const uint64_t finished = it->counts.done + it->counts.failed;
          const auto seen = warmed.find(it->id);
          if (seen != warmed.end() && seen->second == std::pair{it->created_ms, finished}) continue;
          if (!first && finished < it->counts.total) continue;
          warmed[it->id] = {it->created_ms, finished};  // tried once, whatever happens
          try {  // no exception may leave this thread (it would end the broker)
            api_.WarmRows(
                it->id, [this] { return WarmStopping(); }, threads);
          } catch (const std::exception&) {  // the page's own request then answers the error
          }
        }
      }
      std::unique_lock<std::mutex> lock(warm_mu_);
      warm_cv_.wait_for(lock, std::chrono::milliseconds(std::max(1, options_.warm_poll_ms)),
                        [this] { return warm_stop_; });
    }
  }

  void Routes() {
    // The page is the same bytes for every load: gzipped once (at start), not per
    // request (~40 ms of CPU for its 1.2 MB, while a sweep's rows may be warming).
    auto page = [this](const httplib::Request& req, httplib::Response& res) {
      const std::string& gz = GzippedPage();
      if (!gz.empty() && AcceptsGzip(req)) {
        // httplib compresses when the request accepts an encoding: the body is compressed
        // already, so the request object (httplib's own non-const local) accepts none.
        const_cast<httplib::Request&>(req).headers.erase("Accept-Encoding");
        res.set_header("Content-Encoding", "gzip");
        res.set_header("Vary", "Accept-Encoding");
        res.set_content(gz, "text/html; charset=utf-8");
        return;
      }
      res.set_content(std::string(ExplorerPageHtml()), "text/html; charset=utf-8");
    };
    server_.Get("/", page);
    server_.Get("/index.html", page);
    server_.Get("/api/health", [](const httplib::Request&, httplib::Response& res) {
      SendJson(res, json{{"ok", true}, {"page_built", ExplorerPageIsBuilt()}});
    });
    server_.Get("/api/sweeps", [this](const httplib::Request&, httplib::Response& res) {
      SendJson(res, api_.Sweeps());
    });
    server_.Get(R"(/api/sweeps/([A-Za-z0-9_.\-]+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  SendJson(res, api_.Sweep(req.matches[1]));
                });
    server_.Get(R"(/api/sweeps/([A-Za-z0-9_.\-]+)/runs)",
                [this](const httplib::Request& req, httplib::Response& res) {
                  auto offset = QueryUint(req, "offset", 0);
                  if (!offset.ok()) return SendJson(res, offset.status());
                  auto limit = QueryUint(req, "limit", 0);
                  if (!limit.ok()) return SendJson(res, limit.status());
                  SendText(res, api_.RunsText(req.matches[1], *offset, *limit));
                });
    server_.Get(R"(/api/sweeps/([A-Za-z0-9_.\-]+)/table)",
                [this](const httplib::Request& req, httplib::Response& res) {
                  auto offset = QueryUint(req, "offset", 0);
                  if (!offset.ok()) return SendJson(res, offset.status());
                  auto limit = QueryUint(req, "limit", 0);
                  if (!limit.ok()) return SendJson(res, limit.status());
                  SendText(res, api_.TableText(req.matches[1], *offset, *limit));
                });
    server_.Get(R"(/api/sweeps/([A-Za-z0-9_.\-]+)/runs/(\d+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  uint64_t index = 0;
                  const std::string text = req.matches[2];
                  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), index);
                  if (ec != std::errc() || ptr != text.data() + text.size()) {
                    return SendJson(res, Status::InvalidArgument("bad run index '" + text + "'"));
                  }
                  SendJson(res, api_.Run(req.matches[1], index));
                });
    if (options_.metrics) {
      server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
        res.set_header("Cache-Control", "no-store");
        res.set_content(options_.metrics(), metrics::kContentType);
      });
    }
    // httplib compresses responses with brotli at its slowest quality when a browser accepts
    // it (seconds for the 1 MB page); gzip is fast and nearly as small. The request object is
    // httplib's own non-const local, so dropping "br" from its Accept-Encoding is well defined.
    server_.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
      auto& headers = const_cast<httplib::Request&>(req).headers;
      auto [first, last] = headers.equal_range("Accept-Encoding");
      for (auto it = first; it != last; ++it) {
        std::string& v = it->second;
        for (size_t at = v.find("br"); at != std::string::npos; at = v.find("br")) v.erase(at, 2);
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    server_.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (res.status == 404 && req.path.rfind("/api/", 0) == 0) {
        SendJson(res, Status::NotFound("no API endpoint " + req.path + " (see docs/API.md)"));
      }
    });
    // No exception leaves a request: a bug in one handler answers 500 and the server goes on.
    server_.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
          std::string what = "unknown exception";
          try {
            if (ep) std::rethrow_exception(ep);
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          SendJson(res, Status::Internal(what));
        });
  }

  std::unique_ptr<ExplorerSource> owned_;
  ExplorerServerOptions options_;
  ExplorerSource& api_source_;
  ExplorerApi api_;
  httplib::Server server_;
  std::thread thread_;
  std::once_flag gz_once_;
  std::string gz_page_;
  // The warm-up thread (WarmLoop) and how Stop tells it to end.
  std::thread warm_;
  std::mutex warm_mu_;
  std::condition_variable warm_cv_;
  bool warm_stop_ = false;
  std::string host_;
  int port_ = -1;
};

ExplorerServer::ExplorerServer(store::JobStore& store, ExplorerServerOptions options) {
  auto source = MakeStoreExplorerSource(store);
  ExplorerSource& ref = *source;
  impl_ = std::make_unique<Impl>(std::move(source), ref, std::move(options));
}

ExplorerServer::ExplorerServer(ExplorerSource& source, ExplorerServerOptions options)
    : impl_(std::make_unique<Impl>(nullptr, source, std::move(options))) {}

ExplorerServer::~ExplorerServer() = default;

Status ExplorerServer::Start() {
  return impl_->Start();
}
void ExplorerServer::Stop() {
  impl_->Stop();
}
int ExplorerServer::port() const {
  return impl_->port();
}
std::string ExplorerServer::url() const {
  return impl_->url();
}

}  // namespace s1mple::explorer
