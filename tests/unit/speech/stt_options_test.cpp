#include "voxline/speech/stt_options.hpp"

#include <doctest/doctest.h>

#include <string>

using voxline::StatusCode;
using voxline::speech::AudioEncoding;
using voxline::speech::stt_listen_url;
using voxline::speech::SttOptions;

namespace {
std::string refused(const SttOptions &o) {
  const auto url = stt_listen_url(o);
  REQUIRE_FALSE(url.ok());
  CHECK(url.status().code() == StatusCode::kInvalidArgument);
  CHECK_FALSE(validate(o).ok());
  return url.status().message();
}
}  // namespace

TEST_CASE("the documented Twilio example URL comes out byte for byte") {
  SttOptions o;
  o.language = "en-US";
  o.keyterms = {"VIN", "oil change"};
  const auto url = stt_listen_url(o);
  REQUIRE(url.ok());
  CHECK(*url ==
        "wss://api.deepgram.com/v1/listen?model=nova-3&language=en-US&encoding=mulaw&sample_rate=8000"
        "&channels=1&interim_results=true&endpointing=300&utterance_end_ms=1000&vad_events=true"
        "&smart_format=true&keyterm=VIN&keyterm=oil%20change");
  CHECK(validate(o).ok());
}

TEST_CASE("linear16, endpointing off, no utterance end and no extras give the matching parameters") {
  SttOptions o;
  o.base_url = "ws://127.0.0.1:9000/";
  o.model = "nova-2-phonecall";
  o.encoding = AudioEncoding::kLinear16;
  o.sample_rate = 16000;
  o.interim_results = false;
  o.endpointing_ms = 0;
  o.utterance_end_ms = 0;
  o.vad_events = false;
  o.smart_format = false;
  const auto url = stt_listen_url(o);
  REQUIRE(url.ok());
  CHECK(*url ==
        "ws://127.0.0.1:9000/v1/listen?model=nova-2-phonecall&language=en&encoding=linear16&sample_rate=16000"
        "&channels=1&interim_results=false&endpointing=false&vad_events=false&smart_format=false");
}

TEST_CASE("keyterms are percent-encoded one parameter each, including reserved and UTF-8 bytes") {
  SttOptions o;
  o.keyterms = {"A&B Auto", "Citro\xC3\xABn", "50+ miles"};
  const auto url = stt_listen_url(o);
  REQUIRE(url.ok());
  CHECK(url->find("&keyterm=A%26B%20Auto&keyterm=Citro%C3%ABn&keyterm=50%2B%20miles") != std::string::npos);
  CHECK(url->substr(url->size() - 22) == "&keyterm=50%2B%20miles");
}

TEST_CASE("utterance_end_ms requires interim_results and lies in 1000-5000") {
  SttOptions o;
  o.interim_results = false;
  CHECK(refused(o).find("utterance_end_ms requires interim_results") != std::string::npos);
  o.interim_results = true;
  o.utterance_end_ms = 999;
  CHECK(refused(o).find("utterance_end_ms 999 is outside 1000-5000") != std::string::npos);
  o.utterance_end_ms = 5001;
  CHECK(refused(o).find("5001") != std::string::npos);
  o.utterance_end_ms = 5000;
  CHECK(validate(o).ok());
}

TEST_CASE("sample rates that do not fit the encoding are refused") {
  SttOptions o;
  o.sample_rate = 16000;  // mulaw
  CHECK(refused(o).find("G.711 mu-law audio is 8000 Hz") != std::string::npos);
  o.encoding = AudioEncoding::kLinear16;
  CHECK(validate(o).ok());
  o.sample_rate = 4000;
  CHECK(refused(o).find("outside 8000-48000") != std::string::npos);
  o.sample_rate = 96000;
  CHECK(refused(o).find("96000") != std::string::npos);
}

TEST_CASE("endpointing must be 0 (off) or a positive number of milliseconds up to a minute") {
  SttOptions o;
  o.endpointing_ms = -1;
  CHECK(refused(o).find("endpointing_ms -1") != std::string::npos);
  o.endpointing_ms = 60'001;
  CHECK(refused(o).find("endpointing_ms 60001") != std::string::npos);
  o.endpointing_ms = 10;
  const auto url = stt_listen_url(o);
  REQUIRE(url.ok());
  CHECK(url->find("&endpointing=10&") != std::string::npos);
}

TEST_CASE("keyterms are refused on non-nova-3 models, with language multi, empty, or over the token limit") {
  SttOptions o;
  o.keyterms = {"VIN"};
  o.model = "nova-2";
  CHECK(refused(o).find("keyterms need a nova-3 model") != std::string::npos);
  o.model = "nova-3-medical";
  CHECK(validate(o).ok());
  o.language = "multi";
  CHECK(refused(o).find("'multi'") != std::string::npos);
  o.language = "en";
  o.keyterms = {"VIN", "  "};
  CHECK(refused(o).find("keyterms[1] is empty") != std::string::npos);
  o.keyterms = {"line\nbreak"};
  CHECK(refused(o).find("keyterms[0] contains a control character") != std::string::npos);
  o.keyterms.assign(250, "two words");
  CHECK(validate(o).ok());  // 500 words: at the bound
  o.keyterms.push_back("more");
  CHECK(refused(o).find("keyterms have 501 words") != std::string::npos);
}

TEST_CASE("model, language and base URL are checked with messages that name them") {
  SttOptions o;
  o.model = "";
  CHECK(refused(o).find("STT model must not be empty") != std::string::npos);
  o.model = "nova-3";
  o.language = "en US";
  CHECK(refused(o).find("STT language") != std::string::npos);
  o.language = "en";
  o.base_url = "https://api.deepgram.com";
  CHECK(refused(o).find("ws or wss") != std::string::npos);
  o.base_url = "wss://api.deepgram.com/?model=nova-2";
  CHECK(refused(o).find("query or fragment") != std::string::npos);
}
