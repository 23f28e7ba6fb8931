"""The sample app on PostgreSQL (DATABASE_URL=postgresql://…, database.mode local or external).

DatabaseUrlTest always runs: the URL forms, and the password kept out of every error. The rest runs
against a throwaway PostgreSQL cluster (initdb and pg_ctl in a temp dir, listening on a unix socket
there and nowhere else, as `nobody` when the tests run as root: initdb refuses root), started once
for the module and stopped in tearDownModule; each test gets a database of its own. They are skipped
only when initdb (Debian's postgresql-15) or psycopg2 (python3-psycopg2, for /usr/bin/python3) is missing.
"""
import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import threading
import traceback
import unittest
from urllib.parse import quote

import db
import store
import test_admin
import test_app
from test_app import call

try:
    import psycopg2
except ImportError:
    psycopg2 = None

PASSWORD = "pg:s3cret@/#pw"  # needs percent-encoding in a URL
RAW = "pg:s3cret@raw"  # a password with : and @ written into a URL as it is


def find_initdb():
    """initdb on PATH, else Debian's newest /usr/lib/postgresql/<version>/bin/initdb."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return shutil.which("initdb") or (found[-1] if found else None)


INITDB = find_initdb()
MISSING = ("no initdb (Debian package postgresql-15)" if not INITDB else
           f"no psycopg2 for {sys.executable} (Debian package python3-psycopg2, for /usr/bin/python3)" if not psycopg2 else None)


class Cluster:
    """A PostgreSQL cluster of its own: user aistudio with PASSWORD (scram-sha-256), socket in self.dir."""

    def __init__(self):
        self.bin = os.path.dirname(INITDB)
        self.dir = tempfile.mkdtemp(prefix="aistudio-pg-")
        self.started = False
        self.as_user = []
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.dir, nobody.pw_uid, nobody.pw_gid)
            self.as_user = ["runuser", "-u", "nobody", "--"]
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        if self.as_user:
            os.chown(pwfile, os.stat(self.dir).st_uid, -1)
        data = os.path.join(self.dir, "data")
        self.count = 0
        try:
            self.run("initdb", "-D", data, "-U", "aistudio", f"--pwfile={pwfile}", "-A", "scram-sha-256", "-E", "UTF8",
                     "--no-locale", "--no-sync")
            self.run("pg_ctl", "-D", data, "-l", os.path.join(self.dir, "log"), "-w", "-t", "60",
                     "-o", f"-k {self.dir} -c listen_addresses='' -c fsync=off", "start")
            self.started = True
        except BaseException:
            self.stop()
            raise

    def run(self, tool, *args):
        r = subprocess.run([*self.as_user, os.path.join(self.bin, tool), *args], capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            log = os.path.join(self.dir, "log")
            tail = open(log, encoding="utf-8", errors="replace").read()[-2000:] if os.path.exists(log) else ""
            raise RuntimeError(f"{tool} failed ({r.returncode}): {r.stdout}{r.stderr}{tail}")

    def url(self, dbname, password=PASSWORD):
        return f"postgresql://aistudio:{quote(password, safe='')}@/{dbname}?host={self.dir}"

    def new_database(self):
        self.count += 1
        name = f"aistudio_t{self.count}"
        with self.connect("postgres") as conn:
            conn.autocommit = True
            conn.cursor().execute(f"CREATE DATABASE {name}")
        return name

    def connect(self, dbname):
        conn = psycopg2.connect(host=self.dir, user="aistudio", password=PASSWORD, dbname=dbname)
        return _Closing(conn)

    def stop(self):
        try:
            if self.started:
                self.run("pg_ctl", "-D", os.path.join(self.dir, "data"), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class _Closing:
    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        return self.conn

    def __exit__(self, *exc):
        self.conn.close()


_cluster = None


def cluster():
    global _cluster
    if _cluster is None:
        _cluster = Cluster()
    return _cluster


def tearDownModule():
    global _cluster
    if _cluster is not None:
        _cluster, c = None, _cluster
        c.stop()


def assert_no_password(case, text, *passwords):
    for pw in passwords:
        for form in {pw, quote(pw, safe="")}:
            case.assertNotIn(form, text)


class DatabaseUrlTest(test_app.AppTest):
    def test_url_forms(self):
        local = db.connect_params("postgresql://aistudio:p%40ss@/aistudio?host=/run/postgresql")
        self.assertEqual(local, {"user": "aistudio", "password": "p@ss", "dbname": "aistudio", "host": "/run/postgresql",
                                 "connect_timeout": "10"})
        rds = db.connect_params("postgres://app:pw@rm-x.pg.rds.aliyuncs.com:5433/aistudio?sslmode=require&connect_timeout=3")
        self.assertEqual(rds, {"user": "app", "password": "pw", "host": "rm-x.pg.rds.aliyuncs.com", "port": "5433",
                               "dbname": "aistudio", "sslmode": "require", "connect_timeout": "3"})
        self.assertEqual(db.connect_params("postgresql://u:a@b:c@[::1]/d")["host"], "::1")
        self.assertEqual(db.connect_params("postgresql://u:a@b:c@[::1]/d")["password"], "a@b:c")
        for url in ("", f"sqlite:///{self.tmp.name}/x.db"):
            self.assertIsInstance(db.backend(url), db.SQLite)
        self.assertEqual(db.backend("").path, os.path.join(self.data, "aistudio.sqlite3"))
        self.assertIsInstance(db.backend("postgres://h/d"), db.Postgres)
        self.assertEqual(db.Postgres.sql("SELECT '5%' WHERE a = ? AND b = ?"), "SELECT '5%%' WHERE a = %s AND b = %s")

    def test_redaction(self):
        for url, shown in (("postgresql://aistudio:p%40ss@/aistudio?host=/run/postgresql", "postgresql://aistudio:***@/aistudio?host=/run/postgresql"),
                           ("postgresql://u:raw@pass@h:5432/d", "postgresql://u:***@h:5432/d"),
                           ("postgresql://u@h/d?sslmode=require&password=qq", "postgresql://u@h/d?sslmode=require&password=***"),
                           ("postgresql://h/d", "postgresql://h/d")):
            self.assertEqual(db.Postgres(url).label, shown)
        self.set_env(DATABASE_URL="postgresql://aistudio:p%40ss@/aistudio?host=/run/postgresql")
        self.assertEqual(store.describe(), "postgresql://aistudio:***@/aistudio?host=/run/postgresql")

    def test_unknown_scheme_is_refused(self):
        self.set_env(DATABASE_URL="mysql://u:hunter22@h/d")
        with self.assertRaises(store.DatabaseError) as e:
            store.visit_count()
        self.assertIn("'mysql'", str(e.exception))
        assert_no_password(self, str(e.exception), "hunter22")

    def test_password_never_appears_when_the_connection_fails(self):
        """No server behind the socket (or no psycopg2): the error names the URL with *** for the password."""
        nowhere = os.path.join(self.tmp.name, "no-server")
        urls = [f"postgresql://aistudio:{quote(PASSWORD, safe='')}@/aistudio?host={nowhere}",
                f"postgresql://aistudio:{RAW}@/aistudio?host={nowhere}",  # not percent-encoded, still hidden
                f"postgres://aistudio@/aistudio?host={nowhere}&password={quote(PASSWORD, safe='')}",
                "postgresql://aistudio:pg%zzs3cret@localhost:notaport/aistudio"]
        for url in urls:
            self.set_env(DATABASE_URL=url)
            with self.assertRaises(store.DatabaseError) as e:
                store.add_visit("s", "launch")
            text = "".join(traceback.format_exception(e.exception))
            self.assertIn("***", str(e.exception), url)
            assert_no_password(self, text, PASSWORD, RAW, "pg%zzs3cret", "s3cret")
        r = subprocess.run([sys.executable, "-m", "migrate"], cwd=test_app.HERE, capture_output=True, text=True,
                           env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "DATABASE_URL": urls[0]})
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("migrate: ", r.stderr)
        assert_no_password(self, r.stdout + r.stderr, PASSWORD, "s3cret")
        self.assertFalse(os.path.exists(os.path.join(self.data, "aistudio.sqlite3")))


@unittest.skipIf(MISSING, f"PostgreSQL tests need initdb and psycopg2: {MISSING}")
class PostgresCase(test_app.AppTest):
    """Each test on a new database of the module's cluster, DATABASE_URL naming it the way mode local does."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cluster = cluster()

    def setUp(self):
        super().setUp()
        self.dbname = self.cluster.new_database()
        self.set_env(DATABASE_URL=self.cluster.url(self.dbname))

    def query(self, sql):
        with self.cluster.connect(self.dbname) as conn:
            cur = conn.cursor()
            cur.execute(sql)
            return cur.fetchall()


class PostgresTest(PostgresCase):
    def test_visits_and_settings_are_stored_in_postgresql(self):
        label = store.migrate()
        self.assertEqual(label, f"postgresql://aistudio:***@/{self.dbname}?host={self.cluster.dir}")
        self.assertEqual(store.migrate(), label)  # idempotent
        first = call("POST", "/api/user/visit", {"sessionId": "pg1", "type": "launch"}).json()
        second = call("POST", "/api/user/visit", {"sessionId": "pg1", "type": "show"}).json()
        self.assertEqual((first["success"], second["visitId"]), (True, first["visitId"] + 1))
        self.assertEqual(store.add_visit("pg2", "hide"), first["visitId"] + 2)
        self.assertEqual(store.visit_count(), 3)
        self.assertEqual(call("GET", "/api/visits/stats").json(), {"success": True, "count": 3})
        store.put_setting("miniprogram_config", {"studioName": "光影照相馆"})
        store.put_setting("miniprogram_config", {"studioName": "光影照相馆", "bookingEnabled": True})
        value, updated = store.get_setting("miniprogram_config")
        self.assertEqual(value, {"studioName": "光影照相馆", "bookingEnabled": True})
        self.assertIsInstance(updated, int)
        self.assertEqual(store.get_setting("absent", "d"), ("d", None))
        # the rows are in PostgreSQL, and no SQLite file was made
        self.assertEqual(self.query("SELECT session_id, type FROM visits ORDER BY id"),
                         [("pg1", "launch"), ("pg1", "show"), ("pg2", "hide")])
        self.assertEqual(self.query("SELECT key, value FROM settings"),
                         [("miniprogram_config", '{"studioName": "光影照相馆", "bookingEnabled": true}')])
        types = dict(self.query("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'visits'"))
        self.assertEqual((types["id"], types["created_at"]), ("bigint", "bigint"))
        self.assertFalse(os.path.exists(os.path.join(self.data, "aistudio.sqlite3")))

    def test_schema_is_made_on_first_use(self):
        self.assertEqual(store.visit_count(), 0)
        self.assertEqual({r[0] for r in self.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")},
                         {"visits", "settings"})

    def test_migrate_command(self):
        for _ in range(2):
            r = subprocess.run([sys.executable, "-m", "migrate"], cwd=test_app.HERE, capture_output=True, text=True,
                               env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.strip(), f"schema ready: postgresql://aistudio:***@/{self.dbname}?host={self.cluster.dir}")
            assert_no_password(self, r.stdout + r.stderr, PASSWORD)
        self.assertEqual(len(self.query("SELECT 1 FROM pg_tables WHERE tablename IN ('visits', 'settings')")), 2)

    def test_workers_migrating_at_once(self):
        errors = []

        def work():
            try:
                store.migrate()
                store.add_visit("w", "launch")
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        self.assertEqual(store.visit_count(), 6)

    def test_wrong_password(self):
        self.set_env(DATABASE_URL=self.cluster.url(self.dbname, password="not-the-pw-42"))
        with self.assertRaises(store.DatabaseError) as e:
            store.visit_count()
        self.assertIn("password authentication failed", str(e.exception))
        self.assertIn("aistudio:***@", str(e.exception))
        assert_no_password(self, "".join(traceback.format_exception(e.exception)), "not-the-pw-42", PASSWORD)


# the admin backend's API and pages, unchanged, on PostgreSQL
class PostgresAdminApiTest(PostgresCase, test_admin.AdminApiTest):
    pass


class PostgresAdminPagesTest(PostgresCase, test_admin.AdminPagesTest):
    pass


if __name__ == "__main__":
    unittest.main()
