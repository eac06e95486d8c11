#include "storage/session_store/redis_connection.hpp"

#include <poll.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include <fmt/format.h>

namespace voxline::detail {

namespace {

timeval to_timeval(Millis ms) {
  if (ms.count() < 1) ms = Millis(1);  // 0 would mean "no timeout" to the kernel
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

Millis remaining_millis(const Deadline &deadline) {
  return Millis(deadline.remaining_ms());
}

// Waits until `fd` is ready for `events` or the deadline passes: 1 ready, 0 timed out, -1 error.
int wait_fd(int fd, short events, const Deadline &deadline) {
  for (;;) {
    if (deadline.expired()) return 0;
    pollfd p{};
    p.fd = fd;
    p.events = events;
    const int rc = ::poll(&p, 1, deadline.remaining_ms());
    if (rc > 0) return 1;
    if (rc == 0) return 0;  // poll's own clock says the time is up
    if (errno != EINTR) return -1;
  }
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

Status status_from_error_reply(const redisReply &reply, std::string_view context) {
  const std::string_view msg(reply.str != nullptr ? reply.str : "", reply.str != nullptr ? reply.len : 0);
  const std::string text = fmt::format("{}: redis replied {}", context, msg);
  if (starts_with(msg, "NOAUTH") || starts_with(msg, "WRONGPASS") || starts_with(msg, "NOPERM") ||
      msg.find("invalid password") != std::string_view::npos ||
      msg.find("without any password configured") != std::string_view::npos)
    return unauthenticated(text);
  if (starts_with(msg, "LOADING") || starts_with(msg, "BUSY") || starts_with(msg, "MASTERDOWN") ||
      starts_with(msg, "TRYAGAIN") || starts_with(msg, "CLUSTERDOWN") || starts_with(msg, "READONLY") ||
      starts_with(msg, "OOM"))
    return unavailable(text);
  if (starts_with(msg, "MOVED") || starts_with(msg, "ASK") || starts_with(msg, "CROSSSLOT"))
    return unsupported(text +
                       " (cluster redirection is not followed; point the URL at the slot's node or a proxy)");
  return internal_error(text);
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::open(const RedisEndpoint &endpoint,
                                                               Millis connect_cap, const Deadline &deadline) {
  const std::string where = endpoint.redacted();
  if (deadline.expired())
    return timeout_error(fmt::format("connect to {}: deadline expired before start", where));
  const Millis budget = std::min(remaining_millis(deadline), connect_cap);
  // Note: a host name is resolved by getaddrinfo inside hiredis, which no timeout bounds; use
  // IP literals (or a local resolver cache) where the deadline must hold strictly.
  redisContext *ctx = redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, to_timeval(budget));
  if (ctx == nullptr) return unavailable(fmt::format("connect to {}: out of memory", where));
  if (ctx->err != 0) {
    const std::string err = ctx->errstr;
    redisFree(ctx);
    // The socket's own verdict first: a refused connect is UNAVAILABLE even if the clock also ran out.
    const bool refused = err.find("refused") != std::string::npos || err.find("reset") != std::string::npos ||
                         err.find("unreachable") != std::string::npos;
    const bool timed_out = !refused && (err.find("timed out") != std::string::npos || deadline.expired());
    const std::string text = fmt::format("connect to {} failed: {}", where, err);
    return timed_out ? timeout_error(text) : unavailable(text);
  }
  std::unique_ptr<RedisConnection> conn(new RedisConnection(ctx));
  redisEnableKeepAlive(ctx);
  if (!endpoint.password.empty()) {
    std::vector<std::string_view> auth = {"AUTH"};
    if (!endpoint.username.empty()) auth.push_back(endpoint.username);
    auth.push_back(endpoint.password);
    VOXLINE_ASSIGN_OR_RETURN(RedisReplyPtr reply, conn->command(auth, deadline));
    if (reply->type == REDIS_REPLY_ERROR) {
      Status s = status_from_error_reply(*reply, fmt::format("AUTH to {}", where));
      return s.code() == StatusCode::kUnauthenticated ? s : unauthenticated(s.message());
    }
  }
  if (endpoint.db != 0) {
    const std::string db = std::to_string(endpoint.db);
    VOXLINE_ASSIGN_OR_RETURN(RedisReplyPtr reply, conn->command({"SELECT", db}, deadline));
    if (reply->type == REDIS_REPLY_ERROR) {
      Status s = status_from_error_reply(*reply, fmt::format("SELECT {} on {}", endpoint.db, where));
      return s.code() == StatusCode::kUnauthenticated ? s : invalid_argument(s.message());
    }
  }
  return Result<std::unique_ptr<RedisConnection>>(std::move(conn));
}

RedisConnection::~RedisConnection() {
  if (ctx_ != nullptr) redisFree(ctx_);
}

bool RedisConnection::looks_alive() const noexcept {
  if (broken_ || ctx_ == nullptr || ctx_->err != 0) return false;
  pollfd p{};
  p.fd = ctx_->fd;
  p.events = POLLIN;
  const int rc = ::poll(&p, 1, 0);
  return rc == 0;
}

Status RedisConnection::io_failure(const char *phase, const Deadline &deadline) {
  broken_ = true;
  const std::string err = ctx_->err != 0 ? std::string(ctx_->errstr) : std::string(std::strerror(errno));
  if (ctx_->err == REDIS_ERR_EOF)
    return unavailable(fmt::format("redis closed the connection while {}", phase));
  if (ctx_->err == REDIS_ERR_PROTOCOL) return protocol_error(fmt::format("redis {}: {}", phase, err));
  if (deadline.expired() || err.find("temporarily unavailable") != std::string::npos ||
      err.find("timed out") != std::string::npos)
    return timeout_error(fmt::format("redis {} hit the deadline ({})", phase, err));
  return unavailable(fmt::format("redis {} failed: {}", phase, err));
}

Result<RedisReplyPtr> RedisConnection::command(const std::vector<std::string_view> &argv,
                                               const Deadline &deadline) {
  if (broken_) return unavailable("redis connection is broken");
  if (argv.empty()) return invalid_argument("empty redis command");
  if (deadline.expired()) return timeout_error("redis command: deadline expired before sending");
  std::vector<const char *> ptrs;
  std::vector<size_t> lens;
  ptrs.reserve(argv.size());
  lens.reserve(argv.size());
  for (std::string_view a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), ptrs.data(), lens.data()) != REDIS_OK) {
    broken_ = true;
    return internal_error("redis command could not be formatted (out of memory)");
  }
  // Backstop: a single blocking write/read never outlives the remaining time either.
  redisSetTimeout(ctx_, to_timeval(remaining_millis(deadline)));
  int done = 0;
  while (done == 0) {
    const int w = wait_fd(ctx_->fd, POLLOUT, deadline);
    if (w == 0) {
      broken_ = true;
      return timeout_error("redis command: deadline expired while sending");
    }
    if (w < 0 || redisBufferWrite(ctx_, &done) != REDIS_OK) return io_failure("sending", deadline);
  }
  void *raw = nullptr;
  for (;;) {
    if (redisGetReplyFromReader(ctx_, &raw) != REDIS_OK) return io_failure("parsing the reply", deadline);
    if (raw != nullptr) break;
    const int r = wait_fd(ctx_->fd, POLLIN, deadline);
    if (r == 0) {
      broken_ = true;
      return timeout_error("redis command: deadline expired while waiting for the reply");
    }
    if (r < 0 || redisBufferRead(ctx_) != REDIS_OK) return io_failure("reading the reply", deadline);
  }
  return RedisReplyPtr(static_cast<redisReply *>(raw));
}

}  // namespace voxline::detail
