// Strict scenario parsing: every object is checked for unknown keys, every value for its type
// and range, so a typo in a test scenario fails loudly instead of silently doing nothing.
#include "sim/src/scenario.hpp"

#include <algorithm>
#include <initializer_list>
#include <regex>

#include <fmt/format.h>

#include "voxline/core/json.hpp"

namespace voxline::sim::detail {
namespace {

using json::Value;

Status bad(const std::string &where, std::string_view what) {
  return invalid_argument(fmt::format("{}: {}", where, what));
}

Status check_object(const Value &v, const std::string &where, std::initializer_list<const char *> allowed) {
  if (!v.IsObject()) return bad(where, fmt::format("must be an object, got {}", json::type_name(v)));
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    std::string_view key(it->name.GetString(), it->name.GetStringLength());
    bool known = std::any_of(allowed.begin(), allowed.end(), [&](const char *a) { return key == a; });
    if (!known) return bad(where + "." + std::string(key), "unknown field");
  }
  return Status::Ok();
}

// Typed optional readers: absent -> untouched; wrong type/range -> INVALID_ARGUMENT naming the field.
Status read_int(const Value &obj, const char *key, const std::string &where, int64_t &out, int64_t min,
                int64_t max) {
  const Value *v = json::find(obj, key);
  if (v == nullptr) return Status::Ok();
  std::string field = where + "." + key;
  if (!v->IsInt64()) return bad(field, "must be an integer");
  int64_t x = v->GetInt64();
  if (x < min || x > max) return bad(field, fmt::format("must be between {} and {}", min, max));
  out = x;
  return Status::Ok();
}

Status read_opt_int(const Value &obj, const char *key, const std::string &where, std::optional<int64_t> &out,
                    int64_t min, int64_t max) {
  if (json::find(obj, key) == nullptr) return Status::Ok();
  int64_t x = 0;
  VOXLINE_RETURN_IF_ERROR(read_int(obj, key, where, x, min, max));
  out = x;
  return Status::Ok();
}

Status read_double(const Value &obj, const char *key, const std::string &where, double &out, double min,
                   double max) {
  const Value *v = json::find(obj, key);
  if (v == nullptr) return Status::Ok();
  std::string field = where + "." + key;
  if (!v->IsNumber()) return bad(field, "must be a number");
  double x = v->GetDouble();
  if (!(x >= min && x <= max)) return bad(field, fmt::format("must be between {} and {}", min, max));
  out = x;
  return Status::Ok();
}

Status read_bool(const Value &obj, const char *key, const std::string &where, bool &out) {
  const Value *v = json::find(obj, key);
  if (v == nullptr) return Status::Ok();
  if (!v->IsBool()) return bad(where + "." + key, "must be true or false");
  out = v->GetBool();
  return Status::Ok();
}

Status read_opt_bool(const Value &obj, const char *key, const std::string &where, std::optional<bool> &out) {
  if (json::find(obj, key) == nullptr) return Status::Ok();
  bool b = false;
  VOXLINE_RETURN_IF_ERROR(read_bool(obj, key, where, b));
  out = b;
  return Status::Ok();
}

Status read_string(const Value &obj, const char *key, const std::string &where, std::string &out,
                   bool non_empty = false) {
  const Value *v = json::find(obj, key);
  if (v == nullptr) return Status::Ok();
  if (!v->IsString()) return bad(where + "." + key, "must be a string");
  out.assign(v->GetString(), v->GetStringLength());
  if (non_empty && out.empty()) return bad(where + "." + key, "must not be empty");
  return Status::Ok();
}

Status read_opt_string(const Value &obj, const char *key, const std::string &where,
                       std::optional<std::string> &out) {
  if (json::find(obj, key) == nullptr) return Status::Ok();
  std::string s;
  VOXLINE_RETURN_IF_ERROR(read_string(obj, key, where, s));
  out = std::move(s);
  return Status::Ok();
}

const Value *array_field(const Value &obj, const char *key) {
  const Value *v = json::find(obj, key);
  return v;
}

constexpr int64_t kMaxMs = 3600 * 1000;

// ---- STT ------------------------------------------------------------------------
Status parse_stt(const Value &v, const std::string &where, SttScript &out) {
  VOXLINE_RETURN_IF_ERROR(check_object(v, where,
                                       {"events", "utterances", "latency_ms", "idle_timeout_ms",
                                        "finalize_empty_reply", "request_id", "model_name"}));
  VOXLINE_RETURN_IF_ERROR(read_int(v, "latency_ms", where, out.latency_ms, 0, kMaxMs));
  VOXLINE_RETURN_IF_ERROR(read_int(v, "idle_timeout_ms", where, out.idle_timeout_ms, 0, kMaxMs));
  VOXLINE_RETURN_IF_ERROR(read_bool(v, "finalize_empty_reply", where, out.finalize_empty_reply));
  VOXLINE_RETURN_IF_ERROR(read_string(v, "request_id", where, out.request_id));
  VOXLINE_RETURN_IF_ERROR(read_string(v, "model_name", where, out.model_name, true));
  if (const Value *evs = array_field(v, "events")) {
    if (!evs->IsArray()) return bad(where + ".events", "must be an array");
    for (rapidjson::SizeType i = 0; i < evs->Size(); ++i) {
      const Value &e = (*evs)[i];
      std::string w = fmt::format("{}.events[{}]", where, i);
      VOXLINE_RETURN_IF_ERROR(
          check_object(e, w, {"at_ms", "type", "text", "speech_final", "confidence", "start_ms", "end_ms"}));
      SttEvent ev;
      if (json::find(e, "at_ms") == nullptr) return bad(w + ".at_ms", "is required");
      VOXLINE_RETURN_IF_ERROR(read_int(e, "at_ms", w, ev.at_ms, 0, kMaxMs));
      std::string type;
      VOXLINE_RETURN_IF_ERROR(read_string(e, "type", w, type));
      if (type == "SpeechStarted") {
        ev.type = SttEventType::kSpeechStarted;
      } else if (type == "interim") {
        ev.type = SttEventType::kInterim;
      } else if (type == "final") {
        ev.type = SttEventType::kFinal;
      } else if (type == "UtteranceEnd") {
        ev.type = SttEventType::kUtteranceEnd;
      } else {
        return bad(w + ".type", "must be one of SpeechStarted, interim, final, UtteranceEnd");
      }
      VOXLINE_RETURN_IF_ERROR(read_string(e, "text", w, ev.text));
      if ((ev.type == SttEventType::kInterim || ev.type == SttEventType::kFinal) && !json::find(e, "text"))
        return bad(w + ".text", "is required for interim and final events");
      VOXLINE_RETURN_IF_ERROR(read_bool(e, "speech_final", w, ev.speech_final));
      if (ev.speech_final && ev.type != SttEventType::kFinal)
        return bad(w + ".speech_final", "only final events can be speech_final");
      VOXLINE_RETURN_IF_ERROR(read_double(e, "confidence", w, ev.confidence, 0.0, 1.0));
      VOXLINE_RETURN_IF_ERROR(read_int(e, "start_ms", w, ev.start_ms, 0, kMaxMs));
      if (ev.start_ms > ev.at_ms) return bad(w + ".start_ms", "must be <= at_ms");
      VOXLINE_RETURN_IF_ERROR(read_int(e, "end_ms", w, ev.end_ms, 0, kMaxMs));
      if (ev.end_ms >= 0 && ev.type != SttEventType::kInterim && ev.type != SttEventType::kFinal)
        return bad(w + ".end_ms", "only interim and final events have an end_ms");
      if (ev.end_ms > ev.at_ms) return bad(w + ".end_ms", "must be <= at_ms");
      if (ev.end_ms >= 0 && ev.end_ms < ev.start_ms) return bad(w + ".end_ms", "must be >= start_ms");
      out.events.push_back(std::move(ev));
    }
    std::stable_sort(out.events.begin(), out.events.end(),
                     [](const SttEvent &a, const SttEvent &b) { return a.at_ms < b.at_ms; });
  }
  if (const Value *us = array_field(v, "utterances")) {
    if (!us->IsArray()) return bad(where + ".utterances", "must be an array");
    for (rapidjson::SizeType i = 0; i < us->Size(); ++i) {
      const Value &e = (*us)[i];
      std::string w = fmt::format("{}.utterances[{}]", where, i);
      VOXLINE_RETURN_IF_ERROR(check_object(e, w,
                                           {"start_ms", "end_ms", "text", "interims", "pieces",
                                            "speech_final", "utterance_end", "confidence"}));
      SttUtterance u;
      if (!json::find(e, "start_ms") || !json::find(e, "end_ms") || !json::find(e, "text"))
        return bad(w, "start_ms, end_ms and text are required");
      VOXLINE_RETURN_IF_ERROR(read_int(e, "start_ms", w, u.start_ms, 0, kMaxMs));
      VOXLINE_RETURN_IF_ERROR(read_int(e, "end_ms", w, u.end_ms, 0, kMaxMs));
      if (u.end_ms <= u.start_ms) return bad(w + ".end_ms", "must be > start_ms");
      VOXLINE_RETURN_IF_ERROR(read_string(e, "text", w, u.text, true));
      VOXLINE_RETURN_IF_ERROR(read_int(e, "interims", w, u.interims, 0, 50));
      VOXLINE_RETURN_IF_ERROR(read_int(e, "pieces", w, u.pieces, 1, 50));
      VOXLINE_RETURN_IF_ERROR(read_bool(e, "speech_final", w, u.speech_final));
      VOXLINE_RETURN_IF_ERROR(read_bool(e, "utterance_end", w, u.utterance_end));
      VOXLINE_RETURN_IF_ERROR(read_double(e, "confidence", w, u.confidence, 0.0, 1.0));
      if (!out.utterances.empty() && u.start_ms < out.utterances.back().end_ms)
        return bad(w + ".start_ms", "utterances must not overlap and must be in order");
      out.utterances.push_back(std::move(u));
    }
  }
  return Status::Ok();
}

// ---- TTS ------------------------------------------------------------------------
Status parse_tts(const Value &v, const std::string &where, TtsScript &out) {
  VOXLINE_RETURN_IF_ERROR(
      check_object(v, where,
                   {"ms_per_char", "chunk_ms", "chunk_bytes", "realtime_factor", "first_audio_delay_ms",
                    "flush_limit_per_minute", "waveform", "tone_hz", "model_name", "char_limit_per_minute"}));
  VOXLINE_RETURN_IF_ERROR(
      read_int(v, "char_limit_per_minute", where, out.char_limit_per_minute, 0, 100000000));
  VOXLINE_RETURN_IF_ERROR(read_double(v, "ms_per_char", where, out.ms_per_char, 0.0, 10000.0));
  VOXLINE_RETURN_IF_ERROR(read_int(v, "chunk_ms", where, out.chunk_ms, 1, 10000));
  VOXLINE_RETURN_IF_ERROR(read_int(v, "chunk_bytes", where, out.chunk_bytes, 0, 1 << 20));
  VOXLINE_RETURN_IF_ERROR(read_double(v, "realtime_factor", where, out.realtime_factor, 0.0, 1000.0));
  VOXLINE_RETURN_IF_ERROR(read_int(v, "first_audio_delay_ms", where, out.first_audio_delay_ms, 0, kMaxMs));
  VOXLINE_RETURN_IF_ERROR(
      read_int(v, "flush_limit_per_minute", where, out.flush_limit_per_minute, 0, 1000000));
  VOXLINE_RETURN_IF_ERROR(read_string(v, "waveform", where, out.waveform));
  if (out.waveform != "tone" && out.waveform != "noise" && out.waveform != "silence")
    return bad(where + ".waveform", "must be tone, noise or silence");
  VOXLINE_RETURN_IF_ERROR(read_double(v, "tone_hz", where, out.tone_hz, 1.0, 20000.0));
  VOXLINE_RETURN_IF_ERROR(read_string(v, "model_name", where, out.model_name, true));
  return Status::Ok();
}

// ---- LLM ------------------------------------------------------------------------
Status parse_reply(const Value &v, const std::string &where, LlmReply &out) {
  VOXLINE_RETURN_IF_ERROR(check_object(
      v, where, {"content", "tool_calls", "finish_reason", "prompt_tokens", "completion_tokens"}));
  VOXLINE_RETURN_IF_ERROR(read_opt_string(v, "content", where, out.content));
  VOXLINE_RETURN_IF_ERROR(read_string(v, "finish_reason", where, out.finish_reason));
  if (!out.finish_reason.empty() && out.finish_reason != "stop" && out.finish_reason != "tool_calls" &&
      out.finish_reason != "length" && out.finish_reason != "content_filter")
    return bad(where + ".finish_reason", "must be stop, tool_calls, length or content_filter");
  VOXLINE_RETURN_IF_ERROR(read_opt_int(v, "prompt_tokens", where, out.prompt_tokens, 0, 100000000));
  VOXLINE_RETURN_IF_ERROR(read_opt_int(v, "completion_tokens", where, out.completion_tokens, 0, 100000000));
  if (const Value *tcs = json::find(v, "tool_calls")) {
    if (!tcs->IsArray()) return bad(where + ".tool_calls", "must be an array");
    static const std::regex kName("^[a-zA-Z0-9_-]{1,64}$");
    for (rapidjson::SizeType i = 0; i < tcs->Size(); ++i) {
      const Value &t = (*tcs)[i];
      std::string w = fmt::format("{}.tool_calls[{}]", where, i);
      VOXLINE_RETURN_IF_ERROR(check_object(t, w, {"id", "name", "arguments"}));
      ToolCallSpec tc;
      VOXLINE_RETURN_IF_ERROR(read_string(t, "id", w, tc.id));
      if (!json::find(t, "name")) return bad(w + ".name", "is required");
      VOXLINE_RETURN_IF_ERROR(read_string(t, "name", w, tc.name));
      if (!std::regex_match(tc.name, kName)) return bad(w + ".name", "must match [a-zA-Z0-9_-]{1,64}");
      const Value *args = json::find(t, "arguments");
      if (args == nullptr) {
        tc.arguments = "{}";
      } else if (args->IsString()) {
        tc.arguments = std::string(json::view(*args));  // sent verbatim, may be invalid JSON on purpose
      } else if (args->IsObject()) {
        tc.arguments = json::to_string(*args);
      } else {
        return bad(w + ".arguments", "must be an object or a string");
      }
      out.tool_calls.push_back(std::move(tc));
    }
  }
  if (!out.content && out.tool_calls.empty()) return bad(where, "needs content or tool_calls");
  return Status::Ok();
}

Status parse_llm(const Value &v, const std::string &where, LlmScript &out) {
  VOXLINE_RETURN_IF_ERROR(
      check_object(v, where,
                   {"rules", "default_reply", "tokens_per_second", "tokens_per_delta",
                    "argument_fragment_chars", "first_token_delay_ms", "comments", "crlf", "usage_null",
                    "omit_tool_call_index", "reuse_tool_call_index", "whole_tool_calls",
                    "azure_empty_first_chunk", "validate_tool_pairs", "split_event_bytes"}));
  VOXLINE_RETURN_IF_ERROR(read_int(v, "split_event_bytes", where, out.split_event_bytes, 0, 1 << 20));
  VOXLINE_RETURN_IF_ERROR(read_double(v, "tokens_per_second", where, out.tokens_per_second, 0.0, 1e6));
  VOXLINE_RETURN_IF_ERROR(read_int(v, "tokens_per_delta", where, out.tokens_per_delta, 1, 100000));
  VOXLINE_RETURN_IF_ERROR(
      read_int(v, "argument_fragment_chars", where, out.argument_fragment_chars, 1, 1000000));
  VOXLINE_RETURN_IF_ERROR(read_int(v, "first_token_delay_ms", where, out.first_token_delay_ms, 0, kMaxMs));
  VOXLINE_RETURN_IF_ERROR(read_bool(v, "comments", where, out.comments));
  VOXLINE_RETURN_IF_ERROR(read_bool(v, "crlf", where, out.crlf));
  VOXLINE_RETURN_IF_ERROR(read_bool(v, "usage_null", where, out.usage_null));
  VOXLINE_RETURN_IF_ERROR(read_bool(v, "omit_tool_call_index", where, out.omit_tool_call_index));
  VOXLINE_RETURN_IF_ERROR(read_bool(v, "reuse_tool_call_index", where, out.reuse_tool_call_index));
  VOXLINE_RETURN_IF_ERROR(read_bool(v, "whole_tool_calls", where, out.whole_tool_calls));
  VOXLINE_RETURN_IF_ERROR(read_bool(v, "azure_empty_first_chunk", where, out.azure_empty_first_chunk));
  VOXLINE_RETURN_IF_ERROR(read_bool(v, "validate_tool_pairs", where, out.validate_tool_pairs));
  if (const Value *d = json::find(v, "default_reply")) {
    out.default_reply = LlmReply{};
    VOXLINE_RETURN_IF_ERROR(parse_reply(*d, where + ".default_reply", out.default_reply));
  }
  if (const Value *rules = json::find(v, "rules")) {
    if (!rules->IsArray()) return bad(where + ".rules", "must be an array");
    for (rapidjson::SizeType i = 0; i < rules->Size(); ++i) {
      const Value &r = (*rules)[i];
      std::string w = fmt::format("{}.rules[{}]", where, i);
      VOXLINE_RETURN_IF_ERROR(check_object(r, w, {"when", "reply"}));
      LlmRule rule;
      if (const Value *when = json::find(r, "when")) {
        std::string ww = w + ".when";
        VOXLINE_RETURN_IF_ERROR(check_object(*when, ww,
                                             {"last_role", "last_content_contains", "any_content_contains",
                                              "model", "has_tools", "stream", "request_index"}));
        VOXLINE_RETURN_IF_ERROR(read_opt_string(*when, "last_role", ww, rule.when.last_role));
        if (rule.when.last_role && *rule.when.last_role != "user" && *rule.when.last_role != "tool" &&
            *rule.when.last_role != "assistant" && *rule.when.last_role != "system" &&
            *rule.when.last_role != "developer")
          return bad(ww + ".last_role", "must be user, tool, assistant, system or developer");
        VOXLINE_RETURN_IF_ERROR(
            read_opt_string(*when, "last_content_contains", ww, rule.when.last_content_contains));
        VOXLINE_RETURN_IF_ERROR(
            read_opt_string(*when, "any_content_contains", ww, rule.when.any_content_contains));
        VOXLINE_RETURN_IF_ERROR(read_opt_string(*when, "model", ww, rule.when.model));
        VOXLINE_RETURN_IF_ERROR(read_opt_bool(*when, "has_tools", ww, rule.when.has_tools));
        VOXLINE_RETURN_IF_ERROR(read_opt_bool(*when, "stream", ww, rule.when.stream));
        VOXLINE_RETURN_IF_ERROR(
            read_opt_int(*when, "request_index", ww, rule.when.request_index, 0, 1 << 30));
      }
      const Value *reply = json::find(r, "reply");
      if (reply == nullptr) return bad(w + ".reply", "is required");
      VOXLINE_RETURN_IF_ERROR(parse_reply(*reply, w + ".reply", rule.reply));
      out.rules.push_back(std::move(rule));
    }
  }
  return Status::Ok();
}

// ---- SSE ------------------------------------------------------------------------
Status parse_sse(const Value &v, const std::string &where, SseScript &out) {
  VOXLINE_RETURN_IF_ERROR(
      check_object(v, where, {"events", "status", "crlf", "require_auth", "split_event_bytes"}));
  VOXLINE_RETURN_IF_ERROR(read_int(v, "split_event_bytes", where, out.split_event_bytes, 0, 1 << 20));
  bool crlf = false;
  VOXLINE_RETURN_IF_ERROR(read_bool(v, "crlf", where, crlf));
  VOXLINE_RETURN_IF_ERROR(read_bool(v, "require_auth", where, out.require_auth));
  int64_t status = 200;
  VOXLINE_RETURN_IF_ERROR(read_int(v, "status", where, status, 200, 599));
  out.status = static_cast<int>(status);
  const std::string nl = crlf ? "\r\n" : "\n";
  if (const Value *evs = json::find(v, "events")) {
    if (!evs->IsArray()) return bad(where + ".events", "must be an array");
    out.events.clear();
    for (rapidjson::SizeType i = 0; i < evs->Size(); ++i) {
      const Value &e = (*evs)[i];
      std::string w = fmt::format("{}.events[{}]", where, i);
      VOXLINE_RETURN_IF_ERROR(
          check_object(e, w, {"data", "event", "id", "retry", "comment", "raw", "delay_ms"}));
      SseEventSpec spec;
      VOXLINE_RETURN_IF_ERROR(read_int(e, "delay_ms", w, spec.delay_ms, 0, kMaxMs));
      if (const Value *raw = json::find(e, "raw")) {
        if (!raw->IsString()) return bad(w + ".raw", "must be a string");
        if (e.MemberCount() > (json::find(e, "delay_ms") ? 2u : 1u))
          return bad(w + ".raw", "cannot be combined with other fields than delay_ms");
        spec.raw = std::string(json::view(*raw));
        out.events.push_back(std::move(spec));
        continue;
      }
      std::string text;
      if (const Value *c = json::find(e, "comment")) {
        if (!c->IsString()) return bad(w + ".comment", "must be a string");
        text += ":" + std::string(json::view(*c)) + nl;
      }
      std::string s;
      VOXLINE_RETURN_IF_ERROR(read_string(e, "event", w, s));
      if (!s.empty()) text += "event: " + s + nl;
      s.clear();
      VOXLINE_RETURN_IF_ERROR(read_string(e, "id", w, s));
      if (!s.empty()) text += "id: " + s + nl;
      int64_t retry = -1;
      VOXLINE_RETURN_IF_ERROR(read_int(e, "retry", w, retry, 0, kMaxMs));
      if (retry >= 0) text += "retry: " + std::to_string(retry) + nl;
      if (const Value *d = json::find(e, "data")) {
        std::string data = d->IsString() ? std::string(json::view(*d)) : json::to_string(*d);
        size_t start = 0;
        while (true) {  // one data: line per line of the payload
          size_t pos = data.find('\n', start);
          text +=
              "data: " + data.substr(start, pos == std::string::npos ? std::string::npos : pos - start) + nl;
          if (pos == std::string::npos) break;
          start = pos + 1;
        }
      }
      if (text.empty()) return bad(w, "needs data, comment, event, id, retry or raw");
      text += nl;
      spec.raw = std::move(text);
      out.events.push_back(std::move(spec));
    }
  }
  return Status::Ok();
}

// ---- faults ---------------------------------------------------------------------
Status parse_fault(const Value &f, const std::string &w, Fault &out) {
  VOXLINE_RETURN_IF_ERROR(check_object(
      f, w,
      {"endpoint", "type", "first_n", "after_messages", "after_ms", "stall_ms", "status", "body",
       "retry_after", "retry_after_ms", "should_retry", "close_code", "close_reason", "tool_name"}));
  VOXLINE_RETURN_IF_ERROR(read_string(f, "endpoint", w, out.endpoint));
  const std::string &ep = out.endpoint;
  if (ep != "stt" && ep != "tts" && ep != "tts_rest" && ep != "llm" && ep != "echo" && ep != "sse")
    return bad(w + ".endpoint", "must be one of stt, tts, tts_rest, llm, echo, sse");
  std::string type;
  VOXLINE_RETURN_IF_ERROR(read_string(f, "type", w, type));
  const bool ws = ep == "stt" || ep == "tts" || ep == "echo";
  struct TypeInfo {
    const char *name;
    FaultType type;
    bool for_ws, for_http;
  };
  static const TypeInfo kTypes[] = {
      {"status", FaultType::kStatus, true, true},
      {"drop", FaultType::kDrop, true, true},
      {"stall", FaultType::kStall, true, true},
      {"malformed_json", FaultType::kMalformedJson, true, true},
      {"close", FaultType::kClose, true, false},
      {"garbage_line", FaultType::kGarbageLine, false, true},
      {"truncated_event", FaultType::kTruncatedEvent, false, true},
      {"error_event", FaultType::kErrorEvent, false, true},
      {"tool_loop", FaultType::kToolLoop, false, true},
      {"never_flushed", FaultType::kNeverFlushed, true, false},
  };
  const TypeInfo *info = nullptr;
  for (const auto &t : kTypes)
    if (type == t.name) info = &t;
  if (info == nullptr)
    return bad(w + ".type",
               "must be one of status, drop, stall, malformed_json, close, garbage_line, truncated_event, "
               "error_event, tool_loop, never_flushed");
  if ((ws && !info->for_ws) || (!ws && !info->for_http))
    return bad(w + ".type", fmt::format("'{}' does not apply to endpoint '{}'", type, ep));
  if (info->type == FaultType::kToolLoop && ep != "llm")
    return bad(w + ".type", "tool_loop applies to llm only");
  if (info->type == FaultType::kNeverFlushed && ep != "tts")
    return bad(w + ".type", "never_flushed applies to tts only");
  if (ep == "tts_rest" && info->type != FaultType::kStatus && info->type != FaultType::kDrop &&
      info->type != FaultType::kStall)
    return bad(w + ".type", "tts_rest takes status, drop and stall faults");
  out.type = info->type;
  VOXLINE_RETURN_IF_ERROR(read_int(f, "first_n", w, out.first_n, 0, 1 << 30));
  VOXLINE_RETURN_IF_ERROR(read_opt_int(f, "after_messages", w, out.after_messages, 0, 1 << 30));
  VOXLINE_RETURN_IF_ERROR(read_opt_int(f, "after_ms", w, out.after_ms, 0, kMaxMs));
  VOXLINE_RETURN_IF_ERROR(read_int(f, "stall_ms", w, out.stall_ms, 0, kMaxMs));
  int64_t status = 0;
  VOXLINE_RETURN_IF_ERROR(read_int(f, "status", w, status, 400, 599));
  out.status = static_cast<int>(status);
  VOXLINE_RETURN_IF_ERROR(read_string(f, "body", w, out.body));
  if (const Value *ra = json::find(f, "retry_after")) {
    if (ra->IsString()) {
      out.retry_after = std::string(json::view(*ra));
    } else if (ra->IsNumber()) {
      out.retry_after = ra->IsInt64() ? std::to_string(ra->GetInt64()) : fmt::format("{}", ra->GetDouble());
    } else {
      return bad(w + ".retry_after", "must be a number of seconds or a string");
    }
  }
  VOXLINE_RETURN_IF_ERROR(read_opt_int(f, "retry_after_ms", w, out.retry_after_ms, 0, kMaxMs));
  VOXLINE_RETURN_IF_ERROR(read_opt_bool(f, "should_retry", w, out.should_retry));
  int64_t code = 0;
  VOXLINE_RETURN_IF_ERROR(read_int(f, "close_code", w, code, 1000, 4999));
  out.close_code = static_cast<int>(code);
  VOXLINE_RETURN_IF_ERROR(read_string(f, "close_reason", w, out.close_reason));
  if (out.close_reason.size() > 123) return bad(w + ".close_reason", "must be at most 123 bytes");
  VOXLINE_RETURN_IF_ERROR(read_string(f, "tool_name", w, out.tool_name));

  switch (out.type) {
    case FaultType::kStatus:
      if (out.status == 0) return bad(w + ".status", "is required for a status fault");
      break;
    case FaultType::kClose:
      if (out.close_code == 0) return bad(w + ".close_code", "is required for a close fault");
      break;
    case FaultType::kStall:
      if (out.stall_ms == 0) return bad(w + ".stall_ms", "is required (> 0) for a stall fault");
      break;
    default: break;
  }
  if (out.type == FaultType::kDrop || out.type == FaultType::kClose) {
    if (!out.after_messages && !out.after_ms) return bad(w, "needs after_messages or after_ms");
  }
  if (out.after_ms && out.type != FaultType::kDrop && out.type != FaultType::kClose)
    return bad(w + ".after_ms", "only drop and close faults can fire after a time");
  return Status::Ok();
}

}  // namespace

Result<SseScript> parse_sse_script(std::string_view text, const std::string &where) {
  VOXLINE_ASSIGN_OR_RETURN(json::Document doc, json::parse(text));
  SseScript script;
  VOXLINE_RETURN_IF_ERROR(parse_sse(doc, where, script));
  return script;
}

Result<std::shared_ptr<const Scenario>> parse_scenario(std::string_view text) {
  auto sc = std::make_shared<Scenario>();
  sc->llm.default_reply.content = "This is voxline-sim.";
  sc->sse.events = {{"data: {\"n\":1}\n\n", 0}, {"data: {\"n\":2}\n\n", 0}, {"data: [DONE]\n\n", 0}};
  bool blank = text.find_first_not_of(" \t\r\n") == std::string_view::npos;
  if (blank) return std::shared_ptr<const Scenario>(sc);
  auto parsed = json::parse(text);
  if (!parsed.ok()) return parsed.status().with_context("scenario");
  const json::Document &doc = *parsed;
  const std::string root = "scenario";
  VOXLINE_RETURN_IF_ERROR(check_object(doc, root, {"stt", "tts", "llm", "sse", "echo", "faults"}));
  if (const Value *v = json::find(doc, "stt")) VOXLINE_RETURN_IF_ERROR(parse_stt(*v, root + ".stt", sc->stt));
  if (const Value *v = json::find(doc, "tts")) VOXLINE_RETURN_IF_ERROR(parse_tts(*v, root + ".tts", sc->tts));
  if (const Value *v = json::find(doc, "llm")) VOXLINE_RETURN_IF_ERROR(parse_llm(*v, root + ".llm", sc->llm));
  if (const Value *v = json::find(doc, "sse")) VOXLINE_RETURN_IF_ERROR(parse_sse(*v, root + ".sse", sc->sse));
  if (const Value *v = json::find(doc, "echo")) {
    VOXLINE_RETURN_IF_ERROR(check_object(*v, root + ".echo", {"require_auth"}));
    VOXLINE_RETURN_IF_ERROR(read_bool(*v, "require_auth", root + ".echo", sc->echo_require_auth));
  }
  if (const Value *fs = json::find(doc, "faults")) {
    if (!fs->IsArray()) return bad(root + ".faults", "must be an array");
    for (rapidjson::SizeType i = 0; i < fs->Size(); ++i) {
      Fault f;
      VOXLINE_RETURN_IF_ERROR(parse_fault((*fs)[i], fmt::format("{}.faults[{}]", root, i), f));
      sc->faults.push_back(std::move(f));
    }
  }
  return std::shared_ptr<const Scenario>(sc);
}

}  // namespace voxline::sim::detail
