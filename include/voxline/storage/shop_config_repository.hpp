// File: shop_config_repository.hpp
// ShopConfigRepository: the shop's bays, opening hours, slot length and services, saved as a
// whole (one savepoint: settings, hours and services change together or not at all).
//
//   ShopConfig cfg;
//   cfg.name = "Main Street Auto"; cfg.bays = 3; cfg.slots.slot_minutes = 30;
//   cfg.slots.hours = {{1, 8 * 60, 17 * 60}};  cfg.services = {{"oil_change", "Oil change", 30}};
//   VOXLINE_RETURN_IF_ERROR(ShopConfigRepository(clock).save(tx, cfg));
//
// Errors: INVALID_ARGUMENT for an invalid configuration (reason named), FAILED_PRECONDITION from
// load() when the shop was never configured.
// Thread-safety: as CustomerRepository.
#pragma once

#include "voxline/core/clock.hpp"
#include "voxline/storage/database.hpp"
#include "voxline/storage/models.hpp"

namespace voxline {

// Checks a configuration without touching the database.
VOXLINE_API Status validate_shop_config(const ShopConfig &config);

class VOXLINE_API ShopConfigRepository {
 public:
  explicit ShopConfigRepository(const Clock &clock = Clock::system()) : clock_(&clock) {}

  Result<ShopConfig> load(Transaction &tx);
  // Replaces the whole configuration. Services missing from `config` are removed.
  Status save(Transaction &tx, const ShopConfig &config);

 private:
  const Clock *clock_;
};

}  // namespace voxline
