// voxline_pg_fixture: starts or stops the PostgreSQL server that the tests of one build tree
// share (the ctest fixture `postgres`, see tests/support/CMakeLists.txt and postgres_shared.hpp).
//   voxline_pg_fixture start <state-file>   initdb + postgres, detached; writes port/pid/dir
//   voxline_pg_fixture stop <state-file>    stops the server the file names, removes it all
// start first stops a server left by an earlier run that was interrupted. Without PostgreSQL it
// writes "unavailable=<why>" and exits 0 (the tests skip loudly), or 1 under CI=true.
#include <cstdio>
#include <fstream>
#include <string>

#include "support/postgres_shared.hpp"

using voxline::testing::PostgresServer;

namespace {

void stop_from(const std::string &state) {
  auto kv = voxline::testing::read_pg_state(state);
  if (kv.count("pid") != 0) PostgresServer::stop_detached(std::atoi(kv["pid"].c_str()), kv["dir"]);
  std::remove(state.c_str());
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 3 || (std::string(argv[1]) != "start" && std::string(argv[1]) != "stop")) {
    std::fprintf(stderr, "usage: %s start|stop <state-file>\n", argv[0]);
    return 2;
  }
  const std::string state = argv[2];
  stop_from(state);
  if (std::string(argv[1]) == "stop") return 0;
  std::ofstream out(state, std::ios::trunc);
  if (auto why = PostgresServer::unavailable_reason()) {
    out << "unavailable=" << *why << "\n";
    std::fprintf(stderr, "voxline_pg_fixture: %s\n", why->c_str());
    return voxline::testing::in_ci() ? 1 : 0;
  }
  PostgresServer pg;
  pg.detach();
  voxline::Status s = pg.start();
  if (!s.ok()) {
    out << "unavailable=could not start postgres: " << s.to_string() << "\n";
    std::fprintf(stderr, "voxline_pg_fixture: %s\n", s.to_string().c_str());
    return 1;
  }
  out << "port=" << pg.port() << "\npid=" << pg.pid() << "\ndir=" << pg.dir() << "\n";
  std::printf("postgres on 127.0.0.1:%d (pid %d, %s)\n", pg.port(), static_cast<int>(pg.pid()),
              pg.dir().c_str());
  return 0;
}
