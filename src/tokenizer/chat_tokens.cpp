#include "voxline/tokenizer/chat_tokens.hpp"

#include <algorithm>

namespace voxline::tokenizer {
namespace {

void put(std::string &key, std::string_view field) {
  const uint64_t n = field.size();
  key.append(reinterpret_cast<const char *>(&n), sizeof(n));  // length prefix: fields cannot blur
  key.append(field);
}

std::string message_key(const ChatMessage &m) {
  std::string key = "m";
  put(key, m.role);
  put(key, m.content);
  key += m.name ? 'n' : '-';
  if (m.name) put(key, *m.name);
  key += m.tool_call_id ? 'i' : '-';
  if (m.tool_call_id) put(key, *m.tool_call_id);
  for (const ChatToolCall &c : m.tool_calls) {
    key += 'c';
    put(key, c.id);
    put(key, c.name);
    put(key, c.arguments);
  }
  return key;
}

std::string tool_key(const ToolDefinition &t) {
  std::string key = "t";
  put(key, t.name);
  put(key, t.description);
  for (const ToolProperty &p : t.properties) {
    key += 'p';
    put(key, p.name);
    put(key, p.type);
    put(key, p.description);
    key += p.enum_values ? 'e' : '-';
    if (p.enum_values) {
      for (const std::string &e : *p.enum_values) {
        key += 'v';
        put(key, e);
      }
    }
  }
  return key;
}

std::string_view without_trailing_period(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return s;
}

}  // namespace

Result<ChatFormat> chat_format_for_model(std::string_view model) {
  VOXLINE_ASSIGN_OR_RETURN(std::string_view enc, encoding_name_for_model(model));
  if (model == "gpt-3.5-turbo-0301") {
    ChatFormat f = ChatFormat::gpt_4();
    f.tokens_per_message = 4;
    f.tokens_per_name = -1;
    return f;
  }
  return enc == "cl100k_base" ? ChatFormat::gpt_4() : ChatFormat::gpt_4o();
}

ChatTokenCounter::ChatTokenCounter(const Encoding &encoding, ChatFormat format, Limits limits)
    : encoding_(encoding), format_(format), limits_(limits) {}

Result<std::unique_ptr<ChatTokenCounter>> ChatTokenCounter::for_model(std::string_view model, Limits limits) {
  VOXLINE_ASSIGN_OR_RETURN(const Encoding *enc, encoding_for_model(model));
  VOXLINE_ASSIGN_OR_RETURN(ChatFormat format, chat_format_for_model(model));
  return std::make_unique<ChatTokenCounter>(*enc, format, limits);
}

int64_t ChatTokenCounter::tokens(std::string_view text) const {
  return static_cast<int64_t>(encoding_.count_ordinary(text));
}

int64_t ChatTokenCounter::compute_message(const void *item) const {
  const auto &m = *static_cast<const ChatMessage *>(item);
  int64_t n = format_.tokens_per_message + tokens(m.role) + tokens(m.content);
  if (m.name) n += tokens(*m.name) + format_.tokens_per_name;
  if (m.tool_call_id) n += tokens(*m.tool_call_id);
  for (const ChatToolCall &c : m.tool_calls) n += tokens(c.id) + tokens(c.name) + tokens(c.arguments);
  return n;
}

int64_t ChatTokenCounter::compute_tool(const void *item) const {
  const auto &t = *static_cast<const ToolDefinition *>(item);
  std::string line = t.name + ":";
  line += without_trailing_period(t.description);
  int64_t n = format_.func_init + tokens(line);
  if (!t.properties.empty()) {
    n += format_.prop_init;
    for (const ToolProperty &p : t.properties) {
      n += format_.prop_key;
      if (p.enum_values) {
        n += format_.enum_init;
        for (const std::string &e : *p.enum_values) n += format_.enum_item + tokens(e);
      }
      line = p.name + ":" + p.type + ":";
      line += without_trailing_period(p.description);
      n += tokens(line);
    }
  }
  return n;
}

int64_t ChatTokenCounter::cached(const std::string &key,
                                 int64_t (ChatTokenCounter::*compute)(const void *) const, const void *item) {
  {
    MutexLock lock(mu_);
    auto it = index_.find(std::string_view(key));
    if (it != index_.end()) {
      ++hits_;
      lru_.splice(lru_.begin(), lru_, it->second);
      return it->second->second;
    }
    ++misses_;
  }
  const int64_t n = (this->*compute)(item);  // encode outside the lock
  if (key.size() > limits_.max_bytes || limits_.max_entries == 0) return n;
  MutexLock lock(mu_);
  if (index_.count(std::string_view(key))) return n;  // another thread stored it meanwhile
  lru_.emplace_front(key, n);
  index_.emplace(std::string_view(lru_.front().first), lru_.begin());
  bytes_ += key.size();
  while (index_.size() > limits_.max_entries || bytes_ > limits_.max_bytes) {
    auto &last = lru_.back();
    bytes_ -= last.first.size();
    index_.erase(std::string_view(last.first));
    lru_.pop_back();
  }
  return n;
}

int64_t ChatTokenCounter::count_message(const ChatMessage &message) {
  return cached(message_key(message), &ChatTokenCounter::compute_message, &message);
}

int64_t ChatTokenCounter::count_messages(const std::vector<ChatMessage> &messages) {
  int64_t n = format_.reply_priming;
  for (const ChatMessage &m : messages) n += count_message(m);
  return n;
}

int64_t ChatTokenCounter::count_tool(const ToolDefinition &tool) {
  return cached(tool_key(tool), &ChatTokenCounter::compute_tool, &tool);
}

int64_t ChatTokenCounter::count_tools(const std::vector<ToolDefinition> &tools) {
  if (tools.empty()) return 0;
  int64_t n = format_.func_end;
  for (const ToolDefinition &t : tools) n += count_tool(t);
  return n;
}

int64_t ChatTokenCounter::count_prompt(const std::vector<ChatMessage> &messages,
                                       const std::vector<ToolDefinition> &tools) {
  return count_messages(messages) + count_tools(tools);
}

ChatCounterStats ChatTokenCounter::stats() const {
  MutexLock lock(mu_);
  return ChatCounterStats{hits_, misses_, index_.size(), bytes_};
}

void ChatTokenCounter::clear_cache() {
  MutexLock lock(mu_);
  index_.clear();
  lru_.clear();
  bytes_ = 0;
}

// ---- JSON ----------------------------------------------------------------------------------

namespace {

Result<std::string> content_text(const json::Value &m) {
  const json::Value *c = json::find(m, "content");
  if (c == nullptr || c->IsNull()) return std::string();
  if (c->IsString()) return std::string(json::view(*c));
  if (!c->IsArray()) return invalid_argument("\"content\" must be a string, null or an array of parts");
  std::string out;
  for (const json::Value &part : c->GetArray()) {
    VOXLINE_ASSIGN_OR_RETURN(std::string_view type, json::get_string(part, "type"));
    if (type != "text") continue;  // images/audio are billed differently; not counted here
    VOXLINE_ASSIGN_OR_RETURN(std::string_view text, json::get_string(part, "text"));
    out += text;
  }
  return out;
}

Result<ChatMessage> message_from_json(const json::Value &m) {
  ChatMessage msg;
  VOXLINE_ASSIGN_OR_RETURN(std::string_view role, json::get_string(m, "role"));
  msg.role = std::string(role);
  VOXLINE_ASSIGN_OR_RETURN(msg.content, content_text(m));
  VOXLINE_ASSIGN_OR_RETURN(auto name, json::get_optional_string(m, "name"));
  if (name) msg.name = std::string(*name);
  VOXLINE_ASSIGN_OR_RETURN(auto call_id, json::get_optional_string(m, "tool_call_id"));
  if (call_id) msg.tool_call_id = std::string(*call_id);
  VOXLINE_ASSIGN_OR_RETURN(const json::Value *calls, json::get_optional_array(m, "tool_calls"));
  if (calls != nullptr) {
    size_t i = 0;
    for (const json::Value &c : calls->GetArray()) {
      const std::string where = "tool_calls[" + std::to_string(i++) + "]";
      ChatToolCall call;
      auto id = json::get_optional_string(c, "id");
      if (!id.ok()) return id.status().with_context(where);
      if (*id) call.id = std::string(**id);
      auto fn = json::get_object(c, "function");
      if (!fn.ok()) return fn.status().with_context(where);
      auto fname = json::get_string(**fn, "name");
      if (!fname.ok()) return fname.status().with_context(where);
      call.name = std::string(*fname);
      auto args = json::get_optional_string(**fn, "arguments");
      if (!args.ok()) return args.status().with_context(where);
      if (*args) call.arguments = std::string(**args);
      msg.tool_calls.push_back(std::move(call));
    }
  }
  return msg;
}

Result<ToolDefinition> tool_from_json(const json::Value &t) {
  const json::Value *fn = json::find(t, "function");
  if (fn == nullptr) fn = &t;  // accept a bare function object too
  ToolDefinition def;
  VOXLINE_ASSIGN_OR_RETURN(std::string_view name, json::get_string(*fn, "name"));
  def.name = std::string(name);
  VOXLINE_ASSIGN_OR_RETURN(auto desc, json::get_optional_string(*fn, "description"));
  if (desc) def.description = std::string(*desc);
  VOXLINE_ASSIGN_OR_RETURN(const json::Value *params, json::get_optional_object(*fn, "parameters"));
  if (params == nullptr) return def;
  VOXLINE_ASSIGN_OR_RETURN(const json::Value *props, json::get_optional_object(*params, "properties"));
  if (props == nullptr) return def;
  for (auto it = props->MemberBegin(); it != props->MemberEnd(); ++it) {
    ToolProperty p;
    p.name = std::string(json::view(it->name));
    const std::string where = "property " + p.name;
    if (!it->value.IsObject()) return invalid_argument(where + " must be an object");
    auto type = json::get_optional_string(it->value, "type");
    if (!type.ok()) return type.status().with_context(where);
    if (*type) p.type = std::string(**type);
    auto pdesc = json::get_optional_string(it->value, "description");
    if (!pdesc.ok()) return pdesc.status().with_context(where);
    if (*pdesc) p.description = std::string(**pdesc);
    auto en = json::get_optional_array(it->value, "enum");
    if (!en.ok()) return en.status().with_context(where);
    if (*en != nullptr) {
      p.enum_values.emplace();
      for (const json::Value &v : (*en)->GetArray()) {
        // The cookbook encodes each item as text; non-string items count as their JSON text.
        p.enum_values->push_back(v.IsString() ? std::string(json::view(v)) : json::to_string(v));
      }
    }
    def.properties.push_back(std::move(p));
  }
  return def;
}

}  // namespace

Result<std::vector<ChatMessage>> chat_messages_from_json(const json::Value &messages) {
  if (!messages.IsArray()) return invalid_argument("messages must be a JSON array");
  std::vector<ChatMessage> out;
  size_t i = 0;
  for (const json::Value &m : messages.GetArray()) {
    auto msg = message_from_json(m);
    if (!msg.ok()) return msg.status().with_context("messages[" + std::to_string(i) + "]");
    out.push_back(std::move(msg).value());
    ++i;
  }
  return out;
}

Result<std::vector<ToolDefinition>> tool_definitions_from_json(const json::Value &tools) {
  if (!tools.IsArray()) return invalid_argument("tools must be a JSON array");
  std::vector<ToolDefinition> out;
  size_t i = 0;
  for (const json::Value &t : tools.GetArray()) {
    auto def = tool_from_json(t);
    if (!def.ok()) return def.status().with_context("tools[" + std::to_string(i) + "]");
    out.push_back(std::move(def).value());
    ++i;
  }
  return out;
}

}  // namespace voxline::tokenizer
