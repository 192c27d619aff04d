"""A bounded burst of GitLab push webhook deliveries at a server on this machine's loopback.

`plan()` makes the deliveries: the real push payload shape (shared/forge-fixtures/gitlab/
webhooks/push.json) pointed at each project, with real `X-Gitlab-Token`, `X-Gitlab-Event` and
`X-Gitlab-Event-UUID` headers; a share of them are replays of an earlier delivery (same
delivery id, same body: GitLab retrying) and a share carry a wrong or no token. `send()` posts
them with a few concurrent connections and times each one. It only ever talks to a loopback
address, sends each delivery once, and gives up on a request after `timeout` seconds.

Run as `python -m bench._webhook_burst URL` it reads the plan (JSON) on stdin and writes the
results (JSON) on stdout: the load generator as its own process, so that its work does not
share an interpreter lock with an in-process server under test.
"""

from __future__ import annotations

import copy
import http.client
import json
import random
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Concurrent senders of a burst: one per server worker (bench._server.HOOK_WORKERS), enough to
# keep every worker and both cores busy for the whole burst.
SENDERS = 4
VALID, DUPLICATE, WRONG_TOKEN, NO_TOKEN = "valid", "duplicate", "wrong-token", "no-token"


def fixture_path() -> Path:
    """push.json from the shared forge fixtures (beside the work tree, or one level up)."""
    root = Path(__file__).resolve().parents[1]
    for base in (root.parent, root.parent.parent):
        path = base / "shared" / "forge-fixtures" / "gitlab" / "webhooks" / "push.json"
        if path.is_file():
            return path
    raise FileNotFoundError("shared/forge-fixtures/gitlab/webhooks/push.json")


@dataclass
class Target:
    key: str  # the project's hook key (URL path)
    secret: str  # its X-Gitlab-Token
    gitlab_id: int
    branch: str


@dataclass
class Delivery:
    key: str
    uuid: str
    token: str | None
    kind: str  # VALID, DUPLICATE (of an earlier VALID one), WRONG_TOKEN, NO_TOKEN
    body: str


@dataclass
class Result:
    index: int
    status: int  # 0 when the request failed (error says why)
    seconds: float
    error: str = ""


def plan(
    targets: list[Target],
    total: int,
    *,
    duplicates: float = 0.10,
    bad: float = 0.05,
    seed: int = 1,
) -> list[Delivery]:
    """`total` deliveries: `duplicates` of them replays of earlier valid ones (each replay sent
    after its original), `bad` of them with a wrong token or none, the rest valid and unique."""
    rng = random.Random(seed)
    template = json.loads(fixture_path().read_text(encoding="utf-8"))
    n_dup, n_bad = round(total * duplicates), round(total * bad)
    n_valid = total - n_dup - n_bad
    if n_valid < 1 or (n_dup and n_valid < 1):
        raise ValueError("a burst needs valid deliveries")
    valid = [_delivery(template, rng.choice(targets), rng, VALID) for _ in range(n_valid)]
    out = list(valid)
    for i in range(n_bad):
        target = rng.choice(targets)
        d = _delivery(template, target, rng, WRONG_TOKEN if i % 2 == 0 else NO_TOKEN)
        d.token = None if d.kind == NO_TOKEN else target.secret[::-1] + "x"
        out.insert(rng.randrange(len(out) + 1), d)
    for _ in range(n_dup):
        original = rng.choice(valid)
        at = out.index(original) + 1
        out.insert(
            rng.randrange(at, len(out) + 1), Delivery(**{**asdict(original), "kind": DUPLICATE})
        )
    return out


def _delivery(template: dict, target: Target, rng: random.Random, kind: str) -> Delivery:
    payload = copy.deepcopy(template)
    before, after = (f"{rng.getrandbits(160):040x}" for _ in range(2))
    payload.update(before=before, after=after, checkout_sha=after, project_id=target.gitlab_id,
                   ref=f"refs/heads/{target.branch}")  # fmt: skip
    payload["project"]["id"] = target.gitlab_id
    payload["project"]["default_branch"] = target.branch
    if payload.get("commits"):
        payload["commits"][-1]["id"] = after
    return Delivery(target.key, str(uuid.UUID(int=rng.getrandbits(128))), target.secret, kind,
                    json.dumps(payload))  # fmt: skip


def send(base_url: str, deliveries: list[Delivery], *, concurrency: int = 8,
         timeout: float = 30.0, deadline_s: float = 600.0) -> list[Result]:  # fmt: skip
    """POST every delivery once to `<base_url>/hooks/gitlab/<key>/`, `concurrency` at a time
    (a new connection each, as a webhook sender does). Stops starting new requests after
    `deadline_s`; those are reported with status 0."""
    parts = urlsplit(base_url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK:
        raise ValueError(f"the burst only goes to a loopback http address, not {base_url!r}")
    host, port = parts.hostname, parts.port or 80
    results: list[Result | None] = [None] * len(deliveries)
    lock = threading.Lock()
    cursor = iter(range(len(deliveries)))
    stop_at = time.monotonic() + deadline_s

    def worker() -> None:
        while True:
            with lock:
                i = next(cursor, None)
            if i is None:
                return
            if time.monotonic() > stop_at:
                results[i] = Result(i, 0, 0.0, "not sent: the burst ran out of time")
                continue
            results[i] = _post(host, port, deliveries[i], i, timeout)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [r for r in results if r is not None]


def warm_up(base_url: str, target: Target, *, n: int = 8, concurrency: int = 4) -> list[Result]:
    """`n` valid deliveries for `target` (a project kept out of the burst's accounting), so
    that every server worker has loaded its code and opened its database and broker
    connections before the timed burst: a cold worker's first request says nothing about the
    endpoint under load."""
    template = json.loads(fixture_path().read_text(encoding="utf-8"))
    rng = random.Random(f"warm-up {base_url}")
    return send(base_url, [_delivery(template, target, rng, VALID) for _ in range(n)],
                concurrency=concurrency, timeout=60.0)  # fmt: skip


def _post(host: str, port: int, d: Delivery, index: int, timeout: float) -> Result:
    headers = {"Content-Type": "application/json", "X-Gitlab-Event": "Push Hook",
               "X-Gitlab-Event-UUID": d.uuid, "Connection": "close"}  # fmt: skip
    if d.token is not None:
        headers["X-Gitlab-Token"] = d.token
    body = d.body.encode()
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    started = time.perf_counter()
    try:
        conn.request("POST", f"/hooks/gitlab/{d.key}/", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return Result(index, response.status, time.perf_counter() - started)
    except OSError as exc:
        return Result(index, 0, time.perf_counter() - started, f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()


class BrokerQueue:
    """A Redis broker's `git` queue (where the syncs go): the messages that appeared since this
    object was made, decoded as (task name, args, kwargs), and removed again with `clean()`
    (nothing else on the broker is touched)."""

    def __init__(self, url: str, queue: str = "git"):
        import redis

        self.redis, self.queue = redis.Redis.from_url(url), queue
        self.before = set(self.redis.lrange(queue, 0, -1))
        self.new: list[bytes] = []

    def tasks(self) -> list[tuple[str, list, dict]]:
        import base64

        self.new = [m for m in self.redis.lrange(self.queue, 0, -1) if m not in self.before]
        out = []
        for raw in self.new:
            message = json.loads(raw)
            args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
            out.append((message["headers"].get("task"), args, kwargs))
        return out

    def clean(self) -> None:
        for raw in self.new:
            self.redis.lrem(self.queue, 1, raw)


def run_in_subprocess(base_url: str, deliveries: list[Delivery], *, concurrency: int = 8,
                      timeout: float = 900.0, env: dict | None = None) -> list[Result]:  # fmt: skip
    """`send` from a child process (bounded by `timeout`); the results in delivery order."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-m", "bench._webhook_burst", base_url, str(concurrency)],
        input=json.dumps([asdict(d) for d in deliveries]).encode(),
        capture_output=True, timeout=timeout, cwd=root, env=env, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"the burst failed: {proc.stderr.decode(errors='replace')[-2000:]}")
    return [Result(**r) for r in json.loads(proc.stdout)]


def main(argv: list[str]) -> int:
    base_url, concurrency = argv[0], int(argv[1]) if len(argv) > 1 else 8
    deliveries = [Delivery(**d) for d in json.loads(sys.stdin.buffer.read())]
    # Hand the interpreter lock over every 0.5 ms, not 5: a sender thread holding it while its
    # response waits would add its wait to the latency we measure.
    sys.setswitchinterval(0.0005)
    results = send(base_url, deliveries, concurrency=concurrency)
    json.dump([asdict(r) for r in results], sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
