// Constraint names from the schema, read with the pragma table functions after a failure.
#include "storage/sql/sqlite_constraints.hpp"

#include <cctype>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace voxline::detail {

namespace {

// Runs a read-only statement with text parameters, calling `row` per result row; false on error.
template <typename RowFn>
bool each_row(sqlite3 *db, const char *sql, std::initializer_list<std::string_view> args, RowFn &&row) {
  sqlite3_stmt *st = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
    sqlite3_finalize(st);
    return false;
  }
  int i = 1;
  for (std::string_view a : args)
    sqlite3_bind_text64(st, i++, a.data(), a.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) row(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE;
}

std::string text_column(sqlite3_stmt *st, int i) {
  const auto *p = reinterpret_cast<const char *>(sqlite3_column_text(st, i));
  return p != nullptr ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(st, i))) : std::string();
}

bool exec(sqlite3 *db, const char *sql) {
  return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
}

// The next keyword or identifier of `sql` (quotes removed), consuming it; "" at the end.
std::string_view next_word(std::string_view &sql) {
  size_t i = 0;
  while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i])) != 0) ++i;
  if (i < sql.size() && (sql[i] == '"' || sql[i] == '`' || sql[i] == '[')) {
    const char close = sql[i] == '[' ? ']' : sql[i];
    const size_t end = sql.find(close, i + 1);
    if (end == std::string_view::npos) {
      sql = {};
      return {};
    }
    std::string_view word = sql.substr(i + 1, end - i - 1);
    sql.remove_prefix(end + 1);
    return word;
  }
  size_t j = i;
  while (j < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[j])) != 0 || sql[j] == '_')) ++j;
  std::string_view word = sql.substr(i, j - i);
  sql.remove_prefix(j);
  return word;
}

// A table name, skipping a schema qualifier ("main.customers" -> "customers").
std::string_view next_table(std::string_view &sql) {
  std::string_view name = next_word(sql);
  if (!sql.empty() && sql.front() == '.') {
    sql.remove_prefix(1);
    name = next_word(sql);
  }
  return name;
}

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

struct ForeignKey {
  int id = 0;
  std::vector<std::string> columns;
};

std::string fkey_name(const std::string &table, const std::vector<std::string> &columns) {
  std::string out = table;
  for (const auto &c : columns) out += "_" + c;
  return out + "_fkey";
}

}  // namespace

std::string_view written_table(std::string_view sql) {
  std::string_view rest = sql;
  const std::string_view verb = next_word(rest);
  const bool update = iequal(verb, "UPDATE");
  const bool remove = iequal(verb, "DELETE");
  if (!update && !remove && !iequal(verb, "INSERT") && !iequal(verb, "REPLACE")) return {};
  std::string_view probe = rest;
  if (iequal(next_word(probe), "OR")) {  // INSERT OR IGNORE INTO t, UPDATE OR ABORT t
    next_word(probe);
    rest = probe;
  }
  if (!update && !iequal(next_word(rest), remove ? "FROM" : "INTO")) return {};
  return next_table(rest);
}

void resolve_unique_index(sqlite3 *db, DbError &e) {
  if (e.table.empty() || e.columns.empty()) return;
  std::vector<std::pair<std::string, std::string>> indexes;  // name, origin
  each_row(db, "SELECT name, origin FROM pragma_index_list(?1) WHERE \"unique\" = 1", {e.table},
           [&](sqlite3_stmt *st) { indexes.emplace_back(text_column(st, 0), text_column(st, 1)); });
  for (const auto &[name, origin] : indexes) {
    if (origin != "c") continue;  // autoindexes of inline UNIQUE / PRIMARY KEY have no schema name
    std::vector<std::string> cols;
    each_row(db, "SELECT name FROM pragma_index_info(?1) ORDER BY seqno", {name},
             [&](sqlite3_stmt *st) { cols.push_back(text_column(st, 0)); });
    if (cols == e.columns) {
      e.constraint = name;
      return;
    }
  }
}

bool resolve_foreign_key(sqlite3 *db, sqlite3_stmt *failed, std::string_view sql, DbError &e) {
  std::string_view verb = sql;
  const bool deleting = iequal(next_word(verb), "DELETE");
  e.table = std::string(written_table(sql));
  if (e.table.empty() || deleting) return true;  // a DELETE breaks a child table's key, not its own
  std::vector<ForeignKey> keys;
  each_row(db, "SELECT id, \"from\" FROM pragma_foreign_key_list(?1) ORDER BY id, seq", {e.table},
           [&](sqlite3_stmt *st) {
             const int id = sqlite3_column_int(st, 0);
             if (keys.empty() || keys.back().id != id) keys.push_back({id, {}});
             keys.back().columns.push_back(text_column(st, 1));
           });
  const ForeignKey *found = keys.size() == 1 ? &keys.front() : nullptr;
  bool clean = true;
  if (keys.size() > 1 && exec(db, "SAVEPOINT voxline_fk_probe")) {
    // Deferred, the same write succeeds and foreign_key_check names the key it broke.
    exec(db, "PRAGMA defer_foreign_keys = ON");
    sqlite3_reset(failed);
    int rc;
    while ((rc = sqlite3_step(failed)) == SQLITE_ROW) {
    }
    sqlite3_reset(failed);
    if (rc == SQLITE_DONE) {
      int fkid = -1;
      each_row(db, "SELECT fkid FROM pragma_foreign_key_check(?1) LIMIT 1", {e.table},
               [&](sqlite3_stmt *st) { fkid = sqlite3_column_int(st, 0); });
      for (const ForeignKey &k : keys)
        if (k.id == fkid) found = &k;
    }
    clean = exec(db, "ROLLBACK TO voxline_fk_probe") && exec(db, "RELEASE voxline_fk_probe");
    exec(db, "PRAGMA defer_foreign_keys = OFF");
  }
  if (found != nullptr) {
    e.columns = found->columns;
    e.constraint = fkey_name(e.table, found->columns);
  }
  return clean;
}

}  // namespace voxline::detail
