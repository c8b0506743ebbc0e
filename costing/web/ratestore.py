"""Rate-limit counts in a file that every server process on the machine shares (the default install has no
Redis): a small SQLite database of its own beside the app's (``instance/ratelimits.sqlite``), never the app's
database, so counting takes no part in a request's transaction and waits on none of its locks.

Each count is one row changed by one statement (an upsert that starts a new window once the old one has expired),
which SQLite runs atomically however many processes write. Counts are worth little after a crash, so the file is
written without waiting for the disk (``synchronous=OFF``). A limits storage for the fixed-window strategy
(Flask-Limiter's default), registered as ``sqlite-file:///absolute/path``.
"""
from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from urllib.parse import urlparse

from limits.storage import Storage

SCHEME = "sqlite-file"
_SCHEMA = "CREATE TABLE IF NOT EXISTS counts (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires REAL NOT NULL)"
_INCREMENT = """
INSERT INTO counts (key, value, expires) VALUES (:key, :amount, :expires)
ON CONFLICT (key) DO UPDATE SET
    value = CASE WHEN counts.expires <= :now THEN :amount ELSE counts.value + :amount END,
    expires = CASE WHEN counts.expires <= :now THEN :expires ELSE counts.expires END
RETURNING value"""
PURGE_EVERY = 1000          # about one increment in so many also deletes the expired counts


def uri_for(path: str) -> str:
    return f"{SCHEME}://{os.path.abspath(path)}"


class FileStorage(Storage):
    """Counts for the fixed-window strategy in a SQLite file; one connection per process and thread."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        self.path = urlparse(uri or "").path
        if not self.path:
            raise ValueError(f"{SCHEME}:// needs the file's absolute path")
        self._local = threading.local()
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        return sqlite3.Error, OSError

    def _db(self) -> sqlite3.Connection:
        """This thread's connection (a forked process opens its own: a connection must not cross a fork)."""
        found = getattr(self._local, "connection", None)
        if found is not None and self._local.pid == os.getpid():
            return found
        connection = sqlite3.connect(self.path, timeout=5, isolation_level=None, check_same_thread=True)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute(_SCHEMA)
        self._local.connection, self._local.pid = connection, os.getpid()
        return connection

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        db = self._db()
        if random.randrange(PURGE_EVERY) == 0:        # noqa: S311 — spreading housekeeping, not a secret
            db.execute("DELETE FROM counts WHERE expires <= ?", (now,))
        row = db.execute(_INCREMENT, {"key": key, "amount": amount, "expires": now + expiry, "now": now}).fetchone()
        return int(row[0])

    def get(self, key: str) -> int:
        row = self._db().execute("SELECT value FROM counts WHERE key = ? AND expires > ?", (key, time.time())).fetchone()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._db().execute("SELECT expires FROM counts WHERE key = ? AND expires > ?",
                                 (key, time.time())).fetchone()
        # a moment (Unix seconds), as the limits library's storage interface returns it: no money or rate
        return float(row[0]) if row else time.time()

    def check(self) -> bool:
        try:
            self._db().execute("SELECT 1").fetchone()
            return True
        except (sqlite3.Error, OSError):
            return False

    def reset(self) -> int | None:
        return self._db().execute("DELETE FROM counts").rowcount

    def clear(self, key: str) -> None:
        self._db().execute("DELETE FROM counts WHERE key = ?", (key,))
