#include "voxline/net/dns_resolver.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>

#include <ostream>  // doctest prints std::thread::id
#include <thread>

#include "support/latch.hpp"
#include "support/thread_executor.hpp"
#include "voxline/core/log.hpp"
#include "voxline/core/metrics.hpp"

using namespace voxline;
using std::chrono::milliseconds;
using std::chrono::seconds;
using voxline::testing::ExecutorBlocker;
using voxline::testing::Latch;
using voxline::testing::ThreadExecutor;
using Addrs = std::vector<std::string>;

TEST_CASE("dns cache serves answers until their TTL expires and evicts the oldest when full") {
  ManualClock clock;
  DnsCache cache(2, clock);
  cache.store("a", Addrs{"10.0.0.1"}, seconds(10));
  clock.advance(seconds(1));
  cache.store("b", Addrs{"10.0.0.2"}, seconds(10));
  REQUIRE(cache.lookup("a").has_value());
  CHECK(cache.lookup("a")->value() == Addrs{"10.0.0.1"});
  clock.advance(seconds(5));
  cache.store("c", Addrs{"10.0.0.3"}, seconds(10));
  CHECK(cache.size() == 2);
  CHECK(!cache.lookup("a").has_value());
  clock.advance(seconds(5));
  CHECK(!cache.lookup("b").has_value());
  CHECK(cache.lookup("c").has_value());
}

TEST_CASE("ip literals resolve inline without a lookup") {
  std::atomic<int> lookups{0};
  DnsResolver r({}, [&](const std::string &) -> Result<Addrs> {
    ++lookups;
    return Addrs{"1.2.3.4"};
  });
  Result<Addrs> got = internal_error("unset");
  REQUIRE(r.resolve_async("127.0.0.1", Deadline::after(seconds(1)), [&](Result<Addrs> a) { got = a; }).ok());
  REQUIRE(got.ok());
  CHECK(*got == Addrs{"127.0.0.1"});
  REQUIRE(r.resolve_async("[::1]", Deadline::after(seconds(1)), [&](Result<Addrs> a) { got = a; }).ok());
  CHECK(*got == Addrs{"::1"});
  CHECK(lookups.load() == 0);
  CHECK(is_ip_literal("::ffff:10.0.0.1"));
  CHECK(!is_ip_literal("localhost"));
}

TEST_CASE("resolver caches a lookup so the second resolve does not call the lookup function") {
  ManualClock clock;
  MetricsRegistry m;
  std::atomic<int> lookups{0};
  DnsOptions o;
  o.ttl = seconds(30);
  DnsResolver r(
      o,
      [&](const std::string &h) -> Result<Addrs> {
        ++lookups;
        return Addrs{"10.1.1.1", h};
      },
      clock, &m);
  auto first = r.resolve("api.example", Deadline::after(seconds(5)));
  REQUIRE(first.ok());
  CHECK((*first)[0] == "10.1.1.1");
  auto second = r.resolve("api.example", Deadline::after(seconds(5)));
  REQUIRE(second.ok());
  CHECK(lookups.load() == 1);
  CHECK(m.counter("voxline_net_dns_cache_hits_total", "").value() == 1);
  clock.advance(seconds(31));
  REQUIRE(r.resolve("api.example", Deadline::after(seconds(5))).ok());
  CHECK(lookups.load() == 2);
}

TEST_CASE("resolver remembers a failed lookup for the negative TTL") {
  ManualClock clock;
  std::atomic<int> lookups{0};
  DnsOptions o;
  o.negative_ttl = seconds(2);
  DnsResolver r(
      o,
      [&](const std::string &) -> Result<Addrs> {
        ++lookups;
        return unavailable("NXDOMAIN");
      },
      clock);
  CHECK(r.resolve("nx.example", Deadline::after(seconds(5))).status().code() == StatusCode::kUnavailable);
  CHECK(r.resolve("nx.example", Deadline::after(seconds(5))).status().code() == StatusCode::kUnavailable);
  CHECK(lookups.load() == 1);
  clock.advance(seconds(3));
  r.resolve("nx.example", Deadline::after(seconds(5)));
  CHECK(lookups.load() == 2);
}

TEST_CASE(
    "resolver gives TIMEOUT when a blocked lookup outlives the deadline, and QUEUE_FULL when the queue is "
    "full") {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  DnsOptions o;
  o.queue_capacity = 1;
  DnsResolver r(o, [&](const std::string &) -> Result<Addrs> {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return release; });
    return Addrs{"10.0.0.9"};
  });
  auto t = r.resolve("slow.example", Deadline::after(milliseconds(30)));
  CHECK(t.status().code() == StatusCode::kTimeout);
  // The only thread is stuck in the lookup above: one job fits the queue, the next is refused.
  std::promise<Result<Addrs>> queued;
  REQUIRE(r.resolve_async("q1.example", Deadline::after(seconds(5)), [&](Result<Addrs> a) {
             queued.set_value(a);
           }).ok());
  CHECK(r.resolve_async("q2.example", Deadline::after(seconds(5)), [](Result<Addrs>) {}).code() ==
        StatusCode::kQueueFull);
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  auto q = queued.get_future().get();
  REQUIRE(q.ok());
}

TEST_CASE("resolver answers a job whose deadline passed while queued with TIMEOUT") {
  ManualClock clock;
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  DnsResolver r(
      {},
      [&](const std::string &) -> Result<Addrs> {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return release; });
        return Addrs{"10.0.0.9"};
      },
      clock);
  std::promise<Result<Addrs>> first, second;
  REQUIRE(r.resolve_async("a.example", Deadline::after(seconds(5), clock), [&](Result<Addrs> a) {
             first.set_value(a);
           }).ok());
  REQUIRE(r.resolve_async("b.example", Deadline::after(seconds(1), clock), [&](Result<Addrs> a) {
             second.set_value(a);
           }).ok());
  clock.advance(seconds(2));
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  CHECK(first.get_future().get().ok());
  CHECK(second.get_future().get().status().code() == StatusCode::kTimeout);
}

TEST_CASE("system lookup resolves localhost from the hosts file") {
  // Only names answered locally: unit tests send no traffic, not even a DNS query.
  auto r = DnsResolver::system_lookup("localhost");
  REQUIRE(r.ok());
  CHECK(!r->empty());
}

namespace {

// A lookup function that blocks until released and records every name it was asked for.
struct GatedLookup {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::vector<std::string> asked;
  Latch entered;
  Addrs answer{"10.0.0.1", "10.0.0.2", "2001:db8::1"};

  DnsResolver::LookupFn fn() {
    return [this](const std::string &host) -> Result<Addrs> {
      {
        std::lock_guard<std::mutex> lock(mu);
        asked.push_back(host);
      }
      entered.count_down();
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return open; });
      return answer;
    };
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(mu);
      open = true;
    }
    cv.notify_all();
  }
  size_t calls() {
    std::lock_guard<std::mutex> lock(mu);
    return asked.size();
  }
};

// A lookup function whose answer the test sets.
struct ScriptedLookup {
  std::mutex mu;
  Result<Addrs> next = Addrs{"10.0.0.1"};
  int calls = 0;
  DnsResolver::LookupFn fn() {
    return [this](const std::string &) -> Result<Addrs> {
      std::lock_guard<std::mutex> lock(mu);
      ++calls;
      return next;
    };
  }
  void set(Result<Addrs> r) {
    std::lock_guard<std::mutex> lock(mu);
    next = std::move(r);
  }
  int count() {
    std::lock_guard<std::mutex> lock(mu);
    return calls;
  }
};

struct CapturedLog {
  Logger logger;
  std::mutex mu;
  std::vector<std::string> lines;
  CapturedLog() {
    logger.set_sink([this](const LogRecord &r) {
      std::lock_guard<std::mutex> lock(mu);
      lines.emplace_back(r.message);
    });
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu);
    return lines.size();
  }
};

}  // namespace

TEST_CASE("resolver returns every address of a name in the lookup's order") {
  GatedLookup lookup;
  lookup.release();
  DnsResolver r({}, lookup.fn());
  auto got = r.resolve("multi.example", Deadline::after(seconds(5)));
  REQUIRE(got.ok());
  CHECK(*got == lookup.answer);
}

TEST_CASE("system lookup puts every IPv4 address before any IPv6 address") {
  auto r = DnsResolver::system_lookup("localhost");
  REQUIRE(r.ok());
  bool seen_v6 = false;
  for (const std::string &a : *r) {
    const bool v6 = a.find(':') != std::string::npos;
    CHECK_FALSE((seen_v6 && !v6));
    seen_v6 = seen_v6 || v6;
  }
}

TEST_CASE("overlapping lookups of one name share one lookup and every waiter gets the answer") {
  MetricsRegistry m;
  GatedLookup lookup;
  DnsResolver r({}, lookup.fn(), Clock::system(), &m);
  constexpr int kWaiters = 8;
  Latch answered(kWaiters);
  std::mutex mu;
  std::vector<Result<Addrs>> answers;
  auto record = [&](Result<Addrs> a) {
    std::lock_guard<std::mutex> lock(mu);
    answers.push_back(std::move(a));
    answered.count_down();
  };
  // Half join while the lookup is queued or starting, half once it is inside the lookup.
  for (int i = 0; i < kWaiters / 2; ++i)
    REQUIRE(r.resolve_async(i % 2 == 0 ? "api.example" : "API.Example", Deadline::after(seconds(5)), record)
                .ok());
  REQUIRE(lookup.entered.wait());
  std::vector<std::thread> threads;
  for (int i = 0; i < kWaiters / 2; ++i)
    threads.emplace_back(
        [&] { CHECK(r.resolve_async("Api.EXAMPLE", Deadline::after(seconds(5)), record).ok()); });
  for (auto &t : threads) t.join();
  lookup.release();
  REQUIRE(answered.wait());
  CHECK(lookup.calls() == 1);
  CHECK(lookup.asked[0] == "api.example");  // the lookup gets the case-folded name
  std::lock_guard<std::mutex> lock(mu);
  REQUIRE(answers.size() == kWaiters);
  for (const auto &a : answers) {
    REQUIRE(a.ok());
    CHECK(*a == lookup.answer);
  }
  CHECK(m.counter("voxline_net_dns_coalesced_total", "").value() == kWaiters - 1);
  CHECK(m.counter("voxline_net_dns_lookups_total", "").value() == 1);
}

TEST_CASE("lookups of different names are not merged") {
  MetricsRegistry m;
  ScriptedLookup lookup;
  DnsResolver r({}, lookup.fn(), Clock::system(), &m);
  REQUIRE(r.resolve("a.example", Deadline::after(seconds(5))).ok());
  REQUIRE(r.resolve("b.example", Deadline::after(seconds(5))).ok());
  CHECK(lookup.count() == 2);
  CHECK(m.counter("voxline_net_dns_coalesced_total", "").value() == 0);
}

TEST_CASE("names differing only in case share one cache entry") {
  ScriptedLookup lookup;
  DnsResolver r({}, lookup.fn());
  REQUIRE(r.resolve("API.Deepgram.COM", Deadline::after(seconds(5))).ok());
  REQUIRE(r.resolve("api.deepgram.com", Deadline::after(seconds(5))).ok());
  REQUIRE(r.resolve("Api.DeepGram.Com", Deadline::after(seconds(5))).ok());
  CHECK(lookup.count() == 1);
  CHECK(r.cache().size() == 1);
  CHECK(r.cache().lookup("api.deepgram.com").has_value());
  CHECK(fold_host_case("Api-1.EXAMPLE.com") == "api-1.example.com");
}

TEST_CASE("a failing resolver gets the last good addresses for a bounded time, counted and logged once") {
  ManualClock clock;
  MetricsRegistry m;
  CapturedLog log;
  ScriptedLookup lookup;
  lookup.set(Addrs{"10.9.9.9", "10.9.9.8"});
  DnsOptions o;
  o.ttl = seconds(10);
  o.negative_ttl = seconds(2);
  o.max_stale = seconds(60);
  DnsResolver r(o, lookup.fn(), clock, &m, &log.logger);
  Counter &stale = m.counter("voxline_net_dns_stale_answers_total", "");
  REQUIRE(r.resolve("api.example", Deadline::after(seconds(5), clock)).ok());
  clock.advance(seconds(11));  // the answer expired, and the resolver now fails
  lookup.set(unavailable("SERVFAIL"));
  auto first = r.resolve("api.example", Deadline::after(seconds(5), clock));
  REQUIRE(first.ok());
  CHECK(*first == Addrs{"10.9.9.9", "10.9.9.8"});
  CHECK(stale.value() == 1);
  CHECK(log.count() == 1);
  // Within negative_ttl the stale answer comes from the cache without asking the resolver again.
  REQUIRE(r.resolve("api.example", Deadline::after(seconds(5), clock)).ok());
  CHECK(lookup.count() == 2);
  CHECK(stale.value() == 2);
  clock.advance(seconds(3));
  REQUIRE(r.resolve("api.example", Deadline::after(seconds(5), clock)).ok());
  CHECK(lookup.count() == 3);
  CHECK(stale.value() == 3);
  CHECK(log.count() == 1);  // one line per outage, not per answer
  // Past max_stale the failure itself is the answer.
  clock.advance(seconds(60));
  auto late = r.resolve("api.example", Deadline::after(seconds(5), clock));
  CHECK(late.status().code() == StatusCode::kUnavailable);
  CHECK(stale.value() == 3);
  // A fresh answer ends the outage; the next one is logged again.
  clock.advance(seconds(3));
  lookup.set(Addrs{"10.9.9.7"});
  REQUIRE(r.resolve("api.example", Deadline::after(seconds(5), clock)).ok());
  clock.advance(seconds(11));
  lookup.set(unavailable("SERVFAIL"));
  auto again = r.resolve("api.example", Deadline::after(seconds(5), clock));
  REQUIRE(again.ok());
  CHECK(*again == Addrs{"10.9.9.7"});
  CHECK(log.count() == 2);
}

TEST_CASE("a name that does not exist gets NOT_FOUND, never a stale answer") {
  ManualClock clock;
  ScriptedLookup lookup;
  DnsOptions o;
  o.ttl = seconds(10);
  DnsResolver r(o, lookup.fn(), clock);
  REQUIRE(r.resolve("gone.example", Deadline::after(seconds(5), clock)).ok());
  clock.advance(seconds(11));
  lookup.set(not_found("NXDOMAIN"));
  CHECK(r.resolve("gone.example", Deadline::after(seconds(5), clock)).status().code() ==
        StatusCode::kNotFound);
}

TEST_CASE("dns cache keeps the last good addresses for stale use only up to max_stale") {
  ManualClock clock;
  DnsCache cache(8, clock, seconds(30));
  cache.store("a", Addrs{"10.0.0.1"}, seconds(10));
  CHECK(!cache.serve_stale("missing", seconds(1)).has_value());
  clock.advance(seconds(11));
  CHECK(!cache.lookup("a").has_value());
  cache.store("a", unavailable("SERVFAIL"), seconds(2));
  REQUIRE(cache.lookup("a").has_value());
  CHECK(!cache.lookup("a")->ok());  // the failure is what a plain lookup sees
  bool first = false;
  auto s = cache.serve_stale("a", seconds(2), &first);
  REQUIRE(s.has_value());
  CHECK(*s == Addrs{"10.0.0.1"});
  CHECK(first);
  bool stale = false;
  REQUIRE(cache.lookup("a", &stale).has_value());
  CHECK(stale);
  CHECK(cache.serve_stale("a", seconds(2), &first).has_value());
  CHECK(!first);
  clock.advance(seconds(30));  // 41 s after storing: past TTL + max_stale
  CHECK(!cache.serve_stale("a", seconds(2)).has_value());
}

TEST_CASE("the executor form posts every answer to the executor, never inline") {
  auto ex = std::make_shared<ThreadExecutor>();
  GatedLookup lookup;
  lookup.release();
  DnsResolver r({}, lookup.fn());
  const std::thread::id caller = std::this_thread::get_id();
  for (const char *host : {"10.1.2.3", "looked-up.example", "looked-up.example", ""}) {
    Latch done;
    std::atomic<std::thread::id> ran_on{};
    Result<Addrs> got = internal_error("unset");
    REQUIRE(r.resolve_async(host, Deadline::after(seconds(5)), ex, [&](Result<Addrs> a) {
               ran_on = std::this_thread::get_id();
               got = std::move(a);
               done.count_down();
             }).ok());
    REQUIRE(done.wait());
    CHECK(ran_on.load() == ex->thread_id());
    CHECK(ran_on.load() != caller);
    if (*host == '\0')
      CHECK(got.status().code() == StatusCode::kInvalidArgument);
    else
      CHECK(got.ok());
  }
  CHECK(lookup.calls() == 1);  // the second one was a cache hit, still posted
}

TEST_CASE("the executor form refuses a null executor and reports a refused immediate post") {
  auto ex = std::make_shared<ThreadExecutor>();
  DnsResolver r({}, [](const std::string &) -> Result<Addrs> { return Addrs{"10.0.0.1"}; });
  std::atomic<bool> ran{false};
  CHECK(r.resolve_async("10.0.0.1", Deadline::after(seconds(1)), nullptr, [&](Result<Addrs>) {
           ran = true;
         }).code() == StatusCode::kInvalidArgument);
  ex->shutdown();
  CHECK(r.resolve_async("10.0.0.1", Deadline::after(seconds(1)), ex, [&](Result<Addrs>) {
           ran = true;
         }).code() == StatusCode::kFailedPrecondition);
  CHECK(!ran.load());
}

TEST_CASE(
    "an answer the executor keeps refusing is dropped, counted and logged; a brief refusal is retried") {
  MetricsRegistry m;
  CapturedLog log;
  GatedLookup lookup;
  DnsOptions o;
  o.answer_retry_limit = milliseconds(30);
  DnsResolver r(o, lookup.fn(), Clock::system(), &m, &log.logger);
  auto ex = std::make_shared<ThreadExecutor>(2);
  ExecutorBlocker blocker(*ex);
  REQUIRE(blocker.ok());
  Latch gone;
  std::shared_ptr<void> watch(nullptr, [&](void *) { gone.count_down(); });  // dies with the callback
  std::atomic<bool> ran{false};
  REQUIRE(r.resolve_async("full.example", Deadline::after(seconds(5)), ex,
                          [&ran, w = std::move(watch)](Result<Addrs>) { ran = true; })
              .ok());
  lookup.release();
  REQUIRE(gone.wait());  // given up while the executor is still full
  CHECK(m.counter("voxline_net_dns_answers_dropped_total", "").value() == 1);
  CHECK(ex->refused() >= 2);  // the first post and at least one retry
  CHECK(log.count() == 1);
  blocker.release();
  ex->shutdown();
  CHECK(!ran.load());
}

TEST_CASE("an answer the executor refuses for a moment is retried and delivered") {
  MetricsRegistry m;
  DnsOptions o;
  o.answer_retry_limit = seconds(30);
  DnsResolver r(
      o, [](const std::string &) -> Result<Addrs> { return Addrs{"10.0.0.1"}; }, Clock::system(), &m);
  auto ex = std::make_shared<ThreadExecutor>(2);
  ExecutorBlocker blocker(*ex);
  REQUIRE(blocker.ok());
  const size_t refused_before = ex->refused();
  Latch done;
  Result<Addrs> got = internal_error("unset");
  REQUIRE(r.resolve_async("busy.example", Deadline::after(seconds(30)), ex, [&](Result<Addrs> a) {
             got = std::move(a);
             done.count_down();
           }).ok());
  REQUIRE(ex->wait_refused(refused_before + 2));  // the first post and a retry were refused
  blocker.release();
  REQUIRE(done.wait());
  REQUIRE(got.ok());
  CHECK(*got == Addrs{"10.0.0.1"});
  CHECK(m.counter("voxline_net_dns_answers_dropped_total", "").value() == 0);
}

TEST_CASE("resolver refuses more waiters than max_waiters with QUEUE_FULL") {
  GatedLookup lookup;
  DnsOptions o;
  o.max_waiters = 2;
  DnsResolver r(o, lookup.fn());
  Latch answered(2);
  REQUIRE(r.resolve_async("w.example", Deadline::after(seconds(5)), [&](Result<Addrs>) {
             answered.count_down();
           }).ok());
  REQUIRE(r.resolve_async("w.example", Deadline::after(seconds(5)), [&](Result<Addrs>) {
             answered.count_down();
           }).ok());
  CHECK(r.resolve_async("w.example", Deadline::after(seconds(5)), [](Result<Addrs>) {}).code() ==
        StatusCode::kQueueFull);
  lookup.release();
  REQUIRE(answered.wait());
  // Answered waiters free their places.
  Latch again;
  REQUIRE(r.resolve_async("w2.example", Deadline::after(seconds(5)), [&](Result<Addrs>) {
             again.count_down();
           }).ok());
  REQUIRE(again.wait());
}

TEST_CASE("a resolver shut down with lookups queued answers their waiters with CANCELLED") {
  auto ex = std::make_shared<ThreadExecutor>();
  Latch answered(3), entered, queued;
  std::vector<StatusCode> codes;
  std::mutex mu;
  auto record = [&](Result<Addrs> a) {
    std::lock_guard<std::mutex> lock(mu);
    codes.push_back(a.status().code());
    answered.count_down();
  };
  std::atomic<DnsResolver *> self{nullptr};
  // The running lookup returns only once the destructor has begun (new resolves are CANCELLED),
  // so the queued lookup can never start before shutdown takes it. It probes only after the test
  // has queued its lookups: probes are waiters too and would fill max_waiters first.
  auto r = std::make_unique<DnsResolver>(DnsOptions{}, [&](const std::string &host) -> Result<Addrs> {
    if (host == "running.example") {
      entered.count_down();
      queued.wait();
      while (self.load()
                 ->resolve_async("probe.example", Deadline::after(seconds(5)), [](Result<Addrs>) {})
                 .code() != StatusCode::kCancelled)
        std::this_thread::yield();
    }
    return Addrs{"10.0.0.1"};
  });
  self = r.get();
  REQUIRE(r->resolve_async("running.example", Deadline::after(seconds(5)), record).ok());
  REQUIRE(entered.wait());  // the only thread is inside this lookup
  REQUIRE(r->resolve_async("queued.example", Deadline::after(seconds(5)), record).ok());
  REQUIRE(r->resolve_async("Queued.Example", Deadline::after(seconds(5)), ex, record).ok());
  queued.count_down();
  r.reset();
  REQUIRE(answered.wait());
  std::lock_guard<std::mutex> lock(mu);
  CHECK(std::count(codes.begin(), codes.end(), StatusCode::kCancelled) == 2);
  CHECK(std::count(codes.begin(), codes.end(), StatusCode::kOk) == 1);
}
