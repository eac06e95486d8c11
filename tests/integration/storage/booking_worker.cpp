// storage_booking_worker <db> <report> <customer_id> <seed> <attempts>: books `attempts` random
// slots (Monday or Tuesday 2030-01-07/08, bays 1-2) for the customer, one transaction each, and
// writes one line per attempt to <report>: "ok <id> <bay> <start_ms> <end_ms>" or
// "refused <code> <bay> <start_ms> <end_ms>". The multi-process booking race runs several.
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "voxline/storage/appointment_repository.hpp"
#include "voxline/storage/schema.hpp"
#include "voxline/storage/shop_config_repository.hpp"

using namespace voxline;

int main(int argc, char **argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s <db> <report> <customer_id> <seed> <attempts>\n", argv[0]);
    return 2;
  }
  SqliteOptions options;
  options.path = argv[1];
  options.busy_timeout = std::chrono::seconds(30);
  auto db = open_service_desk_sqlite(options);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().to_string().c_str());
    return 1;
  }
  std::FILE *report = std::fopen(argv[2], "w");
  if (report == nullptr) return 1;
  const int64_t customer = std::atoll(argv[3]);
  std::mt19937 rng(static_cast<unsigned>(std::atoi(argv[4])));
  const int attempts = std::atoi(argv[5]);
  const WallTime monday = from_unix_ms(int64_t{1893974400} * 1000);  // 2030-01-07T00:00Z
  ManualClock clock(monday + std::chrono::hours(6));
  AppointmentRepository repo(clock);
  ShopConfig shop;
  {
    auto tx = (*db)->begin(TxMode::kRead);
    if (!tx.ok()) return 1;
    auto loaded = ShopConfigRepository(clock).load(*tx);
    if (!loaded.ok()) return 1;
    shop = *loaded;
  }
  for (int i = 0; i < attempts; ++i) {
    const ServiceType &s = shop.services[rng() % shop.services.size()];
    const int bay = 1 + static_cast<int>(rng() % 2);
    const WallTime start = monday + std::chrono::hours(24 * static_cast<int>(rng() % 2) + 8) +
                           std::chrono::minutes(30 * static_cast<int>(rng() % 16));
    const int64_t start_ms = to_unix_ms(start);
    const int64_t end_ms = start_ms + int64_t{s.duration_minutes} * 60000;
    auto tx = (*db)->begin(TxMode::kWrite, Deadline::after(std::chrono::seconds(60)));
    Status status = tx.status();
    int64_t id = 0;
    if (tx.ok()) {
      auto booked = repo.book(*tx, {customer, std::nullopt, s.code, bay, start, std::nullopt});
      status = booked.ok() ? tx->commit() : booked.status();
      if (status.ok()) id = booked->id;
    }
    if (status.ok()) {
      std::fprintf(report, "ok %lld %d %lld %lld\n", static_cast<long long>(id), bay,
                   static_cast<long long>(start_ms), static_cast<long long>(end_ms));
    } else {
      std::fprintf(report, "refused %s %d %lld %lld\n", status_code_name(status.code()), bay,
                   static_cast<long long>(start_ms), static_cast<long long>(end_ms));
      if (status.code() != StatusCode::kConflict) std::fprintf(stderr, "%s\n", status.to_string().c_str());
    }
  }
  return std::fclose(report) == 0 ? 0 : 1;
}
