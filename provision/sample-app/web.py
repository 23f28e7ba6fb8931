"""What every module of the sample app shares: the environment it reads, reading requests and
writing responses. JSON under /api/ and /admin/api/ (the admin's JavaScript parses every answer
there as JSON), HTML pages of the app elsewhere.
"""
import html
import json
import os
import tempfile
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs

JSON_PREFIXES = ("/api/", "/admin/api/")


class HttpError(Exception):
    """An answer the handler gives up with: status and a short machine-readable code."""

    def __init__(self, status, code):
        super().__init__(code)
        self.status = status
        self.code = code


# --- the environment (read per request, so a test or a restart sees the current value) ---

def data_dir():
    """AISTUDIO_DATA_DIR: the one writable directory (for local runs, aistudio-data in the temp dir,
    never beside the code, which the deploy ships as it finds it)."""
    d = os.environ.get("AISTUDIO_DATA_DIR") or os.path.join(tempfile.gettempdir(), "aistudio-data")
    os.makedirs(d, exist_ok=True)
    return d


def media_dir():
    """AISTUDIO_MEDIA_DIR: uploads, served by nginx at /media/."""
    return os.environ.get("AISTUDIO_MEDIA_DIR") or os.path.join(data_dir(), "media")


def env_int(name, default):
    try:
        value = int(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def flag(name):
    return os.environ.get(name) == "1"


def release_id(code_dir=os.path.dirname(os.path.abspath(__file__))):
    if os.environ.get("AISTUDIO_RELEASE"):
        return os.environ["AISTUDIO_RELEASE"]
    # the deploy also writes the release id into RELEASE beside the code
    try:
        with open(os.path.join(code_dir, "RELEASE"), encoding="utf-8") as f:
            return f.read().strip() or "dev"
    except OSError:
        return "dev"


RELEASE = release_id()


# --- requests ---

def read_body(environ, limit):
    """The request body, at most `limit` bytes (HttpError 413 beyond)."""
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length:
        try:
            n = int(length)
        except ValueError:
            raise HttpError(400, "bad_content_length")
        if n > limit:
            raise HttpError(413, "too_large")
        return stream.read(n)
    data = stream.read(limit + 1)  # chunked or unknown length: the server ends the stream
    if len(data) > limit:
        raise HttpError(413, "too_large")
    return data


def read_json(environ, limit=64 * 1024):
    try:
        return json.loads(read_body(environ, limit) or b"{}")
    except ValueError:
        raise HttpError(400, "invalid_json")


def read_form(environ, limit=16 * 1024):
    fields = parse_qs(read_body(environ, limit).decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in fields.items()}


def query(environ):
    return {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}


def cookie(environ, name):
    try:
        jar = SimpleCookie(environ.get("HTTP_COOKIE", ""))
    except CookieError:
        return None
    return jar[name].value if name in jar else None


# --- responses ---

def _status(code):
    return f"{code} {HTTPStatus(code).phrase}"


def respond(start_response, code, body, content_type, headers=()):
    start_response(_status(code), [("Content-Type", content_type), ("Content-Length", str(len(body))), *headers])
    return [body]


def json_response(start_response, code, obj, headers=()):
    return respond(start_response, code, json.dumps(obj, ensure_ascii=False).encode("utf-8"),
                   "application/json; charset=utf-8", headers)


def html_response(start_response, code, page, headers=()):
    return respond(start_response, code, page.encode("utf-8"), "text/html; charset=utf-8", headers)


def redirect(start_response, code, location, headers=()):
    return html_response(start_response, code, page("Redirect", f'<p><a href="{html.escape(location)}">{html.escape(location)}</a></p>'),
                         [("Location", location), *headers])


def error(start_response, path, code, what):
    """An error in the form the caller reads: JSON for the APIs, the app's HTML page elsewhere."""
    if path.startswith(JSON_PREFIXES):
        return json_response(start_response, code, {"success": False, "error": what, "path": path})
    return html_response(start_response, code, page(f"{code} {HTTPStatus(code).phrase}",
                                                    f"<p>{html.escape(what)}: <code>{html.escape(path)}</code></p>"
                                                    '<p><a href="/">首页 / home</a></p>'))


def page(title, body):
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · aistudio</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}}
label{{display:block;margin:.6rem 0}}input[type=text],input[type=password],textarea{{width:100%}}.err{{color:#b00}}</style>
</head><body><h1>{html.escape(title)}</h1>
{body}
</body></html>
"""
