"""Raw ctypes declarations for libvoxline: the library loader and argtypes/restype of every
voxline_* function. Higher-level wrappers live in voxline/__init__.py."""

import ctypes
import os

_LIB_NAMES = ("libvoxline.so.0", "libvoxline.so")


def _candidates():
    explicit = os.environ.get("VOXLINE_LIBRARY")
    if explicit:
        yield explicit
        return
    here = os.path.dirname(os.path.abspath(__file__))
    for name in _LIB_NAMES:
        yield os.path.join(here, name)  # a wheel or install that copies the library beside us
    for name in _LIB_NAMES:
        yield name  # the system loader path (LD_LIBRARY_PATH, ldconfig)


def load_library():
    """Loads libvoxline: $VOXLINE_LIBRARY if set, else beside this package, else the system path."""
    errors = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path)
        except OSError as exc:
            errors.append(f"{path}: {exc}")
    raise OSError("cannot load libvoxline; set VOXLINE_LIBRARY to its path. Tried:\n  " + "\n  ".join(errors))


lib = load_library()

lib.voxline_version.argtypes = []
lib.voxline_version.restype = ctypes.c_char_p

lib.voxline_status_str.argtypes = [ctypes.c_int]
lib.voxline_status_str.restype = ctypes.c_char_p

lib.voxline_last_error_message.argtypes = []
lib.voxline_last_error_message.restype = ctypes.c_char_p

lib.voxline_log_set_level.argtypes = [ctypes.c_int]
lib.voxline_log_set_level.restype = ctypes.c_int
