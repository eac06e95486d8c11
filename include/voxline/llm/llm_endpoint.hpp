// File: llm_endpoint.hpp
// LlmEndpoint: where and how to send chat requests to one OpenAI-compatible server (OpenAI,
// Azure OpenAI, vLLM, Ollama, voxline-sim): base URL, model, auth style (Bearer or Azure's
// api-key header), api-version, extra headers and the body quirks the server needs. Parsed from
// JSON; an unknown field is an error that names it, so a typo never falls back to a default.
//
//   VOXLINE_ASSIGN_OR_RETURN(LlmEndpoint ep, parse_llm_endpoint(R"({"base_url": "http://127.0.0.1:11434/v1",
//                                                          "model": "llama3.1", "auth": "none"})"));
//   const std::string url = ep.chat_completions_url();
//   HttpHeaders headers = ep.request_headers(/*stream=*/true);
//
// Ownership: plain values. Thread-safety: pure functions; a value is used by one thread at a time.
#pragma once

#include <string>
#include <string_view>

#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"
#include "voxline/llm/chat_request.hpp"
#include "voxline/net/http_status.hpp"

namespace voxline {

enum class LlmAuthStyle {
  kBearer,  // Authorization: Bearer <api_key> (OpenAI, vLLM, Ollama, Azure Entra ID tokens)
  kApiKey,  // api-key: <api_key> (Azure OpenAI)
  kNone,    // no credential header
};

// One OpenAI-compatible endpoint. JSON shape (only base_url and model are required):
//   {"base_url": "https://api.openai.com/v1", "model": "gpt-4o",
//    "auth": "bearer" | "api-key" | "none", "api_key": "sk-...",
//    "api_version": "2024-10-21",                 appended as ?api-version= (Azure classic)
//    "headers": {"OpenAI-Project": "proj_..."},   extra request headers
//    "max_tokens_field": "max_completion_tokens" | "max_tokens",
//    "send_stream_options": true, "send_parallel_tool_calls": true}
// Secrets: api_key is a credential; whoever loads the endpoint registers it with the logger's
// Redactor before any request is made.
struct VOXLINE_API LlmEndpoint {
  std::string base_url;  // http(s), no query, no trailing '/'
  std::string model;
  LlmAuthStyle auth = LlmAuthStyle::kBearer;
  std::string api_key;
  std::string api_version;  // "" = none
  HttpHeaders extra_headers;
  ChatRenderOptions render;

  const ChatRenderOptions &render_options() const noexcept { return render; }
  // base_url + "/chat/completions" (+ "?api-version=..." when set).
  std::string chat_completions_url() const;
  // Content-Type, Accept (text/event-stream when `stream`), the auth header (none while api_key
  // is empty), then extra_headers.
  HttpHeaders request_headers(bool stream) const;
};

// Parses an endpoint from a JSON object. INVALID_ARGUMENT naming the field for an unknown
// field, a wrong type, a missing base_url/model, a bad URL or header, or a key with auth "none".
VOXLINE_API Result<LlmEndpoint> parse_llm_endpoint(std::string_view json_text);

}  // namespace voxline
