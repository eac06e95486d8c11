// File: vehicle_repository.hpp
// VehicleRepository: a customer's vehicles, keyed by a validated VIN.
//
//   VehicleRepository vehicles(clock);
//   VOXLINE_ASSIGN_OR_RETURN(Vehicle v, vehicles.add(tx, {customer.id, "1M8GDM9AXKP042788", 1989, "Ford",
//   "F-150"}));
//
// Errors: INVALID_ARGUMENT (VIN length, I/O/Q, check digit, year, empty make/model), CONFLICT
// (VIN already registered), NOT_FOUND (unknown customer or vehicle).
// Thread-safety: as CustomerRepository.
#pragma once

#include <optional>
#include <vector>

#include "voxline/core/clock.hpp"
#include "voxline/storage/database.hpp"
#include "voxline/storage/models.hpp"

namespace voxline {

class VOXLINE_API VehicleRepository {
 public:
  explicit VehicleRepository(const Clock &clock = Clock::system()) : clock_(&clock) {}

  Result<Vehicle> add(Transaction &tx, const NewVehicle &v);
  Result<Vehicle> get(Transaction &tx, int64_t id);
  Result<std::optional<Vehicle>> find_by_vin(Transaction &tx, std::string_view vin);
  Result<std::vector<Vehicle>> list_for_customer(Transaction &tx, int64_t customer_id);
  // Appointments of the vehicle keep their rows with vehicle_id NULL.
  Status remove(Transaction &tx, int64_t id);

 private:
  const Clock *clock_;
};

}  // namespace voxline
