"""Webhook load (issue 9): a burst of GitLab push deliveries at the real endpoint over HTTP on
127.0.0.1, sent by a load generator in its own process (bench._webhook_burst: the real push
payload shape, real X-Gitlab-Token and X-Gitlab-Event-UUID headers, 10% replays of a delivery
id, 5% wrong or missing tokens).

With PostgreSQL and a broker (CI) the server is gunicorn (4 sync workers) on the test
database, the burst is the full 2,000 deliveries, 4 at a time (one per worker), and the queued work is read
back from the real broker. Without them (plain `make test` on SQLite) the server is Django's
live server thread, the burst smaller and sent one at a time (the live server shares the
in-memory database's one connection between its request threads, safe only when they take
turns), and the queued syncs are recorded in-process. The endpoint's p95 is printed; its target
(<= 50 ms) is checked by `make bench` (`webhook_p95_ms`), not by this test.
"""

import threading
from collections import Counter, defaultdict
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connection

from bench import _server
from bench import _webhook_burst as burst
from bench.db import database_url
from bench.registry import percentile
from federation.models import WebhookDelivery
from tests.factories import ProjectFactory
from tests.fixtures.services import IN_CI, reachable

SYNC = "federation.tasks.sync_project"


def real_services() -> bool:
    url = settings.CELERY_BROKER_URL
    return connection.vendor == "postgresql" and url.startswith("redis") and reachable(url, 6379)


@pytest.fixture
def recorded(monkeypatch):
    """The syncs the receiver queues, recorded in-process (thread-safe) instead of sent."""
    calls, lock = [], threading.Lock()
    from federation import tasks

    def delay(*args, **kwargs):
        with lock:
            calls.append((list(args), kwargs))

    monkeypatch.setattr(tasks.sync_project, "delay", delay)
    return calls


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_push_deliveries(request, tmp_path):
    real = real_services()
    size = 2000 if IN_CI or real else 300
    projects = [ProjectFactory(gitlab_id=500 + i, default_branch="main") for i in range(4)]
    by_key = {p.key: p for p in projects}
    warm_project = ProjectFactory(gitlab_id=499, default_branch="main")  # outside the burst
    warm_target = burst.Target(warm_project.key, warm_project.hook_secret, 499, "main")
    targets = [burst.Target(p.key, p.hook_secret, p.gitlab_id, "main") for p in projects]
    deliveries = burst.plan(targets, size, seed=7)
    kinds = Counter(d.kind for d in deliveries)
    assert kinds[burst.DUPLICATE] == round(size * 0.10)
    assert kinds[burst.WRONG_TOKEN] + kinds[burst.NO_TOKEN] == round(size * 0.05)

    if real:
        queue = burst.BrokerQueue(settings.CELERY_BROKER_URL)
        env = {"DATABASE_URL": database_url(connection.settings_dict),
               "CELERY_BROKER_URL": settings.CELERY_BROKER_URL, "DATABASE_CONN_MAX_AGE": "60"}  # fmt: skip
        try:
            with _server.gunicorn(
                env, workers=_server.HOOK_WORKERS, log=tmp_path / "gunicorn.log"
            ) as url:
                assert urlparse(url).hostname == "127.0.0.1"
                warm = burst.warm_up(url, warm_target)
                assert [r.status for r in warm] == [202] * len(warm), warm
                results = burst.run_in_subprocess(url, deliveries, concurrency=burst.SENDERS)
            queued = [(a, k) for task, a, k in queue.tasks() if task == SYNC]
            queued = [(a, k) for a, k in queued if a[0] != warm_project.pk]
        finally:
            queue.clean()
    else:
        recorded = request.getfixturevalue("recorded")
        live_server = request.getfixturevalue("live_server")
        results = burst.run_in_subprocess(live_server.url, deliveries, concurrency=1)
        queued = recorded

    assert len(results) == size
    failed = [r for r in results if r.status == 0]
    assert not failed, failed[:3]
    statuses: dict[str, list[int]] = defaultdict(list)  # delivery id -> statuses, in send order
    for d, r in zip(deliveries, results, strict=True):
        if d.kind == burst.WRONG_TOKEN:
            assert r.status == 403, (d.uuid, r)
        elif d.kind == burst.NO_TOKEN:
            assert r.status == 401, (d.uuid, r)
        else:
            statuses[d.uuid].append(r.status)
    # Each delivery id is answered 202 exactly once; its replays get 200 and do nothing.
    for delivery_id, got in statuses.items():
        assert sorted(got) == [200] * (len(got) - 1) + [202], (delivery_id, got)

    valid = {d.uuid: d for d in deliveries if d.kind == burst.VALID}
    rows = list(
        WebhookDelivery.objects.exclude(project=warm_project).values_list(
            "delivery_id", "project__key", "outcome"
        )
    )
    assert len(rows) == len(valid)
    assert {r[0]: r[1] for r in rows} == {u: d.key for u, d in valid.items()}
    assert {r[2] for r in rows} == {WebhookDelivery.Outcome.QUEUED}
    # Each recorded delivery queued its project's sync once; replays and bad ones queued nothing.
    expected = Counter(by_key[d.key].pk for d in valid.values())
    assert Counter(args[0] for args, _ in queued) == expected
    assert all(kwargs == {"trigger": "push"} for _, kwargs in queued)

    # The latency is measured, not gated: the target (p95 <= 50 ms) is the `webhook_p95_ms`
    # figure of `make bench`, next to the load it was measured under. Here it is only reported.
    seconds = sorted(r.seconds for r in results)
    print(f"webhook burst: p95 {percentile(seconds, 95) * 1000:.1f} ms over {size} deliveries")
