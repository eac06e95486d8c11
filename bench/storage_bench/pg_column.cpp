#include "storage_bench/pg_column.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "storage_bench/bench_common.hpp"
#include "support/postgres_server.hpp"
#include "voxline/storage/appointment_repository.hpp"
#include "voxline/storage/customer_repository.hpp"
#include "voxline/storage/database_factory.hpp"
#include "voxline/storage/schema.hpp"
#include "voxline/storage/shop_config_repository.hpp"

namespace voxline::bench {
namespace {

using testing::PostgresServer;

// Runs `args` (no shell) with stdout and stderr to `out`; its output, or nullopt on failure.
std::optional<std::string> run_captured(std::vector<std::string> args, const std::string &out) {
  std::vector<char *> argv;
  for (auto &a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return std::nullopt;
  if (pid == 0) {
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int in = ::open("/dev/null", O_RDONLY);
    if (fd < 0 || in < 0) ::_exit(126);
    ::dup2(in, STDIN_FILENO);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::string text = testing::read_text_file(out);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "storage_bench: %s failed:\n%s\n", args[0].c_str(), text.c_str());
    return std::nullopt;
  }
  return text;
}

// The "tps = N (without initial connection time)" figure of a pgbench run, or -1.
double pgbench_tps(const std::string &output) {
  const size_t at = output.find("tps = ");
  return at == std::string::npos ? -1 : std::atof(output.c_str() + at + 6);
}

// Runs `fn(thread, first, end)` on `threads` threads over [0, n) split evenly; the seconds taken.
template <typename Fn>
double timed_on_threads(int threads, int n, Fn fn) {
  std::vector<std::thread> pool;
  const double t0 = now_s();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] { fn(t, n * t / threads, n * (t + 1) / threads); });
  }
  for (auto &th : pool) th.join();
  return now_s() - t0;
}

}  // namespace

bool run_postgres_column(int customers, int lookups, int bookings, int pgbench_seconds) {
  std::printf("\n--- PostgreSQL column ---\n");
  if (auto why = PostgresServer::unavailable_reason()) {
    std::printf("postgres: SKIPPED: %s\n", why->c_str());
    return true;
  }
  PostgresServer pg;
  check(pg.start(), "start postgres");
  const std::string version = check(pg.admin("SHOW server_version"), "server_version");
  const std::string url = check(pg.create_database("bench"), "create database");
  constexpr int kThreads = 8;
  MetricsRegistry metrics;
  DatabaseOptions options;
  options.pool_size = kThreads;
  options.metrics = &metrics;
  auto db = check(make_database(url, options), "open " + url);
  check(db->migrate(check(service_desk_migrations(Dialect::kPostgres), "migrations")), "migrate");
  ManualClock clock(from_unix_ms(int64_t{1893974400} * 1000));  // Monday 2030-01-07 00:00 UTC
  const WallTime day0 = clock.wall_now() + std::chrono::hours(24);
  {
    auto tx = check(db->begin(), "begin");
    check(ShopConfigRepository(clock).save(tx, bench_shop()), "shop config");
    check(tx.commit(), "commit");
  }
  CustomerRepository repo(clock);
  double t0 = now_s();
  for (int i = 0; i < customers;) {
    auto tx = check(db->begin(), "begin");
    for (int end = std::min(customers, i + 1000); i < end; ++i) {
      check(repo.create(tx, {fmt::format("Customer {}", i), phone_of(i), std::nullopt}), "create customer");
    }
    check(tx.commit(), "commit");
  }
  const double load_s = now_s() - t0;
  (void)check(pg.admin("ANALYZE", url.substr(url.rfind('/') + 1)), "analyze");
  std::printf("postgres %s on 127.0.0.1:%d (started by the bench; fsync=off, synchronous_commit=on)\n",
              version.c_str(), pg.port());
  std::printf("rows: customers=%d (loaded in %.2f s, %.0f rows/s through CustomerRepository, 1000 per tx)\n",
              customers, load_s, customers / load_s);

  std::mt19937 rng(42);
  std::vector<int> keys(static_cast<size_t>(lookups));
  for (int &k : keys) k = static_cast<int>(rng() % static_cast<unsigned>(customers));
  std::atomic<int> found{0};
  auto lookup_range = [&](int, int first, int end) {
    CustomerRepository r(clock);
    for (int i = first; i < end; ++i) {
      auto tx = check(db->begin(TxMode::kRead), "begin");
      auto c = check(r.find_by_phone(tx, phone_of(keys[static_cast<size_t>(i)])), "find_by_phone");
      found += c.has_value() ? 1 : 0;
      check(tx.commit(), "commit");
    }
  };
  const double lookup1 = lookups / timed_on_threads(1, lookups, lookup_range);
  const double lookup8 = lookups / timed_on_threads(kThreads, lookups, lookup_range);
  if (found != 2 * lookups)
    std::fprintf(stderr, "warning: %d of %d lookups found a customer\n", found.load(), 2 * lookups);

  // Every writer books its own slots of the grid: the figures are throughput, not contention.
  std::atomic<int> next_slot{0};
  auto book_range = [&](int, int first, int end) {
    AppointmentRepository appointments(clock);
    const int base = next_slot.fetch_add(end - first);
    for (int i = 0; i < end - first; ++i) {
      Slot s = slot(base + i, day0);
      auto tx = check(db->begin(), "begin");
      check(appointments.book(
                tx, {1 + (first + i) % customers, std::nullopt, "oil_change", s.bay, s.start, std::nullopt}),
            "book");
      check(tx.commit(), "commit");
    }
  };
  (void)timed_on_threads(1, std::min(bookings, 100), book_range);  // warm-up: connections, statement cache
  const double book1 = bookings / timed_on_threads(1, bookings, book_range);
  const double book8 = bookings / timed_on_threads(kThreads, bookings, book_range);
  db.reset();

  // pgbench on the same server: scale 8 (800k accounts) so 8 TPC-B clients do not all queue on
  // one branch row; prepared statements, as the repositories use.
  const std::string bin = PostgresServer::bin_dir() + "/pgbench";
  const std::string pgdb = check(pg.create_database("pgbench"), "create pgbench database");
  const std::string pgname = pgdb.substr(pgdb.rfind('/') + 1);
  const std::string log = pg.dir() + "/pgbench.out";
  const std::vector<std::string> conn = {"-h", "127.0.0.1", "-p", std::to_string(pg.port()),
                                         "-U", "postgres"};
  auto pgbench = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {bin};
    args.insert(args.end(), conn.begin(), conn.end());
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(pgname);
    auto out = run_captured(args, log);
    return out ? pgbench_tps(*out) : -1.0;
  };
  const std::string secs = std::to_string(pgbench_seconds);
  const bool init_ok = run_captured(
                           [&] {
                             std::vector<std::string> a = {bin};
                             a.insert(a.end(), conn.begin(), conn.end());
                             a.insert(a.end(), {"-i", "-q", "-s", "8", pgname});
                             return a;
                           }(),
                           log)
                           .has_value();
  double sel1 = -1, sel8 = -1, tpcb1 = -1, tpcb8 = -1;
  if (init_ok) {
    sel1 = pgbench({"-S", "-M", "prepared", "-c", "1", "-j", "1", "-T", secs});
    sel8 = pgbench({"-S", "-M", "prepared", "-c", "8", "-j", "2", "-T", secs});
    tpcb1 = pgbench({"-M", "prepared", "-c", "1", "-j", "1", "-T", secs});
    tpcb8 = pgbench({"-M", "prepared", "-c", "8", "-j", "2", "-T", secs});
  }
  (void)pg.drop_database(pgname);

  std::printf("\nlookups (customer by phone, %d random keys over %d customers, 1 read tx each):\n", lookups,
              customers);
  std::printf("  CustomerRepository::find_by_phone, 1 thread      : %10.0f lookups/s\n", lookup1);
  std::printf("  CustomerRepository::find_by_phone, 8 threads     : %10.0f lookups/s\n", lookup8);
  std::printf("  baseline pgbench -S -M prepared, 1 client        : %10.0f tps\n", sel1);
  std::printf("  baseline pgbench -S -M prepared, 8 clients       : %10.0f tps\n", sel8);
  std::printf("  ratios: repository/pgbench 1 = %.2f, 8 = %.2f\n", lookup1 / sel1, lookup8 / sel8);
  std::printf(
      "\nbookings (AppointmentRepository::book, 1 write tx each, %d per run, own slots per writer):\n",
      bookings);
  std::printf("  1 writer                                         : %10.0f bookings/s\n", book1);
  std::printf("  8 writers                                        : %10.0f bookings/s\n", book8);
  std::printf("  baseline pgbench TPC-B-like -M prepared, 1 client: %10.0f tps\n", tpcb1);
  std::printf("  baseline pgbench TPC-B-like -M prepared, 8 client: %10.0f tps\n", tpcb8);
  std::printf("  ratios: repository/pgbench 1 = %.2f, 8 = %.2f; 8 writers/1 writer = %.2f\n", book1 / tpcb1,
              book8 / tpcb8, book8 / book1);
  std::printf("  (pgbench: scale 8, -T %d s per run, on the same server in this run)\n", pgbench_seconds);
  return init_ok && sel1 > 0 && sel8 > 0 && tpcb1 > 0 && tpcb8 > 0;
}

}  // namespace voxline::bench
