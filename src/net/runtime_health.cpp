#include "voxline/net/runtime_health.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "voxline/net/runtime.hpp"

namespace voxline {
namespace {

constexpr const char *kProbeHost = "localhost";

// The answers of one report. Shared with every posted task and the DNS callback, which may run
// after the report stopped waiting: a late answer finds `closed` and touches nothing else (the
// deadline's clock may be gone by then).
struct Answers {
  Answers(size_t n, const Clock &c) : clock(c), checks(n), done(n, false) {}
  const Clock &clock;  // read only while !closed, under `mu`
  Mutex mu;
  std::condition_variable_any cv;
  std::vector<HealthCheck> checks VOXLINE_GUARDED_BY(mu);
  std::vector<bool> done VOXLINE_GUARDED_BY(mu);
  size_t pending VOXLINE_GUARDED_BY(mu) = 0;
  bool closed VOXLINE_GUARDED_BY(mu) = false;

  // Records check `i` as make(ms since `start`) unless it is answered already or the report ended.
  template <typename Make>
  void answer(size_t i, SteadyTime start, Make &&make) {
    MutexLock lock(mu);
    if (closed || done[i]) return;
    checks[i] = make(elapsed_ms(start, clock.now()));
    done[i] = true;
    --pending;
    cv.notify_all();
  }
};

std::string addresses(const std::vector<std::string> &list) {
  std::string out;
  for (const std::string &a : list) out += (out.empty() ? "" : ", ") + a;
  return out.empty() ? "no address" : out;
}

// Posts the slot's check; its answer (or the refusal) goes to `answers` at index `i`.
void probe_slot(Slot &slot, size_t i, const std::shared_ptr<Answers> &answers) {
  const std::string component = "net.slot." + std::to_string(slot.index());
  const SteadyTime start = answers->clock.now();
  if (slot.running_in_this_thread()) {
    answers->answer(i, start, [&](double ms) {
      return HealthCheck{component, true, "called on this slot's own thread, which is running", ms};
    });
    return;
  }
  const size_t load = slot.load();
  Status posted = slot.post([answers, i, component, start, load] {
    answers->answer(i, start, [&](double ms) {
      return HealthCheck{component, true,
                         fmt::format("ran a posted task after {:.3f} ms (load {})", ms, load), ms};
    });
  });
  if (!posted.ok()) {
    answers->answer(i, start, [&](double ms) {
      return HealthCheck{component, false, "refused a posted task: " + posted.to_string(), ms};
    });
  }
}

// Starts the resolver's check; its answer goes to `answers` at index `i`.
void probe_dns(DnsResolver &resolver, size_t i, const std::shared_ptr<Answers> &answers,
               const Deadline &deadline) {
  const SteadyTime start = answers->clock.now();
  // An answer on the calling thread came inline, from the cache; a lookup answers on a resolver thread.
  const std::thread::id caller = std::this_thread::get_id();
  Status asked = resolver.resolve_async(
      kProbeHost, deadline, [answers, i, start, caller](Result<std::vector<std::string>> r) {
        const bool cached = std::this_thread::get_id() == caller;
        answers->answer(i, start, [&](double ms) {
          if (!r.ok()) {
            return HealthCheck{"net.dns", false,
                               fmt::format("{} did not resolve: {}", kProbeHost, r.status().to_string()), ms};
          }
          return HealthCheck{"net.dns", true,
                             fmt::format("resolved {} to {}{}", kProbeHost, addresses(*r),
                                         cached ? " (from the cache)" : ""),
                             ms};
        });
      });
  if (!asked.ok()) {
    answers->answer(i, start, [&](double ms) {
      return HealthCheck{"net.dns", false,
                         fmt::format("refused the lookup of {}: {}", kProbeHost, asked.to_string()), ms};
    });
  }
}

}  // namespace

HealthReport runtime_health_report(Runtime &runtime, const Deadline &deadline) {
  const size_t slots = static_cast<size_t>(std::max(runtime.slot_count(), 0));
  auto answers = std::make_shared<Answers>(slots + 1, deadline.clock());
  const SteadyTime start = answers->clock.now();
  {
    MutexLock lock(answers->mu);
    answers->pending = slots + 1;
  }
  for (size_t i = 0; i < slots; ++i) {
    std::shared_ptr<Slot> slot = runtime.slot(static_cast<int>(i));
    if (slot != nullptr) {
      probe_slot(*slot, i, answers);
    } else {
      answers->answer(i, start, [&](double ms) {
        return HealthCheck{"net.slot." + std::to_string(i), false, "the runtime has no such slot", ms};
      });
    }
  }
  probe_dns(runtime.resolver(), slots, answers, deadline);

  std::vector<HealthCheck> checks;
  std::vector<bool> done;
  {
    ReleasableMutexLock lock(answers->mu);
    // In slices, so a deadline on another clock (or an infinite one) is still honoured.
    while (answers->pending > 0 && !deadline.expired()) {
      answers->cv.wait_for(lock, std::min<Duration>(deadline.remaining(), std::chrono::milliseconds(50)));
    }
    answers->closed = true;
    checks = answers->checks;
    done = answers->done;
  }
  const double waited = elapsed_ms(start, answers->clock.now());
  HealthReport report;
  for (size_t i = 0; i <= slots; ++i) {
    if (!done[i]) {
      const bool dns = i == slots;
      checks[i].component = dns ? std::string("net.dns") : "net.slot." + std::to_string(i);
      checks[i].ok = false;
      checks[i].latency_ms = waited;
      checks[i].detail =
          dns ? fmt::format("no answer for {} within {:.0f} ms (resolver threads busy or stuck)", kProbeHost,
                            waited)
              : fmt::format("no answer to a posted task within {:.0f} ms (the slot is blocked or overloaded)",
                            waited);
    }
    report.add(std::move(checks[i]));
  }
  return report;
}

HealthProbe runtime_health_probe(Runtime &runtime) {
  return [&runtime](const Deadline &deadline) {
    const HealthReport r = runtime_health_report(runtime, deadline);
    HealthCheck c;
    c.ok = r.ok();
    for (const HealthCheck &check : r.checks()) {
      if (!check.ok) c.detail += (c.detail.empty() ? "" : "; ") + check.component + ": " + check.detail;
    }
    if (c.ok) c.detail = fmt::format("{} slots and the resolver answered", r.checks().size() - 1);
    return c;
  };
}

}  // namespace voxline
