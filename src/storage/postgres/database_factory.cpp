// make_database: the URL's scheme picks the backend. It lives in voxline_storage_postgres
// because that is the target that sees both backends (voxline_storage has no libpq).
#include "voxline/storage/database_factory.hpp"

#include <fmt/format.h>

#include "voxline/core/strings.hpp"
#include "voxline/storage/postgres_database.hpp"
#include "voxline/storage/sqlite_database.hpp"

namespace voxline {
namespace {

constexpr std::string_view kSqliteScheme = "sqlite:";
constexpr std::string_view kPostgresSchemes[] = {"postgresql://", "postgres://"};

// The text before the first ':' (or "" when there is none): all a message may echo of a URL.
std::string_view scheme_of(std::string_view url) {
  const size_t colon = url.find(':');
  return colon == std::string_view::npos ? std::string_view() : url.substr(0, colon);
}

Result<DatabaseUrl> parse_sqlite(std::string_view url) {
  std::string_view path = url.substr(kSqliteScheme.size());
  if (path.substr(0, 2) == "//") path.remove_prefix(2);
  if (path == ":memory:")
    return invalid_argument(
        "database URL sqlite::memory: is not supported: each pooled connection would see its own empty "
        "database; use sqlite:///path/to/file.db");
  if (path.empty())
    return invalid_argument("database URL 'sqlite:' names no file (sqlite:///path/to/file.db)");
  if (path.find('?') != std::string_view::npos)
    return invalid_argument(
        "database URL sqlite:... may not carry a query ('?'): SQLite URLs take no options");
  DatabaseUrl out;
  out.dialect = Dialect::kSqlite;
  out.sqlite_path = std::string(path);
  return out;
}

}  // namespace

Result<DatabaseUrl> parse_database_url(std::string_view url) {
  if (istarts_with(url, kSqliteScheme)) return parse_sqlite(url);
  for (std::string_view scheme : kPostgresSchemes) {
    if (!istarts_with(url, scheme)) continue;
    DatabaseUrl out;
    out.dialect = Dialect::kPostgres;
    // libpq matches its URI prefixes case-sensitively.
    out.postgres_url = to_lower_ascii(url.substr(0, scheme.size())) + std::string(url.substr(scheme.size()));
    return out;
  }
  const std::string_view scheme = scheme_of(url);
  if (iequals(scheme, "postgresql") || iequals(scheme, "postgres"))
    return invalid_argument(
        fmt::format("database URL scheme '{}' must be followed by // (postgresql://host/db)", scheme));
  if (scheme.empty())
    return invalid_argument(
        "database URL has no scheme: write sqlite:///path/to/file.db or postgresql://host/db");
  return invalid_argument(fmt::format(
      "database URL scheme '{}' is not supported: use sqlite:///path/to/file.db or postgresql://host/db",
      scheme));
}

Result<std::unique_ptr<Database>> make_database(std::string_view url, const DatabaseOptions &options) {
  VOXLINE_ASSIGN_OR_RETURN(DatabaseUrl parsed, parse_database_url(url));
  switch (parsed.dialect) {
    case Dialect::kSqlite: {
      SqliteOptions o;
      o.path = std::move(parsed.sqlite_path);
      o.database = options;
      return open_sqlite_database(o);
    }
    case Dialect::kPostgres: {
      PostgresOptions o;
      o.url = std::move(parsed.postgres_url);
      o.database = options;
      return open_postgres_database(o);
    }
  }
  return internal_error("database URL parsed to an unknown dialect");
}

std::string database_url(const Config &config) {
  if (!config.database_url.empty()) return config.database_url;
  return "sqlite://" + config.sqlite_path;
}

}  // namespace voxline
