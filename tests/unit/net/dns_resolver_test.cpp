#include "voxline/net/dns_resolver.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>

#include "voxline/core/metrics.hpp"

using namespace voxline;
using std::chrono::milliseconds;
using std::chrono::seconds;
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
