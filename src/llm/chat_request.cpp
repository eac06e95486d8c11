#include "voxline/llm/chat_request.hpp"

#include <cmath>
#include <unordered_set>

#include <fmt/format.h>
#include <rapidjson/writer.h>

#include "voxline/core/json.hpp"
#include "voxline/core/strings.hpp"
#include "voxline/net/url.hpp"

namespace voxline {

namespace {

// RapidJSON output stream appending to a std::string, so the body is written in place.
struct StringOut {
  using Ch = char;
  std::string *s;
  void Put(char c) { s->push_back(c); }
  void Flush() {}
};
// Validates UTF-8 as it writes: a string that is not valid UTF-8 clears utf8_ok (the server would
// refuse the body).
struct Writer : rapidjson::Writer<StringOut, rapidjson::UTF8<>, rapidjson::UTF8<>, rapidjson::CrtAllocator,
                                  rapidjson::kWriteValidateEncodingFlag> {
  using rapidjson::Writer<StringOut, rapidjson::UTF8<>, rapidjson::UTF8<>, rapidjson::CrtAllocator,
                          rapidjson::kWriteValidateEncodingFlag>::Writer;
  bool utf8_ok = true;
};

void key(Writer &w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}
void str(Writer &w, std::string_view v) {
  if (!w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()))) w.utf8_ok = false;
}

void optional_text(Writer &w, std::string_view k, std::string_view v) {
  if (v.empty()) return;
  key(w, k);
  str(w, v);
}
void optional_bool(Writer &w, std::string_view k, const std::optional<bool> &v) {
  if (!v) return;
  key(w, k);
  w.Bool(*v);
}
// Opens {"type":"function","function":{ ; the caller closes both objects.
void open_function(Writer &w) {
  w.StartObject();
  key(w, "type");
  w.String("function");
  key(w, "function");
  w.StartObject();
}

bool valid_function_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  return true;
}

// Writes a JSON Schema given as text, compacted; INVALID_ARGUMENT naming `what` unless an object.
Status write_schema(Writer &w, std::string_view text, const std::string &what) {
  auto doc = json::parse(text);
  if (!doc.ok()) return doc.status().with_context(what);
  if (!doc->IsObject())
    return invalid_argument(what + " must be a JSON object, got " + json::type_name(*doc));
  doc->Accept(w);
  return Status::Ok();
}

// Every tool call of an assistant message is answered by exactly one tool message before the
// next non-tool message, and every tool message answers a pending call.
Status check_tool_pairs(const std::vector<ChatMessage> &messages) {
  std::unordered_set<std::string_view> pending;
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage &m = messages[i];
    if (m.role == ChatRole::kTool) {
      if (pending.erase(m.tool_call_id) == 0)
        return invalid_argument(
            fmt::format("messages[{}]: tool message answers no pending tool call '{}'", i, m.tool_call_id));
      continue;
    }
    if (!pending.empty())
      return invalid_argument(
          fmt::format("messages[{}]: tool call '{}' has no tool message before it", i, *pending.begin()));
    for (const ToolCall &c : m.tool_calls)
      if (!pending.insert(c.id).second)
        return invalid_argument(fmt::format("messages[{}]: duplicate tool call id '{}'", i, c.id));
  }
  if (!pending.empty())
    return invalid_argument(fmt::format("tool call '{}' has no tool message", *pending.begin()));
  return Status::Ok();
}

Status write_message(Writer &w, const ChatMessage &m, size_t i) {
  const std::string at = fmt::format("messages[{}]", i);
  const bool assistant = m.role == ChatRole::kAssistant;
  if (!m.tool_calls.empty() && !assistant)
    return invalid_argument(at + ": only assistant messages carry tool_calls");
  if (m.role == ChatRole::kTool && m.tool_call_id.empty())
    return invalid_argument(at + ": tool message without tool_call_id");
  if (m.role != ChatRole::kTool && !m.tool_call_id.empty())
    return invalid_argument(at + ": tool_call_id on a non-tool message");
  if (!m.content && !(assistant && !m.tool_calls.empty()))
    return invalid_argument(at + ": content may be null only on an assistant message with tool_calls");
  if (!m.name.empty() && m.role == ChatRole::kTool)
    return invalid_argument(at + ": tool messages take no name");
  w.StartObject();
  key(w, "role");
  w.String(chat_role_name(m.role));
  key(w, "content");
  if (m.content)
    str(w, *m.content);
  else
    w.Null();
  optional_text(w, "name", m.name);
  if (m.role == ChatRole::kTool) {
    key(w, "tool_call_id");
    str(w, m.tool_call_id);
  }
  if (!m.tool_calls.empty()) {
    key(w, "tool_calls");
    w.StartArray();
    for (size_t j = 0; j < m.tool_calls.size(); ++j) {
      const ToolCall &c = m.tool_calls[j];
      if (c.id.empty()) return invalid_argument(fmt::format("{}.tool_calls[{}]: empty id", at, j));
      if (!valid_function_name(c.name))
        return invalid_argument(fmt::format("{}.tool_calls[{}]: invalid function name '{}'", at, j, c.name));
      w.StartObject();
      key(w, "id");
      str(w, c.id);
      key(w, "type");
      w.String("function");
      key(w, "function");
      w.StartObject();  // the id comes before "type", so open_function() does not fit
      key(w, "name");
      str(w, c.name);
      key(w, "arguments");
      str(w, c.arguments);
      w.EndObject();
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  return Status::Ok();
}

Status write_tool(Writer &w, const ToolDefinition &t, size_t i) {
  const std::string at = fmt::format("tools[{}]", i);
  if (!valid_function_name(t.name))
    return invalid_argument(
        fmt::format("{}: invalid function name '{}' (want [a-zA-Z0-9_-], 1..64)", at, t.name));
  open_function(w);
  key(w, "name");
  str(w, t.name);
  optional_text(w, "description", t.description);
  if (!t.parameters_json.empty()) {
    key(w, "parameters");
    VOXLINE_RETURN_IF_ERROR(write_schema(w, t.parameters_json, at + ".parameters"));
  }
  optional_bool(w, "strict", t.strict);
  w.EndObject();
  w.EndObject();
  return Status::Ok();
}

Status write_tool_choice(Writer &w, const ChatRequest &r) {
  const ToolChoice &tc = r.tool_choice;
  if (tc.kind == ToolChoice::Kind::kUnset) return Status::Ok();
  if (tc.kind != ToolChoice::Kind::kNone && r.tools.empty())
    return invalid_argument("tool_choice other than none needs tools");
  key(w, "tool_choice");
  switch (tc.kind) {
    case ToolChoice::Kind::kNone: w.String("none"); break;
    case ToolChoice::Kind::kAuto: w.String("auto"); break;
    case ToolChoice::Kind::kRequired: w.String("required"); break;
    case ToolChoice::Kind::kFunction: {
      bool known = false;
      for (const ToolDefinition &t : r.tools) known = known || t.name == tc.function;
      if (!known)
        return invalid_argument("tool_choice names function '" + tc.function + "' that is not in tools");
      open_function(w);
      key(w, "name");
      str(w, tc.function);
      w.EndObject();
      w.EndObject();
      break;
    }
    case ToolChoice::Kind::kUnset: break;
  }
  return Status::Ok();
}

Status write_response_format(Writer &w, const ResponseFormat &f) {
  if (f.kind == ResponseFormat::Kind::kUnset) return Status::Ok();
  if (f.kind != ResponseFormat::Kind::kJsonSchema &&
      (f.strict || !f.schema_json.empty() || !f.schema_name.empty()))
    return invalid_argument("response_format: schema fields need kind json_schema");
  key(w, "response_format");
  w.StartObject();
  key(w, "type");
  if (f.kind == ResponseFormat::Kind::kText) {
    w.String("text");
  } else if (f.kind == ResponseFormat::Kind::kJsonObject) {
    w.String("json_object");
  } else {
    if (!valid_function_name(f.schema_name))
      return invalid_argument("response_format: invalid json_schema name '" + f.schema_name + "'");
    w.String("json_schema");
    key(w, "json_schema");
    w.StartObject();
    key(w, "name");
    str(w, f.schema_name);
    key(w, "schema");
    VOXLINE_RETURN_IF_ERROR(write_schema(w, f.schema_json, "response_format.json_schema.schema"));
    optional_bool(w, "strict", f.strict);
    w.EndObject();
  }
  w.EndObject();
  return Status::Ok();
}

}  // namespace

const char *chat_role_name(ChatRole role) noexcept {
  switch (role) {
    case ChatRole::kSystem: return "system";
    case ChatRole::kDeveloper: return "developer";
    case ChatRole::kUser: return "user";
    case ChatRole::kAssistant: return "assistant";
    case ChatRole::kTool: return "tool";
  }
  return "user";
}

ChatMessage ChatMessage::system(std::string text) {
  return {ChatRole::kSystem, std::move(text), {}, {}, {}};
}
ChatMessage ChatMessage::developer(std::string text) {
  return {ChatRole::kDeveloper, std::move(text), {}, {}, {}};
}
ChatMessage ChatMessage::user(std::string text) {
  return {ChatRole::kUser, std::move(text), {}, {}, {}};
}
ChatMessage ChatMessage::assistant(std::string text) {
  return {ChatRole::kAssistant, std::move(text), {}, {}, {}};
}
ChatMessage ChatMessage::assistant_tool_calls(std::vector<ToolCall> calls, std::optional<std::string> text) {
  return {ChatRole::kAssistant, std::move(text), {}, std::move(calls), {}};
}
ChatMessage ChatMessage::tool(std::string tool_call_id, std::string result) {
  return {ChatRole::kTool, std::move(result), {}, {}, std::move(tool_call_id)};
}

Status render_chat_request(const ChatRequest &r, std::string &out, const ChatRenderOptions &opt) {
  if (r.model.empty()) return invalid_argument("model is empty");
  if (r.messages.empty()) return invalid_argument("messages is empty");
  if (r.include_usage && !r.stream) return invalid_argument("include_usage needs stream");
  if (r.temperature && !(*r.temperature >= 0.0 && *r.temperature <= 2.0))
    return invalid_argument(fmt::format("temperature {} is outside 0..2", *r.temperature));
  if (r.max_completion_tokens && *r.max_completion_tokens <= 0)
    return invalid_argument(
        fmt::format("max_completion_tokens {} must be positive", *r.max_completion_tokens));
  if (r.parallel_tool_calls && r.tools.empty()) return invalid_argument("parallel_tool_calls needs tools");
  VOXLINE_RETURN_IF_ERROR(check_tool_pairs(r.messages));

  out.clear();
  StringOut sink{&out};
  Writer w(sink);
  w.StartObject();
  key(w, "model");
  str(w, r.model);
  if (r.stream) {
    key(w, "stream");
    w.Bool(true);
    if (r.include_usage && opt.send_stream_options) {
      key(w, "stream_options");
      w.StartObject();
      key(w, "include_usage");
      w.Bool(true);
      w.EndObject();
    }
  }
  if (r.temperature) {
    key(w, "temperature");
    w.Double(*r.temperature);
  }
  if (r.max_completion_tokens) {
    key(w, opt.legacy_max_tokens ? "max_tokens" : "max_completion_tokens");
    w.Int64(*r.max_completion_tokens);
  }
  if (opt.send_parallel_tool_calls) optional_bool(w, "parallel_tool_calls", r.parallel_tool_calls);
  VOXLINE_RETURN_IF_ERROR(write_tool_choice(w, r));
  VOXLINE_RETURN_IF_ERROR(write_response_format(w, r.response_format));
  if (r.seed) {
    key(w, "seed");
    w.Int64(*r.seed);
  }
  optional_text(w, "user", r.user);
  key(w, "messages");
  w.StartArray();
  for (size_t i = 0; i < r.messages.size(); ++i) VOXLINE_RETURN_IF_ERROR(write_message(w, r.messages[i], i));
  w.EndArray();
  if (!r.tools.empty()) {
    key(w, "tools");
    w.StartArray();
    for (size_t i = 0; i < r.tools.size(); ++i) VOXLINE_RETURN_IF_ERROR(write_tool(w, r.tools[i], i));
    w.EndArray();
  }
  w.EndObject();
  if (!w.utf8_ok) return invalid_argument("the request holds a string that is not valid UTF-8");
  return Status::Ok();
}

}  // namespace voxline
