// runtime_health_report / runtime_health_probe against real Runtimes: healthy slots and resolver
// pass; a blocked slot, a full task queue or a stuck lookup fails its own check within the
// deadline instead of hanging the report.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "voxline/core/clock.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/net/runtime.hpp"
#include "voxline/net/runtime_health.hpp"

using namespace voxline;
using namespace std::chrono_literals;

namespace {

// A gate the test opens (or its destruction breaks); waiters hold the future, not the gate, and
// give up after 10 s, so a failing test never wedges a thread or leaves it a dangling reference.
struct Gate {
  std::promise<void> p;
  std::shared_future<void> f = p.get_future().share();
  void open() { p.set_value(); }
  // A task that blocks its thread until the gate opens.
  auto blocker() const {
    return [f = f] { f.wait_for(10s); };
  }
};

struct Fixture {
  MetricsRegistry metrics;
  std::atomic<int> lookups{0};
  std::unique_ptr<Runtime> rt;

  explicit Fixture(int slots, DnsResolver::LookupFn lookup = {}, size_t queue = 8192) {
    RuntimeOptions o;
    o.slots = slots;
    o.task_queue_capacity = queue;
    o.metrics = &metrics;
    o.dns_lookup =
        lookup ? std::move(lookup) : [this](const std::string &) -> Result<std::vector<std::string>> {
      ++lookups;
      return std::vector<std::string>{"127.0.0.1"};
    };
    auto created = Runtime::create(o);
    REQUIRE(created.ok());
    rt = std::move(created).value();
  }
};

double ms_since(SteadyTime t) {
  return elapsed_ms(t, Clock::system().now());
}

const HealthCheck &require_check(const HealthReport &r, const std::string &component) {
  const HealthCheck *c = r.find(component);
  REQUIRE_MESSAGE(c != nullptr, component, " missing from ", r.to_text());
  return *c;
}

}  // namespace

TEST_CASE("a healthy runtime passes: each slot runs a posted task and the resolver answers localhost") {
  Fixture fx(2);
  const HealthReport first = runtime_health_report(*fx.rt, Deadline::after(5s));
  CHECK_MESSAGE(first.ok(), first.to_text());
  REQUIRE(first.checks().size() == 3);
  CHECK(require_check(first, "net.slot.0").detail.find("ran a posted task") != std::string::npos);
  CHECK(require_check(first, "net.slot.1").ok);
  const HealthCheck &dns = require_check(first, "net.dns");
  CHECK(dns.detail == "resolved localhost to 127.0.0.1");  // looked up on a resolver thread
  CHECK(fx.lookups == 1);

  const HealthReport second = runtime_health_report(*fx.rt, Deadline::after(5s));
  CHECK(second.ok());
  CHECK(require_check(second, "net.dns").detail == "resolved localhost to 127.0.0.1 (from the cache)");
  CHECK(fx.lookups == 1);
}

TEST_CASE("a slot blocked by a long task fails its check within the deadline; the others pass") {
  Fixture fx(2);
  Gate gate;
  REQUIRE(fx.rt->slot(1)->post(gate.blocker()).ok());
  const SteadyTime start = Clock::system().now();
  const HealthReport r = runtime_health_report(*fx.rt, Deadline::after(300ms));
  const double took = ms_since(start);
  CHECK(took >= 290);
  CHECK(took < 3000);  // never waits for the blocked slot itself
  CHECK(!r.ok());
  CHECK(require_check(r, "net.slot.0").ok);
  const HealthCheck &blocked = require_check(r, "net.slot.1");
  CHECK(!blocked.ok);
  CHECK(blocked.detail.find("no answer to a posted task within") != std::string::npos);
  CHECK(require_check(r, "net.dns").ok);

  // Unblocked, the late task of the first report runs harmlessly and the next report passes.
  gate.open();
  const HealthReport after = runtime_health_report(*fx.rt, Deadline::after(5s));
  CHECK_MESSAGE(after.ok(), after.to_text());
}

TEST_CASE("two blocked slots cost one timeout, not two") {
  Fixture fx(2);
  Gate gate;
  REQUIRE(fx.rt->slot(0)->post(gate.blocker()).ok());
  REQUIRE(fx.rt->slot(1)->post(gate.blocker()).ok());
  const SteadyTime start = Clock::system().now();
  const HealthReport r = runtime_health_report(*fx.rt, Deadline::after(400ms));
  CHECK(ms_since(start) < 780);
  CHECK(!require_check(r, "net.slot.0").ok);
  CHECK(!require_check(r, "net.slot.1").ok);
  gate.open();
}

TEST_CASE("a slot whose task queue is full fails at once with QUEUE_FULL") {
  constexpr size_t kQueue = 16;  // the smallest Runtime::create accepts
  Fixture fx(1, {}, kQueue);
  Gate gate;
  std::promise<void> running;
  REQUIRE(fx.rt->slot(0)
              ->post([&running, block = gate.blocker()] {
                running.set_value();
                block();
              })
              .ok());
  // Once the blocking task runs (it left the queue), kQueue more tasks fill every place.
  REQUIRE(running.get_future().wait_for(10s) == std::future_status::ready);
  for (size_t i = 0; i < kQueue; ++i) REQUIRE(fx.rt->slot(0)->post([] {}).ok());
  const SteadyTime start = Clock::system().now();
  const HealthReport r = runtime_health_report(*fx.rt, Deadline::after(5s));
  CHECK(ms_since(start) < 2000);  // a refusal needs no waiting
  const HealthCheck &full = require_check(r, "net.slot.0");
  CHECK(!full.ok);
  CHECK(full.detail.find("refused a posted task: QUEUE_FULL") != std::string::npos);
  CHECK(require_check(r, "net.dns").ok);
  gate.open();
}

TEST_CASE("a resolver stuck in a lookup fails net.dns within the deadline") {
  Gate gate;
  Fixture fx(1, [block = gate.blocker()](const std::string &) -> Result<std::vector<std::string>> {
    block();
    return std::vector<std::string>{"127.0.0.1"};
  });
  const SteadyTime start = Clock::system().now();
  const HealthReport r = runtime_health_report(*fx.rt, Deadline::after(300ms));
  CHECK(ms_since(start) < 3000);
  CHECK(require_check(r, "net.slot.0").ok);
  const HealthCheck &dns = require_check(r, "net.dns");
  CHECK(!dns.ok);
  CHECK(dns.detail.find("no answer for localhost within") != std::string::npos);
  gate.open();  // before the Runtime's destructor joins the resolver thread
}

TEST_CASE("a failing lookup fails net.dns with the resolver's status") {
  Fixture fx(1, [](const std::string &) -> Result<std::vector<std::string>> {
    return Status(StatusCode::kUnavailable, "resolver down");
  });
  const HealthReport r = runtime_health_report(*fx.rt, Deadline::after(5s));
  const HealthCheck &dns = require_check(r, "net.dns");
  CHECK(!dns.ok);
  CHECK(dns.detail == "localhost did not resolve: UNAVAILABLE: resolver down");
}

TEST_CASE("called on a slot's own thread, the report does not wait for that slot") {
  Fixture fx(1);
  std::promise<std::pair<HealthReport, double>> result;
  REQUIRE(fx.rt->slot(0)
              ->post([&] {
                const SteadyTime start = Clock::system().now();
                HealthReport r = runtime_health_report(*fx.rt, Deadline::after(5s));
                result.set_value({std::move(r), ms_since(start)});
              })
              .ok());
  auto fut = result.get_future();
  REQUIRE(fut.wait_for(10s) == std::future_status::ready);
  const std::pair<HealthReport, double> got = fut.get();
  const HealthReport &report = got.first;
  const double took = got.second;
  CHECK_MESSAGE(report.ok(), report.to_text());
  CHECK(took < 2000);
  CHECK(require_check(report, "net.slot.0").detail.find("own thread") != std::string::npos);
}

TEST_CASE("runtime_health_probe folds the report into one HealthRegistry check naming the failures") {
  Fixture fx(2);
  HealthRegistry health;
  health.add("net.runtime", 300ms, runtime_health_probe(*fx.rt));
  const HealthReport good = health.run();
  CHECK(good.ok());
  CHECK(require_check(good, "net.runtime").detail == "2 slots and the resolver answered");

  Gate gate;
  REQUIRE(fx.rt->slot(1)->post(gate.blocker()).ok());
  const HealthReport bad = health.run();
  const HealthCheck &c = require_check(bad, "net.runtime");
  CHECK(!c.ok);
  CHECK(c.detail.rfind("net.slot.1: no answer to a posted task", 0) == 0);
  CHECK(c.detail.find("net.slot.0") == std::string::npos);
  gate.open();
}
