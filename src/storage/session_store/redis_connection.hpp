// File: redis_connection.hpp
// RedisConnection: one hiredis 0.14 synchronous context whose every step (connect, AUTH,
// SELECT, each command) is bounded by a Deadline. Commands are written and read with poll()
// against the remaining time (plus socket timeouts as a backstop), so no call blocks past the
// deadline. After an I/O error or a timeout a hiredis 0.14 sync context is unusable (only a
// reconnect recovers it): the connection marks itself broken and the pool replaces it.
// Thread-safety: none; a connection is used by one thread at a time (the pool lends it out).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include <hiredis/hiredis.h>

#include "storage/session_store/redis_url.hpp"
#include "voxline/core/deadline.hpp"
#include "voxline/core/result.hpp"

namespace voxline::detail {

struct RedisReplyDeleter {
  void operator()(redisReply *r) const noexcept {
    if (r != nullptr) freeReplyObject(r);
  }
};
using RedisReplyPtr = std::unique_ptr<redisReply, RedisReplyDeleter>;

class RedisConnection {
 public:
  // Connects (at most `connect_cap`, never past `deadline`), authenticates and selects the db.
  // TIMEOUT, UNAVAILABLE (refused/reset), UNAUTHENTICATED (AUTH refused), INVALID_ARGUMENT (bad db).
  static Result<std::unique_ptr<RedisConnection>> open(const RedisEndpoint &endpoint, Millis connect_cap,
                                                       const Deadline &deadline);
  ~RedisConnection();
  RedisConnection(const RedisConnection &) = delete;
  RedisConnection &operator=(const RedisConnection &) = delete;

  // Sends one command and reads its reply. An error reply (REDIS_REPLY_ERROR) is returned as a
  // reply: the connection stays usable. TIMEOUT / UNAVAILABLE / PROTOCOL_ERROR mean the
  // connection is now broken, and that the server may or may not have run the command.
  Result<RedisReplyPtr> command(const std::vector<std::string_view> &argv, const Deadline &deadline);

  bool broken() const noexcept { return broken_; }
  // For an idle connection: false when the server has closed it (an idle RESP2 connection never
  // has bytes to read, so readability means EOF or an error).
  bool looks_alive() const noexcept;

 private:
  explicit RedisConnection(redisContext *ctx) : ctx_(ctx) {}
  Status io_failure(const char *phase, const Deadline &deadline);
  redisContext *ctx_;
  bool broken_ = false;
};

// Status for an error reply ("NOSCRIPT ...", "WRONGTYPE ...", ...), with `context` prepended.
Status status_from_error_reply(const redisReply &reply, std::string_view context);

}  // namespace voxline::detail
