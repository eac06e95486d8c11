// storage_booking_worker <db> <report> <customer_id> <seed> <attempts> [options]: books
// `attempts` random slots (Monday or Tuesday 2030-01-07/08, bays 1-2) for the customer, one
// transaction each, and writes one line per attempt to <report> (flushed as it is written):
//   "ok <id> <bay> <start_ms> <end_ms>"
//   "refused <code> <bay> <start_ms> <end_ms> <stage>"   stage: hold (session store) or book (SQL)
//   "error <code> <bay> <start_ms> <end_ms> <what>"      a release/confirm that failed
// <db> is a SQLite file path or a postgresql:// URL (make_database). Options:
//   --threads N       N threads (default 1), each making `attempts` attempts (seed + thread)
//   --redis URL       hold each slot ("bay-<bay>/<start_ms>", capacity 1) in the Redis session
//                     store before booking it; confirm the hold after a commit, release it otherwise
//   --prefix P        the session store's key prefix (default "vxrace")
//   --hold-ttl-ms N   lifetime of a hold (default 60000)
//   --start-file F    wait (polling) until file F exists before the first attempt
//   --stall           thread 0, after its first attempt, holds one more slot, books it inside a
//                     transaction it never commits, writes "stalled <bay> <start_ms> <end_ms>"
//                     and waits forever (for the SIGKILL of the crash variant)
// The multi-process booking races (booking_race_test.cpp, pg_booking_race_test.cpp) run several.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "voxline/storage/appointment_repository.hpp"
#include "voxline/storage/database_factory.hpp"
#include "voxline/storage/redis_session_store.hpp"
#include "voxline/storage/schema.hpp"
#include "voxline/storage/shop_config_repository.hpp"

using namespace voxline;

namespace {

struct Options {
  std::string db;
  std::string report;
  int64_t customer = 0;
  unsigned seed = 0;
  int attempts = 0;
  int threads = 1;
  std::string redis;
  std::string prefix = "vxrace";
  Millis hold_ttl{60000};
  bool stall = false;
  std::string start_file;
};

const WallTime kMonday = from_unix_ms(int64_t{1893974400} * 1000);  // 2030-01-07T00:00Z

class Report {
 public:
  explicit Report(std::FILE *f) : f_(f) {}
  template <typename... Args>
  void line(const char *fmt, Args... args) {
    std::lock_guard<std::mutex> lock(mu_);
    std::fprintf(f_, fmt, args...);
    std::fflush(f_);  // one write per line: a killed worker leaves whole lines
  }

 private:
  std::mutex mu_;
  std::FILE *f_;
};

struct Slot {
  const ServiceType *service = nullptr;
  int bay = 0;
  WallTime start;
  long long start_ms = 0;
  long long end_ms = 0;
  std::string id;  // the session store's slot id
};

Slot random_slot(std::mt19937 &rng, const ShopConfig &shop) {
  Slot s;
  s.service = &shop.services[rng() % shop.services.size()];
  s.bay = 1 + static_cast<int>(rng() % 2);
  s.start = kMonday + std::chrono::hours(24 * static_cast<int>(rng() % 2) + 8) +
            std::chrono::minutes(30 * static_cast<int>(rng() % 16));
  s.start_ms = static_cast<long long>(to_unix_ms(s.start));
  s.end_ms = s.start_ms + static_cast<long long>(s.service->duration_minutes) * 60000;
  s.id = "bay-" + std::to_string(s.bay) + "/" + std::to_string(s.start_ms);
  return s;
}

Deadline op_deadline() {
  return Deadline::after(std::chrono::seconds(60));
}

// One booking attempt, reported.
void attempt(Database &db, SessionStore *store, const Options &o, const std::string &holder, const Slot &s,
             const AppointmentRepository &repo_template, Report &report) {
  AppointmentRepository repo = repo_template;
  if (store != nullptr) {
    auto held = store->hold_slot(s.id, holder, 1, o.hold_ttl, op_deadline());
    if (!held.ok()) {
      report.line("refused %s %d %lld %lld hold\n", status_code_name(held.status().code()), s.bay, s.start_ms,
                  s.end_ms);
      if (held.status().code() != StatusCode::kConflict)
        std::fprintf(stderr, "%s\n", held.status().to_string().c_str());
      return;
    }
  }
  auto tx = db.begin(TxMode::kWrite, op_deadline());
  Status status = tx.status();
  int64_t id = 0;
  if (tx.ok()) {
    auto booked = repo.book(*tx, {o.customer, std::nullopt, s.service->code, s.bay, s.start, std::nullopt});
    status = booked.ok() ? tx->commit() : booked.status();
    if (status.ok()) id = booked->id;
  }
  if (store != nullptr) {
    // The hold becomes a booking count when the row is committed, and is given back otherwise.
    Status after = status.ok()
                       ? store->confirm_slot(s.id, holder, std::chrono::hours(1), op_deadline()).status()
                       : store->release_slot(s.id, holder, op_deadline());
    if (!after.ok()) {
      report.line("error %s %d %lld %lld %s\n", status_code_name(after.code()), s.bay, s.start_ms, s.end_ms,
                  status.ok() ? "confirm" : "release");
    }
  }
  if (status.ok()) {
    report.line("ok %lld %d %lld %lld\n", static_cast<long long>(id), s.bay, s.start_ms, s.end_ms);
  } else {
    report.line("refused %s %d %lld %lld book\n", status_code_name(status.code()), s.bay, s.start_ms,
                s.end_ms);
    if (status.code() != StatusCode::kConflict) std::fprintf(stderr, "%s\n", status.to_string().c_str());
  }
}

// Holds and books one more slot, then never commits: the process dies with both in flight.
[[noreturn]] void stall(Database &db, SessionStore *store, const Options &o, std::mt19937 &rng,
                        const ShopConfig &shop, const AppointmentRepository &repo_template, Report &report) {
  AppointmentRepository repo = repo_template;
  for (int n = 0;; ++n) {
    const Slot s = random_slot(rng, shop);
    const std::string holder = "stall-" + std::to_string(o.seed) + "-" + std::to_string(n);
    if (store != nullptr && !store->hold_slot(s.id, holder, 1, o.hold_ttl, op_deadline()).ok()) continue;
    auto tx = db.begin(TxMode::kWrite, op_deadline());
    if (tx.ok() &&
        repo.book(*tx, {o.customer, std::nullopt, s.service->code, s.bay, s.start, std::nullopt}).ok()) {
      report.line("stalled %d %lld %lld\n", s.bay, s.start_ms, s.end_ms);
      for (;;) ::pause();
    }
    if (store != nullptr) (void)store->release_slot(s.id, holder, op_deadline());
  }
}

bool parse(int argc, char **argv, Options &o) {
  if (argc < 6) return false;
  o.db = argv[1];
  o.report = argv[2];
  o.customer = std::atoll(argv[3]);
  o.seed = static_cast<unsigned>(std::atoi(argv[4]));
  o.attempts = std::atoi(argv[5]);
  for (int i = 6; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--stall") {
      o.stall = true;
    } else if (a == "--threads" && has_value) {
      o.threads = std::atoi(argv[++i]);
    } else if (a == "--redis" && has_value) {
      o.redis = argv[++i];
    } else if (a == "--start-file" && has_value) {
      o.start_file = argv[++i];
    } else if (a == "--prefix" && has_value) {
      o.prefix = argv[++i];
    } else if (a == "--hold-ttl-ms" && has_value) {
      o.hold_ttl = Millis(std::atoll(argv[++i]));
    } else {
      return false;
    }
  }
  return o.threads >= 1 && o.attempts >= 0;
}

Result<std::unique_ptr<Database>> open_db(const Options &o) {
  if (o.db.rfind("postgresql://", 0) == 0) {
    DatabaseOptions d;
    d.pool_size = static_cast<size_t>(o.threads);
    return make_database(o.db, d);
  }
  SqliteOptions options;
  options.path = o.db;
  options.busy_timeout = std::chrono::seconds(30);
  return open_service_desk_sqlite(options);
}

}  // namespace

int main(int argc, char **argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: %s <db> <report> <customer_id> <seed> <attempts> [--threads N] [--redis URL] "
                 "[--prefix P] [--hold-ttl-ms N] [--start-file F] [--stall]\n",
                 argv[0]);
    return 2;
  }
  auto db = open_db(o);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().to_string().c_str());
    return 1;
  }
  std::unique_ptr<SessionStore> store;
  if (!o.redis.empty()) {
    RedisSessionStoreOptions r;
    r.url = o.redis;
    r.key_prefix = o.prefix;
    r.pool_size = static_cast<size_t>(o.threads);
    auto created = RedisSessionStore::create(r);
    if (!created.ok()) {
      std::fprintf(stderr, "redis: %s\n", created.status().to_string().c_str());
      return 1;
    }
    store = std::move(created).value();
  }
  std::FILE *file = std::fopen(o.report.c_str(), "w");
  if (file == nullptr) return 1;
  Report report(file);
  ManualClock clock(kMonday + std::chrono::hours(6));
  const AppointmentRepository repo(clock);
  ShopConfig shop;
  {
    auto tx = (*db)->begin(TxMode::kRead);
    if (!tx.ok()) return 1;
    auto loaded = ShopConfigRepository(clock).load(*tx);
    if (!loaded.ok()) return 1;
    shop = *loaded;
  }
  while (!o.start_file.empty() && ::access(o.start_file.c_str(), F_OK) != 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::vector<std::thread> threads;
  for (int t = 0; t < o.threads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(o.seed + static_cast<unsigned>(t) * 7919u);
      for (int i = 0; i < o.attempts; ++i) {
        const std::string holder =
            "w" + std::to_string(o.seed) + "-t" + std::to_string(t) + "-" + std::to_string(i);
        attempt(**db, store.get(), o, holder, random_slot(rng, shop), repo, report);
        if (o.stall && t == 0) stall(**db, store.get(), o, rng, shop, repo, report);
      }
    });
  }
  for (auto &th : threads) th.join();
  return std::fclose(file) == 0 ? 0 : 1;
}
