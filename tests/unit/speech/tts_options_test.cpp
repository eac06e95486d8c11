#include "voxline/speech/tts_options.hpp"

#include <doctest/doctest.h>

#include <string>

using voxline::StatusCode;
using voxline::speech::AudioEncoding;
using voxline::speech::tts_rest_url;
using voxline::speech::tts_speak_url;
using voxline::speech::TtsOptions;

TEST_CASE("the default TTS options give Twilio-ready mulaw 8 kHz on the speak socket and REST") {
  const TtsOptions o;
  const auto ws = tts_speak_url(o);
  REQUIRE(ws.ok());
  CHECK(*ws == "wss://api.deepgram.com/v1/speak?model=aura-2-thalia-en&encoding=mulaw&sample_rate=8000");
  const auto rest = tts_rest_url(o);
  REQUIRE(rest.ok());
  CHECK(*rest ==
        "https://api.deepgram.com/v1/"
        "speak?model=aura-2-thalia-en&encoding=mulaw&sample_rate=8000&container=none");
}

TEST_CASE("a ws:// base with a path prefix maps to http:// for the REST fallback") {
  TtsOptions o;
  o.base_url = "WS://127.0.0.1:8081/dg/";
  o.model = "aura-2-helena-en";
  o.encoding = AudioEncoding::kLinear16;
  o.sample_rate = 24000;
  const auto ws = tts_speak_url(o);
  REQUIRE(ws.ok());
  CHECK(*ws == "WS://127.0.0.1:8081/dg/v1/speak?model=aura-2-helena-en&encoding=linear16&sample_rate=24000");
  const auto rest = tts_rest_url(o);
  REQUIRE(rest.ok());
  CHECK(*rest ==
        "http://127.0.0.1:8081/dg/v1/speak?model=aura-2-helena-en&encoding=linear16&sample_rate=24000"
        "&container=none");
}

TEST_CASE("TTS sample rates are limited to what Deepgram offers for the encoding") {
  TtsOptions o;
  o.sample_rate = 24000;
  auto s = validate(o);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("mu-law audio is 8000 Hz") != std::string::npos);
  o.encoding = AudioEncoding::kLinear16;
  for (int ok : {8000, 16000, 24000, 32000, 48000}) {
    o.sample_rate = ok;
    CHECK(validate(o).ok());
  }
  o.sample_rate = 44100;
  s = validate(o);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("44100 with linear16") != std::string::npos);
  CHECK_FALSE(tts_speak_url(o).ok());
  CHECK_FALSE(tts_rest_url(o).ok());
}

TEST_CASE("a bad voice or base URL is refused by both URL builders") {
  TtsOptions o;
  o.model = "aura 2";
  CHECK(tts_speak_url(o).status().message().find("TTS model") != std::string::npos);
  o.model = "aura-2-thalia-en";
  o.base_url = "https://api.deepgram.com";
  CHECK(tts_speak_url(o).status().code() == StatusCode::kInvalidArgument);
  CHECK(tts_rest_url(o).status().message().find("ws or wss") != std::string::npos);
}
