// Internal: SlotImpl, the public Slot over one SlotLoop (websockets, tasks, timers) and the HTTP
// engine that runs on the same loop.
#pragma once

#include <memory>

#include "net/slot_loop.hpp"
#include "voxline/net/slot.hpp"

namespace voxline::detail {

class SlotImpl final : public Slot {
 public:
  explicit SlotImpl(std::shared_ptr<SlotLoop> loop) : loop_(std::move(loop)) {}

  Status post(Task task) override { return loop_->post(std::move(task)); }
  Result<TimerHandle> schedule(Duration delay, Task task) override {
    return loop_->schedule(delay, std::move(task));
  }
  bool running_in_this_thread() const noexcept override { return loop_->in_loop_thread(); }
  int index() const noexcept override { return loop_->index(); }
  size_t load() const noexcept override { return static_cast<size_t>(std::max<int64_t>(loop_->load(), 0)); }
  void pin() noexcept override { loop_->add_load(1); }
  void unpin() noexcept override { loop_->add_load(-1); }

  Result<std::shared_ptr<WsConnection>> connect_websocket(const WsConnectOptions &options,
                                                          std::shared_ptr<WsHandler> handler) override;
  Result<std::shared_ptr<HttpStream>> start_http(HttpRequest request,
                                                 std::shared_ptr<HttpStreamHandler> handler) override;
  Status preconnect(std::string_view url) override;

  SlotLoop &loop() noexcept { return *loop_; }

 private:
  std::shared_ptr<SlotLoop> loop_;
};

}  // namespace voxline::detail
