"""Runtime: the network engine (slot threads) that sessions run on."""

from __future__ import annotations

import ctypes
import json as _json
from typing import Any, Dict, Optional

from . import _ffi
from ._errors import check
from ._handle import Handle


class Runtime(Handle):
    """Starts `slots` slot threads (1..16; default 1); close() ends every connection and joins
    them. Usually one per process.

        with voxline.Runtime(slots=2) as rt:
            assert rt.slot_count == 2
            assert rt.health()["ok"]
            gauges = rt.metrics_json()["gauges"]     # {"voxline_net_ws_connections_open": 0, ...}

    Thread-safety: every method may run on several threads at once."""

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

    def metrics_json(self) -> Dict[str, Any]:
        """The metrics the runtime reports into (the process-wide registry), parsed:
        {"counters": {"name{label=\"v\"}": int, ...}, "gauges": {...}, "histograms":
        {"name": {"count": .., "sum": .., "p50": .., "p90": .., "p99": ..}}}."""
        out = ctypes.c_void_p()
        check(_ffi.lib.voxline_runtime_metrics_json(self._handle(), ctypes.byref(out)))
        return _json.loads(_ffi.take_string(out))

    def metrics_prometheus(self) -> str:
        """The same metrics as Prometheus text exposition format 0.0.4, for a /metrics endpoint."""
        out = ctypes.c_void_p()
        check(_ffi.lib.voxline_runtime_metrics_prometheus(self._handle(), ctypes.byref(out)))
        return _ffi.take_string(out)

    def health(self, timeout_ms: int = 0) -> Dict[str, Any]:
        """Probes every slot thread (a posted task must run) and the DNS resolver within
        timeout_ms (0 = 1 s) and returns the report: {"ok": bool, "version": str, "checks":
        [{"component": "core.clock" | "net.slot.<i>" | "net.dns", "ok": ..., "detail": ...,
        "latency_ms": ...}]}. A blocked slot is "ok": False, never a hang or an exception."""
        out = ctypes.c_void_p()
        check(_ffi.lib.voxline_runtime_health_json(self._handle(), timeout_ms, ctypes.byref(out)))
        return _json.loads(_ffi.take_string(out))
