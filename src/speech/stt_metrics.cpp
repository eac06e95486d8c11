// The voxline_stt_* instruments (see stt_metrics.hpp).
#include "speech/stt_metrics.hpp"

namespace voxline::speech {
namespace {
constexpr std::string_view kSentHelp = "Audio bytes handed to Deepgram";
constexpr std::string_view kTimeoutHelp = "STT deadlines that expired";
}  // namespace

SttMetrics::SttMetrics(MetricsRegistry &m)
    : registry(&m),
      streams_open(&m.gauge("voxline_stt_streams_open", "STT streams between open and closed")),
      ring_high_water(&m.gauge("voxline_stt_ring_high_water_bytes", "Fullest any STT audio ring has been")),
      sent_audio(&m.counter("voxline_stt_audio_bytes_sent_total", kSentHelp, {{"kind", "audio"}})),
      sent_silence(&m.counter("voxline_stt_audio_bytes_sent_total", kSentHelp, {{"kind", "silence"}})),
      sent_replay(&m.counter("voxline_stt_audio_bytes_sent_total", kSentHelp, {{"kind", "replay"}})),
      ring_dropped(
          &m.counter("voxline_stt_ring_dropped_bytes_total", "Audio dropped because an STT ring was full")),
      reconnects(&m.counter("voxline_stt_reconnects_total", "STT reconnect attempts started")),
      replay_lost(&m.counter("voxline_stt_replay_lost_bytes_total",
                             "Unfinalized audio that did not fit the replay bound at a drop")),
      keepalives(&m.counter("voxline_stt_keepalives_total", "KeepAlive messages sent")),
      timeout_connect(&m.counter("voxline_stt_timeouts_total", kTimeoutHelp, {{"phase", "connect"}})),
      timeout_send(&m.counter("voxline_stt_timeouts_total", kTimeoutHelp, {{"phase", "send"}})),
      timeout_result(&m.counter("voxline_stt_timeouts_total", kTimeoutHelp, {{"phase", "result"}})),
      timeout_close(&m.counter("voxline_stt_timeouts_total", kTimeoutHelp, {{"phase", "close"}})),
      timeout_deepgram(&m.counter("voxline_stt_timeouts_total", kTimeoutHelp, {{"phase", "deepgram"}})),
      first_result_ms(&m.histogram("voxline_stt_time_to_first_result_ms",
                                   "First audio byte of a connection to its first Results message")) {}

void SttMetrics::error(StatusCode code) {
  registry->counter("voxline_stt_errors_total", "STT stream error events", {{"code", status_code_name(code)}})
      .inc();
}

Counter &SttMetrics::timeout_for_ws_phase(std::string_view phase) {
  if (phase == "dns" || phase == "connect" || phase == "handshake") return *timeout_connect;
  return *timeout_send;
}

}  // namespace voxline::speech
