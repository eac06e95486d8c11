#include "voxline/speech/deepgram_close.hpp"

#include <doctest/doctest.h>

#include <string>

#include "voxline/net/http_status.hpp"

using voxline::StatusCode;
using voxline::speech::status_from_deepgram_close;

TEST_CASE("the observed NET-0001 close says keepalive and keeps the close code's UNAVAILABLE") {
  const std::string reason =
      "Deepgram did not receive audio data or a text message within the timeout window. See "
      "https://dpgr.am/net0001";
  const auto s = status_from_deepgram_close(1011, reason);
  CHECK(s.code() == StatusCode::kUnavailable);
  CHECK(s.code() == voxline::status_from_close_code(1011, reason).code());
  CHECK(s.message().find("Deepgram NET-0001: no audio or text message") == 0);
  CHECK(s.message().find("KeepAlive") != std::string::npos);
  CHECK(s.message().find("websocket closed with code 1011") != std::string::npos);
  CHECK(s.message().find("dpgr.am/net0001") != std::string::npos);
}

TEST_CASE("DATA on 1008 is bad audio, NET-0000 is a missing result, and BIG/MESSAGE are named") {
  auto s = status_from_deepgram_close(1008, "DATA-0000");
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("Deepgram DATA-0000: the audio") == 0);
  s = status_from_deepgram_close(1011,
                                 "Deepgram did not provide a response message within the timeout window. "
                                 "See https://dpgr.am/net0000");
  CHECK(s.code() == StatusCode::kUnavailable);
  CHECK(s.message().find("Deepgram NET-0000: Deepgram produced no result") == 0);
  s = status_from_deepgram_close(1009, "BIG-0001");
  CHECK(s.code() == StatusCode::kProtocolError);
  CHECK(s.message().find("Deepgram BIG-0001: a message was too large") == 0);
  s = status_from_deepgram_close(1003, "message-0000");
  CHECK(s.message().find("Deepgram MESSAGE-0000: a message could not be parsed") == 0);
}

TEST_CASE("a normal close stays OK and a reason without an id is the plain close mapping") {
  CHECK(status_from_deepgram_close(1000, "").ok());
  CHECK(status_from_deepgram_close(1000, "NET-0001").ok());
  CHECK(status_from_deepgram_close(1011, "internal error") ==
        voxline::status_from_close_code(1011, "internal error"));
  CHECK(status_from_deepgram_close(1006, "") == voxline::status_from_close_code(1006, ""));
}
