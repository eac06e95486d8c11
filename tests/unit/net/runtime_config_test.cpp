// runtime_options_from: the Config keys that configure the network Runtime reach RuntimeOptions.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

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
  CHECK(d.io_coalesce == std::chrono::microseconds(defaults::kIoCoalesceUs));

  REQUIRE(
      cfg.apply_json(R"({"runtime":{"slots":3},"tls":{"ca_file":"/tmp/ca.pem","insecure_skip_verify":true}})")
          .ok());
  RuntimeOptions o = runtime_options_from(cfg);
  CHECK(o.slots == 3);
  CHECK(o.tls.ca_file == "/tmp/ca.pem");
  CHECK(o.tls.insecure_skip_verify);
  CHECK(o.slots <= defaults::kMaxSlots);
}

TEST_CASE("runtime.io_coalesce_us reaches RuntimeOptions::io_coalesce, and out-of-range values are refused") {
  Config cfg;
  REQUIRE(cfg.apply_json(R"({"runtime":{"io_coalesce_us":0}})").ok());
  CHECK(runtime_options_from(cfg).io_coalesce.count() == 0);
  REQUIRE(cfg.apply_json(R"({"runtime":{"io_coalesce_us":1000}})").ok());
  CHECK(runtime_options_from(cfg).io_coalesce == std::chrono::microseconds(1000));
  const Status too_wide = cfg.apply_json(R"({"runtime":{"io_coalesce_us":)" +
                                         std::to_string(defaults::kMaxIoCoalesceUs + 1) + "}}");
  CHECK(too_wide.code() == StatusCode::kInvalidArgument);
  CHECK(cfg.apply_json(R"({"runtime":{"io_coalesce_us":-1}})").code() == StatusCode::kInvalidArgument);
  CHECK(cfg.io_coalesce_us == 1000);  // a refused value changes nothing

  // Options built by hand are checked by Runtime::create.
  RuntimeOptions o;
  o.io_coalesce = std::chrono::microseconds(defaults::kMaxIoCoalesceUs + 1);
  auto rt = Runtime::create(o);
  REQUIRE(!rt.ok());
  CHECK(rt.status().code() == StatusCode::kInvalidArgument);
  CHECK(rt.status().message().find("io_coalesce") != std::string::npos);
  o.io_coalesce = std::chrono::microseconds(-1);
  CHECK(Runtime::create(o).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("Runtime::create refuses http_max_streams_per_connection outside 1..1000") {
  for (int bad : {0, -1, 1001}) {
    RuntimeOptions o;
    o.http_max_streams_per_connection = bad;
    auto rt = Runtime::create(o);
    REQUIRE(!rt.ok());
    CHECK(rt.status().code() == StatusCode::kInvalidArgument);
    CHECK(rt.status().message().find("http_max_streams_per_connection") != std::string::npos);
  }
  CHECK(RuntimeOptions{}.http_max_streams_per_connection == defaults::kHttpMaxStreamsPerConnection);
}
