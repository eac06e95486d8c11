// Placeholder rewriting and value conversion for the PostgreSQL backend.
#include "storage/postgres/pg_sql.hpp"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace voxline::detail {

namespace {

bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t &y, unsigned &m, unsigned &d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp + (mp < 10 ? 3 : -9);
  y += m <= 2;
}

bool digits(std::string_view s, size_t pos, size_t n, int64_t &out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (std::isdigit(static_cast<unsigned char>(s[i])) == 0) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

Result<int64_t> parse_int(const char *text, int len) {
  std::string s(text, static_cast<size_t>(len));
  errno = 0;
  char *end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end == s.c_str() || *end != '\0')
    return invalid_argument("postgres: bad integer '" + s + "'");
  return static_cast<int64_t>(v);
}

}  // namespace

Result<PgStatementText> rewrite_placeholders(std::string_view sql) {
  PgStatementText out;
  out.sql.reserve(sql.size() + 8);
  size_t i = 0;
  const size_t n = sql.size();
  bool ended = false;  // a top-level ';' was seen
  bool any = false;    // a non-blank character outside comments
  while (i < n) {
    const char c = sql[i];
    if (ended) {
      if (c == ';' || std::isspace(static_cast<unsigned char>(c)) != 0) {
        ++i;
        continue;
      }
      return invalid_argument("only one SQL statement per call is allowed; text follows the first statement");
    }
    if (c == '\'' || c == '"') {
      // A literal or a quoted identifier; a doubled quote is an escaped one.
      size_t j = i + 1;
      while (j < n) {
        if (sql[j] == c) {
          if (j + 1 < n && sql[j + 1] == c) {
            j += 2;
            continue;
          }
          break;
        }
        // E'...' strings may escape the quote with a backslash.
        if (c == '\'' && sql[j] == '\\' && i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e')) ++j;
        ++j;
      }
      if (j >= n) return invalid_argument("unterminated quoted text in SQL statement");
      out.sql.append(sql.substr(i, j + 1 - i));
      i = j + 1;
      any = true;
      continue;
    }
    if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      size_t j = sql.find('\n', i);
      if (j == std::string_view::npos) j = n;
      out.sql.append(sql.substr(i, j - i));
      i = j;
      continue;
    }
    if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      int depth = 0;
      size_t j = i;
      while (j < n) {
        if (j + 1 < n && sql[j] == '/' && sql[j + 1] == '*') {
          ++depth;
          j += 2;
        } else if (j + 1 < n && sql[j] == '*' && sql[j + 1] == '/') {
          --depth;
          j += 2;
          if (depth == 0) break;
        } else {
          ++j;
        }
      }
      if (depth != 0) return invalid_argument("unterminated comment in SQL statement");
      out.sql.append(sql.substr(i, j - i));
      i = j;
      continue;
    }
    if (c == '$' && (i == 0 || !ident_char(sql[i - 1]))) {
      // $tag$ ... $tag$ (the tag is empty or an identifier that does not start with a digit).
      size_t j = i + 1;
      while (j < n && ident_char(sql[j]) &&
             !(j == i + 1 && std::isdigit(static_cast<unsigned char>(sql[j])) != 0))
        ++j;
      if (j < n && sql[j] == '$') {
        const std::string_view tag = sql.substr(i, j + 1 - i);
        const size_t close = sql.find(tag, j + 1);
        if (close == std::string_view::npos)
          return invalid_argument("unterminated dollar-quoted text in SQL");
        out.sql.append(sql.substr(i, close + tag.size() - i));
        i = close + tag.size();
        any = true;
        continue;
      }
    }
    if (c == '?') {
      out.sql += fmt::format("${}", ++out.placeholders);
      ++i;
      any = true;
      continue;
    }
    if (c == ';') {
      ended = true;
      ++i;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c)) == 0) any = true;
    out.sql += c;
    ++i;
  }
  if (!any) return invalid_argument("empty SQL statement");
  return out;
}

Result<PgParams> encode_params(const SqlParams &params, const std::vector<Oid> &types) {
  PgParams p;
  const size_t n = params.size();
  p.storage.resize(n);
  p.values.assign(n, nullptr);
  p.lengths.assign(n, 0);
  p.formats.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const SqlValue &v = params[i];
    const Oid type = i < types.size() ? types[i] : 0;
    switch (v.type()) {
      case SqlValue::Type::kNull: break;
      case SqlValue::Type::kInteger:
        if (type == pg_oid::kTimestamptz || type == pg_oid::kTimestamp) {
          p.storage[i] = format_timestamptz_ms(v.integer());
          if (type == pg_oid::kTimestamp) p.storage[i].resize(p.storage[i].size() - 3);  // no offset
        } else if (type == pg_oid::kBool) {
          p.storage[i] = v.integer() != 0 ? "t" : "f";
        } else {
          p.storage[i] = std::to_string(v.integer());
        }
        break;
      case SqlValue::Type::kReal:
        if (!std::isfinite(v.real())) {
          p.storage[i] = std::isnan(v.real()) ? "NaN" : (v.real() > 0 ? "Infinity" : "-Infinity");
        } else {
          p.storage[i] = fmt::format("{}", v.real());  // shortest text that reads back exactly
        }
        break;
      case SqlValue::Type::kText:
        if (v.text().find('\0') != std::string::npos)
          return invalid_argument(fmt::format("parameter {}: PostgreSQL text cannot hold a NUL byte", i + 1));
        p.values[i] = v.text().c_str();
        continue;
      case SqlValue::Type::kBlob: {
        static const char kEmpty = 0;
        const auto &b = v.blob().bytes;
        p.values[i] = b.empty() ? &kEmpty : reinterpret_cast<const char *>(b.data());
        p.lengths[i] = static_cast<int>(b.size());
        p.formats[i] = 1;  // binary: bytes as they are
        continue;
      }
    }
    if (!v.is_null()) p.values[i] = p.storage[i].c_str();
  }
  return p;
}

Result<SqlValue> decode_field(Oid type, const char *text, int len) {
  switch (type) {
    case pg_oid::kInt2:
    case pg_oid::kInt4:
    case pg_oid::kInt8:
    case pg_oid::kOid: {
      VOXLINE_ASSIGN_OR_RETURN(int64_t v, parse_int(text, len));
      return SqlValue(v);
    }
    case pg_oid::kFloat4:
    case pg_oid::kFloat8: {
      std::string s(text, static_cast<size_t>(len));
      char *end = nullptr;
      const double d = std::strtod(s.c_str(), &end);
      if (end == s.c_str()) return invalid_argument("postgres: bad float '" + s + "'");
      return SqlValue(d);
    }
    case pg_oid::kNumeric: {
      std::string s(text, static_cast<size_t>(len));
      if (s.find_first_not_of("-0123456789") == std::string::npos) {
        Result<int64_t> v = parse_int(text, len);
        if (v.ok()) return SqlValue(*v);
      }
      return SqlValue(std::strtod(s.c_str(), nullptr));
    }
    case pg_oid::kBool: return SqlValue(int64_t{len > 0 && text[0] == 't' ? 1 : 0});
    case pg_oid::kBytea: {
      size_t out_len = 0;
      unsigned char *bytes = PQunescapeBytea(reinterpret_cast<const unsigned char *>(text), &out_len);
      if (bytes == nullptr) return internal_error("postgres: could not decode a bytea value");
      SqlBlob b;
      b.bytes.assign(bytes, bytes + out_len);
      PQfreemem(bytes);
      return SqlValue(std::move(b));
    }
    case pg_oid::kTimestamptz:
    case pg_oid::kTimestamp: {
      VOXLINE_ASSIGN_OR_RETURN(int64_t ms,
                               parse_timestamptz_ms(std::string_view(text, static_cast<size_t>(len))));
      return SqlValue(ms);
    }
    default: return SqlValue(std::string(text, static_cast<size_t>(len)));
  }
}

Result<int64_t> parse_timestamptz_ms(std::string_view s) {
  // YYYY-MM-DD HH:MM:SS[.f{1,6}][(+|-)HH[:MM[:SS]]]  (DateStyle ISO; years 1..9999, AD)
  int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  auto bad = [&] { return invalid_argument(fmt::format("postgres: unsupported timestamp '{}'", s)); };
  if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || s[10] != ' ' || !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) ||
      s[16] != ':' || !digits(s, 17, 2, se))
    return bad();
  size_t pos = 19;
  int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int n = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos])) != 0) {
      if (n < 6) {
        micros = micros * 10 + (s[pos] - '0');
        ++n;
      }
      ++pos;
    }
    if (n == 0) return bad();
    for (; n < 6; ++n) micros *= 10;
  }
  int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int sign = s[pos] == '-' ? -1 : 1;
    int64_t oh = 0, om = 0, os = 0;
    if (!digits(s, pos + 1, 2, oh)) return bad();
    pos += 3;
    if (pos < s.size() && s[pos] == ':') {
      if (!digits(s, pos + 1, 2, om)) return bad();
      pos += 3;
      if (pos < s.size() && s[pos] == ':') {
        if (!digits(s, pos + 1, 2, os)) return bad();
        pos += 3;
      }
    }
    offset_s = sign * (oh * 3600 + om * 60 + os);
  }
  if (pos != s.size() || mo < 1 || mo > 12 || d < 1 || d > 31) return bad();
  const int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  const int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset_s;
  // floor(micros / 1000) is exact: micros is in [0, 1e6).
  return secs * 1000 + micros / 1000;
}

std::string format_timestamptz_ms(int64_t ms) {
  int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86400000 - 1) / 86400000);
  int64_t rem = ms - days * 86400000;
  int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}+00", y, m, d, rem / 3600000, rem / 60000 % 60,
                     rem / 1000 % 60, rem % 1000);
}

}  // namespace voxline::detail
