// utf8_invalid_at / utf8_valid: the well-formed sequences of RFC 3629 pass, every ill-formed kind
// is caught at the right offset, and the ASCII fast path agrees with the byte-wise check.
#include "voxline/core/utf8.hpp"

#include <doctest/doctest.h>

#include <string>

using voxline::utf8_invalid_at;
using voxline::utf8_valid;

TEST_CASE("well-formed UTF-8 of every length is valid, NUL and empty included") {
  CHECK(utf8_valid(""));
  CHECK(utf8_valid(std::string("a\0b", 3)));
  CHECK(utf8_valid("plain ASCII that is longer than one eight-byte word"));
  CHECK(utf8_valid("caf\xC3\xA9"));                       // U+00E9
  CHECK(utf8_valid("\xE2\x82\xAC 12"));                   // U+20AC
  CHECK(utf8_valid("\xF0\x9F\x9A\x97 oil change"));       // U+1F697
  CHECK(utf8_valid("\xC2\x80\xDF\xBF"));                  // U+0080, U+07FF: 2-byte bounds
  CHECK(utf8_valid("\xE0\xA0\x80\xEF\xBF\xBF"));          // U+0800, U+FFFF: 3-byte bounds
  CHECK(utf8_valid("\xED\x9F\xBF\xEE\x80\x80"));          // U+D7FF, U+E000: around the surrogates
  CHECK(utf8_valid("\xF0\x90\x80\x80\xF4\x8F\xBF\xBF"));  // U+10000, U+10FFFF: 4-byte bounds
}

TEST_CASE("ill-formed UTF-8 is reported at the offset of its first bad sequence") {
  struct Case {
    std::string text;
    size_t at;
  };
  const Case cases[] = {
      {"ab\x80", 2},            // a lone continuation byte
      {"\xC0\xAF", 0},          // overlong '/'
      {"\xC1\xBF", 0},          // overlong 2-byte lead
      {"x\xE0\x80\xAF", 1},     // overlong 3-byte form
      {"\xF0\x80\x80\xAF", 0},  // overlong 4-byte form
      {"ok \xED\xA0\x80", 3},   // U+D800, a surrogate
      {"\xED\xBF\xBF", 0},      // U+DFFF
      {"\xF4\x90\x80\x80", 0},  // U+110000, above the range
      {"\xF5\x80\x80\x80", 0},  // a lead byte that is never valid
      {"\xFF", 0},
      {"caf\xC3", 3},  // truncated at the end
      {"\xE2\x82", 0},
      {"\xF0\x9F\x9A", 0},
      {"\xE2\x28\xA1", 0},            // a bad second byte
      {"\xF0\x9F\x28\x97", 0},        // a bad third byte
      {"\xC3\xA9\xC3", 2},            // valid, then truncated
      {"0123456789abcdef\xC3(", 16},  // after two ASCII words
  };
  for (const Case &c : cases) {
    CAPTURE(c.text);
    CHECK(utf8_invalid_at(c.text) == c.at);
    CHECK_FALSE(utf8_valid(c.text));
  }
}

TEST_CASE("the word-at-a-time ASCII path finds a bad byte at every position of a word") {
  for (size_t pos = 0; pos < 24; ++pos) {
    std::string s(24, 'a');
    s[pos] = '\x80';
    CAPTURE(pos);
    CHECK(utf8_invalid_at(s) == pos);
    s[pos] = '\xC3';
    if (pos + 1 < s.size()) s[pos + 1] = '\xA9';
    CHECK(utf8_valid(s) == (pos + 1 < s.size()));
  }
}
