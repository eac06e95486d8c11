"""voxline.Database (SQLite) and voxline.SessionStore (memory, unreachable Redis) over the C ABI."""

import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import voxline  # noqa: E402


class DatabaseTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="voxline-py-db-")
        self.path = os.path.join(self.dir.name, "shop.db")

    def tearDown(self):
        self.dir.cleanup()

    def test_open_reports_healthy_json_and_schema_version_zero(self):
        with voxline.Database(self.path, pool_size=2, busy_timeout_ms=200) as db:
            report = db.health()
            self.assertTrue(report["ok"])
            self.assertEqual(report["checks"][0]["component"], "storage.sqlite")
            self.assertEqual(report["version"], voxline.version())
            self.assertEqual(db.schema_version, 0)
        self.assertTrue(os.path.exists(self.path))

    def test_bad_targets_raise_the_specific_errors(self):
        with self.assertRaises(voxline.UnavailableError) as refused:
            voxline.Database("postgres://shop:pw-not-shown@127.0.0.1:1/shop?connect_timeout=2")
        self.assertNotIn("pw-not-shown", str(refused.exception))
        with self.assertRaises(voxline.InvalidArgumentError) as ctx:
            voxline.Database("ftp://x/y.db")
        self.assertIn("scheme 'ftp'", str(ctx.exception))
        with self.assertRaises(voxline.InvalidArgumentError):
            voxline.Database(self.path, pool_size=0)
        garbage = os.path.join(self.dir.name, "garbage.db")
        with open(garbage, "wb") as f:
            f.write(b"not a database " * 100)
        with self.assertRaises(voxline.VoxlineError) as ctx:
            voxline.Database(garbage)
        self.assertNotEqual(str(ctx.exception), "")

    def test_closing_while_other_threads_call_lets_them_finish_or_raise(self):
        import threading

        db = voxline.Database(self.path)
        outcomes = []
        started = threading.Event()

        def work():
            for _ in range(2000):
                try:
                    outcomes.append(db.health()["ok"])
                except voxline.InvalidArgumentError:
                    outcomes.append("closed")
                    return
                started.set()

        threads = [threading.Thread(target=work) for _ in range(3)]
        for t in threads:
            t.start()
        self.assertTrue(started.wait(10))
        db.close()
        for t in threads:
            t.join()
        self.assertIn(True, outcomes)
        self.assertEqual(outcomes.count("closed"), 3)
        self.assertEqual(set(outcomes), {True, "closed"})

    def test_a_closed_database_raises(self):
        db = voxline.Database(self.path)
        db.close()
        db.close()
        with self.assertRaises(voxline.InvalidArgumentError) as ctx:
            db.health()
        self.assertIn("NULL database handle", str(ctx.exception))


class MemorySessionStoreTest(unittest.TestCase):
    def test_put_get_versions_and_delete(self):
        with voxline.SessionStore("memory://") as store:
            self.assertTrue(store.health()["ok"])
            v = store.put("call-1", {"step": 1, "name": "Ana"}, ttl_ms=60_000, expected_version=voxline.NEW_SESSION)
            self.assertEqual(v, 1)
            doc = store.get("call-1")
            self.assertEqual(doc.value, {"step": 1, "name": "Ana"})
            self.assertEqual(doc.json, '{"step":1,"name":"Ana"}')
            self.assertEqual(doc.version, 1)
            self.assertTrue(0 < doc.ttl_remaining_ms <= 60_000)
            with self.assertRaises(voxline.ConflictError):
                store.put("call-1", {"step": 9}, ttl_ms=60_000, expected_version=voxline.NEW_SESSION)
            self.assertEqual(store.put("call-1", '{"step": 2}', ttl_ms=60_000, expected_version=1), 2)
            with self.assertRaises(voxline.ConflictError):
                store.put("call-1", {"step": 3}, ttl_ms=60_000, expected_version=1)
            self.assertEqual(store.put("call-1", {"step": 4}, ttl_ms=60_000), 3)
            store.delete("call-1")
            with self.assertRaises(voxline.NotFoundError):
                store.get("call-1")
            with self.assertRaises(voxline.NotFoundError):
                store.delete("call-1")

    def test_documents_expire_after_their_ttl(self):
        with voxline.SessionStore() as store:
            store.put("call-ttl", {"a": True}, ttl_ms=50)
            time.sleep(0.2)
            with self.assertRaises(voxline.NotFoundError):
                store.get("call-ttl")

    def test_bad_arguments_raise_invalid_argument(self):
        with voxline.SessionStore() as store:
            for call_id, doc, ttl, timeout in (
                ("bad id", {}, 1000, 1000),
                ("call-2", "[1, 2]", 1000, 1000),
                ("call-2", '{"open"', 1000, 1000),
                ("call-2", {}, 0, 1000),
                ("call-2", {}, 1000, 0),
            ):
                with self.subTest(call_id=call_id, doc=doc, ttl=ttl, timeout=timeout):
                    with self.assertRaises(voxline.InvalidArgumentError):
                        store.put(call_id, doc, ttl_ms=ttl, timeout_ms=timeout)
        with self.assertRaises(voxline.InvalidArgumentError):
            voxline.SessionStore("foo://bar")
        with self.assertRaises(voxline.UnsupportedError):
            voxline.SessionStore("rediss://h:6380")

    def test_an_unreachable_redis_fails_within_the_timeout_and_reports_unhealthy(self):
        voxline.set_log_level(voxline.LOG_OFF)  # the reconnect warnings are expected here
        try:
            with voxline.SessionStore("redis://127.0.0.1:1", key_prefix="py") as store:
                started = time.monotonic()
                with self.assertRaises(voxline.UnavailableError):
                    store.get("call-1", timeout_ms=300)
                self.assertLess(time.monotonic() - started, 5)
                self.assertFalse(store.health(timeout_ms=300)["ok"])
        finally:
            voxline.set_log_level(voxline.LOG_WARN)

    def test_a_closed_store_raises(self):
        store = voxline.SessionStore()
        store.close()
        with store:
            pass
        with self.assertRaises(voxline.InvalidArgumentError) as ctx:
            store.get("call-1")
        self.assertIn("NULL session store handle", str(ctx.exception))


if __name__ == "__main__":
    unittest.main()
