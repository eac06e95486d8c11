// Incremental HTTP/1.1 response parser (see http1_response_parser.hpp).
#include "net/http1_response_parser.hpp"

#include <algorithm>
#include <cstring>

#include "voxline/core/strings.hpp"

namespace voxline::detail {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_token_char(unsigned char c) {
  return c > 0x20 && c < 0x7f && std::strchr("\"(),/:;<=>?@[\\]{}", c) == nullptr;
}

// The last coding of a Transfer-Encoding list.
std::string_view last_coding(std::string_view value) {
  const size_t comma = value.rfind(',');
  return trim(comma == std::string_view::npos ? value : value.substr(comma + 1));
}

std::string_view strip_cr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

void Http1ResponseParser::expect_response(bool head_request) {
  state_ = State::kHead;
  head_request_ = head_request;
  keep_alive_ = false;
  status_ = 0;
  minor_ = 1;
  remaining_ = 0;
  bytes_seen_ = 0;
  head_.clear();
  line_.clear();
}

Status Http1ResponseParser::fail(std::string message) {
  state_ = State::kFailed;
  keep_alive_ = false;
  return protocol_error("malformed HTTP/1.1 response: " + message);
}

size_t Http1ResponseParser::take_line(const char *data, size_t len, bool *done) {
  const void *nl = std::memchr(data, '\n', len);
  const size_t used = nl == nullptr ? len : static_cast<size_t>(static_cast<const char *>(nl) - data) + 1;
  line_.append(data, used);
  *done = nl != nullptr;
  return used;
}

Status Http1ResponseParser::feed(const char *data, size_t len, Http1ResponseEvents &events) {
  if (len > 0) bytes_seen_ += len;
  while (len > 0) {
    switch (state_) {
      case State::kIdle: return fail("bytes arrived while no request was outstanding");
      case State::kFailed: return protocol_error("HTTP/1.1 response parser already failed");
      case State::kDone: return fail("bytes after the end of the response");
      case State::kHead: {
        const size_t old = head_.size();
        const size_t room = limits_.max_head_bytes + 3 - std::min(old, limits_.max_head_bytes);
        head_.append(data, std::min(len, room));
        // The head ends at the first empty line ("\n\n" or "\n\r\n"); a terminator may straddle reads.
        size_t end = std::string::npos;
        for (size_t i = old >= 2 ? old - 2 : 0; i < head_.size(); ++i) {
          if (head_[i] != '\n') continue;
          if (i + 1 < head_.size() && head_[i + 1] == '\n') {
            end = i + 2;
            break;
          }
          if (i + 2 < head_.size() && head_[i + 1] == '\r' && head_[i + 2] == '\n') {
            end = i + 3;
            break;
          }
        }
        if (end == std::string::npos) {
          if (head_.size() > limits_.max_head_bytes)
            return fail("response head larger than " + std::to_string(limits_.max_head_bytes) + " bytes");
          return Status::Ok();  // all of data was appended (room covers it below the limit)
        }
        const size_t used = end - old;
        head_.resize(end);
        data += used;
        len -= used;
        bool interim = false;
        Status st = parse_head(events, &interim);
        if (!st.ok()) return st;
        if (interim) head_.clear();  // a 1xx: the real response follows
        break;
      }
      case State::kFixedBody:
      case State::kChunkData: {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, len));
        remaining_ -= n;
        const bool chunked = state_ == State::kChunkData;
        if (remaining_ == 0) state_ = chunked ? State::kChunkCrlf : State::kDone;
        if (!events.on_http1_body(data, n)) {
          state_ = State::kFailed;
          keep_alive_ = false;
          return cancelled("HTTP response body refused by its reader");
        }
        data += n;
        len -= n;
        if (state_ == State::kDone) events.on_http1_message_complete();
        break;
      }
      case State::kUntilClose:
        if (!events.on_http1_body(data, len)) {
          state_ = State::kFailed;
          return cancelled("HTTP response body refused by its reader");
        }
        return Status::Ok();
      case State::kChunkSize:
      case State::kChunkCrlf:
      case State::kTrailers: {
        bool done = false;
        const size_t used = take_line(data, len, &done);
        data += used;
        len -= used;
        if (line_.size() > limits_.max_chunk_line) return fail("chunk size or trailer line too long");
        if (!done) break;
        const std::string_view line = strip_cr(std::string_view(line_).substr(0, line_.size() - 1));
        if (state_ == State::kChunkCrlf) {
          if (!line.empty()) return fail("chunk data longer than its size");
          state_ = State::kChunkSize;
        } else if (state_ == State::kTrailers) {
          if (line.empty()) {
            line_.clear();
            Status st = complete_message(events);
            if (!st.ok()) return st;
            break;
          }
        } else {
          Status st = parse_chunk_size();
          if (!st.ok()) return st;
        }
        line_.clear();
        break;
      }
    }
  }
  return Status::Ok();
}

Status Http1ResponseParser::complete_message(Http1ResponseEvents &events) {
  state_ = State::kDone;
  events.on_http1_message_complete();
  return Status::Ok();
}

Status Http1ResponseParser::parse_chunk_size() {
  std::string_view line = strip_cr(std::string_view(line_).substr(0, line_.size() - 1));
  const size_t ext = line.find(';');  // chunk extensions are ignored
  line = trim(line.substr(0, ext));
  if (line.empty() || line.size() > 15) return fail("bad chunk size '" + std::string(line) + "'");
  uint64_t size = 0;
  for (char c : line) {
    const int d = hex_digit(c);
    if (d < 0) return fail("bad chunk size '" + std::string(line) + "'");
    size = size * 16 + static_cast<uint64_t>(d);
  }
  remaining_ = size;
  state_ = size == 0 ? State::kTrailers : State::kChunkData;
  return Status::Ok();
}

Status Http1ResponseParser::parse_head(Http1ResponseEvents &events, bool *interim) {
  std::string_view head(head_);
  const size_t first_nl = head.find('\n');
  const std::string_view status_line = strip_cr(head.substr(0, first_nl));
  // "HTTP/1.x SSS[ reason]"
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." ||
      (status_line[7] != '0' && status_line[7] != '1') || status_line[8] != ' ' ||
      (status_line.size() > 12 && status_line[12] != ' '))
    return fail("bad status line '" + std::string(status_line.substr(0, 64)) + "'");
  int status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (status_line[i] < '0' || status_line[i] > '9')
      return fail("bad status line '" + std::string(status_line.substr(0, 64)) + "'");
    status = status * 10 + (status_line[i] - '0');
  }
  if (status < 100) return fail("status " + std::to_string(status) + " out of range");
  if (status == 101) return fail("unexpected 101 Switching Protocols");
  if (status < 200) {
    *interim = true;  // 100 Continue, 103 Early Hints: skipped whole
    return Status::Ok();
  }
  status_ = status;
  minor_ = status_line[7] - '0';

  // First pass: framing facts, so the events see a consistent head.
  bool chunked = false, has_te = false, has_length = false, conn_close = false, conn_keep = false;
  uint64_t length = 0;
  size_t fields = 0;
  std::string_view rest = head.substr(first_nl + 1);
  struct Field {
    std::string_view name, value;
  };
  auto next_field = [&](Field *f) -> int {  // 1 = field, 0 = end of head, -1 = malformed
    const size_t nl = rest.find('\n');
    const std::string_view line = strip_cr(rest.substr(0, nl));
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    if (line.empty()) return 0;
    if (line.front() == ' ' || line.front() == '\t') return -1;  // obsolete line folding
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return -1;
    f->name = line.substr(0, colon);
    for (unsigned char c : f->name)
      if (!is_token_char(c)) return -1;
    f->value = trim(line.substr(colon + 1));
    return 1;
  };
  Field f;
  int r;
  while ((r = next_field(&f)) == 1) {
    if (iequals(f.name, "transfer-encoding")) {
      has_te = true;
      chunked = iequals(last_coding(f.value), "chunked");
    } else if (iequals(f.name, "content-length")) {
      uint64_t v = 0;
      if (f.value.empty() || f.value.size() > 18) return fail("bad Content-Length");
      for (char c : f.value) {
        if (c < '0' || c > '9')
          return fail("bad Content-Length '" + std::string(f.value.substr(0, 32)) + "'");
        v = v * 10 + static_cast<uint64_t>(c - '0');
      }
      if (has_length && v != length) return fail("conflicting Content-Length fields");
      has_length = true;
      length = v;
    } else if (iequals(f.name, "connection")) {
      conn_close = conn_close || list_has_token(f.value, "close");
      conn_keep = conn_keep || list_has_token(f.value, "keep-alive");
    }
  }
  if (r < 0) return fail("bad header field line");

  keep_alive_ = minor_ == 1 ? !conn_close : (conn_keep && !conn_close);
  if (head_request_ || status_ == 204 || status_ == 304) {
    state_ = State::kDone;  // no body whatever the fields say
  } else if (has_te) {
    state_ = chunked ? State::kChunkSize : State::kUntilClose;  // Transfer-Encoding overrides Content-Length
  } else if (has_length) {
    remaining_ = length;
    state_ = length == 0 ? State::kDone : State::kFixedBody;
  } else {
    state_ = State::kUntilClose;
  }
  if (state_ == State::kUntilClose) keep_alive_ = false;

  events.on_http1_status(status_, minor_);
  rest = head.substr(first_nl + 1);
  while (next_field(&f) == 1) {
    if (fields++ >= limits_.max_headers) break;
    events.on_http1_header(f.name, f.value);
  }
  events.on_http1_head_complete();
  if (state_ == State::kDone) events.on_http1_message_complete();
  return Status::Ok();
}

Status Http1ResponseParser::feed_eof(Http1ResponseEvents &events) {
  switch (state_) {
    case State::kIdle:
    case State::kDone: return Status::Ok();
    case State::kUntilClose: return complete_message(events);
    case State::kFailed: return protocol_error("HTTP/1.1 response parser already failed");
    default:
      state_ = State::kFailed;
      keep_alive_ = false;
      return unavailable(bytes_seen_ == 0 ? "connection closed before the response started"
                                          : "connection closed before the response was complete");
  }
}

}  // namespace voxline::detail
