// guard() and voxline_last_error_message(): exceptions and failures inside a C call come back as
// a status plus a thread-local, redacted message.
#include <doctest/doctest.h>

#include <new>
#include <stdexcept>
#include <string>
#include <thread>

#include "capi_internal.hpp"
#include "voxline.h"

namespace {

// Entry points shaped like the real ones (extern "C", guard() around the body), kept in the
// test so libvoxline.so exports no test hooks.
extern "C" voxline_status test_entry_throwing_runtime_error(void) {
  return voxline::capi::guard(
      []() -> voxline::Status { throw std::runtime_error("vocab table 7 is corrupt"); });
}
extern "C" voxline_status test_entry_throwing_bad_alloc(void) {
  return voxline::capi::guard([]() -> voxline::Status { throw std::bad_alloc(); });
}
extern "C" voxline_status test_entry_throwing_int(void) {
  return voxline::capi::guard([]() -> voxline::Status { throw 42; });
}
extern "C" voxline_status test_entry_returning(voxline::Status s) {
  return voxline::capi::guard([&]() -> voxline::Status { return s; });
}
extern "C" const char *test_getter_throwing(void) {
  return voxline::capi::guard_value<const char *>(
      "fallback", []() -> const char * { throw std::logic_error("getter broke"); });
}

std::string last() {
  return voxline_last_error_message();
}

}  // namespace

TEST_CASE("an exception thrown inside a C call comes back as VOXLINE_E_INTERNAL with its message") {
  CHECK(last().empty());
  CHECK(test_entry_throwing_runtime_error() == VOXLINE_E_INTERNAL);
  CHECK(last() == "unexpected C++ exception: vocab table 7 is corrupt");
}

TEST_CASE("an exception that is not a std::exception still becomes VOXLINE_E_INTERNAL") {
  CHECK(test_entry_throwing_int() == VOXLINE_E_INTERNAL);
  CHECK(last() == "unexpected C++ exception of a non-std type");
}

TEST_CASE("running out of memory inside a C call comes back as VOXLINE_E_QUEUE_FULL") {
  CHECK(test_entry_throwing_bad_alloc() == VOXLINE_E_QUEUE_FULL);
  CHECK(last().rfind("out of memory: ", 0) == 0);
}

TEST_CASE("a getter that throws returns its fallback and records the message") {
  CHECK(std::string(test_getter_throwing()) == "fallback");
  CHECK(last() == "unexpected C++ exception: getter broke");
}

TEST_CASE("a failed Status keeps its code and message across the boundary") {
  CHECK(test_entry_returning(voxline::not_found("no customer with phone +15550100")) == VOXLINE_E_NOT_FOUND);
  CHECK(last() == "no customer with phone +15550100");
  CHECK(test_entry_returning(voxline::Status::Ok()) == VOXLINE_OK);
}

TEST_CASE("the last error message survives later successes and the accessors") {
  CHECK(test_entry_returning(voxline::timeout_error("connect took 5000 ms")) == VOXLINE_E_TIMEOUT);
  CHECK(test_entry_returning(voxline::Status::Ok()) == VOXLINE_OK);
  CHECK(std::string(voxline_status_str(VOXLINE_E_TIMEOUT)) == "TIMEOUT");
  CHECK(std::string(voxline_version()).size() >= 5);
  CHECK(last() == "connect took 5000 ms");
  CHECK(last() == "connect took 5000 ms");  // reading it does not reset it
}

TEST_CASE("the last error message is per thread") {
  CHECK(test_entry_returning(voxline::conflict("bay 2 is booked")) == VOXLINE_E_CONFLICT);
  std::string other_before, other_after;
  std::thread t([&] {
    other_before = voxline_last_error_message();
    (void)test_entry_returning(voxline::cancelled("barge-in"));
    other_after = voxline_last_error_message();
  });
  t.join();
  CHECK(other_before.empty());
  CHECK(other_after == "barge-in");
  CHECK(last() == "bay 2 is booked");
}

TEST_CASE("a credential inside an error message is redacted before the host can read it") {
  CHECK(test_entry_returning(voxline::unauthenticated(
            "HTTP 401: Authorization: Bearer abcdef0123456789xyz")) == VOXLINE_E_UNAUTHENTICATED);
  CHECK(last().find("abcdef0123456789xyz") == std::string::npos);
  CHECK(last().find("HTTP 401") != std::string::npos);
}

TEST_CASE("a real entry point rejects bad input with INVALID_ARGUMENT and a message naming it") {
  CHECK(voxline_log_set_level(static_cast<voxline_log_level>(42)) == VOXLINE_E_INVALID_ARGUMENT);
  CHECK(last().find("unknown log level 42") != std::string::npos);
  CHECK(voxline_log_set_level(static_cast<voxline_log_level>(-1)) == VOXLINE_E_INVALID_ARGUMENT);
  CHECK(last().find("unknown log level -1") != std::string::npos);
}
