#include "voxline/llm/chat_stream_decoder.hpp"

#include <fmt/format.h>

#include "voxline/core/strings.hpp"

namespace voxline {

namespace {

constexpr size_t kNoSlot = static_cast<size_t>(-1);

Status mistyped(std::string_view field, const char *expected, const json::Value &got) {
  return protocol_error(
      fmt::format("chat stream field '{}' must be {}, got {}", field, expected, json::type_name(got)));
}

// A present, non-null member, or nullptr.
const json::Value *member(const json::Value &obj, std::string_view key) {
  const json::Value *v = json::find(obj, key);
  return v != nullptr && !v->IsNull() ? v : nullptr;
}

}  // namespace

std::string ChatStreamTruncated::describe() const {
  return fmt::format("truncated chat stream ([DONE] {}, finish_reason {})", saw_done ? "seen" : "missing",
                     saw_finish_reason ? "seen" : "missing");
}

ChatStreamDecoder::ChatStreamDecoder(ChatStreamDecoderOptions options)
    : options_(options), parser_(std::make_unique<json::ReusableParser>(options.parser_buffer_bytes)) {}

void ChatStreamDecoder::reset() {
  completion_.id.clear();
  completion_.model.clear();
  completion_.content.clear();
  completion_.refusal.clear();
  completion_.tool_calls.clear();
  completion_.finish_reason = FinishReason::kNone;
  completion_.finish_reason_text.clear();
  completion_.usage.reset();
  by_index_.clear();
  last_opened_ = 0;
  output_bytes_ = 0;
  done_ = false;
  error_ = Status::Ok();
}

Status ChatStreamDecoder::fail(Status s) {
  error_ = s;
  return s;
}

Status ChatStreamDecoder::feed(std::string_view data, ChatStreamDelta &out, std::string_view event) {
  if (!error_.ok()) return error_;
  out = ChatStreamDelta{};
  if (event == "error") return fail(status_from_error_body(0, data, {}));
  if (done_) return fail(protocol_error("chat stream payload after [DONE]"));
  if (trim(data) == "[DONE]") {
    done_ = true;
    out.done = true;
    return Status::Ok();
  }
  auto chunk = parser_->parse(data, json::ParseLimits{options_.max_payload_bytes, 64});
  if (!chunk.ok()) return fail(protocol_error("chat stream chunk: " + chunk.status().message()));
  Status s = decode(**chunk, out);
  return s.ok() ? s : fail(std::move(s));
}

Status ChatStreamDecoder::finish() const {
  if (!error_.ok()) return error_;
  const bool finished = completion_.finish_reason != FinishReason::kNone;
  if (done_ && finished) return Status::Ok();
  const char *missing = !done_ && !finished ? "[DONE] and without a finish_reason"
                        : !done_            ? "[DONE]"
                                            : "a finish_reason";
  return protocol_error(fmt::format("truncated chat stream: it ended without {}", missing))
      .with_detail(std::make_shared<ChatStreamTruncated>(done_, finished));
}

Status ChatStreamDecoder::decode(const json::Value &chunk, ChatStreamDelta &out) {
  if (!chunk.IsObject()) return protocol_error("chat stream chunk is not a JSON object");
  if (const json::Value *err = member(chunk, "error")) return status_from_error_value(200, *err, {});
  // All chunks share id and model; Azure's first chunk has them empty.
  if (completion_.id.empty())
    if (const json::Value *id = member(chunk, "id"); id != nullptr && id->IsString())
      completion_.id = json::view(*id);
  if (completion_.model.empty())
    if (const json::Value *m = member(chunk, "model"); m != nullptr && m->IsString())
      completion_.model = json::view(*m);
  if (const json::Value *u = member(chunk, "usage")) {  // "usage": null on other chunks is absent
    Usage usage;
    VOXLINE_RETURN_IF_ERROR(parse_usage(*u, usage));
    completion_.usage = usage;
    out.usage = true;
  }
  const json::Value *choices = member(chunk, "choices");
  if (choices == nullptr) return Status::Ok();
  if (!choices->IsArray()) return mistyped("choices", "an array", *choices);
  for (const json::Value &choice : choices->GetArray()) VOXLINE_RETURN_IF_ERROR(decode_choice(choice, out));
  return Status::Ok();
}

Status ChatStreamDecoder::decode_choice(const json::Value &choice, ChatStreamDelta &out) {
  if (!choice.IsObject()) return mistyped("choices[]", "an object", choice);
  if (const json::Value *index = member(choice, "index")) {
    if (!index->IsInt64()) return mistyped("choices[].index", "an integer", *index);
    if (index->GetInt64() != 0) return Status::Ok();  // n is 1: other choices are not ours
  }
  const bool finished = completion_.finish_reason != FinishReason::kNone;
  if (const json::Value *delta = member(choice, "delta")) {
    if (!delta->IsObject()) return mistyped("delta", "an object", *delta);
    VOXLINE_RETURN_IF_ERROR(append_text(*delta, "content", completion_.content, out.content));
    VOXLINE_RETURN_IF_ERROR(append_text(*delta, "refusal", completion_.refusal, out.refusal));
    if (const json::Value *calls = member(*delta, "tool_calls")) {
      if (!calls->IsArray()) return mistyped("delta.tool_calls", "an array", *calls);
      if (finished && !calls->Empty()) return protocol_error("chat stream tool call after finish_reason");
      for (rapidjson::SizeType i = 0; i < calls->Size(); ++i)
        VOXLINE_RETURN_IF_ERROR(merge_fragment((*calls)[i], i));
      out.tool_call_fragments += calls->Size();
    }
    if (finished && (!out.content.empty() || !out.refusal.empty()))
      return protocol_error("chat stream text after finish_reason");
  }
  const json::Value *reason = member(choice, "finish_reason");
  if (reason == nullptr) return Status::Ok();
  if (!reason->IsString()) return mistyped("finish_reason", "a string or null", *reason);
  if (reason->GetStringLength() == 0 || finished) return Status::Ok();
  completion_.finish_reason_text = json::view(*reason);
  completion_.finish_reason = finish_reason_from(completion_.finish_reason_text);
  complete_calls();
  out.finished = true;
  return Status::Ok();
}

Status ChatStreamDecoder::append_text(const json::Value &delta, const char *key, std::string &dst,
                                      std::string_view &view) {
  const json::Value *v = member(delta, key);
  if (v == nullptr) return Status::Ok();
  if (!v->IsString()) return mistyped(std::string("delta.") + key, "a string or null", *v);
  view = json::view(*v);
  VOXLINE_RETURN_IF_ERROR(grow(view.size()));
  dst.append(view.data(), view.size());
  return Status::Ok();
}

Status ChatStreamDecoder::grow(size_t bytes) {
  output_bytes_ += bytes;
  if (output_bytes_ > options_.max_output_bytes)
    return protocol_error(fmt::format("chat stream answer exceeds {} bytes", options_.max_output_bytes));
  return Status::Ok();
}

Status ChatStreamDecoder::open_call(size_t *slot) {
  if (completion_.tool_calls.size() >= options_.max_tool_calls)
    return protocol_error(fmt::format("chat stream has more than {} tool calls", options_.max_tool_calls));
  completion_.tool_calls.emplace_back();
  *slot = last_opened_ = completion_.tool_calls.size() - 1;
  return Status::Ok();
}

// The id wins over the index; a new id opens a new call even when its index
// names a call with another id (the server reused it); without id and index a fragment continues
// the latest call.
Status ChatStreamDecoder::merge_fragment(const json::Value &f, size_t position) {
  if (!f.IsObject()) return mistyped("delta.tool_calls[]", "an object", f);
  const json::Value *index = member(f, "index");
  if (index != nullptr && !(index->IsInt64() && index->GetInt64() >= 0))
    return mistyped("delta.tool_calls[].index", "a non-negative integer", *index);
  std::string_view id;
  if (const json::Value *v = member(f, "id")) {
    if (!v->IsString()) return mistyped("delta.tool_calls[].id", "a string", *v);
    id = json::view(*v);
  }
  std::string_view name;
  const json::Value *args = nullptr;
  if (const json::Value *fn = member(f, "function")) {
    if (!fn->IsObject()) return mistyped("delta.tool_calls[].function", "an object", *fn);
    if (const json::Value *n = member(*fn, "name")) {
      if (!n->IsString()) return mistyped("delta.tool_calls[].function.name", "a string", *n);
      name = json::view(*n);
    }
    args = member(*fn, "arguments");
  }

  auto &calls = completion_.tool_calls;
  const auto map_index = [this](int64_t key, size_t slot) {
    for (auto &e : by_index_)
      if (e.first == key) {
        e.second = slot;
        return;
      }
    by_index_.emplace_back(key, slot);
  };
  const auto slot_of_index = [this](int64_t key) {
    for (const auto &e : by_index_)
      if (e.first == key) return e.second;
    return kNoSlot;
  };
  size_t slot = kNoSlot;
  if (!id.empty()) {
    for (size_t i = 0; i < calls.size() && slot == kNoSlot; ++i)
      if (calls[i].id == id) slot = i;
    // The call this index names got no id so far: the id belongs to it.
    if (slot == kNoSlot && index != nullptr) {
      const size_t s = slot_of_index(index->GetInt64());
      if (s != kNoSlot && calls[s].id.empty()) {
        slot = s;
        calls[s].id.assign(id.data(), id.size());
      }
    }
    if (slot == kNoSlot) {
      VOXLINE_RETURN_IF_ERROR(open_call(&slot));
      calls[slot].id.assign(id.data(), id.size());
      map_index(index != nullptr ? index->GetInt64() : static_cast<int64_t>(position), slot);
    }
  } else if (index != nullptr && (slot = slot_of_index(index->GetInt64())) != kNoSlot) {
  } else if (index == nullptr) {
    // A new name on a call that already has a name and arguments starts the next whole call.
    const bool next_call = !name.empty() && !calls.empty() && !calls[last_opened_].name.empty() &&
                           !calls[last_opened_].arguments.empty();
    if (calls.empty() || next_call)
      VOXLINE_RETURN_IF_ERROR(open_call(&slot));
    else
      slot = last_opened_;
  } else {
    VOXLINE_RETURN_IF_ERROR(open_call(&slot));
    map_index(index->GetInt64(), slot);
  }
  ReceivedToolCall &call = calls[slot];
  if (!name.empty()) {
    VOXLINE_RETURN_IF_ERROR(grow(name.size()));
    call.name.assign(name.data(), name.size());
  }
  if (args != nullptr) {
    if (args->IsString()) {
      VOXLINE_RETURN_IF_ERROR(grow(args->GetStringLength()));
      call.arguments.append(args->GetString(), args->GetStringLength());
    } else {  // some servers send the arguments as a JSON object
      call.arguments = json::to_string(*args);
      VOXLINE_RETURN_IF_ERROR(grow(call.arguments.size()));
    }
  }
  return Status::Ok();
}

void ChatStreamDecoder::complete_calls() {
  for (ReceivedToolCall &call : completion_.tool_calls) finish_tool_call(call);
}

}  // namespace voxline
