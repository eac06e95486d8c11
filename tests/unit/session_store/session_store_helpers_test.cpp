// Shared SessionStore helpers: identifier rules, document normalisation and RFC 7386 merge patch.
#include <string>

#include <doctest/doctest.h>

#include "storage/session_store/session_store_checks.hpp"
#include "voxline/storage/session_store.hpp"

namespace voxline {
namespace {

std::string merged(const std::string &doc, const std::string &patch) {
  auto r = detail::apply_merge_patch(doc, patch);
  REQUIRE_MESSAGE(r.ok(), r.status().to_string());
  return *r;
}

TEST_CASE("merge patch follows the RFC 7386 examples for objects") {
  CHECK(merged(R"({"a":"b"})", R"({"a":"c"})") == R"({"a":"c"})");
  CHECK(merged(R"({"a":"b"})", R"({"b":"c"})") == R"({"a":"b","b":"c"})");
  CHECK(merged(R"({"a":"b"})", R"({"a":null})") == R"({})");
  CHECK(merged(R"({"a":"b","b":"c"})", R"({"a":null})") == R"({"b":"c"})");
  CHECK(merged(R"({"a":["b"]})", R"({"a":"c"})") == R"({"a":"c"})");
  CHECK(merged(R"({"a":"c"})", R"({"a":["b"]})") == R"({"a":["b"]})");
  CHECK(merged(R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})") == R"({"a":{"b":"d"}})");
  CHECK(merged(R"({"a":[{"b":"c"}]})", R"({"a":[1]})") == R"({"a":[1]})");
  CHECK(merged(R"({"e":null})", R"({"a":1})") == R"({"e":null,"a":1})");
  CHECK(merged(R"({"a":"foo"})", R"({"a":{"bb":{"ccc":null}}})") == R"({"a":{"bb":{}}})");
  CHECK(merged(R"({})", R"({"a":{"bb":{"ccc":null}}})") == R"({"a":{"bb":{}}})");
}

TEST_CASE("merge patch keeps member order when deleting") {
  CHECK(merged(R"({"a":1,"b":2,"c":3})", R"({"a":null})") == R"({"b":2,"c":3})");
}

TEST_CASE("merge patch refuses a non-object patch and malformed input") {
  CHECK(detail::apply_merge_patch("{}", "[1]").status().code() == StatusCode::kInvalidArgument);
  CHECK(detail::apply_merge_patch("{}", "null").status().code() == StatusCode::kInvalidArgument);
  CHECK(detail::apply_merge_patch("{}", "{\"a\"").status().code() == StatusCode::kInvalidArgument);
  CHECK(detail::apply_merge_patch("{", "{}").status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("store ids accept printable ASCII and refuse empty, long, spaces, controls and braces") {
  CHECK(detail::validate_store_id("CA1234567890abcdef", "call id").ok());
  CHECK(detail::validate_store_id("bay-2/2026-11-25T09:00Z", "slot id").ok());
  CHECK(detail::validate_store_id("+15550100", "caller id").ok());
  CHECK(detail::validate_store_id(std::string(256, 'x'), "id").ok());
  CHECK(detail::validate_store_id(std::string(257, 'x'), "id").code() == StatusCode::kInvalidArgument);
  CHECK(detail::validate_store_id("", "id").code() == StatusCode::kInvalidArgument);
  CHECK(detail::validate_store_id("a b", "id").code() == StatusCode::kInvalidArgument);
  CHECK(detail::validate_store_id("a\nb", "id").code() == StatusCode::kInvalidArgument);
  CHECK(detail::validate_store_id("a{b", "id").code() == StatusCode::kInvalidArgument);
  CHECK(detail::validate_store_id("a}b", "id").code() == StatusCode::kInvalidArgument);
  CHECK(detail::validate_store_id("caf\xc3\xa9", "id").code() == StatusCode::kInvalidArgument);
  auto s = detail::validate_store_id("a{b", "slot id");
  CHECK(s.message().find("slot id") != std::string::npos);
}

TEST_CASE("documents are compacted JSON objects within the size limit") {
  auto r = detail::normalize_document(" { \"a\" : [ 1 , 2 ] } ");
  REQUIRE(r.ok());
  CHECK(*r == R"({"a":[1,2]})");
  CHECK(detail::normalize_document("\"text\"").status().code() == StatusCode::kInvalidArgument);
  CHECK(detail::normalize_document("{\"a\":\"\xff\"}").status().code() == StatusCode::kInvalidArgument);
  std::string deep(100, '[');
  CHECK(detail::normalize_document("{\"a\":" + deep + std::string(100, ']') + "}").status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("ttls must be positive and at most 30 days") {
  CHECK(detail::validate_ttl(Millis(1), "ttl").ok());
  CHECK(detail::validate_ttl(SessionStore::kMaxTtl, "ttl").ok());
  CHECK(detail::validate_ttl(Millis(0), "ttl").code() == StatusCode::kInvalidArgument);
  CHECK(detail::validate_ttl(SessionStore::kMaxTtl + Millis(1), "ttl").code() ==
        StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace voxline
