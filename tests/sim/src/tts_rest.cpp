// Simulated Deepgram REST TTS (POST /v1/speak): validation as Deepgram documents it, then the
// synthetic audio of the text (tts.ms_per_char per character) as a chunked body.
#include "sim/src/tts_rest.hpp"

#include <algorithm>
#include <cstdint>
#include <set>

#include <fmt/format.h>

#include "sim/src/audio.hpp"
#include "voxline/core/json.hpp"

namespace voxline::sim::detail {
namespace {

constexpr size_t kMaxChars = 2000;  // Deepgram's input limit; above it the REST API answers 413

struct RestFormat {
  std::string model = "aura-asteria-en";  // Deepgram's REST default voice
  std::string encoding = "mp3";           // Deepgram's REST default encoding
  std::string container;                  // "" = the encoding's default
  int sample_rate = 0;
};

std::string bad(std::string_view what) {
  return std::string(what);
}

// "" when the query is acceptable, else the err_msg of a 400.
std::string check_query(const QueryParams &q, RestFormat &f) {
  static const std::set<int> kLinearRates = {8000, 16000, 24000, 32000, 48000};
  bool bit_rate = false;
  for (const auto &[k, v] : q) {
    if (k == "model") {
      if (v.empty()) return bad("Invalid value for 'model': must not be empty");
      f.model = v;
    } else if (k == "encoding") {
      f.encoding = v;
    } else if (k == "container") {
      f.container = v;
    } else if (k == "sample_rate") {
      int rate = 0;
      try {
        rate = std::stoi(v);
      } catch (...) {
        rate = 0;
      }
      if (rate <= 0 || std::to_string(rate) != v)
        return fmt::format("Invalid value for 'sample_rate': '{}' (an integer in Hz)", v);
      f.sample_rate = rate;
    } else if (k == "bit_rate") {
      bit_rate = true;
    }
    // Other parameters (speed, mip_opt_out, tag, callback, ...) are accepted.
  }
  static const std::set<std::string> kCompressed = {"mp3", "opus", "flac", "aac"};
  if (kCompressed.count(f.encoding) != 0)
    return fmt::format(
        "voxline-sim renders only linear16, mulaw and alaw; encoding '{}' is valid for Deepgram but not "
        "simulated",
        f.encoding);
  if (bytes_per_sample(f.encoding) == 0)
    return fmt::format("Invalid value for 'encoding': '{}' (linear16, mulaw, alaw, mp3, opus, flac, aac)",
                       f.encoding);
  if (bit_rate) return fmt::format("bit_rate is not configurable for encoding '{}'", f.encoding);
  if (f.container.empty()) f.container = "wav";
  if (f.container != "wav" && f.container != "none")
    return fmt::format("Invalid value for 'container': '{}' (wav or none for {})", f.container, f.encoding);
  if (f.encoding == "linear16") {
    if (f.sample_rate == 0) f.sample_rate = 24000;
    if (kLinearRates.count(f.sample_rate) == 0)
      return fmt::format(
          "Invalid value for 'sample_rate': {} (8000, 16000, 24000, 32000 or 48000 for linear16)",
          f.sample_rate);
  } else {
    if (f.sample_rate == 0) f.sample_rate = 8000;
    if (f.sample_rate != 8000 && f.sample_rate != 16000)
      return fmt::format("Invalid value for 'sample_rate': {} (8000 or 16000 for {})", f.sample_rate,
                         f.encoding);
  }
  return {};
}

void put_le(std::string &out, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// The 44-byte RIFF/WAVE header of `data_bytes` of mono audio (format 1 PCM, 6 A-law, 7 mu-law).
std::string wav_header(const RestFormat &f, uint32_t data_bytes) {
  const int bps = bytes_per_sample(f.encoding);
  const uint32_t format = f.encoding == "linear16" ? 1 : f.encoding == "alaw" ? 6 : 7;
  std::string h = "RIFF";
  put_le(h, 36 + data_bytes, 4);
  h += "WAVEfmt ";
  put_le(h, 16, 4);
  put_le(h, format, 2);
  put_le(h, 1, 2);  // channels
  put_le(h, static_cast<uint32_t>(f.sample_rate), 4);
  put_le(h, static_cast<uint32_t>(f.sample_rate * bps), 4);  // byte rate
  put_le(h, static_cast<uint32_t>(bps), 2);                  // block align
  put_le(h, static_cast<uint32_t>(bps * 8), 2);              // bits per sample
  h += "data";
  put_le(h, data_bytes, 4);
  return h;
}

size_t code_points(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace

HttpPlan deepgram_error_response(int status, std::string_view err_code, std::string_view err_msg,
                                 const std::string &request_id) {
  HttpPlan plan = fixed_response(
      status, fmt::format(R"({{"err_code":{},"err_msg":{},"request_id":{}}})", json::quote(err_code),
                          json::quote(err_msg), json::quote(request_id)));
  plan.headers.emplace_back("dg-request-id", request_id);
  plan.headers.emplace_back("dg-error", std::string(err_msg));
  return plan;
}

HttpPlan build_tts_rest_response(const QueryParams &query, std::string_view content_type,
                                 std::string_view body, const Scenario &sc,
                                 const std::vector<const Fault *> &faults, const std::string &request_id) {
  for (const Fault *f : faults) {
    if (f->type != FaultType::kStatus) continue;
    HttpPlan plan = f->body.empty() ? deepgram_error_response(
                                          f->status,
                                          f->status == 401   ? "INVALID_AUTH"
                                          : f->status == 429 ? "TOO_MANY_REQUESTS"
                                                             : "SIM_SCRIPTED",
                                          fmt::format("voxline-sim scripted {}", f->status), request_id)
                                    : fixed_response(f->status, f->body);
    if (f->retry_after) plan.headers.emplace_back("retry-after", *f->retry_after);
    return plan;
  }
  RestFormat fmt_;
  if (std::string err = check_query(query, fmt_); !err.empty())
    return deepgram_error_response(400, "Bad Request", err, request_id);
  if (content_type.substr(0, 16) != "application/json")
    return deepgram_error_response(
        400, "Bad Request", fmt::format("Content-type was '{}'; send JSON {{\"text\": ...}}", content_type),
        request_id);
  auto doc = json::parse(body);
  const json::Value *text = doc.ok() && doc->IsObject() ? json::find(*doc, "text") : nullptr;
  if (text == nullptr || !text->IsString())
    return deepgram_error_response(
        400, "Bad Request", "Content-type was application/json, but we could not process the JSON payload.",
        request_id);
  const std::string_view said = json::view(*text);
  const size_t chars = code_points(said);
  if (chars == 0) return deepgram_error_response(400, "Bad Request", "text must not be empty", request_id);
  if (chars > kMaxChars)
    return deepgram_error_response(413, "Payload Too Large",
                                   fmt::format("text has {} characters; the limit is {}", chars, kMaxChars),
                                   request_id);

  const TtsScript &s = sc.tts;
  const int bps = bytes_per_sample(fmt_.encoding);
  const int64_t samples =
      static_cast<int64_t>(static_cast<double>(chars) * s.ms_per_char * fmt_.sample_rate / 1000.0 + 0.5);
  const size_t total = static_cast<size_t>(samples) * static_cast<size_t>(bps);
  uint64_t cursor = 0;
  const std::string audio =
      synth_audio(fmt_.encoding, fmt_.sample_rate, samples, s.waveform, s.tone_hz, &cursor);

  HttpPlan plan;
  plan.status = 200;
  plan.content_type = fmt_.container == "wav" ? "audio/wav" : "application/octet-stream";
  plan.chunked = true;
  plan.binary = true;
  plan.headers = {{"dg-request-id", request_id},
                  {"dg-model-name", fmt_.model},
                  {"dg-model-uuid", "e3a91c55-7d02-4b6f-8f1e-90c4d2b7a318"},
                  {"dg-char-count", std::to_string(chars)}};
  const size_t chunk = std::max<size_t>(
      1, s.chunk_bytes > 0 ? static_cast<size_t>(s.chunk_bytes)
                           : static_cast<size_t>(s.chunk_ms * fmt_.sample_rate / 1000 * bps));
  const double bytes_per_ms = static_cast<double>(fmt_.sample_rate * bps) / 1000.0;
  double t = static_cast<double>(s.first_audio_delay_ms);
  if (fmt_.container == "wav")
    plan.steps.push_back({static_cast<int64_t>(t), wav_header(fmt_, static_cast<uint32_t>(total)), true});
  for (size_t off = 0; off < total; off += chunk) {
    const size_t len = std::min(chunk, total - off);
    plan.steps.push_back({static_cast<int64_t>(t), audio.substr(off, len), true});
    if (s.realtime_factor > 0) t += static_cast<double>(len) / bytes_per_ms / s.realtime_factor;
  }
  std::vector<const Fault *> stream_faults;
  for (const Fault *f : faults)
    if (f->type == FaultType::kDrop || f->type == FaultType::kStall) stream_faults.push_back(f);
  apply_stream_faults(plan, stream_faults, false);
  return plan;
}

}  // namespace voxline::sim::detail
