// store_bench: throughput and latency of RedisSessionStore get / put / hold against a
// redis-server on loopback that the bench starts itself, printed beside `redis-benchmark -t
// set,get -q` run against the same server in the same run (with the same number of clients),
// plus MemorySessionStore for reference. Figures are comparable ratios, never assertions.
//
//   store_bench [--ops N] [--threads T]   (defaults: 20000 ops per row, 1 and 4 threads; each row is
//                                          the median of 3 runs alternating with redis-benchmark)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "support/redis_server.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/storage/memory_session_store.hpp"
#include "voxline/storage/redis_session_store.hpp"

namespace {

using std::chrono::seconds;
using voxline::Deadline;
using voxline::SessionStore;
using Clock = std::chrono::steady_clock;

struct Row {
  double ops_per_s = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int errors = 0;
};

// Runs `op(thread, i)` `total` times spread over `threads` threads; per-op latency percentiles.
Row run(int threads, int total, const std::function<bool(int, int)> &op) {
  std::vector<std::vector<double>> lat(threads);
  std::atomic<int> errors{0};
  const int per = total / threads;
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      lat[t].reserve(per);
      for (int i = 0; i < per; ++i) {
        const auto s = Clock::now();
        if (!op(t, i)) errors.fetch_add(1);
        lat[t].push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
      }
    });
  }
  for (auto &th : pool) th.join();
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto &v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  Row r;
  r.ops_per_s = all.size() / secs;
  r.p50_ms = all.empty() ? 0 : all[all.size() / 2];
  r.p99_ms = all.empty() ? 0 : all[std::min(all.size() - 1, all.size() * 99 / 100)];
  r.errors = errors.load();
  return r;
}

// get, put and hold rows for one store.
std::vector<std::pair<std::string, Row>> bench_store(SessionStore &store, int threads, int ops) {
  const std::string doc =
      R"({"caller":{"name":"Ana","phone":"+15550100"},"step":"book","slots":["09:00","10:30"]})";
  for (int t = 0; t < threads; ++t)
    (void)store.put_session(fmt::format("bench-{}", t), doc, seconds(600), SessionStore::kAnyVersion,
                            Deadline::after(seconds(5)));
  std::vector<std::pair<std::string, Row>> rows;
  rows.emplace_back("get", run(threads, ops, [&](int t, int) {
                      return store.get_session(fmt::format("bench-{}", t), Deadline::after(seconds(2))).ok();
                    }));
  rows.emplace_back("put", run(threads, ops, [&](int t, int) {
                      return store
                          .put_session(fmt::format("bench-{}", t), doc, seconds(600),
                                       SessionStore::kAnyVersion, Deadline::after(seconds(2)))
                          .ok();
                    }));
  // Each hold takes a fresh slot (capacity 2), so every call does the full capacity check + insert.
  rows.emplace_back("hold", run(threads, ops, [&](int t, int i) {
                      return store
                          .hold_slot(fmt::format("slot-{}-{}", t, i), fmt::format("CA-{}", t), 2,
                                     seconds(600), Deadline::after(seconds(2)))
                          .ok();
                    }));
  return rows;
}

// Runs redis-benchmark and returns its -q lines plus the parsed requests/s for SET and GET.
struct RedisBenchmark {
  std::string text;
  double set_rps = 0;
  double get_rps = 0;
};
RedisBenchmark redis_benchmark(int port, int clients, int ops) {
  RedisBenchmark out;
  const std::string cmd =
      fmt::format("redis-benchmark -h 127.0.0.1 -p {} -t set,get -q -c {} -n {} 2>&1", port, clients, ops);
  FILE *p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) {
    out.text = "(redis-benchmark could not be started)";
    return out;
  }
  char buf[512];
  std::string all;
  while (std::fgets(buf, sizeof(buf), p) != nullptr) all += buf;
  ::pclose(p);
  // -q prints progress with '\r' before each final line; keep the final lines only.
  std::string line;
  for (char c : all) {
    if (c == '\r') {
      line.clear();
    } else if (c == '\n') {
      if (!line.empty()) {
        out.text += "    " + line + "\n";
        double rps = 0;
        if (std::sscanf(line.c_str(), "SET: %lf", &rps) == 1) out.set_rps = rps;
        if (std::sscanf(line.c_str(), "GET: %lf", &rps) == 1) out.get_rps = rps;
      }
      line.clear();
    } else {
      line.push_back(c);
    }
  }
  if (out.text.empty()) out.text = "    (no output; is redis-benchmark installed?)\n";
  return out;
}

void print_rows(const char *backend, int threads, const std::vector<std::pair<std::string, Row>> &rows,
                const RedisBenchmark *baseline) {
  for (const auto &[op, r] : rows) {
    std::string ratio = "";
    if (baseline != nullptr) {
      const double base = op == "get" ? baseline->get_rps : baseline->set_rps;
      if (base > 0)
        ratio = fmt::format("{:.2f}x redis-benchmark {}", r.ops_per_s / base, op == "get" ? "GET" : "SET");
    }
    std::printf("%-7s %-5s %7d %12.0f %9.3f %9.3f %6d   %s\n", backend, op.c_str(), threads, r.ops_per_s,
                r.p50_ms, r.p99_ms, r.errors, ratio.c_str());
  }
}

constexpr int kReps = 3;

template <typename T, typename F>
double median_of(const std::vector<T> &items, F get) {
  std::vector<double> v;
  for (const auto &i : items) v.push_back(get(i));
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Per op: the median ops/s, p50 and p99 over the repetitions; errors summed.
std::vector<std::pair<std::string, Row>> median_rows(
    const std::vector<std::vector<std::pair<std::string, Row>>> &reps) {
  std::vector<std::pair<std::string, Row>> out = reps.front();
  for (size_t k = 0; k < out.size(); ++k) {
    std::vector<Row> rows;
    for (const auto &r : reps) rows.push_back(r[k].second);
    Row &m = out[k].second;
    m.ops_per_s = median_of(rows, [](const Row &r) { return r.ops_per_s; });
    m.p50_ms = median_of(rows, [](const Row &r) { return r.p50_ms; });
    m.p99_ms = median_of(rows, [](const Row &r) { return r.p99_ms; });
    m.errors = 0;
    for (const auto &r : rows) m.errors += r.errors;
  }
  return out;
}

}  // namespace

int main(int argc, char **argv) {
  int ops = 20000;
  std::vector<int> thread_counts = {1, 4};
  constexpr const char *kUsage = "usage: store_bench [--ops N] [--threads N]\n";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--ops" && i + 1 < argc) {
      ops = std::max(100, std::atoi(argv[++i]));
    } else if (a == "--threads" && i + 1 < argc) {
      thread_counts = {std::max(1, std::atoi(argv[++i]))};
    } else {
      std::fprintf(stderr, "store_bench: bad argument '%s'\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  if (auto why = voxline::testing::RedisServer::unavailable_reason()) {
    std::fprintf(stderr, "store_bench: %s\n", why->c_str());
    return 2;
  }
  voxline::testing::RedisServer server;
  voxline::Status started = server.start();
  if (!started.ok()) {
    std::fprintf(stderr, "store_bench: %s\n", started.to_string().c_str());
    return 1;
  }
  std::printf("store_bench: redis-server on 127.0.0.1:%d (started by the bench), %d ops per row\n",
              server.port(), ops);
  std::printf(
      "(ratios compare with redis-benchmark using as many clients as the row has threads;\n"
      " each store op is one EVALSHA round trip, put/get/hold run a Lua script)\n\n");
  std::printf("%-7s %-5s %7s %12s %9s %9s %6s   %s\n", "backend", "op", "threads", "ops/s", "p50 ms",
              "p99 ms", "errors", "ratio");

  for (int threads : thread_counts) {
    voxline::MetricsRegistry metrics;
    voxline::RedisSessionStoreOptions o;
    o.url = server.url();
    o.key_prefix = "bench";
    o.pool_size = static_cast<size_t>(std::max(threads, 1));
    o.metrics = &metrics;
    auto store = voxline::RedisSessionStore::create(o);
    if (!store.ok()) {
      std::fprintf(stderr, "store_bench: %s\n", store.status().to_string().c_str());
      return 1;
    }
    // Baseline and store runs alternate kReps times and each figure is the median, so a burst of
    // load from other processes on the machine skews neither side alone.
    std::vector<RedisBenchmark> bases;
    std::vector<std::vector<std::pair<std::string, Row>>> reps;
    for (int rep = 0; rep < kReps; ++rep) {
      bases.push_back(redis_benchmark(server.port(), threads, ops));
      reps.push_back(bench_store(**store, threads, ops));
    }
    RedisBenchmark base = bases[0];
    base.set_rps = median_of(bases, [](const RedisBenchmark &b) { return b.set_rps; });
    base.get_rps = median_of(bases, [](const RedisBenchmark &b) { return b.get_rps; });
    print_rows("redis", threads, median_rows(reps), &base);
    std::printf(
        "  redis-benchmark -t set,get -q -c %d -n %d (same server, same run; median SET %.0f, GET %.0f "
        "req/s over %d runs, last run:)\n%s",
        threads, ops, base.set_rps, base.get_rps, kReps, bases.back().text.c_str());
  }
  for (int threads : thread_counts) {
    voxline::MetricsRegistry metrics;
    voxline::MemorySessionStoreOptions mo;
    mo.metrics = &metrics;
    voxline::MemorySessionStore memory(mo);
    std::vector<std::vector<std::pair<std::string, Row>>> reps;
    for (int rep = 0; rep < kReps; ++rep) reps.push_back(bench_store(memory, threads, ops));
    print_rows("memory", threads, median_rows(reps), nullptr);
  }
  return 0;
}
