// Internal: runs an owner callback on a slot thread. No lock is held and no exception crosses
// into libuv or libwebsockets (C libraries): a throwing handler is logged and the loop goes on.
#pragma once

#include <exception>

#include "net/net_context.hpp"

namespace voxline::detail {

template <typename Fn>
void deliver(NetContext &ctx, const char *what, Fn &&fn) noexcept {
  try {
    fn();
  } catch (const std::exception &e) {
    VOXLINE_LOG_ERROR(*ctx.logger, "net", "{} callback threw: {}", what, e.what());
  } catch (...) {
    VOXLINE_LOG_ERROR(*ctx.logger, "net", "{} callback threw a non-std exception", what);
  }
}

}  // namespace voxline::detail
