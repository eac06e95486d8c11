// RedisSessionStore: keys, script calls and reply decoding over the pooled connections.
#include "voxline/storage/redis_session_store.hpp"

#include <array>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "storage/session_store/redis_connection.hpp"
#include "storage/session_store/redis_pool.hpp"
#include "storage/session_store/redis_scripts.hpp"
#include "storage/session_store/redis_url.hpp"
#include "storage/session_store/session_store_checks.hpp"
#include "storage/session_store/store_metrics.hpp"
#include "voxline/core/thread_annotations.hpp"

namespace voxline {

using detail::RedisReplyPtr;
using detail::RedisScript;

namespace {

std::string_view reply_text(const redisReply &r) {
  return r.str != nullptr ? std::string_view(r.str, r.len) : std::string_view();
}

// The integer elements of an array reply of exactly `n` integers.
Result<std::vector<int64_t>> int_array(const redisReply &r, size_t n, const char *what) {
  if (r.type != REDIS_REPLY_ARRAY || r.elements != n)
    return protocol_error(
        fmt::format("redis {}: expected an array of {} integers, got type {} with {} elements", what, n,
                    r.type, r.type == REDIS_REPLY_ARRAY ? r.elements : 0));
  std::vector<int64_t> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (r.element[i]->type != REDIS_REPLY_INTEGER)
      return protocol_error(fmt::format("redis {}: element {} is not an integer", what, i));
    out.push_back(r.element[i]->integer);
  }
  return out;
}

}  // namespace

// What create() checked, handed to the constructor.
struct RedisSessionStore::Setup {
  detail::RedisEndpoint endpoint;
  RedisSessionStoreOptions options;
  MetricsRegistry &registry;
  Logger &logger;
};

struct RedisSessionStore::Impl {
  Impl(detail::RedisEndpoint ep, const RedisSessionStoreOptions &opts, detail::StoreMetrics &m, Logger &log)
      : endpoint(ep),
        redacted(ep.redacted()),
        prefix(opts.key_prefix),
        logger(log),
        metrics(m),
        pool(std::move(ep), make_pool_options(opts), m, log) {}

  static detail::RedisPoolOptions make_pool_options(const RedisSessionStoreOptions &o) {
    detail::RedisPoolOptions p;
    p.max_size = o.pool_size;
    p.connect_timeout = o.connect_timeout;
    p.backoff_initial = o.backoff_initial;
    p.backoff_max = o.backoff_max;
    return p;
  }

  const detail::RedisEndpoint endpoint;
  const std::string redacted;
  const std::string prefix;
  Logger &logger;
  detail::StoreMetrics &metrics;  // the SessionStore's
  detail::RedisPool pool;

  Mutex sha_mu;
  std::array<std::string, static_cast<size_t>(RedisScript::kCount)> shas VOXLINE_GUARDED_BY(sha_mu);

  std::string session_key(std::string_view call_id) const {
    return fmt::format("{}:{{s:{}}}", prefix, call_id);
  }
  std::vector<std::string> slot_keys(std::string_view slot) const {
    return {fmt::format("{}:{{slot:{}}}:holds", prefix, slot),
            fmt::format("{}:{{slot:{}}}:booked", prefix, slot)};
  }
  std::vector<std::string> rate_keys(std::string_view caller) const {
    return {fmt::format("{}:{{rate:{}}}:log", prefix, caller),
            fmt::format("{}:{{rate:{}}}:seq", prefix, caller)};
  }

  // One plain command on a pooled connection; error replies become a Status.
  Result<RedisReplyPtr> command(const std::vector<std::string_view> &argv, const Deadline &deadline) {
    VOXLINE_ASSIGN_OR_RETURN(auto lease, pool.acquire(deadline));
    VOXLINE_ASSIGN_OR_RETURN(RedisReplyPtr reply, lease->command(argv, deadline));
    if (reply->type == REDIS_REPLY_ERROR) return detail::status_from_error_reply(*reply, argv.front());
    return reply;
  }

  // Runs `script` by EVALSHA (loading it once with SCRIPT LOAD), falling back to EVAL on NOSCRIPT.
  Result<RedisReplyPtr> eval(RedisScript script, const std::vector<std::string> &keys,
                             const std::vector<std::string> &args, const Deadline &deadline) {
    const auto &src = detail::redis_script(script);
    VOXLINE_ASSIGN_OR_RETURN(auto lease, pool.acquire(deadline));
    std::string sha;
    {
      MutexLock lock(sha_mu);
      sha = shas[static_cast<size_t>(script)];
    }
    if (sha.empty()) {
      VOXLINE_ASSIGN_OR_RETURN(RedisReplyPtr loaded, lease->command({"SCRIPT", "LOAD", src.lua}, deadline));
      if (loaded->type == REDIS_REPLY_ERROR)
        return detail::status_from_error_reply(*loaded, fmt::format("SCRIPT LOAD {}", src.name));
      if (loaded->type != REDIS_REPLY_STRING)
        return protocol_error(fmt::format("SCRIPT LOAD {}: expected a sha1 string", src.name));
      sha = std::string(reply_text(*loaded));
      MutexLock lock(sha_mu);
      shas[static_cast<size_t>(script)] = sha;
    }
    const std::string nkeys = std::to_string(keys.size());
    std::vector<std::string_view> argv;
    argv.reserve(3 + keys.size() + args.size());
    argv.push_back("EVALSHA");
    argv.push_back(sha);
    argv.push_back(nkeys);
    for (const auto &k : keys) argv.push_back(k);
    for (const auto &a : args) argv.push_back(a);
    VOXLINE_ASSIGN_OR_RETURN(RedisReplyPtr reply, lease->command(argv, deadline));
    if (reply->type == REDIS_REPLY_ERROR && reply_text(*reply).substr(0, 8) == "NOSCRIPT") {
      // The server lost its script cache (restart, SCRIPT FLUSH, failover): EVAL re-caches it,
      // so the next EVALSHA with the same sha works again.
      metrics.script_reloads.inc();
      VOXLINE_LOG_INFO(logger, "session_store", "redis at {} lost script {}; re-sending it with EVAL",
                       redacted, src.name);
      argv[0] = "EVAL";
      argv[1] = src.lua;
      VOXLINE_ASSIGN_OR_RETURN(reply, lease->command(argv, deadline));
    }
    if (reply->type == REDIS_REPLY_ERROR)
      return detail::status_from_error_reply(*reply, fmt::format("script {}", src.name));
    return reply;
  }
};

Result<std::unique_ptr<RedisSessionStore>> RedisSessionStore::create(RedisSessionStoreOptions options) {
  VOXLINE_ASSIGN_OR_RETURN(detail::RedisEndpoint ep, detail::parse_redis_url(options.url));
  VOXLINE_RETURN_IF_ERROR(detail::validate_store_id(options.key_prefix, "key prefix"));
  if (options.pool_size < 1 || options.pool_size > 256)
    return invalid_argument(fmt::format("redis pool_size must be in 1..256, got {}", options.pool_size));
  if (options.connect_timeout.count() <= 0) return invalid_argument("redis connect_timeout must be positive");
  if (options.backoff_initial.count() <= 0 || options.backoff_max < options.backoff_initial)
    return invalid_argument("redis backoff must satisfy 0 < backoff_initial <= backoff_max");
  Logger &logger = options.logger != nullptr ? *options.logger : default_logger();
  if (!ep.password.empty()) (void)logger.redactor().add_secret(ep.password);
  MetricsRegistry &registry = options.metrics != nullptr ? *options.metrics : MetricsRegistry::global();
  return std::unique_ptr<RedisSessionStore>(
      new RedisSessionStore(Setup{std::move(ep), std::move(options), registry, logger}));
}

RedisSessionStore::RedisSessionStore(Setup setup)
    : SessionStore("redis", setup.registry),
      impl_(std::make_unique<Impl>(std::move(setup.endpoint), setup.options, store_metrics(), setup.logger)) {
}
RedisSessionStore::~RedisSessionStore() = default;

const std::string &RedisSessionStore::redacted_url() const noexcept {
  return impl_->redacted;
}

Result<SessionDocument> RedisSessionStore::do_get_session(std::string_view call_id,
                                                          const Deadline &deadline) {
  VOXLINE_ASSIGN_OR_RETURN(
      RedisReplyPtr r, impl_->eval(RedisScript::kGetSession, {impl_->session_key(call_id)}, {}, deadline));
  if (r->type == REDIS_REPLY_NIL) return not_found(fmt::format("no live session document for {}", call_id));
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 || r->element[0]->type != REDIS_REPLY_STRING ||
      r->element[1]->type != REDIS_REPLY_INTEGER || r->element[2]->type != REDIS_REPLY_INTEGER)
    return protocol_error("redis get_session: unexpected reply shape");
  SessionDocument out;
  out.json = std::string(reply_text(*r->element[0]));
  out.version = static_cast<uint64_t>(r->element[1]->integer);
  out.ttl_remaining = Millis(std::max<long long>(r->element[2]->integer, 0));
  return out;
}

Result<uint64_t> RedisSessionStore::do_put_session(std::string_view call_id, std::string json, Millis ttl,
                                                   uint64_t expected_version, const Deadline &deadline) {
  const std::string expected = expected_version == kAnyVersion ? "any" : std::to_string(expected_version);
  VOXLINE_ASSIGN_OR_RETURN(RedisReplyPtr r,
                           impl_->eval(RedisScript::kPutSession, {impl_->session_key(call_id)},
                                       {std::move(json), expected, std::to_string(ttl.count())}, deadline));
  VOXLINE_ASSIGN_OR_RETURN(std::vector<int64_t> v, int_array(*r, 2, "put_session"));
  if (v[0] == -1) {
    if (expected_version == kNewSession)
      return conflict(fmt::format("session {} already exists at version {}", call_id, v[1]));
    return conflict(fmt::format("session {} is at version {}, not {}", call_id, v[1], expected_version));
  }
  if (v[0] == -2) return not_found(fmt::format("no live session document for {}", call_id));
  return static_cast<uint64_t>(v[1]);
}

Status RedisSessionStore::do_delete_session(std::string_view call_id, const Deadline &deadline) {
  const std::string key = impl_->session_key(call_id);
  VOXLINE_ASSIGN_OR_RETURN(RedisReplyPtr r, impl_->command({"DEL", key}, deadline));
  if (r->type != REDIS_REPLY_INTEGER) return protocol_error("redis DEL: expected an integer");
  if (r->integer == 0) return not_found(fmt::format("no live session document for {}", call_id));
  return Status::Ok();
}

Result<SlotHold> RedisSessionStore::do_hold_slot(std::string_view slot, std::string_view holder, int capacity,
                                                 Millis ttl, const Deadline &deadline) {
  VOXLINE_ASSIGN_OR_RETURN(
      RedisReplyPtr r,
      impl_->eval(RedisScript::kHold, impl_->slot_keys(slot),
                  {std::string(holder), std::to_string(capacity), std::to_string(ttl.count())}, deadline));
  VOXLINE_ASSIGN_OR_RETURN(std::vector<int64_t> v, int_array(*r, 4, "hold_slot"));
  if (v[0] != 1)
    return conflict(
        fmt::format("slot {} is full: {} held + {} booked of capacity {}{}", slot, v[1], v[2], capacity,
                    v[3] >= 0 ? fmt::format("; earliest hold expires in {} ms", v[3]) : std::string()));
  SlotHold out;
  out.state = {static_cast<int>(v[1]), static_cast<int>(v[2])};
  out.expires_in = Millis(v[3]);
  return out;
}

Status RedisSessionStore::do_release_slot(std::string_view slot, std::string_view holder,
                                          const Deadline &deadline) {
  VOXLINE_ASSIGN_OR_RETURN(RedisReplyPtr r, impl_->eval(RedisScript::kRelease, {impl_->slot_keys(slot)[0]},
                                                        {std::string(holder)}, deadline));
  if (r->type != REDIS_REPLY_INTEGER) return protocol_error("redis release_slot: expected an integer");
  if (r->integer == 0) return not_found(fmt::format("{} holds nothing live on slot {}", holder, slot));
  return Status::Ok();
}

Result<SlotState> RedisSessionStore::do_confirm_slot(std::string_view slot, std::string_view holder,
                                                     Millis retention, const Deadline &deadline) {
  VOXLINE_ASSIGN_OR_RETURN(RedisReplyPtr r,
                           impl_->eval(RedisScript::kConfirm, impl_->slot_keys(slot),
                                       {std::string(holder), std::to_string(retention.count())}, deadline));
  VOXLINE_ASSIGN_OR_RETURN(std::vector<int64_t> v, int_array(*r, 3, "confirm_slot"));
  if (v[0] != 1) return not_found(fmt::format("{} holds nothing live on slot {} to confirm", holder, slot));
  return SlotState{static_cast<int>(v[1]), static_cast<int>(v[2])};
}

Result<SlotState> RedisSessionStore::do_cancel_booking(std::string_view slot, const Deadline &deadline) {
  VOXLINE_ASSIGN_OR_RETURN(RedisReplyPtr r,
                           impl_->eval(RedisScript::kCancel, impl_->slot_keys(slot), {}, deadline));
  VOXLINE_ASSIGN_OR_RETURN(std::vector<int64_t> v, int_array(*r, 3, "cancel_booking"));
  if (v[0] != 1) return not_found(fmt::format("slot {} has no booking to cancel", slot));
  return SlotState{static_cast<int>(v[1]), static_cast<int>(v[2])};
}

Result<SlotState> RedisSessionStore::do_slot_state(std::string_view slot, const Deadline &deadline) {
  VOXLINE_ASSIGN_OR_RETURN(RedisReplyPtr r,
                           impl_->eval(RedisScript::kSlotState, impl_->slot_keys(slot), {}, deadline));
  VOXLINE_ASSIGN_OR_RETURN(std::vector<int64_t> v, int_array(*r, 2, "slot_state"));
  return SlotState{static_cast<int>(v[0]), static_cast<int>(v[1])};
}

Result<RateDecision> RedisSessionStore::do_check_rate(std::string_view caller, int limit, Millis window,
                                                      const Deadline &deadline) {
  VOXLINE_ASSIGN_OR_RETURN(RedisReplyPtr r,
                           impl_->eval(RedisScript::kRate, impl_->rate_keys(caller),
                                       {std::to_string(limit), std::to_string(window.count())}, deadline));
  VOXLINE_ASSIGN_OR_RETURN(std::vector<int64_t> v, int_array(*r, 3, "check_rate"));
  RateDecision d;
  d.allowed = v[0] == 1;
  d.remaining = static_cast<int>(v[1]);
  d.retry_after = Millis(v[2]);
  return d;
}

Status RedisSessionStore::do_ping(const Deadline &deadline, std::string &detail) {
  auto r = impl_->command({"PING"}, deadline);
  Status s = r.ok() ? Status::Ok() : r.status();
  if (s.ok() && !((*r)->type == REDIS_REPLY_STATUS && reply_text(**r) == "PONG"))
    s = protocol_error("redis PING: expected PONG");
  detail = s.ok() ? fmt::format("PONG from {}", impl_->redacted)
                  : impl_->logger.redactor().redact(fmt::format("{}: {}", impl_->redacted, s.to_string()));
  return s;
}

}  // namespace voxline
