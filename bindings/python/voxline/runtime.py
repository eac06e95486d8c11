"""Runtime: the network engine (slot threads) that sessions run on."""

from __future__ import annotations

import ctypes
from typing import Optional

from . import _ffi
from ._errors import check
from ._handle import Handle


class Runtime(Handle):
    """Starts `slots` slot threads (1..16; default 1); close() ends every connection and joins
    them. Usually one per process.

        with voxline.Runtime(slots=2) as rt:
            assert rt.slot_count == 2
    """

    def __init__(self, slots: Optional[int] = None) -> None:
        super().__init__()
        opts = _ffi.RuntimeOptions()
        check(_ffi.lib.voxline_runtime_options_init(ctypes.byref(opts), _ffi.RUNTIME_OPTIONS_VERSION))
        if slots is not None:
            opts.slots = slots
        check(_ffi.lib.voxline_runtime_create(ctypes.byref(self._ptr), ctypes.byref(opts)))

    @staticmethod
    def _release(ptr: ctypes.c_void_p) -> None:
        _ffi.lib.voxline_runtime_destroy(ptr)

    @property
    def slot_count(self) -> int:
        n = ctypes.c_int()
        check(_ffi.lib.voxline_runtime_slot_count(self._handle(), ctypes.byref(n)))
        return n.value
