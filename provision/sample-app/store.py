"""The sample app's SQLite database: visits and the admin's saved settings.

DATABASE_URL=sqlite:///<path> names the file; otherwise $AISTUDIO_DATA_DIR/aistudio.sqlite3.
The schema is created on first use in each process, and by `python3 -m migrate` (pre-start).
"""
import json
import os
import sqlite3
import time
from contextlib import contextmanager

import web

SCHEMA = """
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS visits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    type TEXT NOT NULL,
    release TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
"""

_ready = set()


def db_path():
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///"):]
    return os.path.join(web.data_dir(), "aistudio.sqlite3")


@contextmanager
def connect():
    """A connection with the schema in place; one transaction, committed when the block ends."""
    path = db_path()
    conn = sqlite3.connect(path, timeout=10)
    try:
        if path not in _ready:
            conn.executescript(SCHEMA)
            _ready.add(path)
        with conn:
            yield conn
    finally:
        conn.close()


def migrate():
    with connect():
        pass
    return db_path()


def add_visit(session_id, kind):
    with connect() as conn:
        return conn.execute("INSERT INTO visits (session_id, type, release, created_at) VALUES (?, ?, ?, ?)",
                            (session_id, kind, web.RELEASE, int(time.time()))).lastrowid


def visit_count():
    with connect() as conn:
        return conn.execute("SELECT COUNT(*) FROM visits").fetchone()[0]


def get_setting(key, default=None):
    """(value, updated_at) of a saved setting, or (default, None)."""
    with connect() as conn:
        row = conn.execute("SELECT value, updated_at FROM settings WHERE key = ?", (key,)).fetchone()
    return (json.loads(row[0]), row[1]) if row else (default, None)


def put_setting(key, value):
    with connect() as conn:
        conn.execute("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) "
                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                     (key, json.dumps(value, ensure_ascii=False), int(time.time())))
