// Validators: phone numbers to E.164, e-mail, VIN check digit, appointment slot rules.
#include <doctest/doctest.h>

#include "unit/storage/storage_fixture.hpp"
#include "voxline/storage/validators.hpp"

using namespace voxline;
using voxline::testing::at;

namespace {

std::string phone_ok(std::string_view in, const PhoneOptions &o = {}) {
  Result<std::string> r = normalize_phone(in, o);
  REQUIRE_MESSAGE(r.ok(), (std::string(in) + ": " + r.status().to_string()));
  return *r;
}

// The refusal reason, after checking the code is INVALID_ARGUMENT.
template <typename T>
std::string refused(const Result<T> &r) {
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  return r.status().message();
}

std::string refused(const Status &s) {
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == StatusCode::kInvalidArgument);
  return s.message();
}

bool has(const std::string &text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("phone numbers in the three documented formats normalise to the same E.164 number") {
  CHECK(phone_ok("(555) 123-4567") == "+15551234567");
  CHECK(phone_ok("+1 555 123 4567") == "+15551234567");
  CHECK(phone_ok("555.123.4567") == "+15551234567");
  CHECK(phone_ok("  1-555-123-4567 ") == "+15551234567");
  CHECK(phone_ok("5551234567") == "+15551234567");
  CHECK(phone_ok("+15551234567") == "+15551234567");
}

TEST_CASE("international numbers keep their country code and NANP is the default region") {
  CHECK(phone_ok("+44 20 7946 0958") == "+442079460958");
  CHECK(phone_ok("011 44 20 7946 0958") == "+442079460958");
  PhoneOptions uk;
  uk.default_country_code = "44";
  CHECK(phone_ok("020 7946 0958", uk) == "+442079460958");
  CHECK(phone_ok("0044 20 7946 0958", uk) == "+442079460958");
}

TEST_CASE("garbage phone numbers are refused with the reason") {
  CHECK(has(refused(normalize_phone("")), "empty"));
  CHECK(has(refused(normalize_phone("555-CALL-NOW")), "'C'"));
  CHECK(has(refused(normalize_phone("12345")), "10 digits"));
  CHECK(has(refused(normalize_phone("555 123 45678")), "got 11 digits"));
  CHECK(has(refused(normalize_phone("+1 555 123 456")), "10 digits after the country code"));
  CHECK(has(refused(normalize_phone("(055) 123-4567")), "area code 055"));
  CHECK(has(refused(normalize_phone("(155) 123-4567")), "cannot start with 0 or 1"));
  CHECK(has(refused(normalize_phone("(911) 555-0100")), "N11"));
  CHECK(has(refused(normalize_phone("555) 123-4567")), "')' without '('"));
  CHECK(has(refused(normalize_phone("(555 123-4567")), "'(' without ')'"));
  CHECK(has(refused(normalize_phone("555+1234567")), "only allowed at the start"));
  CHECK(has(refused(normalize_phone("+0 555 123 4567")), "never start with 0"));
  CHECK(has(refused(normalize_phone("+44 12")), "8 to 15 digits"));
  CHECK(has(refused(normalize_phone("+1234567890123456")), "10 digits after the country code"));
  CHECK(has(refused(normalize_phone("555\x01"
                                    "1234567")),
            "\\x01"));
  CHECK(has(refused(normalize_phone("()---")), "no digits"));
}

TEST_CASE("strict NANP mode also refuses exchanges starting with 0 or 1") {
  PhoneOptions strict;
  strict.strict_nanp_exchange = true;
  CHECK(has(refused(normalize_phone("(555) 123-4567", strict)), "exchange 123"));
  CHECK(has(refused(normalize_phone("(555) 023-4567", strict)), "exchange 023"));
  CHECK(phone_ok("(555) 234-4567", strict) == "+15552344567");
}

TEST_CASE("email addresses are checked for shape and their domain is lower-cased") {
  CHECK(normalize_email(" Ada@Example.COM ").value() == "Ada@example.com");
  CHECK(normalize_email("first.last+tag@mail.example.co.uk").value() == "first.last+tag@mail.example.co.uk");
  CHECK(has(refused(normalize_email("ada@")), "no domain"));
  CHECK(has(refused(normalize_email("ada")), "no '@'"));
  CHECK(has(refused(normalize_email("@example.com")), "nothing before"));
  CHECK(has(refused(normalize_email("ada@example")), "no '.'"));
  CHECK(has(refused(normalize_email("a..b@example.com")), "doubled"));
  CHECK(has(refused(normalize_email("ada@exa mple.com")), "' '"));
  CHECK(has(refused(normalize_email("ada@-example.com")), "starts or ends with '-'"));
  CHECK(has(refused(normalize_email("ada@example.c0m")), "top-level"));
  CHECK(has(refused(normalize_email("ada@example..com")), "empty label"));
  CHECK(has(refused(normalize_email("a@b@example.com")), "more than one"));
  CHECK(has(refused(normalize_email("")), "empty"));
}

TEST_CASE("VINs with a valid ISO 3779 check digit are accepted and upper-cased") {
  CHECK(normalize_vin("1M8GDM9AXKP042788").value() == "1M8GDM9AXKP042788");  // check digit X
  CHECK(normalize_vin("1hgcm82633a004352").value() == "1HGCM82633A004352");
  CHECK(normalize_vin(" 11111111111111111 ").value() == "11111111111111111");
  CHECK(vin_check_digit("1M8GDM9AXKP042788").value() == 'X');
  CHECK(vin_check_digit("1HGCM82633A004352").value() == '3');
}

TEST_CASE("VINs with a wrong check digit, I/O/Q or a wrong length are refused") {
  CHECK(has(refused(normalize_vin("1M8GDM9A1KP042788")), "check digit"));
  CHECK(has(refused(normalize_vin("1HGCM82643A004352")), "require '3'"));
  CHECK(has(refused(normalize_vin("1M8GDM9AXKP0427O8")), "never use I, O or Q"));
  CHECK(has(refused(normalize_vin("IM8GDM9AXKP042788")), "'I' at position 1"));
  CHECK(has(refused(normalize_vin("1M8GDM9AXKPQ42788")), "'Q'"));
  CHECK(has(refused(normalize_vin("1M8GDM9AXKP04278")), "17 characters; got 16"));
  CHECK(has(refused(normalize_vin("1M8GDM9AXKP0427888")), "got 18"));
  CHECK(has(refused(normalize_vin("")), "got 0"));
  CHECK(has(refused(normalize_vin("1M8GDM9AXKP04278-")), "not a letter or a digit"));
}

TEST_CASE("local weekday and minute follow the UTC offset, also before 1970") {
  CHECK(local_weekday(at(0, 0), 0) == 1);    // Monday
  CHECK(local_weekday(at(0, 0), -60) == 0);  // still Sunday in UTC-1
  CHECK(local_minute_of_day(at(0, 9, 30), 0) == 9 * 60 + 30);
  CHECK(local_minute_of_day(at(0, 14), -300) == 9 * 60);
  CHECK(local_weekday(from_unix_ms(-1), 0) == 3);  // 1969-12-31 was a Wednesday
  CHECK(local_minute_of_day(from_unix_ms(-60000), 0) == 24 * 60 - 1);
}

TEST_CASE("a slot inside opening hours, on the grid and in the future is accepted") {
  ManualClock clock(at(0, 6));
  SlotPolicy p = voxline::testing::test_shop_config().slots;
  CHECK(validate_slot(p, at(0, 9), std::chrono::minutes(60), clock).ok());
  CHECK(validate_slot(p, at(0, 8), std::chrono::minutes(30), clock).ok());
  CHECK(validate_slot(p, at(0, 16), std::chrono::minutes(60), clock).ok());      // ends exactly at closing
  CHECK(validate_slot(p, at(5, 12, 30), std::chrono::minutes(30), clock).ok());  // Saturday
}

TEST_CASE("slots off the grid, outside hours, on a closed day or in the past are refused") {
  ManualClock clock(at(0, 6));
  SlotPolicy p = voxline::testing::test_shop_config().slots;
  const auto hour = std::chrono::minutes(60);
  CHECK(has(refused(validate_slot(p, at(0, 9, 15), hour, clock)), "30-minute grid"));
  CHECK(has(refused(validate_slot(p, at(0, 9) + std::chrono::seconds(30), hour, clock)), "whole minute"));
  CHECK(has(refused(validate_slot(p, at(0, 16, 30), hour, clock)), "outside opening hours 08:00-17:00"));
  CHECK(has(refused(validate_slot(p, at(0, 7, 30), hour, clock)), "outside opening hours"));
  CHECK(has(refused(validate_slot(p, at(6, 10), hour, clock)), "closed on Sunday"));
  CHECK(has(refused(validate_slot(p, at(0, 23, 30), hour, clock)), "outside opening hours"));
  CHECK(has(refused(validate_slot(p, at(0, 9), std::chrono::minutes(0), clock)), "positive"));
  clock.advance(std::chrono::hours(4));  // now 10:00 Monday
  CHECK(has(refused(validate_slot(p, at(0, 9), hour, clock)), "in the past"));
  CHECK(validate_slot(p, at(0, 10), hour, clock).ok());  // starting right now is allowed
}

TEST_CASE("opening hours are read in shop time when the shop has a UTC offset") {
  ManualClock clock(at(0, 6));
  SlotPolicy p = voxline::testing::test_shop_config().slots;
  p.utc_offset_minutes = -300;                                               // UTC-5
  CHECK(validate_slot(p, at(0, 13), std::chrono::minutes(30), clock).ok());  // 08:00 local
  CHECK(has(refused(validate_slot(p, at(0, 12, 30), std::chrono::minutes(30), clock)), "07:30"));
  CHECK(has(refused(validate_slot(p, at(0, 21, 30), std::chrono::minutes(60), clock)), "16:30-17:30"));
}

TEST_CASE("an invalid slot policy is refused before any slot is judged") {
  ManualClock clock(at(0, 6));
  SlotPolicy p = voxline::testing::test_shop_config().slots;
  p.slot_minutes = 3;
  CHECK(has(refused(validate_slot_policy(p)), "5..240"));
  p = voxline::testing::test_shop_config().slots;
  p.hours.push_back({1, 0, 60});
  CHECK(has(refused(validate_slot_policy(p)), "more than one"));
  p = voxline::testing::test_shop_config().slots;
  p.hours[0].close_minute = p.hours[0].open_minute;
  CHECK(has(refused(validate_slot(p, at(0, 9), std::chrono::minutes(30), clock)), "open < close"));
  p = voxline::testing::test_shop_config().slots;
  p.utc_offset_minutes = 15 * 60;
  CHECK(has(refused(validate_slot_policy(p)), "offset"));
}
