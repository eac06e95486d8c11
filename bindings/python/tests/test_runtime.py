"""voxline.Runtime over the C ABI."""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import voxline  # noqa: E402


class RuntimeTest(unittest.TestCase):
    def test_slot_count_follows_the_option(self):
        with voxline.Runtime() as rt:
            self.assertEqual(rt.slot_count, 1)
        with voxline.Runtime(slots=3) as rt:
            self.assertEqual(rt.slot_count, 3)

    def test_slots_out_of_range_raise_invalid_argument(self):
        for slots in (0, 17, -1):
            with self.subTest(slots=slots):
                with self.assertRaises(voxline.InvalidArgumentError):
                    voxline.Runtime(slots=slots)

    def test_a_destroyed_runtime_raises(self):
        rt = voxline.Runtime()
        rt.close()
        rt.close()
        with self.assertRaises(voxline.InvalidArgumentError) as ctx:
            _ = rt.slot_count
        self.assertIn("NULL runtime handle", str(ctx.exception))

    def test_health_reports_every_slot_and_the_resolver(self):
        with voxline.Runtime(slots=2) as rt:
            report = rt.health(timeout_ms=5000)
        self.assertTrue(report["ok"], report)
        self.assertEqual(report["version"], voxline.version())
        by_component = {c["component"]: c for c in report["checks"]}
        self.assertEqual(set(by_component), {"core.clock", "net.slot.0", "net.slot.1", "net.dns"})
        self.assertIn("ran a posted task", by_component["net.slot.1"]["detail"])
        self.assertIn("resolved localhost", by_component["net.dns"]["detail"])

    def test_metrics_count_what_the_runtime_did(self):
        def dns_answers(m):
            counters = m["counters"]
            return counters["voxline_net_dns_lookups_total"] + counters["voxline_net_dns_cache_hits_total"]

        with voxline.Runtime() as rt:
            before = rt.metrics_json()
            self.assertEqual(before["gauges"]["voxline_net_ws_connections_open"], 0)
            rt.health(timeout_ms=5000)  # resolves localhost once
            after = rt.metrics_json()
            self.assertEqual(dns_answers(after), dns_answers(before) + 1)
            text = rt.metrics_prometheus()
        self.assertIn("# TYPE voxline_net_dns_lookups_total counter\n", text)
        self.assertIn("\nvoxline_net_ws_connections_open 0\n", text)

    def test_metrics_and_health_of_a_closed_runtime_raise(self):
        rt = voxline.Runtime()
        rt.close()
        for call in (rt.metrics_json, rt.metrics_prometheus, rt.health):
            with self.subTest(call=call.__name__):
                with self.assertRaises(voxline.InvalidArgumentError):
                    call()

    def test_a_timeout_over_one_day_raises_invalid_argument(self):
        with voxline.Runtime() as rt:
            with self.assertRaises(voxline.InvalidArgumentError) as ctx:
                rt.health(timeout_ms=2 * 24 * 3600 * 1000)
        self.assertIn("timeout_ms", str(ctx.exception))

    def test_library_warnings_are_dropped_and_counted_never_printed_to_stderr(self):
        key = 'voxline_log_dropped_total{level="warn"}'
        with voxline.Runtime() as rt, tempfile.TemporaryFile() as captured:
            before = rt.metrics_json()["counters"][key]
            sys.stderr.flush()
            saved = os.dup(2)
            os.dup2(captured.fileno(), 2)
            try:
                with voxline.SessionStore("redis://127.0.0.1:1") as store:  # nothing listens on port 1
                    with self.assertRaises(voxline.UnavailableError):
                        store.get("call-1", timeout_ms=500)  # the refused connect logs one WARN line
            finally:
                os.dup2(saved, 2)
                os.close(saved)
            after = rt.metrics_json()["counters"][key]
            captured.seek(0)
            self.assertEqual(captured.read(), b"")
        self.assertEqual(after, before + 1)


if __name__ == "__main__":
    unittest.main()
