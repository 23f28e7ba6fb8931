"""Sample aistudio backend: a stdlib WSGI app that answers like the real one (entry: app:application).

  POST /api/user/visit {"sessionId": "...", "type": "launch"}  the mini program's visit, stored (store.py)
  GET  /api/visits/stats                                        {"success": true, "count": N}
  POST /api/upload?name=FILE, or multipart/form-data field file  saved under $AISTUDIO_MEDIA_DIR/uploads,
                                                                or in S3 (AISTUDIO_UPLOADS_S3_*, uploads.py)
  GET  /media/uploads/NAME                                      only with S3: streamed from the store
  GET  /api/health
  /admin/...                                                    the admin backend (admin.py)
  GET  /                                                        the app's home page

Data: SQLite, or PostgreSQL when DATABASE_URL is postgresql://… (db.py, Debian's python3-psycopg2).
Environment: AISTUDIO_DATA_DIR, AISTUDIO_MEDIA_DIR, AISTUDIO_RELEASE, DATABASE_URL, SECRET_KEY,
ADMIN_PASSWORD, AISTUDIO_SESSION_SECONDS, AISTUDIO_MAX_UPLOAD_BYTES, AISTUDIO_UPLOADS_S3_* (s3.py); fault switches for tests:
AISTUDIO_SAMPLE_FAIL=1 (the visit answers success:false), AISTUDIO_AUTH_REDIRECT=1 and
AISTUDIO_SAMPLE_ADMIN_500=1 (admin.py). Unknown paths: JSON 404 under /api/ and /admin/api/, the
app's HTML 404 page elsewhere.
"""
import errno
import html
import os
import sqlite3
import sys
import time

import admin
import store
import uploads
import web

VISIT_TYPES = ("launch", "show", "hide")


def visit(environ, start_response):
    payload = web.read_json(environ)
    if not isinstance(payload, dict) or not payload.get("sessionId") or payload.get("type") not in VISIT_TYPES:
        raise web.HttpError(400, "sessionId and type are required")
    if web.flag("AISTUDIO_SAMPLE_FAIL"):
        return web.json_response(start_response, 200, {"success": False, "error": "injected failure"})
    visit_id = store.add_visit(str(payload["sessionId"]), payload["type"])
    return web.json_response(start_response, 200, {"success": True, "visitId": visit_id, "sessionId": payload["sessionId"],
                                                   "type": payload["type"], "release": web.RELEASE,
                                                   "serverTime": int(time.time())})


def stats(environ, start_response):
    return web.json_response(start_response, 200, {"success": True, "count": store.visit_count()})


def health(environ, start_response):
    return web.json_response(start_response, 200, {"success": True, "release": web.RELEASE})


def home(environ, start_response):
    return web.html_response(start_response, 200, web.page("aistudio 照相馆 / photo studio", f"""
<p>aistudio 后端运行中 / the aistudio backend is running (release <code>{html.escape(web.RELEASE)}</code>).</p>
<p><a href="/admin/">管理后台 / admin</a></p>"""))


ROUTES = {
    "/": {"GET": home},
    "/api/health": {"GET": health},
    "/api/user/visit": {"POST": visit},
    "/api/visits/stats": {"GET": stats},
    "/api/upload": {"POST": uploads.handle},
    **admin.ROUTES,
}


def application(environ, start_response):
    path = environ.get("PATH_INFO", "") or "/"
    method = environ.get("REQUEST_METHOD", "GET")
    # uploads in S3: nginx hands /media/ to the app, which streams them from the store
    if path.startswith(uploads.URL_PREFIX) and os.environ.get("AISTUDIO_UPLOADS_S3_ENDPOINT"):
        return uploads.serve(environ, start_response)
    methods = ROUTES.get(path)
    if methods is None:
        return web.error(start_response, path, 404, "not_found")
    handler = methods.get("GET" if method == "HEAD" else method)
    if handler is None:
        return web.error(start_response, path, 405, "method_not_allowed")
    try:
        return handler(environ, start_response)
    except web.HttpError as e:
        return web.error(start_response, path, e.status, e.code)
    except Exception as e:  # noqa: BLE001 - only a full disk is answered here; the rest stays gunicorn's 500
        if not disk_full(e):
            raise
        print(f"aistudio: disk full, {method} {path} refused: {e}", file=sys.stderr, flush=True)
        return web.error(start_response, path, 507, "insufficient_storage")


def disk_full(e):
    """No space left for the data: a file write (ENOSPC), PostgreSQL (DiskFull), or a database error
    while the data directory has no free block (SQLite in WAL mode reports a full disk as "disk I/O
    error", or "database or disk is full")."""
    if isinstance(e, OSError) and e.errno == errno.ENOSPC:
        return True
    if type(e).__name__ == "DiskFull":
        return True
    if isinstance(e, sqlite3.OperationalError):
        try:
            st = os.statvfs(web.data_dir())
        except OSError:
            return False
        return st.f_bavail * st.f_frsize < 1 << 20
    return False
