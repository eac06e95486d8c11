// Internal: TtsStream's instruments, resolved once per stream (nothing is looked up by name per
// audio chunk). The names are documented in speech/tts_stream.hpp.
#pragma once

#include "voxline/core/metrics.hpp"
#include "voxline/core/status.hpp"
#include "voxline/speech/tts_stream.hpp"

namespace voxline::speech::detail {

struct TtsMetrics {
  explicit TtsMetrics(MetricsRegistry &m);

  Counter &timeout(TtsOp op) noexcept;
  // Per error event (rare), so the lookup by label is fine here.
  void error(StatusCode code);

  MetricsRegistry *registry;
  Histogram *time_to_first_audio_ms;
  Counter *ws_audio_bytes, *rest_audio_bytes;
  Counter *timeouts[5];  // kOpen .. kClose
  Counter *reconnects, *rest_fallbacks, *rest_requests, *clears, *cleared_audio_bytes;
  Counter *segments_flushed, *segments_cleared, *segments_failed;
  Counter *read_pauses, *rate_limited_chars, *rate_limited_flushes, *text_waits, *sequence_mismatches;
  Gauge *unacked_high_water;
};

}  // namespace voxline::speech::detail
