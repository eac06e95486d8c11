// storage_bench [customers=100000] [lookups=20000] [bookings per run=400] [pgbench seconds=5]
// Prints bookings per second and customer-by-phone lookups per second on a database of
// `customers` customers, with the row counts used and baselines from the same run:
//   lookups:  raw sqlite3 prepared statement on the same file (the interface's overhead) and an
//             unindexed scan (what the phone index buys);
//   bookings: raw sqlite3 INSERT of the same rows (the repository's validation + overhead) and
//             synchronous=NORMAL vs the default FULL (the price of durability).
// Then the PostgreSQL column (pg_column.hpp): the same lookups and bookings (1 and 8 writers) on
// a server the bench starts itself, beside pgbench on that server as the baseline.
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "storage_bench/bench_common.hpp"
#include "storage_bench/pg_column.hpp"
#include "voxline/storage/appointment_repository.hpp"
#include "voxline/storage/customer_repository.hpp"
#include "voxline/storage/schema.hpp"
#include "voxline/storage/shop_config_repository.hpp"

using namespace voxline;
using namespace voxline::bench;

namespace {

std::unique_ptr<Database> open_db(const std::string &path, SqliteSync sync, MetricsRegistry &m) {
  SqliteOptions o;
  o.path = path;
  o.synchronous = sync;
  o.database.metrics = &m;
  return check(open_service_desk_sqlite(o), "open " + path);
}

int64_t count(Database &db, const char *table) {
  auto tx = check(db.begin(TxMode::kRead), "begin");
  auto row = check(tx.query_row(std::string("SELECT count(*) AS n FROM ") + table), "count");
  return row ? row->get_int64("n").value_or(-1) : -1;
}

}  // namespace

int main(int argc, char **argv) {
  constexpr const char *kUsage =
      "usage: storage_bench [customers>0] [lookups>0] [bookings>0] [pgbench-seconds>0]\n";
  if (argc > 1 && (std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0)) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const int customers = argc > 1 ? std::atoi(argv[1]) : 100000;
  const int lookups = argc > 2 ? std::atoi(argv[2]) : 20000;
  const int bookings = argc > 3 ? std::atoi(argv[3]) : 400;
  const int pgbench_seconds = argc > 4 ? std::atoi(argv[4]) : 5;
  if (argc > 5 || customers < 1 || lookups < 1 || bookings < 1 || pgbench_seconds < 1) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  char tmpl[] = "/tmp/voxline-storage-bench-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return 1;
  const std::string dir = tmpl;
  const std::string path = dir + "/bench.db";
  MetricsRegistry metrics;
  ManualClock clock(from_unix_ms(int64_t{1893974400} * 1000));  // Monday 2030-01-07 00:00 UTC
  const WallTime day0 = clock.wall_now() + std::chrono::hours(24);

  // --- load ----------------------------------------------------------------------------------
  auto loader = open_db(path, SqliteSync::kNormal, metrics);
  {
    auto tx = check(loader->begin(), "begin");
    check(ShopConfigRepository(clock).save(tx, bench_shop()), "shop config");
    check(tx.commit(), "commit");
  }
  CustomerRepository repo(clock);
  double t0 = now_s();
  for (int i = 0; i < customers;) {
    auto tx = check(loader->begin(), "begin");
    for (int end = std::min(customers, i + 1000); i < end; ++i) {
      check(repo.create(tx, {fmt::format("Customer {}", i), phone_of(i), std::nullopt}), "create customer");
    }
    check(tx.commit(), "commit");
  }
  const double load_s = now_s() - t0;
  loader.reset();
  std::printf("storage_bench: sqlite %s, file %s\n", sqlite3_libversion(), path.c_str());
  std::printf(
      "rows: customers=%lld (loaded in %.2f s, %.0f rows/s through CustomerRepository, 1000 per tx)\n",
      static_cast<long long>(customers), load_s, customers / load_s);

  std::mt19937 rng(42);
  std::vector<int> keys(static_cast<size_t>(lookups));
  for (int &k : keys) k = static_cast<int>(rng() % static_cast<unsigned>(customers));

  // --- lookups ---------------------------------------------------------------------------------
  auto db = open_db(path, SqliteSync::kFull, metrics);
  t0 = now_s();
  int found = 0;
  for (int k : keys) {
    auto tx = check(db->begin(TxMode::kRead), "begin");
    auto c = check(repo.find_by_phone(tx, phone_of(k)), "find_by_phone");
    found += c.has_value() ? 1 : 0;
    check(tx.commit(), "commit");
  }
  const double repo_tx_s = now_s() - t0;
  if (found != lookups) std::fprintf(stderr, "warning: %d of %d lookups found a customer\n", found, lookups);

  t0 = now_s();
  {
    auto tx = check(db->begin(TxMode::kRead), "begin");
    for (int k : keys) (void)check(repo.find_by_phone(tx, phone_of(k)), "find_by_phone");
    check(tx.commit(), "commit");
  }
  const double repo_one_tx_s = now_s() - t0;

  sqlite3 *raw = nullptr;
  if (sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) return 1;
  sqlite3_stmt *st = nullptr;
  sqlite3_prepare_v2(
      raw, "SELECT id, name, phone, email, created_at_ms, updated_at_ms FROM customers WHERE phone = ?", -1,
      &st, nullptr);
  t0 = now_s();
  int raw_found = 0;
  for (int k : keys) {
    std::string p = phone_of(k);
    sqlite3_bind_text(st, 1, p.c_str(), static_cast<int>(p.size()), SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) ++raw_found;
    sqlite3_reset(st);
  }
  const double raw_s = now_s() - t0;
  sqlite3_finalize(st);

  // `+phone` stops SQLite from using the index: the cost of a lookup without it.
  const int scans = std::max(1, std::min(lookups, 200));
  sqlite3_prepare_v2(raw, "SELECT id FROM customers WHERE +phone = ?", -1, &st, nullptr);
  t0 = now_s();
  for (int i = 0; i < scans; ++i) {
    std::string p = phone_of(keys[static_cast<size_t>(i)]);
    sqlite3_bind_text(st, 1, p.c_str(), static_cast<int>(p.size()), SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
    }
    sqlite3_reset(st);
  }
  const double scan_s = now_s() - t0;
  sqlite3_finalize(st);

  const double repo_rate = lookups / repo_tx_s;
  const double raw_rate = lookups / raw_s;
  const double scan_rate = scans / scan_s;
  std::printf("\nlookups (customer by phone, %d random keys over %d customers):\n", lookups, customers);
  std::printf("  CustomerRepository::find_by_phone, 1 read tx each : %10.0f lookups/s\n", repo_rate);
  std::printf("  CustomerRepository::find_by_phone, all in 1 tx    : %10.0f lookups/s\n",
              lookups / repo_one_tx_s);
  std::printf("  baseline raw sqlite3 prepared stmt (indexed)      : %10.0f lookups/s (found %d)\n", raw_rate,
              raw_found);
  std::printf("  baseline raw sqlite3 without the index (%d scans) : %10.0f lookups/s\n", scans, scan_rate);
  std::printf("  ratios: repository/raw = %.2f, index speed-up = %.0fx\n", repo_rate / raw_rate,
              raw_rate / scan_rate);

  // --- bookings --------------------------------------------------------------------------------
  AppointmentRepository appointments(clock);
  auto book_all = [&](Database &d, int first_slot) {
    double start = now_s();
    for (int i = 0; i < bookings; ++i) {
      Slot s = slot(first_slot + i, day0);
      auto tx = check(d.begin(), "begin");
      check(appointments.book(tx,
                              {1 + i % customers, std::nullopt, "oil_change", s.bay, s.start, std::nullopt}),
            "book");
      check(tx.commit(), "commit");
    }
    return bookings / (now_s() - start);
  };
  // Raw sqlite3: the same INSERT (trigger and indexes included) with no validation.
  auto raw_book_all = [&](const char *sync_pragma, int first_slot) {
    sqlite3_exec(raw, sync_pragma, nullptr, nullptr, nullptr);
    sqlite3_stmt *ins = nullptr;
    sqlite3_prepare_v2(raw,
                       "INSERT INTO appointments (customer_id, service, bay, start_ms, end_ms, status, "
                       "created_at_ms, updated_at_ms) VALUES (?, 'oil_change', ?, ?, ?, 'scheduled', 0, 0)",
                       -1, &ins, nullptr);
    double start = now_s();
    for (int i = 0; i < bookings; ++i) {
      Slot s = slot(first_slot + i, day0);
      const int64_t ms = to_unix_ms(s.start);
      sqlite3_exec(raw, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
      sqlite3_bind_int64(ins, 1, 1 + i % customers);
      sqlite3_bind_int(ins, 2, s.bay);
      sqlite3_bind_int64(ins, 3, ms);
      sqlite3_bind_int64(ins, 4, ms + 30 * 60000);
      if (sqlite3_step(ins) != SQLITE_DONE) std::fprintf(stderr, "raw insert: %s\n", sqlite3_errmsg(raw));
      sqlite3_reset(ins);
      sqlite3_exec(raw, "COMMIT", nullptr, nullptr, nullptr);
    }
    sqlite3_finalize(ins);
    return bookings / (now_s() - start);
  };
  // Warm-up: the first commits grow the WAL file (each fsync then also writes metadata); later
  // ones reuse it. Without this the first measured run pays for the growth alone.
  int next_slot = 0;
  (void)raw_book_all("PRAGMA synchronous = FULL", next_slot);
  next_slot += bookings;
  MetricsRegistry normal_metrics;
  auto normal = open_db(path, SqliteSync::kNormal, normal_metrics);
  // The disk is shared and fsync times swing widely: interleave the four runs, repeat them and
  // report medians, so noise hits every configuration alike.
  constexpr int kRounds = 3;
  std::vector<double> raw_full, repo_full, raw_normal, repo_normal;
  for (int round = 0; round < kRounds; ++round) {
    raw_full.push_back(raw_book_all("PRAGMA synchronous = FULL", next_slot));
    next_slot += bookings;
    repo_full.push_back(book_all(*db, next_slot));
    next_slot += bookings;
    raw_normal.push_back(raw_book_all("PRAGMA synchronous = NORMAL", next_slot));
    next_slot += bookings;
    repo_normal.push_back(book_all(*normal, next_slot));
    next_slot += bookings;
  }
  normal.reset();
  sqlite3_close_v2(raw);
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double raw_full_rate = median(raw_full);
  const double full_rate = median(repo_full);
  const double raw_normal_rate = median(raw_normal);
  const double normal_rate = median(repo_normal);

  std::printf("\nbookings (1 write tx each; median of %d interleaved runs of %d; %d customers):\n", kRounds,
              bookings, customers);
  std::printf("  AppointmentRepository::book, synchronous=FULL     : %10.0f bookings/s\n", full_rate);
  std::printf("  baseline raw sqlite3 INSERT + COMMIT, FULL        : %10.0f bookings/s\n", raw_full_rate);
  std::printf("  AppointmentRepository::book, synchronous=NORMAL   : %10.0f bookings/s\n", normal_rate);
  std::printf("  baseline raw sqlite3 INSERT + COMMIT, NORMAL      : %10.0f bookings/s\n", raw_normal_rate);
  std::printf("  ratios: repository/raw FULL = %.2f, repository/raw NORMAL = %.2f, FULL/NORMAL = %.3f\n",
              full_rate / raw_full_rate, normal_rate / raw_normal_rate, full_rate / normal_rate);
  std::printf("\nrows at the end: customers=%lld appointments=%lld\n",
              static_cast<long long>(count(*db, "customers")),
              static_cast<long long>(count(*db, "appointments")));
  std::printf(
      "metrics: commits=%llu busy_retries=%llu stmt_cache_hits=%llu misses=%llu\n",
      static_cast<unsigned long long>(
          metrics.counter("voxline_storage_commits_total", "", {{"backend", "sqlite"}}).value()),
      static_cast<unsigned long long>(
          metrics.counter("voxline_storage_busy_retries_total", "", {{"backend", "sqlite"}}).value()),
      static_cast<unsigned long long>(
          metrics.counter("voxline_storage_stmt_cache_hits_total", "", {{"backend", "sqlite"}}).value()),
      static_cast<unsigned long long>(
          metrics.counter("voxline_storage_stmt_cache_misses_total", "", {{"backend", "sqlite"}}).value()));
  db.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return run_postgres_column(customers, lookups, bookings, pgbench_seconds) ? 0 : 1;
}
