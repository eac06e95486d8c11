// The live-handle registry (capi/handles.hpp): what it refuses, and that a call's reference
// outlives a release so the last user destroys the object.
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "handles.hpp"

namespace {

using voxline::StatusCode;
using voxline::capi::HandleKind;

// Counts its destructions, so a test sees exactly when the registry lets go.
struct Probe {
  int *destroyed;
  explicit Probe(int *d) : destroyed(d) {}
  ~Probe() { ++*destroyed; }
};

}  // namespace

TEST_CASE("a live handle is found with its kind and refused with another kind or after release") {
  int destroyed = 0;
  auto probe = std::make_shared<Probe>(&destroyed);
  const Probe *h = probe.get();
  voxline::capi::add_handle(probe, HandleKind::kDatabase);
  probe.reset();  // the registry now owns it alone

  auto found = voxline::capi::use_handle(h, HandleKind::kDatabase);
  REQUIRE(found.ok());
  CHECK(found.value().get() == h);

  auto wrong = voxline::capi::use_handle(h, HandleKind::kTokenizer);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.status().code() == StatusCode::kInvalidArgument);
  CHECK(wrong.status().message().find("not a tokenizer") != std::string::npos);
  CHECK_FALSE(
      static_cast<bool>(voxline::capi::release_handle(h, HandleKind::kTokenizer)));  // wrong kind: nothing

  found = voxline::Status(voxline::invalid_argument("dropped"));  // drop the call's reference
  CHECK(destroyed == 0);
  CHECK(static_cast<bool>(voxline::capi::release_handle(h, HandleKind::kDatabase)));  // dropped right here
  CHECK(destroyed == 1);
  CHECK_FALSE(static_cast<bool>(voxline::capi::release_handle(h, HandleKind::kDatabase)));  // twice: nothing

  auto gone = voxline::capi::use_handle(h, HandleKind::kDatabase);
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.status().message().find("database handle 0x") == 0);
  CHECK(gone.status().message().find("is not live") != std::string::npos);
}

TEST_CASE(
    "a call that holds the handle keeps it alive past the release, and the end of the call destroys it") {
  int destroyed = 0;
  auto probe = std::make_shared<Probe>(&destroyed);
  const Probe *h = probe.get();
  voxline::capi::add_handle(std::move(probe), HandleKind::kRuntime);

  {
    auto in_flight = voxline::capi::use_handle(h, HandleKind::kRuntime);  // a call in progress
    REQUIRE(in_flight.ok());
    voxline::capi::release_handle(h, HandleKind::kRuntime);  // another thread releases meanwhile
    CHECK(destroyed == 0);
    CHECK(in_flight.value()->destroyed == &destroyed);                     // still usable by the running call
    CHECK_FALSE(voxline::capi::use_handle(h, HandleKind::kRuntime).ok());  // new calls are refused
  }
  CHECK(destroyed == 1);
}

TEST_CASE("a NULL handle is refused with a message naming its kind") {
  auto r = voxline::capi::use_handle(static_cast<const Probe *>(nullptr), HandleKind::kSessionStore);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK(r.status().message() == "NULL session store handle");
  CHECK_FALSE(static_cast<bool>(voxline::capi::release_handle(nullptr, HandleKind::kSessionStore)));
}
