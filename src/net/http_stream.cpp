#include "voxline/net/http_stream.hpp"

namespace voxline {

RetryHints HttpCompletion::retry_hints(const Clock &clock) const {
  RetryHints h;
  h.first_byte_delivered = first_byte_delivered;
  h.server_delay = retry_after_from_headers(headers, clock);
  if (auto v = find_header(headers, "x-should-retry")) {
    if (*v == "true") h.server_should_retry = true;
    if (*v == "false") h.server_should_retry = false;
  }
  return h;
}

}  // namespace voxline
