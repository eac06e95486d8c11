"""voxline.Runtime over the C ABI."""

import os
import sys
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


if __name__ == "__main__":
    unittest.main()
