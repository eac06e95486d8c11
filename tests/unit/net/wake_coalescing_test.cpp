// coalescing_nap_ns: when a slot loop naps between passes, and for how long.
#include "net/wake_coalescing.hpp"

#include <doctest/doctest.h>

using voxline::detail::coalescing_nap_ns;

namespace {
constexpr uint64_t kUs = 1000, kMs = 1000 * 1000;
}

TEST_CASE("a window of 0 never naps") {
  CHECK(coalescing_nap_ns(0, 0, -1) == 0);
  CHECK(coalescing_nap_ns(5 * kUs, 0, 100) == 0);
}

TEST_CASE("a pass that lasted the window or longer (it waited: a quiet loop) polls again at once") {
  CHECK(coalescing_nap_ns(250 * kUs, 250 * kUs, -1) == 0);
  CHECK(coalescing_nap_ns(3 * kMs, 250 * kUs, -1) == 0);
}

TEST_CASE("a short pass naps for the rest of the window") {
  CHECK(coalescing_nap_ns(40 * kUs, 250 * kUs, -1) == 210 * kUs);
  CHECK(coalescing_nap_ns(0, 250 * kUs, 50) == 250 * kUs);
}

TEST_CASE("ready work (idle flushes, a due timer, closing handles) is never delayed") {
  CHECK(coalescing_nap_ns(10 * kUs, 250 * kUs, 0) == 0);
}

TEST_CASE("a nap ends when the next timer falls due") {
  CHECK(coalescing_nap_ns(1 * kMs, 10 * kMs, 2) == 2 * kMs);
  CHECK(coalescing_nap_ns(9 * kMs, 10 * kMs, 2) == 1 * kMs);
}
