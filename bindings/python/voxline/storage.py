"""Database (SQLite or PostgreSQL) and SessionStore (memory:// or redis://) handles."""

from __future__ import annotations

import ctypes
import json as _json
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Union

from . import _ffi
from ._errors import check
from ._handle import Handle

# expected_version values of SessionStore.put besides an exact version.
ANY_VERSION = 2**64 - 1  # write unconditionally
NEW_SESSION = 0  # write only if no live document exists


class Database(Handle):
    """A database with a bounded connection pool: a SQLite file (a path, or "sqlite:///abs/path")
    or a PostgreSQL server ("postgresql://user:pass@host:port/db").

        with voxline.Database("/var/lib/shop/voxline.db") as db:
            assert db.health()["ok"]

    An unreachable server raises UnavailableError; busy_timeout_ms applies to SQLite only.
    Thread-safety: every method may run
    on several threads at once; a close() meanwhile lets running calls finish, later ones raise
    InvalidArgumentError."""

    def __init__(self, path: str, *, pool_size: Optional[int] = None, busy_timeout_ms: Optional[int] = None) -> None:
        super().__init__()
        opts = _ffi.DatabaseOptions()
        check(_ffi.lib.voxline_database_options_init(ctypes.byref(opts), _ffi.DATABASE_OPTIONS_VERSION))
        if pool_size is not None:
            opts.pool_size = pool_size
        if busy_timeout_ms is not None:
            opts.busy_timeout_ms = busy_timeout_ms
        check(_ffi.lib.voxline_database_open(ctypes.byref(self._ptr), str(path).encode("utf-8"), ctypes.byref(opts)))

    @staticmethod
    def _release(ptr: ctypes.c_void_p) -> None:
        _ffi.lib.voxline_database_close(ptr)

    def health(self, timeout_ms: int = 0) -> Dict[str, Any]:
        """The health report: {"ok": bool, "version": str, "checks": [{"component":
        "storage.sqlite", "ok": ..., "detail": ..., "latency_ms": ...}]}; timeout_ms 0 = 30 s."""
        out = ctypes.c_void_p()
        check(_ffi.lib.voxline_database_health_json(self._handle(), timeout_ms, ctypes.byref(out)))
        return _json.loads(_ffi.take_string(out))

    @property
    def schema_version(self) -> int:
        """The schema version recorded in the file (0 for a new one)."""
        v = ctypes.c_int()
        check(_ffi.lib.voxline_database_schema_version(self._handle(), ctypes.byref(v)))
        return v.value


@dataclass(frozen=True)
class SessionDocument:
    """A session document as stored: the JSON object (parsed), its text, version and TTL left."""

    value: Dict[str, Any]
    json: str
    version: int
    ttl_remaining_ms: int


class SessionStore(Handle):
    """Per-call JSON documents with a TTL and a version: "memory://" (this process) or
    "redis://[[user]:password@]host[:port][/db]" (a fleet; connects lazily).

        with voxline.SessionStore("memory://") as store:
            v = store.put("call-1", {"step": 1}, ttl_ms=60_000, expected_version=voxline.NEW_SESSION)
            doc = store.get("call-1")     # SessionDocument(value={'step': 1}, version=1, ...)

    Raises NotFoundError, ConflictError, TimeoutError, UnavailableError as the C API returns
    them. Thread-safety: every method may run on several threads at once (as for Database)."""

    def __init__(self, url: str = "memory://", *, key_prefix: Optional[str] = None,
                 pool_size: Optional[int] = None) -> None:
        super().__init__()
        opts = _ffi.SessionStoreOptions()
        check(_ffi.lib.voxline_session_store_options_init(ctypes.byref(opts), _ffi.SESSION_STORE_OPTIONS_VERSION))
        prefix = key_prefix.encode("utf-8") if key_prefix is not None else None
        opts.key_prefix = prefix  # copied by the library during open
        if pool_size is not None:
            opts.pool_size = pool_size
        check(_ffi.lib.voxline_session_store_open(ctypes.byref(self._ptr), url.encode("utf-8"), ctypes.byref(opts)))

    @staticmethod
    def _release(ptr: ctypes.c_void_p) -> None:
        _ffi.lib.voxline_session_store_close(ptr)

    def get(self, call_id: str, *, timeout_ms: int = 1000) -> SessionDocument:
        """The live document of `call_id`; NotFoundError when there is none or it expired."""
        out = ctypes.c_void_p()
        version = ctypes.c_uint64()
        ttl = ctypes.c_int64()
        check(_ffi.lib.voxline_session_store_get(self._handle(), call_id.encode("utf-8"), timeout_ms,
                                                 ctypes.byref(out), ctypes.byref(version), ctypes.byref(ttl)))
        text = _ffi.take_string(out)
        return SessionDocument(_json.loads(text), text, version.value, ttl.value)

    def put(self, call_id: str, document: Union[Mapping[str, Any], str], *, ttl_ms: int,
            expected_version: int = ANY_VERSION, timeout_ms: int = 1000) -> int:
        """Replaces the document (a mapping, or JSON object text) if `expected_version` allows
        (ANY_VERSION, NEW_SESSION or an exact version) and returns the new version."""
        text = document if isinstance(document, str) else _json.dumps(document, separators=(",", ":"))
        new_version = ctypes.c_uint64()
        check(_ffi.lib.voxline_session_store_put(self._handle(), call_id.encode("utf-8"), text.encode("utf-8"),
                                                 ttl_ms, expected_version, timeout_ms, ctypes.byref(new_version)))
        return new_version.value

    def delete(self, call_id: str, *, timeout_ms: int = 1000) -> None:
        """Removes the document; NotFoundError when there was none."""
        check(_ffi.lib.voxline_session_store_delete(self._handle(), call_id.encode("utf-8"), timeout_ms))

    def health(self, timeout_ms: int = 0) -> Dict[str, Any]:
        """The health report of a ping (timeout_ms 0 = 1 s); "ok" is False when Redis is down."""
        out = ctypes.c_void_p()
        check(_ffi.lib.voxline_session_store_health_json(self._handle(), timeout_ms, ctypes.byref(out)))
        return _json.loads(_ffi.take_string(out))
