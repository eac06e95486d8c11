// Statement text and value conversion for the PostgreSQL backend (internal): the portable `?`
// placeholders become $1..$n, and SqlValues become libpq parameters / come back from text results.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <libpq-fe.h>

#include "voxline/core/result.hpp"
#include "voxline/storage/sql_value.hpp"

namespace voxline::detail {

struct PgStatementText {
  std::string sql;  // with $1..$n
  int placeholders = 0;
};

// Rewrites each `?` outside string literals, quoted identifiers, dollar-quoted bodies and
// comments to $1..$n. INVALID_ARGUMENT when text other than ';' and whitespace follows a
// top-level ';' (one statement per call) or the text is empty.
Result<PgStatementText> rewrite_placeholders(std::string_view sql);

// Type OIDs the codec knows (pg_type.h is not a public libpq header).
namespace pg_oid {
inline constexpr Oid kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23, kText = 25, kOid = 26,
                     kFloat4 = 700, kFloat8 = 701, kVarchar = 1043, kTimestamp = 1114, kTimestamptz = 1184,
                     kNumeric = 1700;
}  // namespace pg_oid

// One statement's parameters, encoded for PQsendQueryPrepared. The pointers in values refer to
// storage (and to the SqlParams' own blobs); both must outlive the call.
struct PgParams {
  std::vector<std::string> storage;
  std::vector<const char *> values;
  std::vector<int> lengths;
  std::vector<int> formats;
};

// Encodes `params` for a statement whose parameters the server typed as `types`: an INTEGER for a
// timestamptz / timestamp parameter is Unix milliseconds (sent as that instant), an INTEGER for
// boolean is 0/1, a BLOB is sent in binary, the rest as text.
Result<PgParams> encode_params(const SqlParams &params, const std::vector<Oid> &types);

// The SqlValue of one text-format result field of type `type` (`len` bytes at `text`).
Result<SqlValue> decode_field(Oid type, const char *text, int len);

// "2030-01-07 08:00:00.123+00" (any offset, up to microseconds) -> Unix milliseconds (floor).
Result<int64_t> parse_timestamptz_ms(std::string_view text);
// Unix milliseconds -> "2030-01-07 08:00:00.123+00".
std::string format_timestamptz_ms(int64_t ms);

}  // namespace voxline::detail
