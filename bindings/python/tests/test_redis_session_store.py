"""voxline.SessionStore against a real redis-server ($VOXLINE_TEST_REDIS_URL, set by
tests/capi/with_redis for the ctest python.bindings_unittest_with_redis; skipped without it)."""

import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import voxline  # noqa: E402

REDIS_URL = os.environ.get("VOXLINE_TEST_REDIS_URL", "")


@unittest.skipUnless(REDIS_URL, "VOXLINE_TEST_REDIS_URL is not set (run under tests/capi/with_redis)")
class RedisSessionStoreTest(unittest.TestCase):
    def setUp(self):
        self.prefix = "py-" + uuid.uuid4().hex[:8]

    def test_two_handles_share_documents_under_one_prefix_only(self):
        with voxline.SessionStore(REDIS_URL, key_prefix=self.prefix, pool_size=2) as a, \
                voxline.SessionStore(REDIS_URL, key_prefix=self.prefix) as b, \
                voxline.SessionStore(REDIS_URL, key_prefix=self.prefix + "-other") as other:
            self.assertTrue(a.health()["ok"])
            self.assertEqual(a.health()["checks"][0]["component"], "storage.session_store.redis")
            self.assertEqual(a.put("call-1", {"step": 1}, ttl_ms=60_000, expected_version=voxline.NEW_SESSION), 1)
            doc = b.get("call-1")
            self.assertEqual((doc.value, doc.version), ({"step": 1}, 1))
            with self.assertRaises(voxline.ConflictError):
                b.put("call-1", {"step": 2}, ttl_ms=60_000, expected_version=voxline.NEW_SESSION)
            self.assertEqual(b.put("call-1", {"step": 2}, ttl_ms=60_000, expected_version=1), 2)
            self.assertEqual(a.get("call-1").value, {"step": 2})
            with self.assertRaises(voxline.NotFoundError):
                other.get("call-1")
            a.delete("call-1")
            with self.assertRaises(voxline.NotFoundError):
                b.get("call-1")


if __name__ == "__main__":
    unittest.main()
