#include "voxline/speech/stt_messages.hpp"

#include <doctest/doctest.h>

#include <string>

#include "unit/speech/fixture.hpp"

using voxline::StatusCode;
using voxline::speech::finalize_message;
using voxline::speech::kSttCloseStream;
using voxline::speech::kSttKeepAlive;
using voxline::speech::ServerError;
using voxline::speech::ServerWarning;
using voxline::speech::SttMessageDecoder;
using voxline::speech::SttMetadata;
using voxline::speech::SttSpeechStarted;
using voxline::speech::SttTranscript;
using voxline::speech::SttUtteranceEnd;
using voxline::speech::UnknownMessage;

namespace {
ServerError expect_malformed(SttMessageDecoder &d, const std::string &frame) {
  const auto e = expect_event<ServerError>(d.decode(frame));
  CHECK(e.origin == ServerError::Origin::kMalformed);
  CHECK(e.status.code() == StatusCode::kProtocolError);
  return e;
}
}  // namespace

TEST_CASE("the interim Results example decodes with its flags, window, words and request id") {
  SttMessageDecoder d;
  const auto t = expect_event<SttTranscript>(d.decode(speech_fixture("stt_results_interim.json")));
  CHECK(t.text == "i need to bring my car in");
  CHECK_FALSE(t.is_final);
  CHECK_FALSE(t.speech_final);
  CHECK_FALSE(t.from_finalize);
  CHECK(t.confidence == doctest::Approx(0.874));
  CHECK(t.start == doctest::Approx(2.4));
  CHECK(t.duration == doctest::Approx(1.1));
  CHECK(t.channel == 0);
  CHECK(t.request_id == "6d0e51c2-93a7-4b1e-a2f4-8c3b7f90d115");
  REQUIRE(t.words.size() == 7);
  CHECK(t.words[0].word == "i");
  CHECK(t.words[0].punctuated_word == "I");
  CHECK(t.words[0].start == doctest::Approx(2.56));
  CHECK(t.words[0].end == doctest::Approx(2.64));
  CHECK(t.words[6].confidence == doctest::Approx(0.62));
  CHECK(d.counters().frames == 1);
  CHECK(d.counters().malformed == 0);
}

TEST_CASE("the final Results example carries speech_final and the punctuated last word") {
  SttMessageDecoder d;
  const auto t = expect_event<SttTranscript>(d.decode(speech_fixture("stt_results_final.json")));
  CHECK(t.text == "I need to bring my car in tomorrow.");
  CHECK(t.is_final);
  CHECK(t.speech_final);
  CHECK_FALSE(t.from_finalize);
  REQUIRE(t.words.size() == 8);
  CHECK(t.words[7].word == "tomorrow");
  CHECK(t.words[7].punctuated_word == "tomorrow.");
  CHECK(t.words[7].end == doctest::Approx(4.12));
}

TEST_CASE("a Finalize result, an empty silence result and a missing punctuated_word decode") {
  SttMessageDecoder d;
  auto t = expect_event<SttTranscript>(d.decode(
      R"({"type":"Results","channel_index":[1,2],"start":4.0,"duration":0.5,"is_final":true,"from_finalize":true,)"
      R"("channel":{"alternatives":[{"transcript":"ok","confidence":0.9,"words":[{"word":"ok","start":4.1,"end":4.3}]}]}})"));
  CHECK(t.from_finalize);
  CHECK(t.is_final);
  CHECK_FALSE(t.speech_final);
  CHECK(t.channel == 1);
  REQUIRE(t.words.size() == 1);
  CHECK(t.words[0].punctuated_word == "ok");  // falls back to word
  CHECK(t.words[0].confidence == 0);
  CHECK(t.request_id.empty());
  t = expect_event<SttTranscript>(
      d.decode(R"({"type":"Results","channel_index":[0,1],"duration":1.0,"start":0.0,"is_final":false,)"
               R"("channel":{"alternatives":[{"transcript":"","confidence":0,"words":[]}]},"metadata":{}})"));
  CHECK(t.text.empty());
  CHECK(t.words.empty());
  // No alternatives at all: an empty transcript, not an error.
  t = expect_event<SttTranscript>(d.decode(R"({"type":"Results","channel":{"alternatives":[]}})"));
  CHECK(t.text.empty());
  CHECK(d.counters().malformed == 0);
}

TEST_CASE("SpeechStarted, UtteranceEnd and Metadata examples decode into their events") {
  SttMessageDecoder d;
  const auto s = expect_event<SttSpeechStarted>(d.decode(speech_fixture("stt_speech_started.json")));
  CHECK(s.timestamp == doctest::Approx(7.42));
  CHECK(s.channel == 0);
  const auto u = expect_event<SttUtteranceEnd>(d.decode(speech_fixture("stt_utterance_end.json")));
  CHECK(u.last_word_end == doctest::Approx(4.12));
  const auto m = expect_event<SttMetadata>(d.decode(speech_fixture("stt_metadata.json")));
  CHECK(m.request_id == "6d0e51c2-93a7-4b1e-a2f4-8c3b7f90d115");
  CHECK(m.created == "2025-03-14T16:02:11.487Z");
  CHECK(m.duration == doctest::Approx(41.38));
  CHECK(m.channels == 1);
  CHECK(d.counters().frames == 3);
}

TEST_CASE("the legacy Error shape becomes a server ServerError with the DATA id as INVALID_ARGUMENT") {
  SttMessageDecoder d;
  const auto e = expect_event<ServerError>(d.decode(speech_fixture("stt_error_legacy.json")));
  CHECK(e.origin == ServerError::Origin::kServer);
  CHECK(e.code == "DATA-0000");
  CHECK(e.description == "Unable to decode audio payload.");
  CHECK(e.status.code() == StatusCode::kInvalidArgument);
  CHECK(e.status.message() == "Deepgram error: DATA-0000: Unable to decode audio payload.");
  CHECK(d.counters().server_errors == 1);
  CHECK(d.counters().malformed == 0);
  // A sentence in "message" is the description; no id means PROTOCOL_ERROR.
  const auto s = expect_event<ServerError>(d.decode(R"({"type":"Error","message":"something broke badly"})"));
  CHECK(s.code.empty());
  CHECK(s.description == "something broke badly");
  CHECK(s.status.code() == StatusCode::kProtocolError);
  CHECK(s.status.message() == "Deepgram error: something broke badly");
  // Found by the fuzzer: the code is peer text too; a newline in it must not reach the message.
  const auto nl = expect_event<ServerError>(
      d.decode(R"({"type":"Error","code":"DATA-0000\nfake: line","description":"x"})"));
  CHECK(nl.code == "DATA-0000\nfake: line");
  CHECK(nl.status.message().find('\n') == std::string::npos);
  CHECK(nl.status.code() == StatusCode::kInvalidArgument);
  const auto bare = expect_event<ServerError>(d.decode(R"({"type":"Error","description":5})"));
  CHECK(bare.status.message() == "Deepgram error: (no description)");
}

TEST_CASE("Warning reads both the spec and the older field spellings") {
  SttMessageDecoder d;
  auto w = expect_event<ServerWarning>(d.decode(R"({"type":"Warning","code":"W1","description":"careful"})"));
  CHECK(w.code == "W1");
  CHECK(w.description == "careful");
  w = expect_event<ServerWarning>(d.decode(R"({"type":"Warning","warn_code":"W2","warn_msg":"older"})"));
  CHECK(w.code == "W2");
  CHECK(w.description == "older");
  CHECK(d.counters().warnings == 2);
}

TEST_CASE("unknown types are returned as UnknownMessage and counted, never as errors") {
  SttMessageDecoder d;
  const auto u = expect_event<UnknownMessage>(d.decode(R"({"type":"TurnInfo","event":"StartOfTurn"})"));
  CHECK(u.type == "TurnInfo");
  expect_event<UnknownMessage>(d.decode(R"({"type":"results"})"));  // types are case-sensitive
  CHECK(d.counters().unknown_types == 2);
  CHECK(d.counters().malformed == 0);
  CHECK(d.counters().frames == 2);
}

TEST_CASE("malformed frames become kMalformed errors that say what is wrong") {
  SttMessageDecoder d;
  CHECK(expect_malformed(d, "").status.message().find("invalid JSON at offset 0") != std::string::npos);
  CHECK(expect_malformed(d, R"({"type":"Results")")
            .status.message()
            .find("Deepgram STT message: invalid JSON") == 0);
  CHECK(expect_malformed(d, "[1,2]").status.message() == "Deepgram STT message: expected a JSON object");
  CHECK(expect_malformed(d, R"({"is_final":true})").status.message() ==
        "Deepgram STT message: field 'type' is missing");
  CHECK(expect_malformed(d, R"({"type":7})")
            .status.message()
            .find("field 'type' must be a string, got number") != std::string::npos);
  CHECK(expect_malformed(d, R"({"type":"Results"})").status.message() ==
        "Deepgram STT Results message: field 'channel' is missing");
  CHECK(expect_malformed(d, R"({"type":"Results","is_final":"yes","channel":{"alternatives":[]}})")
            .status.message()
            .find("field 'is_final' must be a boolean, got string") != std::string::npos);
  CHECK(
      expect_malformed(
          d,
          R"({"type":"Results","channel":{"alternatives":[{"transcript":"a","words":[{"word":"a","start":1}]}]}})")
          .status.message() == "Deepgram STT Results message: words[0]: field 'end' is missing");
  CHECK(expect_malformed(d, R"({"type":"Results","channel_index":["x"],"channel":{"alternatives":[]}})")
            .status.message()
            .find("'channel_index' must hold integers") != std::string::npos);
  CHECK(expect_malformed(d, R"({"type":"SpeechStarted"})").status.message().find("'timestamp' is missing") !=
        std::string::npos);
  CHECK(expect_malformed(d, R"({"type":"UtteranceEnd","last_word_end":"4"})")
            .status.message()
            .find("'last_word_end' must be") != std::string::npos);
  CHECK(expect_malformed(d, R"({"type":"Metadata","channels":-1})").status.message().find("'channels'") !=
        std::string::npos);
  CHECK(expect_malformed(d, "\xFF\xFE{}").status.message().find("invalid JSON") != std::string::npos);
  CHECK(expect_malformed(d, std::string(40, '[') + std::string(40, ']'))
            .status.message()
            .find("nested deeper") != std::string::npos);
  // Found by the fuzzer: a number beyond the double range parses as infinity.
  CHECK(
      expect_malformed(
          d,
          R"({"type":"Results","channel":{"alternatives":[{"transcript":"a","words":[{"word":"a","start":1,"end":2.881e308}]}]}})")
          .status.message() == "Deepgram STT Results message: words[0]: field 'end' is not a finite number");
  CHECK(expect_malformed(d, R"({"type":"SpeechStarted","timestamp":-2.881e308})")
            .status.message()
            .find("'timestamp' is not a finite") != std::string::npos);
  CHECK(d.counters().malformed == 16);
  CHECK(d.counters().frames == 16);
}

TEST_CASE("control messages are the exact JSON text frames Deepgram expects") {
  CHECK(kSttKeepAlive == R"({"type":"KeepAlive"})");
  CHECK(kSttCloseStream == R"({"type":"CloseStream"})");
  CHECK(finalize_message() == R"({"type":"Finalize"})");
  CHECK(finalize_message(0) == R"({"type":"Finalize","channel":0})");
  CHECK(finalize_message(3) == R"({"type":"Finalize","channel":3})");
}
