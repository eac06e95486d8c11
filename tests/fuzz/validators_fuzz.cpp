// Fuzz target for the service-desk validators: any text is normalised or refused with
// INVALID_ARGUMENT, never a crash. What they accept has the promised shape and is a fixed point
// (normalising it again changes nothing). The first byte picks the phone options.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "voxline/storage/validators.hpp"

namespace {

bool all_digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

void refused_properly(const voxline::Status &s) {
  if (s.code() != voxline::StatusCode::kInvalidArgument || s.message().empty()) std::abort();
}

void check_phone(std::string_view text, const voxline::PhoneOptions &options) {
  auto r = voxline::normalize_phone(text, options);
  if (!r.ok()) return refused_properly(r.status());
  const std::string &e164 = *r;
  if (e164.size() < 9 || e164.size() > 16 || e164[0] != '+' || e164[1] == '0') std::abort();
  if (!all_digits(std::string_view(e164).substr(1))) std::abort();
  auto again = voxline::normalize_phone(e164, options);
  if (!again.ok() || *again != e164) std::abort();
}

void check_email(std::string_view text) {
  auto r = voxline::normalize_email(text);
  if (!r.ok()) return refused_properly(r.status());
  const std::string &e = *r;
  if (e.size() > 254 || e.find('@') == std::string::npos || e.find('@') != e.rfind('@')) std::abort();
  for (char c : e)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) std::abort();
  auto again = voxline::normalize_email(e);
  if (!again.ok() || *again != e) std::abort();
}

void check_vin(std::string_view text) {
  auto r = voxline::normalize_vin(text);
  if (!r.ok()) return refused_properly(r.status());
  const std::string &vin = *r;
  if (vin.size() != 17) std::abort();
  for (char c : vin)
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) || c == 'I' || c == 'O' || c == 'Q') std::abort();
  auto digit = voxline::vin_check_digit(vin);
  if (!digit.ok() || *digit != vin[8]) std::abort();
  auto again = voxline::normalize_vin(vin);
  if (!again.ok() || *again != vin) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  voxline::PhoneOptions options;
  options.strict_nanp_exchange = (data[0] & 1) != 0;
  if ((data[0] & 2) != 0) options.default_country_code = "44";
  const std::string_view text(reinterpret_cast<const char *>(data + 1), size - 1);
  check_phone(text, options);
  check_email(text);
  check_vin(text);
  (void)voxline::vin_check_digit(text);
  return 0;
}
