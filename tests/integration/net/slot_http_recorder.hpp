// SlotHttpRecorder: an HttpRecorder that also checks the slot contract of every callback: it runs
// on the thread of the Slot the stream was started on, on_response comes at most once and before
// any on_data, and nothing follows on_complete. Plus a log sink that keeps every line.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "integration/net/net_test_support.hpp"
#include "voxline/core/log.hpp"
#include "voxline/net/slot.hpp"

namespace voxline::nettest {

class SlotHttpRecorder : public HttpRecorder {
 public:
  explicit SlotHttpRecorder(std::shared_ptr<Slot> slot) : slot_(std::move(slot)) {}

  void on_response(HttpStream &s, const HttpResponseHead &head) override {
    check(responses_seen_ == 0 && data_seen_ == 0 && completes_seen_ == 0);
    ++responses_seen_;
    HttpRecorder::on_response(s, head);
  }
  void on_data(HttpStream &s, std::string_view chunk) override {
    check(completes_seen_ == 0);
    ++data_seen_;
    HttpRecorder::on_data(s, chunk);
  }
  void on_complete(HttpStream &s, const HttpCompletion &c) override {
    check(completes_seen_ == 0);
    ++completes_seen_;
    HttpRecorder::on_complete(s, c);
  }

  // True when every callback so far ran on the slot's thread in contract order.
  bool contract_kept() {
    std::lock_guard<std::mutex> lock(mu_);
    return violations_ == 0;
  }

 private:
  void check(bool order_ok) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!order_ok || !slot_->running_in_this_thread()) ++violations_;
  }
  std::shared_ptr<Slot> slot_;
  std::mutex mu_;
  int violations_ = 0;
  // Touched only on the slot thread (the contract under test); read after on_complete.
  int responses_seen_ = 0, data_seen_ = 0, completes_seen_ = 0;
};

// A Logger at trace level whose sink keeps every line (already redacted by the Logger).
class CapturingLogger {
 public:
  CapturingLogger() {
    logger.set_level(LogLevel::kTrace);
    logger.set_sink([this](const LogRecord &r) {
      std::lock_guard<std::mutex> lock(mu_);
      lines_.emplace_back(r.message);
    });
  }
  ~CapturingLogger() { logger.set_sink({}); }
  std::vector<std::string> lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }
  Logger logger;

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

}  // namespace voxline::nettest
