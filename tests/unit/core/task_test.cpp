#include "voxline/core/task.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <utility>

using namespace voxline;

namespace {
int free_function_calls = 0;
void free_function() {
  ++free_function_calls;
}
}  // namespace

TEST_CASE("a task runs a lambda that captures move-only state") {
  auto owned = std::make_unique<std::string>("payload");
  std::string seen;
  Task t = [p = std::move(owned), &seen]() { seen = *p; };
  REQUIRE(static_cast<bool>(t));
  t();
  CHECK(seen == "payload");
}

TEST_CASE("an empty task is false and calling it does nothing") {
  Task empty;
  CHECK(!empty);
  empty();  // no-op, no crash
  Task null = nullptr;
  CHECK(!null);
  null();
}

TEST_CASE("moving a task moves the callable and leaves the source empty") {
  int calls = 0;
  Task a = [&calls] { ++calls; };
  Task b = std::move(a);
  CHECK(!a);  // NOLINT(bugprone-use-after-move): moved-from is documented as empty
  a();
  CHECK(calls == 0);
  b();
  CHECK(calls == 1);
  Task c;
  c = std::move(b);
  c();
  CHECK(calls == 2);
}

TEST_CASE("a mutable task keeps its state between calls and destroys its captures exactly once") {
  auto alive = std::make_shared<int>(0);
  std::weak_ptr<int> watch = alive;
  {
    Task t = [counter = 0, keep = std::move(alive)]() mutable { *keep = ++counter; };
    t();
    t();
    CHECK(*watch.lock() == 2);
    Task moved = std::move(t);
    CHECK(!watch.expired());  // the move did not destroy the capture
  }
  CHECK(watch.expired());
}

TEST_CASE("a task wraps a plain function pointer") {
  Task t = &free_function;
  t();
  t();
  CHECK(free_function_calls == 2);
}
