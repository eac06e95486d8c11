// trim/iequals and the shared host:port grammar that net/url and the Redis URL parser use.
#include "voxline/core/strings.hpp"

#include <string>

#include <doctest/doctest.h>

namespace voxline {
namespace {

TEST_CASE("trim removes ASCII whitespace at both ends only") {
  CHECK(trim("  text/event-stream \r\n") == "text/event-stream");
  CHECK(trim("\t\v\f a b \t") == "a b");
  CHECK(trim("") == "");
  CHECK(trim(" \r\n ") == "");
  CHECK(trim("\xc2\xa0x\xc2\xa0") == "\xc2\xa0x\xc2\xa0");  // NBSP is not ASCII whitespace
}

TEST_CASE("iequals folds ASCII letters only") {
  CHECK(iequals("Content-Length", "content-LENGTH"));
  CHECK_FALSE(iequals("Content-Length", "Content-Lengt"));
  CHECK_FALSE(iequals("\xc9", "\xe9"));  // Latin-1 E/e acute: not folded
  CHECK(istarts_with("REDIS://h", "redis://"));
  CHECK_FALSE(istarts_with("redi", "redis://"));
  CHECK(to_upper_ascii("voxline_log_level") == "VOXLINE_LOG_LEVEL");
}

TEST_CASE("list_has_token finds a token of a comma-separated field value, trimmed and case-insensitive") {
  CHECK(list_has_token("keep-alive, Upgrade", "upgrade"));
  CHECK(list_has_token(" close ", "close"));
  CHECK(list_has_token("a,,close", "close"));
  CHECK_FALSE(list_has_token("upgrade-insecure", "upgrade"));  // whole tokens only
  CHECK_FALSE(list_has_token("", "close"));
  CHECK_FALSE(list_has_token("keep-alive", "close"));
}

TEST_CASE("parse_host_port reads names, IPv4 and bracketed IPv6 with or without a port") {
  auto a = parse_host_port("cache.internal", 6379);
  REQUIRE(a.ok());
  CHECK(a->host == "cache.internal");
  CHECK(a->port == 6379);
  CHECK_FALSE(a->explicit_port);
  CHECK_FALSE(a->ipv6);
  auto b = parse_host_port("127.0.0.1:65535", 80);
  REQUIRE(b.ok());
  CHECK(b->port == 65535);
  CHECK(b->explicit_port);
  auto c = parse_host_port("[::1]:6379", 80);
  REQUIRE(c.ok());
  CHECK(c->host == "::1");
  CHECK(c->ipv6);
  CHECK(c->port == 6379);
  CHECK(c->to_string() == "[::1]:6379");
  auto d = parse_host_port("[2001:db8::ffff:10.0.0.1]", 443);
  REQUIRE(d.ok());
  CHECK(d->host == "2001:db8::ffff:10.0.0.1");
  CHECK(d->port == 443);
  CHECK(parse_host_port("h_st-1.example:0080", 1).value().port == 80);
}

TEST_CASE("parse_host_port refuses what it cannot read unambiguously, with a message naming the problem") {
  struct Case {
    const char *text;
    const char *message_part;
  };
  for (const Case &c : {Case{"", "missing host"},
                        Case{":80", "missing host"},
                        Case{"[]:80", "missing host"},
                        Case{"host:", "empty port"},
                        Case{"host:0", "out of range"},
                        Case{"host:65536", "out of range"},
                        Case{"host:99999", "out of range"},
                        Case{"host:000080", "not a number"},
                        Case{"host:+80", "not a number"},
                        Case{"host:8a", "not a number"},
                        Case{"::1", "needs brackets"},
                        Case{"::1:6379", "needs brackets"},
                        Case{"a:b:c", "needs brackets"},
                        Case{"[::1", "unterminated"},
                        Case{"[::1]x", "after the [IPv6]"},
                        Case{"[::1]:", "empty port"},
                        Case{"[v1.x]:80", "bad character in IPv6"},
                        Case{"[10.0.0.1]", "not an IPv6"},
                        Case{"[fe80::1%25eth0]:80", "zone"},
                        Case{"h st:80", "bad character in host"},
                        Case{"h%41:80", "bad character in host"},
                        Case{"h\xc3\xb4st", "bad character in host"}}) {
    auto r = parse_host_port(c.text, 80);
    CHECK_MESSAGE(r.status().code() == StatusCode::kInvalidArgument, c.text);
    CHECK_MESSAGE(r.status().message().find(c.message_part) != std::string::npos,
                  c.text << " -> " << r.status().message());
  }
}

TEST_CASE("parse_port accepts 1..65535 in decimal digits only") {
  CHECK(parse_port("1").value() == 1);
  CHECK(parse_port("65535").value() == 65535);
  CHECK_FALSE(parse_port("0").ok());
  CHECK_FALSE(parse_port("-1").ok());
  CHECK_FALSE(parse_port(" 80").ok());
  CHECK_FALSE(parse_port("").ok());
}

}  // namespace
}  // namespace voxline
