// The /metrics HTTP server: a real socket on loopback, read with an HTTP client.
#include "metrics/metrics_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>

#include "metrics/exposition.h"

namespace s1mple::metrics {
namespace {

TEST(MetricsServer, AnswersEachScrapeWithAFreshExposition) {
  std::atomic<int> scrapes{0};
  MetricsServer server({"127.0.0.1:0"}, [&] {
    TextWriter w;
    w.Family("s1mple_scrapes_total", Type::kCounter, "Scrapes.");
    w.Sample({}, ++scrapes);
    return w.Take();
  });
  ASSERT_TRUE(server.Start().ok());
  ASSERT_GT(server.port(), 0);
  EXPECT_EQ(server.url(), "http://127.0.0.1:" + std::to_string(server.port()) + "/metrics");
  httplib::Client client("127.0.0.1", server.port());
  for (int i = 1; i <= 2; ++i) {
    auto res = client.Get("/metrics");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("Content-Type"), kContentType);
    EXPECT_NE(res->body.find("s1mple_scrapes_total " + std::to_string(i) + "\n"), std::string::npos)
        << res->body;
  }
  auto other = client.Get("/");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
  server.Stop();
  server.Stop();  // idempotent
  EXPECT_FALSE(httplib::Client("127.0.0.1", server.port()).Get("/metrics"));
}

TEST(MetricsServer, RefusesAMalformedAddressAndAPortInUse) {
  MetricsServer bad({"nonsense"}, [] { return std::string(); });
  Status st = bad.Start();
  EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
  EXPECT_NE(st.message().find("'nonsense'"), std::string::npos);
  MetricsServer first({"127.0.0.1:0"}, [] { return std::string(); });
  ASSERT_TRUE(first.Start().ok());
  MetricsServer second({"127.0.0.1:" + std::to_string(first.port())}, [] { return std::string(); });
  st = second.Start();
  EXPECT_TRUE(st.IsIOError()) << st.ToString();
  EXPECT_FALSE(first.Start().ok()) << "started twice";
}

}  // namespace
}  // namespace s1mple::metrics
