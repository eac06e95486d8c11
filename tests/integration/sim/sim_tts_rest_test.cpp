// Simulated Deepgram REST TTS (POST /v1/speak): raw or WAV audio of the text's length, Deepgram's
// response headers, its request checks (auth, encoding, container, sample rate, JSON body, the
// 2000-character limit) with Deepgram error bodies, and the tts_rest faults.
#include <cstdint>
#include <string>

#include <doctest/doctest.h>

#include "integration/sim/http_test_client.hpp"
#include "integration/sim/sim_test_util.hpp"

namespace voxline::simtest {
namespace {

HttpOptions dg_headers(const std::string &key = "test-key") {
  HttpOptions o;
  o.headers["Authorization"] = "Token " + key;
  o.headers["Content-Type"] = "application/json";
  return o;
}

std::string speak_url(sim::Simulator &s, const std::string &query) {
  return s.http_url("/v1/speak") + "?" + query;
}

uint32_t le32(const std::string &b, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<size_t>(i)]);
  return v;
}

}  // namespace

TEST_CASE("REST /v1/speak answers raw audio of the text's length with Deepgram's headers (container=none)") {
  auto sim = start_sim(R"({"tts":{"ms_per_char":10,"chunk_ms":20}})");
  HttpResult r =
      http_post(speak_url(*sim, "model=aura-2-thalia-en&encoding=mulaw&sample_rate=8000&container=none"),
                R"({"text":"Hello there."})", dg_headers());
  REQUIRE(r.curl_code == 0);
  CHECK(r.status == 200);
  CHECK(r.body.size() == 12 * 10 * 8);  // 12 characters x 10 ms x 8 bytes per ms
  CHECK(r.headers["dg-char-count"] == "12");
  CHECK(r.headers["dg-model-name"] == "aura-2-thalia-en");
  CHECK(!r.headers["dg-request-id"].empty());
  CHECK(r.headers["transfer-encoding"] == "chunked");
  CHECK(r.chunks.size() > 1);  // streamed in frames, as the websocket sends them
  size_t audio_records = 0;
  for (const auto &m : sim->recorded("tts_rest"))
    if (m.direction == "out" && m.kind == "binary") ++audio_records;
  CHECK(audio_records == 6);  // 960 bytes in 160-byte frames
}

TEST_CASE("REST /v1/speak puts a WAV header first unless container=none, with the data size") {
  auto sim = start_sim(R"({"tts":{"ms_per_char":10}})");
  HttpResult r =
      http_post(speak_url(*sim, "encoding=linear16&sample_rate=16000"), R"({"text":"abcd"})", dg_headers());
  REQUIRE(r.status == 200);
  CHECK(r.headers["content-type"] == "audio/wav");
  REQUIRE(r.body.size() == 44 + 4 * 10 * 32);  // 40 ms of 16 kHz linear16
  CHECK(r.body.substr(0, 4) == "RIFF");
  CHECK(r.body.substr(8, 8) == "WAVEfmt ");
  CHECK(le32(r.body, 24) == 16000);
  CHECK(le32(r.body, 40) == 4 * 10 * 32);
}

TEST_CASE("REST /v1/speak refuses what Deepgram refuses, with a Deepgram error body") {
  auto sim = start_sim();
  const std::string raw = "encoding=mulaw&sample_rate=8000&container=none";
  HttpResult no_auth = http_post(speak_url(*sim, raw), R"({"text":"hi"})", HttpOptions{});
  CHECK(no_auth.status == 401);
  CHECK(no_auth.body.find(R"("err_code":"INVALID_AUTH")") != std::string::npos);
  CHECK(http_post(speak_url(*sim, raw), R"({"text":"hi"})", dg_headers("wrong")).status == 401);
  // Deepgram's REST default is mp3, which the simulator does not render.
  HttpResult mp3 = http_post(sim->http_url("/v1/speak"), R"({"text":"hi"})", dg_headers());
  CHECK(mp3.status == 400);
  CHECK(mp3.body.find("mp3") != std::string::npos);
  CHECK(http_post(speak_url(*sim, "encoding=mulaw&sample_rate=24000"), R"({"text":"hi"})", dg_headers())
            .status == 400);
  CHECK(http_post(speak_url(*sim, "encoding=mulaw&container=ogg"), R"({"text":"hi"})", dg_headers()).status ==
        400);
  CHECK(http_post(speak_url(*sim, "encoding=linear16&bit_rate=48000"), R"({"text":"hi"})", dg_headers())
            .status == 400);
  CHECK(http_post(speak_url(*sim, raw), R"({"words":"hi"})", dg_headers()).status == 400);
  CHECK(http_post(speak_url(*sim, raw), R"({"text":""})", dg_headers()).status == 400);
  HttpResult big =
      http_post(speak_url(*sim, raw), R"({"text":")" + std::string(2001, 'x') + R"("})", dg_headers());
  CHECK(big.status == 413);
  CHECK(big.body.find("2001") != std::string::npos);
  // 2000 characters are fine (multi-byte characters count once).
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "\xc3\xa9";  // 1000 x U+00E9
  CHECK(http_post(speak_url(*sim, raw), R"({"text":")" + text + R"("})", dg_headers()).status == 200);
}

TEST_CASE("tts_rest faults: a scripted status, and a drop mid-body") {
  auto sim = start_sim(
      R"({"tts":{"ms_per_char":10},"faults":[{"endpoint":"tts_rest","type":"status","status":503,"first_n":1},)"
      R"({"endpoint":"tts_rest","type":"drop","after_messages":2,"first_n":2}]})");
  const std::string url = speak_url(*sim, "encoding=mulaw&sample_rate=8000&container=none");
  HttpResult first = http_post(url, R"({"text":"Hello there."})", dg_headers());
  CHECK(first.status == 503);
  CHECK(first.body.find("err_code") != std::string::npos);
  HttpResult second = http_post(url, R"({"text":"Hello there."})", dg_headers());
  CHECK(second.curl_code != 0);  // cut before the end of the chunked body
  CHECK(second.body.size() == 2 * 160);
  HttpResult third = http_post(url, R"({"text":"Hello there."})", dg_headers());
  CHECK(third.status == 200);
  CHECK(third.body.size() == 960);
  // A websocket-only fault type is refused for tts_rest.
  CHECK_FALSE(sim->load_scenario(R"({"faults":[{"endpoint":"tts_rest","type":"close"}]})").ok());
}

}  // namespace voxline::simtest
