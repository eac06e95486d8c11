// Fuzz target for SseParser: arbitrary bytes, fed whole and again split at a point chosen by the
// input, must never crash, must stay within the event size limit, and must give the same events.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "voxline/net/sse_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char *>(data), size);
  voxline::SseParserOptions options;
  options.max_event_bytes = 4096;

  voxline::SseParser whole(options);
  std::vector<voxline::SseEvent> a;
  const voxline::Status sa = whole.feed(bytes, a);

  const size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  voxline::SseParser split(options);
  std::vector<voxline::SseEvent> b;
  voxline::Status sb = split.feed(bytes.substr(0, cut), b);
  if (sb.ok()) sb = split.feed(bytes.substr(cut), b);

  for (const auto &e : a)
    if (e.data.size() > options.max_event_bytes) std::abort();
  // Without an error both ways must agree event for event.
  if (sa.ok() != sb.ok()) std::abort();
  if (sa.ok() && !(a == b)) std::abort();
  return 0;
}
