// /test/echo: every client message comes back with the same opcode.
#include "sim/src/ws_session.hpp"

namespace voxline::sim::detail {
namespace {

class EchoSession final : public WsSession {
 public:
  void on_message(bool binary, std::string_view data) override {
    if (binary) {
      send_binary(std::string(data));
    } else {
      send_text(std::string(data));
    }
  }
};

}  // namespace

SessionOrReject make_echo_session() {
  SessionOrReject r;
  r.session = std::make_unique<EchoSession>();
  return r;
}

}  // namespace voxline::sim::detail
