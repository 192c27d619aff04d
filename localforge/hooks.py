"""Webhook delivery: a background worker per forge, short timeouts, a record of each try.

Payloads are built by the forge modules while they hold the state lock; this module only
signs, sends and records. Records keep the parsed payload and the response, but never the
secret (X-Gitlab-Token is redacted, signatures are kept since they reveal nothing).
"""

import collections
import hashlib
import hmac
import json
import queue
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from localforge.store import now_iso

TIMEOUT = 5.0
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def sign(secret: str, body: bytes) -> tuple[str, str]:
    key = secret.encode("utf-8")
    sha256 = hmac.new(key, body, hashlib.sha256).hexdigest()
    sha1 = hmac.new(key, body, hashlib.sha1).hexdigest()
    return f"sha256={sha256}", f"sha1={sha1}"


class Deliverer:
    def __init__(self, side: str, keep: int = 2000):
        self.side = side
        self.queue: queue.Queue = queue.Queue()
        self.records: collections.deque = collections.deque(maxlen=keep)
        self.lock = threading.Lock()
        self.sequence = 0
        self.thread = threading.Thread(target=self._run, name=f"hooks-{side}", daemon=True)
        self.thread.start()

    # --- building ---------------------------------------------------------------------

    def gitlab(self, hook: dict, event: str, payload: dict, instance: str):
        body = json.dumps(payload).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "GitLab/17.5.0",
            "X-Gitlab-Event": event,
            "X-Gitlab-Instance": instance,
            "X-Gitlab-Event-UUID": str(uuid.uuid4()),
            "X-Gitlab-Webhook-UUID": hook.get("uuid") or str(uuid.uuid4()),
            "Idempotency-Key": str(uuid.uuid4()),
        }
        if hook.get("token"):
            headers["X-Gitlab-Token"] = hook["token"]
        self._enqueue(hook, event, payload, body, headers, headers["X-Gitlab-Event-UUID"])

    def github(self, hook: dict, event: str, payload: dict, target_id: int):
        config = hook.get("config", {})
        raw = json.dumps(payload).encode("utf-8")
        if config.get("content_type") == "form":
            body = urllib.parse.urlencode({"payload": raw.decode("utf-8")}).encode("ascii")
            ctype = "application/x-www-form-urlencoded"
        else:
            body, ctype = raw, "application/json"
        guid = str(uuid.uuid4())
        headers = {
            "Content-Type": ctype,
            "User-Agent": "GitHub-Hookshot/localforge",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": guid,
            "X-GitHub-Hook-ID": str(hook["id"]),
            "X-GitHub-Hook-Installation-Target-Type": "repository",
            "X-GitHub-Hook-Installation-Target-ID": str(target_id),
        }
        if config.get("secret"):
            headers["X-Hub-Signature-256"], headers["X-Hub-Signature"] = sign(
                config["secret"], body
            )
        self._enqueue(hook, event, payload, body, headers, guid)

    def _enqueue(self, hook, event, payload, body, headers, guid):
        with self.lock:
            self.sequence += 1
            record = {
                "id": self.sequence,
                "guid": guid,
                "side": self.side,
                "hook_id": hook["id"],
                "url": hook.get("url") or hook.get("config", {}).get("url"),
                "event": event,
                "action": payload.get("action")
                or payload.get("object_attributes", {}).get("action"),
                "payload": payload,
                "request_headers": {
                    k: ("[REDACTED]" if k == "X-Gitlab-Token" else v) for k, v in headers.items()
                },
                "status": "pending",
                "status_code": None,
                "response_body": None,
                "error": None,
                "duration": None,
                "delivered_at": None,
                "created_at": now_iso(),
            }
            self.records.append(record)
        self.queue.put((record, body, headers))

    # --- sending ----------------------------------------------------------------------

    def _run(self):
        while True:
            item = self.queue.get()
            if item is None:
                return
            record, body, headers = item
            started = time.monotonic()
            try:
                # Hook URLs are checked to be http(s) when the hook is created.
                request = urllib.request.Request(  # noqa: S310
                    record["url"], data=body, headers=headers, method="POST"
                )
                with _opener.open(request, timeout=TIMEOUT) as resp:
                    code, text = resp.status, resp.read(4096)
            except urllib.error.HTTPError as exc:
                code, text = exc.code, exc.read(4096)
            except Exception as exc:  # noqa: BLE001 - any failure is recorded, never raised
                code, text = None, b""
                record["error"] = f"{exc.__class__.__name__}: {exc}"
            record["duration"] = round(time.monotonic() - started, 3)
            record["status_code"] = code
            record["response_body"] = text.decode("utf-8", "replace")
            record["delivered_at"] = now_iso()
            record["status"] = "OK" if code is not None and 200 <= code < 300 else "failed"

    def list(self, **filters) -> list[dict]:
        with self.lock:
            items = list(self.records)
        for key, value in filters.items():
            if value is not None:
                items = [r for r in items if str(r.get(key)) == str(value)]
        return items

    def last_for(self, hook_id: int) -> dict | None:
        with self.lock:
            for record in reversed(self.records):
                if record["hook_id"] == hook_id and record["status"] != "pending":
                    return record
        return None

    def clear(self):
        with self.lock:
            self.records.clear()

    def close(self):
        self.queue.put(None)
