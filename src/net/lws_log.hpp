// Internal: routes libwebsockets' log lines to a Runtime's Logger. lws 4.1 has one process-wide
// log hook, so the most recently attached live logger receives them (default_logger() when none).
#pragma once

namespace voxline {
class Logger;
}

namespace voxline::detail {

// Any thread. attach at Runtime create, detach (the same pointer) at Runtime destroy, after its
// slot threads have been joined.
void lws_log_attach(Logger *logger);
void lws_log_detach(Logger *logger);

}  // namespace voxline::detail
