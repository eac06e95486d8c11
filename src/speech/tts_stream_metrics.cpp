#include "speech/tts_stream_metrics.hpp"

namespace voxline::speech::detail {

namespace {
constexpr const char *kTimeoutHelp = "TtsStream deadlines that expired";
constexpr const char *kSegmentsHelp = "TtsStream segments by how they ended";
}  // namespace

TtsMetrics::TtsMetrics(MetricsRegistry &m)
    : registry(&m),
      time_to_first_audio_ms(&m.histogram("voxline_tts_time_to_first_audio_ms",
                                          "Flush written (REST: request sent) to the segment's first audio")),
      ws_audio_bytes(
          &m.counter("voxline_tts_audio_bytes_total", "TTS audio delivered", {{"transport", "ws"}})),
      rest_audio_bytes(
          &m.counter("voxline_tts_audio_bytes_total", "TTS audio delivered", {{"transport", "rest"}})),
      timeouts{&m.counter("voxline_tts_timeouts_total", kTimeoutHelp, {{"op", "open"}}),
               &m.counter("voxline_tts_timeouts_total", kTimeoutHelp, {{"op", "speak"}}),
               &m.counter("voxline_tts_timeouts_total", kTimeoutHelp, {{"op", "flush"}}),
               &m.counter("voxline_tts_timeouts_total", kTimeoutHelp, {{"op", "clear"}}),
               &m.counter("voxline_tts_timeouts_total", kTimeoutHelp, {{"op", "close"}})},
      reconnects(&m.counter("voxline_tts_reconnects_total", "TTS websockets opened after the first")),
      rest_fallbacks(
          &m.counter("voxline_tts_rest_fallbacks_total", "Switches to REST TTS after a failed open")),
      rest_requests(&m.counter("voxline_tts_rest_requests_total", "POST /v1/speak requests made")),
      clears(&m.counter("voxline_tts_clears_total", "TtsStream clear() calls that cleared something")),
      cleared_audio_bytes(
          &m.counter("voxline_tts_cleared_audio_bytes_total", "Audio of cleared segments dropped locally")),
      segments_flushed(&m.counter("voxline_tts_segments_total", kSegmentsHelp, {{"outcome", "flushed"}})),
      segments_cleared(&m.counter("voxline_tts_segments_total", kSegmentsHelp, {{"outcome", "cleared"}})),
      segments_failed(&m.counter("voxline_tts_segments_total", kSegmentsHelp, {{"outcome", "failed"}})),
      read_pauses(
          &m.counter("voxline_tts_read_pauses_total", "TTS websocket reads paused for back-pressure")),
      rate_limited_chars(&m.counter("voxline_tts_rate_limited_total", "TtsStream calls refused by a budget",
                                    {{"limit", "chars"}})),
      rate_limited_flushes(&m.counter("voxline_tts_rate_limited_total", "TtsStream calls refused by a budget",
                                      {{"limit", "flushes"}})),
      text_waits(
          &m.counter("voxline_tts_text_waits_total", "Speak messages delayed by the character budget")),
      sequence_mismatches(&m.counter("voxline_tts_sequence_mismatches_total",
                                     "Flushed / Cleared replies with an unexpected sequence_id")),
      unacked_high_water(&m.gauge("voxline_tts_unacked_audio_high_water_bytes",
                                  "Most TTS audio ever delivered and not yet acknowledged")) {}

Counter &TtsMetrics::timeout(TtsOp op) noexcept {
  switch (op) {
    case TtsOp::kOpen: return *timeouts[0];
    case TtsOp::kSpeak: return *timeouts[1];
    case TtsOp::kFlush: return *timeouts[2];
    case TtsOp::kClear: return *timeouts[3];
    default: return *timeouts[4];
  }
}

void TtsMetrics::error(StatusCode code) {
  registry->counter("voxline_tts_errors_total", "TtsStream error events", {{"code", status_code_name(code)}})
      .inc();
}

}  // namespace voxline::speech::detail
