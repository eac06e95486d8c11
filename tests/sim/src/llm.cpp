// Simulated OpenAI chat completions: request validation (400s shaped like OpenAI's), reply
// selection by scenario rules, and the streamed / non-streamed response bodies.
#include "sim/src/llm.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "voxline/core/json.hpp"
#include "voxline/tokenizer/chat_tokens.hpp"

namespace voxline::sim::detail {
namespace {

using json::Value;

struct Message {
  std::string role;
  std::string content;  // text parts joined
};

struct ParsedRequest {
  std::string model;
  bool stream = false;
  bool include_usage = false;
  std::vector<Message> messages;
  std::vector<std::string> tool_names;
  size_t prompt_chars = 0;
  std::optional<int64_t> prompt_tokens;  // counted as the API counts them, when the tokenizer can
  int64_t max_tokens = 0;                // max_completion_tokens or max_tokens; 0 = none
};

// Prompt tokens the way OpenAI's usage reports them (the cookbook's chat accounting over the
// request's messages and tools, with the model's tokenizer; gpt-4o's for a model it does not
// know). nullopt when the request has parts the accounting does not model (the caller then falls
// back to an estimate).
std::optional<int64_t> api_prompt_tokens(const json::Document &doc, const std::string &model) {
  static auto gpt4o = tokenizer::ChatTokenCounter::for_model("gpt-4o");
  auto own = tokenizer::ChatTokenCounter::for_model(model);
  tokenizer::ChatTokenCounter *counter = own.ok() ? own->get() : gpt4o.ok() ? gpt4o->get() : nullptr;
  const json::Value *messages = json::find(doc, "messages");
  if (counter == nullptr || messages == nullptr) return std::nullopt;
  auto msgs = tokenizer::chat_messages_from_json(*messages);
  if (!msgs.ok()) return std::nullopt;
  std::vector<tokenizer::ToolDefinition> tools;
  if (const json::Value *t = json::find(doc, "tools"); t != nullptr) {
    auto parsed = tokenizer::tool_definitions_from_json(*t);
    if (!parsed.ok()) return std::nullopt;
    tools = std::move(*parsed);
  }
  return counter->count_prompt(*msgs, tools);
}

HttpPlan bad_request(std::string_view message, std::string_view param = {}, std::string_view code = {}) {
  return fixed_response(400, openai_error_body(message, "invalid_request_error", code, param));
}

std::string content_text(const Value &c) {
  if (c.IsString()) return std::string(json::view(c));
  std::string out;
  if (c.IsArray()) {
    for (const auto &part : c.GetArray()) {
      const Value *t = json::find(part, "text");
      if (t != nullptr && t->IsString()) out += json::view(*t);
    }
  }
  return out;
}

// Returns an error plan when the request is invalid, otherwise fills `req`.
std::optional<HttpPlan> parse_request(std::string_view body, const LlmScript &script, ParsedRequest &req) {
  auto parsed = json::parse(body);
  if (!parsed.ok())
    return bad_request(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
        "HTTP "
        "library correctly. The OpenAI API expects a JSON payload.) " +
        parsed.status().message());
  const json::Document &doc = *parsed;
  if (!doc.IsObject()) return bad_request("The request body must be a JSON object.");
  const Value *model = json::find(doc, "model");
  if (model == nullptr || !model->IsString() || model->GetStringLength() == 0)
    return bad_request("you must provide a model parameter", "model");
  req.model = std::string(json::view(*model));
  if (const Value *s = json::find(doc, "stream"); s != nullptr && !s->IsNull()) {
    if (!s->IsBool()) return bad_request("'stream' must be a boolean", "stream");
    req.stream = s->GetBool();
  }
  if (const Value *so = json::find(doc, "stream_options"); so != nullptr && !so->IsNull()) {
    if (!req.stream)
      return bad_request("The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                         "stream_options", "invalid_value");
    if (!so->IsObject()) return bad_request("'stream_options' must be an object", "stream_options");
    if (const Value *iu = json::find(*so, "include_usage"); iu != nullptr) {
      if (!iu->IsBool())
        return bad_request("'include_usage' must be a boolean", "stream_options.include_usage");
      req.include_usage = iu->GetBool();
    }
  }
  for (const char *key : {"max_completion_tokens", "max_tokens"}) {
    if (const Value *m = json::find(doc, key); m != nullptr && !m->IsNull()) {
      if (!m->IsInt64() || m->GetInt64() < 1)
        return bad_request(
            fmt::format("Invalid '{}': integer below minimum value. Expected a value >= 1.", key), key,
            "integer_below_min_value");
      req.max_tokens = m->GetInt64();
    }
  }
  if (const Value *t = json::find(doc, "temperature"); t != nullptr && !t->IsNull()) {
    if (!t->IsNumber() || t->GetDouble() < 0.0 || t->GetDouble() > 2.0)
      return bad_request("Invalid 'temperature': expected a number between 0 and 2.", "temperature",
                         "decimal_above_max_value");
  }
  if (const Value *n = json::find(doc, "n"); n != nullptr && !n->IsNull()) {
    if (!n->IsInt() || n->GetInt() != 1) return bad_request("voxline-sim supports only n=1", "n");
  }
  if (const Value *tools = json::find(doc, "tools"); tools != nullptr && !tools->IsNull()) {
    if (!tools->IsArray()) return bad_request("'tools' must be an array", "tools");
    static const std::regex kName("^[a-zA-Z0-9_-]{1,64}$");
    for (rapidjson::SizeType i = 0; i < tools->Size(); ++i) {
      const Value &t = (*tools)[i];
      std::string param = fmt::format("tools[{}]", i);
      const Value *type = json::find(t, "type");
      if (type == nullptr || !type->IsString() || json::view(*type) != "function")
        return bad_request("Invalid value for 'type': expected 'function'.", param + ".type",
                           "invalid_value");
      const Value *fn = json::find(t, "function");
      const Value *name = fn != nullptr ? json::find(*fn, "name") : nullptr;
      if (name == nullptr || !name->IsString())
        return bad_request("Missing required parameter: 'function.name'.", param + ".function.name",
                           "missing_required_parameter");
      std::string nm(json::view(*name));
      if (!std::regex_match(nm, kName))
        return bad_request("Invalid 'function.name': string does not match pattern '^[a-zA-Z0-9_-]+$'.",
                           param + ".function.name", "invalid_value");
      if (const Value *params = json::find(*fn, "parameters"); params != nullptr && !params->IsObject())
        return bad_request("Invalid schema for function: parameters must be an object.",
                           param + ".function.parameters", "invalid_function_parameters");
      req.tool_names.push_back(nm);
    }
  }
  const Value *messages = json::find(doc, "messages");
  if (messages == nullptr) return bad_request("Missing required parameter: 'messages'.", "messages");
  if (!messages->IsArray() || messages->Empty())
    return bad_request("Invalid 'messages': expected a non-empty array.", "messages", "invalid_value");
  std::set<std::string> open_calls;  // assistant tool_call ids not yet answered
  std::set<std::string> all_calls;
  for (rapidjson::SizeType i = 0; i < messages->Size(); ++i) {
    const Value &m = (*messages)[i];
    std::string param = fmt::format("messages[{}]", i);
    if (!m.IsObject()) return bad_request("Invalid message: expected an object.", param);
    const Value *role = json::find(m, "role");
    if (role == nullptr || !role->IsString())
      return bad_request("Missing required parameter: 'role'.", param + ".role");
    Message msg;
    msg.role = std::string(json::view(*role));
    if (msg.role != "system" && msg.role != "developer" && msg.role != "user" && msg.role != "assistant" &&
        msg.role != "tool")
      return bad_request(
          fmt::format("Invalid value: '{}'. Supported values are: 'system', 'assistant', 'user', "
                      "'tool', and 'developer'.",
                      msg.role),
          param + ".role", "invalid_value");
    const Value *content = json::find(m, "content");
    const Value *tool_calls = json::find(m, "tool_calls");
    bool has_calls = tool_calls != nullptr && tool_calls->IsArray() && !tool_calls->Empty();
    if (content == nullptr || content->IsNull()) {
      if (!(msg.role == "assistant" && has_calls))
        return bad_request(fmt::format("Invalid value for 'content': expected a string, got null."),
                           param + ".content", "invalid_type");
    } else if (!content->IsString() && !content->IsArray()) {
      return bad_request("Invalid type for 'content': expected a string or an array.", param + ".content",
                         "invalid_type");
    } else {
      msg.content = content_text(*content);
    }
    if (msg.role != "tool" && script.validate_tool_pairs && !open_calls.empty())
      return bad_request(
          fmt::format(
              "An assistant message with 'tool_calls' must be followed by tool messages responding to "
              "each 'tool_call_id'. The following tool_call_ids did not have response messages: {}",
              *open_calls.begin()),
          param + ".role", "");
    if (msg.role == "assistant" && tool_calls != nullptr && !tool_calls->IsNull()) {
      if (!tool_calls->IsArray()) return bad_request("'tool_calls' must be an array", param + ".tool_calls");
      for (rapidjson::SizeType k = 0; k < tool_calls->Size(); ++k) {
        const Value &tc = (*tool_calls)[k];
        std::string tparam = fmt::format("{}.tool_calls[{}]", param, k);
        const Value *id = json::find(tc, "id");
        const Value *fn = json::find(tc, "function");
        const Value *name = fn != nullptr ? json::find(*fn, "name") : nullptr;
        const Value *args = fn != nullptr ? json::find(*fn, "arguments") : nullptr;
        if (id == nullptr || !id->IsString())
          return bad_request("Missing required parameter: 'id'.", tparam + ".id");
        if (name == nullptr || !name->IsString())
          return bad_request("Missing required parameter: 'function.name'.", tparam + ".function.name");
        if (args == nullptr || !args->IsString())
          return bad_request("Invalid type for 'function.arguments': expected a string.",
                             tparam + ".function.arguments", "invalid_type");
        open_calls.insert(std::string(json::view(*id)));
        all_calls.insert(std::string(json::view(*id)));
        msg.content += json::view(*args);
      }
    }
    if (msg.role == "tool") {
      const Value *id = json::find(m, "tool_call_id");
      if (id == nullptr || !id->IsString())
        return bad_request("Missing required parameter: 'tool_call_id'.", param + ".tool_call_id");
      std::string tid(json::view(*id));
      if (script.validate_tool_pairs) {
        if (all_calls.count(tid) == 0 || open_calls.count(tid) == 0)
          return bad_request(
              "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with "
              "'tool_calls'.",
              param + ".role", "");
        open_calls.erase(tid);
      }
    }
    req.prompt_chars += msg.content.size() + 16;
    req.messages.push_back(std::move(msg));
  }
  req.prompt_tokens = api_prompt_tokens(doc, req.model);
  return std::nullopt;
}

bool matches(const LlmWhen &w, const ParsedRequest &req, int64_t request_index) {
  const Message &last = req.messages.back();
  if (w.last_role && *w.last_role != last.role) return false;
  if (w.last_content_contains && last.content.find(*w.last_content_contains) == std::string::npos)
    return false;
  if (w.any_content_contains) {
    bool any = std::any_of(req.messages.begin(), req.messages.end(), [&](const Message &m) {
      return m.content.find(*w.any_content_contains) != std::string::npos;
    });
    if (!any) return false;
  }
  if (w.model && *w.model != req.model) return false;
  if (w.has_tools && *w.has_tools != !req.tool_names.empty()) return false;
  if (w.stream && *w.stream != req.stream) return false;
  if (w.request_index && *w.request_index != request_index) return false;
  return true;
}

struct Usage {
  int64_t prompt = 0, completion = 0;
};

std::string usage_json(const Usage &u) {
  return fmt::format(
      R"({{"prompt_tokens":{},"completion_tokens":{},"total_tokens":{},"prompt_tokens_details":{{"cached_tokens":0,"audio_tokens":0}},"completion_tokens_details":{{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}})",
      u.prompt, u.completion, u.prompt + u.completion);
}

}  // namespace

std::vector<std::string> split_tokens(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && text[j] == ' ') ++j;  // leading spaces belong to the token
    while (j < text.size() && text[j] != ' ') ++j;
    out.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

std::vector<std::string> split_fragments(std::string_view text, int64_t max_chars) {
  std::vector<std::string> out;
  size_t i = 0;
  int64_t k = 0;
  while (i < text.size()) {
    int64_t want = max_chars <= 1 ? 1 : 1 + (k * 7 + 3) % max_chars;  // varying sizes 1..max
    size_t j = i;
    for (int64_t c = 0; c < want && j < text.size(); ++c) {
      ++j;
      while (j < text.size() && (static_cast<unsigned char>(text[j]) & 0xC0) == 0x80)
        ++j;  // stay on a code point
    }
    out.emplace_back(text.substr(i, j - i));
    i = j;
    ++k;
  }
  return out;
}

HttpPlan build_llm_response(std::string_view body, const LlmScript &script,
                            const std::vector<const Fault *> &faults, const LlmRequestContext &ctx) {
  ParsedRequest req;
  if (auto err = parse_request(body, script, req)) return *err;

  // Pick the reply: tool_loop fault, first matching rule, default.
  LlmReply reply = script.default_reply;
  const Fault *tool_loop = nullptr;
  for (const Fault *f : faults)
    if (f->type == FaultType::kToolLoop) tool_loop = f;
  if (tool_loop != nullptr) {
    reply = LlmReply{};
    std::string name = !tool_loop->tool_name.empty() ? tool_loop->tool_name
                       : !req.tool_names.empty()     ? req.tool_names.front()
                                                     : std::string("lookup");
    reply.tool_calls.push_back({"", name, "{}"});
  } else {
    for (const LlmRule &rule : script.rules) {
      if (matches(rule.when, req, ctx.request_index)) {
        reply = rule.reply;
        break;
      }
    }
  }
  for (size_t i = 0; i < reply.tool_calls.size(); ++i)
    if (reply.tool_calls[i].id.empty()) reply.tool_calls[i].id = fmt::format("call_sim{}x{}", ctx.serial, i);
  std::string finish = reply.finish_reason;
  if (finish.empty()) finish = reply.tool_calls.empty() ? "stop" : "tool_calls";

  std::vector<std::string> tokens = reply.content ? split_tokens(*reply.content) : std::vector<std::string>{};
  // A token cap cuts the answer where it runs out, as max_completion_tokens does: finish_reason
  // "length" and, inside a tool call, arguments that are no longer valid JSON.
  if (req.max_tokens > 0) {
    int64_t budget = req.max_tokens;
    if (static_cast<int64_t>(tokens.size()) > budget) {
      tokens.resize(static_cast<size_t>(budget));
      std::string cut;
      for (const auto &t : tokens) cut += t;
      reply.content = cut;
      reply.tool_calls.clear();
      finish = "length";
    } else {
      budget -= static_cast<int64_t>(tokens.size());
      for (size_t i = 0; i < reply.tool_calls.size(); ++i) {
        auto &args = reply.tool_calls[i].arguments;
        const int64_t cost = static_cast<int64_t>(args.size() / 4 + 3);
        if (cost <= budget) {
          budget -= cost;
          continue;
        }
        args = args.substr(0, static_cast<size_t>(std::max<int64_t>(0, budget - 3) * 4));
        reply.tool_calls.resize(i + 1);
        finish = "length";
        break;
      }
    }
  }
  Usage usage;
  usage.prompt = reply.prompt_tokens.value_or(
      req.prompt_tokens.value_or(static_cast<int64_t>(req.prompt_chars / 4 + 3)));
  int64_t completion = static_cast<int64_t>(tokens.size());
  for (const auto &tc : reply.tool_calls) completion += static_cast<int64_t>(tc.arguments.size() / 4 + 3);
  usage.completion = reply.completion_tokens.value_or(completion);

  const std::string id = fmt::format("chatcmpl-sim{}", ctx.serial);
  std::vector<std::pair<std::string, std::string>> headers = {
      {"x-request-id", fmt::format("req_sim{}", ctx.serial)},
      {"openai-processing-ms", "12"},
      {"x-ratelimit-limit-requests", "10000"},
      {"x-ratelimit-remaining-requests", "9999"},
      {"x-ratelimit-reset-requests", "6ms"},
      {"x-ratelimit-limit-tokens", "30000000"},
      {"x-ratelimit-remaining-tokens", "29999000"},
      {"x-ratelimit-reset-tokens", "2ms"},
  };

  if (!req.stream) {
    std::string calls;
    for (size_t i = 0; i < reply.tool_calls.size(); ++i) {
      const auto &tc = reply.tool_calls[i];
      calls += fmt::format(R"({}{{"id":{},"type":"function","function":{{"name":{},"arguments":{}}}}})",
                           i ? "," : "", json::quote(tc.id), json::quote(tc.name), json::quote(tc.arguments));
    }
    std::string message = fmt::format(R"({{"role":"assistant","content":{},"refusal":null{}}})",
                                      reply.content ? json::quote(*reply.content) : "null",
                                      calls.empty() ? "" : ",\"tool_calls\":[" + calls + "]");
    std::string out = fmt::format(
        R"({{"id":{},"object":"chat.completion","created":{},"model":{},"system_fingerprint":"fp_voxsim","choices":[{{"index":0,"message":{},"logprobs":null,"finish_reason":{}}}],"usage":{}}})",
        json::quote(id), ctx.created, json::quote(req.model), message, json::quote(finish),
        usage_json(usage));
    HttpPlan plan = fixed_response(200, std::move(out));
    plan.headers = std::move(headers);
    apply_fixed_faults(plan, faults);
    return plan;
  }

  HttpPlan plan;
  plan.status = 200;
  plan.content_type = "text/event-stream; charset=utf-8";
  plan.chunked = true;
  plan.split_bytes = static_cast<size_t>(script.split_event_bytes);
  plan.headers = std::move(headers);
  plan.headers.emplace_back("cache-control", "no-cache");
  const std::string nl = script.crlf ? "\r\n" : "\n";
  const std::string head = fmt::format(
      R"({{"id":{},"object":"chat.completion.chunk","created":{},"model":{},"system_fingerprint":"fp_voxsim",)",
      json::quote(id), ctx.created, json::quote(req.model));
  // With include_usage, OpenAI puts "usage":null on every chunk before the usage chunk.
  const std::string usage_null = script.usage_null || req.include_usage ? ",\"usage\":null" : "";
  const double interval_ms = script.tokens_per_second > 0 ? 1000.0 / script.tokens_per_second : 0.0;
  int64_t t = 0;
  double paced = static_cast<double>(script.first_token_delay_ms);
  auto add_event = [&](int64_t at, const std::string &data) {
    if (script.comments && !plan.steps.empty()) plan.steps.push_back({at, ": keep-alive" + nl + nl, false});
    plan.steps.push_back({at, "data: " + data + nl + nl, true});
  };
  auto choice = [&](const std::string &delta, const char *finish_reason) {
    return fmt::format(R"({}"choices":[{{"index":0,"delta":{},"logprobs":null,"finish_reason":{}}}]{}}})",
                       head, delta, finish_reason, usage_null);
  };
  if (script.azure_empty_first_chunk) {
    add_event(
        0,
        fmt::format(
            R"({{"id":"","object":"","created":0,"model":"","choices":[],"prompt_filter_results":[{{"prompt_index":0,"content_filter_results":{{}}}}]}})"));
  }
  const bool text_first = reply.content.has_value();
  // Role chunk: content "" for a text answer, null plus the first tool-call head otherwise.
  if (text_first) {
    add_event(t, choice(R"({"role":"assistant","content":"","refusal":null})", "null"));
  }
  size_t tok = 0;
  while (tok < tokens.size()) {
    std::string piece;
    for (int64_t k = 0; k < script.tokens_per_delta && tok < tokens.size(); ++k) piece += tokens[tok++];
    t = static_cast<int64_t>(paced);
    paced += interval_ms * static_cast<double>(script.tokens_per_delta);
    add_event(t, choice(fmt::format(R"({{"content":{}}})", json::quote(piece)), "null"));
  }
  for (size_t i = 0; i < reply.tool_calls.size(); ++i) {
    const auto &tc = reply.tool_calls[i];
    const std::string index = script.omit_tool_call_index
                                  ? ""
                                  : fmt::format(R"("index":{},)", script.reuse_tool_call_index ? 0 : i);
    // whole_tool_calls: the complete call in one fragment with object-valued arguments (servers
    // that do not stream calls); arguments that are not a JSON object stay a string.
    const bool whole = script.whole_tool_calls;
    const bool object_args = whole && json::parse(tc.arguments).ok() && tc.arguments.front() == '{';
    const std::string args_value = !whole ? "\"\"" : object_args ? tc.arguments : json::quote(tc.arguments);
    std::string head_call =
        fmt::format(R"({}"id":{},"type":"function","function":{{"name":{},"arguments":{}}})", index,
                    json::quote(tc.id), json::quote(tc.name), args_value);
    t = static_cast<int64_t>(paced);
    paced += interval_ms;
    if (i == 0 && !text_first) {
      add_event(t, choice(R"({"role":"assistant","content":null,"tool_calls":[{)" + head_call +
                              R"(}],"refusal":null})",
                          "null"));
    } else {
      add_event(t, choice(R"({"tool_calls":[{)" + head_call + "}]}", "null"));
    }
    if (whole) continue;
    for (const std::string &frag : split_fragments(tc.arguments, script.argument_fragment_chars)) {
      t = static_cast<int64_t>(paced);
      paced += interval_ms;
      add_event(t, choice(fmt::format(R"({{"tool_calls":[{{{}"function":{{"arguments":{}}}}}]}})", index,
                                      json::quote(frag)),
                          "null"));
    }
  }
  t = static_cast<int64_t>(paced);
  add_event(t, choice("{}", json::quote(finish).c_str()));
  if (req.include_usage) {
    add_event(t, fmt::format(R"({}"choices":[],"usage":{}}})", head, usage_json(usage)));
  }
  add_event(t, "[DONE]");
  apply_stream_faults(plan, faults, script.crlf);
  return plan;
}

}  // namespace voxline::sim::detail
