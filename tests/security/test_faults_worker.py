"""Faults with a real Celery worker, a real broker and localforge (issue 9, reliability):

- GitHub answers 502 or 403 (rate limited) for a while, then recovers: the task retries, the
  history shows each attempt, and the release is published exactly once.
- The worker is SIGKILLed in the middle of the publish push, then a new worker starts: the task
  is delivered again (acks_late + the broker's visibility timeout) and the state converges: one
  repository, the public branch at the rewrite of the approved sha, one map row per commit, one
  push on GitHub, released once.
- Two syncs of the same project at once on a worker with two processes: one skips (and asks the
  other to go again), and the refs end at the newest push.
"""

from __future__ import annotations

import datetime as dt
import os
import signal

import pytest
from django.utils import timezone

from federation.health import runs_fail_stuck
from federation.models import CommitMap, Mirror, SyncLease, SyncRun
from review.models import AuditEntry, Disclosure
from tests.federation import test_publish_kit as kit
from tests.security.workers import GitShim, Worker, purge_broker, until, worker_env

fed, fed_settings = kit.fed, kit.fed_settings
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.services,
    pytest.mark.real_worker,
]


@pytest.fixture
def shim(tmp_path):
    return GitShim(tmp_path / "shim")


@pytest.fixture
def make_worker(broker_url, postgres, fed_settings, localforge, shim, tmp_path):
    purge_broker(broker_url)
    env = worker_env(broker_url=broker_url, fed_settings=fed_settings, localforge=localforge,
                     shim=shim, secret=kit.SECRET)  # fmt: skip
    started = []

    def make(pool="solo", concurrency=1, **extra):
        w = Worker(env, tmp_path / f"worker-{len(started)}.log", pool=pool,
                   concurrency=concurrency)  # fmt: skip
        started.append(w)
        return w.start(**extra)

    yield make
    for w in started:
        w.stop()
    purge_broker(broker_url)


def runs(fed, trigger):
    return [
        (r.attempt, r.status, r.error.split(":")[0])
        for r in SyncRun.objects.filter(project=fed.project, trigger=trigger).order_by("pk")
    ]


def queue_publish(d):
    from federation.tasks import publish_disclosure

    publish_disclosure.delay(d.pk)


def released(d, running=0):
    """Released, and the run that released it closed (`running`: runs left open by the dead)."""
    open_runs = SyncRun.objects.filter(project=d.project_id, trigger="publish", status="running")
    return (
        Disclosure.objects.filter(pk=d.pk, state=Disclosure.State.RELEASED).exists()
        and open_runs.count() == running
    )


def main_pushes(fed) -> list[dict]:
    """GitHub's push deliveries for the public main branch: one per push that landed."""
    return [d for d in fed.github_deliveries("push") if d["payload"]["ref"] == "refs/heads/main"]


def assert_published_once(fed, d):
    """One repository, main at the public copy of the approved sha, one map row per internal
    commit, one push, one release."""
    mirror = Mirror.objects.get(project=fed.project)
    assert fed.org_repos() == [mirror.github_path]
    assert mirror.published_sha == d.approved_sha
    assert fed.public_refs()["refs/heads/main"] == mirror.public_sha
    tip_copy = CommitMap.objects.get(project=fed.project, internal_sha=d.approved_sha)
    assert tip_copy.public_sha == mirror.public_sha
    history = fed.mirror_git("rev-list", d.approved_sha).split()
    copies = CommitMap.objects.filter(project=fed.project)
    assert sorted(copies.values_list("internal_sha", flat=True)) == sorted(history)
    assert len(fed.public_log("%H%x00")) == len(history)
    entries = AuditEntry.objects.filter(disclosure=d)
    assert entries.filter(to_state="released").count() == 1
    until(lambda: main_pushes(fed), timeout=10, what="GitHub's push delivery")
    assert len(main_pushes(fed)) == 1


# -- forge failures ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "count", "prefix", "error"),
    [
        (502, 2, "/orgs/{org}/repos", "Unavailable"),  # creating the repository
        (403, 1, "/repos/{org}/", "RateLimited"),  # looking it up (primary rate limit)
    ],
)
def test_publish_retries_through_forge_faults_and_publishes_once(
    fed, make_worker, status, count, prefix, error
):
    org = fed.settings.GITHUB_ORG
    d = fed.approve(fed.mirror_head())
    fed.localforge.inject_fault("github", status, count, path_prefix=prefix.format(org=org),
                                retry_after=2)  # fmt: skip
    worker = make_worker()
    queue_publish(d)
    until(lambda: released(d), what="the release", workers=[worker])

    history = runs(fed, "publish")
    expected = [(n, "failed", error) for n in range(1, count + 1)]
    assert history == [*expected, (count + 1, "succeeded", "")]
    assert fed.localforge._admin("github", "GET", "/faults") == []  # all were served
    if status == 403:  # the retry waited at least what GitHub asked for
        first, second = SyncRun.objects.filter(project=fed.project).order_by("pk")
        assert (second.started_at - first.finished_at).total_seconds() >= 2
    assert_published_once(fed, d)


def test_a_sync_push_refused_by_github_is_retried(fed, make_worker):
    from federation.publish import disclosure_publish
    from federation.tasks import sync_project

    d = fed.approve(fed.mirror_head())
    disclosure_publish(disclosure_id=d.pk)  # released in-process, before the worker starts
    sha = fed.commit({"src/demo/f.py": "F = 1\n"}, message="after the release")
    path = Mirror.objects.get(project=fed.project).github_path
    fed.localforge.inject_fault("github", 502, 2, path_prefix=f"/{path}.git/git-receive-pack")
    worker = make_worker()
    sync_project.delay(fed.project.pk, trigger="push")
    until(lambda: Mirror.objects.get(project=fed.project).published_sha == sha,
          what="the pushed commit on GitHub", workers=[worker])  # fmt: skip
    until(lambda: not SyncRun.objects.filter(project=fed.project, status="running").exists(),
          what="the sync to finish", workers=[worker])  # fmt: skip
    assert runs(fed, "push") == [
        (1, "failed", "TransientGitError"),
        (2, "failed", "TransientGitError"),
        (3, "succeeded", ""),
    ]
    assert fed.public_refs()["refs/heads/main"] == fed.mirror.public_sha
    assert [p["payload"]["after"] for p in main_pushes(fed)][-1] == fed.mirror.public_sha


# -- a worker killed in the middle of the push -----------------------------------------------


def pool_children(worker) -> list[int]:
    pid = worker.proc.pid
    return [int(c) for c in open(f"/proc/{pid}/task/{pid}/children").read().split()]


@pytest.mark.parametrize("how", ["host_down", "push_outlives_worker", "pool_process_killed"])
def test_a_worker_killed_during_the_publish_push_converges(fed, make_worker, shim, how):
    d = fed.approve(fed.mirror_head())
    shim.hold("push")
    # A short lease, so the next attempt need not wait 15 minutes for the dead one's.
    pool = "prefork" if how == "pool_process_killed" else "solo"
    first = make_worker(pool=pool, SYNC_LEASE_SECONDS=6)
    queue_publish(d)
    pid = until(lambda: shim.held_pid("push"), what="the publish push", workers=[first])
    # At the push: the repository exists, the disclosure is publishing, the run is running.
    assert Disclosure.objects.get(pk=d.pk).state == Disclosure.State.PUBLISHING
    assert SyncRun.objects.get(project=fed.project, trigger="publish").status == "running"
    assert fed.org_repos() == [Mirror.objects.get(project=fed.project).github_path]
    assert "refs/heads/main" not in fed.public_refs()

    if how == "pool_process_killed":  # the OOM killer takes the pool process running the task
        (child,) = pool_children(first)
        os.kill(child, signal.SIGKILL)
        os.killpg(pid, signal.SIGKILL)
        shim.release("push")
        # The worker itself lives on: reject_on_worker_lost puts the task back in the queue.
        second = first
    else:
        first.kill()
        if how == "host_down":
            os.killpg(pid, signal.SIGKILL)  # git went down with the host
            assert "refs/heads/main" not in fed.public_refs()
        else:  # the push outlives the worker and lands, but nothing recorded it
            shim.release("push")
            until(lambda: "refs/heads/main" in fed.public_refs(), what="the orphan push")
        shim.release("push")
        assert Disclosure.objects.get(pk=d.pk).state == Disclosure.State.PUBLISHING
        # The next worker takes the unacknowledged task again once it is older than the
        # broker's visibility timeout (and the dead worker's lease has run out).
        until(lambda: SyncLease.objects.filter(project=fed.project, until__lt=timezone.now())
              .exists(), timeout=20, what="the dead worker's lease to expire")  # fmt: skip
        second = make_worker(CELERY_VISIBILITY_TIMEOUT=1)
    until(lambda: released(d, running=1), timeout=120, what="the release after the restart",
          workers=[second])  # fmt: skip

    assert_published_once(fed, d)
    history = runs(fed, "publish")
    assert history[0] == (1, "running", "")  # the dead worker's attempt, never closed
    assert history[-1][1] == "succeeded"
    # The stuck-run sweeper closes the dead attempt later, and queues nothing more.
    later = timezone.now() + dt.timedelta(hours=2)
    assert [r.pk for r in runs_fail_stuck(now=later)] == [
        SyncRun.objects.filter(project=fed.project, trigger="publish").order_by("pk").first().pk
    ]
    d.refresh_from_db()
    assert d.state == Disclosure.State.RELEASED
    assert len(main_pushes(fed)) == 1


# -- two syncs at once -----------------------------------------------------------------------


def test_two_syncs_of_one_project_at_once_one_skips_and_the_refs_end_right(fed, make_worker, shim):
    from federation.publish import disclosure_publish
    from federation.tasks import sync_project

    d = fed.approve(fed.mirror_head())
    disclosure_publish(disclosure_id=d.pk)
    fed.commit({"src/demo/one.py": "ONE = 1\n"}, message="one")
    shim.hold("fetch")  # the first sync stops inside its lease, at the fetch
    worker = make_worker(pool="prefork", concurrency=2)
    sync_project.delay(fed.project.pk, trigger="push")
    sync_project.delay(fed.project.pk, trigger="push")
    until(lambda: shim.held_pid("fetch"), what="the first sync's fetch", workers=[worker])
    skipped = until(
        lambda: SyncRun.objects.filter(project=fed.project, status="skipped").first(),
        what="the second sync to skip",
        workers=[worker],
    )
    assert skipped.trigger == "push"
    assert SyncLease.objects.get(project=fed.project).rerun
    two = fed.commit({"src/demo/two.py": "TWO = 2\n"}, message="two")  # pushed meanwhile
    shim.release("fetch")
    until(lambda: SyncRun.objects.filter(project=fed.project, trigger="rerun",
                                         status="succeeded").exists(),
          what="the rerun", workers=[worker])  # fmt: skip

    syncs = SyncRun.objects.filter(project=fed.project).exclude(trigger="publish").order_by("pk")
    assert sorted((r.trigger, r.status) for r in syncs) == [
        ("push", "skipped"),
        ("push", "succeeded"),
        ("rerun", "succeeded"),
    ]
    rerun = syncs.get(trigger="rerun")
    assert rerun.refs_after["refs/heads/main"] == two
    assert fed.mirror.published_sha == two
    assert fed.public_refs()["refs/heads/main"] == fed.mirror.public_sha
    assert CommitMap.objects.get(project=fed.project, internal_sha=two).public_sha == (
        fed.mirror.public_sha
    )
    lease = SyncLease.objects.get(project=fed.project)
    assert (lease.token, lease.rerun) == ("", False)
