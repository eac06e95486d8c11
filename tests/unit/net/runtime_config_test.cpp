// runtime_options_from: the Config keys that configure the network Runtime reach RuntimeOptions.
#include <doctest/doctest.h>

#include "voxline/core/config.hpp"
#include "voxline/net/runtime.hpp"

using namespace voxline;

TEST_CASE("runtime_options_from maps runtime.slots and the tls keys, leaving the rest default") {
  Config cfg;
  RuntimeOptions d = runtime_options_from(cfg);
  CHECK(d.slots == 1);
  CHECK(d.tls.ca_file.empty());
  CHECK(!d.tls.insecure_skip_verify);
  CHECK(d.task_queue_capacity == RuntimeOptions{}.task_queue_capacity);
  CHECK(d.max_connections == RuntimeOptions{}.max_connections);

  REQUIRE(
      cfg.apply_json(R"({"runtime":{"slots":3},"tls":{"ca_file":"/tmp/ca.pem","insecure_skip_verify":true}})")
          .ok());
  RuntimeOptions o = runtime_options_from(cfg);
  CHECK(o.slots == 3);
  CHECK(o.tls.ca_file == "/tmp/ca.pem");
  CHECK(o.tls.insecure_skip_verify);
  CHECK(o.slots <= defaults::kMaxSlots);
}
