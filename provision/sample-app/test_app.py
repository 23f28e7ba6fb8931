"""The sample app in-process: the visit API, uploads, a full disk, the pages, and the helpers the
other test files share (test_admin.py: the admin backend; test_postgres.py: PostgreSQL).

python3 -m unittest discover -s provision/sample-app -p 'test_*.py' -v
(test/unit/sample-app.test.ts runs it; infra/app-source.ts does not ship test_*.py.) These run on SQLite;
test_postgres.py runs the store and the admin API on PostgreSQL too.
"""
import io
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import unittest
from unittest import mock
from wsgiref.util import setup_testing_defaults

import admin
import app
import store
import uploads
import web

HERE = os.path.dirname(os.path.abspath(__file__))
# variables a developer's shell might carry into the tests; each test starts without them
APP_ENV = ("AISTUDIO_DATA_DIR", "AISTUDIO_MEDIA_DIR", "AISTUDIO_RELEASE", "DATABASE_URL", "SECRET_KEY", "ADMIN_PASSWORD",
           "AISTUDIO_SESSION_SECONDS", "AISTUDIO_MAX_UPLOAD_BYTES", "AISTUDIO_SAMPLE_FAIL", "AISTUDIO_AUTH_REDIRECT",
           "AISTUDIO_SAMPLE_ADMIN_500", "AISTUDIO_UPLOADS_S3_ENDPOINT", "AISTUDIO_UPLOADS_S3_BUCKET", "AISTUDIO_UPLOADS_S3_REGION",
           "AISTUDIO_UPLOADS_S3_ACCESS_KEY_ID", "AISTUDIO_UPLOADS_S3_SECRET_ACCESS_KEY", "AISTUDIO_UPLOADS_S3_PREFIX",
           "AISTUDIO_UPLOADS_S3_ADDRESSING")


class Response:
    def __init__(self, status, headers, body):
        self.code = int(status.split()[0])
        self.headers = headers
        self.body = body

    def header(self, name):
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def json(self):
        assert self.header("Content-Type").startswith("application/json"), self.header("Content-Type")
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode("utf-8")


def call(method, path, body=b"", content_type="application/json", cookie=None, query="", environ=None):
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode("utf-8")
    env = {}
    setup_testing_defaults(env)
    env.update({"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "CONTENT_TYPE": content_type,
                "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)})
    if cookie:
        env["HTTP_COOKIE"] = cookie
    env.update(environ or {})
    seen = {}

    def start_response(status, headers):
        seen.update(status=status, headers=headers)

    out = b"".join(app.application(env, start_response))
    return Response(seen["status"], seen["headers"], out)


def multipart(fields, boundary="----WebKitFormBoundaryQ1w2E3r4"):
    """A body as wx.uploadFile sends it: (name, filename or None, bytes) per field."""
    out = b""
    for name, filename, data in fields:
        disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        out += f"--{boundary}\r\nContent-Disposition: {disp}\r\n".encode()
        out += (b"Content-Type: image/jpeg\r\n" if filename is not None else b"") + b"\r\n" + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class AppTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.data = os.path.join(self.tmp.name, "data")
        env = mock.patch.dict(os.environ, {"AISTUDIO_DATA_DIR": self.data, "AISTUDIO_MEDIA_DIR": os.path.join(self.data, "media"),
                                           "ADMIN_PASSWORD": "s3cret-pw", "SECRET_KEY": "test-secret"})
        env.start()
        self.addCleanup(env.stop)
        for name in APP_ENV:
            if name not in ("AISTUDIO_DATA_DIR", "AISTUDIO_MEDIA_DIR", "ADMIN_PASSWORD", "SECRET_KEY"):
                os.environ.pop(name, None)

    def set_env(self, **values):
        os.environ.update(values)  # undone by setUp's patch.dict

    def login(self, password="s3cret-pw"):
        r = call("POST", "/admin/login", f"username=admin&password={password}".encode(), "application/x-www-form-urlencoded")
        return r, (r.header("Set-Cookie") or "").split(";")[0]

    def uploaded(self):
        folder = os.path.join(self.data, "media", "uploads")
        return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


class VisitTest(AppTest):
    def test_visit_is_stored_and_counted(self):
        first = call("POST", "/api/user/visit", {"sessionId": "test123", "type": "launch"}).json()
        second = call("POST", "/api/user/visit", {"sessionId": "test123", "type": "show"}).json()
        self.assertEqual(first["success"], True)
        self.assertEqual((first["sessionId"], first["type"], first["release"]), ("test123", "launch", web.RELEASE))
        self.assertIsInstance(first["serverTime"], int)
        self.assertEqual(second["visitId"], first["visitId"] + 1)
        self.assertEqual(call("GET", "/api/visits/stats").json(), {"success": True, "count": 2})
        with sqlite3.connect(os.path.join(self.data, "aistudio.sqlite3")) as conn:
            self.assertEqual(conn.execute("SELECT session_id, type FROM visits ORDER BY id").fetchall(),
                             [("test123", "launch"), ("test123", "show")])

    def test_bad_input_answers_400_json(self):
        for body in (b"{not json", b"[1]", {"type": "launch"}, {"sessionId": "x", "type": "crash"}):
            r = call("POST", "/api/user/visit", body)
            self.assertEqual(r.code, 400, body)
            self.assertEqual(r.json()["success"], False)
        self.assertEqual(call("GET", "/api/visits/stats").json()["count"], 0)

    def test_wrong_method_answers_405_json(self):
        r = call("GET", "/api/user/visit")
        self.assertEqual((r.code, r.json()["error"]), (405, "method_not_allowed"))

    def test_fail_switch(self):
        self.set_env(AISTUDIO_SAMPLE_FAIL="1")
        r = call("POST", "/api/user/visit", {"sessionId": "s", "type": "launch"})
        self.assertEqual((r.code, r.json()["success"]), (200, False))
        self.assertEqual(call("GET", "/api/visits/stats").json()["count"], 0)

    def test_database_url(self):
        path = os.path.join(self.tmp.name, "elsewhere.db")
        self.set_env(DATABASE_URL=f"sqlite:///{path}")
        call("POST", "/api/user/visit", {"sessionId": "s", "type": "launch"})
        self.assertTrue(os.path.exists(path))
        self.assertFalse(os.path.exists(os.path.join(self.data, "aistudio.sqlite3")))
        self.assertEqual(store.db_path(), path)
        self.set_env(DATABASE_URL="postgres://db.example/aistudio")  # PostgreSQL (test_postgres.py): no SQLite file
        self.assertIsNone(store.db_path())

    def test_migrate_creates_the_schema(self):
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        r = subprocess.run([sys.executable, "-m", "migrate"], cwd=HERE, env={**env, "PYTHONDONTWRITEBYTECODE": "1"},
                           capture_output=True, text=True, check=True)
        self.assertIn("schema ready", r.stdout)
        with sqlite3.connect(os.path.join(self.data, "aistudio.sqlite3")) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        self.assertLessEqual({"visits", "settings"}, tables)

    def test_release(self):
        self.set_env(AISTUDIO_RELEASE="r-42")
        self.assertEqual(web.release_id(self.tmp.name), "r-42")
        del os.environ["AISTUDIO_RELEASE"]
        self.assertEqual(web.release_id(self.tmp.name), "dev")
        with open(os.path.join(self.tmp.name, "RELEASE"), "w") as f:
            f.write("abc123\n")
        self.assertEqual(web.release_id(self.tmp.name), "abc123")
        self.assertEqual(call("GET", "/api/health").json(), {"success": True, "release": web.RELEASE})


class DiskFullTest(AppTest):
    """A full data disk answers JSON 507 under /api/ and leaves nothing half-written."""

    def test_upload_on_a_full_disk_leaves_no_partial_file(self):
        # the bytes are written, the flush to disk finds no space (as ext4 reports it late)
        with mock.patch.object(uploads.os, "fsync", side_effect=OSError(28, "No space left on device")):
            r = call("POST", "/api/upload", b"\xff\xd8" + b"x" * 1000, "image/jpeg", query="name=photo.jpg")
        self.assertEqual((r.code, r.json()["error"]), (507, "insufficient_storage"))
        self.assertEqual(self.uploaded(), [])
        # space back: the next upload is whole
        r = call("POST", "/api/upload", b"\xff\xd8ok", "image/jpeg", query="name=photo.jpg").json()
        self.assertTrue(r["success"])
        self.assertEqual(len(self.uploaded()), 1)

    def full(self, free_blocks):
        st = os.statvfs(self.tmp.name)
        return mock.patch.object(app.os, "statvfs", return_value=os.statvfs_result(
            (st.f_bsize, st.f_frsize, st.f_blocks, free_blocks, free_blocks, st.f_files, st.f_ffree, st.f_favail, st.f_flag, st.f_namemax)))

    def test_visit_on_a_full_disk_answers_json_507(self):
        # SQLite in WAL mode reports a full disk as "disk I/O error": the free space decides
        for message in ("disk I/O error", "database or disk is full"):
            with self.full(0), mock.patch.object(store, "add_visit", side_effect=sqlite3.OperationalError(message)):
                r = call("POST", "/api/user/visit", {"sessionId": "s", "type": "launch"})
            self.assertEqual((r.code, r.json()["success"], r.json()["error"]), (507, False, "insufficient_storage"), message)

    def test_other_errors_stay_server_errors(self):
        # a database error with space left is the app's own: gunicorn's 500, as before
        with self.full(1 << 20), mock.patch.object(store, "add_visit", side_effect=sqlite3.OperationalError("disk I/O error")):
            with self.assertRaises(sqlite3.OperationalError):
                call("POST", "/api/user/visit", {"sessionId": "s", "type": "launch"})


class UploadTest(AppTest):
    def test_raw_upload(self):
        r = call("POST", "/api/upload", b"\xff\xd8jpeg bytes", "image/jpeg", query="name=photo.JPG").json()
        self.assertEqual((r["success"], r["size"]), (True, 12))
        self.assertRegex(r["url"], r"^/media/uploads/[0-9a-f]{16}-photo\.jpg$")
        with open(os.path.join(self.data, "media", r["url"][len("/media/"):]), "rb") as f:
            self.assertEqual(f.read(), b"\xff\xd8jpeg bytes")

    def test_multipart_upload_as_wx_upload_file(self):
        data = bytes(range(256)) * 3 + b"\r\n--not-the-boundary\r\n\r"
        body, ctype = multipart([("user", None, b"u1"), ("file", "wxfile://tmp_abc.png", data)])
        r = call("POST", "/api/upload", body, ctype).json()
        self.assertEqual(r["size"], len(data))
        self.assertTrue(r["url"].endswith("-tmp_abc.png"))
        with open(os.path.join(self.data, "media", r["url"][len("/media/"):]), "rb") as f:
            self.assertEqual(f.read(), data)

    def test_media_dir_is_read_from_the_environment(self):
        media = os.path.join(self.tmp.name, "public-media")
        self.set_env(AISTUDIO_MEDIA_DIR=media)
        url = call("POST", "/api/upload", b"x", "text/plain", query="name=a.txt").json()["url"]
        self.assertTrue(os.path.isfile(os.path.join(media, url[len("/media/"):])))

    def test_names_cannot_leave_the_uploads_directory(self):
        for name in ("../../etc/passwd", "..\\..\\win.ini", "/abs/path/..", "....", "a/../../b.jpg", "%2e%2e%2fx", "照片.jpg"):
            url = call("POST", "/api/upload", b"x", "application/octet-stream", query="name=" + name).json()["url"]
            self.assertRegex(url, r"^/media/uploads/[0-9a-f]{16}-[A-Za-z0-9_-][A-Za-z0-9._-]*$", name)
            self.assertNotIn("..", url, name)
        body, ctype = multipart([("file", "../../../../tmp/evil.jpg", b"y")])
        self.assertRegex(call("POST", "/api/upload", body, ctype).json()["url"], r"^/media/uploads/[0-9a-f]{16}-evil\.jpg$")
        self.assertEqual(len(self.uploaded()), 8)
        self.assertEqual(os.listdir(os.path.join(self.data, "media")), ["uploads"])

    def test_active_content_is_not_served_as_a_page(self):
        for name in ("x.html", "x.svg", "x.js", "noext"):
            self.assertTrue(call("POST", "/api/upload", b"<script>", "text/html", query="name=" + name).json()["url"].endswith(".bin"))

    def test_size_limit(self):
        self.set_env(AISTUDIO_MAX_UPLOAD_BYTES="10")
        self.assertEqual(call("POST", "/api/upload", b"0123456789", query="name=ok.txt").code, 200)
        r = call("POST", "/api/upload", b"0123456789!", query="name=big.txt")
        self.assertEqual((r.code, r.json()["error"]), (413, "too_large"))
        body, ctype = multipart([("file", "big.jpg", b"0123456789!")])
        self.assertEqual(call("POST", "/api/upload", body, ctype).code, 413)
        self.assertEqual(len(self.uploaded()), 1)

    def test_default_limit_is_10_mib(self):
        self.assertEqual(uploads.max_bytes(), 10 * 1024 * 1024)

    def test_bad_uploads(self):
        self.assertEqual(call("POST", "/api/upload", b"", query="name=a.jpg").code, 400)
        body, ctype = multipart([("photo", "a.jpg", b"x")])
        r = call("POST", "/api/upload", body, ctype)
        self.assertEqual((r.code, r.json()["error"]), (400, "missing_field_file"))
        self.assertEqual(self.uploaded(), [])


class PagesTest(AppTest):
    def test_home_page_is_the_apps(self):
        r = call("GET", "/")
        self.assertEqual(r.code, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/html"))
        self.assertIn("aistudio", r.text)
        self.assertEqual(call("HEAD", "/").code, 200)

    def test_not_found(self):
        for path in ("/api/nope", "/admin/api/nope"):
            r = call("GET", path)
            self.assertEqual((r.code, r.json()), (404, {"success": False, "error": "not_found", "path": path}))
        for path in ("/nope", "/admin/nope", "/media/x.jpg"):
            r = call("GET", path)
            self.assertEqual(r.code, 404, path)
            self.assertTrue(r.header("Content-Type").startswith("text/html"), path)
            self.assertIn("</html>", r.text)


if __name__ == "__main__":
    unittest.main()
