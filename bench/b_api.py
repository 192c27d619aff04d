"""The service's HTTP endpoints under load, served by gunicorn (sync workers, DEBUG off) on a
free loopback port against the run's scratch database (`ctx.subprocess_env()`): the catalogue
API list (`api_catalogue_rps`) and the GitLab webhook receiver (`webhook_p95_ms`). Every load
is bounded: a fixed number of requests, each with a timeout, and only to 127.0.0.1."""

from __future__ import annotations

import http.client
import statistics
import threading
import time

from bench import _server
from bench import _webhook_burst as burst
from bench.registry import BenchContext, benchmark, percentile

SERVER = {"DATABASE_CONN_MAX_AGE": "60"}  # persistent connections, as deployed behind gunicorn


def _get_many(url: str, path: str, headers: dict, total: int, clients: int) -> list[float]:
    """`total` GETs of `path` by `clients` threads, each on its own keep-alive connection; the
    latency of each (seconds). Any answer but 200 is an error."""
    host, port = url.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    left = iter(range(total))

    def client() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            while True:
                with lock:
                    if next(left, None) is None:
                        return
                t0 = time.perf_counter()
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
                elapsed = time.perf_counter() - t0
                with lock:
                    latencies.append(elapsed)
                    if response.status != 200:
                        errors.append(f"{response.status} {body[:200]!r}")
        finally:
            conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise AssertionError(f"{len(errors)} failed requests, e.g. {errors[0]}")
    return latencies


def _seed_catalogue(n: int):
    import datetime as dt

    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from people.models import Team
    from projects.models import Ownership, Project

    teams = [Team.objects.create(name=f"Bench team {i}", path=f"Bench/T{i}") for i in range(8)]
    projects = Project.objects.bulk_create(
        Project(gitlab_id=900_000 + i, path=f"bench/p{i}", name=f"Project {i}",
                web_url=f"http://gitlab.example/bench/p{i}",
                clone_url=f"http://gitlab.example/bench/p{i}.git",
                created_on=dt.date(2024, 1, 1), summary=f"Benchmark project {i}",
                description="A project for the catalogue benchmark. " * 4,
                topics=["bench", f"topic-{i % 7}"], language="Python", license="Apache-2.0",
                activity_score=float(i % 97))
        for i in range(n)
    )  # fmt: skip
    Ownership.objects.bulk_create(
        Ownership(project=p, team=teams[i % len(teams)], start=dt.date(2024, 1, 1))
        for i, p in enumerate(projects)
    )
    user = get_user_model().objects.create_user("bench-reader", "reader@inst.example", "x")
    return Token.objects.create(user=user).key


@benchmark(
    "api_catalogue_rps",
    unit="req/s",
    target="report",
    needs=("db",),
    description="Catalogue API list, 16 concurrent clients, gunicorn with 2 workers",
)
def api_catalogue(ctx: BenchContext):
    n_projects, total = ctx.size(500, 40), ctx.size(400, 32)
    token = _seed_catalogue(n_projects)
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    path = "/api/v1/projects/"
    with _server.gunicorn(ctx.subprocess_env(**SERVER), workers=2,
                          log=ctx.scratch_dir / "gunicorn-api.log") as url:  # fmt: skip
        _get_many(url, path, headers, 16, 16)  # warm-up: code loaded, connections open
        t0 = time.perf_counter()
        latencies = _get_many(url, path, headers, total, 16)
        elapsed = time.perf_counter() - t0
    return ctx.figure(
        round(total / elapsed, 1),
        params={"requests": total, "clients": 16, "workers": 2, "projects": n_projects,
                "page_size": 50, "seconds": round(elapsed, 2),
                "p50_ms": round(1000 * statistics.median(latencies), 1),
                "p95_ms": round(1000 * percentile(latencies, 95), 1),
                "path": path, "auth": "DRF token"},
    )  # fmt: skip


@benchmark(
    "webhook_p95_ms",
    unit="ms",
    target="<= 50 ms",
    needs=("db",),
    description="GitLab push webhook endpoint p95 under a burst (10% replays, 5% bad tokens)",
)
def webhook_p95(ctx: BenchContext):
    from django.conf import settings

    from projects.models import Project

    size = ctx.size(2000, 120)
    projects = [
        Project.objects.create(gitlab_id=800_000 + i, path=f"hooks/p{i}", name=f"hooks-{i}",
                               web_url=f"http://gitlab.example/hooks/p{i}",
                               clone_url=f"http://gitlab.example/hooks/p{i}.git",
                               created_on="2024-01-01", summary="webhook bench")
        for i in range(5)
    ]  # fmt: skip
    targets = [burst.Target(p.key, p.hook_secret, p.gitlab_id, "main") for p in projects]
    deliveries = burst.plan(targets[1:], size, seed=ctx.seed)
    # A real broker when the run has one (its new messages are removed afterwards), else
    # kombu's in-memory transport: the same publish path, nothing left behind.
    broker = settings.CELERY_BROKER_URL if settings.CELERY_BROKER_URL.startswith("redis") else ""
    queue = burst.BrokerQueue(broker) if broker else None
    env = ctx.subprocess_env(**SERVER, CELERY_BROKER_URL=broker or "memory://")
    # SQLite takes one writer at a time: more worker processes only queue on its file lock.
    workers = _server.HOOK_WORKERS if ctx.db_kind == "postgresql" else 2
    try:
        with _server.gunicorn(env, workers=workers,
                              log=ctx.scratch_dir / "gunicorn-hooks.log") as url:  # fmt: skip
            burst.warm_up(url, targets[0])
            cpu0, t0 = _server.workers_cpu_s(url), time.perf_counter()
            results = burst.run_in_subprocess(url, deliveries, concurrency=burst.SENDERS)
            elapsed = time.perf_counter() - t0
            cpu = _server.workers_cpu_s(url) - cpu0
        if queue is not None:
            queue.tasks()
    finally:
        if queue is not None:
            queue.clean()
    failed = [r for r in results if r.status == 0 or r.status >= 500]
    if failed:
        raise AssertionError(f"{len(failed)} deliveries failed, e.g. {failed[0]}")
    seconds = sorted(r.seconds for r in results)
    by_kind: dict[str, list[float]] = {}
    for d, r in zip(deliveries, results, strict=True):
        by_kind.setdefault(d.kind, []).append(r.seconds)
    return ctx.figure(
        round(1000 * percentile(seconds, 95), 1),
        params={"deliveries": size, "concurrency": burst.SENDERS, "workers": workers,
                "p50_ms": round(1000 * statistics.median(seconds), 1),
                "max_ms": round(1000 * seconds[-1], 1),
                "p95_ms_by_kind": {k: round(1000 * percentile(v, 95), 1)
                                   for k, v in sorted(by_kind.items())},
                "deliveries_per_s": round(size / elapsed, 1),
                "worker_cpu_ms_per_delivery": round(1000 * cpu / size, 2),
                "broker": "redis" if broker else "memory://"},
    )  # fmt: skip
