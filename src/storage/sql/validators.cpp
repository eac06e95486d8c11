// Validators for phone numbers, e-mail addresses, VINs and appointment slots.
#include "voxline/storage/validators.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include <fmt/format.h>

#include "voxline/core/strings.hpp"

namespace voxline {
namespace {

constexpr int64_t kMsPerMinute = 60 * 1000;
constexpr int64_t kMsPerDay = 24 * 60 * kMsPerMinute;

// A character for an error message: printable as itself, anything else as \xNN.
std::string show(char ch) {
  auto u = static_cast<unsigned char>(ch);
  if (u >= 0x20 && u < 0x7f) return std::string(1, ch);
  return fmt::format("\\x{:02x}", u);
}

bool is_digit(char ch) {
  return ch >= '0' && ch <= '9';
}
bool is_alpha(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

int64_t floor_mod(int64_t a, int64_t b) {
  int64_t m = a % b;
  return m < 0 ? m + b : m;
}

std::string hhmm(int minute) {
  return fmt::format("{:02}:{:02}", minute / 60, minute % 60);
}

const char *weekday_name(int d) {
  static const char *const kNames[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                       "Thursday", "Friday", "Saturday"};
  return d >= 0 && d < 7 ? kNames[d] : "?";
}

std::string iso_utc(WallTime t) {
  std::time_t secs = static_cast<std::time_t>(to_unix_ms(t) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Status check_nanp(const std::string &intl, const PhoneOptions &options) {
  if (intl.size() != 11) {
    return invalid_argument(fmt::format(
        "a +1 (North American) number needs 10 digits after the country code; got {}", intl.size() - 1));
  }
  const std::string area = intl.substr(1, 3);
  const std::string exchange = intl.substr(4, 3);
  if (area[0] == '0' || area[0] == '1') {
    return invalid_argument(fmt::format("area code {} cannot start with 0 or 1", area));
  }
  if (area[1] == '1' && area[2] == '1') {
    return invalid_argument(fmt::format("area code {} is an N11 service code, not an area code", area));
  }
  if (options.strict_nanp_exchange && (exchange[0] == '0' || exchange[0] == '1')) {
    return invalid_argument(fmt::format("exchange {} (digits 4-6) cannot start with 0 or 1", exchange));
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> normalize_phone(std::string_view input, const PhoneOptions &options) {
  std::string_view s = trim(input);
  if (s.empty()) return invalid_argument("phone number is empty");
  if (s.size() > 40) return invalid_argument("phone number is longer than 40 characters");
  std::string digits;
  bool plus = false;
  bool paren_open = false;
  bool paren_seen = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    if (is_digit(ch)) {
      digits += ch;
    } else if (ch == '+') {
      if (i != 0) return invalid_argument("'+' is only allowed at the start of a phone number");
      plus = true;
    } else if (ch == ' ' || ch == '.' || ch == '-' || ch == '/' || ch == '\t') {
      continue;
    } else if (ch == '(') {
      if (paren_open || paren_seen) return invalid_argument("phone number has more than one '(' group");
      paren_open = true;
    } else if (ch == ')') {
      if (!paren_open) return invalid_argument("phone number has ')' without '('");
      paren_open = false;
      paren_seen = true;
    } else {
      return invalid_argument(
          fmt::format("phone number contains '{}', which is not a digit or a separator", show(ch)));
    }
  }
  if (paren_open) return invalid_argument("phone number has '(' without ')'");
  if (digits.empty()) return invalid_argument("phone number has no digits");
  const std::string &cc = options.default_country_code;
  if (cc.empty() || cc.size() > 3 || cc[0] == '0' || !std::all_of(cc.begin(), cc.end(), is_digit)) {
    return invalid_argument(fmt::format("default country code '{}' is not 1-3 digits", cc));
  }

  std::string intl;
  if (plus) {
    intl = digits;
  } else if (cc == "1" && digits.rfind("011", 0) == 0) {
    intl = digits.substr(3);  // NANP international call prefix
  } else if (cc != "1" && digits.rfind("00", 0) == 0) {
    intl = digits.substr(2);  // international call prefix of most other plans
  } else if (cc == "1") {
    if (digits.size() == 10) {
      intl = "1" + digits;
    } else if (digits.size() == 11 && digits[0] == '1') {
      intl = digits;
    } else {
      return invalid_argument(fmt::format(
          "a North American number needs 10 digits (or 11 starting with 1); got {} digits", digits.size()));
    }
  } else {
    // National format elsewhere: drop the trunk prefix 0 and prepend the country code.
    intl = cc + (digits[0] == '0' ? digits.substr(1) : digits);
  }
  if (intl.empty()) return invalid_argument("phone number has no digits after the international prefix");
  if (intl[0] == '0') return invalid_argument("country calling codes never start with 0");
  if (intl[0] == '1') {
    VOXLINE_RETURN_IF_ERROR(check_nanp(intl, options));
  } else if (intl.size() < 8 || intl.size() > 15) {
    return invalid_argument(fmt::format(
        "an international number has 8 to 15 digits including the country code; got {}", intl.size()));
  }
  return "+" + intl;
}

Result<std::string> normalize_email(std::string_view input) {
  std::string_view s = trim(input);
  if (s.empty()) return invalid_argument("email address is empty");
  if (s.size() > 254) return invalid_argument("email address is longer than 254 characters");
  const size_t at = s.find('@');
  if (at == std::string_view::npos) return invalid_argument("email address has no '@'");
  if (s.find('@', at + 1) != std::string_view::npos)
    return invalid_argument("email address has more than one '@'");
  std::string_view local = s.substr(0, at);
  std::string_view domain = s.substr(at + 1);
  if (local.empty()) return invalid_argument("email address has nothing before '@'");
  if (local.size() > 64) return invalid_argument("email local part is longer than 64 characters");
  static constexpr std::string_view kAtext = "!#$%&'*+/=?^_`{|}~-";
  for (size_t i = 0; i < local.size(); ++i) {
    const char ch = local[i];
    if (ch == '.') {
      if (i == 0 || i + 1 == local.size() || local[i + 1] == '.') {
        return invalid_argument("email local part has a leading, trailing or doubled '.'");
      }
    } else if (!is_digit(ch) && !is_alpha(ch) && kAtext.find(ch) == std::string_view::npos) {
      return invalid_argument(fmt::format("email local part contains '{}'", show(ch)));
    }
  }
  if (domain.empty()) return invalid_argument("email address has no domain after '@'");
  std::string lower;
  size_t labels = 0;
  size_t start = 0;
  while (true) {
    size_t dot = domain.find('.', start);
    std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty()) return invalid_argument(fmt::format("email domain '{}' has an empty label", domain));
    if (label.size() > 63) return invalid_argument("email domain label is longer than 63 characters");
    if (label.front() == '-' || label.back() == '-') {
      return invalid_argument(fmt::format("email domain label '{}' starts or ends with '-'", label));
    }
    for (char ch : label) {
      if (!is_digit(ch) && !is_alpha(ch) && ch != '-') {
        return invalid_argument(fmt::format("email domain contains '{}'", show(ch)));
      }
    }
    ++labels;
    if (dot == std::string_view::npos) {
      if (labels < 2) {
        return invalid_argument(
            fmt::format("email domain '{}' has no '.' (expected e.g. example.com)", domain));
      }
      if (label.size() < 2 || !std::all_of(label.begin(), label.end(), is_alpha)) {
        return invalid_argument(fmt::format("email top-level domain '{}' must be 2+ letters", label));
      }
      break;
    }
    start = dot + 1;
  }
  for (char ch : domain) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return std::string(local) + "@" + lower;
}

Result<char> vin_check_digit(std::string_view vin) {
  static constexpr int kWeights[17] = {8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2};
  if (vin.size() != 17) return invalid_argument(fmt::format("a VIN has 17 characters; got {}", vin.size()));
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) {
    const char ch = vin[i];
    int value = 0;
    if (is_digit(ch)) {
      value = ch - '0';
    } else {
      // ISO 3779 transliteration: A-H = 1-8, J-N = 1-5, P = 7, R-Z = 9, 2-9 (I, O, Q unused).
      static constexpr std::string_view kLetters = "ABCDEFGHJKLMNPRSTUVWXYZ";
      static constexpr int kValues[] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9};
      size_t pos = kLetters.find(ch);
      if (pos == std::string_view::npos) {
        return invalid_argument(
            fmt::format("VIN character '{}' at position {} has no ISO 3779 value", show(ch), i + 1));
      }
      value = kValues[pos];
    }
    sum += value * kWeights[i];
  }
  const int r = sum % 11;
  return r == 10 ? 'X' : static_cast<char>('0' + r);
}

Result<std::string> normalize_vin(std::string_view input) {
  std::string_view s = trim(input);
  if (s.size() != 17) return invalid_argument(fmt::format("a VIN has 17 characters; got {}", s.size()));
  std::string vin;
  for (size_t i = 0; i < s.size(); ++i) {
    char ch = static_cast<char>(std::toupper(static_cast<unsigned char>(s[i])));
    if (ch == 'I' || ch == 'O' || ch == 'Q') {
      return invalid_argument(fmt::format(
          "VIN contains '{}' at position {}; VINs never use I, O or Q (they read as 1 and 0)", ch, i + 1));
    }
    if (!is_digit(ch) && !(ch >= 'A' && ch <= 'Z')) {
      return invalid_argument(fmt::format(
          "VIN contains '{}' at position {}, which is not a letter or a digit", show(s[i]), i + 1));
    }
    vin += ch;
  }
  VOXLINE_ASSIGN_OR_RETURN(char expected, vin_check_digit(vin));
  if (vin[8] != expected) {
    return invalid_argument(fmt::format(
        "VIN check digit (position 9) is '{}' but the other characters require '{}'; a character is mistyped",
        vin[8], expected));
  }
  return vin;
}

int64_t to_unix_ms(WallTime t) noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

WallTime from_unix_ms(int64_t ms) noexcept {
  return WallTime(std::chrono::duration_cast<WallTime::duration>(std::chrono::milliseconds(ms)));
}

int local_weekday(WallTime t, int utc_offset_minutes) noexcept {
  const int64_t local = to_unix_ms(t) + int64_t{utc_offset_minutes} * kMsPerMinute;
  const int64_t day = (local - floor_mod(local, kMsPerDay)) / kMsPerDay;
  return static_cast<int>(floor_mod(day + 4, 7));  // 1970-01-01 was a Thursday
}

int local_minute_of_day(WallTime t, int utc_offset_minutes) noexcept {
  const int64_t local = to_unix_ms(t) + int64_t{utc_offset_minutes} * kMsPerMinute;
  return static_cast<int>(floor_mod(local, kMsPerDay) / kMsPerMinute);
}

Status validate_slot_policy(const SlotPolicy &p) {
  if (p.slot_minutes < 5 || p.slot_minutes > 240) {
    return invalid_argument(fmt::format("slot length {} minutes is outside 5..240", p.slot_minutes));
  }
  if (p.utc_offset_minutes < -14 * 60 || p.utc_offset_minutes > 14 * 60) {
    return invalid_argument(
        fmt::format("UTC offset {} minutes is outside -14 h..+14 h", p.utc_offset_minutes));
  }
  bool seen[7] = {};
  for (const OpeningHours &h : p.hours) {
    if (h.weekday < 0 || h.weekday > 6)
      return invalid_argument(fmt::format("weekday {} is outside 0..6", h.weekday));
    if (seen[h.weekday])
      return invalid_argument(fmt::format("{} has more than one opening window", weekday_name(h.weekday)));
    seen[h.weekday] = true;
    if (h.open_minute < 0 || h.close_minute > 24 * 60 || h.open_minute >= h.close_minute) {
      return invalid_argument(fmt::format(
          "opening hours of {} must satisfy 0 <= open < close <= 1440 minutes", weekday_name(h.weekday)));
    }
  }
  return Status::Ok();
}

Status validate_slot(const SlotPolicy &policy, WallTime start, std::chrono::minutes duration,
                     const Clock &clock) {
  VOXLINE_RETURN_IF_ERROR(validate_slot_policy(policy));
  if (duration.count() <= 0) return invalid_argument("slot duration must be positive");
  const WallTime now = clock.wall_now();
  if (start < now) {
    return invalid_argument(
        fmt::format("slot start {} is in the past (now {})", iso_utc(start), iso_utc(now)));
  }
  if (floor_mod(to_unix_ms(start), kMsPerMinute) != 0) {
    return invalid_argument(fmt::format("slot start {} is not on a whole minute", iso_utc(start)));
  }
  const int minute = local_minute_of_day(start, policy.utc_offset_minutes);
  const int weekday = local_weekday(start, policy.utc_offset_minutes);
  if (minute % policy.slot_minutes != 0) {
    return invalid_argument(fmt::format("slot start {} (shop time) is not on the {}-minute grid",
                                        hhmm(minute), policy.slot_minutes));
  }
  const auto it = std::find_if(policy.hours.begin(), policy.hours.end(),
                               [&](const OpeningHours &h) { return h.weekday == weekday; });
  if (it == policy.hours.end())
    return invalid_argument(fmt::format("the shop is closed on {}", weekday_name(weekday)));
  const int64_t end = minute + duration.count();
  if (minute < it->open_minute || end > it->close_minute) {
    return invalid_argument(fmt::format("slot {}-{} (shop time) is outside opening hours {}-{} on {}",
                                        hhmm(minute), hhmm(static_cast<int>(std::min<int64_t>(end, 24 * 60))),
                                        hhmm(it->open_minute), hhmm(it->close_minute),
                                        weekday_name(weekday)));
  }
  return Status::Ok();
}

}  // namespace voxline
