// Fuzz target for WsFrameReader: arbitrary bytes, fed whole and again split at a point chosen by
// the input, must never crash, never hand on a control payload over 125 bytes, and give the same
// messages and the same verdict both ways.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "net/ws_frame_reader.hpp"

namespace {

struct Record final : voxline::detail::WsFrameSink {
  std::vector<std::string> out;
  std::string cur;
  bool on_ws_data(uint8_t opcode, const uint8_t *data, size_t len, bool first, bool last) override {
    if (first && !cur.empty()) std::abort();
    cur.append(reinterpret_cast<const char *>(data), len);
    if (last) {
      out.push_back(std::to_string(opcode) + ":" + cur);
      cur.clear();
    }
    return true;
  }
  bool on_ws_control(uint8_t opcode, const uint8_t *payload, size_t len) override {
    if (len > 125) std::abort();
    out.push_back("c" + std::to_string(opcode) + ":" +
                  std::string(reinterpret_cast<const char *>(payload), len));
    return true;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  voxline::detail::WsFrameReader whole, split;
  Record a, b;
  const size_t used = whole.feed(data, size, a);
  if (!whole.failed() && used != size) std::abort();
  const size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  split.feed(data, cut, b);
  if (!split.failed()) split.feed(data + cut, size - cut, b);
  if (whole.failed() != split.failed()) std::abort();
  if (a.out != b.out) std::abort();
  return 0;
}
