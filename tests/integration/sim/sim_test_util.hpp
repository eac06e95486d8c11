// File: sim_test_util.hpp
// Shared helpers for the simulator's tests: start a simulator or fail the test, parse JSON,
// and poll for a condition with a deadline.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include "voxline/core/json.hpp"
#include "voxline_sim/simulator.hpp"

namespace voxline::simtest {

inline std::unique_ptr<sim::Simulator> start_sim(const std::string &scenario = "",
                                                 sim::SimOptions opts = {}) {
  opts.scenario_json = scenario;
  auto r = sim::Simulator::start(opts);
  REQUIRE_MESSAGE(r.ok(), r.status().to_string());
  return std::move(r).value();
}

inline json::Document parse_json(const std::string &text) {
  auto r = json::parse(text);
  REQUIRE_MESSAGE(r.ok(), "not JSON: ", text);
  return std::move(r).value();
}

// Polls `cond` every 5 ms until it holds or `timeout_ms` passes.
inline bool wait_for(const std::function<bool()> &cond, int timeout_ms = 2000) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return cond();
}

inline std::string str(const json::Value &v) {
  return v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : json::to_string(v);
}

}  // namespace voxline::simtest
