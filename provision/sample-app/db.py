"""The database behind store.py, chosen from DATABASE_URL on every connection:

  unset, or sqlite:///<path>                       SQLite (stdlib): <path>, else $AISTUDIO_DATA_DIR/aistudio.sqlite3
  postgresql://USER:PASSWORD@HOST:PORT/DBNAME      PostgreSQL over TCP (database.mode external, ApsaraDB RDS)
  postgresql://USER:PASSWORD@/DBNAME?host=/run/postgresql
                                                   PostgreSQL on its unix socket (database.mode local)
  postgres://… is the same; query parameters are libpq's (host, port, sslmode, connect_timeout, …) and
  win over the URL's own parts, as in libpq. Percent-encoded user, password and database names are decoded.

PostgreSQL needs psycopg2 (Debian's python3-psycopg2), imported only when such a URL is used, so SQLite
mode needs nothing beyond the stdlib. store.py writes its SQL once, with ? placeholders, in the dialect
both share; sql() turns them into psycopg2's %s. The password never leaves this module: errors and
labels name the URL with it replaced by ***.
"""
import os
import re
import sqlite3
from urllib.parse import parse_qsl, unquote, urlsplit

import web

SQLITE_SCHEMA = """
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

POSTGRES_SCHEMA = """
CREATE TABLE IF NOT EXISTS visits (
    id BIGSERIAL PRIMARY KEY,
    session_id TEXT NOT NULL,
    type TEXT NOT NULL,
    release TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
"""
# CREATE TABLE IF NOT EXISTS races in PostgreSQL (two workers starting at once can both try to create
# the table): the schema is created under this transaction-scoped advisory lock
SCHEMA_LOCK = 0x61697374  # "aist"
CONNECT_TIMEOUT = "10"  # seconds, unless the URL says connect_timeout


class DatabaseError(Exception):
    """DATABASE_URL cannot be used or its database cannot be reached; the message never holds the password."""


class Connection:
    """A DB-API connection whose execute() takes ? placeholders; `with` is one transaction, as in sqlite3."""

    def __init__(self, raw, backend):
        self.raw = raw
        self.backend = backend

    def execute(self, sql, params=()):
        cur = self.raw.cursor()
        cur.execute(self.backend.sql(sql), params)
        return cur

    def __enter__(self):
        self.raw.__enter__()
        return self

    def __exit__(self, *exc):
        return self.raw.__exit__(*exc)

    def close(self):
        self.raw.close()


class SQLite:
    def __init__(self, path):
        self.path = path
        self.key = ("sqlite", path)
        self.label = path

    def open(self):
        return Connection(sqlite3.connect(self.path, timeout=10), self)

    def create_schema(self, conn):
        conn.raw.executescript(SQLITE_SCHEMA)

    @staticmethod
    def sql(text):
        return text


class Postgres:
    def __init__(self, url):
        self.key = ("postgresql", url)
        self.secrets = url_secrets(url)
        self.label = self.scrub(redact(url))
        try:
            self.params = connect_params(url)
        except ValueError as e:
            raise DatabaseError(f"DATABASE_URL {self.label} is not a usable PostgreSQL URL: {self.scrub(str(e))}") from None

    def scrub(self, text):
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    def open(self):
        try:
            import psycopg2
        except ImportError:
            raise DatabaseError(f"DATABASE_URL {self.label} is PostgreSQL, which needs psycopg2: "
                                "install Debian's python3-psycopg2") from None
        try:
            raw = psycopg2.connect(**self.params)
        except psycopg2.Error as e:
            raise DatabaseError(f"cannot connect to {self.label}: {self.scrub(str(e).strip())}") from None
        return Connection(raw, self)

    def create_schema(self, conn):
        with conn:
            conn.execute("SELECT pg_advisory_xact_lock(?)", (SCHEMA_LOCK,))
            conn.execute(POSTGRES_SCHEMA)

    @staticmethod
    def sql(text):
        """psycopg2's placeholders: %s for ?, and a literal % doubled."""
        return text.replace("%", "%%").replace("?", "%s")


def sqlite_path(url):
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///"):]
    return os.path.join(web.data_dir(), "aistudio.sqlite3")


def backend(url=None):
    """The backend DATABASE_URL (or `url`) names; DatabaseError for a scheme the sample cannot use."""
    url = os.environ.get("DATABASE_URL", "") if url is None else url
    if not url or url.startswith("sqlite:///"):
        return SQLite(sqlite_path(url))
    scheme = url.split(":", 1)[0].lower()
    if scheme in ("postgresql", "postgres"):
        return Postgres(url)
    raise DatabaseError(f"DATABASE_URL has the scheme {scheme[:20]!r}: the sample app knows sqlite:///<path>, "
                        "postgresql:// and postgres://")


def _userinfo(url):
    """(user, password or None) as written in the URL, taking the last @ before the path (a password
    may hold an unencoded @)."""
    rest = url.split("://", 1)[1] if "://" in url else ""
    if "@" not in rest:
        return None, None
    user, colon, password = rest.rsplit("@", 1)[0].partition(":")
    return user, (password if colon else None)


def redact(url):
    """The URL with its password (in the user info or as ?password=) replaced by ***."""
    user, password = _userinfo(url)
    if password is not None:
        scheme, rest = url.split("://", 1)
        url = f"{scheme}://{user}:***@{rest.rsplit('@', 1)[1]}"
    return re.sub(r"([?&]password=)[^&#]*", r"\1***", url, flags=re.IGNORECASE)


def url_secrets(url):
    """Every form the password takes in the URL, to scrub from messages."""
    found = {_userinfo(url)[1]}
    found |= {v for k, v in parse_qsl(urlsplit(url).query, keep_blank_values=True) if k.lower() == "password"}
    found |= {m.group(1) for m in re.finditer(r"[?&]password=([^&#]*)", url, flags=re.IGNORECASE)}
    return {s for s in found | {unquote(s) for s in found if s} if s}


def connect_params(url):
    """psycopg2.connect()'s keyword arguments for a postgresql:// URL (ValueError if it cannot be read)."""
    parts = urlsplit(url)
    user, password = _userinfo(url)
    params = {
        "user": unquote(user) if user else None,
        "password": unquote(password) if password else None,
        "host": unquote(parts.hostname) if parts.hostname else None,
        "port": str(parts.port) if parts.port else None,  # .port raises ValueError for a bad one
        "dbname": unquote(parts.path[1:]) if parts.path[1:] else None,
    }
    params = {k: v for k, v in params.items() if v}
    params.update(parse_qsl(parts.query, keep_blank_values=True))  # libpq: query parameters win
    params.setdefault("connect_timeout", CONNECT_TIMEOUT)
    return params
