// The Database contract (database_contract.hpp) on PostgresDatabase, against a real PostgreSQL
// server on loopback, each case on a database of its own.
#include <doctest/doctest.h>

#include "integration/storage/pg_harness.hpp"

namespace voxline::testing {
namespace {

#define X(fn, name)                                 \
  TEST_CASE("postgres contract: " name) {           \
    run_db_contract<PgDbFactory>(&db_contract::fn); \
  }
VOXLINE_DATABASE_CONTRACT_CASES(X)
#undef X

}  // namespace
}  // namespace voxline::testing
