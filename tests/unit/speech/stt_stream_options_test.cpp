// validate(SttStreamOptions): the defaults pass; each out-of-range setting is refused naming its
// field; the socket options and the credential are checked too.
#include <doctest/doctest.h>

#include <string>

#include "voxline/speech/stt_stream.hpp"

using namespace voxline;
using namespace voxline::speech;
using namespace std::chrono_literals;

namespace {
SttStreamOptions valid() {
  SttStreamOptions o;
  o.auth = {DeepgramAuth::Scheme::kToken, "dg-key-123"};
  return o;
}
void refused(const SttStreamOptions &o, const std::string &field) {
  Status s = validate(o);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK_MESSAGE(s.message().find(field) != std::string::npos, s.message());
}
}  // namespace

TEST_CASE("the default stream options with a credential are valid") {
  CHECK(validate(valid()).ok());
}

TEST_CASE("each out-of-range stream setting is refused, naming its field") {
  auto o = valid();
  o.coalesce = 1ms;
  refused(o, "coalesce");
  o = valid();
  o.ring_capacity = 10ms;
  refused(o, "ring_capacity");
  o = valid();
  o.max_message = 10ms;  // below coalesce
  refused(o, "max_message");
  o = valid();
  o.ring_capacity = 200ms;
  o.max_message = 300ms;
  refused(o, "ring_capacity");
  o = valid();
  o.keepalive_interval = 12s;  // Deepgram closes after about 10 s
  refused(o, "keepalive_interval");
  o = valid();
  o.close_timeout = 0ms;
  refused(o, "close_timeout");
  o = valid();
  o.replay_bound = 120s;
  refused(o, "replay_bound");
  o = valid();
  o.reconnect_backoff.max_attempts = 0;
  refused(o, "max_attempts");
  o = valid();
  o.ping_interval_s = -1;
  refused(o, "ping_interval_s");
}

TEST_CASE("the socket options and the credential are part of the check") {
  auto o = valid();
  o.stt.utterance_end_ms = 1000;
  o.stt.interim_results = false;
  CHECK(validate(o).code() == StatusCode::kInvalidArgument);
  o = valid();
  o.auth.credential.clear();
  refused(o, "auth");
  o = valid();
  o.auth.scheme = DeepgramAuth::Scheme::kBearer;  // an API key is not a JWT
  refused(o, "auth");
}
