#include "voxline/net/dns_resolver.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <future>
#include <memory>

#include "voxline/core/metrics.hpp"

namespace voxline {

bool is_ip_literal(const std::string &host) {
  std::string h = host;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  unsigned char buf[16];
  return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

std::optional<Result<std::vector<std::string>>> DnsCache::lookup(const std::string &host) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(host);
  if (it == entries_.end() || clock_.now() >= it->second.expires) return std::nullopt;
  return it->second.answer;
}

void DnsCache::store(const std::string &host, const Result<std::vector<std::string>> &answer, Duration ttl) {
  std::lock_guard<std::mutex> lock(mu_);
  const SteadyTime now = clock_.now();
  // Drop expired entries first, then the oldest one if still full.
  for (auto it = entries_.begin(); it != entries_.end();)
    it = now >= it->second.expires ? entries_.erase(it) : std::next(it);
  if (entries_.size() >= std::max<size_t>(max_entries_, 1) && entries_.count(host) == 0) {
    auto oldest = std::min_element(entries_.begin(), entries_.end(), [](const auto &a, const auto &b) {
      return a.second.stored < b.second.stored;
    });
    if (oldest != entries_.end()) entries_.erase(oldest);
  }
  Entry e;
  e.answer = answer;
  e.stored = now;
  e.expires = now + ttl;
  entries_[host] = std::move(e);
}

size_t DnsCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

Result<std::vector<std::string>> DnsResolver::system_lookup(const std::string &host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo *res = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) return unavailable("cannot resolve '" + host + "': " + gai_strerror(rc));
  std::vector<std::string> v4, v6;
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

DnsResolver::DnsResolver(DnsOptions options, LookupFn lookup, const Clock &clock, MetricsRegistry *metrics)
    : options_(options),
      lookup_(lookup ? std::move(lookup) : LookupFn(&DnsResolver::system_lookup)),
      metrics_(metrics != nullptr ? metrics : &MetricsRegistry::global()),
      cache_(options.max_entries, clock) {
  const int n = std::clamp(options_.threads, 1, 8);
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { worker(); });
}

DnsResolver::~DnsResolver() {
  std::deque<Job> pending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    pending.swap(jobs_);
  }
  cv_.notify_all();
  for (auto &t : threads_) t.join();
  for (auto &job : pending) job.cb(cancelled("DNS resolver shutting down"));
}

Status DnsResolver::resolve_async(const std::string &host, const Deadline &deadline, Callback cb) {
  if (host.empty()) {
    cb(invalid_argument("empty host name"));
    return Status::Ok();
  }
  if (is_ip_literal(host)) {
    std::string h = host;
    if (h.front() == '[') h = h.substr(1, h.size() - 2);
    cb(std::vector<std::string>{h});
    return Status::Ok();
  }
  if (auto cached = cache_.lookup(host)) {
    metrics_->counter("voxline_net_dns_cache_hits_total", "DNS answers served from the cache").inc();
    cb(std::move(*cached));
    return Status::Ok();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return cancelled("DNS resolver shutting down");
    if (jobs_.size() >= std::max<size_t>(options_.queue_capacity, 1)) {
      metrics_->counter("voxline_net_dns_queue_full_total", "DNS lookups refused: queue full").inc();
      return queue_full("DNS lookup queue is full (" + std::to_string(jobs_.size()) + " pending)");
    }
    jobs_.push_back(Job{host, deadline, std::move(cb)});
  }
  cv_.notify_one();
  return Status::Ok();
}

Result<std::vector<std::string>> DnsResolver::resolve(const std::string &host, const Deadline &deadline) {
  // The promise is shared so a lookup finishing after we gave up still has somewhere to write.
  auto promise = std::make_shared<std::promise<Result<std::vector<std::string>>>>();
  auto future = promise->get_future();
  VOXLINE_RETURN_IF_ERROR(resolve_async(
      host, deadline, [promise](Result<std::vector<std::string>> r) { promise->set_value(std::move(r)); }));
  if (!deadline.is_infinite()) {
    if (future.wait_for(deadline.remaining()) != std::future_status::ready) {
      metrics_->counter("voxline_net_timeouts_total", "Deadlines that expired", {{"phase", "dns"}}).inc();
      return timeout_error("resolving '" + host + "' took longer than the deadline");
    }
  }
  return future.get();
}

void DnsResolver::worker() {
  for (;;) {
    Job job{"", Deadline::infinite(), nullptr};
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    if (job.deadline.expired()) {
      job.cb(timeout_error("DNS lookup of '" + job.host + "' waited in the queue past its deadline"));
      continue;
    }
    // Another job may have filled the cache while this one waited.
    if (auto cached = cache_.lookup(job.host)) {
      job.cb(std::move(*cached));
      continue;
    }
    metrics_->counter("voxline_net_dns_lookups_total", "DNS lookups performed").inc();
    Result<std::vector<std::string>> r = lookup_(job.host);
    cache_.store(job.host, r, r.ok() ? options_.ttl : options_.negative_ttl);
    job.cb(std::move(r));
  }
}

}  // namespace voxline
