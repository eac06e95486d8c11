// The SessionStore base does the checks, the deadline refusal, timing and metrics once: a backend
// that implements only the do_* methods gets all of it, and refused calls never reach it.
#include <string>

#include <doctest/doctest.h>

#include "voxline/core/metrics.hpp"
#include "voxline/storage/session_store.hpp"

namespace voxline {
namespace {

using std::chrono::seconds;

// A backend that answers every call and counts how often each do_* method ran.
class CountingStore final : public SessionStore {
 public:
  explicit CountingStore(MetricsRegistry &m) : SessionStore("counting", m) {}
  int calls = 0;
  std::string last_json;

 protected:
  Result<SessionDocument> do_get_session(std::string_view, const Deadline &) override {
    ++calls;
    SessionDocument d;
    d.json = R"({"a":1})";
    d.version = 1;
    d.ttl_remaining = Millis(1000);
    return d;
  }
  Result<uint64_t> do_put_session(std::string_view, std::string json, Millis, uint64_t,
                                  const Deadline &) override {
    ++calls;
    last_json = std::move(json);
    return uint64_t{2};
  }
  Status do_delete_session(std::string_view, const Deadline &) override { return count(); }
  Result<SlotHold> do_hold_slot(std::string_view, std::string_view, int, Millis, const Deadline &) override {
    ++calls;
    return SlotHold{};
  }
  Status do_release_slot(std::string_view, std::string_view, const Deadline &) override { return count(); }
  Result<SlotState> do_confirm_slot(std::string_view, std::string_view, Millis, const Deadline &) override {
    ++calls;
    return SlotState{};
  }
  Result<SlotState> do_cancel_booking(std::string_view, const Deadline &) override {
    ++calls;
    return SlotState{};
  }
  Result<SlotState> do_slot_state(std::string_view, const Deadline &) override {
    ++calls;
    return SlotState{};
  }
  Result<RateDecision> do_check_rate(std::string_view, int, Millis, const Deadline &) override {
    ++calls;
    return RateDecision{};
  }
  Status do_ping(const Deadline &, std::string &detail) override {
    detail = "fine";
    return count();
  }

 private:
  Status count() {
    ++calls;
    return Status::Ok();
  }
};

Deadline soon() {
  return Deadline::after(seconds(5));
}
Deadline gone() {
  return Deadline::after(Duration::zero());
}

TEST_CASE("bad arguments are refused by the base before any backend code runs") {
  MetricsRegistry m;
  CountingStore s(m);
  CHECK(s.get_session("", soon()).status().code() == StatusCode::kInvalidArgument);
  CHECK(s.get_session("has space", soon()).status().code() == StatusCode::kInvalidArgument);
  CHECK(s.put_session("CA1", "[1]", seconds(1), SessionStore::kAnyVersion, soon()).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(s.put_session("CA1", "{}", Millis(0), SessionStore::kAnyVersion, soon()).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(s.patch_session("CA1", "{}", Millis(0), SessionStore::kNewSession, soon()).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(s.delete_session("{x}", soon()).code() == StatusCode::kInvalidArgument);
  CHECK(s.hold_slot("bay", "CA1", 0, seconds(1), soon()).status().code() == StatusCode::kInvalidArgument);
  CHECK(s.hold_slot("bay", "CA1", SessionStore::kMaxCapacity + 1, seconds(1), soon()).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(s.hold_slot("bay", "", 1, seconds(1), soon()).status().code() == StatusCode::kInvalidArgument);
  CHECK(s.release_slot("bay", "", soon()).code() == StatusCode::kInvalidArgument);
  CHECK(s.confirm_slot("bay", "CA1", SessionStore::kMaxTtl + seconds(1), soon()).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(s.cancel_booking("", soon()).status().code() == StatusCode::kInvalidArgument);
  CHECK(s.slot_state(std::string(SessionStore::kMaxIdBytes + 1, 'x'), soon()).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(s.check_rate("+15551230000", 0, seconds(1), soon()).status().code() == StatusCode::kInvalidArgument);
  CHECK(s.check_rate("+15551230000", 1, Millis(-1), soon()).status().code() == StatusCode::kInvalidArgument);
  CHECK(s.calls == 0);
}

TEST_CASE("an expired deadline is TIMEOUT from the base for every operation, and ping reports it") {
  MetricsRegistry m;
  CountingStore s(m);
  CHECK(s.get_session("CA1", gone()).status().code() == StatusCode::kTimeout);
  CHECK(s.put_session("CA1", "{}", seconds(1), SessionStore::kAnyVersion, gone()).status().code() ==
        StatusCode::kTimeout);
  CHECK(s.patch_session("CA1", "{}", seconds(1), SessionStore::kAnyVersion, gone()).status().code() ==
        StatusCode::kTimeout);
  CHECK(s.delete_session("CA1", gone()).code() == StatusCode::kTimeout);
  CHECK(s.hold_slot("bay", "CA1", 1, seconds(1), gone()).status().code() == StatusCode::kTimeout);
  CHECK(s.release_slot("bay", "CA1", gone()).code() == StatusCode::kTimeout);
  CHECK(s.confirm_slot("bay", "CA1", seconds(1), gone()).status().code() == StatusCode::kTimeout);
  CHECK(s.cancel_booking("bay", gone()).status().code() == StatusCode::kTimeout);
  CHECK(s.slot_state("bay", gone()).status().code() == StatusCode::kTimeout);
  CHECK(s.check_rate("c", 1, seconds(1), gone()).status().code() == StatusCode::kTimeout);
  HealthCheck h = s.ping(gone());
  CHECK_FALSE(h.ok);
  CHECK(h.detail.find("TIMEOUT") != std::string::npos);
  CHECK(s.calls == 0);
}

TEST_CASE("the backend receives the document compacted and the default patch is read, merge, CAS put") {
  MetricsRegistry m;
  CountingStore s(m);
  REQUIRE(s.put_session("CA1", R"({ "a" : [ 1, 2 ] })", seconds(1), SessionStore::kAnyVersion, soon()).ok());
  CHECK(s.last_json == R"({"a":[1,2]})");
  auto patched = s.patch_session("CA1", R"({"b":true})", Millis(0), SessionStore::kAnyVersion, soon());
  REQUIRE_MESSAGE(patched.ok(), patched.status().to_string());
  CHECK(patched->json == R"({"a":1,"b":true})");
  CHECK(patched->version == 2);
  CHECK(s.last_json == R"({"a":1,"b":true})");
  CHECK(s.calls == 3);  // put, then the patch's get and put
}

TEST_CASE("every public call is counted once under the backend's label, refused ones with their code") {
  MetricsRegistry m;
  CountingStore s(m);
  (void)s.get_session("CA1", soon());
  (void)s.get_session("", soon());
  (void)s.slot_state("bay", gone());
  HealthCheck h = s.ping(soon());
  CHECK(h.ok);
  CHECK(h.component == "storage.session_store.counting");
  CHECK(h.detail == "fine");
  CHECK(s.backend() == "counting");
  const std::string text = m.prometheus_text();
  CHECK(text.find(R"(voxline_session_store_ops_total{backend="counting",op="get"} 2)") != std::string::npos);
  CHECK(text.find(R"(voxline_session_store_ops_total{backend="counting",op="slot_state"} 1)") !=
        std::string::npos);
  CHECK(text.find(R"(voxline_session_store_ops_total{backend="counting",op="ping"} 1)") != std::string::npos);
  CHECK(text.find(R"(voxline_session_store_errors_total{backend="counting",code="INVALID_ARGUMENT"} 1)") !=
        std::string::npos);
  CHECK(text.find(R"(voxline_session_store_timeouts_total{backend="counting"} 1)") != std::string::npos);
}

}  // namespace
}  // namespace voxline
