"""Tokenizer: exact tiktoken-compatible token counts and ids (o200k_base, cl100k_base)."""

from __future__ import annotations

import ctypes
from typing import List, Sequence, Union

from . import _ffi
from ._errors import check
from ._handle import Handle

Text = Union[str, bytes]


def _utf8(text: Text) -> bytes:
    if isinstance(text, str):
        return text.encode("utf-8", "surrogatepass")
    if isinstance(text, (bytes, bytearray, memoryview)):
        return bytes(text)
    raise TypeError(f"text must be str or bytes, not {type(text).__name__}")


class Tokenizer(Handle):
    """A tokenizer by encoding ("o200k_base") or model name ("gpt-4o").

        with voxline.Tokenizer("gpt-4o") as tok:
            tok.count("hello world")      # 2
            tok.encode("hello world")     # [24912, 2375]

    Special-token text ("<|endoftext|>") is ordinary text. Thread-safety: count/encode/decode
    may run on several threads at once (the C calls release the GIL); a close() meanwhile lets
    running calls finish, later ones raise InvalidArgumentError. Raises NotFoundError for an
    unknown name."""

    def __init__(self, name: str = "o200k_base") -> None:
        super().__init__()
        check(_ffi.lib.voxline_tokenizer_open(ctypes.byref(self._ptr), name.encode("utf-8")))

    @staticmethod
    def _release(ptr: ctypes.c_void_p) -> None:
        _ffi.lib.voxline_tokenizer_free(ptr)

    @property
    def encoding(self) -> str:
        """The encoding name ("o200k_base")."""
        name = _ffi.lib.voxline_tokenizer_encoding(self._handle())
        if not name:
            check(-1)
        return name.decode("ascii")

    def count(self, text: Text) -> int:
        """Number of tokens of `text` (str as UTF-8, or raw bytes)."""
        data = _utf8(text)
        n = ctypes.c_size_t()
        check(_ffi.lib.voxline_tokenizer_count(self._handle(), data, len(data), ctypes.byref(n)))
        return n.value

    def encode(self, text: Text) -> List[int]:
        """The token ids of `text`."""
        data = _utf8(text)
        ids = ctypes.POINTER(ctypes.c_uint32)()
        n = ctypes.c_size_t()
        check(_ffi.lib.voxline_tokenizer_encode(self._handle(), data, len(data), ctypes.byref(ids), ctypes.byref(n)))
        try:
            return ids[: n.value] if n.value else []
        finally:
            _ffi.lib.voxline_tokens_free(ids)

    def decode_bytes(self, ids: Sequence[int]) -> bytes:
        """The bytes of `ids` (may end inside a UTF-8 character). InvalidArgumentError names an
        id outside the vocabulary."""
        arr = (ctypes.c_uint32 * len(ids))(*ids)
        needed = ctypes.c_size_t()
        handle = self._handle()
        status = _ffi.lib.voxline_tokenizer_decode(handle, arr, len(ids), None, 0, ctypes.byref(needed))
        if status != -5:  # BUFFER_TOO_SMALL is the expected answer to the size query
            check(status)
        buf = ctypes.create_string_buffer(needed.value + 1)
        check(_ffi.lib.voxline_tokenizer_decode(handle, arr, len(ids), buf, len(buf), ctypes.byref(needed)))
        return buf.raw[: needed.value]

    def decode(self, ids: Sequence[int]) -> str:
        """decode_bytes() as text; bytes that are not valid UTF-8 become U+FFFD."""
        return self.decode_bytes(ids).decode("utf-8", "replace")
