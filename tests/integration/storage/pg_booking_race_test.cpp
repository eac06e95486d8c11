// The booking race across processes through PostgreSQL + Redis (issue 13 item 5): 4 worker
// processes x 8 threads book random, heavily overlapping slots. Each attempt holds its slot in
// the Redis session store (capacity 1), books it in PostgreSQL, then confirms the hold (commit)
// or releases it (refused). Checked on the appointments table and on Redis: never a double
// booking, every refused caller got CONFLICT, no hold left behind. The crash variant SIGKILLs one
// worker while it holds a slot and has an uncommitted booking: PostgreSQL rolls the booking back
// when the connection drops, and the orphaned hold is not cleaned by anyone: it expires by its TTL.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "integration/storage/booking_race_support.hpp"
#include "integration/storage/pg_harness.hpp"
#include "support/redis_server.hpp"
#include "support/redis_tests_can_run.hpp"
#include "unit/storage/storage_fixture.hpp"
#include "voxline/storage/appointment_repository.hpp"
#include "voxline/storage/customer_repository.hpp"
#include "voxline/storage/redis_session_store.hpp"
#include "voxline/storage/shop_config_repository.hpp"

using namespace voxline;
using namespace voxline::testing;

namespace {

constexpr int kProcesses = 4;
constexpr int kThreads = 8;
constexpr int kAttempts = 12;  // per thread
constexpr const char *kPrefix = "vxrace";

std::string slot_id(const Attempt &a) {
  return "bay-" + std::to_string(a.bay) + "/" + std::to_string(to_unix_ms(a.start));
}

// One race: a database of its own on the shared PostgreSQL server (service-desk schema, the test
// shop, one customer per worker), its own redis-server, and a session store on it.
struct Race {
  PostgresServer &pg;
  PgTestDatabase database;
  MetricsRegistry metrics;
  std::unique_ptr<Database> db;
  RedisServer redis;
  std::unique_ptr<RedisSessionStore> store;
  TempDir dir{"voxline-pg-race"};
  ManualClock clock{at(0, 6)};
  std::vector<int64_t> customers;

  explicit Race(PostgresServer &server) : pg(server), database(server, "race") {
    REQUIRE_MESSAGE(database.status().ok(), database.status().to_string());
    db = open_pg(database.url(), metrics, 2);
    Status migrated = db->migrate(service_desk_migrations(Dialect::kPostgres).value());
    REQUIRE_MESSAGE(migrated.ok(), migrated.to_string());
    auto tx = db->begin();
    REQUIRE(tx.ok());
    REQUIRE(ShopConfigRepository(clock).save(*tx, test_shop_config()).ok());
    CustomerRepository repo(clock);
    for (int p = 0; p < kProcesses; ++p) {
      auto c =
          repo.create(*tx, {"Worker " + std::to_string(p), "+1555456000" + std::to_string(p), std::nullopt});
      REQUIRE(c.ok());
      customers.push_back(c->id);
    }
    REQUIRE(tx->commit().ok());
    REQUIRE(dir.ok());
    Status started = redis.start();
    REQUIRE_MESSAGE(started.ok(), started.to_string());
    RedisSessionStoreOptions o;
    o.url = redis.url();
    o.key_prefix = kPrefix;
    o.metrics = &metrics;
    auto created = RedisSessionStore::create(o);
    REQUIRE_MESSAGE(created.ok(), created.status().to_string());
    store = std::move(created).value();
  }
  ~Race() { db.reset(); }  // close the pool before the database is dropped

  std::string report_path(int p) const { return dir.file("worker-" + std::to_string(p) + ".txt"); }

  std::string start_file() const { return dir.file("start"); }

  // Worker `p`; a `gated` one waits for start_file() before its first attempt.
  pid_t spawn(int p, Millis hold_ttl, bool stall, bool gated = false) {
    std::vector<std::string> args = {VOXLINE_STORAGE_BOOKING_WORKER,
                                     database.url(),
                                     report_path(p),
                                     std::to_string(customers[static_cast<size_t>(p)]),
                                     std::to_string(500 + p),
                                     std::to_string(kAttempts),
                                     "--threads",
                                     std::to_string(kThreads),
                                     "--redis",
                                     redis.url(),
                                     "--prefix",
                                     kPrefix,
                                     "--hold-ttl-ms",
                                     std::to_string(hold_ttl.count())};
    if (stall) args.emplace_back("--stall");
    if (gated) {
      args.emplace_back("--start-file");
      args.emplace_back(start_file());
    }
    return spawn_worker(args);
  }

  // Every scheduled appointment in the week of the race, straight from the table.
  std::vector<Appointment> table() {
    auto tx = db->begin(TxMode::kRead);
    REQUIRE(tx.ok());
    auto rows = AppointmentRepository(clock).list_in_range(*tx, at(0, 0), at(7, 0), 100000);
    REQUIRE_MESSAGE(rows.ok(), rows.status().to_string());
    std::vector<Appointment> scheduled;
    for (const Appointment &a : *rows) {
      if (a.status == AppointmentStatus::kScheduled) scheduled.push_back(a);
    }
    return scheduled;
  }

  // The holds keys Redis still has ("<prefix>:{slot:<id>}:holds"); "" when there are none.
  std::string holds_keys() {
    auto keys = redis.command({"KEYS", std::string(kPrefix) + ":*:holds"});
    REQUIRE_MESSAGE(keys.ok(), keys.status().to_string());
    return *keys;
  }

  SlotState slot_state(const std::string &slot) {
    auto s = store->slot_state(slot, Deadline::after(std::chrono::seconds(5)));
    REQUIRE_MESSAGE(s.ok(), s.status().to_string());
    return *s;
  }
};

bool still_running(pid_t pid) {
  siginfo_t info{};
  return waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0;
}

size_t report_lines(const std::string &path) {
  const WorkerReport r = read_worker_report(path);
  return r.accepted.size() + r.refused.size() + r.errors.size();
}

void wait_exit_ok(pid_t pid) {
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
}

Attempt as_attempt(const Appointment &a) {
  Attempt out;
  out.id = a.id;
  out.customer = a.customer_id;
  out.bay = a.bay;
  out.start = a.start;
  out.end = a.end;
  return out;
}

// No two scheduled rows of the table overlap in one bay.
void check_no_double_booking(const std::vector<Appointment> &rows) {
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t j = i + 1; j < rows.size(); ++j) {
      CHECK_FALSE_MESSAGE(overlaps(as_attempt(rows[i]), as_attempt(rows[j])),
                          "appointments " << rows[i].id << " and " << rows[j].id << " overlap");
    }
  }
}

// Every refusal was CONFLICT, and one at the SQL stage overlapped a stored booking.
void check_refusals(const std::vector<Attempt> &refused, const std::vector<Appointment> &rows) {
  for (const Attempt &r : refused) {
    REQUIRE_MESSAGE(r.code == "CONFLICT", "refused with " << r.code << " at " << r.stage);
    if (r.stage != "book") continue;
    bool blocked = false;
    for (const Appointment &a : rows) blocked = blocked || overlaps(as_attempt(a), r);
    CHECK_MESSAGE(blocked, "refused bay " << r.bay << " at " << to_unix_ms(r.start) << " with no overlap");
  }
}

// Polls until Redis has no holds key left; how long that took.
std::chrono::milliseconds wait_no_holds_keys(Race &race, std::chrono::milliseconds limit) {
  const auto begin = std::chrono::steady_clock::now();
  while (!race.holds_keys().empty() && std::chrono::steady_clock::now() - begin < limit)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_MESSAGE(race.holds_keys().empty(), "holds left behind: " << race.holds_keys());
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - begin);
}

}  // namespace

TEST_CASE("postgres + redis: 4 processes x 8 threads booking overlapping slots never double-book") {
  PostgresServer *pg = pg_server_or_skip();
  if (pg == nullptr || !redis_tests_can_run()) return;
  Race race(*pg);
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcesses; ++p) pids.push_back(race.spawn(p, std::chrono::seconds(60), false));
  for (pid_t pid : pids) wait_exit_ok(pid);

  std::vector<Attempt> accepted;
  std::vector<Attempt> refused;
  for (int p = 0; p < kProcesses; ++p) {
    WorkerReport r = read_worker_report(race.report_path(p), race.customers[static_cast<size_t>(p)]);
    for (const std::string &e : r.errors) FAIL_CHECK("worker " << p << ": " << e);
    accepted.insert(accepted.end(), r.accepted.begin(), r.accepted.end());
    refused.insert(refused.end(), r.refused.begin(), r.refused.end());
  }
  REQUIRE(accepted.size() + refused.size() == size_t{kProcesses} * kThreads * kAttempts);
  CHECK(!accepted.empty());
  size_t at_hold = 0;
  for (const Attempt &r : refused) at_hold += r.stage == "hold" ? 1 : 0;
  CHECK(at_hold > 0);                   // same slot: refused by the session store
  CHECK(refused.size() - at_hold > 0);  // overlapping slot: refused by the exclusion constraint

  const std::vector<Appointment> rows = race.table();
  check_no_double_booking(rows);
  check_refusals(refused, rows);
  // The table holds exactly the accepted bookings, as they were reported.
  std::map<int64_t, Attempt> by_id;
  for (const Attempt &a : accepted) by_id[a.id] = a;
  REQUIRE(rows.size() == accepted.size());
  for (const Appointment &row : rows) {
    REQUIRE_MESSAGE(by_id.count(row.id) == 1, "appointment " << row.id << " was never reported booked");
    const Attempt &a = by_id[row.id];
    CHECK(row.customer_id == a.customer);
    CHECK(row.bay == a.bay);
    CHECK(row.start == a.start);
    CHECK(row.end == a.end);
  }
  // Redis: no hold left, and each slot counts exactly its confirmed bookings.
  std::map<std::string, int> booked;
  std::set<std::string> slots;
  for (const Attempt &a : accepted) ++booked[slot_id(a)];
  for (const Attempt &a : accepted) slots.insert(slot_id(a));
  for (const Attempt &a : refused) slots.insert(slot_id(a));
  for (const std::string &slot : slots) {
    const SlotState s = race.slot_state(slot);
    CHECK_MESSAGE(s.holds == 0, slot << " still has " << s.holds << " holds");
    CHECK_MESSAGE(s.booked == booked[slot], slot);
  }
  CHECK_MESSAGE(race.holds_keys().empty(), "holds keys left: " << race.holds_keys());
  MESSAGE("accepted ", accepted.size(), ", refused ", refused.size(), " (", at_hold, " by a hold), slots ",
          slots.size());
}

TEST_CASE(
    "postgres + redis: a worker SIGKILLed mid-race holding a slot leaves no booking and no hold behind") {
  PostgresServer *pg = pg_server_or_skip();
  if (pg == nullptr || !redis_tests_can_run()) return;
  Race race(*pg);
  const Millis kVictimTtl{3000};
  // Worker 0 starts first and stalls with a live hold and an uncommitted, exclusion-checked row;
  // then the others start, and block on that row whenever they overlap it.
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcesses; ++p)
    pids.push_back(race.spawn(p, p == 0 ? kVictimTtl : Millis(std::chrono::seconds(60)), p == 0, p != 0));
  std::optional<Attempt> stalled;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!stalled && std::chrono::steady_clock::now() < give_up) {
    stalled = read_worker_report(race.report_path(0)).stalled;
    if (!stalled) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE_MESSAGE(stalled.has_value(), "worker 0 never stalled");
  { std::ofstream(race.start_file()) << "go\n"; }
  // Mid-race: every survivor has made attempts, none has finished.
  for (int p = 1; p < kProcesses; ++p) {
    while (report_lines(race.report_path(p)) < 3 && std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (size_t p = 1; p < pids.size(); ++p)
    CHECK_MESSAGE(still_running(pids[p]), "worker " << p << " finished before the kill");
  REQUIRE(::kill(pids[0], SIGKILL) == 0);
  int status = 0;
  REQUIRE(waitpid(pids[0], &status, 0) == pids[0]);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);
  const auto killed_at = std::chrono::steady_clock::now();
  // Nobody cleans up after the dead worker: its hold is still there...
  CHECK(race.slot_state(slot_id(*stalled)).holds == 1);
  // ...until its TTL runs out.
  while (race.slot_state(slot_id(*stalled)).holds != 0 &&
         std::chrono::steady_clock::now() - killed_at < kVictimTtl + std::chrono::seconds(3))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(race.slot_state(slot_id(*stalled)).holds == 0);

  for (size_t p = 1; p < pids.size(); ++p) wait_exit_ok(pids[p]);
  std::vector<Attempt> survivors_accepted;
  std::vector<Attempt> survivors_refused;
  for (int p = 1; p < kProcesses; ++p) {
    WorkerReport r = read_worker_report(race.report_path(p), race.customers[static_cast<size_t>(p)]);
    for (const std::string &e : r.errors) FAIL_CHECK("worker " << p << ": " << e);
    survivors_accepted.insert(survivors_accepted.end(), r.accepted.begin(), r.accepted.end());
    survivors_refused.insert(survivors_refused.end(), r.refused.begin(), r.refused.end());
  }
  REQUIRE(survivors_accepted.size() + survivors_refused.size() ==
          size_t{kProcesses - 1} * kThreads * kAttempts);
  const WorkerReport victim = read_worker_report(race.report_path(0), race.customers[0]);

  const std::vector<Appointment> rows = race.table();
  check_no_double_booking(rows);
  check_refusals(survivors_refused, rows);
  // The survivors' rows are exactly what they reported; the victim's rows include every booking
  // it reported and never the one it had not committed.
  std::set<int64_t> survivor_ids;
  for (const Attempt &a : survivors_accepted) survivor_ids.insert(a.id);
  std::set<int64_t> victim_rows;
  size_t survivor_rows = 0;
  for (const Appointment &row : rows) {
    if (row.customer_id == race.customers[0]) {
      victim_rows.insert(row.id);
      CHECK_FALSE_MESSAGE(same_slot(as_attempt(row), *stalled),
                          "the killed worker's uncommitted booking is stored");
    } else {
      ++survivor_rows;
      CHECK_MESSAGE(survivor_ids.count(row.id) == 1,
                    "appointment " << row.id << " was never reported booked");
    }
  }
  CHECK(survivor_rows == survivor_ids.size());
  for (const Attempt &a : victim.accepted) CHECK(victim_rows.count(a.id) == 1);

  // No hold left: the victim's other in-flight holds expire by TTL too (the holds key's own
  // expiry is the last hold's expiry + 1 s).
  const auto waited = wait_no_holds_keys(race, kVictimTtl + std::chrono::seconds(3));
  std::set<std::string> slots;
  for (const Attempt &a : survivors_accepted) slots.insert(slot_id(a));
  for (const Attempt &a : survivors_refused) slots.insert(slot_id(a));
  slots.insert(slot_id(*stalled));
  for (const std::string &slot : slots) CHECK_MESSAGE(race.slot_state(slot).holds == 0, slot);
  MESSAGE("survivors accepted ", survivors_accepted.size(), ", refused ", survivors_refused.size(),
          "; victim reported ", victim.accepted.size(), " bookings, ", victim_rows.size(),
          " rows; holds gone after a further ", waited.count(), " ms");
}
