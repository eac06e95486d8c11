"""Python bindings for voxline over its C ABI (ctypes).

    import voxline
    print(voxline.version())
    voxline.set_log_level(voxline.LOG_ERROR)   # raises voxline.InvalidArgumentError for a bad level

    with voxline.Tokenizer("gpt-4o") as tok:
        n = tok.count("hello world")
    with voxline.Database("shop.db") as db, voxline.SessionStore("memory://") as store:
        store.put("call-1", {"step": 1}, ttl_ms=60_000)
    with voxline.Runtime(slots=1) as rt:
        ...

Every error raised for a failed C call is a VoxlineError subclass (NotFoundError,
InvalidArgumentError, ...) carrying the status `code` and voxline_last_error_message() as its
text. Handles are context managers; a closed handle raises InvalidArgumentError.
The library is found through $VOXLINE_LIBRARY, beside this package, or the system loader path.

Logging: the library never prints to stderr. Its log lines (WARN and above by default; see
set_log_level) are dropped and counted in the metric voxline_log_dropped_total{level=...}, which
Runtime.metrics_json()["counters"] shows; this package does not install a log sink.
"""

from __future__ import annotations

from . import _ffi
from ._errors import ERRORS as _ERRORS
from ._errors import OK, STATUS_CODES, VoxlineError, check, last_error_message, status_str
from .runtime import Runtime
from .storage import ANY_VERSION, NEW_SESSION, Database, SessionDocument, SessionStore
from .tokenizer import Tokenizer

# voxline_log_level values; identical to capi/voxline.h.
LOG_TRACE, LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF = range(6)

# InvalidArgumentError, TimeoutError, NotFoundError, ... (one class per status code).
# Note: voxline.TimeoutError is not the builtin TimeoutError.
globals().update({cls.__name__: cls for cls in _ERRORS.values()})


def version() -> str:
    """The library version string, e.g. "0.2.0"."""
    return _ffi.lib.voxline_version().decode("utf-8")


def set_log_level(level: int) -> None:
    """Drops library log lines below `level` (LOG_TRACE..LOG_OFF; default LOG_WARN)."""
    check(_ffi.lib.voxline_log_set_level(int(level)))


__all__ = [
    "ANY_VERSION", "NEW_SESSION", "OK", "STATUS_CODES", "Database", "Runtime", "SessionDocument", "SessionStore",
    "Tokenizer", "VoxlineError", "check", "last_error_message", "set_log_level", "status_str", "version",
    "LOG_TRACE", "LOG_DEBUG", "LOG_INFO", "LOG_WARN", "LOG_ERROR", "LOG_OFF",
] + [cls.__name__ for cls in _ERRORS.values()]
