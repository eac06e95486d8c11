// SlotImpl: what a Slot handle forwards to its SlotLoop.
#include "net/slot_impl.hpp"

#include "net/ws_conn.hpp"
#include "voxline/net/url.hpp"

namespace voxline::detail {

Result<std::shared_ptr<WsConnection>> SlotImpl::connect_websocket(const WsConnectOptions &options,
                                                                  std::shared_ptr<WsHandler> handler) {
  return ws_connect(loop_, options, std::move(handler));
}

Result<std::shared_ptr<HttpStream>> SlotImpl::start_http(HttpRequest request,
                                                         std::shared_ptr<HttpStreamHandler> handler) {
  if (loop_->closed()) return failed_precondition("the runtime serving this slot has stopped");
  // The engine pointer is set before start() returned and reset only after the thread joined.
  if (HttpEngine *engine = loop_->http_engine()) return engine->start(std::move(request), std::move(handler));
  return legacy_http_->start_stream(std::move(request), std::move(handler));
}

Status SlotImpl::preconnect(std::string_view url) {
  if (loop_->closed()) return failed_precondition("the runtime serving this slot has stopped");
  if (HttpEngine *engine = loop_->http_engine()) return engine->preconnect(url);
  VOXLINE_RETURN_IF_ERROR(parse_url(std::string(url)).status());
  return unsupported("preconnect needs the HTTP engine on the slot loop (not in this build yet)");
}

}  // namespace voxline::detail
