// SttMetrics: the voxline_stt_* instruments of one SttStream, resolved once when the stream opens
// so nothing is looked up by name on the audio path (names and meanings: speech/stt_stream.hpp).
#pragma once

#include <string_view>

#include "voxline/core/metrics.hpp"
#include "voxline/core/status.hpp"

namespace voxline::speech {

struct SttMetrics {
  explicit SttMetrics(MetricsRegistry &m);

  // Per on_error event (rare), so the lookup by code happens here.
  void error(StatusCode code);
  // The timeouts counter for a websocket phase ("dns", "connect", "handshake" -> connect; others -> send).
  Counter &timeout_for_ws_phase(std::string_view phase);

  MetricsRegistry *registry;
  Gauge *streams_open, *ring_high_water;
  Counter *sent_audio, *sent_silence, *sent_replay;
  Counter *ring_dropped, *reconnects, *replay_lost, *keepalives;
  Counter *timeout_connect, *timeout_send, *timeout_result, *timeout_close, *timeout_deepgram;
  Histogram *first_result_ms;
};

}  // namespace voxline::speech
