"""The sample app's data: visits and the admin's saved settings, in SQLite or PostgreSQL.

DATABASE_URL picks the database (db.py): unset or sqlite:///<path> is SQLite (by default
$AISTUDIO_DATA_DIR/aistudio.sqlite3); postgresql://… or postgres://… is PostgreSQL through Debian's
python3-psycopg2 (database.mode local: the server's own PostgreSQL on its unix socket; external: RDS).
The schema is created on first use in each process, and by `python3 -m migrate` (pre-start).
The SQL below is written once for both (? placeholders; db.py adapts them for psycopg2).
"""
import json
import time
from contextlib import contextmanager

import db
import web

DatabaseError = db.DatabaseError
_ready = set()


def db_path():
    """The SQLite file in use, or None when DATABASE_URL names PostgreSQL."""
    backend = db.backend()
    return backend.path if isinstance(backend, db.SQLite) else None


def describe():
    """Where the data is, for messages: the SQLite path, or the URL with its password replaced by ***."""
    return db.backend().label


@contextmanager
def connect():
    """A connection with the schema in place; one transaction, committed when the block ends."""
    backend = db.backend()
    conn = backend.open()
    try:
        if backend.key not in _ready:
            backend.create_schema(conn)
            _ready.add(backend.key)
        with conn:
            yield conn
    finally:
        conn.close()


def migrate():
    """Creates the schema (idempotent); where the data is, as describe() says."""
    backend = db.backend()
    _ready.discard(backend.key)  # run the DDL again: the database may be new since this process saw it
    with connect():
        pass
    return backend.label


def add_visit(session_id, kind):
    with connect() as conn:
        return conn.execute("INSERT INTO visits (session_id, type, release, created_at) VALUES (?, ?, ?, ?) RETURNING id",
                            (session_id, kind, web.RELEASE, int(time.time()))).fetchone()[0]


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
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                     (key, json.dumps(value, ensure_ascii=False), int(time.time())))
