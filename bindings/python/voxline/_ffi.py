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

# ---- handles and buffers (all handle pointers are c_void_p: opaque to Python) ----------------
_p = ctypes.c_void_p
_pp = ctypes.POINTER(ctypes.c_void_p)
_size_p = ctypes.POINTER(ctypes.c_size_t)
_u32_pp = ctypes.POINTER(ctypes.POINTER(ctypes.c_uint32))
_char_pp = ctypes.POINTER(ctypes.c_void_p)  # char **: kept as an address so we free it ourselves
_status = ctypes.c_int


class DatabaseOptions(ctypes.Structure):
    """voxline_database_options (version 1)."""

    _fields_ = [("version", ctypes.c_uint), ("pool_size", ctypes.c_uint), ("busy_timeout_ms", ctypes.c_int64)]


class SessionStoreOptions(ctypes.Structure):
    """voxline_session_store_options (version 1)."""

    _fields_ = [("version", ctypes.c_uint), ("key_prefix", ctypes.c_char_p), ("pool_size", ctypes.c_uint)]


class RuntimeOptions(ctypes.Structure):
    """voxline_runtime_options (version 1)."""

    _fields_ = [("version", ctypes.c_uint), ("slots", ctypes.c_int)]


DATABASE_OPTIONS_VERSION = 1
SESSION_STORE_OPTIONS_VERSION = 1
RUNTIME_OPTIONS_VERSION = 1

_DECLS = {
    "voxline_string_free": ([_p], None),
    "voxline_tokens_free": ([ctypes.POINTER(ctypes.c_uint32)], None),
    "voxline_tokenizer_open": ([_pp, ctypes.c_char_p], _status),
    "voxline_tokenizer_count": ([_p, ctypes.c_char_p, ctypes.c_size_t, _size_p], _status),
    "voxline_tokenizer_encode": ([_p, ctypes.c_char_p, ctypes.c_size_t, _u32_pp, _size_p], _status),
    "voxline_tokenizer_decode": (
        [_p, ctypes.POINTER(ctypes.c_uint32), ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t, _size_p],
        _status,
    ),
    "voxline_tokenizer_encoding": ([_p], ctypes.c_char_p),
    "voxline_tokenizer_free": ([_p], None),
    "voxline_database_options_init": ([ctypes.POINTER(DatabaseOptions), ctypes.c_uint], _status),
    "voxline_database_open": ([_pp, ctypes.c_char_p, ctypes.POINTER(DatabaseOptions)], _status),
    "voxline_database_health_json": ([_p, ctypes.c_int64, _char_pp], _status),
    "voxline_database_schema_version": ([_p, ctypes.POINTER(ctypes.c_int)], _status),
    "voxline_database_close": ([_p], None),
    "voxline_session_store_options_init": ([ctypes.POINTER(SessionStoreOptions), ctypes.c_uint], _status),
    "voxline_session_store_open": ([_pp, ctypes.c_char_p, ctypes.POINTER(SessionStoreOptions)], _status),
    "voxline_session_store_get": (
        [_p, ctypes.c_char_p, ctypes.c_int64, _char_pp, ctypes.POINTER(ctypes.c_uint64),
         ctypes.POINTER(ctypes.c_int64)],
        _status,
    ),
    "voxline_session_store_put": (
        [_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int64, ctypes.c_uint64, ctypes.c_int64,
         ctypes.POINTER(ctypes.c_uint64)],
        _status,
    ),
    "voxline_session_store_delete": ([_p, ctypes.c_char_p, ctypes.c_int64], _status),
    "voxline_session_store_health_json": ([_p, ctypes.c_int64, _char_pp], _status),
    "voxline_session_store_close": ([_p], None),
    "voxline_runtime_options_init": ([ctypes.POINTER(RuntimeOptions), ctypes.c_uint], _status),
    "voxline_runtime_create": ([_pp, ctypes.POINTER(RuntimeOptions)], _status),
    "voxline_runtime_slot_count": ([_p, ctypes.POINTER(ctypes.c_int)], _status),
    "voxline_runtime_metrics_json": ([_p, _char_pp], _status),
    "voxline_runtime_metrics_prometheus": ([_p, _char_pp], _status),
    "voxline_runtime_health_json": ([_p, ctypes.c_int64, _char_pp], _status),
    "voxline_runtime_destroy": ([_p], None),
}

for _name, _decl in _DECLS.items():
    _fn = getattr(lib, _name)
    _fn.argtypes, _fn.restype = _decl


def take_string(address: ctypes.c_void_p) -> str:
    """Copies a library-owned char * (UTF-8) into a Python str and releases it with
    voxline_string_free. NULL gives ""."""
    if not address.value:
        return ""
    try:
        return ctypes.string_at(address.value).decode("utf-8")
    finally:
        lib.voxline_string_free(address)
