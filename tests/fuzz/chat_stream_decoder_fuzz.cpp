// Fuzz target for ChatStreamDecoder: arbitrary bytes, read as an SSE stream whose data payloads
// go to the decoder, must never crash. The deltas must add up to the accumulated answer, a
// decoder reused after reset() must give the same answer as a fresh one, an error must stick and
// say why, and a stream finish() accepts must have [DONE], a finish_reason and complete tool
// calls (an id, arguments, and arguments_error empty exactly when the arguments are an object).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "voxline/core/json.hpp"
#include "voxline/llm/chat_stream_decoder.hpp"
#include "voxline/net/sse_parser.hpp"

namespace {

struct Run {
  voxline::Status feed;
  voxline::Status end;
  std::string content;
  std::string refusal;
};

Run run(voxline::ChatStreamDecoder &dec, const std::vector<voxline::SseEvent> &events) {
  Run r;
  voxline::ChatStreamDelta d;
  for (const voxline::SseEvent &e : events) {
    r.feed = dec.feed(e.data, d, e.event);
    if (!r.feed.ok()) break;
    r.content.append(d.content.data(), d.content.size());
    r.refusal.append(d.refusal.data(), d.refusal.size());
  }
  r.end = dec.finish();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char *>(data), size);
  voxline::SseParserOptions sse;
  sse.max_event_bytes = 1u << 16;
  voxline::SseParser parser(sse);
  std::vector<voxline::SseEvent> events;
  (void)parser.feed(bytes, events);  // events completed before an SSE error still count

  voxline::ChatStreamDecoderOptions options;
  options.max_output_bytes = 1u << 16;
  options.max_tool_calls = 16;
  options.parser_buffer_bytes = 256;  // small, so chunks also exercise the heap fallback
  voxline::ChatStreamDecoder fresh(options);
  const Run a = run(fresh, events);
  const voxline::ChatCompletion &c = fresh.completion();

  if (!a.feed.ok()) {
    if (a.feed.message().empty() || !(a.end == a.feed)) std::abort();  // the error says why and sticks
  } else {
    if (a.content != c.content || a.refusal != c.refusal) std::abort();  // deltas add up
  }
  if (a.end.ok()) {
    if (!fresh.done() || c.finish_reason == voxline::FinishReason::kNone) std::abort();
    for (const voxline::ReceivedToolCall &call : c.tool_calls) {
      if (call.id.empty() || call.arguments.empty()) std::abort();
      auto args = voxline::json::parse(call.arguments);
      const bool object = args.ok() && args->IsObject();
      if (object != call.arguments_error.empty()) std::abort();
    }
  } else if (a.feed.ok() && a.end.detail_as<voxline::ChatStreamTruncated>() == nullptr) {
    std::abort();  // an early end is always reported as truncated
  }

  // A decoder that decoded another stream first and was reset() gives the same answer.
  voxline::ChatStreamDecoder reused(options);
  voxline::ChatStreamDelta d;
  (void)reused.feed(
      R"({"choices":[{"index":0,"delta":{"content":"x","tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":"{"}}]}}]})",
      d);
  reused.reset();
  const Run b = run(reused, events);
  const voxline::ChatCompletion &c2 = reused.completion();
  if (!(a.feed == b.feed) || a.end.ok() != b.end.ok() || c.content != c2.content || c.refusal != c2.refusal ||
      c.finish_reason != c2.finish_reason || c.tool_calls.size() != c2.tool_calls.size())
    std::abort();
  for (size_t i = 0; i < c.tool_calls.size(); ++i) {
    const auto &x = c.tool_calls[i];
    const auto &y = c2.tool_calls[i];
    if (x.name != y.name || x.arguments != y.arguments || x.id_synthesized != y.id_synthesized ||
        (!x.id_synthesized && x.id != y.id))
      std::abort();
  }
  return 0;
}
