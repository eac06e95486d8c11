// File: tts_rest.hpp
// Simulated Deepgram REST text-to-speech (POST /v1/speak): the request checks Deepgram makes
// (query parameters, JSON body, 2000-character limit) and the response as an HttpPlan (audio
// streamed as a chunked body, paced like the websocket, with a WAV header unless container=none).
// Pure code: the lws glue only plays the plan back. Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sim/src/http_plan.hpp"
#include "sim/src/scenario.hpp"
#include "sim/src/ws_session.hpp"

namespace voxline::sim::detail {

// A Deepgram REST error: `status` with {"err_code","err_msg","request_id"} and dg-request-id.
HttpPlan deepgram_error_response(int status, std::string_view err_code, std::string_view err_msg,
                                 const std::string &request_id);

// The answer to one POST /v1/speak. `faults` may hold status, drop and stall faults (others are
// ignored); a status fault answers with a Deepgram error body (or the fault's body).
HttpPlan build_tts_rest_response(const QueryParams &query, std::string_view content_type,
                                 std::string_view body, const Scenario &sc,
                                 const std::vector<const Fault *> &faults, const std::string &request_id);

}  // namespace voxline::sim::detail
