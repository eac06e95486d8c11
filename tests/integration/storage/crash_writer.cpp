// storage_crash_writer <db> <report> <round>: registers customers in a loop, each with two
// vehicles and a call log in one transaction, and after every commit appends the customer id
// to <report> and fsyncs it. The crash-safety test kills it with SIGKILL at an arbitrary point.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "voxline/storage/call_log_repository.hpp"
#include "voxline/storage/customer_repository.hpp"
#include "voxline/storage/schema.hpp"

using namespace voxline;

namespace {

// A valid VIN unique per (round, vehicle, serial): the check digit is computed for position 9.
std::string make_vin(int round, int vehicle, int serial) {
  std::string vin = fmt::format("2T1BR32{}0K{}{:06}", static_cast<char>('A' + vehicle), round % 10, serial);
  vin[8] = vin_check_digit(vin).value_or('0');
  return vin;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <db> <report> <round>\n", argv[0]);
    return 2;
  }
  const int round = std::atoi(argv[3]);
  SqliteOptions options;
  options.path = argv[1];
  auto db = open_service_desk_sqlite(options);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().to_string().c_str());
    return 1;
  }
  const int report = ::open(argv[2], O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (report < 0) return 1;
  CustomerRepository customers;
  CallLogRepository calls;
  // A transcript of a few pages, so a transaction spans several WAL frames.
  std::string transcript = "[";
  for (int i = 0; i < 40; ++i)
    transcript += fmt::format("{}{{\"role\":\"user\",\"text\":\"{:0>80}\"}}", i ? "," : "", i);
  transcript += "]";
  for (int i = 0; i < 1000000; ++i) {
    auto tx = (*db)->begin();
    if (!tx.ok()) return 1;
    NewCustomer c{fmt::format("crash {} {}", round, i), fmt::format("+1{}2{:06}", 520 + 10 * round, i),
                  std::nullopt};
    auto reg = customers.register_customer(*tx, c,
                                           {{0, make_vin(round, 0, i), 2015, "Toyota", "Corolla"},
                                            {0, make_vin(round, 1, i), 2018, "Ford", "Focus"}});
    if (!reg.ok()) {
      std::fprintf(stderr, "register: %s\n", reg.status().to_string().c_str());
      return 1;
    }
    CallLog log;
    log.call_id = fmt::format("crash-{}-{}", round, i);
    log.from_number = reg->customer.phone;
    log.to_number = "+15550000000";
    log.customer_id = reg->customer.id;
    log.started_at = Clock::system().wall_now();
    log.transcript_json = transcript;
    auto saved = calls.save(*tx, log);
    if (!saved.ok()) {
      std::fprintf(stderr, "call log: %s\n", saved.status().to_string().c_str());
      return 1;
    }
    Status s = tx->commit();
    if (!s.ok()) {
      std::fprintf(stderr, "commit: %s\n", s.to_string().c_str());
      return 1;
    }
    // Reported only after COMMIT returned, and made durable before the next write starts.
    std::string line = fmt::format("{}\n", reg->customer.id);
    if (::write(report, line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
        ::fsync(report) != 0) {
      return 1;
    }
  }
  return 0;
}
