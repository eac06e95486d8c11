#include "voxline/speech/deepgram_close.hpp"

#include <string>

#include "voxline/net/http_status.hpp"
#include "voxline/speech/server_message.hpp"

namespace voxline::speech {

namespace {
// The cause of each documented id; families without a specific entry get a generic one.
std::string_view cause_of(std::string_view id) {
  if (id == "NET-0001")
    return "no audio or text message reached Deepgram for about 10 s (send audio first, then KeepAlive while "
           "idle)";
  if (id == "NET-0000")
    return "Deepgram produced no result within its window (not enough audio, or its fault)";
  if (id.rfind("NET-", 0) == 0) return "network or timeout failure on Deepgram's side";
  if (id.rfind("DATA-", 0) == 0)
    return "the audio or a message could not be decoded (check encoding and sample_rate against the bytes)";
  if (id.rfind("BIG-", 0) == 0) return "a message was too large";
  return "a message could not be parsed or had the wrong type";  // MESSAGE-
}
}  // namespace

Status status_from_deepgram_close(int code, std::string_view reason) {
  Status s = status_from_close_code(code, reason);
  if (s.ok()) return s;
  const std::string id = find_payload_id(reason);
  if (id.empty()) return s;
  return s.with_context("Deepgram " + id + ": " + std::string(cause_of(id)));
}

}  // namespace voxline::speech
