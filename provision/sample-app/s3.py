"""A small S3 client in the standard library, for the uploads store of several servers (uploads.py):
Alibaba Cloud OSS through its S3-compatible endpoint, or any S3 store (SeaweedFS on the test hosts).

AWS Signature Version 4 in the Authorization header, the payload's SHA-256 signed as well (never
aws-chunked, which OSS does not take); path-style addressing (http://HOST/BUCKET/KEY, what an IP
endpoint needs) or virtual-hosted (https://BUCKET.HOST/KEY, the only style OSS accepts). One
object at a time: PUT (atomic in S3: the object is there whole or not at all) and GET/HEAD streamed.

Environment (read per request, like the rest of the app):
  AISTUDIO_UPLOADS_S3_ENDPOINT           http(s)://HOST[:PORT]; set: uploads go to the store
  AISTUDIO_UPLOADS_S3_BUCKET             the bucket
  AISTUDIO_UPLOADS_S3_REGION             the signing region (default us-east-1; OSS: cn-hangzhou …)
  AISTUDIO_UPLOADS_S3_ACCESS_KEY_ID, AISTUDIO_UPLOADS_S3_SECRET_ACCESS_KEY
  AISTUDIO_UPLOADS_S3_PREFIX             key prefix, "" or ending in / (default uploads/)
  AISTUDIO_UPLOADS_S3_ADDRESSING         path (default) or virtual
"""
import datetime
import hashlib
import hmac
import http.client
import os
import re
import ssl
import urllib.parse

ENV = "AISTUDIO_UPLOADS_S3_"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
PREFIX_RE = re.compile(r"^([A-Za-z0-9_-][A-Za-z0-9._-]*/)*$")
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class StoreUnavailable(Exception):
    """The store did not store or give the object: unreachable, refused our keys, failed, misconfigured."""


class NotFound(Exception):
    """No object under that key."""


# --- Signature Version 4 ---

def uri_encode(s, keep_slash=False):
    """SigV4's URI encoding: everything but A-Z a-z 0-9 - _ . ~ as %XX of its UTF-8 bytes."""
    return urllib.parse.quote(s, safe="-_.~" + ("/" if keep_slash else ""))


def canonical_query(pairs):
    return "&".join(sorted(f"{uri_encode(k)}={uri_encode(v)}" for k, v in pairs))


def signing_key(secret, date, region, service):
    key = ("AWS4" + secret).encode("utf-8")
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def sign(method, path, query, headers, payload_hash, access_key_id, secret, region, service, amz_date):
    """Signs a request. `path` is the decoded path (/BUCKET/KEY), `query` (name, value) pairs,
    `headers` every header to sign (host and x-amz-date among them). A dict with the canonical
    request, the string to sign, the signature and the Authorization header."""
    canon = {k.strip().lower(): " ".join(str(v).split()) for k, v in headers.items()}
    names = sorted(canon)
    signed = ";".join(names)
    request = "\n".join([method, uri_encode(path, keep_slash=True), canonical_query(query),
                         "".join(f"{n}:{canon[n]}\n" for n in names), signed, payload_hash])
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(request.encode("utf-8")).hexdigest()])
    signature = hmac.new(signing_key(secret, amz_date[:8], region, service), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return {
        "canonical_request": request,
        "string_to_sign": to_sign,
        "signature": signature,
        "authorization": f"AWS4-HMAC-SHA256 Credential={access_key_id}/{scope}, SignedHeaders={signed}, Signature={signature}",
    }


def amz_date(now=None):
    return (now or datetime.datetime.now(datetime.timezone.utc)).strftime("%Y%m%dT%H%M%SZ")


# --- the store ---

class Body:
    """A response body streamed in chunks; closing it closes the connection to the store."""

    def __init__(self, conn, resp, size=64 * 1024):
        self.conn, self.resp, self.size = conn, resp, size

    def __iter__(self):
        while True:
            chunk = self.resp.read(self.size)
            if not chunk:
                break
            yield chunk

    def close(self):
        self.conn.close()


class Store:
    def __init__(self, endpoint, bucket, region, access_key_id, secret_access_key, prefix="uploads/", addressing="path", timeout=15):
        u = urllib.parse.urlsplit(endpoint or "")
        problems = []
        if u.scheme not in ("http", "https") or not u.hostname or u.path not in ("", "/") or u.query:
            problems.append(f"{ENV}ENDPOINT must be http(s)://HOST[:PORT], got {endpoint!r}")
        if not BUCKET_RE.match(bucket or ""):
            problems.append(f"{ENV}BUCKET must be a bucket name, got {bucket!r}")
        if not access_key_id or not secret_access_key:
            problems.append(f"{ENV}ACCESS_KEY_ID and {ENV}SECRET_ACCESS_KEY are required")
        if not PREFIX_RE.match(prefix):
            problems.append(f"{ENV}PREFIX must be empty or end in / with no segment starting with a dot, got {prefix!r}")
        if addressing not in ("path", "virtual"):
            problems.append(f"{ENV}ADDRESSING must be path or virtual, got {addressing!r}")
        if problems:
            raise StoreUnavailable("; ".join(problems))
        self.scheme, self.netloc, self.bucket = u.scheme, u.netloc, bucket
        self.region, self.key_id, self.secret = region or "us-east-1", access_key_id, secret_access_key
        self.prefix, self.addressing, self.timeout = prefix, addressing, timeout

    @classmethod
    def from_env(cls, env=None):
        """The store the environment names, or None (uploads on disk)."""
        env = os.environ if env is None else env
        if not env.get(ENV + "ENDPOINT"):
            return None
        return cls(env.get(ENV + "ENDPOINT"), env.get(ENV + "BUCKET", ""), env.get(ENV + "REGION") or "us-east-1",
                   env.get(ENV + "ACCESS_KEY_ID", ""), env.get(ENV + "SECRET_ACCESS_KEY", ""),
                   env.get(ENV + "PREFIX", "uploads/"), env.get(ENV + "ADDRESSING") or "path")

    def target(self, name):
        """(host header, decoded path) of the object `name` under the prefix."""
        key = self.prefix + name
        if self.addressing == "virtual":
            return f"{self.bucket}.{self.netloc}", "/" + key
        return self.netloc, f"/{self.bucket}/{key}"

    def _send(self, method, name, body=b"", headers=None, now=None):
        host, path = self.target(name)
        payload = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
        signed = {"host": host, "x-amz-date": amz_date(now), "x-amz-content-sha256": payload, **(headers or {})}
        auth = sign(method, path, [], signed, payload, self.key_id, self.secret, self.region, "s3", signed["x-amz-date"])
        conn_cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        kwargs = {"context": ssl.create_default_context()} if self.scheme == "https" else {}
        # a virtual-hosted name resolves to the bucket's endpoint; the connection goes there
        conn = conn_cls(host, timeout=self.timeout, **kwargs)
        try:
            conn.request(method, uri_encode(path, keep_slash=True), body=body or None,
                         headers={**signed, "Authorization": auth["authorization"], "Content-Length": str(len(body))})
            return conn, conn.getresponse()
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            raise StoreUnavailable(f"{method} {host}{path}: {type(e).__name__}: {e}") from e

    @staticmethod
    def _refused(method, name, resp):
        detail = resp.read(600).decode("utf-8", "replace")
        code = re.search(r"<Code>([^<]+)</Code>", detail)
        return StoreUnavailable(f"{method} {name}: HTTP {resp.status} {code.group(1) if code else detail[:200]!r}")

    def put(self, name, data, content_type, now=None):
        """Stores the object whole; returns only once the store said it has it (HTTP 200)."""
        conn, resp = self._send("PUT", name, data, {"content-type": content_type}, now)
        try:
            if resp.status != 200:
                raise self._refused("PUT", name, resp)
            resp.read()
            return resp.getheader("ETag")
        finally:
            conn.close()

    def get(self, name, method="GET", headers=None):
        """(status, headers, Body) of the object: 200, 206, 304 or 416 as the store answered
        (conditional and range headers passed through). NotFound when there is no such object."""
        conn, resp = self._send(method, name, headers=headers)
        if resp.status in (200, 206, 304, 416):
            return resp.status, resp, Body(conn, resp)
        try:
            if resp.status == 404:
                if b"NoSuchBucket" not in resp.read(600):
                    raise NotFound(name)
                raise StoreUnavailable(f"{method} {name}: HTTP 404 NoSuchBucket")
            raise self._refused(method, name, resp)
        finally:
            conn.close()
