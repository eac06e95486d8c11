// File: runtime_health.hpp
// Health of a Runtime, probed for real: every slot must run a task posted to it, and the DNS
// resolver must answer "localhost", before one deadline. A wedged slot (a callback that blocks),
// a slot whose task queue is full or that has shut down, and a resolver stuck in a lookup each
// fail their own check; the detail says which and why.
//
//   HealthReport r = runtime_health_report(*rt, Deadline::after(std::chrono::seconds(1)));
//   if (!r.ok()) alert(r.to_text());   // "FAIL  net.slot.1  no answer to a posted task within 1000 ms ..."
//   health.add("net.runtime", std::chrono::seconds(1), runtime_health_probe(*rt));  // one check
//
// Checks: "net.slot.<i>" for each slot (latency: post to run), "net.dns" (latency: ask to answer;
// an answer from the resolver's cache counts, as connects use it too).
// Timing: the tasks and the lookup start together and are awaited until the same deadline, so
// any number of wedged slots costs one timeout, never more; the call never waits past it. An
// answer that comes later lands in state shared with the task and is ignored.
// Threading: any thread. On a slot thread, that slot's check passes at once (its loop is running
// the caller); the call still blocks that slot while it waits for the others, so prefer a host
// thread.
// Lifetime: `runtime` must outlive the call (the probe: every run of it).
#pragma once

#include "voxline/core/deadline.hpp"
#include "voxline/core/export.hpp"
#include "voxline/core/health.hpp"

namespace voxline {

class Runtime;

// One check per slot plus "net.dns", answered before `deadline` (see above).
VOXLINE_API HealthReport runtime_health_report(Runtime &runtime, const Deadline &deadline);

// runtime_health_report folded into one check for a HealthRegistry: ok when every check passed;
// the detail names the failing ones ("net.slot.1: no answer ...; net.dns: ...").
VOXLINE_API HealthProbe runtime_health_probe(Runtime &runtime);

}  // namespace voxline
