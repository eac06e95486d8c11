// sse_bench: CPU cost per SSE chunk on a slot thread, for N concurrent paced streams (50 events/s
// each, OpenAI-sized chunks) served by voxline-sim on loopback, printed as a table:
//   raw libcurl multi (one thread, curl_multi_poll, write callback counts bytes)   the baseline
//   slot HTTP engine, handler counts bytes                                        engine cost
//   slot HTTP engine, handler runs SseParser (what an LLM client does)            engine + parse
// CPU is the thread's own (getrusage RUSAGE_THREAD, read on that thread before and after), so the
// simulator's thread does not count. Compare rows within one run; the machine is shared.
//   usage: sse_bench [--streams N] [--events E] [--quick]
#include <curl/curl.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "voxline/core/metrics.hpp"
#include "voxline/net/runtime.hpp"
#include "voxline/net/slot.hpp"
#include "voxline/net/sse_parser.hpp"
#include "voxline_sim/simulator.hpp"

using namespace voxline;

namespace {

double thread_cpu_us() {
  rusage u{};
  getrusage(RUSAGE_THREAD, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// One SSE script: `events` OpenAI-style content chunks 20 ms apart, then [DONE].
std::string script(int events) {
  std::string s = R"({"events":[)";
  for (int i = 0; i < events; ++i) {
    if (i > 0) s += ',';
    s +=
        R"({"data":"{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,)"
        R"(\"delta\":{\"content\":\" token)" +
        std::to_string(i) + R"(\"},\"finish_reason\":null}]}","delay_ms":20})";
  }
  s += R"(,{"data":"[DONE]","delay_ms":20}]})";
  return s;
}

struct Row {
  const char *name;
  int streams = 0;
  uint64_t chunks = 0, bytes = 0, events = 0;
  double cpu_us = 0, wall_s = 0;
  int failures = 0;
};

// ---- baseline: libcurl multi on one plain thread ------------------------------------------------
struct RawStream {
  uint64_t *chunks, *bytes;
};
size_t raw_write(char *, size_t size, size_t n, void *ud) {
  auto *r = static_cast<RawStream *>(ud);
  ++*r->chunks;
  *r->bytes += size * n;
  return size * n;
}

Row raw_curl(const std::string &url, const std::string &body, int streams) {
  Row row{"raw libcurl multi, one thread (baseline)", streams};
  std::thread t([&] {
    CURLM *multi = curl_multi_init();
    std::vector<RawStream> ctx(streams, RawStream{&row.chunks, &row.bytes});
    std::vector<CURL *> easies;
    curl_slist *headers = curl_slist_append(nullptr, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = thread_cpu_us();
    for (int i = 0; i < streams; ++i) {
      CURL *e = curl_easy_init();
      curl_easy_setopt(e, CURLOPT_URL, url.c_str());
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, body.c_str());
      curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
      curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &raw_write);
      curl_easy_setopt(e, CURLOPT_WRITEDATA, &ctx[i]);
      curl_multi_add_handle(multi, e);
      easies.push_back(e);
    }
    int running = 1;
    while (running > 0) {
      curl_multi_perform(multi, &running);
      int left = 0;
      while (CURLMsg *m = curl_multi_info_read(multi, &left))
        if (m->msg == CURLMSG_DONE && m->data.result != CURLE_OK) ++row.failures;
      if (running > 0) curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    }
    row.cpu_us = thread_cpu_us() - c0;
    row.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (CURL *e : easies) {
      curl_multi_remove_handle(multi, e);
      curl_easy_cleanup(e);
    }
    curl_slist_free_all(headers);
    curl_multi_cleanup(multi);
  });
  t.join();
  return row;
}

// ---- the slot HTTP engine ---------------------------------------------------------------------
class Consumer final : public HttpStreamHandler {
 public:
  Consumer(bool parse, std::atomic<int> &left, std::mutex &mu, std::condition_variable &cv)
      : parse_(parse), left_(left), mu_(mu), cv_(cv) {
    events_.reserve(8);
  }
  void on_data(HttpStream &, std::string_view chunk) override {
    ++chunks;
    bytes += chunk.size();
    if (parse_) {
      events_.clear();
      (void)parser_.feed(chunk, events_);
      events += events_.size();
    }
  }
  void on_complete(HttpStream &, const HttpCompletion &c) override {
    failed = !c.status.ok();
    if (failed) std::fprintf(stderr, "stream failed: %s\n", c.status.to_string().c_str());
    std::lock_guard<std::mutex> lock(mu_);
    if (--left_ == 0) cv_.notify_all();
  }
  uint64_t chunks = 0, bytes = 0, events = 0;  // slot thread; read after the last on_complete
  bool failed = false;

 private:
  bool parse_;
  SseParser parser_;
  std::vector<SseEvent> events_;
  std::atomic<int> &left_;
  std::mutex &mu_;
  std::condition_variable &cv_;
};

double on_slot(Slot &slot, double (*fn)()) {
  std::promise<double> p;
  auto f = p.get_future();
  if (!slot.post([&p, fn] { p.set_value(fn()); }).ok()) return -1;
  return f.get();
}

Row engine(Runtime &rt, const std::string &url, const std::string &body, int streams, bool parse) {
  Row row{parse ? "slot engine, handler runs SseParser" : "slot engine, handler counts bytes", streams};
  auto slot = rt.slot(0);
  std::atomic<int> left{streams};
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::shared_ptr<Consumer>> consumers;
  std::vector<std::shared_ptr<HttpStream>> handles;
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = on_slot(*slot, &thread_cpu_us);
  for (int i = 0; i < streams; ++i) {
    consumers.push_back(std::make_shared<Consumer>(parse, left, mu, cv));
    HttpRequest r;
    r.url = url;
    r.body = body;
    auto s = slot->start_http(std::move(r), consumers.back());
    if (!s.ok()) {
      std::fprintf(stderr, "start_http: %s\n", s.status().to_string().c_str());
      std::lock_guard<std::mutex> lock(mu);
      --left;
      ++row.failures;
      continue;
    }
    handles.push_back(*s);
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return left.load() == 0; });
  }
  row.cpu_us = on_slot(*slot, &thread_cpu_us) - c0;
  row.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (auto &c : consumers) {
    row.chunks += c->chunks;
    row.bytes += c->bytes;
    row.events += c->events;
    row.failures += c->failed ? 1 : 0;
  }
  return row;
}

void print(const Row &r, double baseline_us_per_chunk) {
  const double per_chunk = r.chunks > 0 ? r.cpu_us / static_cast<double>(r.chunks) : 0;
  std::printf("%-44s %7d %9llu %8.1f %10.2f %7.2fx %6.1f%%%s\n", r.name, r.streams,
              static_cast<unsigned long long>(r.chunks), r.cpu_us / 1000.0, per_chunk,
              baseline_us_per_chunk > 0 ? per_chunk / baseline_us_per_chunk : 1.0,
              r.wall_s > 0 ? r.cpu_us / 1e4 / r.wall_s : 0, r.failures > 0 ? "  (failures!)" : "");
}

}  // namespace

int main(int argc, char **argv) {
  int streams = 200, events = 250;
  constexpr const char *kUsage = "usage: sse_bench [--streams N] [--events E] [--quick]\n";
  // A count is 1..100000 decimal digits; anything else is a bad argument, not a silent 0.
  auto count = [](const char *text, int *out) {
    char *end = nullptr;
    const long v = std::strtol(text, &end, 10);
    if (end == text || *end != '\0' || v < 1 || v > 100000) return false;
    *out = static_cast<int>(v);
    return true;
  };
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (std::strcmp(argv[i], "--quick") == 0) {
      streams = 20;
      events = 50;
    } else if (std::strcmp(argv[i], "--streams") == 0 && i + 1 < argc && count(argv[i + 1], &streams)) {
      ++i;
    } else if (std::strcmp(argv[i], "--events") == 0 && i + 1 < argc && count(argv[i + 1], &events)) {
      ++i;
    } else {
      std::fprintf(stderr, "sse_bench: bad argument '%s'\n%s", argv[i], kUsage);
      return 2;
    }
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  sim::SimOptions so;
  so.max_recorded = 1000;  // the simulator would otherwise keep every event it sent
  auto sim = sim::Simulator::start(so);
  if (!sim.ok()) {
    std::fprintf(stderr, "simulator: %s\n", sim.status().to_string().c_str());
    return 1;
  }
  MetricsRegistry metrics;
  RuntimeOptions o;
  o.metrics = &metrics;
  auto rt = Runtime::create(o);
  if (!rt.ok()) {
    std::fprintf(stderr, "runtime: %s\n", rt.status().to_string().c_str());
    return 1;
  }
  const std::string url = (*sim)->http_url("/test/sse");
  const std::string body = script(events);
  std::printf(
      "sse_bench: %d concurrent streams x %d events at 50/s, voxline-sim on loopback (plain HTTP/1.1)\n",
      streams, events);
  std::printf("%-44s %7s %9s %8s %10s %8s %7s\n", "configuration", "streams", "chunks", "cpu ms", "us/chunk",
              "ratio", "core");
  const Row base = raw_curl(url, body, streams);
  const double base_per_chunk = base.chunks > 0 ? base.cpu_us / static_cast<double>(base.chunks) : 0;
  print(base, base_per_chunk);
  print(engine(**rt, url, body, streams, false), base_per_chunk);
  print(engine(**rt, url, body, streams, true), base_per_chunk);
  rt->reset();
  curl_global_cleanup();
  return base.failures > 0 ? 1 : 0;
}
