// File: appointment_repository.hpp
// AppointmentRepository: booking, listing, moving and cancelling appointments. A booking is
// checked against the shop configuration (service known, bay in range, slot inside opening
// hours, aligned, not in the past on the injected Clock); the database itself refuses any
// overlap with a live appointment in the same bay (CONFLICT), atomically across threads and
// processes, on SQLite and PostgreSQL alike. A refused book() or reschedule() rolls back only
// its own write (a savepoint): the caller's transaction stays usable on both backends.
//
//   AppointmentRepository appointments(clock);
//   NewAppointment a{customer.id, vehicle.id, "oil_change", 2, start, std::nullopt};
//   Result<Appointment> booked = appointments.book(tx, a);   // CONFLICT if bay 2 is taken then
//
// Thread-safety: as CustomerRepository.
#pragma once

#include <optional>
#include <vector>

#include "voxline/core/clock.hpp"
#include "voxline/storage/database.hpp"
#include "voxline/storage/models.hpp"

namespace voxline {

// A bookable start time for a service and the bays free for its whole duration.
struct AvailableSlot {
  WallTime start;
  WallTime end;
  std::vector<int> bays;  // ascending, never empty
};

class VOXLINE_API AppointmentRepository {
 public:
  explicit AppointmentRepository(const Clock &clock = Clock::system()) : clock_(&clock) {}

  Result<Appointment> book(Transaction &tx, const NewAppointment &a);
  Result<Appointment> get(Transaction &tx, int64_t id);
  // Appointments of a customer starting at or after `from`, earliest first.
  Result<std::vector<Appointment>> list_for_customer(Transaction &tx, int64_t customer_id, WallTime from);
  // Appointments (any status) starting in [from, to), earliest first, at most `limit`.
  Result<std::vector<Appointment>> list_in_range(Transaction &tx, WallTime from, WallTime to,
                                                 int limit = 500);
  // Start times in [from, to) where `service` could be booked now (on the grid, inside opening
  // hours, not in the past), each with its free bays; earliest first, at most `limit`. The range
  // may span at most 14 days.
  Result<std::vector<AvailableSlot>> available_slots(Transaction &tx, WallTime from, WallTime to,
                                                     std::string_view service, int limit = 50);
  // Bays with no live appointment overlapping [start, start + duration).
  Result<std::vector<int>> free_bays(Transaction &tx, WallTime start, std::chrono::minutes duration);
  // Moves a scheduled appointment to a new start (and bay), with the same checks as book().
  Result<Appointment> reschedule(Transaction &tx, int64_t id, WallTime new_start, int new_bay);
  // scheduled -> cancelled; FAILED_PRECONDITION when it is not scheduled.
  Status cancel(Transaction &tx, int64_t id);
  // scheduled -> completed / no_show / cancelled.
  Status set_status(Transaction &tx, int64_t id, AppointmentStatus status);

 private:
  const Clock *clock_;
};

}  // namespace voxline
