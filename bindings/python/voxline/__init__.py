"""Python bindings for voxline over its C ABI (ctypes).

    import voxline
    print(voxline.version())
    voxline.set_log_level(voxline.LOG_ERROR)   # raises voxline.InvalidArgumentError for a bad level
    voxline.check(code)   # raises the VoxlineError subclass for a failing voxline_status

Every error raised for a failed C call carries voxline_last_error_message() as its text.
"""

from . import _ffi

# voxline_status values; identical to capi/voxline.h (never renumbered, only appended).
OK = 0
STATUS_CODES = {
    -1: "INVALID_ARGUMENT",
    -2: "TIMEOUT",
    -3: "UNAVAILABLE",
    -4: "QUEUE_FULL",
    -5: "BUFFER_TOO_SMALL",
    -6: "CANCELLED",
    -7: "UNAUTHENTICATED",
    -8: "RATE_LIMITED",
    -9: "NOT_FOUND",
    -10: "CONFLICT",
    -11: "FAILED_PRECONDITION",
    -12: "PROTOCOL_ERROR",
    -13: "UNSUPPORTED",
    -99: "INTERNAL",
}


# voxline_log_level values; identical to capi/voxline.h.
LOG_TRACE, LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF = range(6)


class VoxlineError(Exception):
    """A voxline call failed; `code` is the voxline_status value."""

    code = None

    def __init__(self, message="", code=None):
        super().__init__(message)
        if code is not None:
            self.code = code


def _error_class(code, name):
    cls_name = "".join(part.capitalize() for part in name.split("_")) + "Error"
    return type(cls_name, (VoxlineError,), {"code": code})


_ERRORS = {code: _error_class(code, name) for code, name in STATUS_CODES.items()}
globals().update({cls.__name__: cls for cls in _ERRORS.values()})


def version():
    """The library version string, e.g. "0.1.0"."""
    return _ffi.lib.voxline_version().decode("utf-8")


def status_str(code):
    """The static name of a status code ("TIMEOUT"), "UNKNOWN" for codes this build lacks."""
    return _ffi.lib.voxline_status_str(int(code)).decode("ascii")


def last_error_message():
    """The message of the last failed voxline call on this thread ("" if none)."""
    return _ffi.lib.voxline_last_error_message().decode("utf-8", "replace")


def check(code, message=""):
    """Returns None for OK, raises the matching VoxlineError subclass otherwise. Without
    `message`, the error text is voxline_last_error_message(), so call this right after the
    failing C call, on the same thread."""
    if code == OK:
        return None
    cls = _ERRORS.get(code, VoxlineError)
    raise cls(message or last_error_message() or status_str(code), code)


def set_log_level(level):
    """Drops library log lines below `level` (LOG_TRACE..LOG_OFF; default LOG_WARN)."""
    check(_ffi.lib.voxline_log_set_level(int(level)))
