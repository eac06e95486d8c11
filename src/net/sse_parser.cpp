#include "voxline/net/sse_parser.hpp"

#include <cstring>

namespace voxline {

namespace {
constexpr std::string_view kBom = "\xEF\xBB\xBF";

// The vector form of feed(): each event copied into the caller's vector.
class AppendTo final : public SseEventSink {
 public:
  explicit AppendTo(std::vector<SseEvent> &out) : out_(out) {}
  bool on_sse_event(const SseEvent &event) override {
    out_.push_back(event);
    return true;
  }

 private:
  std::vector<SseEvent> &out_;
};

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 18) return false;  // 18 digits always fit in int64
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}
}  // namespace

SseParser::SseParser(SseParserOptions options) : options_(options) {}

void SseParser::reset() {
  line_.clear();
  data_.clear();
  event_type_.clear();
  last_event_id_.clear();
  event_retry_.reset();
  retry_ms_.reset();
  has_data_ = false;
  saw_field_ = false;
  last_was_cr_ = false;
  at_stream_start_ = true;
  failed_ = false;
  bytes_fed_ = 0;
}

bool SseParser::has_partial_event() const noexcept {
  return !line_.empty() || saw_field_;
}

Status SseParser::feed(std::string_view bytes, std::vector<SseEvent> &out) {
  AppendTo sink(out);
  return feed(bytes, sink);
}

Status SseParser::feed(std::string_view bytes, SseEventSink &out) {
  if (failed_) return failed_precondition("SSE parser failed earlier; reset() it");
  bytes_fed_ += bytes.size();
  size_t pos = 0;
  const size_t n = bytes.size();
  // Line ends are found with memchr (vectorised in libc) rather than a byte loop. The next LF is
  // remembered across lines, so a stream of CR-only line endings is not rescanned to its end for
  // an LF on every line (that would be quadratic in the chunk size).
  size_t next_lf = 0;  // index of the next '\n' at or after pos, n if none; stale when < pos
  bool lf_known = false;
  while (pos < n) {
    // A CR that ended the previous line swallows one LF right after it, even across chunks.
    if (last_was_cr_) {
      last_was_cr_ = false;
      if (bytes[pos] == '\n') {
        ++pos;
        continue;
      }
    }
    const char *start = bytes.data() + pos;
    size_t len = n - pos;
    if (!lf_known || next_lf < pos) {
      const void *lf = std::memchr(start, '\n', len);
      next_lf = lf != nullptr ? static_cast<size_t>(static_cast<const char *>(lf) - bytes.data()) : n;
      lf_known = true;
    }
    const void *cr = std::memchr(start, '\r', next_lf - pos);
    const size_t eol =
        cr != nullptr ? static_cast<size_t>(static_cast<const char *>(cr) - start) : next_lf - pos;
    if (line_.size() + eol + data_.size() > options_.max_event_bytes) {
      failed_ = true;
      return protocol_error("SSE event exceeds " + std::to_string(options_.max_event_bytes) + " bytes");
    }
    if (eol == len) {  // no terminator in this chunk: keep the partial line
      line_.append(start, len);
      break;
    }
    Status s;
    if (line_.empty()) {
      s = process_line(std::string_view(start, eol), out);
    } else {
      line_.append(start, eol);
      s = process_line(line_, out);  // reads the line only; line_ keeps its capacity
      line_.clear();
    }
    if (!s.ok()) {
      failed_ = true;
      return s;
    }
    last_was_cr_ = start[eol] == '\r';
    pos += eol + 1;
  }
  return Status::Ok();
}

Status SseParser::process_line(std::string_view line, SseEventSink &out) {
  if (at_stream_start_) {
    at_stream_start_ = false;
    if (line.substr(0, kBom.size()) == kBom) line.remove_prefix(kBom.size());
  }
  if (line.empty()) return dispatch(out) ? Status::Ok() : cancelled("SSE event sink stopped the parse");
  if (line[0] == ':') return Status::Ok();  // comment / keep-alive
  std::string_view field = line;
  std::string_view value;
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  }
  saw_field_ = true;
  if (field == "data") {
    if (data_.size() + value.size() + 1 > options_.max_event_bytes)
      return protocol_error("SSE event exceeds " + std::to_string(options_.max_event_bytes) + " bytes");
    if (has_data_) data_.push_back('\n');
    data_.append(value.data(), value.size());
    has_data_ = true;
  } else if (field == "event") {
    event_type_.assign(value.data(), value.size());
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_event_id_.assign(value.data(), value.size());
  } else if (field == "retry") {
    if (all_digits(value)) {
      const int64_t ms = std::stoll(std::string(value));
      retry_ms_ = ms;
      event_retry_ = ms;
    }
  }
  // Unknown fields are ignored, as the format requires.
  return Status::Ok();
}

bool SseParser::dispatch(SseEventSink &out) {
  bool go_on = true;
  if (has_data_) {
    // The event lends the parser's buffers: data_ and current_.data swap roles each event, so
    // both keep their capacity and a warm parser allocates nothing per event.
    current_.event.assign(event_type_.empty() ? std::string_view("message") : std::string_view(event_type_));
    current_.data.swap(data_);
    current_.id.assign(last_event_id_);
    current_.retry_ms = event_retry_;
    go_on = out.on_sse_event(current_);
  }
  data_.clear();
  event_type_.clear();
  event_retry_.reset();
  has_data_ = false;
  saw_field_ = false;
  return go_on;
}

}  // namespace voxline
