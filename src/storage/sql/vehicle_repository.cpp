// VehicleRepository: vehicles with validated VINs, owned by a customer.
#include "voxline/storage/vehicle_repository.hpp"

#include <fmt/format.h>

#include "storage/sql/repo_util.hpp"
#include "voxline/storage/db_error.hpp"

namespace voxline {

Result<Vehicle> VehicleRepository::add(Transaction &tx, const NewVehicle &v) {
  Result<std::string> vin = normalize_vin(v.vin);
  if (!vin.ok()) return vin.status().with_context("vehicle VIN");
  // 17-character VINs exist since model year 1981; 2100 bounds typos.
  if (v.year < 1981 || v.year > 2100) {
    return invalid_argument(fmt::format("vehicle year {} is outside 1981..2100", v.year));
  }
  VOXLINE_ASSIGN_OR_RETURN(std::string make, detail::clean_text(v.make, "vehicle make", 60));
  VOXLINE_ASSIGN_OR_RETURN(std::string model, detail::clean_text(v.model, "vehicle model", 60));
  VOXLINE_ASSIGN_OR_RETURN(std::optional<Row> owner,
                           tx.query_row("SELECT id FROM customers WHERE id = ?", {v.customer_id}));
  if (!owner) return not_found(fmt::format("customer {} does not exist", v.customer_id));
  // A refused write (CONFLICT) rolls back to here, so the caller's transaction stays usable on
  // every backend (a failed statement aborts a whole PostgreSQL transaction).
  VOXLINE_ASSIGN_OR_RETURN(Savepoint sp, tx.savepoint());
  Result<std::optional<Row>> row = tx.query_row(
      "INSERT INTO vehicles (customer_id, vin, year, make, model, created_at_ms) VALUES (?, ?, ?, ?, ?, ?) "
      "RETURNING id",
      {v.customer_id, *vin, v.year, make, model, to_unix_ms(clock_->wall_now())});
  if (!row.ok()) {
    if (violates(row.status(), ConstraintKind::kUnique, "vehicles_vin_unique")) {
      return conflict(fmt::format("a vehicle with VIN {} is already registered", *vin))
          .with_detail(row.status().detail());
    }
    return row.status();
  }
  if (!*row) return internal_error("INSERT ... RETURNING gave no row");
  VOXLINE_ASSIGN_OR_RETURN(int64_t id, (*row)->get_int64("id"));
  VOXLINE_RETURN_IF_ERROR(sp.release());
  return get(tx, id);
}

Result<Vehicle> VehicleRepository::get(Transaction &tx, int64_t id) {
  VOXLINE_ASSIGN_OR_RETURN(
      std::optional<Row> row,
      tx.query_row(std::string("SELECT ") + detail::kVehicleColumns + " FROM vehicles WHERE id = ?", {id}));
  if (!row) return not_found(fmt::format("vehicle {} does not exist", id));
  return detail::vehicle_from_row(*row);
}

Result<std::optional<Vehicle>> VehicleRepository::find_by_vin(Transaction &tx, std::string_view vin) {
  Result<std::string> clean = normalize_vin(vin);
  if (!clean.ok()) return clean.status().with_context("VIN");
  VOXLINE_ASSIGN_OR_RETURN(
      std::optional<Row> row,
      tx.query_row(std::string("SELECT ") + detail::kVehicleColumns + " FROM vehicles WHERE vin = ?",
                   {*clean}));
  if (!row) return std::optional<Vehicle>();
  VOXLINE_ASSIGN_OR_RETURN(Vehicle v, detail::vehicle_from_row(*row));
  return std::optional<Vehicle>(std::move(v));
}

Result<std::vector<Vehicle>> VehicleRepository::list_for_customer(Transaction &tx, int64_t customer_id) {
  VOXLINE_ASSIGN_OR_RETURN(Rows rows, tx.query(std::string("SELECT ") + detail::kVehicleColumns +
                                                   " FROM vehicles WHERE customer_id = ? ORDER BY id",
                                               {customer_id}));
  std::vector<Vehicle> out;
  for (const Row &r : rows) {
    VOXLINE_ASSIGN_OR_RETURN(Vehicle v, detail::vehicle_from_row(r));
    out.push_back(std::move(v));
  }
  return out;
}

Status VehicleRepository::remove(Transaction &tx, int64_t id) {
  VOXLINE_ASSIGN_OR_RETURN(int64_t n, tx.execute("DELETE FROM vehicles WHERE id = ?", {id}));
  if (n == 0) return not_found(fmt::format("vehicle {} does not exist", id));
  return Status::Ok();
}

}  // namespace voxline
