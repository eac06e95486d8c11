// What SttStream does to Deepgram's events and closes: re-basing onto the stream clock, the audio a
// final frees from replay, and which closes end the stream or reconnect.
#include <doctest/doctest.h>

#include "speech/stt_event_map.hpp"

using namespace voxline;
using namespace voxline::speech;

TEST_CASE("rebase moves a result, its words and the VAD events by the connection's offset") {
  SttTranscript t;
  t.start = 0.5;
  t.duration = 1.0;
  t.words = {{"hi", "Hi", 0.6, 0.9, 0.9}};
  rebase(t, 2.25);
  CHECK(t.start == doctest::Approx(2.75));
  CHECK(t.duration == doctest::Approx(1.0));
  CHECK(t.words[0].start == doctest::Approx(2.85));
  CHECK(t.words[0].end == doctest::Approx(3.15));
  SttSpeechStarted s{1.0, 0};
  rebase(s, 2.0);
  CHECK(s.timestamp == doctest::Approx(3.0));
  SttUtteranceEnd u{1.5, 0};
  rebase(u, 2.0);
  CHECK(u.last_word_end == doctest::Approx(3.5));
}

TEST_CASE("a final's end is a whole-sample stream offset, clamped to what was sent") {
  const SttAudioClock linear16{32000, 2};  // 16 kHz PCM16
  SttTranscript t;
  t.start = 1.0;
  t.duration = 0.50003;
  CHECK(final_end_offset(t, 1000, 1'000'000, linear16) == 1000 + 48000);
  CHECK(final_end_offset(t, 1000, 20000, linear16) == 20000);
  t.start = -5;
  t.duration = 1;
  CHECK(final_end_offset(t, 1000, 20000, linear16) == 1000);
  CHECK(linear16.bytes(0.0000156) == 0);
  CHECK(linear16.bytes(0.0000313) == 2);
  CHECK(linear16.seconds(64000) == doctest::Approx(2.0));
}

TEST_CASE("closes map to clear errors, and only transient ones reconnect") {
  Status data = server_close_status(
      1008, "DATA-0000: The payload cannot be decoded as audio. See https://dpgr.am/data0000", false);
  CHECK(data.code() == StatusCode::kInvalidArgument);
  CHECK(data.message().find("DATA-0000") != std::string::npos);
  CHECK_FALSE(is_reconnectable(data));
  const char *net1 =
      "Deepgram did not receive audio data or a text message within the timeout window. See "
      "https://dpgr.am/net0001";
  Status net = server_close_status(1011, net1, false);
  CHECK(net.code() == StatusCode::kUnavailable);
  CHECK(net.message().find("NET-0001") != std::string::npos);
  CHECK(is_reconnectable(net));
  CHECK(is_deepgram_timeout(1011, net1));
  CHECK_FALSE(is_deepgram_timeout(1011, "internal"));
  CHECK_FALSE(is_deepgram_timeout(1008, "NET-0001"));
  CHECK(server_close_status(1000, "", true).ok());
  Status early = server_close_status(1000, "", false);
  CHECK(early.code() == StatusCode::kUnavailable);
  CHECK(is_reconnectable(early));
  CHECK(is_reconnectable(timeout_error("x")));
  CHECK_FALSE(is_reconnectable(unauthenticated("x")));
}
