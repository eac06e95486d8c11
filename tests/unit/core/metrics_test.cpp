#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include "voxline/core/json.hpp"
#include "voxline/core/metrics.hpp"

using voxline::Histogram;
using voxline::MetricsRegistry;

TEST_CASE("the same name and labels return the same counter") {
  MetricsRegistry m;
  auto &a = m.counter("voxline_test_total", "help", {{"kind", "x"}});
  auto &b = m.counter("voxline_test_total", "help", {{"kind", "x"}});
  auto &c = m.counter("voxline_test_total", "help", {{"kind", "y"}});
  CHECK(&a == &b);
  CHECK(&a != &c);
}

TEST_CASE("counters updated from many threads lose no increments") {
  MetricsRegistry m;
  auto &c = m.counter("voxline_race_total", "h");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) c.inc();
    });
  }
  for (auto &t : threads) t.join();
  CHECK(c.value() == 40000);
}

TEST_CASE("prometheus text has HELP, TYPE, sorted labels and cumulative buckets") {
  MetricsRegistry m;
  m.counter("voxline_api_errors_total", "API errors", {{"status", "429"}, {"api", "openai"}}).inc(3);
  m.gauge("voxline_queue_size", "Queue size").set(7);
  auto &h = m.histogram("voxline_rtt_ms", "Round trip", {1, 10, 100});
  h.observe(0.5);
  h.observe(5);
  h.observe(50);
  h.observe(500);
  const std::string text = m.prometheus_text();
  CHECK(text.find("# TYPE voxline_api_errors_total counter") != std::string::npos);
  CHECK(text.find("voxline_api_errors_total{api=\"openai\",status=\"429\"} 3") != std::string::npos);
  CHECK(text.find("voxline_queue_size 7") != std::string::npos);
  CHECK(text.find("voxline_rtt_ms_bucket{le=\"1\"} 1") != std::string::npos);
  CHECK(text.find("voxline_rtt_ms_bucket{le=\"10\"} 2") != std::string::npos);
  CHECK(text.find("voxline_rtt_ms_bucket{le=\"100\"} 3") != std::string::npos);
  CHECK(text.find("voxline_rtt_ms_bucket{le=\"+Inf\"} 4") != std::string::npos);
  CHECK(text.find("voxline_rtt_ms_count 4") != std::string::npos);
  CHECK(text.find("voxline_rtt_ms_sum 555.5") != std::string::npos);
}

TEST_CASE("bad metric names and label values are sanitised and escaped") {
  MetricsRegistry m;
  m.counter("bad name-1", "h", {{"path", "a\"b\\c"}}).inc();
  const std::string text = m.prometheus_text();
  CHECK(text.find("bad_name_1{path=\"a\\\"b\\\\c\"} 1") != std::string::npos);
}

TEST_CASE("histogram quantiles interpolate inside buckets") {
  Histogram h({10, 20, 30, 40});
  for (int i = 1; i <= 40; ++i) h.observe(i);
  const auto s = h.snapshot();
  CHECK(s.count == 40);
  CHECK(s.quantile(0.5) == doctest::Approx(20).epsilon(0.01));
  CHECK(s.quantile(0.25) == doctest::Approx(10).epsilon(0.01));
  CHECK(s.quantile(1.0) == doctest::Approx(40).epsilon(0.01));
  CHECK(Histogram({1}).snapshot().quantile(0.99) == 0);  // empty
}

TEST_CASE("json snapshot parses and carries every instrument") {
  MetricsRegistry m;
  m.counter("voxline_a_total", "h").inc(2);
  m.gauge("voxline_b", "h").update_max(9);
  m.gauge("voxline_b", "h").update_max(4);
  m.histogram("voxline_c_ms", "h").observe(3);
  auto doc = voxline::json::parse(m.json());
  REQUIRE(doc.ok());
  CHECK((*doc)["counters"]["voxline_a_total"].GetUint64() == 2);
  CHECK((*doc)["gauges"]["voxline_b"].GetInt64() == 9);
  CHECK((*doc)["histograms"]["voxline_c_ms"]["count"].GetUint64() == 1);
}

TEST_CASE("asking for an existing name as another kind yields a separate instrument") {
  MetricsRegistry m;
  m.counter("voxline_dual", "h").inc();
  m.gauge("voxline_dual", "h").set(5);
  const std::string text = m.prometheus_text();
  CHECK(text.find("voxline_dual 1") != std::string::npos);
  CHECK(text.find("voxline_dual_gauge 5") != std::string::npos);
}
