// The SessionStore contract on MemorySessionStore, with a ManualClock driving every expiry.
#include <memory>

#include <doctest/doctest.h>

#include "unit/session_store/session_store_contract.hpp"
#include "voxline/core/clock.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/storage/memory_session_store.hpp"

namespace voxline::testing {
namespace {

class MemoryHarness final : public StoreHarness {
 public:
  MemoryHarness() {
    MemorySessionStoreOptions options;
    options.clock = &clock_;
    options.metrics = &metrics_;
    store_ = std::make_unique<MemorySessionStore>(options);
  }
  SessionStore &store() override { return *store_; }
  void let_time_pass(Duration d) override { clock_.advance(d); }
  Millis short_ttl() const override { return Millis(1000); }

 private:
  ManualClock clock_;
  MetricsRegistry metrics_;
  std::unique_ptr<MemorySessionStore> store_;
};

struct MemoryHarnessFactory {
  static std::unique_ptr<StoreHarness> make() { return std::make_unique<MemoryHarness>(); }
};

#define X(fn, name)                                    \
  TEST_CASE("memory: " name) {                         \
    run_contract<MemoryHarnessFactory>(&contract::fn); \
  }
VOXLINE_SESSION_STORE_CONTRACT_CASES(X)
#undef X

}  // namespace
}  // namespace voxline::testing
