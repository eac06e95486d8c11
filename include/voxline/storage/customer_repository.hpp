// File: customer_repository.hpp
// CustomerRepository: customers and, for first-time callers, their vehicles in one step.
// Every method runs inside the caller's Transaction; a multi-row method uses a savepoint, so
// on error none of its rows remain even if the caller goes on and commits.
//
//   CustomerRepository customers(clock);
//   VOXLINE_ASSIGN_OR_RETURN(Transaction tx, db->begin());
//   VOXLINE_ASSIGN_OR_RETURN(std::optional<Customer> c, customers.find_by_phone(tx, "555.123.4567"));
//
// Errors: INVALID_ARGUMENT for bad input (with the validator's reason), CONFLICT when the phone
// (or a VIN) is taken, NOT_FOUND for an unknown id. A CONFLICT rolls back only that write (a
// savepoint), so the transaction stays usable on SQLite and PostgreSQL alike.
// Thread-safety: stateless apart from the clock; use from any thread with distinct transactions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "voxline/core/clock.hpp"
#include "voxline/storage/database.hpp"
#include "voxline/storage/models.hpp"

namespace voxline {

struct RegisteredCustomer {
  Customer customer;
  std::vector<Vehicle> vehicles;
};

class VOXLINE_API CustomerRepository {
 public:
  explicit CustomerRepository(const Clock &clock = Clock::system(), PhoneOptions phone = {})
      : clock_(&clock), phone_(std::move(phone)) {}

  Result<Customer> create(Transaction &tx, const NewCustomer &c);
  // The customer and all `vehicles` (their customer_id is set here), or nothing.
  Result<RegisteredCustomer> register_customer(Transaction &tx, const NewCustomer &c,
                                               const std::vector<NewVehicle> &vehicles);
  Result<Customer> get(Transaction &tx, int64_t id);
  // `phone` in any accepted format; std::nullopt when nobody has it.
  Result<std::optional<Customer>> find_by_phone(Transaction &tx, std::string_view phone);
  // Changes name and e-mail (std::nullopt e-mail clears it).
  Result<Customer> update_contact(Transaction &tx, int64_t id, const std::string &name,
                                  const std::optional<std::string> &email);
  Result<Customer> change_phone(Transaction &tx, int64_t id, std::string_view phone);
  // Deletes the customer with their vehicles and appointments (ON DELETE CASCADE); call logs
  // keep their rows with customer_id NULL.
  Status remove(Transaction &tx, int64_t id);

 private:
  const Clock *clock_;
  PhoneOptions phone_;
};

}  // namespace voxline
