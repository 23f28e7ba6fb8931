"""POST /api/upload: a raw body (?name=FILE) or multipart/form-data as wx.uploadFile sends it
(field `file`), stored under a safe, unique name and answered with its URL /media/uploads/NAME:
in $AISTUDIO_MEDIA_DIR/uploads/ (nginx serves /media/ from there), or, when
AISTUDIO_UPLOADS_S3_ENDPOINT is set (several servers: one store every server sees, s3.py), in
that S3 bucket, and GET /media/uploads/NAME is then the app's, streamed from the store.

Names keep only [A-Za-z0-9._-] of their last path component, and extensions outside a short list
of photo/video/document types become .bin: nginx serves /media/ on the admin's own origin, so an
uploaded .html or .svg must never be served as a page.
"""
import json
import os
import re
import secrets
import sys
from email import policy
from email.parser import BytesParser

import s3
import web

DEFAULT_MAX = 10 * 1024 * 1024
# room for the multipart envelope (boundaries, part headers, small form fields) around the file
ENVELOPE = 64 * 1024
# the types they are served as (from the store; nginx has its own table for the disk)
SAFE_EXTENSIONS = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif", ".webp": "image/webp",
                   ".heic": "image/heic", ".heif": "image/heif", ".mp4": "video/mp4", ".mov": "video/quicktime",
                   ".pdf": "application/pdf", ".txt": "text/plain; charset=utf-8"}
URL_PREFIX = "/media/uploads/"
# a name safe_name gives: one path component, no leading dot, no ".."
SERVED_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$")
UNAVAILABLE = "uploads_store_unavailable"


def max_bytes():
    return web.env_int("AISTUDIO_MAX_UPLOAD_BYTES", DEFAULT_MAX)


def safe_name(name):
    """A unique file name that cannot leave the uploads directory."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"\.{2,}", ".", re.sub(r"[^A-Za-z0-9._-]+", "_", base)).strip("._")
    stem, ext = os.path.splitext(base)
    ext = ext.lower() if ext.lower() in SAFE_EXTENSIONS else ".bin"
    return f"{secrets.token_hex(8)}-{stem[:64] or 'upload'}{ext}"


def multipart_file(body, content_type, field="file"):
    """(filename, bytes) of the form field `field` of a multipart/form-data body."""
    head = b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n"
    msg = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not msg.is_multipart():
        raise web.HttpError(400, "bad_multipart")
    for part in msg.iter_parts():
        if part.get_param("name", header="content-disposition") == field:
            return part.get_filename() or "", part.get_payload(decode=True) or b""
    raise web.HttpError(400, f"missing_field_{field}")


def content_type(name):
    return SAFE_EXTENSIONS.get(os.path.splitext(name)[1].lower(), "application/octet-stream")


def store():
    """The S3 store of the uploads (AISTUDIO_UPLOADS_S3_*), None when they are on disk;
    s3.StoreUnavailable when the variables are wrong (said in the log, answered 503)."""
    return s3.Store.from_env()


def unavailable(what, e):
    print(f"aistudio: uploads store unavailable, {what}: {e}", file=sys.stderr, flush=True)
    return web.HttpError(503, UNAVAILABLE)


def save(name, data):
    """Stores the bytes under a new name; the URL they are served at."""
    final = safe_name(name)
    try:
        bucket = store()
        if bucket is not None:
            # a PUT is atomic: the object is whole in the store once it answers 200, or not there
            bucket.put(final, data, content_type(final))
            return URL_PREFIX + final
    except s3.StoreUnavailable as e:
        raise unavailable(f"upload {final} not stored", e)
    folder = os.path.join(web.media_dir(), "uploads")
    os.makedirs(folder, exist_ok=True)
    # written beside its final name and linked there only when complete: a full disk or a killed
    # worker never leaves a truncated photo that nginx would serve (link fails if the name exists)
    tmp = os.path.join(folder, f".incoming-{secrets.token_hex(8)}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, os.path.join(folder, final))
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
    return URL_PREFIX + final


def handle(environ, start_response):
    limit = max_bytes()
    content_type = environ.get("CONTENT_TYPE", "")
    if content_type.lower().startswith("multipart/form-data"):
        name, data = multipart_file(web.read_body(environ, limit + ENVELOPE), content_type)
    else:
        name, data = web.query(environ).get("name", ""), web.read_body(environ, limit)
    if len(data) > limit:
        raise web.HttpError(413, "too_large")
    if not data:
        raise web.HttpError(400, "empty_upload")
    url = save(name, data)
    return web.json_response(start_response, 200, {"success": True, "url": url, "size": len(data)})


# --- GET /media/uploads/NAME from the store (nginx passes /media/ to the app when uploads are in S3) ---

PASSED_IN = ("Range", "If-Range", "If-None-Match", "If-Modified-Since")
PASSED_OUT = ("Content-Length", "Content-Range", "ETag", "Last-Modified", "Accept-Ranges")


def _json(start_response, code, obj):
    body = json.dumps(obj).encode("utf-8")
    start_response(web._status(code), [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body))),
                                       ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")])
    return [body]


def serve(environ, start_response):
    """Streams one upload from the store: its type from its name (never the store's), the store's
    ETag/Last-Modified/ranges passed through, JSON 404 for a name that is not there or not one of
    ours (no listing, no other path), JSON 503 when the store fails."""
    path = environ.get("PATH_INFO", "")
    method = environ.get("REQUEST_METHOD", "GET")
    name = path[len(URL_PREFIX):]
    if method not in ("GET", "HEAD"):
        return _json(start_response, 405, {"success": False, "error": "method_not_allowed"})
    if not SERVED_NAME.match(name) or ".." in name:
        return _json(start_response, 404, {"success": False, "error": "not_found"})
    headers = {h.lower(): environ[k] for h in PASSED_IN if (k := "HTTP_" + h.upper().replace("-", "_")) in environ}
    try:
        status, resp, body = store().get(name, method, headers)
    except s3.NotFound:
        return _json(start_response, 404, {"success": False, "error": "not_found"})
    except s3.StoreUnavailable as e:
        print(f"aistudio: uploads store unavailable, {method} {name}: {e}", file=sys.stderr, flush=True)
        return _json(start_response, 503, {"success": False, "error": UNAVAILABLE})
    out = [(h, resp.getheader(h)) for h in PASSED_OUT if resp.getheader(h) is not None]
    if status == 416:  # a range past the end: the store's error body is not the photo's type
        body.close()
        start_response(web._status(416), [("Content-Range", resp.getheader("Content-Range") or "bytes */*"), ("Content-Length", "0")])
        return []
    if status != 304:
        out.append(("Content-Type", content_type(name)))
    # as nginx serves /media/ from disk: a day in caches; user content is never sniffed into a page
    out += [("Cache-Control", "max-age=86400"), ("X-Content-Type-Options", "nosniff")]
    start_response(web._status(status), out)
    if method == "HEAD" or status == 304:
        body.close()
        return []
    return body
