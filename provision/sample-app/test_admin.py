"""The sample app's admin backend in-process: login, sessions, pages and its JSON API (helpers from
test_app.py; python3 -m unittest discover -s provision/sample-app -p 'test_*.py' -v).
"""
import os
import unittest
from unittest import mock

import admin
from test_app import AppTest, call


class AdminLoginTest(AppTest):
    def test_login_form(self):
        r = call("GET", "/admin/login")
        self.assertEqual(r.code, 200)
        self.assertIn('name="password"', r.text)
        self.assertNotIn("ADMIN_PASSWORD is not set", r.text)

    def test_login_sets_a_signed_session_cookie(self):
        r, session = self.login()
        self.assertEqual((r.code, r.header("Location")), (303, "/admin/"))
        self.assertRegex(r.header("Set-Cookie"), r"^aistudio_session=admin\.\d+\.[0-9a-f]{64}; HttpOnly; Secure; SameSite=Lax; Path=/")
        self.assertEqual(call("GET", "/admin/", cookie=session).code, 200)

    def test_wrong_password_shows_the_form_with_401(self):
        for password in ("wrong", "", "s3cret-pw "):
            r, session = self.login(password)
            self.assertEqual((r.code, session), (401, ""))
            self.assertIn('name="password"', r.text)
        r = call("POST", "/admin/login", b"username=root&password=s3cret-pw", "application/x-www-form-urlencoded")
        self.assertEqual(r.code, 401)

    def test_no_admin_password_means_no_login(self):
        del os.environ["ADMIN_PASSWORD"]
        self.assertIn("ADMIN_PASSWORD is not set", call("GET", "/admin/login").text)
        for password in ("", "admin", "password"):
            self.assertEqual(self.login(password)[0].code, 401)

    def test_forged_or_foreign_cookies_are_refused(self):
        _, session = self.login()
        user, expiry, sig = session.split("=", 1)[1].split(".")
        forged = [f"aistudio_session=admin.{int(expiry) + 9999}.{sig}", f"aistudio_session=root.{expiry}.{sig}",
                  "aistudio_session=admin", "aistudio_session=", 'aistudio_session="bad;cookie',
                  f"aistudio_session=admin.{expiry}.\u00e9{sig[1:]}"]
        for cookie in forged:
            self.assertEqual(call("GET", "/admin/api/miniprogram-config", cookie=cookie).code, 401, cookie)
        self.set_env(SECRET_KEY="another-key")
        self.assertEqual(call("GET", "/admin/api/miniprogram-config", cookie=session).code, 401)

    def test_session_expires(self):
        self.set_env(AISTUDIO_SESSION_SECONDS="60")
        _, session = self.login()
        start = admin.clock()
        for offset, code in ((59, 200), (61, 401)):
            with mock.patch.object(admin, "clock", lambda: start + offset):
                self.assertEqual(call("GET", "/admin/api/miniprogram-config", cookie=session).code, code, offset)
                self.assertEqual(call("GET", "/admin/", cookie=session).code, 200 if code == 200 else 303, offset)

    def test_generated_secret_key_is_kept_0600(self):
        del os.environ["SECRET_KEY"]
        _, session = self.login()
        path = os.path.join(self.data, "secret_key")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        with open(path) as f:
            key = f.read()
        self.assertEqual(call("GET", "/admin/", cookie=session).code, 200)
        with open(path) as f:
            self.assertEqual(f.read(), key)
        self.assertEqual([n for n in os.listdir(self.data) if n.startswith("secret_key")], ["secret_key"])

    def test_logout_clears_the_cookie(self):
        r = call("POST", "/admin/logout")
        self.assertEqual((r.code, r.header("Location")), (303, "/admin/login"))
        self.assertIn("Max-Age=0", r.header("Set-Cookie"))


class AdminPagesTest(AppTest):
    def test_pages_redirect_to_login_without_a_session(self):
        for path in ("/admin/", "/admin/miniprogram-config"):
            r = call("GET", path)
            self.assertEqual((r.code, r.header("Location")), (303, "/admin/login"), path)
        self.assertEqual(call("GET", "/admin").header("Location"), "/admin/")

    def test_dashboard_shows_the_visit_count(self):
        for _ in range(3):
            call("POST", "/api/user/visit", {"sessionId": "s", "type": "launch"})
        r = call("GET", "/admin/", cookie=self.login()[1])
        self.assertIn('<strong id="visits">3</strong>', r.text)
        self.assertTrue(r.header("Content-Type").startswith("text/html"))

    def test_config_page_saves_through_the_api(self):
        r = call("GET", "/admin/miniprogram-config", cookie=self.login()[1])
        self.assertEqual(r.code, 200)
        self.assertIn("小程序配置", r.text)
        self.assertIn("/admin/api/miniprogram-config", r.text)
        self.assertIn("res.json()", r.text)


class AdminApiTest(AppTest):
    LOGIN_REQUIRED = {"success": False, "error": "login_required", "login": "/admin/login"}

    def test_save_and_read_back(self):
        session = self.login()[1]
        self.assertEqual(call("GET", "/admin/api/miniprogram-config", cookie=session).json()["config"], {})
        config = {"studioName": "光影照相馆", "bookingEnabled": True, "notice": "<b>新年</b>"}
        self.assertEqual(call("POST", "/admin/api/miniprogram-config", config, cookie=session).json(), {"success": True})
        got = call("GET", "/admin/api/miniprogram-config", cookie=session).json()
        self.assertEqual((got["success"], got["config"]), (True, config))
        self.assertIsInstance(got["updatedAt"], int)

    def test_only_objects_are_saved(self):
        session = self.login()[1]
        for body in ([1, 2], b'"text"', b"{broken"):
            r = call("POST", "/admin/api/miniprogram-config", body, cookie=session)
            self.assertEqual((r.code, r.json()["success"]), (400, False), body)
        self.assertEqual(call("GET", "/admin/api/miniprogram-config", cookie=session).json()["config"], {})

    def test_without_a_session_the_api_answers_401_json(self):
        for method in ("GET", "POST"):
            r = call(method, "/admin/api/miniprogram-config", {"studioName": "x"})
            self.assertEqual((r.code, r.json()), (401, self.LOGIN_REQUIRED), method)
        self.assertEqual(self.login()[0].code, 303)

    def test_auth_redirect_switch_brings_back_the_old_bug(self):
        self.set_env(AISTUDIO_AUTH_REDIRECT="1")
        r = call("POST", "/admin/api/miniprogram-config", {"studioName": "x"})
        self.assertEqual((r.code, r.header("Location")), (302, "/admin/login"))
        self.assertTrue(r.header("Content-Type").startswith("text/html"))
        # following it gives the HTML page a fetch() then fails to parse: Unexpected token '<'
        self.assertTrue(call("GET", r.header("Location")).text.startswith("<"))
        self.assertEqual(call("GET", "/admin/api/miniprogram-config", cookie=self.login()[1]).code, 200)

    def test_admin_500_switch_makes_the_save_endpoint_raise(self):
        self.set_env(AISTUDIO_SAMPLE_ADMIN_500="1")
        for cookie in (None, self.login()[1]):
            with self.assertRaises(RuntimeError):
                call("POST", "/admin/api/miniprogram-config", {"studioName": "x"}, cookie=cookie)
        self.assertEqual(call("GET", "/admin/api/miniprogram-config", cookie=self.login()[1]).code, 200)


if __name__ == "__main__":
    unittest.main()
