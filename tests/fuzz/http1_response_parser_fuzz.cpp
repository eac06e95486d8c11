// Fuzz target for Http1ResponseParser: arbitrary bytes (the first byte picks HEAD or not, and a
// split point), fed whole and again in two pieces, then EOF, must never crash, must give the same
// outcome and body both ways, and must never deliver a body to a HEAD response.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "net/http1_response_parser.hpp"

namespace {

struct Collect final : voxline::detail::Http1ResponseEvents {
  std::string body;
  int status = 0, completes = 0;
  void on_http1_status(int s, int) override { status = s; }
  void on_http1_header(std::string_view, std::string_view) override {}
  void on_http1_head_complete() override {}
  bool on_http1_body(const char *d, size_t n) override {
    body.append(d, n);
    return true;
  }
  void on_http1_message_complete() override { ++completes; }
};

struct Run {
  voxline::StatusCode code;
  Collect c;
  bool complete;
};

Run run(const char *data, size_t size, size_t cut, bool head) {
  voxline::detail::Http1Limits limits;
  limits.max_head_bytes = 4096;
  voxline::detail::Http1ResponseParser p(limits);
  Run r{};
  p.expect_response(head);
  voxline::Status st = p.feed(data, cut, r.c);
  if (st.ok()) st = p.feed(data + cut, size - cut, r.c);
  if (st.ok()) st = p.feed_eof(r.c);
  r.code = st.code();
  r.complete = p.complete();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  const bool head = (data[0] & 1) != 0;
  const char *bytes = reinterpret_cast<const char *>(data + 1);
  const size_t n = size - 1;
  const size_t cut = n == 0 ? 0 : data[0] % (n + 1);
  const Run whole = run(bytes, n, n, head);
  const Run split = run(bytes, n, cut, head);
  if (whole.code != split.code || whole.c.body != split.c.body || whole.complete != split.complete)
    std::abort();
  if (head && !whole.c.body.empty()) std::abort();
  if (whole.c.completes > 1) std::abort();
  return 0;
}
