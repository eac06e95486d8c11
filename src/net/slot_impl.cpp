// SlotImpl: what a Slot handle forwards to its SlotLoop.
#include "net/slot_impl.hpp"

#include "net/ws_conn.hpp"

namespace voxline::detail {

Result<std::shared_ptr<WsConnection>> SlotImpl::connect_websocket(const WsConnectOptions &options,
                                                                  std::shared_ptr<WsHandler> handler) {
  return ws_connect(loop_, options, std::move(handler));
}

Result<std::shared_ptr<HttpStream>> SlotImpl::start_http(HttpRequest request,
                                                         std::shared_ptr<HttpStreamHandler> handler) {
  if (loop_->closed()) return failed_precondition("the runtime serving this slot has stopped");
  // The engine is set before SlotLoop::start() returned and destroyed only by ~SlotLoop (this
  // handle keeps the loop); after its shutdown it refuses with FAILED_PRECONDITION itself.
  HttpEngine *engine = loop_->http_engine();
  if (engine == nullptr) return failed_precondition("this slot has no HTTP engine");
  return engine->start(std::move(request), std::move(handler));
}

Status SlotImpl::preconnect(std::string_view url) {
  if (loop_->closed()) return failed_precondition("the runtime serving this slot has stopped");
  HttpEngine *engine = loop_->http_engine();
  if (engine == nullptr) return failed_precondition("this slot has no HTTP engine");
  return engine->preconnect(url);
}

}  // namespace voxline::detail
