#include "voxline/speech/tts_messages.hpp"

#include <doctest/doctest.h>

#include <string>

#include "unit/speech/fixture.hpp"
#include "voxline/core/json.hpp"

using voxline::StatusCode;
using voxline::speech::kMaxSpeakChars;
using voxline::speech::kTtsClear;
using voxline::speech::kTtsClose;
using voxline::speech::kTtsFlush;
using voxline::speech::ServerError;
using voxline::speech::ServerWarning;
using voxline::speech::speak_message;
using voxline::speech::TtsCleared;
using voxline::speech::TtsEvent;
using voxline::speech::TtsFlushed;
using voxline::speech::TtsMessageDecoder;
using voxline::speech::TtsMetadata;
using voxline::speech::UnknownMessage;

namespace {
template <typename T>
T expect(const TtsEvent &ev) {
  REQUIRE_MESSAGE(std::holds_alternative<T>(ev), "event index " << ev.index());
  return std::get<T>(ev);
}

// The text a Speak message carries, read back with the JSON parser.
std::string speak_text_of(const std::string &message) {
  auto doc = voxline::json::parse(message);
  REQUIRE(doc.ok());
  auto type = voxline::json::get_string(*doc, "type");
  REQUIRE(type.ok());
  CHECK(*type == "Speak");
  auto text = voxline::json::get_string(*doc, "text");
  REQUIRE(text.ok());
  return std::string(*text);
}
}  // namespace

TEST_CASE("Speak escapes quotes, backslashes and control characters and keeps UTF-8 as is") {
  auto m = speak_message("Hello, world. ");
  REQUIRE(m.ok());
  CHECK(*m == R"({"type":"Speak","text":"Hello, world. "})");
  const std::string tricky =
      std::string("He said \"hi\"\\ then\n\ttab \x01 and caf\xC3\xA9 \xF0\x9F\x9A\x97 ") +
      std::string(1, '\0') + "</script>";
  m = speak_message(tricky);
  REQUIRE(m.ok());
  CHECK(m->find(R"(\"hi\"\\ then\n\ttab \u0001 and caf)") != std::string::npos);
  CHECK(m->find("\\u0000") != std::string::npos);
  CHECK(speak_text_of(*m) == tricky);
}

TEST_CASE("Speak refuses empty text, invalid UTF-8 and text over the per-message limit") {
  auto m = speak_message("");
  CHECK(m.status().code() == StatusCode::kInvalidArgument);
  CHECK(m.status().message() == "Speak text is empty");
  for (const char *bad : {"\xC3", "a\xFF", "\xED\xA0\x80", "\xC0\xAF"}) {
    CAPTURE(bad);
    m = speak_message(bad);
    CHECK(m.status().code() == StatusCode::kInvalidArgument);
    CHECK(m.status().message() == "Speak text is not valid UTF-8");
  }
  // The limit counts characters, not bytes: 2000 two-byte characters pass, one more does not.
  std::string at_limit;
  for (size_t i = 0; i < kMaxSpeakChars; ++i) at_limit += "\xC3\xA9";
  m = speak_message(at_limit);
  REQUIRE(m.ok());
  CHECK(speak_text_of(*m) == at_limit);
  m = speak_message(at_limit + "x");
  CHECK(m.status().code() == StatusCode::kInvalidArgument);
  CHECK(m.status().message() == "Speak text has 2001 characters; Deepgram takes at most 2000 per message");
}

TEST_CASE("Flush, Clear and Close are the exact JSON texts of protocols.md 2.2") {
  CHECK(kTtsFlush == R"({"type":"Flush"})");
  CHECK(kTtsClear == R"({"type":"Clear"})");
  CHECK(kTtsClose == R"({"type":"Close"})");
}

TEST_CASE("Flushed, Cleared and Metadata examples decode with their sequence ids and model") {
  TtsMessageDecoder d;
  const auto f = expect<TtsFlushed>(d.decode(speech_fixture("tts_flushed.json")));
  REQUIRE(f.sequence_id.has_value());
  CHECK(*f.sequence_id == 0);
  const auto c = expect<TtsCleared>(d.decode(speech_fixture("tts_cleared.json")));
  CHECK(c.sequence_id == 1);
  const auto m = expect<TtsMetadata>(d.decode(speech_fixture("tts_metadata.json")));
  CHECK(m.request_id == "c41f7a09-2b6e-4d85-9a13-5e0f8b7c2d46");
  CHECK(m.model_name == "aura-2-thalia-en");
  CHECK(m.model_version == "2025-04-07.0");
  CHECK(m.model_uuid == "e3a91c55-7d02-4b6f-8f1e-90c4d2b7a318");
  CHECK_FALSE(expect<TtsFlushed>(d.decode(R"({"type":"Flushed"})")).sequence_id.has_value());
  CHECK(d.counters().frames == 4);
  CHECK(d.counters().malformed == 0);
}

TEST_CASE("TTS Warning in both spellings and the Flux Error shape decode") {
  TtsMessageDecoder d;
  auto w = expect<ServerWarning>(d.decode(speech_fixture("tts_warning.json")));
  CHECK(w.code == "FLUSH_LIMIT");
  CHECK(w.description.find("Flush limit of 20 per minute") == 0);
  w = expect<ServerWarning>(d.decode(R"({"type":"Warning","warn_code":"X","warn_msg":"old"})"));
  CHECK(w.description == "old");
  const auto e = expect<ServerError>(d.decode(speech_fixture("tts_error_flux.json")));
  CHECK(e.origin == ServerError::Origin::kServer);
  CHECK(e.code == "MESSAGE-0000");
  CHECK(e.status.code() == StatusCode::kProtocolError);
  CHECK(e.status.message() == "Deepgram error MESSAGE-0000: The message could not be parsed.");
  CHECK(d.counters().warnings == 2);
  CHECK(d.counters().server_errors == 1);
}

TEST_CASE("TTS unknown types are counted and malformed frames become kMalformed errors") {
  TtsMessageDecoder d;
  CHECK(expect<UnknownMessage>(d.decode(R"({"type":"Reset"})")).type == "Reset");
  for (const char *bad :
       {"not json", R"({"sequence_id":1})", R"({"type":"Flushed","sequence_id":"1"})",
        R"({"type":"Cleared","sequence_id":1.5})", R"({"type":"Metadata","model_name":3})"}) {
    CAPTURE(bad);
    const auto e = expect<ServerError>(d.decode(bad));
    CHECK(e.origin == ServerError::Origin::kMalformed);
    CHECK(e.status.code() == StatusCode::kProtocolError);
    CHECK(e.status.message().find("Deepgram TTS") == 0);
  }
  CHECK(expect<ServerError>(d.decode(R"({"type":"Flushed","sequence_id":"1"})")).status.message() ==
        "Deepgram TTS Flushed message: field 'sequence_id' must be an integer in int64 range, got string");
  CHECK(d.counters().unknown_types == 1);
  CHECK(d.counters().malformed == 6);
}
