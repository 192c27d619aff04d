"""Visibility: the health page (OSPO admins), the sync history page, the project page's mirror
panel, the API, and the sweeper that fails stuck runs."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from federation import health, lease
from federation.models import Divergence, HeldDelta, Mirror, SyncLease, SyncRun
from people.roles import COMMITTEE_MEMBER, OSPO_ADMIN, RESEARCHER
from review.models import Disclosure
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = UserFactory(username="ospo", roles=[OSPO_ADMIN])
    client.force_login(user)
    return user


def run(project, status, minutes_ago=0, trigger="push", **kw):
    r = SyncRun.objects.create(project=project, trigger=trigger, status=status, **kw)
    at = timezone.now() - dt.timedelta(minutes=minutes_ago)
    SyncRun.objects.filter(pk=r.pk).update(
        started_at=at, finished_at=None if status == "running" else at
    )
    return r


def test_the_health_page_shows_failing_stuck_divergent_and_held(client, admin, settings):
    settings.STUCK_RUN_MINUTES = 30
    ok, failing, stuck = ProjectFactory(), ProjectFactory(), ProjectFactory()
    run(ok, "succeeded", 5)
    run(failing, "succeeded", 100)
    for minutes in (30, 20, 10):
        run(failing, "failed", minutes, error="Unavailable: 502")
    stuck_run = run(stuck, "running", 45)
    Divergence.objects.create(
        project=ok,
        kind="public_push",
        ref="refs/heads/main",
        public_sha="b" * 40,
        expected_sha="a" * 40,
        internal_sha="c" * 40,
    )
    HeldDelta.objects.create(project=stuck, from_sha="1" * 40, to_sha="2" * 40)
    response = client.get(reverse("federation:health"))
    assert response.status_code == 200
    body = response.content.decode()
    rows = {h.path: h for h in response.context["rows"]}
    assert rows[failing.path].failing and not rows[ok.path].failing
    assert rows[ok.path].last_success is not None and rows[ok.path].diverged
    assert [r.pk for r in response.context["stuck"]] == [stuck_run.pk]
    assert failing.path in body and "bbbbbbbbbbbb" in body and "111111111111" in body
    # the nav links the page for OSPO admins
    assert reverse("federation:health") in body


def test_only_ospo_admins_see_it(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client.force_login(UserFactory(roles=[RESEARCHER]))
    assert client.get(reverse("federation:health")).status_code == 403
    assert reverse("federation:health") not in client.get("/").content.decode()
    client.logout()
    assert client.get(reverse("federation:health")).status_code == 302


def test_the_sweeper_fails_stuck_runs_frees_the_lease_and_retries_a_publish(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.STUCK_RUN_MINUTES = 30
    project = ProjectFactory()
    d = Disclosure.objects.create(project=project, state="publishing", sha="a" * 40,
                                  approved_sha="a" * 40, target_repo="x")  # fmt: skip
    old = run(project, "running", 45, trigger="publish", detail={"disclosure": d.pk})
    fresh = run(ProjectFactory(), "running", 5)
    token = lease.acquire(project.pk)
    assert token
    queued = []
    from federation import tasks

    monkeypatch.setattr(tasks.publish_disclosure, "delay", lambda pk: queued.append(pk))
    with django_capture_on_commit_callbacks(execute=True):
        failed = health.runs_fail_stuck()
    assert [r.pk for r in failed] == [old.pk]
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.status == "failed" and "stuck" in old.error and old.finished_at
    assert fresh.status == "running"
    assert SyncLease.objects.get(project=project).token == ""
    d.refresh_from_db()
    assert d.state == "approved" and queued == [d.pk]
    assert health.runs_fail_stuck() == []  # nothing twice


def test_the_sync_history_page_and_the_project_panel(client, admin):
    project = ProjectFactory()
    run(project, "failed", 3, error="TransientGitError: 502", attempt=1)
    run(project, "succeeded", 2, attempt=2, commits_published=4)
    Mirror.objects.create(project=project, github_path="org/p", web_url="http://gh/org/p",
                          state="active", published_sha="a" * 40, public_sha="b" * 40)  # fmt: skip
    from federation.models import CommitMap

    CommitMap.objects.create(project=project, internal_sha="a" * 40, public_sha="b" * 40)
    page = client.get(reverse("federation:runs", args=[project.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "TransientGitError" in body and "org/p" in body
    detail = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert 'data-testid="mirror-panel"' in detail
    assert "in sync" in detail and "aaaaaaaaaaaa" in detail and "http://gh/org/p/commit/" in detail


def test_the_api_lists_runs_and_records_a_divergence_decision(client, admin, settings):
    project = ProjectFactory()
    run(project, "held", 1, commits_held=2)
    d = Divergence.objects.create(project=project, kind="public_push", ref="refs/heads/main",
                                  public_sha="b" * 40, expected_sha="a" * 40,
                                  internal_sha="c" * 40)  # fmt: skip
    runs = client.get("/api/v1/federation/runs/", {"project": project.pk}).json()
    assert runs["count"] == 1 and runs["results"][0]["commits_held"] == 2
    refused = client.post(
        f"/api/v1/federation/divergences/{d.pk}/decide/",
        {"choice": "overwrite", "reason": ""},
        content_type="application/json",
    )
    assert refused.status_code == 400
    held = client.post(
        f"/api/v1/federation/divergences/{d.pk}/decide/",
        {"choice": "hold", "reason": "wait"},
        content_type="application/json",
    )
    assert held.status_code == 200 and held.json()["state"] == "held"
    client.force_login(UserFactory(roles=[COMMITTEE_MEMBER]))
    assert client.get("/api/v1/federation/runs/").status_code == 403
    item = HeldDelta.objects.create(project=project, from_sha="1" * 40, to_sha="2" * 40)
    dismissed = client.post(
        f"/api/v1/federation/held/{item.pk}/dismiss/",
        {"note": "stays inside"},
        content_type="application/json",
    )
    assert dismissed.status_code == 200 and dismissed.json()["state"] == "dismissed"
