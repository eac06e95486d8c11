// with_postgres <program> [args...]: creates a database of its own on the build tree's shared
// PostgreSQL server (the ctest fixture `postgres`, tests/support/postgres_shared.hpp), runs the
// program with VOXLINE_TEST_POSTGRES_URL set to its URL, drops the database and exits with the
// program's status. Without a server it fails under CI=true and otherwise exits 77 (ctest
// SKIP_RETURN_CODE) saying why.
#include <cstdio>
#include <cstring>
#include <string>

#include "support/postgres_shared.hpp"

int main(int argc, char **argv) {
  using namespace voxline::testing;
  if (argc < 2) {
    std::fprintf(stderr, "usage: with_postgres <program> [args...]\n");
    return 2;
  }
  std::string why;
  PostgresServer *pg = shared_postgres(&why);
  if (pg == nullptr) {
    if (in_ci()) {
      std::fprintf(stderr, "FATAL ERROR: CI=true and the PostgreSQL C ABI test cannot run: %s\n",
                   why.c_str());
      return 1;
    }
    std::fprintf(stderr, "WARNING: PostgreSQL C ABI test SKIPPED: %s\n", why.c_str());
    return 77;
  }
  PgTestDatabase db(*pg, "capi");
  if (!db.status().ok()) {
    std::fprintf(stderr, "could not create a test database: %s\n", db.status().to_string().c_str());
    return 1;
  }
  ::setenv("VOXLINE_TEST_POSTGRES_URL", db.url().c_str(), 1);
  return voxline::testing::run_to_exit(argv + 1);
}
