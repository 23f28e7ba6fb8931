"""POST /api/upload: a raw body (?name=FILE) or multipart/form-data as wx.uploadFile sends it
(field `file`), written to $AISTUDIO_MEDIA_DIR/uploads/ under a safe, unique name.

Names keep only [A-Za-z0-9._-] of their last path component, and extensions outside a short list
of photo/video/document types become .bin: nginx serves /media/ on the admin's own origin, so an
uploaded .html or .svg must never be served as a page.
"""
import os
import re
import secrets
from email import policy
from email.parser import BytesParser

import web

DEFAULT_MAX = 10 * 1024 * 1024
# room for the multipart envelope (boundaries, part headers, small form fields) around the file
ENVELOPE = 64 * 1024
SAFE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".heif", ".mp4", ".mov", ".pdf", ".txt"}


def max_bytes():
    return web.env_int("AISTUDIO_MAX_UPLOAD_BYTES", DEFAULT_MAX)


def safe_name(name):
    """A unique file name that cannot leave the uploads directory."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._")
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


def save(name, data):
    """Writes the bytes under a new name; the URL nginx serves them at."""
    folder = os.path.join(web.media_dir(), "uploads")
    os.makedirs(folder, exist_ok=True)
    final = safe_name(name)
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
    return f"/media/uploads/{final}"


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
