// File: postgres_shared.hpp
// One PostgreSQL server for many test processes. ctest starts it once (the `postgres` fixture:
// tests/support/pg_fixture.cpp writes a state file and $VOXLINE_PG_STATE names it for every test
// that requires the fixture); a test binary run by hand starts its own on first use and stops it
// at exit. Every test then creates its own database on it (PgTestDatabase), so tests stay
// independent and run in parallel.
//
//   PostgresServer *pg = shared_postgres();   // nullptr: reported (skip, or FAIL under CI=true)
//   PgTestDatabase db(*pg, "contract");       // CREATE DATABASE ...; DROP ... WITH (FORCE) at scope end
//   options.url = db.url();
//
// Thread-safety: call shared_postgres() from the test's main thread.
#pragma once

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "support/postgres_server.hpp"

namespace voxline::testing {

// The fixture's state file: "port=<n>\npid=<n>\ndir=<path>\n", or "unavailable=<why>\n".
inline std::map<std::string, std::string> read_pg_state(const std::string &path) {
  std::map<std::string, std::string> kv;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return kv;
}

// Why the shared server cannot be had, or nullopt. Sets `out` when it can.
inline std::optional<std::string> open_shared_postgres(std::unique_ptr<PostgresServer> &out) {
  const char *state = std::getenv("VOXLINE_PG_STATE");
  if (state != nullptr && *state != '\0') {
    auto kv = read_pg_state(state);
    if (kv.count("unavailable") != 0) return kv["unavailable"];
    if (kv.count("port") == 0)
      return std::string("the postgres fixture's state file ") + state + " is missing or empty";
    out = std::make_unique<PostgresServer>(std::atoi(kv["port"].c_str()), kv["dir"]);
    return std::nullopt;
  }
  if (auto why = PostgresServer::unavailable_reason()) return why;
  auto own = std::make_unique<PostgresServer>();
  Status s = own->start();
  if (!s.ok()) return "could not start postgres: " + s.to_string();
  out = std::move(own);
  return std::nullopt;
}

// Prints the loud skip banner or fails under CI=true; `fail` is the test framework's failure hook.
template <typename Fail, typename Skip>
bool report_pg_unavailable(const std::string &why, Fail fail, Skip skip) {
  if (in_ci()) {
    fail("CI=true and the PostgreSQL integration tests cannot run: " + why);
    return false;
  }
  std::fprintf(stderr, "\n**********\n*** WARNING: PostgreSQL integration test SKIPPED: %s\n**********\n\n",
               why.c_str());
  skip("SKIPPED: " + why);
  return false;
}

// The process's shared server (see the file comment), or nullptr with the reason in `why`.
inline PostgresServer *shared_postgres(std::string *why = nullptr) {
  static std::unique_ptr<PostgresServer> server;
  static std::optional<std::string> reason = open_shared_postgres(server);
  if (why != nullptr && reason) *why = *reason;
  return server.get();
}

// A database of its own for one test on `server`, dropped (WITH FORCE) when it goes away.
class PgTestDatabase {
 public:
  PgTestDatabase(const PostgresServer &server, const std::string &prefix, const std::string &template_db = {})
      : server_(server) {
    auto url = server.create_database(prefix, template_db);
    if (!url.ok()) {
      status_ = url.status();
      return;
    }
    url_ = *url;
    name_ = url_.substr(url_.rfind('/') + 1);
  }
  ~PgTestDatabase() {
    if (!name_.empty()) (void)server_.drop_database(name_);
  }
  PgTestDatabase(const PgTestDatabase &) = delete;
  PgTestDatabase &operator=(const PgTestDatabase &) = delete;

  const Status &status() const { return status_; }
  const std::string &url() const { return url_; }
  const std::string &name() const { return name_; }

 private:
  const PostgresServer &server_;
  Status status_;
  std::string url_;
  std::string name_;
};

}  // namespace voxline::testing
