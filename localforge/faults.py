"""Fault injection: answer the next N matching requests with an error, as the forge would.

Kinds by status: 403 (rate limited, like GitHub's primary limit), 429 (secondary limit on
GitHub, Rack::Attack "Retry later" on GitLab), 500/502/503/504 (gateway trouble).
"""

import threading
import time

from localforge.web import Response

GH_DOCS = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.items: list[dict] = []
        self.sequence = 0

    def add(self, status: int, count: int, path_prefix: str | None, retry_after: int, message=None):
        with self.lock:
            self.sequence += 1
            fault = {
                "id": self.sequence,
                "status": status,
                "remaining": count,
                "path_prefix": path_prefix or "",
                "retry_after": retry_after,
                "message": message,
            }
            self.items.append(fault)
            return dict(fault)

    def take(self, path: str) -> dict | None:
        with self.lock:
            for fault in self.items:
                if fault["remaining"] > 0 and path.startswith(fault["path_prefix"]):
                    fault["remaining"] -= 1
                    return dict(fault)
            self.items = [f for f in self.items if f["remaining"] > 0]
        return None

    def list(self) -> list[dict]:
        with self.lock:
            return [dict(f) for f in self.items if f["remaining"] > 0]

    def clear(self):
        with self.lock:
            self.items.clear()


def response(side: str, fault: dict) -> Response:
    status, retry = fault["status"], int(fault["retry_after"])
    reset = str(int(time.time()) + retry)
    headers = [("Retry-After", str(retry)), ("Connection", "close")]
    message = fault.get("message")
    if side == "github":
        headers += [
            ("X-RateLimit-Limit", "5000"),
            ("X-RateLimit-Remaining", "0" if status in (403, 429) else "4999"),
            ("X-RateLimit-Reset", reset),
            ("X-RateLimit-Used", "5000" if status in (403, 429) else "1"),
            ("X-RateLimit-Resource", "core"),
        ]
        if status == 403:
            message = message or "API rate limit exceeded for user. (localforge fault injection)"
            return Response(403, {"message": message, "documentation_url": GH_DOCS}, headers)
        if status == 429:
            message = message or (
                "You have exceeded a secondary rate limit. "
                "Please wait a few minutes before you try again."
            )
            return Response(429, {"message": message, "documentation_url": GH_DOCS}, headers)
        return Response(status, {"message": message or _reason(status)}, headers)
    headers += [
        ("RateLimit-Limit", "600"),
        ("RateLimit-Observed", "600" if status in (403, 429) else "1"),
        ("RateLimit-Remaining", "0" if status in (403, 429) else "599"),
        ("RateLimit-Reset", reset),
    ]
    if status == 429:
        return Response(429, message or "Retry later\n", headers, content_type="text/plain")
    if status == 403:
        return Response(403, {"message": message or "403 Forbidden"}, headers)
    return Response(status, {"message": message or f"{status} {_reason(status)}"}, headers)


def _reason(status: int) -> str:
    return {
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }.get(status, "Error")
