// ShopConfigRepository: settings, opening hours and services, replaced as a whole.
#include "voxline/storage/shop_config_repository.hpp"

#include <set>

#include <fmt/format.h>

#include "storage/sql/repo_util.hpp"

namespace voxline {

Status validate_shop_config(const ShopConfig &c) {
  VOXLINE_RETURN_IF_ERROR(detail::clean_text(c.name, "shop name", 200).status());
  if (c.bays < 1 || c.bays > 100)
    return invalid_argument(fmt::format("bay count {} is outside 1..100", c.bays));
  VOXLINE_RETURN_IF_ERROR(validate_slot_policy(c.slots));
  std::set<std::string> codes;
  for (const ServiceType &s : c.services) {
    bool ok = !s.code.empty() && s.code.size() <= 40 && s.code[0] >= 'a' && s.code[0] <= 'z';
    for (char ch : s.code) ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_');
    if (!ok)
      return invalid_argument(fmt::format("service code '{}' must match [a-z][a-z0-9_]{{0,39}}", s.code));
    if (!codes.insert(s.code).second)
      return invalid_argument(fmt::format("service code '{}' appears twice", s.code));
    VOXLINE_RETURN_IF_ERROR(detail::clean_text(s.name, "service name", 200).status());
    if (s.duration_minutes < 5 || s.duration_minutes > 1440) {
      return invalid_argument(
          fmt::format("service '{}' duration {} minutes is outside 5..1440", s.code, s.duration_minutes));
    }
  }
  return Status::Ok();
}

Result<ShopConfig> ShopConfigRepository::load(Transaction &tx) {
  VOXLINE_ASSIGN_OR_RETURN(
      std::optional<Row> settings,
      tx.query_row("SELECT name, bays, slot_minutes, utc_offset_minutes FROM shop_settings WHERE id = 1"));
  if (!settings) return failed_precondition("the shop is not configured yet (no shop_settings row)");
  ShopConfig c;
  VOXLINE_ASSIGN_OR_RETURN(c.name, settings->get_string("name"));
  VOXLINE_ASSIGN_OR_RETURN(c.bays, settings->get_int("bays"));
  VOXLINE_ASSIGN_OR_RETURN(c.slots.slot_minutes, settings->get_int("slot_minutes"));
  VOXLINE_ASSIGN_OR_RETURN(c.slots.utc_offset_minutes, settings->get_int("utc_offset_minutes"));
  VOXLINE_ASSIGN_OR_RETURN(
      Rows hours, tx.query("SELECT weekday, open_minute, close_minute FROM shop_hours ORDER BY weekday"));
  for (const Row &r : hours) {
    OpeningHours h;
    VOXLINE_ASSIGN_OR_RETURN(h.weekday, r.get_int("weekday"));
    VOXLINE_ASSIGN_OR_RETURN(h.open_minute, r.get_int("open_minute"));
    VOXLINE_ASSIGN_OR_RETURN(h.close_minute, r.get_int("close_minute"));
    c.slots.hours.push_back(h);
  }
  VOXLINE_ASSIGN_OR_RETURN(Rows services,
                           tx.query("SELECT code, name, duration_minutes FROM shop_services ORDER BY code"));
  for (const Row &r : services) {
    ServiceType s;
    VOXLINE_ASSIGN_OR_RETURN(s.code, r.get_string("code"));
    VOXLINE_ASSIGN_OR_RETURN(s.name, r.get_string("name"));
    VOXLINE_ASSIGN_OR_RETURN(s.duration_minutes, r.get_int("duration_minutes"));
    c.services.push_back(std::move(s));
  }
  return c;
}

Status ShopConfigRepository::save(Transaction &tx, const ShopConfig &c) {
  VOXLINE_RETURN_IF_ERROR(validate_shop_config(c));
  VOXLINE_ASSIGN_OR_RETURN(Savepoint sp, tx.savepoint());
  VOXLINE_RETURN_IF_ERROR(
      tx.execute("INSERT INTO shop_settings (id, name, bays, slot_minutes, utc_offset_minutes, "
                 "updated_at_ms) VALUES (1, ?, ?, ?, ?, ?) "
                 "ON CONFLICT (id) DO UPDATE SET name = excluded.name, bays = excluded.bays, "
                 "slot_minutes = excluded.slot_minutes, "
                 "utc_offset_minutes = excluded.utc_offset_minutes, "
                 "updated_at_ms = excluded.updated_at_ms",
                 {c.name, c.bays, c.slots.slot_minutes, c.slots.utc_offset_minutes,
                  to_unix_ms(clock_->wall_now())})
          .status());
  VOXLINE_RETURN_IF_ERROR(tx.execute("DELETE FROM shop_hours").status());
  for (const OpeningHours &h : c.slots.hours) {
    VOXLINE_RETURN_IF_ERROR(
        tx.execute("INSERT INTO shop_hours (weekday, open_minute, close_minute) VALUES (?, ?, ?)",
                   {h.weekday, h.open_minute, h.close_minute})
            .status());
  }
  VOXLINE_RETURN_IF_ERROR(tx.execute("DELETE FROM shop_services").status());
  for (const ServiceType &s : c.services) {
    VOXLINE_RETURN_IF_ERROR(
        tx.execute("INSERT INTO shop_services (code, name, duration_minutes) VALUES (?, ?, ?)",
                   {s.code, s.name, s.duration_minutes})
            .status());
  }
  return sp.release();
}

}  // namespace voxline
