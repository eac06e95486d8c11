// File: dns_resolver.hpp
// DnsResolver: name resolution off the I/O threads (libwebsockets 4.1 as packaged resolves
// synchronously on its service thread), with a TTL cache and a small fixed pool of resolver
// threads fed by a bounded queue. IP literals never reach the pool.
//
//   DnsResolver dns({});                                        // 1 thread, 60 s TTL
//   dns.resolve_async("api.deepgram.com", Deadline::after(5s),
//                     [](Result<std::vector<std::string>> r) { ... });  // on a resolver thread
//   Result<std::vector<std::string>> r = dns.resolve("localhost", Deadline::after(1s));
//
// Lifetime: the destructor stops the threads; callbacks of queued lookups then run with
// CANCELLED. A lookup stuck inside getaddrinfo delays the destructor until it returns.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "voxline/core/clock.hpp"
#include "voxline/core/deadline.hpp"
#include "voxline/core/defaults.hpp"
#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"

namespace voxline {

class MetricsRegistry;

struct DnsOptions {
  Duration ttl = defaults::kDnsTtl;                   // how long a resolved answer is reused
  Duration negative_ttl = defaults::kDnsNegativeTtl;  // how long a failed lookup is remembered
  size_t max_entries = 1024;                          // cache size; the oldest entry is evicted
  int threads = 1;                                    // resolver threads
  size_t queue_capacity = 256;                        // pending lookups; more gives QUEUE_FULL
};

// A TTL cache of name -> addresses (I/O-free; used by DnsResolver, testable with a ManualClock).
class VOXLINE_API DnsCache {
 public:
  DnsCache(size_t max_entries, const Clock &clock) : max_entries_(max_entries), clock_(clock) {}
  // The cached answer (addresses or the remembered error) if it has not expired.
  std::optional<Result<std::vector<std::string>>> lookup(const std::string &host) const;
  void store(const std::string &host, const Result<std::vector<std::string>> &answer, Duration ttl);
  size_t size() const;

 private:
  struct Entry {
    Result<std::vector<std::string>> answer{Status(StatusCode::kInternal, "empty")};
    SteadyTime expires;
    SteadyTime stored;
  };
  size_t max_entries_;
  const Clock &clock_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

// True when `host` is an IPv4 or IPv6 literal (brackets allowed), which needs no lookup.
VOXLINE_API bool is_ip_literal(const std::string &host);

class VOXLINE_API DnsResolver {
 public:
  using Callback = std::function<void(Result<std::vector<std::string>>)>;
  // Blocking lookup run on a resolver thread; the default uses getaddrinfo.
  using LookupFn = std::function<Result<std::vector<std::string>>(const std::string &host)>;

  explicit DnsResolver(DnsOptions options = {}, LookupFn lookup = {}, const Clock &clock = Clock::system(),
                       MetricsRegistry *metrics = nullptr);
  ~DnsResolver();
  DnsResolver(const DnsResolver &) = delete;
  DnsResolver &operator=(const DnsResolver &) = delete;

  // Resolves `host`. Answers from an IP literal or the cache run `cb` inline on the calling
  // thread before returning; otherwise `cb` runs once on a resolver thread (TIMEOUT if the
  // deadline passed while queued, CANCELLED at shutdown). Returns QUEUE_FULL without calling
  // `cb` when too many lookups are pending.
  Status resolve_async(const std::string &host, const Deadline &deadline, Callback cb);

  // Blocking form for callers that are not I/O threads: TIMEOUT when the deadline passes first.
  Result<std::vector<std::string>> resolve(const std::string &host, const Deadline &deadline);

  const DnsCache &cache() const noexcept { return cache_; }

  // getaddrinfo for A and AAAA records, IPv4 first.
  static Result<std::vector<std::string>> system_lookup(const std::string &host);

 private:
  struct Job {
    std::string host;
    Deadline deadline;
    Callback cb;
  };
  void worker();

  DnsOptions options_;
  LookupFn lookup_;
  MetricsRegistry *metrics_;
  DnsCache cache_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace voxline
