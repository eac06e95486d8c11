// Internal: one libcurl multi handle and the thread that drives it.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "net_context.hpp"
#include "voxline/core/bounded_queue.hpp"
#include "voxline/net/http_stream.hpp"

namespace voxline::detail {

class HttpStreamImpl;
struct HttpLoopLink;

struct HttpCommand {
  enum Kind { kStart, kResolved, kCancel } kind = kStart;
  std::shared_ptr<HttpStreamImpl> stream;
  Result<std::vector<std::string>> addrs{Status(StatusCode::kInternal, "unset")};
};

class HttpLoop {
 public:
  HttpLoop(NetContext &ctx, int index);
  ~HttpLoop();
  Status start();
  void stop();  // completes every live stream with CANCELLED, joins

  Result<std::shared_ptr<HttpStream>> start_stream(HttpRequest request,
                                                   std::shared_ptr<HttpStreamHandler> handler);
  static Status post_to(const std::shared_ptr<HttpLoopLink> &link, HttpCommand cmd);

  // Loop thread (called from curl callbacks).
  NetContext &ctx() noexcept { return ctx_; }

 private:
  Status post(HttpCommand cmd);  // with link->mu held
  void run();
  void drain_commands();
  void handle(HttpCommand &cmd);
  void begin(const std::shared_ptr<HttpStreamImpl> &s);
  void launch(const std::shared_ptr<HttpStreamImpl> &s, const Result<std::vector<std::string>> &addrs);
  void check_deadlines();
  void read_completions();
  void complete(const std::shared_ptr<HttpStreamImpl> &s, Status status, const std::string &phase);

  NetContext &ctx_;
  int index_;
  void *multi_ = nullptr;  // CURLM*
  std::thread thread_;
  BoundedQueue<HttpCommand> commands_;
  std::atomic<bool> stopping_{false};
  std::shared_ptr<HttpLoopLink> link_;
  std::unordered_map<uint64_t, std::shared_ptr<HttpStreamImpl>> streams_;  // loop thread only
};

}  // namespace voxline::detail
