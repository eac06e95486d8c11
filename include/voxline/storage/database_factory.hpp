// File: database_factory.hpp
// make_database: opens the Database a URL names, so hosts (and Config's "database": {"url"}) pick
// the backend by URL, as make_session_store does for the session store:
//   "sqlite:///var/lib/shop/voxline.db"   SQLite file at an absolute path
//   "sqlite://voxline.db", "sqlite:voxline.db"   SQLite file at a path relative to the working directory
//   "postgresql://[user[:password]@][host][:port][/db][?k=v&...]"  PostgreSQL (also "postgres://")
// The scheme is case-insensitive. A SQLite path is taken literally (no %-decoding) and may not
// carry a query ('?'); "sqlite::memory:" is refused, because a pooled in-memory SQLite database
// would be a different empty database per connection.
//
//   VOXLINE_ASSIGN_OR_RETURN(std::unique_ptr<Database> db, make_database(database_url(cfg)));
//   VOXLINE_ASSIGN_OR_RETURN(std::vector<Migration> m, service_desk_migrations(db->dialect()));
//   VOXLINE_RETURN_IF_ERROR(db->migrate(m));
//
// Ownership: the caller owns the Database; options.metrics must outlive it.
// Thread-safety: pure functions; the Database returned is thread-safe (database.hpp).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "voxline/core/config.hpp"
#include "voxline/storage/database.hpp"

namespace voxline {

// What a database URL names.
struct DatabaseUrl {
  Dialect dialect = Dialect::kSqlite;
  std::string sqlite_path;   // kSqlite: the file path
  std::string postgres_url;  // kPostgres: the URL for libpq, its scheme in lower case
};

// Parses `url` without touching the store. INVALID_ARGUMENT for an unknown or missing scheme
// (the message names the scheme, never the rest of the URL, which may hold a password), a
// SQLite URL without a path or with a query, and "sqlite::memory:".
VOXLINE_API Result<DatabaseUrl> parse_database_url(std::string_view url);

// Opens the store `url` names with `options` (every backend-specific option at its default).
// Errors: those of parse_database_url, then those of open_sqlite_database or
// open_postgres_database (UNAVAILABLE, NOT_FOUND, UNAUTHENTICATED for a server that refuses).
// Never throws.
VOXLINE_API Result<std::unique_ptr<Database>> make_database(std::string_view url,
                                                            const DatabaseOptions &options = {});

// The store a Config names: database.url when set, otherwise "sqlite://" + storage.sqlite_path.
VOXLINE_API std::string database_url(const Config &config);

}  // namespace voxline
