"""Retries after forge faults (localforge fault injection): a 502 on repository creation, a
403 rate limit, a 502 on the git push. Each retry is a row in the sync history, and the result is
published exactly once: one repository, one push, one release."""

import pytest

from federation.models import CommitMap, SyncRun
from review.models import AuditEntry, Disclosure
from tests.federation import test_publish_kit as kit

fed, fed_settings = kit.fed, kit.fed_settings
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def retrying(monkeypatch):
    """Eager tasks retried like a worker would (Celery only retries eagerly when task errors
    are not propagated to the caller)."""
    from config.celery import app

    old = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = old


def runs(fed, trigger):
    return [
        (r.attempt, r.status, r.error.split(":")[0])
        for r in SyncRun.objects.filter(project=fed.project, trigger=trigger).order_by("pk")
    ]


def released_once(fed, d):
    d.refresh_from_db()
    assert d.state == Disclosure.State.RELEASED
    entries = AuditEntry.objects.filter(disclosure=d)
    assert entries.filter(to_state="released").count() == 1
    assert entries.filter(to_state="publishing").count() == 1  # never restarted from scratch


def test_a_502_on_repository_creation_is_retried_and_publishes_once(fed, retrying):
    d = fed.approve(fed.mirror_head())
    org = fed.settings.GITHUB_ORG
    fed.localforge.inject_fault("github", 502, 1, path_prefix=f"/orgs/{org}/repos")
    mirror = fed.publish(d)
    assert runs(fed, "publish") == [(1, "failed", "Unavailable"), (2, "succeeded", "")]
    released_once(fed, d)
    assert fed.org_repos() == [mirror.github_path]
    assert fed.public_refs()["refs/heads/main"] == mirror.public_sha
    copies = CommitMap.objects.filter(project=fed.project)
    assert copies.count() == len(set(copies.values_list("internal_sha", flat=True)))


def test_a_rate_limit_is_retried_not_taken_for_lost_access(fed, retrying):
    d = fed.approve(fed.mirror_head())
    org = fed.settings.GITHUB_ORG
    # Retry-After above FORGE_MAX_RETRY_WAIT (2 s): the adapter does not sleep, the task retries.
    fed.localforge.inject_fault("github", 403, 1, path_prefix=f"/repos/{org}/", retry_after=30)
    mirror = fed.publish(d)
    assert runs(fed, "publish") == [(1, "failed", "RateLimited"), (2, "succeeded", "")]
    released_once(fed, d)
    assert fed.org_repos() == [mirror.github_path]


def test_a_502_on_the_git_push_of_a_sync_is_retried(fed, retrying):
    fed.release()
    sha = fed.commit({"src/demo/f.py": "F = 1\n"}, message="faulted push")
    path = fed.mirror.github_path
    fed.localforge.inject_fault("github", 502, 1, path_prefix=f"/{path}.git/git-receive-pack")
    run = fed.sync()
    assert runs(fed, "push") == [(1, "failed", "TransientGitError"), (2, "succeeded", "")]
    assert run.status == "succeeded" and run.attempt == 2
    assert fed.mirror.published_sha == sha
    assert fed.public_refs()["refs/heads/main"] == fed.mirror.public_sha


def test_permanent_failures_are_not_retried_and_give_the_disclosure_back(fed, settings):
    settings.GITHUB_ORG = "no-such-org-anywhere"
    d = fed.approve(fed.mirror_head())
    with pytest.raises(Exception, match="404|Not Found|NotFound"):
        fed.publish(d)
    assert runs(fed, "publish") == [(1, "failed", "NotFound")]
    d.refresh_from_db()
    assert d.state == Disclosure.State.APPROVED and "404" in d.state_reason
