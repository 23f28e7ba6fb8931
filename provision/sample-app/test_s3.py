"""The uploads store in S3 (s3.py, uploads.py): the SigV4 signer against AWS's published values, then
the app against a small S3 server on loopback that checks every signature (a wrong key is refused
as S3 refuses it): uploads PUT whole into the bucket and nothing on disk, GET /media/uploads/NAME
streamed back with its type and the store's validators, a missing key or a foreign path as JSON
404, a store that is down or refuses the keys as JSON 503.
"""
import hashlib
import http.server
import os
import threading
import unittest
from unittest import mock

import s3
import uploads
from test_app import AppTest, call, multipart

# AWS's Signature Version 4 test suite (aws-sig-v4-test-suite, as in botocore's tests): its credentials
SUITE = {"access_key_id": "AKIDEXAMPLE", "secret": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "region": "us-east-1",
         "service": "service", "amz_date": "20150830T123600Z"}
SUITE_HEADERS = {"Host": "example.amazonaws.com", "X-Amz-Date": "20150830T123600Z"}
# the worked examples of Amazon S3's "Signature Calculations for the Authorization Header"
S3_DOC = {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "region": "us-east-1",
          "service": "s3", "amz_date": "20130524T000000Z"}
S3_HOST = "examplebucket.s3.amazonaws.com"


class SignerTest(unittest.TestCase):
    def suite(self, method, path, query=()):
        return s3.sign(method, path, list(query), SUITE_HEADERS, s3.EMPTY_SHA256, **SUITE)

    def test_get_vanilla(self):
        r = self.suite("GET", "/")
        self.assertEqual(r["canonical_request"], "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + s3.EMPTY_SHA256)
        self.assertEqual(r["string_to_sign"], "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
                         "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63")
        self.assertEqual(r["authorization"], "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                         "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")

    def test_suite_cases(self):
        cases = [
            ("get-vanilla-query-order-key-case", "GET", "/", [("Param2", "value2"), ("Param1", "value1")],
             "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
            ("get-utf8", "GET", "/\u1234", [], "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
            ("post-vanilla", "POST", "/", [], "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        ]
        for name, method, path, query, signature in cases:
            self.assertEqual(self.suite(method, path, query)["signature"], signature, name)

    def test_s3_get_object_with_range(self):
        headers = {"Host": S3_HOST, "Range": "bytes=0-9", "x-amz-content-sha256": s3.EMPTY_SHA256, "x-amz-date": "20130524T000000Z"}
        r = s3.sign("GET", "/test.txt", [], headers, s3.EMPTY_SHA256, **S3_DOC)
        self.assertEqual(r["string_to_sign"].split("\n")[-1], "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972")
        self.assertEqual(r["signature"], "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        self.assertIn("SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,", r["authorization"])

    def test_s3_put_object_key_encoded_once_payload_signed(self):
        payload = hashlib.sha256(b"Welcome to Amazon S3.").hexdigest()
        self.assertEqual(payload, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        headers = {"Date": "Fri, 24 May 2013 00:00:00 GMT", "Host": S3_HOST, "x-amz-content-sha256": payload,
                   "x-amz-date": "20130524T000000Z", "x-amz-storage-class": "REDUCED_REDUNDANCY"}
        r = s3.sign("PUT", "/test$file.text", [], headers, payload, **S3_DOC)
        self.assertTrue(r["canonical_request"].startswith("PUT\n/test%24file.text\n\n"))
        self.assertEqual(r["signature"], "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")

    def test_s3_query_examples(self):
        headers = {"Host": S3_HOST, "x-amz-content-sha256": s3.EMPTY_SHA256, "x-amz-date": "20130524T000000Z"}
        self.assertEqual(s3.sign("GET", "/", [("lifecycle", "")], headers, s3.EMPTY_SHA256, **S3_DOC)["signature"],
                         "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
        self.assertEqual(s3.sign("GET", "/", [("max-keys", "2"), ("prefix", "J")], headers, s3.EMPTY_SHA256, **S3_DOC)["signature"],
                         "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")

    def test_uri_encode(self):
        self.assertEqual(s3.uri_encode("a b+~/x", keep_slash=True), "a%20b%2B~/x")
        self.assertEqual(s3.uri_encode("a/b"), "a%2Fb")
        self.assertEqual(s3.uri_encode("ключ"), "%D0%BA%D0%BB%D1%8E%D1%87")

    def test_addressing(self):
        path = s3.Store("http://198.18.0.9:8333", "b-1", "us-east-1", "k", "s", "up/", "path")
        self.assertEqual(path.target("x.jpg"), ("198.18.0.9:8333", "/b-1/up/x.jpg"))
        oss = s3.Store("https://s3.oss-cn-hangzhou-internal.aliyuncs.com", "photos", "cn-hangzhou", "k", "s", "uploads/", "virtual")
        self.assertEqual(oss.target("x.jpg"), ("photos.s3.oss-cn-hangzhou-internal.aliyuncs.com", "/uploads/x.jpg"))

    def test_bad_environment_is_unavailable_not_a_crash(self):
        self.assertIsNone(s3.Store.from_env({}))
        for env in ({"AISTUDIO_UPLOADS_S3_ENDPOINT": "ftp://x"}, {"AISTUDIO_UPLOADS_S3_ENDPOINT": "http://h", "AISTUDIO_UPLOADS_S3_BUCKET": "b"},
                    {"AISTUDIO_UPLOADS_S3_ENDPOINT": "http://h", "AISTUDIO_UPLOADS_S3_BUCKET": "bkt", "AISTUDIO_UPLOADS_S3_ACCESS_KEY_ID": "k",
                     "AISTUDIO_UPLOADS_S3_SECRET_ACCESS_KEY": "s", "AISTUDIO_UPLOADS_S3_PREFIX": "../"}):
            with self.assertRaises(s3.StoreUnavailable, msg=env):
                s3.Store.from_env(env)


class FakeS3(http.server.BaseHTTPRequestHandler):
    """Path-style S3 on loopback: one bucket, objects in a dict, every request's signature checked."""
    KEY_ID, SECRET, BUCKET = "AKIATESTKEY", "test-secret-key-0123", "photos"
    objects = {}
    requests = []
    fail = None  # an HTTP status every request gets

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status, code):
        self.reply(status, f"<?xml version='1.0'?><Error><Code>{code}</Code></Error>".encode(), [("Content-Type", "application/xml")])

    def handle_any(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.requests.append((self.command, self.path))
        if self.fail:
            return self.error(self.fail, "InternalError")
        auth = self.headers.get("Authorization", "")
        signed = auth.partition("SignedHeaders=")[2].partition(",")[0].split(";")
        payload = self.headers.get("x-amz-content-sha256", "")
        expect = s3.sign(self.command, self.path, [], {h: self.headers[h] for h in signed}, payload, self.KEY_ID, self.SECRET,
                         "us-east-1", "s3", self.headers.get("x-amz-date", ""))
        if auth != expect["authorization"] or payload != hashlib.sha256(body).hexdigest():
            return self.error(403, "SignatureDoesNotMatch")
        bucket, _, key = self.path.lstrip("/").partition("/")
        if bucket != self.BUCKET:
            return self.error(404, "NoSuchBucket")
        if self.command == "PUT":
            self.objects[key] = (body, self.headers["Content-Type"], f'"{hashlib.md5(body).hexdigest()}"')
            return self.reply(200, headers=[("ETag", self.objects[key][2])])
        if key not in self.objects:
            return self.error(404, "NoSuchKey")
        data, ctype, etag = self.objects[key]
        base = [("ETag", etag), ("Last-Modified", "Wed, 01 Jan 2025 00:00:00 GMT"), ("Content-Type", ctype), ("Accept-Ranges", "bytes")]
        if self.headers.get("If-None-Match") == etag:
            return self.reply(304, headers=[("ETag", etag)])
        if self.headers.get("Range", "").startswith("bytes="):
            start, _, end = self.headers["Range"][6:].partition("-")
            part = data[int(start):int(end) + 1]
            return self.reply(206, part, base + [("Content-Range", f"bytes {start}-{int(start) + len(part) - 1}/{len(data)}")])
        return self.reply(200, data, base)

    do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = handle_any


class S3UploadTest(AppTest):
    @classmethod
    def setUpClass(cls):
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeS3)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.endpoint = f"http://127.0.0.1:{cls.server.server_address[1]}"

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def setUp(self):
        super().setUp()
        FakeS3.objects.clear()
        FakeS3.requests.clear()
        FakeS3.fail = None
        self.set_env(AISTUDIO_UPLOADS_S3_ENDPOINT=self.endpoint, AISTUDIO_UPLOADS_S3_BUCKET=FakeS3.BUCKET,
                     AISTUDIO_UPLOADS_S3_ACCESS_KEY_ID=FakeS3.KEY_ID, AISTUDIO_UPLOADS_S3_SECRET_ACCESS_KEY=FakeS3.SECRET,
                     AISTUDIO_UPLOADS_S3_PREFIX="uploads/site-a/")

    def upload(self, data=b"\xff\xd8jpeg bytes", name="photo.JPG"):
        return call("POST", "/api/upload", data, "image/jpeg", query="name=" + name)

    def test_upload_goes_to_the_bucket_whole_and_nothing_to_disk(self):
        r = self.upload().json()
        self.assertEqual((r["success"], r["size"]), (True, 12))
        self.assertRegex(r["url"], r"^/media/uploads/[0-9a-f]{16}-photo\.jpg$")
        key = "uploads/site-a/" + r["url"][len("/media/uploads/"):]
        self.assertEqual(FakeS3.objects[key][:2], (b"\xff\xd8jpeg bytes", "image/jpeg"))
        self.assertEqual(FakeS3.requests, [("PUT", "/photos/" + key)])
        self.assertEqual(self.uploaded(), [])
        self.assertFalse(os.path.exists(os.path.join(self.data, "media")))

    def test_multipart_and_limits_as_on_disk(self):
        data = bytes(range(256)) * 4
        body, ctype = multipart([("file", "../../x/evil.svg", data)])
        r = call("POST", "/api/upload", body, ctype).json()
        self.assertRegex(r["url"], r"^/media/uploads/[0-9a-f]{16}-evil\.bin$")
        self.assertEqual(call("GET", r["url"]).header("Content-Type"), "application/octet-stream")
        self.set_env(AISTUDIO_MAX_UPLOAD_BYTES="10")
        self.assertEqual(self.upload(b"0123456789!").code, 413)
        self.assertEqual(len(FakeS3.objects), 1)

    def test_get_streams_it_back_with_type_validators_and_ranges(self):
        url = self.upload(b"\x89PNG" + bytes(range(256)) * 300, "p.png").json()["url"]
        r = call("GET", url)
        self.assertEqual((r.code, r.body), (200, b"\x89PNG" + bytes(range(256)) * 300))
        self.assertEqual(r.header("Content-Type"), "image/png")
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        self.assertEqual(r.header("Cache-Control"), "max-age=86400")
        self.assertEqual(r.header("Last-Modified"), "Wed, 01 Jan 2025 00:00:00 GMT")
        etag = r.header("ETag")
        self.assertRegex(etag, r'^"[0-9a-f]{32}"$')
        r304 = call("GET", url, environ={"HTTP_IF_NONE_MATCH": etag})
        self.assertEqual((r304.code, r304.body), (304, b""))
        part = call("GET", url, environ={"HTTP_RANGE": "bytes=0-3"})
        self.assertEqual((part.code, part.body, part.header("Content-Range")), (206, b"\x89PNG", "bytes 0-3/76804"))
        head = call("HEAD", url)
        self.assertEqual((head.code, head.body, head.header("Content-Length")), (200, b"", "76804"))

    def test_missing_and_foreign_names_are_json_404_and_the_bucket_is_never_listed(self):
        r = call("GET", "/media/uploads/0123456789abcdef-gone.jpg")
        self.assertEqual((r.code, r.json()), (404, {"success": False, "error": "not_found"}))
        FakeS3.requests.clear()
        for path in ("/media/uploads/", "/media/uploads/../secret", "/media/uploads/a/../../b.jpg", "/media/uploads/.hidden",
                     "/media/uploads/a..b.jpg", "/media/uploads/x%2Fy"):
            r = call("GET", path)
            self.assertEqual((r.code, r.json()["error"]), (404, "not_found"), path)
        self.assertEqual(FakeS3.requests, [])
        self.assertEqual(call("POST", "/media/uploads/x.jpg").code, 405)

    def test_names_never_carry_dot_dot(self):
        self.assertRegex(uploads.safe_name("x..y.jpg"), r"^[0-9a-f]{16}-x\.y\.jpg$")

    def test_store_down_or_refusing_is_json_503_and_the_app_stays_up(self):
        url = self.upload().json()["url"]
        for why, env in (("wrong key", {"AISTUDIO_UPLOADS_S3_SECRET_ACCESS_KEY": "wrong"}),
                         ("no bucket", {"AISTUDIO_UPLOADS_S3_BUCKET": "other"}),
                         ("refused", {"AISTUDIO_UPLOADS_S3_ENDPOINT": "http://127.0.0.1:9"}),
                         ("half configured", {"AISTUDIO_UPLOADS_S3_ACCESS_KEY_ID": ""})):
            with mock.patch.dict(os.environ, env), mock.patch("sys.stderr"):
                up = self.upload()
                self.assertEqual((up.code, up.json()["success"], up.json()["error"]), (503, False, "uploads_store_unavailable"), why)
                get = call("GET", url)
                self.assertEqual((get.code, get.json()), (503, {"success": False, "error": "uploads_store_unavailable"}), why)
        FakeS3.fail = 500
        with mock.patch("sys.stderr"):
            self.assertEqual(self.upload().code, 503)
        FakeS3.fail = None
        self.assertEqual(call("GET", "/api/health").code, 200)
        self.assertEqual(call("GET", url).code, 200)
        self.assertEqual(self.uploaded(), [])

    def test_without_the_endpoint_uploads_stay_on_disk_and_media_is_not_the_apps(self):
        os.environ.pop("AISTUDIO_UPLOADS_S3_ENDPOINT")
        url = self.upload().json()["url"]
        self.assertEqual(len(self.uploaded()), 1)
        self.assertEqual(FakeS3.requests, [])
        self.assertTrue(call("GET", url).header("Content-Type").startswith("text/html"))  # nginx serves it from disk


if __name__ == "__main__":
    unittest.main()
