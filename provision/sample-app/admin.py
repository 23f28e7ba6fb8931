"""The admin backend under /admin/: login, a session cookie, the dashboard and 小程序配置.

Sessions: `aistudio_session=admin.<expiry>.<HMAC-SHA256>` signed with SECRET_KEY (or a key made
once and kept in the data dir, mode 0600), valid AISTUDIO_SESSION_SECONDS (3600). The one user is
`admin` with ADMIN_PASSWORD; without it nobody can log in.

Troubleshooting guide, section 6 (saving 小程序配置 fails with Unexpected token '<'): the config
API answers 401 JSON when the session is missing or expired, never the HTML login page. Two
switches bring the broken behaviours back for the doctor's tests: AISTUDIO_AUTH_REDIRECT=1 (the API
redirects to the login page, the old bug) and AISTUDIO_SAMPLE_ADMIN_500=1 (the save endpoint raises,
logged in or not, so gunicorn answers its HTML 500 and the traceback goes to the journal).
"""
import hashlib
import hmac
import os
import secrets
import time

import admin_pages
import store
import web

USER = "admin"
COOKIE = "aistudio_session"
LOGIN = "/admin/login"
CONFIG_KEY = "miniprogram_config"
clock = time.time  # tests move time forward by replacing this


# --- sessions ---

def secret_key():
    key = os.environ.get("SECRET_KEY")
    return key.encode("utf-8") if key else _stored_key()


def _stored_key():
    """A key generated once and kept in the data dir (0600); the first worker to write it wins."""
    path = os.path.join(web.data_dir(), "secret_key")
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    with open(path, encoding="ascii") as f:
        return f.read().strip().encode("ascii")


def _sign(text):
    return hmac.new(secret_key(), text.encode("utf-8"), hashlib.sha256).hexdigest()


def session_cookie(user):
    seconds = web.env_int("AISTUDIO_SESSION_SECONDS", 3600)
    value = f"{user}.{int(clock()) + seconds}"
    return f"{COOKIE}={value}.{_sign(value)}; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age={seconds}"


def session_user(environ):
    """The logged-in user, or None (no cookie, a bad signature, expired)."""
    parts = (web.cookie(environ, COOKIE) or "").split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    user, expiry, sig = parts
    if not hmac.compare_digest(sig.encode(), _sign(f"{user}.{expiry}").encode()) or int(expiry) <= clock():
        return None
    return user


def check_password(username, password):
    expected = os.environ.get("ADMIN_PASSWORD", "")
    return bool(expected) and username == USER and hmac.compare_digest(password.encode("utf-8"), expected.encode("utf-8"))


# --- guards ---

def page_view(handler):
    """An HTML page: without a session, 303 to the login form."""
    def guarded(environ, start_response):
        if not session_user(environ):
            return web.redirect(start_response, 303, LOGIN)
        return handler(environ, start_response)
    return guarded


def api_view(handler):
    """An admin API: without a session, 401 JSON the page's script can read (or the old redirect)."""
    def guarded(environ, start_response):
        if session_user(environ):
            return handler(environ, start_response)
        if web.flag("AISTUDIO_AUTH_REDIRECT"):
            return web.redirect(start_response, 302, LOGIN)
        return web.json_response(start_response, 401, {"success": False, "error": "login_required", "login": LOGIN})
    return guarded


# --- handlers ---

def login_form(environ, start_response, code=200, problem=""):
    configured = bool(os.environ.get("ADMIN_PASSWORD"))
    return web.html_response(start_response, code, admin_pages.login(configured, problem))


def login(environ, start_response):
    form = web.read_form(environ)
    if not check_password(form.get("username", ""), form.get("password", "")):
        return login_form(environ, start_response, 401, "用户名或密码错误 / wrong user name or password")
    return web.redirect(start_response, 303, "/admin/", [("Set-Cookie", session_cookie(USER))])


def logout(environ, start_response):
    gone = f"{COOKIE}=; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=0"
    return web.redirect(start_response, 303, LOGIN, [("Set-Cookie", gone)])


@page_view
def dashboard(environ, start_response):
    return web.html_response(start_response, 200, admin_pages.dashboard(store.visit_count(), web.RELEASE))


@page_view
def config_page(environ, start_response):
    return web.html_response(start_response, 200, admin_pages.MINIPROGRAM_CONFIG)


@api_view
def get_config(environ, start_response):
    config, updated = store.get_setting(CONFIG_KEY, {})
    return web.json_response(start_response, 200, {"success": True, "config": config, "updatedAt": updated})


def save_config(environ, start_response):
    if web.flag("AISTUDIO_SAMPLE_ADMIN_500"):
        raise RuntimeError("AISTUDIO_SAMPLE_ADMIN_500=1: injected failure saving 小程序配置")
    return _save_config(environ, start_response)


@api_view
def _save_config(environ, start_response):
    config = web.read_json(environ)
    if not isinstance(config, dict):
        raise web.HttpError(400, "config_must_be_an_object")
    store.put_setting(CONFIG_KEY, config)
    return web.json_response(start_response, 200, {"success": True})


def to_slash(environ, start_response):
    return web.redirect(start_response, 301, "/admin/")


ROUTES = {
    "/admin": {"GET": to_slash},
    "/admin/": {"GET": dashboard},
    LOGIN: {"GET": login_form, "POST": login},
    "/admin/logout": {"POST": logout},
    "/admin/miniprogram-config": {"GET": config_page},
    "/admin/api/miniprogram-config": {"GET": get_config, "POST": save_config},
}
