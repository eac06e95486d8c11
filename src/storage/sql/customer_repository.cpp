// CustomerRepository: customers keyed by E.164 phone, with first-time registration of vehicles.
#include "voxline/storage/customer_repository.hpp"

#include <fmt/format.h>

#include "storage/sql/repo_util.hpp"
#include "voxline/storage/db_error.hpp"
#include "voxline/storage/vehicle_repository.hpp"

namespace voxline {

namespace {

Status phone_conflict(const Status &s, const std::string &phone) {
  if (violates(s, ConstraintKind::kUnique, "customers_phone_unique")) {
    return conflict(fmt::format("a customer with phone {} already exists", phone)).with_detail(s.detail());
  }
  return s;
}

}  // namespace

Result<Customer> CustomerRepository::create(Transaction &tx, const NewCustomer &c) {
  VOXLINE_ASSIGN_OR_RETURN(std::string name, detail::clean_text(c.name, "customer name", 200));
  Result<std::string> phone = normalize_phone(c.phone, phone_);
  if (!phone.ok()) return phone.status().with_context("customer phone");
  std::optional<std::string> email;
  VOXLINE_ASSIGN_OR_RETURN(std::optional<std::string> raw_email,
                           detail::clean_optional_text(c.email, "customer email", 254, false));
  if (raw_email) {
    Result<std::string> e = normalize_email(*raw_email);
    if (!e.ok()) return e.status().with_context("customer email");
    email = *e;
  }
  const int64_t now = to_unix_ms(clock_->wall_now());
  // A refused write (CONFLICT) rolls back to here, so the caller's transaction stays usable on
  // every backend (a failed statement aborts a whole PostgreSQL transaction).
  VOXLINE_ASSIGN_OR_RETURN(Savepoint sp, tx.savepoint());
  Result<std::optional<Row>> row = tx.query_row(
      "INSERT INTO customers (name, phone, email, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?) "
      "RETURNING id",
      {name, *phone, email, now, now});
  if (!row.ok()) return phone_conflict(row.status(), *phone);
  if (!*row) return internal_error("INSERT ... RETURNING gave no row");
  VOXLINE_ASSIGN_OR_RETURN(int64_t id, (*row)->get_int64("id"));
  VOXLINE_RETURN_IF_ERROR(sp.release());
  return get(tx, id);
}

Result<RegisteredCustomer> CustomerRepository::register_customer(Transaction &tx, const NewCustomer &c,
                                                                 const std::vector<NewVehicle> &vehicles) {
  // Savepoint: if a later row fails, the earlier ones go too, whatever the caller does next.
  VOXLINE_ASSIGN_OR_RETURN(Savepoint sp, tx.savepoint());
  RegisteredCustomer out;
  VOXLINE_ASSIGN_OR_RETURN(out.customer, create(tx, c));
  VehicleRepository vehicle_repo(*clock_);
  for (size_t i = 0; i < vehicles.size(); ++i) {
    NewVehicle v = vehicles[i];
    v.customer_id = out.customer.id;
    Result<Vehicle> added = vehicle_repo.add(tx, v);
    if (!added.ok()) return added.status().with_context(fmt::format("vehicle #{}", i + 1));
    out.vehicles.push_back(std::move(*added));
  }
  VOXLINE_RETURN_IF_ERROR(sp.release());
  return out;
}

Result<Customer> CustomerRepository::get(Transaction &tx, int64_t id) {
  VOXLINE_ASSIGN_OR_RETURN(
      std::optional<Row> row,
      tx.query_row(std::string("SELECT ") + detail::kCustomerColumns + " FROM customers WHERE id = ?", {id}));
  if (!row) return not_found(fmt::format("customer {} does not exist", id));
  return detail::customer_from_row(*row);
}

Result<std::optional<Customer>> CustomerRepository::find_by_phone(Transaction &tx, std::string_view phone) {
  Result<std::string> e164 = normalize_phone(phone, phone_);
  if (!e164.ok()) return e164.status().with_context("phone");
  VOXLINE_ASSIGN_OR_RETURN(
      std::optional<Row> row,
      tx.query_row(std::string("SELECT ") + detail::kCustomerColumns + " FROM customers WHERE phone = ?",
                   {*e164}));
  if (!row) return std::optional<Customer>();
  VOXLINE_ASSIGN_OR_RETURN(Customer c, detail::customer_from_row(*row));
  return std::optional<Customer>(std::move(c));
}

Result<Customer> CustomerRepository::update_contact(Transaction &tx, int64_t id, const std::string &name,
                                                    const std::optional<std::string> &email) {
  VOXLINE_ASSIGN_OR_RETURN(std::string clean_name, detail::clean_text(name, "customer name", 200));
  std::optional<std::string> clean_email;
  VOXLINE_ASSIGN_OR_RETURN(std::optional<std::string> raw_email,
                           detail::clean_optional_text(email, "customer email", 254, false));
  if (raw_email) {
    Result<std::string> e = normalize_email(*raw_email);
    if (!e.ok()) return e.status().with_context("customer email");
    clean_email = *e;
  }
  VOXLINE_ASSIGN_OR_RETURN(int64_t n,
                           tx.execute("UPDATE customers SET name = ?, email = ?, updated_at_ms = ? "
                                      "WHERE id = ?",
                                      {clean_name, clean_email, to_unix_ms(clock_->wall_now()), id}));
  if (n == 0) return not_found(fmt::format("customer {} does not exist", id));
  return get(tx, id);
}

Result<Customer> CustomerRepository::change_phone(Transaction &tx, int64_t id, std::string_view phone) {
  Result<std::string> e164 = normalize_phone(phone, phone_);
  if (!e164.ok()) return e164.status().with_context("customer phone");
  VOXLINE_ASSIGN_OR_RETURN(Savepoint sp, tx.savepoint());  // as in create()
  Result<int64_t> n = tx.execute("UPDATE customers SET phone = ?, updated_at_ms = ? WHERE id = ?",
                                 {*e164, to_unix_ms(clock_->wall_now()), id});
  if (!n.ok()) return phone_conflict(n.status(), *e164);
  if (*n == 0) return not_found(fmt::format("customer {} does not exist", id));
  VOXLINE_RETURN_IF_ERROR(sp.release());
  return get(tx, id);
}

Status CustomerRepository::remove(Transaction &tx, int64_t id) {
  VOXLINE_ASSIGN_OR_RETURN(int64_t n, tx.execute("DELETE FROM customers WHERE id = ?", {id}));
  if (n == 0) return not_found(fmt::format("customer {} does not exist", id));
  return Status::Ok();
}

}  // namespace voxline
