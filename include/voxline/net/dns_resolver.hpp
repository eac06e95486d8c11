// File: dns_resolver.hpp
// DnsResolver: name resolution off the loop threads (libwebsockets 4.1 as packaged would call a
// blocking getaddrinfo on its service thread), with a TTL cache, single-flight lookups and stale
// answers when the resolver fails. A small fixed pool of resolver threads is fed by a bounded
// queue; IP literals never reach it.
//
//   DnsResolver dns({});                                   // 1 thread, 60 s TTL, 5 min stale limit
//   dns.resolve_async("api.deepgram.com", Deadline::after(5s), slot,   // answer runs on `slot`
//                     [](Result<std::vector<std::string>> r) { try_each_address(*r); });
//   dns.resolve_async("api.deepgram.com", Deadline::after(5s),
//                     [](Result<std::vector<std::string>> r) { ... });  // inline or resolver thread
//   Result<std::vector<std::string>> r = dns.resolve("localhost", Deadline::after(1s));  // blocks
//
// Answers: every address of the name, de-duplicated, IPv4 first and then IPv6, each family in
// getaddrinfo's order (RFC 6724 as configured by gai.conf). Connect to them in that order and move
// to the next when one refuses or times out. An IP literal answers itself (brackets removed). An
// error is UNAVAILABLE (resolver failure, no address), NOT_FOUND (the name does not exist),
// TIMEOUT (the deadline passed before the lookup started), CANCELLED (shutdown) or
// INVALID_ARGUMENT (empty name).
// Cache: names are case-folded (ASCII), so "API.Example" and "api.example" share one entry and one
// lookup. Answers live for `ttl`, failures for `negative_ttl`. When a lookup fails (anything but
// NOT_FOUND) and the name had addresses less than `max_stale` ago, those addresses are served
// instead, and again for `negative_ttl` before the next attempt; each such answer is counted in
// voxline_net_dns_stale_answers_total and the first per name and outage is logged.
// Single flight: lookups of one name that overlap share one getaddrinfo; every waiter is answered.
// Threading: the callback form runs `cb` inline before returning when the answer needs no lookup
// (literal, cache, empty name), otherwise once on a resolver thread. The executor form always posts
// the answer to `executor`, never inline; when the executor refuses the post it is retried with
// backoff for up to `answer_retry_limit` (never past the waiter's deadline), then dropped, counted in
// voxline_net_dns_answers_dropped_total and logged (the 1st, 2nd, 4th... drop). Callbacks must not
// block: they delay every other answer on that resolver thread.
// Deadlines: a waiter whose deadline passes before its lookup starts gets TIMEOUT; once a lookup
// runs, its waiters are answered when it returns, so callers keep their own connect timer.
// Lifetime: the destructor stops the threads; waiters of lookups not yet started get CANCELLED.
// A lookup stuck inside getaddrinfo delays the destructor until it returns.
// Thread-safety: every method may be called from any thread; none blocks except resolve().
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "voxline/core/clock.hpp"
#include "voxline/core/deadline.hpp"
#include "voxline/core/defaults.hpp"
#include "voxline/core/executor.hpp"
#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"
#include "voxline/core/thread_annotations.hpp"

namespace voxline {

class Counter;
class Logger;
class MetricsRegistry;

struct DnsOptions {
  Duration ttl = defaults::kDnsTtl;                   // how long a resolved answer is reused
  Duration negative_ttl = defaults::kDnsNegativeTtl;  // how long a failed lookup is remembered
  // How long past its TTL an answer may still be served while the resolver fails (0 = never).
  Duration max_stale = defaults::kDnsMaxStale;
  size_t max_entries = 1024;    // cache size; the oldest entry is evicted
  int threads = 1;              // resolver threads, 1..8
  size_t queue_capacity = 256;  // distinct names waiting for a lookup; more gives QUEUE_FULL
  size_t max_waiters = 4096;    // callers waiting on lookups in all; more gives QUEUE_FULL
  // How long an answer the waiter's executor refuses (QUEUE_FULL) is retried before it is dropped.
  Duration answer_retry_limit = defaults::kDnsAnswerRetryLimit;
};

// A TTL cache of name -> addresses that also keeps each name's last good addresses for stale
// use (I/O-free; used by DnsResolver, testable with a ManualClock). Keys are used as given: the
// resolver folds case before calling it.
class VOXLINE_API DnsCache {
 public:
  DnsCache(size_t max_entries, const Clock &clock, Duration max_stale = Duration::zero())
      : max_entries_(max_entries), max_stale_(max_stale), clock_(clock) {}
  // The cached answer (addresses or the remembered error) if it has not expired; `*stale` tells
  // whether it is a stale answer held by serve_stale().
  std::optional<Result<std::vector<std::string>>> lookup(const std::string &host,
                                                         bool *stale = nullptr) const;
  // Stores a fresh answer. A failure keeps the name's last good addresses for serve_stale().
  void store(const std::string &host, const Result<std::vector<std::string>> &answer, Duration ttl);
  // The last good addresses if they expired less than max_stale ago; they are then cached again
  // for `hold` (never past the stale limit). `*first` is set when this starts a stale period.
  std::optional<std::vector<std::string>> serve_stale(const std::string &host, Duration hold,
                                                      bool *first = nullptr);
  size_t size() const;

 private:
  struct Entry {
    Result<std::vector<std::string>> answer{Status(StatusCode::kInternal, "empty")};
    SteadyTime expires;
    SteadyTime stored;
    std::vector<std::string> good;  // last good addresses (empty: none)
    SteadyTime good_until;          // end of their stale period
    bool stale = false;             // serving `good` past its TTL right now
  };
  size_t max_entries_;
  Duration max_stale_;
  const Clock &clock_;
  mutable Mutex mu_;
  std::map<std::string, Entry> entries_ VOXLINE_GUARDED_BY(mu_);
};

// True when `host` is an IPv4 or IPv6 literal (brackets allowed), which needs no lookup.
VOXLINE_API bool is_ip_literal(const std::string &host);
// `host` with ASCII letters lower-cased: the cache and single-flight key.
VOXLINE_API std::string fold_host_case(const std::string &host);

class VOXLINE_API DnsResolver {
 public:
  using Callback = std::function<void(Result<std::vector<std::string>>)>;
  // Blocking lookup run on a resolver thread (with the case-folded name); the default uses
  // getaddrinfo. Return NOT_FOUND for a name that does not exist, so no stale answer is served.
  using LookupFn = std::function<Result<std::vector<std::string>>(const std::string &host)>;

  explicit DnsResolver(DnsOptions options = {}, LookupFn lookup = {}, const Clock &clock = Clock::system(),
                       MetricsRegistry *metrics = nullptr, Logger *logger = nullptr);
  ~DnsResolver();
  DnsResolver(const DnsResolver &) = delete;
  DnsResolver &operator=(const DnsResolver &) = delete;

  // Resolves `host`; `cb` runs inline when no lookup is needed, else once on a resolver thread.
  // QUEUE_FULL (without calling `cb`) when too many lookups or waiters are pending, CANCELLED
  // after shutdown began.
  Status resolve_async(const std::string &host, const Deadline &deadline, Callback cb);

  // Resolves `host` and posts the answer to `executor`, where `cb` runs (never inline). Errors as
  // above; also INVALID_ARGUMENT for a null executor, and the executor's own error when an
  // immediate answer cannot be posted. On an error return `cb` never runs.
  Status resolve_async(const std::string &host, const Deadline &deadline, std::shared_ptr<Executor> executor,
                       Callback cb);

  // Blocking form for callers that are not loop threads: TIMEOUT when the deadline passes first.
  Result<std::vector<std::string>> resolve(const std::string &host, const Deadline &deadline);

  const DnsCache &cache() const noexcept { return cache_; }

  // getaddrinfo for A and AAAA records, IPv4 first; NOT_FOUND for EAI_NONAME, else UNAVAILABLE.
  static Result<std::vector<std::string>> system_lookup(const std::string &host);

 private:
  struct Waiter {
    Deadline deadline;
    Callback cb;
    std::shared_ptr<Executor> executor;  // null: call `cb` on the resolver thread
  };
  struct Flight {
    std::string key;  // the case-folded name
    std::vector<Waiter> waiters;
  };
  struct Metrics;

  Status enqueue(const std::string &host, Waiter waiter);
  // Answers one waiter (on its executor if it has one). Never throws.
  void answer(Waiter &waiter, Result<std::vector<std::string>> result);
  void worker();
  // Runs the lookup and caches its outcome; a failure may be answered with stale addresses.
  Result<std::vector<std::string>> look_up(const std::string &key, bool *stale);

  DnsOptions options_;
  LookupFn lookup_;
  Logger *log_;
  std::unique_ptr<Metrics> metrics_;
  DnsCache cache_;
  std::atomic<uint64_t> drops_{0};
  Mutex mu_;
  std::condition_variable_any cv_;
  std::deque<std::shared_ptr<Flight>> jobs_ VOXLINE_GUARDED_BY(mu_);  // flights not yet started
  // Every queued or running flight by key, so an overlapping lookup of the name joins it.
  std::map<std::string, std::shared_ptr<Flight>> flights_ VOXLINE_GUARDED_BY(mu_);
  size_t waiters_ VOXLINE_GUARDED_BY(mu_) = 0;
  bool stopping_ VOXLINE_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace voxline
