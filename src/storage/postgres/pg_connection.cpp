// PgConnection: every statement through the extended protocol with bound parameters and a
// per-connection LRU cache of prepared statements; every wait bounded by the call's deadline,
// a statement past it cancelled server-side with PQcancel.
#include "storage/postgres/pg_connection.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include <fmt/format.h>

#include "storage/postgres/pg_errors.hpp"
#include "storage/postgres/pg_sql.hpp"

namespace voxline::detail {

namespace {

// How long a cancelled statement may take to report back before the connection is dropped.
constexpr auto kCancelGrace = std::chrono::seconds(2);
// Rollback is never skipped for want of time, but it is bounded.
constexpr auto kRollbackTimeout = std::chrono::seconds(5);

enum class Wait { kReady, kTimedOut, kFailed };

Wait wait_socket(int fd, bool for_write, const Deadline &deadline) {
  if (fd < 0) return Wait::kFailed;
  while (true) {
    pollfd p{fd, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
    const int ms = deadline.is_infinite() ? -1 : deadline.remaining_ms();
    if (ms == 0 && deadline.expired()) return Wait::kTimedOut;
    const int rc = ::poll(&p, 1, ms);
    if (rc > 0) return Wait::kReady;
    if (rc == 0) {
      if (deadline.expired()) return Wait::kTimedOut;
      continue;
    }
    if (errno != EINTR) return Wait::kFailed;
  }
}

long long timeout_ms(const Deadline &d) {
  if (d.is_infinite()) return 0;  // 0 disables the server-side timeout
  return std::max(1, d.remaining_ms());
}

Status classify_connect_failure(const PGconn *conn, std::string_view what) {
  Status s = pg_connection_status(conn, what);
  const std::string &m = s.message();
  if (m.find("password authentication failed") != std::string::npos ||
      m.find("no password supplied") != std::string::npos ||
      m.find("no pg_hba.conf entry") != std::string::npos)
    return Status(StatusCode::kUnauthenticated, m);
  if (m.find("does not exist") != std::string::npos && m.find("database") != std::string::npos)
    return Status(StatusCode::kNotFound, m);
  return s;
}

}  // namespace

PgConnection::PgConnection(PGconn *conn, const PostgresOptions &options, const DatabaseMetrics &m)
    : conn_(conn), options_(options), metrics_(m) {
  if (options_.statement_cache_size == 0) options_.statement_cache_size = 1;
}

PgConnection::~PgConnection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

Status PgConnection::connect_poll(PGconn *conn, const Deadline &deadline, bool reset, std::string_view what) {
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  while (true) {
    if (st == PGRES_POLLING_OK) return Status::Ok();
    if (st == PGRES_POLLING_FAILED) return classify_connect_failure(conn, what);
    const Wait w = wait_socket(PQsocket(conn), st == PGRES_POLLING_WRITING, deadline);
    if (w == Wait::kTimedOut)
      return timeout_error(fmt::format("postgres {}: not connected within the deadline", what));
    if (w == Wait::kFailed) return classify_connect_failure(conn, what);
    st = reset ? PQresetPoll(conn) : PQconnectPoll(conn);
  }
}

Result<std::unique_ptr<PgConnection>> PgConnection::open(const PostgresOptions &options,
                                                         const DatabaseMetrics &m,
                                                         const Deadline &call_deadline) {
  const Deadline deadline = Deadline::earliest(call_deadline, Deadline::after(options.connect_timeout));
  // application_name before dbname, so the URL may override it; client_encoding after, so it wins.
  const char *keys[] = {"application_name", "dbname", "client_encoding", nullptr};
  const char *values[] = {"voxline", options.url.c_str(), "UTF8", nullptr};
  PGconn *conn = PQconnectStartParams(keys, values, 1);
  if (conn == nullptr) return unavailable("postgres connect: out of memory");
  if (PQstatus(conn) == CONNECTION_BAD) {
    Status s = classify_connect_failure(conn, "connect to " + redact_postgres_url(options.url));
    PQfinish(conn);
    return s;
  }
  std::unique_ptr<PgConnection> c(new PgConnection(conn, options, m));
  // NOTICEs ("relation already exists, skipping") are for people at a psql prompt.
  PQsetNoticeProcessor(
      conn, [](void *, const char *) {}, nullptr);
  VOXLINE_RETURN_IF_ERROR(
      connect_poll(conn, deadline, false, "connect to " + redact_postgres_url(options.url)));
  VOXLINE_RETURN_IF_ERROR(c->setup_session(deadline));
  return c;
}

Status PgConnection::setup_session(const Deadline &deadline) {
  PQsetnonblocking(conn_, 1);
  return run_simple("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'",
                    deadline, "session setup");
}

Status PgConnection::reset(const Deadline &deadline) {
  clear_cache();  // the server's prepared statements died with the old session
  broken_ = false;
  if (PQresetStart(conn_) == 0) {
    broken_ = true;
    return pg_connection_status(conn_, "reconnect");
  }
  Status s = connect_poll(conn_, deadline, true, "reconnect");
  if (s.ok()) s = setup_session(deadline);
  if (!s.ok()) broken_ = true;
  return s;
}

void PgConnection::clear_cache() {
  cache_.clear();
  lru_.clear();
}

bool PgConnection::healthy() const noexcept {
  return conn_ != nullptr && !broken_ && PQstatus(conn_) == CONNECTION_OK &&
         PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

int PgConnection::backend_pid() const noexcept {
  return conn_ != nullptr ? PQbackendPID(conn_) : 0;
}

Status PgConnection::lost(std::string_view what) {
  broken_ = true;
  return pg_connection_status(conn_, what);
}

PgConnection::Outcome PgConnection::collect(const Deadline &deadline, std::string_view what) {
  Outcome out;
  auto fail = [&](Status s) {
    if (out.last != nullptr) PQclear(out.last);
    out.last = nullptr;
    out.status = std::move(s);
    return std::move(out);
  };
  bool cancelled = false;
  Deadline grace = Deadline::infinite();
  auto on_timeout = [&]() -> bool {  // true: keep waiting for the cancelled statement's answer
    if (cancelled) return false;
    cancelled = true;
    grace = Deadline::after(kCancelGrace);
    PGcancel *c = PQgetCancel(conn_);
    char err[256] = {0};
    const bool sent = c != nullptr && PQcancel(c, err, sizeof(err)) == 1;
    if (c != nullptr) PQfreeCancel(c);
    return sent;
  };
  // Send what libpq buffered (non-blocking mode).
  while (true) {
    const int f = PQflush(conn_);
    if (f == 0) break;
    if (f < 0) return fail(lost(what));
    const Wait w = wait_socket(PQsocket(conn_), true, cancelled ? grace : deadline);
    if (w == Wait::kFailed) return fail(lost(what));
    if (w == Wait::kTimedOut && !on_timeout()) {
      broken_ = true;
      return fail(timeout_error(fmt::format("postgres {}: could not send within the deadline", what)));
    }
    if (PQconsumeInput(conn_) == 0) return fail(lost(what));
  }
  while (true) {
    if (PQisBusy(conn_) == 0) {
      PGresult *r = PQgetResult(conn_);
      if (r == nullptr) break;  // the command is complete
      const ExecStatusType st = PQresultStatus(r);
      if (st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR || st == PGRES_BAD_RESPONSE) {
        if (out.status.ok()) out.status = pg_result_status(r, what);
        PQclear(r);
      } else if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
        PQclear(r);
        broken_ = true;
        return fail(invalid_argument(fmt::format("postgres {}: COPY is not supported", what)));
      } else {
        if (out.last != nullptr) PQclear(out.last);
        out.last = r;
      }
      continue;
    }
    const Wait w = wait_socket(PQsocket(conn_), false, cancelled ? grace : deadline);
    if (w == Wait::kFailed) return fail(lost(what));
    if (w == Wait::kTimedOut) {
      if (!on_timeout()) {
        // No answer even to the cancel: the connection is in an unknown state.
        broken_ = true;
        return fail(timeout_error(
            fmt::format("postgres {}: the deadline passed and the server did not answer the cancel", what)));
      }
      continue;
    }
    if (PQconsumeInput(conn_) == 0) return fail(lost(what));
  }
  if (PQstatus(conn_) == CONNECTION_BAD) {
    broken_ = true;
    if (out.status.ok() || out.status.code() != StatusCode::kUnavailable) return fail(lost(what));
  }
  if (cancelled && !out.status.ok()) {
    // 57014 after our PQcancel: the deadline, not the statement, is what failed.
    out.status = timeout_error(
        fmt::format("postgres {}: the statement's deadline passed; it was cancelled server-side ({})", what,
                    out.status.message()));
  }
  if (!out.status.ok() && out.last != nullptr) {
    PQclear(out.last);
    out.last = nullptr;
  }
  return out;
}

Status PgConnection::run_simple(const std::string &sql, const Deadline &deadline, std::string_view what) {
  if (conn_ == nullptr || broken_ || PQstatus(conn_) != CONNECTION_OK) return lost(what);
  if (PQsendQuery(conn_, sql.c_str()) == 0) return lost(what);
  Outcome o = collect(deadline, what);
  if (o.last != nullptr) PQclear(o.last);
  return o.status;
}

Result<PgConnection::Prepared *> PgConnection::prepare(std::string_view sql, const Deadline &deadline) {
  std::string key(sql);
  auto it = cache_.find(key);
  if (it != cache_.end()) {
    metrics_.stmt_cache_hits->inc();
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return &it->second;
  }
  metrics_.stmt_cache_misses->inc();
  VOXLINE_ASSIGN_OR_RETURN(PgStatementText text, rewrite_placeholders(sql));
  while (cache_.size() >= options_.statement_cache_size && !lru_.empty()) {
    auto victim = cache_.find(lru_.back());
    if (victim != cache_.end()) {
      // The name is ours ("vx<n>"), never input. In an aborted transaction DEALLOCATE fails; the
      // statement then stays on the server until the session ends, under a name never reused.
      (void)run_simple("DEALLOCATE " + victim->second.name, deadline, "deallocate");
      cache_.erase(victim);
    }
    lru_.pop_back();
    if (broken_) return lost("deallocate");
  }
  Prepared p;
  p.name = fmt::format("vx{}", ++next_statement_);
  p.placeholders = text.placeholders;
  if (PQsendPrepare(conn_, p.name.c_str(), text.sql.c_str(), 0, nullptr) == 0) return lost("prepare");
  Outcome o = collect(deadline, "prepare");
  if (o.last != nullptr) PQclear(o.last);
  VOXLINE_RETURN_IF_ERROR(o.status);
  if (PQsendDescribePrepared(conn_, p.name.c_str()) == 0) return lost("describe");
  o = collect(deadline, "describe");
  VOXLINE_RETURN_IF_ERROR(o.status);
  if (o.last == nullptr) return internal_error("postgres describe returned no result");
  const int np = PQnparams(o.last);
  for (int i = 0; i < np; ++i) p.param_types.push_back(PQparamtype(o.last, i));
  auto names = std::make_shared<std::vector<std::string>>();
  for (int i = 0, n = PQnfields(o.last); i < n; ++i) names->emplace_back(PQfname(o.last, i));
  PQclear(o.last);
  p.columns = std::move(names);
  lru_.push_front(key);
  p.lru = lru_.begin();
  Prepared &entry = cache_[key] = std::move(p);
  return &entry;
}

Status PgConnection::run(std::string_view sql, const SqlParams &params, const Deadline &deadline, Rows *rows,
                         int64_t *changes) {
  if (conn_ == nullptr || broken_ || PQstatus(conn_) != CONNECTION_OK) return lost("step");
  if (deadline.expired())
    return timeout_error("postgres step: the statement's deadline expired before it started");
  VOXLINE_ASSIGN_OR_RETURN(Prepared * p, prepare(sql, deadline));
  if (static_cast<size_t>(p->placeholders) != params.size()) {
    return invalid_argument(fmt::format("statement has {} placeholders but {} values were bound",
                                        p->placeholders, params.size()));
  }
  if (params.size() > static_cast<size_t>(INT_MAX)) return invalid_argument("too many parameters");
  VOXLINE_ASSIGN_OR_RETURN(PgParams enc, encode_params(params, p->param_types));
  if (PQsendQueryPrepared(conn_, p->name.c_str(), static_cast<int>(params.size()), enc.values.data(),
                          enc.lengths.data(), enc.formats.data(), 0) == 0)
    return lost("step");
  Outcome o = collect(deadline, "step");
  VOXLINE_RETURN_IF_ERROR(o.status);
  struct Clear {
    PGresult *r;
    ~Clear() {
      if (r != nullptr) PQclear(r);
    }
  } clear{o.last};
  if (o.last == nullptr) return internal_error("postgres step returned no result");
  if (rows != nullptr && PQresultStatus(o.last) == PGRES_TUPLES_OK) {
    const int nr = PQntuples(o.last);
    const int nf = PQnfields(o.last);
    rows->reserve(static_cast<size_t>(nr));
    for (int r = 0; r < nr; ++r) {
      std::vector<SqlValue> values;
      values.reserve(static_cast<size_t>(nf));
      for (int f = 0; f < nf; ++f) {
        if (PQgetisnull(o.last, r, f) != 0) {
          values.emplace_back();
          continue;
        }
        VOXLINE_ASSIGN_OR_RETURN(SqlValue v, decode_field(PQftype(o.last, f), PQgetvalue(o.last, r, f),
                                                          PQgetlength(o.last, r, f)));
        values.push_back(std::move(v));
      }
      rows->emplace_back(p->columns, std::move(values));
    }
  }
  if (changes != nullptr) {
    const char *n = PQcmdTuples(o.last);
    *changes = n != nullptr && *n != '\0' ? std::strtoll(n, nullptr, 10) : 0;
  }
  return Status::Ok();
}

Result<Rows> PgConnection::query(std::string_view sql, const SqlParams &params, const Deadline &deadline) {
  Rows rows;
  VOXLINE_RETURN_IF_ERROR(run(sql, params, deadline, &rows, nullptr));
  return rows;
}

Result<int64_t> PgConnection::execute(std::string_view sql, const SqlParams &params,
                                      const Deadline &deadline) {
  int64_t changes = 0;
  VOXLINE_RETURN_IF_ERROR(run(sql, params, deadline, nullptr, &changes));
  return changes;
}

Status PgConnection::begin(TxMode mode, const Deadline &deadline) {
  if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK && !broken_ &&
      PQtransactionStatus(conn_) != PQTRANS_IDLE)
    return failed_precondition("a transaction is already open");
  // The server enforces the deadline too (it outlives this process), 1 s behind the client's
  // own cancel so a cancelled statement reports TIMEOUT from here first.
  const long long ms = timeout_ms(deadline);
  std::string sql = mode == TxMode::kWrite ? "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE"
                                           : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
  sql += fmt::format("; SET LOCAL statement_timeout = {}; SET LOCAL idle_in_transaction_session_timeout = {}",
                     ms == 0 ? 0 : ms + 1000, ms == 0 ? 0 : ms + 1000);
  for (int attempt = 0;; ++attempt) {
    if (conn_ == nullptr) return unavailable("postgres begin: no connection");
    if (broken_ || PQstatus(conn_) != CONNECTION_OK) VOXLINE_RETURN_IF_ERROR(reset(deadline));
    Status s = run_simple(sql, deadline, "begin");
    if (s.ok()) return s;
    // A connection the server closed while it sat in the pool: reconnect and begin again.
    if (attempt == 0 && (broken_ || PQstatus(conn_) != CONNECTION_OK)) continue;
    return s;
  }
}

Status PgConnection::commit(const Deadline &deadline) {
  if (conn_ == nullptr || broken_ || PQstatus(conn_) != CONNECTION_OK) return lost("commit");
  const bool aborted = PQtransactionStatus(conn_) == PQTRANS_INERROR;
  if (PQsendQuery(conn_, "COMMIT") == 0) return lost("commit");
  Outcome o = collect(deadline, "commit");
  const std::string tag = o.last != nullptr ? PQcmdStatus(o.last) : "";
  if (o.last != nullptr) PQclear(o.last);
  VOXLINE_RETURN_IF_ERROR(o.status);
  if (aborted || tag == "ROLLBACK") {
    return failed_precondition(
        "postgres commit: an earlier statement failed, so the server rolled the transaction back");
  }
  return Status::Ok();
}

Status PgConnection::rollback() {
  if (conn_ == nullptr) return Status::Ok();
  if (broken_ || PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;  // the server ends the transaction of a closed session by itself
    return Status::Ok();
  }
  if (PQtransactionStatus(conn_) == PQTRANS_IDLE) return Status::Ok();
  Status s = run_simple("ROLLBACK", Deadline::after(kRollbackTimeout), "rollback");
  if (!s.ok()) broken_ = true;
  return s;
}

}  // namespace voxline::detail
