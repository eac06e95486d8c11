// A Status carries a structured detail through copies, context and Result, typed by the reader.
#include <memory>
#include <string>

#include <doctest/doctest.h>

#include "voxline/core/result.hpp"
#include "voxline/core/status.hpp"

namespace voxline {
namespace {

struct Named final : StatusDetail {
  explicit Named(std::string n) : name(std::move(n)) {}
  std::string describe() const override { return "named " + name; }
  std::string name;
};
struct Other final : StatusDetail {
  std::string describe() const override { return "other"; }
};

Result<int> fails() {
  return conflict("row refused").with_detail(std::make_shared<Named>("customers_phone_unique"));
}

TEST_CASE("a detail survives copies, with_context and a trip through Result") {
  Result<int> r = fails();
  REQUIRE_FALSE(r.ok());
  const Status s = r.status().with_context("create customer");
  CHECK(s.message() == "create customer: row refused");
  const Named *n = s.detail_as<Named>();
  REQUIRE(n != nullptr);
  CHECK(n->name == "customers_phone_unique");
  CHECK(s.detail()->describe() == "named customers_phone_unique");
  Status copy = s;
  CHECK(copy.detail_as<Named>() == n);  // shared, immutable
}

TEST_CASE("a detail is read only as its own type, and OK or plain statuses carry none") {
  const Status s = fails().status();
  CHECK(s.detail_as<Other>() == nullptr);
  CHECK(conflict("plain").detail().get() == nullptr);
  CHECK(conflict("plain").detail_as<Named>() == nullptr);
  const Status ok = Status::Ok().with_detail(std::make_shared<Named>("x"));
  CHECK(ok.ok());
  CHECK(ok.detail().get() == nullptr);
}

TEST_CASE("statuses compare by code and message, not by detail") {
  CHECK(fails().status() == conflict("row refused"));
}

}  // namespace
}  // namespace voxline
