// File: llm.hpp
// The simulated OpenAI /v1/chat/completions endpoint as a pure function: request body + scenario
// -> HttpPlan (400 for invalid requests, a chat.completion object, or an SSE stream of
// chat.completion.chunk events shaped like OpenAI's: role first, content or tool_calls deltas,
// finish_reason last, then [DONE]).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/src/http_plan.hpp"
#include "sim/src/scenario.hpp"

namespace voxline::sim::detail {

struct LlmRequestContext {
  int64_t request_index = 0;  // since the scenario was loaded (rules' request_index)
  uint64_t serial = 0;        // unique for the simulator's lifetime (ids)
  int64_t created = 0;        // unix seconds for "created"
};

HttpPlan build_llm_response(std::string_view body, const LlmScript &script,
                            const std::vector<const Fault *> &faults, const LlmRequestContext &ctx);

// Splits text into token-like pieces (a word with its leading spaces), e.g.
// "Friday at 9." -> {"Friday", " at", " 9."}.
std::vector<std::string> split_tokens(std::string_view text);

// Splits `text` into fragments of 1..max_chars code points (never inside a UTF-8 sequence, but
// anywhere else, including inside JSON escapes), with varying sizes.
std::vector<std::string> split_fragments(std::string_view text, int64_t max_chars);

}  // namespace voxline::sim::detail
