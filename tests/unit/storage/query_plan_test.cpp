// Every lookup the tools make is served by an index (SQLite's plan says SEARCH, not SCAN).
#include <doctest/doctest.h>

#include "unit/storage/storage_fixture.hpp"

using namespace voxline;
using voxline::testing::StorageFixture;

namespace {

// The plan's lines joined, e.g. "SEARCH customers USING INDEX ... (phone=?)".
std::string plan(Database &db, const std::string &sql, const SqlParams &params) {
  auto tx = db.begin(TxMode::kRead);
  REQUIRE(tx.ok());
  auto rows = tx->query("EXPLAIN QUERY PLAN " + sql, params);
  REQUIRE_MESSAGE(rows.ok(), rows.status().to_string());
  std::string out;
  for (const Row &r : *rows) out += r.get_string("detail").value_or("?") + "; ";
  return out;
}

}  // namespace

TEST_CASE("customer, vehicle, appointment and call log lookups use an index, never a table scan") {
  StorageFixture f;
  const std::vector<std::pair<std::string, SqlParams>> lookups = {
      {"SELECT id FROM customers WHERE phone = ?", {"+15551234567"}},
      {"SELECT id FROM vehicles WHERE vin = ?", {"1M8GDM9AXKP042788"}},
      {"SELECT id FROM vehicles WHERE customer_id = ? ORDER BY id", {1}},
      {"SELECT id FROM appointments WHERE customer_id = ? AND start_ms >= ? ORDER BY start_ms LIMIT 500",
       {1, 0}},
      {"SELECT id FROM appointments WHERE start_ms >= ? AND start_ms < ? ORDER BY start_ms, bay LIMIT ?",
       {0, 1, 5}},
      {"SELECT DISTINCT bay FROM appointments WHERE status = 'scheduled' AND start_ms > ? AND start_ms < ? "
       "AND end_ms > ?",
       {0, 1, 0}},
      {"SELECT id FROM call_logs WHERE customer_id = ? ORDER BY started_at_ms DESC, id DESC LIMIT ?", {1, 5}},
      {"SELECT id FROM call_logs WHERE started_at_ms >= ? AND started_at_ms < ? ORDER BY started_at_ms, id "
       "LIMIT ?",
       {0, 1, 5}},
      {"SELECT id FROM call_logs WHERE call_id = ?", {"CA1"}},
  };
  for (const auto &lookup : lookups) {
    const std::string &sql = lookup.first;  // not a structured binding: clang 14 cannot capture those
    const std::string p = plan(*f.db, sql, lookup.second);
    CHECK_MESSAGE(p.find("SEARCH") != std::string::npos, sql << " -> " << p);
    CHECK_MESSAGE(p.find("SCAN") == std::string::npos, sql << " -> " << p);
  }
}
