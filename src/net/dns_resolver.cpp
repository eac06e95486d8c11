#include "voxline/net/dns_resolver.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <future>
#include <memory>

#include "voxline/core/log.hpp"
#include "voxline/core/metrics.hpp"

namespace voxline {

namespace {
using Addrs = std::vector<std::string>;

constexpr Duration kFirstPostRetry = std::chrono::milliseconds(1);
constexpr Duration kMaxPostRetry = std::chrono::milliseconds(20);
}  // namespace

bool is_ip_literal(const std::string &host) {
  std::string h = host;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  unsigned char buf[16];
  return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

std::string fold_host_case(const std::string &host) {
  std::string key = host;
  for (char &c : key)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return key;
}

std::optional<Result<Addrs>> DnsCache::lookup(const std::string &host, bool *stale) const {
  MutexLock lock(mu_);
  auto it = entries_.find(host);
  if (it == entries_.end() || clock_.now() >= it->second.expires) return std::nullopt;
  if (stale != nullptr) *stale = it->second.stale;
  return it->second.answer;
}

void DnsCache::store(const std::string &host, const Result<Addrs> &answer, Duration ttl) {
  MutexLock lock(mu_);
  const SteadyTime now = clock_.now();
  // Drop entries that are neither fresh nor still usable as stale, then the oldest if still full.
  for (auto it = entries_.begin(); it != entries_.end();) {
    const bool keep = now < it->second.expires || (!it->second.good.empty() && now < it->second.good_until);
    it = keep ? std::next(it) : entries_.erase(it);
  }
  if (entries_.size() >= std::max<size_t>(max_entries_, 1) && entries_.count(host) == 0) {
    auto oldest = std::min_element(entries_.begin(), entries_.end(), [](const auto &a, const auto &b) {
      return a.second.stored < b.second.stored;
    });
    if (oldest != entries_.end()) entries_.erase(oldest);
  }
  Entry &e = entries_[host];
  e.answer = answer;
  e.stored = now;
  e.expires = now + ttl;
  if (answer.ok()) {
    e.good = *answer;
    e.good_until = e.expires + max_stale_;
    e.stale = false;
  } else if (now >= e.good_until) {
    e.good.clear();
  }
}

std::optional<Addrs> DnsCache::serve_stale(const std::string &host, Duration hold, bool *first) {
  MutexLock lock(mu_);
  auto it = entries_.find(host);
  const SteadyTime now = clock_.now();
  if (it == entries_.end() || it->second.good.empty() || now >= it->second.good_until) return std::nullopt;
  Entry &e = it->second;
  if (first != nullptr) *first = !e.stale;
  e.stale = true;
  e.answer = e.good;
  e.expires = std::min(now + hold, e.good_until);
  return e.good;
}

size_t DnsCache::size() const {
  MutexLock lock(mu_);
  return entries_.size();
}

Result<Addrs> DnsResolver::system_lookup(const std::string &host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo *res = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc == EAI_NONAME) return not_found("'" + host + "' does not exist: " + gai_strerror(rc));
  if (rc != 0) return unavailable("cannot resolve '" + host + "': " + gai_strerror(rc));
  Addrs v4, v6;
  for (addrinfo *ai = res; ai != nullptr; ai = ai->ai_next) {
    char buf[INET6_ADDRSTRLEN] = {0};
    if (ai->ai_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in *>(ai->ai_addr)->sin_addr, buf, sizeof buf);
      if (std::find(v4.begin(), v4.end(), buf) == v4.end()) v4.emplace_back(buf);
    } else if (ai->ai_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6 *>(ai->ai_addr)->sin6_addr, buf, sizeof buf);
      if (std::find(v6.begin(), v6.end(), buf) == v6.end()) v6.emplace_back(buf);
    }
  }
  freeaddrinfo(res);
  v4.insert(v4.end(), v6.begin(), v6.end());
  if (v4.empty()) return unavailable("'" + host + "' has no address");
  return v4;
}

// Instruments resolved once, so no lookup by name happens per resolve.
struct DnsResolver::Metrics {
  explicit Metrics(MetricsRegistry &m)
      : cache_hits(m.counter("voxline_net_dns_cache_hits_total", "DNS answers served from the cache")),
        lookups(m.counter("voxline_net_dns_lookups_total", "DNS lookups performed")),
        coalesced(
            m.counter("voxline_net_dns_coalesced_total", "DNS resolves that joined a lookup in flight")),
        stale(m.counter("voxline_net_dns_stale_answers_total",
                        "DNS answers served past their TTL because the resolver failed")),
        queue_full(m.counter("voxline_net_dns_queue_full_total", "DNS lookups refused: queue full")),
        dropped(m.counter("voxline_net_dns_answers_dropped_total",
                          "DNS answers lost because their executor refused them")),
        timeouts(m.counter("voxline_net_timeouts_total", "Deadlines that expired", {{"phase", "dns"}})) {}
  Counter &cache_hits;
  Counter &lookups;
  Counter &coalesced;
  Counter &stale;
  Counter &queue_full;
  Counter &dropped;
  Counter &timeouts;
};

DnsResolver::DnsResolver(DnsOptions options, LookupFn lookup, const Clock &clock, MetricsRegistry *metrics,
                         Logger *logger)
    : options_(options),
      lookup_(lookup ? std::move(lookup) : LookupFn(&DnsResolver::system_lookup)),
      log_(logger != nullptr ? logger : &default_logger()),
      metrics_(std::make_unique<Metrics>(metrics != nullptr ? *metrics : MetricsRegistry::global())),
      cache_(options.max_entries, clock, std::max(options.max_stale, Duration::zero())) {
  const int n = std::clamp(options_.threads, 1, 8);
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { worker(); });
}

DnsResolver::~DnsResolver() {
  std::deque<std::shared_ptr<Flight>> pending;
  {
    MutexLock lock(mu_);
    stopping_ = true;
    pending.swap(jobs_);
    for (auto &f : pending) flights_.erase(f->key);
  }
  cv_.notify_all();
  for (auto &t : threads_) t.join();
  for (auto &flight : pending)
    for (auto &w : flight->waiters) answer(w, cancelled("DNS resolver shutting down"));
}

Status DnsResolver::resolve_async(const std::string &host, const Deadline &deadline, Callback cb) {
  return enqueue(host, Waiter{deadline, std::move(cb), nullptr});
}

Status DnsResolver::resolve_async(const std::string &host, const Deadline &deadline,
                                  std::shared_ptr<Executor> executor, Callback cb) {
  if (executor == nullptr) return invalid_argument("DNS resolve needs an executor for its answer");
  return enqueue(host, Waiter{deadline, std::move(cb), std::move(executor)});
}

Status DnsResolver::enqueue(const std::string &host, Waiter waiter) {
  // Answers that need no lookup: inline for a callback, posted (errors returned) for an executor.
  auto immediate = [&](Result<Addrs> r) -> Status {
    if (waiter.executor == nullptr) {
      waiter.cb(std::move(r));
      return Status::Ok();
    }
    return waiter.executor->post(
        [cb = std::move(waiter.cb), r = std::move(r)]() mutable { cb(std::move(r)); });
  };
  if (host.empty()) return immediate(invalid_argument("empty host name"));
  if (is_ip_literal(host)) {
    std::string h = host;
    if (h.front() == '[') h = h.substr(1, h.size() - 2);
    return immediate(Addrs{h});
  }
  std::string key = fold_host_case(host);
  bool stale = false;
  if (auto cached = cache_.lookup(key, &stale)) {
    metrics_->cache_hits.inc();
    if (stale) metrics_->stale.inc();
    return immediate(std::move(*cached));
  }
  {
    MutexLock lock(mu_);
    if (stopping_) return cancelled("DNS resolver shutting down");
    if (waiters_ >= std::max<size_t>(options_.max_waiters, 1)) {
      metrics_->queue_full.inc();
      return queue_full("DNS resolver has " + std::to_string(waiters_) + " callers waiting");
    }
    auto it = flights_.find(key);
    if (it != flights_.end()) {
      // Single flight: join the lookup already queued or running for this name.
      it->second->waiters.push_back(std::move(waiter));
      ++waiters_;
      metrics_->coalesced.inc();
      return Status::Ok();
    }
    if (jobs_.size() >= std::max<size_t>(options_.queue_capacity, 1)) {
      metrics_->queue_full.inc();
      return queue_full("DNS lookup queue is full (" + std::to_string(jobs_.size()) + " pending)");
    }
    auto flight = std::make_shared<Flight>();
    flight->key = key;
    flight->waiters.push_back(std::move(waiter));
    ++waiters_;
    flights_.emplace(std::move(key), flight);
    jobs_.push_back(std::move(flight));
  }
  cv_.notify_one();
  return Status::Ok();
}

Result<Addrs> DnsResolver::resolve(const std::string &host, const Deadline &deadline) {
  // The promise is shared so a lookup finishing after we gave up still has somewhere to write.
  auto promise = std::make_shared<std::promise<Result<Addrs>>>();
  auto future = promise->get_future();
  VOXLINE_RETURN_IF_ERROR(
      resolve_async(host, deadline, [promise](Result<Addrs> r) { promise->set_value(std::move(r)); }));
  if (!deadline.is_infinite()) {
    if (future.wait_for(deadline.remaining()) != std::future_status::ready) {
      metrics_->timeouts.inc();
      return timeout_error("resolving '" + host + "' took longer than the deadline");
    }
  }
  return future.get();
}

void DnsResolver::answer(Waiter &waiter, Result<Addrs> result) {
  if (waiter.executor == nullptr) {
    waiter.cb(std::move(result));
    return;
  }
  // Shared, because a refused post destroys its task and the next attempt needs them again.
  auto cb = std::make_shared<Callback>(std::move(waiter.cb));
  auto r = std::make_shared<Result<Addrs>>(std::move(result));
  const SteadyTime give_up = Clock::system().now() + options_.answer_retry_limit;
  Duration delay = kFirstPostRetry;
  for (;;) {
    Status s = waiter.executor->post([cb, r] {
      Callback f = std::move(*cb);  // dies here on the executor's thread
      f(std::move(*r));
    });
    if (s.ok()) return;
    const SteadyTime now = Clock::system().now();
    if (s.code() != StatusCode::kQueueFull || now + delay > give_up ||
        (!waiter.deadline.is_infinite() && waiter.deadline.remaining() < delay)) {
      metrics_->dropped.inc();
      const uint64_t n = drops_.fetch_add(1, std::memory_order_relaxed) + 1;
      if ((n & (n - 1)) == 0)  // 1st, 2nd, 4th... so a stuck executor cannot flood the log
        VOXLINE_LOG_ERROR(*log_, "net", "DNS answer dropped ({} so far): {}", n, s.to_string());
      return;
    }
    std::this_thread::sleep_for(delay);  // backoff on this resolver thread only
    delay = std::min(delay * 2, kMaxPostRetry);
  }
}

Result<Addrs> DnsResolver::look_up(const std::string &key, bool *stale) {
  metrics_->lookups.inc();
  Result<Addrs> r = lookup_(key);
  if (r.ok() && r->empty()) r = unavailable("'" + key + "' has no address");
  if (r.ok()) {
    cache_.store(key, r, options_.ttl);
    return r;
  }
  if (r.status().code() != StatusCode::kNotFound) {
    bool first = false;
    if (auto addrs = cache_.serve_stale(key, options_.negative_ttl, &first)) {
      if (first)
        VOXLINE_LOG_WARN(*log_, "net",
                         "DNS lookup of '{}' failed ({}); serving its last addresses for up to {} s", key,
                         r.status().to_string(),
                         std::chrono::duration_cast<std::chrono::seconds>(options_.max_stale).count());
      *stale = true;
      return std::move(*addrs);
    }
  }
  cache_.store(key, r, options_.negative_ttl);
  return r;
}

void DnsResolver::worker() {
  for (;;) {
    std::shared_ptr<Flight> flight;
    std::vector<Waiter> late;
    bool wanted = false;
    {
      MutexLock lock(mu_);
      while (!stopping_ && jobs_.empty()) cv_.wait(mu_);
      if (stopping_) return;
      flight = std::move(jobs_.front());
      jobs_.pop_front();
      // Waiters whose deadline passed in the queue are answered now; the rest keep the flight.
      auto expired = std::stable_partition(flight->waiters.begin(), flight->waiters.end(),
                                           [](const Waiter &w) { return !w.deadline.expired(); });
      std::move(expired, flight->waiters.end(), std::back_inserter(late));
      flight->waiters.erase(expired, flight->waiters.end());
      waiters_ -= late.size();
      wanted = !flight->waiters.empty();
      if (!wanted) flights_.erase(flight->key);  // nobody can join it from now on
    }
    for (auto &w : late) answer(w, timeout_error("DNS lookup waited in the queue past its deadline"));
    if (!wanted) continue;
    bool stale = false;
    std::optional<Result<Addrs>> cached = cache_.lookup(flight->key, &stale);
    Result<Addrs> r = cached ? std::move(*cached) : look_up(flight->key, &stale);
    std::vector<Waiter> waiters;
    {
      MutexLock lock(mu_);
      waiters.swap(flight->waiters);  // with those that joined while the lookup ran
      waiters_ -= waiters.size();
      flights_.erase(flight->key);
    }
    if (stale) metrics_->stale.inc(waiters.size());
    for (auto &w : waiters) answer(w, r);
  }
}

}  // namespace voxline
