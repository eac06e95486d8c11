// runtime_options_from: the part of the process Config that configures the network Runtime.
#include "voxline/core/config.hpp"
#include "voxline/net/runtime.hpp"

namespace voxline {

RuntimeOptions runtime_options_from(const Config &config) {
  RuntimeOptions o;
  o.slots = config.slots;
  o.io_coalesce = std::chrono::microseconds(config.io_coalesce_us);
  o.tls.ca_file = config.tls_ca_file;
  o.tls.insecure_skip_verify = config.tls_insecure_skip_verify;
  return o;
}

}  // namespace voxline
