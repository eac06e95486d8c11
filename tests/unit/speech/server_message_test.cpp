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

TEST_CASE("find_payload_id returns the canonical id of exactly four digits, or nothing") {
  using voxline::speech::find_payload_id;
  CHECK(find_payload_id("DATA-0000") == "DATA-0000");
  CHECK(find_payload_id("See https://dpgr.am/net0001") == "NET-0001");
  CHECK(find_payload_id("big-0001 and NET-0002") == "BIG-0001");
  CHECK(find_payload_id("Message-0000") == "MESSAGE-0000");
  CHECK(find_payload_id("net00012") == "");  // five digits
  CHECK(find_payload_id("net001") == "");
  CHECK(find_payload_id("data") == "");
  CHECK(find_payload_id("") == "");
}
