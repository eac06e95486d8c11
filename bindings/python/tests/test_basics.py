"""Loads the freshly built libvoxline through ctypes (VOXLINE_LIBRARY) and checks the C ABI."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import voxline  # noqa: E402


class BasicsTest(unittest.TestCase):
    def test_version_matches_semver(self):
        self.assertRegex(voxline.version(), r"^\d+\.\d+\.\d+$")

    def test_status_names_match_the_c_header(self):
        header = os.path.join(os.path.dirname(__file__), "..", "..", "..", "capi", "voxline.h")
        with open(header, encoding="utf-8") as f:
            declared = dict(
                (int(value), name)
                for name, value in re.findall(r"VOXLINE_E_([A-Z_]+) = (-\d+)", f.read())
            )
        self.assertEqual(declared, voxline.STATUS_CODES)
        for code, name in voxline.STATUS_CODES.items():
            self.assertEqual(voxline.status_str(code), name)
        self.assertEqual(voxline.status_str(12345), "UNKNOWN")

    def test_check_raises_the_specific_error_class(self):
        self.assertIsNone(voxline.check(0))
        with self.assertRaises(voxline.TimeoutError) as ctx:
            voxline.check(-2, "connect took too long")
        self.assertEqual(ctx.exception.code, -2)
        self.assertIn("connect", str(ctx.exception))
        self.assertTrue(issubclass(voxline.ConflictError, voxline.VoxlineError))
        with self.assertRaises(voxline.VoxlineError):
            voxline.check(-777)


    def test_a_failed_call_raises_with_the_library_message(self):
        with self.assertRaises(voxline.InvalidArgumentError) as ctx:
            voxline.set_log_level(42)
        self.assertEqual(ctx.exception.code, -1)
        self.assertIn("unknown log level 42", str(ctx.exception))
        self.assertIn("unknown log level 42", voxline.last_error_message())

    def test_set_log_level_accepts_every_level(self):
        for level in (voxline.LOG_TRACE, voxline.LOG_ERROR, voxline.LOG_OFF, voxline.LOG_WARN):
            self.assertIsNone(voxline.set_log_level(level))


if __name__ == "__main__":
    unittest.main()
