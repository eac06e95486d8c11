// File: validators.hpp
// The one place where service-desk input is checked and normalised: phone numbers (to E.164),
// e-mail addresses, VINs (ISO 3779 check digit) and appointment time slots. Repositories call
// these before writing; tool argument checks call the same functions; the schema's CHECK
// constraints repeat the parts SQL can express (length, character set, enums) as a last line.
// Every refusal is INVALID_ARGUMENT with a reason a caller (or an LLM) can act on.
//
//   VOXLINE_ASSIGN_OR_RETURN(std::string e164, normalize_phone("(555) 123-4567"));  // "+15551234567"
//   VOXLINE_ASSIGN_OR_RETURN(std::string vin, normalize_vin("1m8gdm9axkp042788"));
//   VOXLINE_RETURN_IF_ERROR(validate_slot(shop.slot_policy(), start, std::chrono::minutes(60), clock));
//
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "voxline/core/clock.hpp"
#include "voxline/core/result.hpp"

namespace voxline {

struct PhoneOptions {
  // Country calling code assumed for numbers written without "+": "1" is the North American
  // Numbering Plan (US, Canada, ...), the only plan validated digit by digit.
  std::string default_country_code = "1";
  // NANP reserves exchanges (digits 4-6) starting with 0 or 1. Off by default because callers
  // and fixtures commonly use such numbers ("555 123 4567"); area codes are always checked.
  bool strict_nanp_exchange = false;
};

// Normalises a phone number to E.164 ("+15551234567"). Accepts digits with spaces, dots,
// dashes, slashes and one pair of parentheses, an optional leading "+" or "00"/"011"
// international prefix. NANP numbers (+1) need 10 national digits, an area code not starting
// with 0/1 and not an N11 service code. Other country codes get E.164's shape check only
// (8 to 15 digits, no leading 0).
VOXLINE_API Result<std::string> normalize_phone(std::string_view input, const PhoneOptions &options = {});

// Trims, lower-cases the domain and checks the shape: one "@", a local part of 1..64
// characters from RFC 5322's dot-atom set, a domain of at least two dot-separated labels
// (letters, digits, inner hyphens) with an alphabetic top-level label; 254 characters at most.
VOXLINE_API Result<std::string> normalize_email(std::string_view input);

// Trims and upper-cases, then checks 17 characters from 0-9 and A-Z without I, O and Q, and the
// ISO 3779 / 49 CFR 565 check digit in position 9 ('0'-'9' or 'X').
VOXLINE_API Result<std::string> normalize_vin(std::string_view input);
// The check digit a 17-character VIN should carry ('0'-'9' or 'X'), or INVALID_ARGUMENT.
VOXLINE_API Result<char> vin_check_digit(std::string_view vin);

// Opening hours of one weekday in shop-local time: [open_minute, close_minute) after midnight.
struct OpeningHours {
  int weekday = 0;  // 0 = Sunday ... 6 = Saturday
  int open_minute = 0;
  int close_minute = 0;
};

// What a slot must satisfy. Shop-local time is UTC + utc_offset_minutes (a fixed offset:
// the host updates it when daylight saving time changes).
struct SlotPolicy {
  int slot_minutes = 30;
  int utc_offset_minutes = 0;
  std::vector<OpeningHours> hours;  // a weekday without an entry is closed
};

// Checks `start` .. `start + duration`: not before clock.wall_now(), on a whole minute aligned
// to slot_minutes from local midnight, and inside one opening window of that local day.
VOXLINE_API Status validate_slot(const SlotPolicy &policy, WallTime start, std::chrono::minutes duration,
                                 const Clock &clock);
// Checks the policy itself: slot length 5..240 minutes, offsets within +-14 h, weekdays 0..6
// at most once each, 0 <= open < close <= 1440.
VOXLINE_API Status validate_slot_policy(const SlotPolicy &policy);

// Shop-local weekday (0 = Sunday) and minute of day of a UTC time.
VOXLINE_API int local_weekday(WallTime t, int utc_offset_minutes) noexcept;
VOXLINE_API int local_minute_of_day(WallTime t, int utc_offset_minutes) noexcept;

// Milliseconds since the Unix epoch (the stored time representation) and back.
VOXLINE_API int64_t to_unix_ms(WallTime t) noexcept;
VOXLINE_API WallTime from_unix_ms(int64_t ms) noexcept;

}  // namespace voxline
