"""A tiny HTTP server that replays recorded forge exchanges on a local port.

Each route is (METHOD, path[?query]) -> a queue of (status, headers, body); the last response of a
queue repeats. Absolute URLs of the recorded origin (in bodies and in Link/Location headers) are
rewritten to the local server, so the libraries follow pagination and redirects to it.
"""

from __future__ import annotations

import json
import os
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

# The shared fixtures sit beside the checkout (…/shared/forge-fixtures); FORGE_FIXTURES overrides.
FIXTURES = Path(
    os.environ.get("FORGE_FIXTURES")
    or Path(__file__).resolve().parents[3] / "shared" / "forge-fixtures"
)
HOP_HEADERS = {"connection", "content-length", "transfer-encoding", "content-encoding"}


class Replay:
    def __init__(self, origin: str = "https://api.github.com", prefix: str = ""):
        self.origin = origin
        self.prefix = prefix
        self.routes: dict[tuple[str, str], list] = defaultdict(list)
        self.requests: list[tuple[str, str, dict, bytes]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> Replay:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base(self) -> str:
        return self.url + self.prefix

    def add(self, method: str, path: str, status: int = 200, body=None, headers=None) -> None:
        self.routes[(method.upper(), self.prefix + _norm(path))].append(
            (status, dict(headers or {}), body)
        )

    def add_recorded(self, name: str) -> list[dict]:
        """Load github/recorded/<name>.json (octokit/fixtures normalized format)."""
        exchanges = json.loads((FIXTURES / "github" / "recorded" / f"{name}.json").read_text())
        for ex in exchanges:
            self.add(ex["method"], ex["path"], ex["status"], ex.get("response"), ex["headers"])
        return exchanges

    def _rewrite(self, text: str) -> str:
        return text.replace(self.origin, self.base)

    def _handler(self):
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                replay.requests.append((self.command, self.path, dict(self.headers), body))
                key = (self.command, _norm(self.path))
                queue = replay.routes.get(key)
                if not queue:  # the same path recorded with another query (e.g. per_page=3)
                    bare = _norm(urlsplit(self.path).path)
                    queue = next(
                        (
                            q
                            for (m, p), q in replay.routes.items()
                            if m == self.command and p.split("?")[0] == bare and q
                        ),
                        None,
                    )
                if not queue:
                    self.send_response(599, "no recording")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status, headers, payload = queue.pop(0) if len(queue) > 1 else queue[0]
                data = b""
                if payload not in (None, ""):
                    data = replay._rewrite(json.dumps(payload)).encode()
                self.send_response(status)
                for k, v in headers.items():
                    if k.lower() not in HOP_HEADERS:
                        self.send_header(k, replay._rewrite(str(v)))
                if data and not any(k.lower() == "content-type" for k in headers):
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        return Handler


def _norm(path: str) -> str:
    """Path without a trailing slash, query parameters sorted (clients reorder them)."""
    parts = urlsplit(path)
    p = parts.path.rstrip("/") or "/"
    query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
    return f"{p}?{query}" if query else p


def fixture(*parts: str):
    return json.loads(FIXTURES.joinpath(*parts).read_text())
