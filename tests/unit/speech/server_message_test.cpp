#include "voxline/speech/server_message.hpp"

#include <doctest/doctest.h>

using voxline::StatusCode;
using voxline::speech::status_for_payload_id;

TEST_CASE("payload ids map by family, with or without the dash and in any case") {
  CHECK(status_for_payload_id("DATA-0000") == StatusCode::kInvalidArgument);
  CHECK(status_for_payload_id("data0001") == StatusCode::kInvalidArgument);
  CHECK(status_for_payload_id("NET-0001") == StatusCode::kUnavailable);
  CHECK(status_for_payload_id("Deepgram did not receive audio data or a text message within the timeout "
                              "window. See https://dpgr.am/net0001") == StatusCode::kUnavailable);
  CHECK(status_for_payload_id("BIG-0000") == StatusCode::kProtocolError);
  CHECK(status_for_payload_id("MESSAGE-0000") == StatusCode::kProtocolError);
  // A family word without digits is not an id ("audio data" in a sentence).
  CHECK(status_for_payload_id("bad audio data") == StatusCode::kProtocolError);
  CHECK(status_for_payload_id("network-") == StatusCode::kProtocolError);
  CHECK(status_for_payload_id("") == StatusCode::kProtocolError);
  CHECK(status_for_payload_id("net") == StatusCode::kProtocolError);
  CHECK(status_for_payload_id("net-") == StatusCode::kProtocolError);
}
