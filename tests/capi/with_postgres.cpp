// with_postgres <program> [args...]: creates a database of its own on the build tree's shared
// PostgreSQL server (the ctest fixture `postgres`, tests/support/postgres_shared.hpp), runs the
// program with VOXLINE_TEST_POSTGRES_URL set to its URL, drops the database and exits with the
// program's status. Without a server it fails under CI=true and otherwise exits 77 (ctest
// SKIP_RETURN_CODE) saying why.
#include <spawn.h>
#include <sys/wait.h>

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
  pid_t pid = 0;
  if (const int rc = ::posix_spawnp(&pid, argv[1], nullptr, nullptr, argv + 1, environ); rc != 0) {
    std::fprintf(stderr, "cannot start %s: %s\n", argv[1], std::strerror(rc));
    return 1;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  std::fprintf(stderr, "%s died with signal %d\n", argv[1], WTERMSIG(status));
  return 1;
}
