// Row: typed access returns errors (never crashes) for missing columns, NULLs and wrong types.
#include <doctest/doctest.h>

#include <climits>

#include "voxline/storage/sql_value.hpp"

using namespace voxline;

namespace {

Row sample_row() {
  auto cols = std::make_shared<const std::vector<std::string>>(
      std::vector<std::string>{"id", "name", "email", "score", "big", "data"});
  return Row(cols, {SqlValue(42), SqlValue("Ada"), SqlValue(nullptr), SqlValue(2.5),
                    SqlValue(int64_t{1} << 40), SqlValue(SqlBlob{{1, 2, 3}})});
}

}  // namespace

TEST_CASE("row getters return the stored values for matching types") {
  Row r = sample_row();
  CHECK(r.get_int64("id").value() == 42);
  CHECK(r.get_int("id").value() == 42);
  CHECK(r.get_string("name").value() == "Ada");
  CHECK(r.get_double("score").value() == 2.5);
  CHECK(r.get_double("id").value() == 42.0);  // INTEGER widens to double
  CHECK(r.get_blob("data").value().bytes == std::vector<uint8_t>{1, 2, 3});
  CHECK_FALSE(r.get_optional_string("email").value().has_value());
  CHECK(r.get_optional_string("name").value().value() == "Ada");
  CHECK(r.get_optional_int64("id").value().value() == 42);
}

TEST_CASE("row getters refuse a missing column, a NULL and a wrong type with INVALID_ARGUMENT") {
  Row r = sample_row();
  auto missing = r.get_int64("nope");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == StatusCode::kInvalidArgument);
  CHECK(missing.status().message().find("columns: id, name") != std::string::npos);

  auto null = r.get_string("email");
  REQUIRE_FALSE(null.ok());
  CHECK(null.status().message().find("'email' is NULL") != std::string::npos);

  auto wrong = r.get_int64("name");
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.status().message().find("holds TEXT, expected INTEGER") != std::string::npos);

  CHECK_FALSE(r.get_optional_int64("name").ok());  // optional still checks the type
  CHECK_FALSE(r.get_string("data").ok());
  auto big = r.get_int("big");
  REQUIRE_FALSE(big.ok());
  CHECK(big.status().message().find("does not fit an int") != std::string::npos);
}

TEST_CASE("sql values bind optionals, bools and null pointers as the portable types") {
  CHECK(SqlValue(std::optional<int>()).is_null());
  CHECK(SqlValue(std::optional<std::string>("x")).text() == "x");
  CHECK(SqlValue(true).integer() == 1);
  CHECK(SqlValue(static_cast<const char *>(nullptr)).is_null());
  CHECK(SqlValue(static_cast<unsigned short>(7)).type() == SqlValue::Type::kInteger);
  CHECK(std::string(sql_type_name(SqlValue(1.5).type())) == "REAL");
}
