"""HTTP plumbing shared by both forges: requests, responses, routing, bodies.

Each forge is a ThreadingHTTPServer speaking HTTP/1.1 with keep-alive, so every
response carries a Content-Length (API) or is chunked (git).
"""

import json
import re
import socket
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_API_BODY = 20 * 1024 * 1024


class HttpError(Exception):
    """Raised by handlers; turned into a response by the forge app."""

    def __init__(self, status: int, body=None, headers=None, content_type="application/json"):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or []
        self.content_type = content_type


class Response:
    def __init__(self, status=200, body=None, headers=None, content_type="application/json"):
        self.status = status
        self.body = body
        self.headers = list(headers or [])
        self.content_type = content_type

    def encode(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body).encode("utf-8")


class Request:
    def __init__(self, handler: BaseHTTPRequestHandler):
        self.handler = handler
        self.method = handler.command.upper()
        raw = handler.path
        if raw.startswith(("http://", "https://")):
            raw = urllib.parse.urlsplit(raw)._replace(scheme="", netloc="").geturl()
        self.raw_path, _, self.query_string = raw.partition("?")
        self.query = urllib.parse.parse_qs(self.query_string, keep_blank_values=True)
        self.headers = handler.headers
        self.body = b""
        self.body_read = False
        self.user = None
        self.token_kind = None
        self.prefix = ""
        self.route_path = self.raw_path
        self._json = None
        self.request_id = uuid.uuid4().hex

    def arg(self, name, default=None):
        values = self.query.get(name)
        return values[-1] if values else default

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def has_body(self) -> bool:
        chunked = "chunked" in (self.header("Transfer-Encoding") or "").lower()
        return chunked or int(self.header("Content-Length") or 0) > 0

    def read_body(self):
        self.body_read = True
        self.body = read_all(self.handler, MAX_API_BODY)

    def json(self, bad_request, forms: bool = True) -> dict:
        """The body as a JSON object; ``bad_request(msg)`` builds the 400 error.

        With ``forms`` (GitLab), url-encoded form bodies are accepted too; GitHub reads
        every body as JSON whatever its Content-Type.
        """
        if self._json is not None:
            return self._json
        ctype = (self.header("Content-Type") or "").lower()
        if not self.body.strip():
            self._json = {}
        elif forms and "application/x-www-form-urlencoded" in ctype:
            form = urllib.parse.parse_qs(self.body.decode("utf-8", "replace"))
            self._json = {k: v[-1] for k, v in form.items()}
        elif forms and "multipart/form-data" in ctype:
            raise bad_request("multipart bodies are not supported")
        else:
            try:
                data = json.loads(self.body)
            except ValueError as exc:
                raise bad_request(f"Problems parsing JSON: {exc.__class__.__name__}") from None
            if not isinstance(data, dict):
                raise bad_request("Problems parsing JSON")
            self._json = data
        return self._json


class Router:
    """Regex routes over the raw (still percent-encoded) path."""

    def __init__(self, *included):
        self.routes = []
        for other in included:
            self.routes += other.routes

    def route(self, method: str, pattern: str):
        regex = re.compile("^" + pattern + "$")

        def decorator(func):
            self.routes.append((method, regex, func))
            return func

        return decorator

    def match(self, method: str, path: str):
        allowed = False
        for route_method, regex, func in self.routes:
            found = regex.match(path)
            if not found:
                continue
            if route_method == method or (route_method == "GET" and method == "HEAD"):
                groups = {
                    k: urllib.parse.unquote(v)
                    for k, v in found.groupdict().items()
                    if v is not None
                }
                return func, groups
            allowed = True
        return None, allowed


def read_all(handler, limit: int) -> bytes:
    chunks = []
    size = 0
    for chunk in iter_body(handler):
        size += len(chunk)
        if size > limit:
            handler.close_connection = True
            raise HttpError(413, {"message": "Request body too large"})
        chunks.append(chunk)
    return b"".join(chunks)


def iter_body(handler, bufsize: int = 65536):
    """The request body, de-chunked, in pieces."""
    rfile = handler.rfile
    if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
        while True:
            line = rfile.readline(65537)
            if not line:
                return
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                return
            remaining = size
            while remaining:
                data = rfile.read(min(remaining, bufsize))
                if not data:
                    return
                remaining -= len(data)
                yield data
            rfile.readline(3)
    else:
        remaining = int(handler.headers.get("Content-Length") or 0)
        while remaining > 0:
            data = rfile.read(min(remaining, bufsize))
            if not data:
                return
            remaining -= len(data)
            yield data


def send(handler, response: Response, extra_headers=()):
    payload = response.encode()
    handler.send_response(response.status)
    headers = list(extra_headers) + list(response.headers)
    if response.body is not None or response.status not in (204, 304):
        headers.append(("Content-Type", response.content_type))
    headers.append(("Content-Length", str(len(payload))))
    for name, value in headers:
        handler.send_header(name, value)
    handler.end_headers()
    if handler.command != "HEAD" and payload:
        handler.wfile.write(payload)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "localforge"

    def setup(self):
        super().setup()
        # Small keep-alive responses must not wait for delayed ACKs (Nagle).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self):
        return self.server_version

    def _dispatch(self):
        try:
            self.server.app.handle(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler's name
        if getattr(self.server.app, "verbose", False):
            super().log_message(format, *args)

    def log_request(self, code="-", size="-"):
        # Only method and path (never the query string, which may carry a token).
        if getattr(self.server.app, "verbose", False):
            path = self.path.split("?", 1)[0]
            self.log_message('"%s %s" %s', self.command, path, code)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address, app):
        self.app = app
        super().__init__(address, Handler)


def page_params(req: Request, default: int, maximum: int = 100) -> tuple[int, int]:
    try:
        page = max(1, int(req.arg("page") or 1))
    except ValueError:
        page = 1
    try:
        per_page = int(req.arg("per_page") or default)
    except ValueError:
        per_page = default
    per_page = min(max(per_page, 1), maximum)
    return page, per_page


def url_with(base: str, path: str, query: dict[str, list[str]], **changes) -> str:
    params = {k: list(v) for k, v in query.items()}
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = [str(value)]
    qs = urllib.parse.urlencode([(k, v) for k, vs in params.items() for v in vs])
    return f"{base}{path}" + (f"?{qs}" if qs else "")
