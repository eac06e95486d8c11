"""voxline_status values and the exceptions that carry them (shared by every wrapper module)."""

from __future__ import annotations

from typing import Dict, Optional, Type

from . import _ffi

# voxline_status values; identical to capi/voxline.h (never renumbered, only appended).
OK = 0
STATUS_CODES: Dict[int, str] = {
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


class VoxlineError(Exception):
    """A voxline call failed; `code` is the voxline_status value, str(e) the library's message."""

    code: Optional[int] = None

    def __init__(self, message: str = "", code: Optional[int] = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self)

    @property
    def status(self) -> str:
        """The status name ("NOT_FOUND"), "UNKNOWN" for a code this module does not know."""
        return STATUS_CODES.get(self.code, "UNKNOWN") if self.code is not None else "UNKNOWN"


def _error_class(code: int, name: str) -> Type[VoxlineError]:
    cls_name = "".join(part.capitalize() for part in name.split("_")) + "Error"
    return type(cls_name, (VoxlineError,), {"code": code, "__doc__": f"voxline_status VOXLINE_E_{name} ({code})."})


ERRORS: Dict[int, Type[VoxlineError]] = {code: _error_class(code, name) for code, name in STATUS_CODES.items()}


def status_str(code: int) -> str:
    """The static name of a status code ("TIMEOUT"), "UNKNOWN" for codes this build lacks."""
    return _ffi.lib.voxline_status_str(int(code)).decode("ascii")


def last_error_message() -> str:
    """The message of the last failed voxline call on this thread ("" if none)."""
    return _ffi.lib.voxline_last_error_message().decode("utf-8", "replace")


def check(code: int, message: str = "") -> None:
    """Returns None for OK, raises the matching VoxlineError subclass otherwise. Without
    `message`, the error text is voxline_last_error_message(), so call this right after the
    failing C call, on the same thread."""
    if code == OK:
        return None
    cls = ERRORS.get(code, VoxlineError)
    raise cls(message or last_error_message() or status_str(code), code)
