"""Sample aistudio backend: the smallest WSGI app that answers like the real one.

POST /api/user/visit  {"sessionId": "...", "type": "launch"}  ->  {"success": true, ...}
Anything else under /api/ answers JSON too, so the admin backend never sees HTML.
"""
import json
import os
import time

def _release():
    # the deploy writes the release id into RELEASE beside the code
    try:
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "RELEASE"), encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        return os.environ.get("AISTUDIO_RELEASE", "dev")


RELEASE = _release()
# Fault injection for tests: AISTUDIO_SAMPLE_FAIL=1 makes the visit endpoint answer success=false.
FAIL = os.environ.get("AISTUDIO_SAMPLE_FAIL") == "1"


def _json(start_response, status, body):
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    start_response(status, [("Content-Type", "application/json; charset=utf-8"),
                            ("Content-Length", str(len(data)))])
    return [data]


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    method = environ.get("REQUEST_METHOD", "GET")
    if path == "/api/user/visit":
        if method != "POST":
            return _json(start_response, "405 Method Not Allowed", {"success": False, "error": "method_not_allowed"})
        try:
            size = int(environ.get("CONTENT_LENGTH") or 0)
            payload = json.loads(environ["wsgi.input"].read(size) or b"{}")
        except (ValueError, KeyError):
            return _json(start_response, "400 Bad Request", {"success": False, "error": "invalid_json"})
        if not isinstance(payload, dict) or not payload.get("sessionId") or payload.get("type") not in ("launch", "show", "hide"):
            return _json(start_response, "400 Bad Request", {"success": False, "error": "sessionId and type are required"})
        if FAIL:
            return _json(start_response, "200 OK", {"success": False, "error": "injected failure"})
        return _json(start_response, "200 OK", {"success": True, "sessionId": payload["sessionId"],
                                                 "type": payload["type"], "release": RELEASE,
                                                 "serverTime": int(time.time())})
    if path == "/api/health":
        return _json(start_response, "200 OK", {"success": True, "release": RELEASE})
    return _json(start_response, "404 Not Found", {"success": False, "error": "not_found", "path": path})
