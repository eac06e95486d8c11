// AppointmentRepository: bookings checked against the shop configuration; overlaps refused by
// the database (SQLite: trigger + partial unique index; PostgreSQL: an exclusion constraint; all
// named appointments_*, see sql_dialect.cpp).
#include "voxline/storage/appointment_repository.hpp"

#include <set>

#include <fmt/format.h>

#include "storage/sql/repo_util.hpp"
#include "voxline/storage/db_error.hpp"
#include "voxline/storage/schema.hpp"
#include "voxline/storage/shop_config_repository.hpp"

namespace voxline {

namespace {

Status overlap_conflict(const Status &s, int bay) {
  if (violates(s, ConstraintKind::kTrigger, "appointments_no_overlap") ||
      violates(s, ConstraintKind::kExclusion, "appointments_no_overlap") ||
      violates(s, ConstraintKind::kUnique, "appointments_live_bay_start")) {
    return conflict(fmt::format("bay {} already has an appointment overlapping that slot", bay))
        .with_detail(s.detail());
  }
  return s;
}

Status check_bay(const ShopConfig &cfg, int bay) {
  if (bay < 1 || bay > cfg.bays)
    return invalid_argument(fmt::format("bay {} is outside 1..{}", bay, cfg.bays));
  return Status::Ok();
}

Result<const ServiceType *> find_service(const ShopConfig &cfg, std::string_view code) {
  const ServiceType *s = cfg.find_service(code);
  if (s != nullptr) return s;
  std::string offered;
  for (const ServiceType &t : cfg.services) offered += (offered.empty() ? "" : ", ") + t.code;
  return invalid_argument(fmt::format("unknown service '{}' (offered: {})", code, offered));
}

}  // namespace

Result<Appointment> AppointmentRepository::book(Transaction &tx, const NewAppointment &a) {
  VOXLINE_ASSIGN_OR_RETURN(ShopConfig cfg, ShopConfigRepository(*clock_).load(tx));
  VOXLINE_ASSIGN_OR_RETURN(const ServiceType *service, find_service(cfg, a.service));
  VOXLINE_RETURN_IF_ERROR(check_bay(cfg, a.bay));
  const auto duration = std::chrono::minutes(service->duration_minutes);
  VOXLINE_RETURN_IF_ERROR(validate_slot(cfg.slots, a.start, duration, *clock_));
  VOXLINE_ASSIGN_OR_RETURN(std::optional<std::string> notes,
                           detail::clean_optional_text(a.notes, "appointment notes", 2000, true));
  VOXLINE_ASSIGN_OR_RETURN(std::optional<Row> customer,
                           tx.query_row("SELECT id FROM customers WHERE id = ?", {a.customer_id}));
  if (!customer) return not_found(fmt::format("customer {} does not exist", a.customer_id));
  if (a.vehicle_id) {
    VOXLINE_ASSIGN_OR_RETURN(std::optional<Row> vehicle,
                             tx.query_row("SELECT customer_id FROM vehicles WHERE id = ?", {*a.vehicle_id}));
    if (!vehicle) return not_found(fmt::format("vehicle {} does not exist", *a.vehicle_id));
    VOXLINE_ASSIGN_OR_RETURN(int64_t owner, vehicle->get_int64("customer_id"));
    if (owner != a.customer_id) {
      return invalid_argument(fmt::format("vehicle {} belongs to another customer", *a.vehicle_id));
    }
  }
  const int64_t start = to_unix_ms(a.start);
  const int64_t end = start + duration.count() * 60000;
  const int64_t now = to_unix_ms(clock_->wall_now());
  // A refused write rolls back to here, so the caller's transaction stays usable on every
  // backend (a failed statement aborts a whole PostgreSQL transaction).
  VOXLINE_ASSIGN_OR_RETURN(Savepoint sp, tx.savepoint());
  Result<std::optional<Row>> row = tx.query_row(
      "INSERT INTO appointments (customer_id, vehicle_id, service, bay, start_ms, end_ms, status, notes, "
      "created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, 'scheduled', ?, ?, ?) RETURNING id",
      {a.customer_id, a.vehicle_id, service->code, a.bay, start, end, notes, now, now});
  if (!row.ok()) return overlap_conflict(row.status(), a.bay);
  if (!*row) return internal_error("INSERT ... RETURNING gave no row");
  VOXLINE_ASSIGN_OR_RETURN(int64_t id, (*row)->get_int64("id"));
  VOXLINE_RETURN_IF_ERROR(sp.release());
  return get(tx, id);
}

Result<Appointment> AppointmentRepository::get(Transaction &tx, int64_t id) {
  VOXLINE_ASSIGN_OR_RETURN(
      std::optional<Row> row,
      tx.query_row(std::string("SELECT ") + detail::kAppointmentColumns + " FROM appointments WHERE id = ?",
                   {id}));
  if (!row) return not_found(fmt::format("appointment {} does not exist", id));
  return detail::appointment_from_row(*row);
}

static Result<std::vector<Appointment>> to_appointments(const Rows &rows) {
  std::vector<Appointment> out;
  out.reserve(rows.size());
  for (const Row &r : rows) {
    VOXLINE_ASSIGN_OR_RETURN(Appointment a, detail::appointment_from_row(r));
    out.push_back(std::move(a));
  }
  return out;
}

Result<std::vector<Appointment>> AppointmentRepository::list_for_customer(Transaction &tx,
                                                                          int64_t customer_id,
                                                                          WallTime from) {
  VOXLINE_ASSIGN_OR_RETURN(Rows rows,
                           tx.query(std::string("SELECT ") + detail::kAppointmentColumns +
                                        " FROM appointments WHERE customer_id = ? AND start_ms >= ? "
                                        "ORDER BY start_ms LIMIT 500",
                                    {customer_id, to_unix_ms(from)}));
  return to_appointments(rows);
}

Result<std::vector<Appointment>> AppointmentRepository::list_in_range(Transaction &tx, WallTime from,
                                                                      WallTime to, int limit) {
  if (limit <= 0) return invalid_argument("limit must be positive");
  VOXLINE_ASSIGN_OR_RETURN(Rows rows, tx.query(std::string("SELECT ") + detail::kAppointmentColumns +
                                                   " FROM appointments WHERE start_ms >= ? AND start_ms < ? "
                                                   "ORDER BY start_ms, bay LIMIT ?",
                                               {to_unix_ms(from), to_unix_ms(to), limit}));
  return to_appointments(rows);
}

Result<std::vector<int>> AppointmentRepository::free_bays(Transaction &tx, WallTime start,
                                                          std::chrono::minutes duration) {
  if (duration.count() <= 0 || duration.count() > kMaxAppointmentMinutes) {
    return invalid_argument("duration must be 1..1440 minutes");
  }
  VOXLINE_ASSIGN_OR_RETURN(ShopConfig cfg, ShopConfigRepository(*clock_).load(tx));
  const int64_t s = to_unix_ms(start);
  const int64_t e = s + duration.count() * 60000;
  VOXLINE_ASSIGN_OR_RETURN(Rows busy,
                           tx.query("SELECT DISTINCT bay FROM appointments WHERE status = 'scheduled' "
                                    "AND start_ms > ? AND start_ms < ? AND end_ms > ?",
                                    {s - int64_t{kMaxAppointmentMinutes} * 60000, e, s}));
  std::set<int> taken;
  for (const Row &r : busy) {
    VOXLINE_ASSIGN_OR_RETURN(int bay, r.get_int("bay"));
    taken.insert(bay);
  }
  std::vector<int> out;
  for (int bay = 1; bay <= cfg.bays; ++bay) {
    if (taken.count(bay) == 0) out.push_back(bay);
  }
  return out;
}

Result<std::vector<AvailableSlot>> AppointmentRepository::available_slots(Transaction &tx, WallTime from,
                                                                          WallTime to,
                                                                          std::string_view service,
                                                                          int limit) {
  if (limit <= 0) return invalid_argument("limit must be positive");
  if (to <= from) return invalid_argument("the range is empty (to <= from)");
  if (to - from > std::chrono::hours(24 * 14)) return invalid_argument("the range spans more than 14 days");
  VOXLINE_ASSIGN_OR_RETURN(ShopConfig cfg, ShopConfigRepository(*clock_).load(tx));
  VOXLINE_ASSIGN_OR_RETURN(const ServiceType *svc, find_service(cfg, service));
  const auto duration = std::chrono::minutes(svc->duration_minutes);
  const int64_t duration_ms = duration.count() * 60000;
  const int64_t from_ms = to_unix_ms(from);
  const int64_t to_ms = to_unix_ms(to);
  struct Busy {
    int bay;
    int64_t start;
    int64_t end;
  };
  std::vector<Busy> busy;
  VOXLINE_ASSIGN_OR_RETURN(
      Rows rows, tx.query("SELECT bay, start_ms, end_ms FROM appointments WHERE status = "
                          "'scheduled' AND start_ms > ? AND start_ms < ? AND end_ms > ?",
                          {from_ms - int64_t{kMaxAppointmentMinutes} * 60000, to_ms + duration_ms, from_ms}));
  for (const Row &r : rows) {
    Busy b;
    VOXLINE_ASSIGN_OR_RETURN(b.bay, r.get_int("bay"));
    VOXLINE_ASSIGN_OR_RETURN(b.start, r.get_int64("start_ms"));
    VOXLINE_ASSIGN_OR_RETURN(b.end, r.get_int64("end_ms"));
    busy.push_back(b);
  }
  // Candidates: the slot grid of each shop-local day touching the range.
  const int64_t offset_ms = int64_t{cfg.slots.utc_offset_minutes} * 60000;
  constexpr int64_t kDayMs = 86400000;
  const int64_t local_from = from_ms + offset_ms;
  int64_t day = (local_from >= 0 ? local_from : local_from - kDayMs + 1) / kDayMs * kDayMs - offset_ms;
  std::vector<AvailableSlot> out;
  for (; day < to_ms && static_cast<int>(out.size()) < limit; day += kDayMs) {
    for (int minute = 0; minute < 24 * 60 && static_cast<int>(out.size()) < limit;
         minute += cfg.slots.slot_minutes) {
      const int64_t start = day + int64_t{minute} * 60000;
      if (start < from_ms || start >= to_ms) continue;
      if (!validate_slot(cfg.slots, from_unix_ms(start), duration, *clock_).ok()) continue;
      AvailableSlot slot{from_unix_ms(start), from_unix_ms(start + duration_ms), {}};
      for (int bay = 1; bay <= cfg.bays; ++bay) {
        bool taken = false;
        for (const Busy &b : busy)
          taken = taken || (b.bay == bay && b.start < start + duration_ms && b.end > start);
        if (!taken) slot.bays.push_back(bay);
      }
      if (!slot.bays.empty()) out.push_back(std::move(slot));
    }
  }
  return out;
}

Result<Appointment> AppointmentRepository::reschedule(Transaction &tx, int64_t id, WallTime new_start,
                                                      int new_bay) {
  VOXLINE_ASSIGN_OR_RETURN(Appointment a, get(tx, id));
  if (a.status != AppointmentStatus::kScheduled) {
    return failed_precondition(fmt::format("appointment {} is {}, only scheduled ones can move", id,
                                           appointment_status_name(a.status)));
  }
  VOXLINE_ASSIGN_OR_RETURN(ShopConfig cfg, ShopConfigRepository(*clock_).load(tx));
  VOXLINE_RETURN_IF_ERROR(check_bay(cfg, new_bay));
  // Keep the booked length if the service has since been retired from the menu.
  const ServiceType *service = cfg.find_service(a.service);
  const auto duration = service != nullptr
                            ? std::chrono::minutes(service->duration_minutes)
                            : std::chrono::duration_cast<std::chrono::minutes>(a.end - a.start);
  VOXLINE_RETURN_IF_ERROR(validate_slot(cfg.slots, new_start, duration, *clock_));
  const int64_t start = to_unix_ms(new_start);
  VOXLINE_ASSIGN_OR_RETURN(Savepoint sp, tx.savepoint());  // as in book()
  Result<int64_t> n = tx.execute(
      "UPDATE appointments SET bay = ?, start_ms = ?, end_ms = ?, updated_at_ms = ? WHERE id = ? "
      "AND status = 'scheduled'",
      {new_bay, start, start + duration.count() * 60000, to_unix_ms(clock_->wall_now()), id});
  if (!n.ok()) return overlap_conflict(n.status(), new_bay);
  if (*n == 0) return failed_precondition(fmt::format("appointment {} changed while moving it", id));
  VOXLINE_RETURN_IF_ERROR(sp.release());
  return get(tx, id);
}

Status AppointmentRepository::cancel(Transaction &tx, int64_t id) {
  return set_status(tx, id, AppointmentStatus::kCancelled);
}

Status AppointmentRepository::set_status(Transaction &tx, int64_t id, AppointmentStatus status) {
  if (status == AppointmentStatus::kScheduled) {
    return invalid_argument("an appointment cannot be set back to scheduled; book a new one");
  }
  VOXLINE_ASSIGN_OR_RETURN(int64_t n,
                           tx.execute("UPDATE appointments SET status = ?, updated_at_ms = ? "
                                      "WHERE id = ? AND status = 'scheduled'",
                                      {appointment_status_name(status), to_unix_ms(clock_->wall_now()), id}));
  if (n == 1) return Status::Ok();
  VOXLINE_ASSIGN_OR_RETURN(Appointment a, get(tx, id));  // NOT_FOUND when it does not exist
  return failed_precondition(
      fmt::format("appointment {} is {}, not scheduled", id, appointment_status_name(a.status)));
}

}  // namespace voxline
