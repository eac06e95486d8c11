// File: booking_race_support.hpp
// Shared by the booking races (booking_race_test.cpp on SQLite, pg_booking_race_test.cpp on
// PostgreSQL + Redis): one booking attempt, the overlap rule, starting storage_booking_worker
// processes and reading their reports (the line format is in booking_worker.cpp).
// Thread-safety: call from the test's main thread.
#pragma once

#include <spawn.h>
#include <sys/types.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "voxline/core/clock.hpp"
#include "voxline/core/status.hpp"
#include "voxline/storage/validators.hpp"

extern char **environ;

namespace voxline::testing {

struct Attempt {
  int64_t customer = 0;
  std::string service;
  int bay = 0;
  WallTime start;
  WallTime end;
  Status status;
  int64_t id = 0;
  std::string code;   // refused: the status code's name
  std::string stage;  // refused: "hold" (session store) or "book" (SQL); empty from older lines
};

inline bool overlaps(const Attempt &a, const Attempt &b) {
  return a.bay == b.bay && a.start < b.end && b.start < a.end;
}

inline bool same_slot(const Attempt &a, const Attempt &b) {
  return a.bay == b.bay && a.start == b.start;
}

// One worker's report. `errors` are the lines of failed confirms/releases, verbatim.
struct WorkerReport {
  std::vector<Attempt> accepted;
  std::vector<Attempt> refused;
  std::vector<std::string> errors;
  std::optional<Attempt> stalled;  // the booking a --stall worker left uncommitted
};

inline WorkerReport read_worker_report(const std::string &path, int64_t customer = 0) {
  WorkerReport r;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string kind;
    Attempt a;
    a.customer = customer;
    long long start_ms = 0;
    long long end_ms = 0;
    fields >> kind;
    if (kind == "ok") {
      fields >> a.id >> a.bay >> start_ms >> end_ms;
    } else if (kind == "refused") {
      fields >> a.code >> a.bay >> start_ms >> end_ms >> a.stage;
    } else if (kind == "stalled") {
      fields >> a.bay >> start_ms >> end_ms;
    } else {
      r.errors.push_back(line);
      continue;
    }
    a.start = from_unix_ms(start_ms);
    a.end = from_unix_ms(end_ms);
    if (kind == "ok") r.accepted.push_back(a);
    if (kind == "refused") r.refused.push_back(a);
    if (kind == "stalled") r.stalled = a;
  }
  return r;
}

// Starts `args` (args[0] is the binary's path) without a shell; its pid.
inline pid_t spawn_worker(std::vector<std::string> args) {
  std::vector<char *> argv;
  for (auto &a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  REQUIRE(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) == 0);
  return pid;
}

}  // namespace voxline::testing
