"""The base of every handle wrapper: a context manager that releases its C handle exactly once."""

from __future__ import annotations

import ctypes
from typing import Any, Optional


class Handle:
    """Owns one C handle. close() (or leaving a `with` block, or garbage collection) releases it
    once; afterwards the wrapper passes NULL, so calls raise InvalidArgumentError from the
    library ("NULL ... handle") instead of touching freed memory."""

    def __init__(self) -> None:
        self._ptr = ctypes.c_void_p()

    @property
    def closed(self) -> bool:
        return not self._ptr.value

    def close(self) -> None:
        """Releases the C handle; calling it again does nothing."""
        ptr = getattr(self, "_ptr", None)
        if ptr is not None and ptr.value:
            self._ptr = ctypes.c_void_p()
            self._release(ptr)

    @staticmethod
    def _release(ptr: ctypes.c_void_p) -> None:
        raise NotImplementedError

    def __enter__(self) -> "Handle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown may have torn down the ctypes module already
            pass

    def _handle(self) -> Optional[ctypes.c_void_p]:
        return self._ptr if self._ptr.value else None
