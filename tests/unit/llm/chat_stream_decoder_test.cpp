#include "voxline/llm/chat_stream_decoder.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "voxline/core/json.hpp"
#include "voxline/net/sse_parser.hpp"

using namespace voxline;

// Counts heap allocations while `g_counting` is set (this binary's operator new is replaced by
// malloc/free, which GCC's -Wmismatched-new-delete cannot see through once inlined).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
namespace {
thread_local bool g_counting = false;
thread_local size_t g_allocations = 0;
}  // namespace

void *operator new(size_t n) {
  if (g_counting) ++g_allocations;
  if (void *p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void *p) noexcept {
  std::free(p);
}
void operator delete(void *p, size_t) noexcept {
  std::free(p);
}

namespace {

const std::string kHead = R"({"id":"chatcmpl-9Kq3","object":"chat.completion.chunk","created":1741958460,)"
                          R"("model":"gpt-4o-2024-08-06","system_fingerprint":"fp_1","obfuscation":"x1y2",)";

std::string chunk(const std::string &delta, const std::string &finish = "null",
                  const std::string &usage = "null") {
  return kHead + R"("choices":[{"index":0,"delta":)" + delta + R"(,"logprobs":null,"finish_reason":)" +
         finish + R"(}],"usage":)" + usage + "}";
}
std::string content(const std::string &text) {
  return chunk(R"({"content":)" + json::quote(text) + "}");
}
std::string finish(const std::string &reason) {
  return chunk("{}", json::quote(reason));
}
const std::string kUsage =
    kHead + R"("choices":[],"usage":{"prompt_tokens":412,"completion_tokens":7,"total_tokens":419,)"
            R"("prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},)"
            R"("completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0}}})";

// One tool-call fragment; absent parts are left out of the JSON.
std::string fragment(std::optional<int> index, std::optional<std::string> id, std::optional<std::string> name,
                     std::optional<std::string> args) {
  std::string f = "{";
  auto add = [&f](const std::string &kv) { f += (f.size() > 1 ? "," : "") + kv; };
  if (index) add(R"("index":)" + std::to_string(*index));
  if (id) add(R"("id":)" + json::quote(*id) + R"(,"type":"function")");
  std::string fn;
  if (name) fn += R"("name":)" + json::quote(*name);
  if (args) fn += (fn.empty() ? "" : ",") + std::string(R"("arguments":)") + json::quote(*args);
  if (name || args) add(R"("function":{)" + fn + "}");
  return f + "}";
}
std::string tool_chunk(const std::vector<std::string> &fragments) {
  std::string list;
  for (const auto &f : fragments) list += (list.empty() ? "" : ",") + f;
  return chunk(R"({"tool_calls":[)" + list + "]}");
}

struct Decoded {
  Status feed;  // first feed error
  Status end;   // finish()
  ChatCompletion c;
  std::string streamed;  // the content deltas, concatenated
  size_t fragments = 0;
  int usage_chunks = 0;
};

Decoded decode(const std::vector<std::string> &payloads, ChatStreamDecoder *reuse = nullptr) {
  ChatStreamDecoder own;
  ChatStreamDecoder &dec = reuse != nullptr ? *reuse : own;
  Decoded d;
  ChatStreamDelta delta;
  for (const std::string &p : payloads) {
    d.feed = dec.feed(p, delta);
    if (!d.feed.ok()) break;
    d.streamed.append(delta.content.data(), delta.content.size());
    d.fragments += delta.tool_call_fragments;
    d.usage_chunks += delta.usage ? 1 : 0;
  }
  d.end = dec.finish();
  d.c = dec.completion();
  return d;
}

}  // namespace

TEST_CASE(
    "chat stream decoder streams a text answer, ignores usage null and unknown fields, and ends on the DONE "
    "marker") {
  const Decoded d = decode({chunk(R"({"role":"assistant","content":"","refusal":null})"), content("Friday"),
                            content(" at 9 works."), finish("stop"), kUsage, "[DONE]"});
  REQUIRE_MESSAGE(d.end.ok(), d.end.to_string());
  CHECK(d.streamed == "Friday at 9 works.");
  CHECK(d.c.content == "Friday at 9 works.");
  CHECK(d.c.id == "chatcmpl-9Kq3");
  CHECK(d.c.model == "gpt-4o-2024-08-06");
  CHECK(d.c.finish_reason == FinishReason::kStop);
  CHECK(d.usage_chunks == 1);  // the four "usage": null chunks are absent usage
  REQUIRE(d.c.usage);
  CHECK(*d.c.usage == Usage{412, 7, 419, 0, 0});
  CHECK(d.c.tool_calls.empty());
}

TEST_CASE("chat stream decoder reports each payload's delta") {
  ChatStreamDecoder dec;
  ChatStreamDelta d;
  REQUIRE(dec.feed(content("caf\xC3\xA9"), d).ok());
  CHECK(d.content == "caf\xC3\xA9");
  CHECK_FALSE(d.finished);
  REQUIRE(dec.feed(chunk(R"({"refusal":"I can't"})"), d).ok());
  CHECK(d.content.empty());
  CHECK(d.refusal == "I can't");
  REQUIRE(dec.feed(finish("content_filter"), d).ok());
  CHECK(d.finished);
  CHECK(dec.completion().finish_reason == FinishReason::kContentFilter);
  REQUIRE(dec.feed(kUsage, d).ok());
  CHECK(d.usage);
  REQUIRE(dec.feed(" [DONE]", d).ok());
  CHECK(d.done);
  CHECK(dec.done());
  CHECK(dec.finish().ok());
  CHECK(dec.completion().refusal == "I can't");
}

TEST_CASE(
    "chat stream decoder assembles arguments split mid UTF-8 escape and mid JSON escape over many "
    "fragments") {
  // The arguments text holds multibyte UTF-8, \" and \n escapes and a \u escape; it is cut into
  // 1..3 code point pieces, so pieces end inside escapes (a lone backslash, "\u00").
  const std::string args =
      "{\"note\":\"Caf\xC3\xA9 \xE2\x80\x93 \xF0\x9F\x9A\x97 say \\\"hi\\\"\\n\",\"alt\":\"\\u00e9\"}";
  std::vector<std::string> pieces;
  for (size_t i = 0, step = 1; i < args.size(); step = step % 3 + 1) {
    size_t end = i;
    for (size_t cp = 0; cp < step && end < args.size(); ++cp) {
      ++end;
      while (end < args.size() && (static_cast<unsigned char>(args[end]) & 0xC0) == 0x80) ++end;
    }
    pieces.push_back(args.substr(i, end - i));
    i = end;
  }
  REQUIRE(pieces.size() > 20);
  bool cut_in_escape = false;
  for (const auto &p : pieces)
    cut_in_escape = cut_in_escape || p.back() == '\\' || p == "\\u" || p.find("\\u0") == 0;
  CHECK(cut_in_escape);

  std::vector<std::string> payloads = {chunk(R"({"role":"assistant","content":null,"tool_calls":[)" +
                                             fragment(0, "call_Zr81dT", "save_note", "") + "]}")};
  for (const auto &p : pieces) payloads.push_back(tool_chunk({fragment(0, std::nullopt, std::nullopt, p)}));
  payloads.push_back(finish("tool_calls"));
  payloads.push_back("[DONE]");
  const Decoded d = decode(payloads);
  REQUIRE_MESSAGE(d.end.ok(), d.end.to_string());
  REQUIRE(d.c.tool_calls.size() == 1);
  const ReceivedToolCall &call = d.c.tool_calls[0];
  CHECK(call.id == "call_Zr81dT");
  CHECK(call.name == "save_note");
  CHECK(call.arguments == args);
  CHECK(call.arguments_error.empty());
  CHECK(d.fragments == pieces.size() + 1);
  auto parsed = json::parse(call.arguments);
  REQUIRE(parsed.ok());
  CHECK(json::view((*parsed)["note"]) == "Caf\xC3\xA9 \xE2\x80\x93 \xF0\x9F\x9A\x97 say \"hi\"\n");
  CHECK(json::view((*parsed)["alt"]) == "\xC3\xA9");
}

TEST_CASE("chat stream decoder gives the same answer when the SSE bytes arrive one at a time") {
  const std::string sse =
      "data: " + content("Caf\xC3\xA9 \xF0\x9F\x9A\x97") +
      "\r\n\r\n: keep-alive\n\ndata: " + tool_chunk({fragment(0, "call_1", "book", "{\"slot\":")}) +
      "\n\ndata: " + tool_chunk({fragment(0, std::nullopt, std::nullopt, "7}")}) +
      "\n\ndata: " + finish("tool_calls") + "\n\ndata: [DONE]\n\n";
  SseParser parser;
  std::vector<SseEvent> events;
  for (char c : sse) REQUIRE(parser.feed(std::string_view(&c, 1), events).ok());
  std::vector<std::string> payloads;
  for (const auto &e : events) payloads.push_back(e.data);
  const Decoded d = decode(payloads);
  REQUIRE_MESSAGE(d.end.ok(), d.end.to_string());
  CHECK(d.c.content == "Caf\xC3\xA9 \xF0\x9F\x9A\x97");
  REQUIRE(d.c.tool_calls.size() == 1);
  CHECK(d.c.tool_calls[0].arguments == R"({"slot":7})");
}

TEST_CASE("chat stream decoder keeps two parallel tool calls apart by index") {
  const Decoded d = decode({
      chunk(R"({"role":"assistant","content":null,"tool_calls":[)" +
            fragment(0, "call_Zr81dT", "check_availability", "") + "]}"),
      tool_chunk({fragment(0, std::nullopt, std::nullopt, R"({"date":"2025-)")}),
      tool_chunk({fragment(0, std::nullopt, std::nullopt, R"(03-21"})")}),
      tool_chunk({fragment(1, "call_Pm44cE", "find_vehicle", "")}),
      tool_chunk({fragment(1, std::nullopt, std::nullopt, R"({"customer_id":)")}),
      tool_chunk(
          {fragment(0, std::nullopt, std::nullopt, ""), fragment(1, std::nullopt, std::nullopt, "418}")}),
      finish("tool_calls"),
      "[DONE]",
  });
  REQUIRE_MESSAGE(d.end.ok(), d.end.to_string());
  REQUIRE(d.c.tool_calls.size() == 2);
  CHECK(static_cast<const ToolCall &>(d.c.tool_calls[0]) ==
        ToolCall{"call_Zr81dT", "check_availability", R"({"date":"2025-03-21"})"});
  CHECK(static_cast<const ToolCall &>(d.c.tool_calls[1]) ==
        ToolCall{"call_Pm44cE", "find_vehicle", R"({"customer_id":418})"});
  CHECK(d.c.finish_reason == FinishReason::kToolCalls);
}

TEST_CASE("chat stream decoder assembles calls from a server that omits the index") {
  const Decoded d = decode({
      tool_chunk({fragment(std::nullopt, "call_a", "find_customer", R"({"phone":)")}),
      tool_chunk({fragment(std::nullopt, std::nullopt, std::nullopt, R"("+15035550142"})")}),
      tool_chunk({fragment(std::nullopt, "call_b", "list_slots", R"({"day":"fri")")}),
      tool_chunk({fragment(std::nullopt, std::nullopt, std::nullopt, "}")}),
      // no id, no index, a new name after a complete call: the next call (id synthesised)
      tool_chunk({fragment(std::nullopt, std::nullopt, "hang_up", "")}),
      finish("tool_calls"),
      "[DONE]",
  });
  REQUIRE_MESSAGE(d.end.ok(), d.end.to_string());
  REQUIRE(d.c.tool_calls.size() == 3);
  CHECK(static_cast<const ToolCall &>(d.c.tool_calls[0]) ==
        ToolCall{"call_a", "find_customer", R"({"phone":"+15035550142"})"});
  CHECK(static_cast<const ToolCall &>(d.c.tool_calls[1]) ==
        ToolCall{"call_b", "list_slots", R"({"day":"fri"})"});
  CHECK(d.c.tool_calls[2].name == "hang_up");
  CHECK(d.c.tool_calls[2].arguments == "{}");
  CHECK(d.c.tool_calls[2].id_synthesized);
  CHECK(d.c.tool_calls[2].id.rfind("call_vx", 0) == 0);
}

TEST_CASE("chat stream decoder keeps whole calls apart when the server reuses index 0 for each") {
  const Decoded d = decode({
      tool_chunk({fragment(0, "call_1", "find_customer", R"({"phone":"+15035550142"})")}),
      tool_chunk({fragment(0, "call_2", "list_slots", R"({"day":"fri"})")}),
      chunk(
          R"({"tool_calls":[{"index":0,"id":"call_3","type":"function","function":{"name":"book","arguments":{"slot":7}}}]})"),
      finish("tool_calls"),
      "[DONE]",
  });
  REQUIRE_MESSAGE(d.end.ok(), d.end.to_string());
  REQUIRE(d.c.tool_calls.size() == 3);
  CHECK(d.c.tool_calls[0].name == "find_customer");
  CHECK(d.c.tool_calls[1].arguments == R"({"day":"fri"})");
  CHECK(d.c.tool_calls[2].arguments == R"({"slot":7})");  // object-valued arguments serialised
  for (const auto &c : d.c.tool_calls) CHECK(c.arguments_error.empty());
}

TEST_CASE("chat stream decoder gives a late id to the call its index opened and merges repeated ids") {
  const Decoded d = decode({
      tool_chunk({fragment(0, std::nullopt, "find_customer", "{")}),
      tool_chunk({fragment(0, "call_late", std::nullopt, "\"phone\":")}),
      tool_chunk({fragment(5, "call_late", std::nullopt, "\"1\"}")}),  // id wins over a stray index
      finish("tool_calls"),
      "[DONE]",
  });
  REQUIRE_MESSAGE(d.end.ok(), d.end.to_string());
  REQUIRE(d.c.tool_calls.size() == 1);
  CHECK(static_cast<const ToolCall &>(d.c.tool_calls[0]) ==
        ToolCall{"call_late", "find_customer", R"({"phone":"1"})"});
}

TEST_CASE("chat stream decoder marks arguments cut by finish_reason length as unusable, not a crash") {
  const Decoded d =
      decode({tool_chunk({fragment(0, "call_1", "book", R"({"note":"a long)")}), finish("length"), "[DONE]"});
  REQUIRE(d.end.ok());
  CHECK(d.c.finish_reason == FinishReason::kLength);
  REQUIRE(d.c.tool_calls.size() == 1);
  CHECK(d.c.tool_calls[0].arguments_error.find("not valid JSON") != std::string::npos);
}

TEST_CASE("chat stream decoder reports a stream without the DONE marker or finish_reason as truncated") {
  const auto truncated = [](const Decoded &d, bool saw_done, bool saw_finish) {
    REQUIRE(d.feed.ok());
    CHECK(d.end.code() == StatusCode::kProtocolError);
    CHECK(d.end.message().rfind("truncated chat stream", 0) == 0);
    const auto *t = d.end.detail_as<ChatStreamTruncated>();
    REQUIRE(t != nullptr);
    CHECK(t->saw_done == saw_done);
    CHECK(t->saw_finish_reason == saw_finish);
  };
  truncated(decode({content("Friday"), content(" at")}), false, false);
  truncated(decode({content("Friday"), finish("stop"), kUsage}), false, true);
  truncated(decode({content("Friday"), "[DONE]"}), true, false);
  truncated(decode({}), false, false);
  CHECK(decode({content("Friday"), finish("stop")}).end.message() ==
        "truncated chat stream: it ended without [DONE]");
}

TEST_CASE(
    "chat stream decoder refuses malformed JSON and mistyped fields with a clear error and stays failed") {
  for (const std::string &bad :
       {std::string(R"({"choices":[{"delta":{"content":"x"})"), std::string("not json"), std::string(""),
        std::string("[1,2]"), std::string("\"\xC3(\""), chunk(R"({"content":5})"), chunk(R"("text")"),
        chunk(R"({"tool_calls":{}})"), chunk(R"({"tool_calls":[{"index":-1}]})"),
        chunk(R"({"tool_calls":[{"index":0,"function":"f"}]})"), chunk("{}", "7"),
        kHead + R"("choices":{},"usage":null})", kHead + R"("choices":[],"usage":{"prompt_tokens":"many"}})",
        std::string(R"({"choices":[[1]]})")}) {
    ChatStreamDecoder dec;
    ChatStreamDelta d;
    REQUIRE(dec.feed(content("ok"), d).ok());
    const Status s = dec.feed(bad, d);
    CHECK_MESSAGE(s.code() == StatusCode::kProtocolError, bad);
    CHECK_FALSE(s.message().empty());
    CHECK(dec.feed(content("more"), d) == s);  // stays failed until reset()
    CHECK(dec.finish() == s);
    dec.reset();
    CHECK(dec.feed(content("fresh"), d).ok());
    CHECK(dec.completion().content == "fresh");
  }
  ChatStreamDecoder dec;
  ChatStreamDelta d;
  const Status s = dec.feed(R"({"choices":[{"delta":{"content":"x"})", d);
  CHECK(s.message().find("chat stream chunk: invalid JSON at offset") == 0);
  CHECK(dec.feed(chunk(R"({"content":5})"), d) == s);
}

TEST_CASE(
    "chat stream decoder refuses data after the DONE marker, text after finish_reason and runaway answers") {
  CHECK(decode({finish("stop"), "[DONE]", content("x")}).feed.message() ==
        "chat stream payload after [DONE]");
  CHECK(decode({finish("stop"), content("x")}).feed.message() == "chat stream text after finish_reason");
  CHECK(decode({finish("tool_calls"), tool_chunk({fragment(0, "c", "f", "{}")})}).feed.message() ==
        "chat stream tool call after finish_reason");
  ChatStreamDecoderOptions small;
  small.max_output_bytes = 10;
  small.max_tool_calls = 2;
  ChatStreamDecoder dec(small);
  CHECK(decode({content("12345"), content("678901")}, &dec).feed.message().find("exceeds 10 bytes") !=
        std::string::npos);
  dec.reset();
  CHECK(
      decode({tool_chunk({fragment(0, "a", "f", ""), fragment(1, "b", "f", ""), fragment(2, "c", "f", "")})},
             &dec)
          .feed.message()
          .find("more than 2 tool calls") != std::string::npos);
}

TEST_CASE("chat stream decoder turns an error object in the stream into that API error") {
  const Decoded d = decode(
      {content("Fri"),
       R"({"error":{"message":"The server had an error while processing your request.","type":"server_error","code":null}})"});
  CHECK(d.feed.code() == StatusCode::kUnavailable);
  CHECK(d.feed.message() ==
        "error in stream type=server_error: The server had an error while processing your request.");
  REQUIRE(d.feed.detail_as<LlmApiError>() != nullptr);
  CHECK(d.end == d.feed);
}

TEST_CASE("chat stream decoder turns an SSE event named error into an API error, JSON or not") {
  ChatStreamDecoder dec;
  ChatStreamDelta d;
  REQUIRE(dec.feed(content("Fri"), d).ok());
  const Status s = dec.feed(R"({"error":{"message":"overloaded","type":"server_error"}})", d, "error");
  CHECK(s.code() == StatusCode::kUnavailable);
  CHECK(s.message() == "error in stream type=server_error: overloaded");
  CHECK(dec.finish() == s);
  dec.reset();
  CHECK(dec.feed("upstream went away", d, "error").message() == "error in stream: upstream went away");
}

TEST_CASE("chat stream decoder ignores Azure's empty first chunk and other choices") {
  const Decoded d = decode({
      R"({"id":"","object":"","created":0,"model":"","choices":[],"prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}]})",
      kHead +
          R"("choices":[{"index":1,"delta":{"content":"other"}},{"index":0,"delta":{"content":"ours"},"content_filter_results":{}}]})",
      finish("stop"),
      "[DONE]",
  });
  REQUIRE(d.end.ok());
  CHECK(d.c.content == "ours");
  CHECK(d.c.id == "chatcmpl-9Kq3");
  CHECK_FALSE(d.c.usage);
}

TEST_CASE("chat stream decoder reset() forgets one stream so the next decodes from scratch") {
  ChatStreamDecoder dec;
  const Decoded first =
      decode({tool_chunk({fragment(0, "call_1", "book", "{}")}), finish("tool_calls"), "[DONE]"}, &dec);
  REQUIRE(first.end.ok());
  dec.reset();
  CHECK_FALSE(dec.done());
  CHECK(dec.finish().code() == StatusCode::kProtocolError);
  const Decoded second = decode({content("hello"), finish("stop"), "[DONE]"}, &dec);
  REQUIRE(second.end.ok());
  CHECK(second.c.tool_calls.empty());
  CHECK(second.c.content == "hello");
  const ChatCompletion taken = dec.take_completion();
  CHECK(taken.content == "hello");
}

TEST_CASE("chat stream decoder allocates nothing per chunk once its buffers are warm") {
  std::vector<std::string> payloads = {chunk(R"({"role":"assistant","content":"","refusal":null})")};
  for (int i = 0; i < 200; ++i) payloads.push_back(content(" token" + std::to_string(i)));
  payloads.push_back(finish("stop"));
  payloads.push_back(kUsage);
  payloads.push_back("[DONE]");
  ChatStreamDecoder dec;
  ChatStreamDelta d;
  g_allocations = 0;
  g_counting = true;
  bool warm = true;
  for (const auto &p : payloads) warm = warm && dec.feed(p, d).ok();  // grows the content buffer
  g_counting = false;
  REQUIRE(warm);
  CHECK(g_allocations > 0);  // the counter sees the decoder's allocations
  const std::string first = dec.completion().content;
  for (int round = 0; round < 3; ++round) {
    dec.reset();
    g_allocations = 0;
    g_counting = true;
    bool ok = true;
    for (const auto &p : payloads) ok = ok && dec.feed(p, d).ok();
    ok = ok && dec.finish().ok();
    g_counting = false;
    REQUIRE(ok);
    CHECK(g_allocations == 0);
    CHECK(dec.completion().content == first);
  }
}

TEST_CASE("chat stream decoder gives each recorded stream of the fuzz corpus the outcome its name says") {
  // <name>.txt: truncated_* end truncated; these feed errors; every other stream ends normally.
  const std::vector<std::string> feed_errors = {"malformed_json",  "mistyped_content", "error_in_stream",
                                                "data_after_done", "deep_nesting",     "error_event"};
  size_t files = 0;
  for (const auto &entry : std::filesystem::directory_iterator(VOXLINE_CHAT_STREAM_CORPUS_DIR)) {
    const std::string name = entry.path().stem().string();
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    SseParser parser;
    std::vector<SseEvent> events;
    REQUIRE(parser.feed(bytes, events).ok());
    Decoded d;
    ChatStreamDecoder dec;
    ChatStreamDelta delta;
    for (const auto &e : events)
      if (d.feed = dec.feed(e.data, delta, e.event); !d.feed.ok()) break;
    d.end = dec.finish();
    d.c = dec.completion();
    INFO(name);
    ++files;
    if (name.rfind("truncated_", 0) == 0) {
      CHECK(d.feed.ok());
      CHECK(d.end.detail_as<ChatStreamTruncated>() != nullptr);
    } else if (std::find(feed_errors.begin(), feed_errors.end(), name) != feed_errors.end()) {
      CHECK_FALSE(d.feed.ok());
    } else {
      CHECK_MESSAGE(d.end.ok(), d.end.to_string());
      for (const auto &call : d.c.tool_calls) CHECK_FALSE(call.id.empty());
    }
  }
  CHECK(files >= 15);
}
