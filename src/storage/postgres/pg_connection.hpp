// PgConnection: one libpq connection with its prepared-statement cache, deadline-bounded waits
// and server-side cancellation (internal to the PostgreSQL backend).
#pragma once

#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <libpq-fe.h>

#include "voxline/storage/database.hpp"
#include "voxline/storage/postgres_database.hpp"

namespace voxline::detail {

class PgConnection final : public Connection {
 public:
  // Connects to options.url within min(connect_timeout, deadline) and sets up the session.
  static Result<std::unique_ptr<PgConnection>> open(const PostgresOptions &options, const DatabaseMetrics &m,
                                                    const Deadline &deadline);
  ~PgConnection() override;

  Result<Rows> query(std::string_view sql, const SqlParams &params, const Deadline &deadline) override;
  Result<int64_t> execute(std::string_view sql, const SqlParams &params, const Deadline &deadline) override;
  // Detects a connection the server closed, resets it and retries BEGIN once.
  Status begin(TxMode mode, const Deadline &deadline) override;
  Status commit(const Deadline &deadline) override;
  Status rollback() override;
  bool healthy() const noexcept override;

  // Runs text without parameters through the simple protocol (several statements allowed):
  // migrations' session settings, BEGIN with its SET LOCALs.
  Status run_simple(const std::string &sql, const Deadline &deadline, std::string_view what);
  // Backend process id (pg_backend_pid()), 0 when not connected.
  int backend_pid() const noexcept;

 private:
  struct Prepared {
    std::string name;  // "vx<n>"
    int placeholders = 0;
    std::vector<Oid> param_types;
    std::shared_ptr<const std::vector<std::string>> columns;
    std::list<std::string>::iterator lru;
  };
  // One finished round trip: every result of the command, the last error if any.
  struct Outcome {
    Status status;
    PGresult *last = nullptr;  // the last non-error result (owned; cleared by the caller)
  };

  PgConnection(PGconn *conn, const PostgresOptions &options, const DatabaseMetrics &m);
  static Status connect_poll(PGconn *conn, const Deadline &deadline, bool reset, std::string_view what);
  Status setup_session(const Deadline &deadline);
  Status reset(const Deadline &deadline);
  void clear_cache();
  Result<Prepared *> prepare(std::string_view sql, const Deadline &deadline);
  // Waits for every result of the command just sent, until `deadline`; past it, cancels the
  // statement server-side and waits a short grace for the server to confirm.
  Outcome collect(const Deadline &deadline, std::string_view what);
  Status run(std::string_view sql, const SqlParams &params, const Deadline &deadline, Rows *rows,
             int64_t *changes);
  // UNAVAILABLE and broken when the socket is gone; marks the connection broken.
  Status lost(std::string_view what);

  PGconn *conn_;
  PostgresOptions options_;
  DatabaseMetrics metrics_;
  std::unordered_map<std::string, Prepared> cache_;
  std::list<std::string> lru_;  // front = most recently used
  uint64_t next_statement_ = 0;
  bool broken_ = false;
};

}  // namespace voxline::detail
