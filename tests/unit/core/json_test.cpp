#include <doctest/doctest.h>

#include <string>

#include "voxline/core/json.hpp"

namespace json = voxline::json;
using voxline::StatusCode;

TEST_CASE("typed getters return values of the right type") {
  auto doc = json::parse(R"({"s":"hi","i":-42,"u":18446744073709551615,"d":2.5,"b":true,"o":{},"a":[1]})");
  REQUIRE(doc.ok());
  CHECK(*json::get_string(*doc, "s") == "hi");
  CHECK(*json::get_int64(*doc, "i") == -42);
  CHECK(*json::get_int(*doc, "i") == -42);
  CHECK(*json::get_uint64(*doc, "u") == 18446744073709551615ull);
  CHECK(*json::get_double(*doc, "d") == 2.5);
  CHECK(*json::get_double(*doc, "i") == -42.0);  // integers are numbers too
  CHECK(*json::get_bool(*doc, "b") == true);
  CHECK((*json::get_object(*doc, "o"))->IsObject());
  CHECK((*json::get_array(*doc, "a"))->Size() == 1);
}

TEST_CASE("a missing field is an error that names the field") {
  auto doc = json::parse(R"({"present":1})");
  REQUIRE(doc.ok());
  auto r = json::get_string(*doc, "absent");
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK(r.status().message().find("'absent'") != std::string::npos);
  CHECK(r.status().message().find("missing") != std::string::npos);
}

TEST_CASE("a mistyped field is an error that names the field and both types") {
  auto doc = json::parse(R"({"n":"12","s":12,"b":"true","o":[],"a":{},"big":3000000000,"neg":-1,"f":1.5})");
  REQUIRE(doc.ok());
  auto r = json::get_int64(*doc, "n");
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK(r.status().message().find("'n'") != std::string::npos);
  CHECK(r.status().message().find("string") != std::string::npos);
  CHECK_FALSE(json::get_string(*doc, "s").ok());
  CHECK_FALSE(json::get_bool(*doc, "b").ok());
  CHECK_FALSE(json::get_object(*doc, "o").ok());
  CHECK_FALSE(json::get_array(*doc, "a").ok());
  CHECK_FALSE(json::get_int(*doc, "big").ok());  // does not fit int32
  CHECK(*json::get_int64(*doc, "big") == 3000000000);
  CHECK_FALSE(json::get_uint64(*doc, "neg").ok());  // negative is not unsigned
  CHECK_FALSE(json::get_int64(*doc, "f").ok());     // 1.5 is not an integer
}

TEST_CASE("getters on a non-object report it instead of asserting") {
  for (const char *text : {"[]", "null", "3", "\"x\"", "true"}) {
    auto doc = json::parse(text);
    REQUIRE(doc.ok());
    CHECK(json::get_string(*doc, "k").status().code() == StatusCode::kInvalidArgument);
    CHECK(json::get_optional_string(*doc, "k").status().code() == StatusCode::kInvalidArgument);
    CHECK(json::find(*doc, "k") == nullptr);
  }
}

TEST_CASE("optional getters treat absent and null alike but still reject a wrong type") {
  auto doc = json::parse(R"({"nul":null,"s":"x","n":5})");
  REQUIRE(doc.ok());
  CHECK_FALSE(json::get_optional_string(*doc, "missing")->has_value());
  CHECK_FALSE(json::get_optional_string(*doc, "nul")->has_value());
  CHECK(**json::get_optional_string(*doc, "s") == "x");
  CHECK(json::get_optional_bool(*doc, "n").status().code() == StatusCode::kInvalidArgument);
  CHECK(*json::get_optional_object(*doc, "missing") == nullptr);
  CHECK_FALSE(json::get_optional_array(*doc, "s").ok());
  CHECK(**json::get_optional_int64(*doc, "n") == 5);
  CHECK(**json::get_optional_double(*doc, "n") == 5.0);
}

TEST_CASE("malformed JSON is rejected with the byte offset") {
  for (const char *text : {"", "{", "{\"a\":}", "[1,2", "{\"a\":1,}", "nul", "{'a':1}", "[1] x", "\"\\u12\"",
                           "{\"a\":1}{\"b\":2}", "NaN", "01"}) {
    auto r = json::parse(text);
    CHECK_MESSAGE(!r.ok(), text);
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK(r.status().message().find("offset") != std::string::npos);
  }
}

TEST_CASE("invalid UTF-8 inside a string is rejected") {
  const std::string bad = std::string("{\"a\":\"") + "\xff\xfe" + "\"}";
  CHECK_FALSE(json::parse(bad).ok());
  const std::string overlong = std::string("[\"") + "\xc0\xaf" + "\"]";
  CHECK_FALSE(json::parse(overlong).ok());
}

TEST_CASE("deep nesting is refused before parsing instead of exhausting the stack") {
  const std::string deep(200000, '[');
  auto r = json::parse(deep);
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK(r.status().message().find("nested deeper") != std::string::npos);
  // Brackets inside strings do not count.
  auto ok = json::parse("{\"s\":\"" + std::string(1000, '[') + "\"}");
  CHECK(ok.ok());
  // Exactly at the limit parses.
  json::ParseLimits limits;
  limits.max_depth = 4;
  CHECK(json::parse("[[[[1]]]]", limits).ok());
  CHECK_FALSE(json::parse("[[[[[1]]]]]", limits).ok());
}

TEST_CASE("oversize input is refused by the size limit") {
  json::ParseLimits limits;
  limits.max_bytes = 10;
  auto r = json::parse("[1,2,3,4,5,6]", limits);
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK(r.status().message().find("limit") != std::string::npos);
}

TEST_CASE("embedded NUL bytes and escapes survive a round trip") {
  auto doc = json::parse(std::string("{\"a\":\"x\\u0000y\\n\\\"\"}"));
  REQUIRE(doc.ok());
  auto s = json::get_string(*doc, "a");
  REQUIRE(s.ok());
  CHECK(*s == std::string_view("x\0y\n\"", 5));
  CHECK(json::quote(*s) == "\"x\\u0000y\\n\\\"\"");
}

TEST_CASE("duplicate keys resolve to the first occurrence") {
  auto doc = json::parse(R"({"k":1,"k":"two"})");
  REQUIRE(doc.ok());
  CHECK(*json::get_int(*doc, "k") == 1);
}

TEST_CASE("to_string serialises compactly") {
  auto doc = json::parse("{ \"a\" : [ 1 , true , null ] }");
  REQUIRE(doc.ok());
  CHECK(json::to_string(*doc) == R"({"a":[1,true,null]})");
}

TEST_CASE("randomly mutated documents never crash the parser or getters") {
  const std::string seeds[] = {
      R"({"a":"x","b":[1,2,{"c":null}],"d":-1.5e3})",
      R"([true,false,null,"\u00e9\n",{"a":{"a":{"a":[]}}}])",
      R"({"type":"Results","channel":{"alternatives":[{"transcript":"hi","confidence":0.9}]},"is_final":true})",
  };
  uint32_t state = 12345;
  auto next = [&state] { return state = state * 1103515245u + 12345u, (state >> 8); };
  const char alphabet[] = "{}[]\":,0123456789.eE+-tfnul\\ \x80\xff\x00";
  int parsed = 0, refused = 0;
  for (int round = 0; round < 5000; ++round) {
    std::string text = seeds[next() % 3];
    const int mutations = static_cast<int>(next() % 4);  // 0 keeps the seed valid
    for (int m = 0; m < mutations && !text.empty(); ++m) {
      const size_t pos = next() % text.size();
      const char c = alphabet[next() % (sizeof(alphabet) - 1)];
      switch (next() % 3) {
        case 0: text[pos] = c; break;
        case 1: text.insert(text.begin() + static_cast<std::ptrdiff_t>(pos), c); break;
        default: text.erase(pos, 1 + next() % 4); break;
      }
    }
    auto doc = json::parse(text);
    if (doc.ok()) {
      ++parsed;
      (void)json::get_string(*doc, "a");
      (void)json::get_optional_array(*doc, "b");
      CHECK(json::parse(json::to_string(*doc)).ok());  // what we print we can read back
    } else {
      ++refused;
      CHECK(doc.status().code() == StatusCode::kInvalidArgument);
    }
  }
  // Both paths were exercised (the sanitizer builds turn any memory error into a failure).
  CHECK(parsed > 100);
  CHECK(refused > 100);
}

TEST_CASE("ReusableParser parses document after document into its buffers with parse()'s checks") {
  json::ReusableParser parser(512);  // small, so the large document below borrows heap chunks
  std::string big = R"({"items":[)";
  for (int i = 0; i < 2000; ++i) big += (i ? ",\"" : "\"") + std::to_string(i) + "-item-with-a-longer-text\"";
  big += "]}";
  for (int round = 0; round < 3; ++round) {
    auto small = parser.parse(R"({"a":"one","n":1})");
    REQUIRE(small.ok());
    CHECK(*json::get_string(**small, "a") == "one");
    auto large = parser.parse(big);
    REQUIRE(large.ok());
    const json::Value &items = (**large)["items"];
    REQUIRE(items.Size() == 2000);
    CHECK(json::view(items[1999]) == "1999-item-with-a-longer-text");
  }
  auto bad = parser.parse(R"({"a":)");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("invalid JSON at offset 5") != std::string::npos);
  CHECK(parser.parse("\"\xC3(\"").status().code() == StatusCode::kInvalidArgument);
  CHECK(parser.parse("[[[1]]]", json::ParseLimits{64, 2}).status().message().find("nested deeper than 2") !=
        std::string::npos);
  auto after_error = parser.parse("[true]");
  REQUIRE(after_error.ok());
  CHECK((**after_error)[0].IsTrue());
}
