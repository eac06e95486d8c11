"""voxline.Tokenizer over the C ABI: ids and counts match tiktoken, misuse raises, never crashes."""

import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import voxline  # noqa: E402


class TokenizerTest(unittest.TestCase):
    def test_model_and_encoding_names_give_tiktoken_ids(self):
        with voxline.Tokenizer("gpt-4o") as tok:
            self.assertEqual(tok.encoding, "o200k_base")
            self.assertEqual(tok.encode("hello world"), [24912, 2375])
            self.assertEqual(tok.count("hello world"), 2)
        with voxline.Tokenizer("cl100k_base") as tok:
            self.assertEqual(tok.encode("hello world"), [15339, 1917])
        with voxline.Tokenizer("gpt-4") as tok:
            self.assertEqual(tok.encoding, "cl100k_base")

    def test_round_trip_of_unicode_and_of_invalid_utf8_bytes(self):
        with voxline.Tokenizer() as tok:
            text = "Grüße aus Köln — 東京 📞 at 09:30?"
            ids = tok.encode(text)
            self.assertEqual(len(ids), tok.count(text))
            self.assertEqual(tok.decode(ids), text)
            raw = b"caf\xc3 \xff\x00end"
            self.assertEqual(tok.decode_bytes(tok.encode(raw)), raw)
            self.assertEqual(tok.encode(""), [])
            self.assertEqual(tok.decode([]), "")

    def test_special_token_text_is_ordinary_text(self):
        with voxline.Tokenizer("o200k_base") as tok:
            self.assertGreater(tok.count("<|endoftext|>"), 1)

    def test_unknown_name_raises_not_found_with_the_library_message(self):
        with self.assertRaises(voxline.NotFoundError) as ctx:
            voxline.Tokenizer("gpt-9000")
        self.assertEqual(ctx.exception.code, -9)
        self.assertEqual(ctx.exception.status, "NOT_FOUND")
        self.assertIn("unknown model 'gpt-9000'", str(ctx.exception))

    def test_unknown_id_raises_invalid_argument(self):
        with voxline.Tokenizer() as tok:
            with self.assertRaises(voxline.InvalidArgumentError) as ctx:
                tok.decode([24912, 4_000_000_000])
            self.assertIn("4000000000", str(ctx.exception))

    def test_a_closed_tokenizer_raises_and_closing_twice_is_fine(self):
        tok = voxline.Tokenizer()
        tok.close()
        tok.close()
        self.assertTrue(tok.closed)
        with self.assertRaises(voxline.InvalidArgumentError) as ctx:
            tok.count("x")
        self.assertIn("NULL tokenizer handle", str(ctx.exception))
        with self.assertRaises(voxline.InvalidArgumentError):
            _ = tok.encoding
        with self.assertRaises(TypeError):
            voxline.Tokenizer().count(42)

    def test_threads_share_one_tokenizer_and_get_the_serial_answers(self):
        texts = [f"line {i}: the quick brown fox jumps over {i * 7} lazy dogs" * (i % 5 + 1) for i in range(200)]
        with voxline.Tokenizer() as tok:
            expected = [tok.count(t) for t in texts]
            results = [None] * 4
            errors = []

            def work(slot):
                try:
                    results[slot] = [tok.count(t) for t in texts]
                except Exception as exc:  # reported below, not swallowed
                    errors.append(exc)

            threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(errors, [])
            self.assertEqual(results, [expected] * 4)


if __name__ == "__main__":
    unittest.main()
