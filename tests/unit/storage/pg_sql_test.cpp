// The PostgreSQL backend's pure parts, without a server: `?` -> $n rewriting, timestamptz text
// <-> Unix milliseconds, SQLSTATE -> status code and DbError, URL checks and redaction.
#include <doctest/doctest.h>

#include "storage/postgres/pg_errors.hpp"
#include "storage/postgres/pg_sql.hpp"
#include "voxline/storage/postgres_database.hpp"

using namespace voxline;
using namespace voxline::detail;

TEST_CASE(
    "pg: question-mark placeholders become $1..$n outside literals, identifiers, dollar quotes and "
    "comments") {
  auto r = rewrite_placeholders(
      "SELECT ?, '?''?', \"a?\", $$ ? $$, $f$ ? $f$ -- ?\n, /* ? /* ? */ */ ? FROM t WHERE x = ?;");
  REQUIRE_MESSAGE(r.ok(), r.status().to_string());
  CHECK(r->placeholders == 3);
  CHECK(r->sql ==
        "SELECT $1, '?''?', \"a?\", $$ ? $$, $f$ ? $f$ -- ?\n, /* ? /* ? */ */ $2 FROM t WHERE x = $3");
  CHECK(rewrite_placeholders("SELECT $1")->placeholders == 0);  // PostgreSQL's own form is left alone
  CHECK(rewrite_placeholders("SELECT E'\\'?' , ?")->placeholders == 1);
}

TEST_CASE("pg: a second statement, an empty text and unterminated quotes are refused before the server") {
  auto two = rewrite_placeholders("INSERT INTO t VALUES (1); DROP TABLE t");
  CHECK(two.status().code() == StatusCode::kInvalidArgument);
  CHECK(two.status().message().find("one SQL statement") != std::string::npos);
  CHECK(rewrite_placeholders("SELECT 1;  ;\n").ok());
  CHECK(rewrite_placeholders("  -- only a comment\n").status().code() == StatusCode::kInvalidArgument);
  CHECK(rewrite_placeholders("SELECT 'open").status().code() == StatusCode::kInvalidArgument);
  CHECK(rewrite_placeholders("SELECT $x$ open").status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("pg: timestamptz text parses to Unix milliseconds with any offset and formats back in UTC") {
  CHECK(parse_timestamptz_ms("1970-01-01 00:00:00+00").value() == 0);
  CHECK(parse_timestamptz_ms("2030-01-07 08:00:00.123+00").value() == 1893974400123 + 8 * 3600000);
  CHECK(parse_timestamptz_ms("2030-01-07 10:00:00+02").value() == 1893974400000 + 8 * 3600000);
  CHECK(parse_timestamptz_ms("2030-01-07 02:30:00-05:30").value() == 1893974400000 + 8 * 3600000);
  CHECK(parse_timestamptz_ms("1969-12-31 23:59:59.999+00").value() == -1);
  CHECK(parse_timestamptz_ms("1969-12-31 23:59:59.9995+00").value() == -1);  // floor, not round
  CHECK(parse_timestamptz_ms("2030-01-07 08:00:00.5").value() == 1893974400000 + 8 * 3600000 + 500);
  CHECK_FALSE(parse_timestamptz_ms("infinity").ok());
  CHECK_FALSE(parse_timestamptz_ms("2030-01-07T08:00:00Z").ok());
  CHECK_FALSE(parse_timestamptz_ms("0044-03-15 12:00:00+00 BC").ok());
  for (int64_t ms :
       {int64_t{0}, int64_t{-1}, int64_t{1893974400123}, int64_t{-86400001}, int64_t{951782400000}}) {
    CHECK(parse_timestamptz_ms(format_timestamptz_ms(ms)).value() == ms);
  }
  CHECK(format_timestamptz_ms(-1) == "1969-12-31 23:59:59.999+00");
  CHECK(format_timestamptz_ms(951782400000) == "2000-02-29 00:00:00.000+00");
}

TEST_CASE("pg: integers for timestamptz and boolean parameters, blobs in binary, the rest as text") {
  const SqlParams params = {int64_t{0}, int64_t{1}, int64_t{7}, 0.25, "x", SqlBlob{{0, 1}}, nullptr};
  auto p = encode_params(params, {pg_oid::kTimestamptz, pg_oid::kBool, pg_oid::kInt8, pg_oid::kFloat8,
                                  pg_oid::kText, pg_oid::kBytea, pg_oid::kInt4});
  REQUIRE(p.ok());
  CHECK(std::string(p->values[0]) == "1970-01-01 00:00:00.000+00");
  CHECK(std::string(p->values[1]) == "t");
  CHECK(std::string(p->values[2]) == "7");
  CHECK(std::string(p->values[3]) == "0.25");
  CHECK(std::string(p->values[4]) == "x");
  CHECK(p->formats[5] == 1);
  CHECK(p->lengths[5] == 2);
  CHECK(p->values[6] == nullptr);
  CHECK(encode_params({std::string("a\0b", 3)}, {0}).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("pg: SQLSTATE classes map to the canonical codes") {
  CHECK(pg_status_code("23505") == StatusCode::kConflict);
  CHECK(pg_status_code("23P01") == StatusCode::kConflict);
  CHECK(pg_status_code("23514") == StatusCode::kInvalidArgument);
  CHECK(pg_status_code("23503") == StatusCode::kInvalidArgument);
  CHECK(pg_status_code("42P01") == StatusCode::kInvalidArgument);
  CHECK(pg_status_code("22003") == StatusCode::kInvalidArgument);
  CHECK(pg_status_code("57014") == StatusCode::kTimeout);
  CHECK(pg_status_code("55P03") == StatusCode::kTimeout);
  CHECK(pg_status_code("08006") == StatusCode::kUnavailable);
  CHECK(pg_status_code("57P01") == StatusCode::kUnavailable);
  CHECK(pg_status_code("53300") == StatusCode::kUnavailable);
  CHECK(pg_status_code("28P01") == StatusCode::kUnauthenticated);
  CHECK(pg_status_code("40001") == StatusCode::kConflict);
  CHECK(pg_status_code("25P02") == StatusCode::kFailedPrecondition);
  CHECK(pg_status_code("3D000") == StatusCode::kNotFound);
  CHECK(pg_status_code("0A000") == StatusCode::kUnsupported);
  CHECK(pg_status_code("XX000") == StatusCode::kInternal);
  CHECK(pg_status_code("bad") == StatusCode::kInternal);
}

TEST_CASE("pg: violations become a DbError naming the constraint, NOT NULL as table.column") {
  DbError u = pg_db_error("23505", "customers_phone_unique", "customers", nullptr, "duplicate key");
  CHECK(u.kind == ConstraintKind::kUnique);
  CHECK(u.constraint == "customers_phone_unique");
  CHECK(pg_db_error("23505", "customers_pkey", "customers", nullptr, "").kind == ConstraintKind::kPrimaryKey);
  DbError nn = pg_db_error("23502", nullptr, "customers", "name", "null value");
  CHECK(nn.kind == ConstraintKind::kNotNull);
  CHECK(nn.constraint == "customers.name");
  CHECK(nn.columns == std::vector<std::string>{"name"});
  CHECK(pg_db_error("23P01", "appointments_no_overlap", "appointments", nullptr, "").kind ==
        ConstraintKind::kExclusion);
  DbError trig = pg_db_error("P0001", nullptr, nullptr, nullptr,
                             "appointments_vehicle_owner: vehicle belongs to another");
  CHECK(trig.kind == ConstraintKind::kTrigger);
  CHECK(trig.constraint == "appointments_vehicle_owner");
  CHECK(pg_db_error("P0001", nullptr, nullptr, nullptr, "no code here").kind == ConstraintKind::kNone);
  CHECK(pg_db_error("42P01", nullptr, nullptr, nullptr, "").kind == ConstraintKind::kNone);
}

TEST_CASE("pg: postgresql:// URLs are recognised and their passwords redacted") {
  CHECK(is_postgres_url("postgresql://h/db"));
  CHECK(is_postgres_url("postgres://h/db"));
  CHECK_FALSE(is_postgres_url("sqlite:///x.db"));
  CHECK(redact_postgres_url("postgresql://u:s3cret@h:5432/db?sslmode=require") ==
        "postgresql://u:***@h:5432/db?sslmode=require");
  CHECK(redact_postgres_url("postgresql://u@h/db") == "postgresql://u@h/db");
  CHECK(redact_postgres_url("postgresql://h/db?user=u&password=s3cret&sslmode=disable") ==
        "postgresql://h/db?user=u&password=***&sslmode=disable");
  CHECK(redact_postgres_url("postgresql://u:p@ss@h/db") == "postgresql://u:***@h/db");
}
