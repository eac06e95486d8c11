#include "voxline/llm/chat_response.hpp"

#include <random>

#include <fmt/format.h>
#include <rapidjson/reader.h>

#include "voxline/core/redactor.hpp"
#include "voxline/net/http_status.hpp"

namespace voxline {

namespace {

constexpr size_t kMaxErrorFieldBytes = 128;

Status bad_field(std::string_view field, const char *expected, const json::Value &got) {
  return protocol_error(
      fmt::format("chat completion field '{}' must be {}, got {}", field, expected, json::type_name(got)));
}

// A server's optional scalar as masked text: strings as they are, integers in decimal, other JSON
// serialised, null/absent "".
std::string scalar_text(const json::Value &obj, std::string_view key, size_t max_bytes) {
  const json::Value *v = json::find(obj, key);
  if (v == nullptr || v->IsNull()) return {};
  if (v->IsString()) return external_text(json::view(*v), max_bytes);
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  return external_text(json::to_string(*v), max_bytes);
}

// The fields are masked already; the code follows net's mapping of the HTTP status.
Status api_error_status(int http_status, std::shared_ptr<LlmApiError> e, std::string_view request_id) {
  e->http_status = http_status >= 400 && http_status <= 599 ? http_status : 0;
  e->request_id = external_text(request_id, kMaxErrorFieldBytes);
  const StatusCode code =
      e->http_status > 0 ? status_from_http(e->http_status).code() : StatusCode::kUnavailable;
  Status s(code, external_text(e->describe(), Status::kMaxExternalBytes));
  return s.with_detail(std::move(e));
}

int64_t int_or_zero(const json::Value &obj, std::string_view key) {
  const json::Value *v = json::find(obj, key);
  return v != nullptr && v->IsInt64() ? v->GetInt64() : 0;
}

// The text of a tool call's arguments: a string as sent, any other JSON (some servers send an
// object) serialised.
void set_arguments(const json::Value &args, std::string &out) {
  if (args.IsString())
    out.assign(args.GetString(), args.GetStringLength());
  else if (!args.IsNull())
    out = json::to_string(args);
}

Status parse_message_tool_calls(const json::Value &calls, ChatCompletion &c) {
  if (!calls.IsArray()) return bad_field("message.tool_calls", "an array", calls);
  for (rapidjson::SizeType i = 0; i < calls.Size(); ++i) {
    const json::Value &tc = calls[i];
    if (!tc.IsObject()) return bad_field("message.tool_calls[]", "an object", tc);
    ReceivedToolCall call;
    auto id = json::get_optional_string(tc, "id");
    if (!id.ok()) return bad_field("message.tool_calls[].id", "a string", tc["id"]);
    if (*id) call.id = std::string(**id);
    if (const json::Value *fn = json::find(tc, "function"); fn != nullptr && !fn->IsNull()) {
      if (!fn->IsObject()) return bad_field("message.tool_calls[].function", "an object", *fn);
      auto name = json::get_optional_string(*fn, "name");
      if (!name.ok()) return bad_field("message.tool_calls[].function.name", "a string", (*fn)["name"]);
      if (*name) call.name = std::string(**name);
      if (const json::Value *args = json::find(*fn, "arguments")) set_arguments(*args, call.arguments);
    }
    finish_tool_call(call);
    c.tool_calls.push_back(std::move(call));
  }
  return Status::Ok();
}

Status optional_text(const json::Value &obj, std::string_view key, std::string_view field, std::string &out) {
  const json::Value *v = json::find(obj, key);
  if (v == nullptr || v->IsNull()) return Status::Ok();
  if (!v->IsString()) return bad_field(field, "a string or null", *v);
  out.assign(v->GetString(), v->GetStringLength());
  return Status::Ok();
}

Status parse_completion(const json::Value &doc, ChatCompletion &c) {
  if (!doc.IsObject()) return protocol_error("chat completion is not a JSON object");
  VOXLINE_RETURN_IF_ERROR(optional_text(doc, "id", "id", c.id));
  VOXLINE_RETURN_IF_ERROR(optional_text(doc, "model", "model", c.model));
  if (const json::Value *u = json::find(doc, "usage"); u != nullptr && !u->IsNull()) {
    Usage usage;
    VOXLINE_RETURN_IF_ERROR(parse_usage(*u, usage));
    c.usage = usage;
  }
  const json::Value *choices = json::find(doc, "choices");
  if (choices == nullptr || !choices->IsArray())
    return protocol_error("chat completion has no 'choices' array");
  for (const json::Value &choice : choices->GetArray()) {
    if (!choice.IsObject()) return bad_field("choices[]", "an object", choice);
    if (int_or_zero(choice, "index") != 0) continue;  // n is 1: other choices are not ours
    const json::Value *msg = json::find(choice, "message");
    if (msg == nullptr || !msg->IsObject())
      return protocol_error("chat completion choice has no 'message' object");
    VOXLINE_RETURN_IF_ERROR(optional_text(*msg, "content", "message.content", c.content));
    VOXLINE_RETURN_IF_ERROR(optional_text(*msg, "refusal", "message.refusal", c.refusal));
    if (const json::Value *tc = json::find(*msg, "tool_calls"); tc != nullptr && !tc->IsNull())
      VOXLINE_RETURN_IF_ERROR(parse_message_tool_calls(*tc, c));
    VOXLINE_RETURN_IF_ERROR(optional_text(choice, "finish_reason", "finish_reason", c.finish_reason_text));
    c.finish_reason =
        c.finish_reason_text.empty() ? FinishReason::kNone : finish_reason_from(c.finish_reason_text);
    return Status::Ok();
  }
  return protocol_error("chat completion has no choice 0");
}

// Accepts any well-formed JSON without building a DOM.
struct Validator : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Validator> {};

}  // namespace

const char *finish_reason_name(FinishReason reason) noexcept {
  switch (reason) {
    case FinishReason::kNone: return "none";
    case FinishReason::kStop: return "stop";
    case FinishReason::kToolCalls: return "tool_calls";
    case FinishReason::kLength: return "length";
    case FinishReason::kContentFilter: return "content_filter";
    case FinishReason::kFunctionCall: return "function_call";
    case FinishReason::kOther: return "other";
  }
  return "other";
}

FinishReason finish_reason_from(std::string_view text) noexcept {
  if (text == "stop") return FinishReason::kStop;
  if (text == "tool_calls") return FinishReason::kToolCalls;
  if (text == "length") return FinishReason::kLength;
  if (text == "content_filter") return FinishReason::kContentFilter;
  if (text == "function_call") return FinishReason::kFunctionCall;
  return FinishReason::kOther;
}

Status parse_usage(const json::Value &u, Usage &out) {
  if (!u.IsObject()) return bad_field("usage", "an object or null", u);
  const struct {
    const json::Value *obj;
    const char *key;
    const char *field;
    int64_t *dst;
  } fields[] = {
      {&u, "prompt_tokens", "usage.prompt_tokens", &out.prompt_tokens},
      {&u, "completion_tokens", "usage.completion_tokens", &out.completion_tokens},
      {&u, "total_tokens", "usage.total_tokens", &out.total_tokens},
      {json::find(u, "prompt_tokens_details"), "cached_tokens", "usage.prompt_tokens_details.cached_tokens",
       &out.cached_tokens},
      {json::find(u, "completion_tokens_details"), "reasoning_tokens",
       "usage.completion_tokens_details.reasoning_tokens", &out.reasoning_tokens},
  };
  for (const auto &f : fields) {
    if (f.obj == nullptr || !f.obj->IsObject()) continue;  // details are optional (and may be null)
    const json::Value *v = json::find(*f.obj, f.key);
    if (v == nullptr || v->IsNull()) continue;
    if (!v->IsInt64() || v->GetInt64() < 0) return bad_field(f.field, "a non-negative integer", *v);
    *f.dst = v->GetInt64();
  }
  return Status::Ok();
}

void finish_tool_call(ReceivedToolCall &call) {
  if (call.id.empty()) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    call.id = fmt::format("call_vx{:016x}", rng());
    call.id_synthesized = true;
  }
  if (call.arguments.empty()) call.arguments = "{}";
  call.arguments_error.clear();
  const size_t first = call.arguments.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || call.arguments[first] != '{') {
    call.arguments_error = "tool call arguments are not a JSON object";
    return;
  }
  rapidjson::Reader reader;
  Validator handler;
  rapidjson::StringStream in(call.arguments.c_str());
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag |
                              rapidjson::kParseStopWhenDoneFlag;
  const rapidjson::ParseResult r = reader.Parse<kFlags>(in, handler);
  if (r.IsError()) {
    call.arguments_error = fmt::format("tool call arguments are not valid JSON (offset {})", r.Offset());
    return;
  }
  if (call.arguments.find_first_not_of(" \t\r\n", in.Tell()) != std::string::npos)
    call.arguments_error = "tool call arguments have bytes after the JSON object";
}

std::string LlmApiError::describe() const {
  std::string s = http_status > 0 ? fmt::format("HTTP {}", http_status) : std::string("error in stream");
  if (!type.empty()) s += " type=" + type;
  if (!code.empty()) s += " code=" + code;
  if (!param.empty()) s += " param=" + param;
  if (!request_id.empty()) s += " request_id=" + request_id;
  return s + ": " + (message.empty() ? std::string("(no message)") : message);
}

Status status_from_error_value(int http_status, const json::Value &error, std::string_view request_id) {
  auto e = std::make_shared<LlmApiError>();
  if (error.IsString()) {  // {"error": "model not found"} (Ollama)
    e->message = external_text(json::view(error), Status::kMaxExternalBytes);
  } else if (error.IsObject()) {
    e->type = scalar_text(error, "type", kMaxErrorFieldBytes);
    e->code = scalar_text(error, "code", kMaxErrorFieldBytes);
    e->param = scalar_text(error, "param", kMaxErrorFieldBytes);
    e->message = scalar_text(error, "message", Status::kMaxExternalBytes);
  } else {
    e->message = external_text(json::to_string(error), Status::kMaxExternalBytes);
  }
  return api_error_status(http_status, std::move(e), request_id);
}

Status status_from_error_body(int http_status, std::string_view body, std::string_view request_id) {
  auto doc = json::parse(body, json::ParseLimits{1u << 20, 32});
  if (doc.ok() && doc->IsObject()) {
    if (const json::Value *err = json::find(*doc, "error"); err != nullptr && !err->IsNull())
      return status_from_error_value(http_status, *err, request_id);
    if (json::find(*doc, "message") != nullptr) return status_from_error_value(http_status, *doc, request_id);
  }
  auto e = std::make_shared<LlmApiError>();  // not a JSON error (a proxy's HTML page): the body says it
  e->message = external_text(body, Status::kMaxExternalBytes);
  return api_error_status(http_status, std::move(e), request_id);
}

Result<ChatCompletion> parse_chat_completion(std::string_view body) {
  auto doc = json::parse(body);
  if (!doc.ok()) return protocol_error("chat completion: " + doc.status().message());
  if (const json::Value *err = json::find(*doc, "error"); err != nullptr && !err->IsNull())
    return status_from_error_value(200, *err, {});
  ChatCompletion c;
  VOXLINE_RETURN_IF_ERROR(parse_completion(*doc, c));
  return c;
}

}  // namespace voxline
