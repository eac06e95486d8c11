// File: deepgram_close.hpp
// What a Deepgram close frame means (live STT and streaming TTS close frames). The code is mapped by
// net/http_status.hpp's status_from_close_code (1000 OK, 1008 INVALID_ARGUMENT, 1011 UNAVAILABLE,
// ...); this adds what the payload id in the reason means, so the error says what to fix.
//
//   Status s = status_from_deepgram_close(1011,
//       "Deepgram did not receive audio data or a text message within the timeout window. See
//       https://dpgr.am/net0001");
//   // UNAVAILABLE: "Deepgram NET-0001: no audio or text message reached Deepgram for about 10 s
//   //   (send audio first, then KeepAlive while idle): websocket closed with code 1011: Deepgram did not
//   ..."
//
// Thread-safety: a pure function.
#pragma once

#include <string_view>

#include "voxline/core/export.hpp"
#include "voxline/core/status.hpp"

namespace voxline::speech {

// status_from_close_code(code, reason), with a context naming the payload id found in `reason`
// (find_payload_id) and its likely cause. OK for 1000; a reason without a known id adds nothing.
VOXLINE_API Status status_from_deepgram_close(int code, std::string_view reason);

}  // namespace voxline::speech
