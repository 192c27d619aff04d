"""One sync per project at a time: a second sync of the same project does not wait and does not
run beside the first; it is recorded as skipped and the running one goes once more, so the
public branch ends at the newest push. Other projects are not blocked meanwhile."""

import threading

import pytest
from django.db import connection

from federation import lease, mirror, pipeline
from federation.models import SyncLease, SyncRun
from tests.factories import ProjectFactory
from tests.federation import test_publish_kit as kit

fed, fed_settings = kit.fed, kit.fed_settings
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_second_sync_skips_and_the_first_goes_again(fed, monkeypatch, gitlab_project):
    fed.release()
    first = fed.commit({"src/demo/one.py": "ONE = 1\n"}, message="one")
    inside, go_on = threading.Event(), threading.Event()
    real = mirror.screen_delta
    calls = []

    def slow_screen(**kwargs):
        calls.append(kwargs["new_sha"])
        if len(calls) == 1:
            inside.set()
            assert go_on.wait(30)
        return real(**kwargs)

    monkeypatch.setattr(mirror, "screen_delta", slow_screen)
    errors = []

    def run_first():
        try:
            pipeline.sync(project=fed.project, trigger="push")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    worker = threading.Thread(target=run_first)
    worker.start()
    assert inside.wait(30)
    # Meanwhile: a newer push, and its sync finds the lease taken.
    second = fed.commit({"src/demo/two.py": "TWO = 2\n"}, message="two")
    result = pipeline.sync(project=fed.project, trigger="push")
    assert result["status"] == "skipped"
    assert SyncLease.objects.get(project=fed.project).rerun
    # Another project is not held up by this one's lease.
    other = gitlab_project(files={"README.md": "# other\n"})
    other_project = ProjectFactory(
        gitlab_id=other.id, path=other.path, clone_url=other.http_url, key="kother123456"
    )
    assert pipeline.sync(project=other_project, trigger="push")["status"] == "succeeded"

    go_on.set()
    worker.join(60)
    assert not worker.is_alive() and not errors, errors
    runs = list(
        SyncRun.objects.filter(project=fed.project).exclude(trigger="publish").order_by("pk")
    )
    assert [(r.trigger, r.status) for r in runs] == [
        ("push", "succeeded"),  # the first, which had only seen `one`
        ("push", "skipped"),
        ("rerun", "succeeded"),  # the first going again: it publishes `two`
    ]
    assert runs[0].refs_after["refs/heads/main"] == first
    assert runs[2].refs_after["refs/heads/main"] == second
    assert fed.mirror.published_sha == second
    assert fed.public_refs()["refs/heads/main"] == fed.mirror.public_sha
    lease_row = SyncLease.objects.get(project=fed.project)
    assert (lease_row.token, lease_row.rerun) == ("", False)


def test_a_lease_left_by_a_dead_worker_expires(fed, settings):
    settings.SYNC_LEASE_SECONDS = 0.2
    token = lease.acquire(fed.project.pk)
    assert token and lease.acquire(fed.project.pk) is None
    import time

    time.sleep(0.3)
    again = lease.acquire(fed.project.pk)
    assert again and again != token
    assert not lease.release(fed.project.pk, token)  # the old holder has nothing to release
    assert lease.release(fed.project.pk, again) is False
