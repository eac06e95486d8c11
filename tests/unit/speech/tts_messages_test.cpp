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
using voxline::speech::TtsFlushed;
using voxline::speech::TtsMessageDecoder;
using voxline::speech::TtsMetadata;
using voxline::speech::UnknownMessage;

namespace {
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
  for (const char *bad :
       {"\xC3", "a\xFF", "\xED\xA0\x80", "\xC0\xAF", "\x80", "\xE0\x80\x80", "\xF0\x80\x80\x80",
        "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xE2\x82", "\xE2\x82x", "\xF0\x9F\x9A"}) {
    CAPTURE(bad);
    m = speak_message(bad);
    CHECK(m.status().code() == StatusCode::kInvalidArgument);
    CHECK(m.status().message() == "Speak text is not valid UTF-8");
  }
  for (const char *good :
       {"\xF4\x8F\xBF\xBF", "\xED\x9F\xBF", "\xEE\x80\x80", "\xE0\xA0\x80", "\xF0\x90\x80\x80", "\x7F"}) {
    CAPTURE(good);
    CHECK(speak_message(good).ok());
  }
  // A view that ends inside a sequence is invalid even when the bytes after it would complete it
  // (RapidJSON's validating writer read past the view's end and accepted this).
  const std::string e_acute = "\xC3\xA9";
  m = speak_message(std::string_view(e_acute.data(), 1));
  CHECK(m.status().message() == "Speak text is not valid UTF-8");
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

TEST_CASE("Flush, Clear and Close are the exact JSON texts Deepgram documents") {
  CHECK(kTtsFlush == R"({"type":"Flush"})");
  CHECK(kTtsClear == R"({"type":"Clear"})");
  CHECK(kTtsClose == R"({"type":"Close"})");
}

TEST_CASE("Flushed, Cleared and Metadata examples decode with their sequence ids and model") {
  TtsMessageDecoder d;
  const auto f = expect_event<TtsFlushed>(d.decode(speech_fixture("tts_flushed.json")));
  REQUIRE(f.sequence_id.has_value());
  CHECK(*f.sequence_id == 0);
  const auto c = expect_event<TtsCleared>(d.decode(speech_fixture("tts_cleared.json")));
  CHECK(c.sequence_id == 1);
  const auto m = expect_event<TtsMetadata>(d.decode(speech_fixture("tts_metadata.json")));
  CHECK(m.request_id == "c41f7a09-2b6e-4d85-9a13-5e0f8b7c2d46");
  CHECK(m.model_name == "aura-2-thalia-en");
  CHECK(m.model_version == "2025-04-07.0");
  CHECK(m.model_uuid == "e3a91c55-7d02-4b6f-8f1e-90c4d2b7a318");
  CHECK_FALSE(expect_event<TtsFlushed>(d.decode(R"({"type":"Flushed"})")).sequence_id.has_value());
  CHECK(d.counters().frames == 4);
  CHECK(d.counters().malformed == 0);
}

TEST_CASE("TTS Warning in both spellings and the Flux Error shape decode") {
  TtsMessageDecoder d;
  auto w = expect_event<ServerWarning>(d.decode(speech_fixture("tts_warning.json")));
  CHECK(w.code == "FLUSH_LIMIT");
  CHECK(w.description.find("Flush limit of 20 per minute") == 0);
  w = expect_event<ServerWarning>(d.decode(R"({"type":"Warning","warn_code":"X","warn_msg":"old"})"));
  CHECK(w.description == "old");
  const auto e = expect_event<ServerError>(d.decode(speech_fixture("tts_error_flux.json")));
  CHECK(e.origin == ServerError::Origin::kServer);
  CHECK(e.code == "MESSAGE-0000");
  CHECK(e.status.code() == StatusCode::kProtocolError);
  CHECK(e.status.message() == "Deepgram error: MESSAGE-0000: The message could not be parsed.");
  CHECK(d.counters().warnings == 2);
  CHECK(d.counters().server_errors == 1);
}

TEST_CASE("TTS unknown types are counted and malformed frames become kMalformed errors") {
  TtsMessageDecoder d;
  CHECK(expect_event<UnknownMessage>(d.decode(R"({"type":"Reset"})")).type == "Reset");
  for (const char *bad :
       {"not json", R"({"sequence_id":1})", R"({"type":"Flushed","sequence_id":"1"})",
        R"({"type":"Cleared","sequence_id":1.5})", R"({"type":"Metadata","model_name":3})"}) {
    CAPTURE(bad);
    const auto e = expect_event<ServerError>(d.decode(bad));
    CHECK(e.origin == ServerError::Origin::kMalformed);
    CHECK(e.status.code() == StatusCode::kProtocolError);
    CHECK(e.status.message().find("Deepgram TTS") == 0);
  }
  CHECK(expect_event<ServerError>(d.decode(R"({"type":"Flushed","sequence_id":"1"})")).status.message() ==
        "Deepgram TTS Flushed message: field 'sequence_id' must be an integer in int64 range, got string");
  CHECK(d.counters().unknown_types == 1);
  CHECK(d.counters().malformed == 6);
}

namespace {
std::string joined(const std::vector<std::string_view> &pieces) {
  std::string out;
  for (std::string_view p : pieces) out += p;
  return out;
}
}  // namespace

TEST_CASE("split_speak_text cuts after the last sentence end, else the last space, and keeps every byte") {
  using voxline::speech::split_speak_text;
  const std::string text = "Your car is ready. The oil change is done! Pick it up at five today.";
  auto p = split_speak_text(text, 45);
  REQUIRE(p.size() == 2);
  CHECK(p[0] == "Your car is ready. The oil change is done! ");
  CHECK(p[1] == "Pick it up at five today.");
  p = split_speak_text(text, 20);
  CHECK(p[0] == "Your car is ready. ");
  CHECK(joined(p) == text);
  for (auto piece : p) CHECK(piece.size() <= 20);
  // No sentence end in the window: the last space.
  p = split_speak_text("one two three four", 10);
  REQUIRE(p.size() == 2);
  CHECK(p[0] == "one two ");
  CHECK(p[1] == "three four");
  // Short text and empty text.
  CHECK(split_speak_text("hello", 2000) == std::vector<std::string_view>{"hello"});
  CHECK(split_speak_text("", 10).empty());
}

TEST_CASE(
    "split_speak_text counts characters, never splits a UTF-8 sequence, and cuts words only when it must") {
  using voxline::speech::split_speak_text;
  // 5 two-byte characters per piece, no spaces: cut at character boundaries.
  const std::string e5 = "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9";
  const std::string eleven = e5 + e5 + "\xC3\xA9";  // the views point into it
  auto p = split_speak_text(eleven, 5);
  REQUIRE(p.size() == 3);
  CHECK(p[0] == e5);
  CHECK(p[1] == e5);
  CHECK(p[2] == "\xC3\xA9");
  // A four-byte emoji at the cut.
  p = split_speak_text(
      "ab\xF0\x9F\x9A\x97"
      "cd",
      3);
  REQUIRE(p.size() == 2);
  CHECK(p[0] == "ab\xF0\x9F\x9A\x97");
  CHECK(p[1] == "cd");
  // max_chars 0 counts as 1.
  CHECK(split_speak_text("abc", 0).size() == 3);
  // Every piece of a long answer fits one Speak message.
  std::string answer;
  for (int i = 0; i < 300; ++i) answer += "Sentence number " + std::to_string(i) + " is here. ";
  p = split_speak_text(answer);
  CHECK(p.size() > 1);
  CHECK(joined(p) == answer);
  for (auto piece : p) {
    CHECK(speak_message(piece).ok());
    CHECK(piece.substr(piece.size() - 2) == ". ");
  }
}
