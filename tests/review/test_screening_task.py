"""The screening task runs the real engine over the bare mirror of a real repository."""

import shutil
import time

import pytest

from federation import repos
from review import engine, screening, selectors, services
from review.models import AuditEntry, Disclosure, Screening, Waiver
from review.tasks import screen_disclosure
from tests.review import workflow_fixtures
from tests.review.screening_helpers import GITLAB_TOKEN, RSA_KEY
from tests.review.workflow_fixtures import PLAN, finish_screening, sign_all

world = workflow_fixtures.world
pytestmark = pytest.mark.django_db
State = Disclosure.State


def request(world, capture, **plan):
    with capture(execute=True):
        d = services.disclosure_request(
            project=world.project, by=world.researcher, sha=world.sha, **{**PLAN, **plan}
        )
    d.refresh_from_db()
    return d


def test_clean_repository_goes_to_review(world, django_capture_on_commit_callbacks):
    d = request(world, django_capture_on_commit_callbacks)
    s = Screening.objects.get(disclosure=d)
    assert s.state == Screening.State.DONE, s.error
    assert d.state == State.IN_REVIEW
    assert selectors.findings_blocking(s).count() == 0
    assert s.author_emails == ["alice@institute.example"]
    assert s.versions["rules"] == engine.rules_version() != ""
    assert set(s.versions["checks"]) >= {"secrets", "licenses", "leaks", "readiness", "patents"}
    assert s.progress_phase == "done" and s.progress_done == s.progress_total > 0
    assert s.finished_at is not None


def test_planted_problems_are_recorded(world, django_capture_on_commit_callbacks):
    token = world.commit({"deploy/settings.yml": f"token: {GITLAB_TOKEN}\n"}, message="deploy")
    world.repo.remove("deploy/settings.yml")
    world.commit(message="remove deploy settings", author="bob.contractor@example.org")
    key = world.commit({"certs/server.pem": RSA_KEY}, message="tls")
    d = request(world, django_capture_on_commit_callbacks)
    s = Screening.objects.get(disclosure=d)
    assert s.state == Screening.State.DONE, s.error
    got = {(f.check_name, f.rule, f.path, f.commit, f.blocking) for f in s.findings.all()}
    assert ("secrets", "gitlab-token", "deploy/settings.yml", token, True) in got
    assert ("secrets", "private-key", "certs/server.pem", key, True) in got
    assert all(len(f.fingerprint) == 64 for f in s.findings.all())
    assert d.state == State.SCREEN_FAILED
    assert s.author_emails == ["alice@institute.example", "bob.contractor@example.org"]
    # the token lives only in history: a snapshot would not publish it
    Disclosure.objects.filter(pk=d.pk).update(state=State.WITHDRAWN)
    d2 = request(world, django_capture_on_commit_callbacks, mode="snapshot")
    s2 = Screening.objects.get(disclosure=d2)
    rules = {(f.rule, f.path) for f in s2.findings.all()}
    assert ("private-key", "certs/server.pem") in rules
    assert ("gitlab-token", "deploy/settings.yml") not in rules


def test_waived_planted_problem_lets_it_through(world, django_capture_on_commit_callbacks):
    world.commit({"certs/server.pem": RSA_KEY}, message="tls")
    d = request(world, django_capture_on_commit_callbacks)
    assert d.state == State.SCREEN_FAILED
    f = selectors.current_screening(d).findings.get(rule="private-key")
    from review import waivers

    waivers.waiver_create(
        disclosure=d, finding=f, by=world.security, lane="security", owner=world.researcher,
        reason="Throw-away key of the test server.", expires_on=workflow_fixtures.dt.date.today()
        + workflow_fixtures.dt.timedelta(days=90),
    )  # fmt: skip
    d.refresh_from_db()
    assert d.state == State.IN_REVIEW
    # a later commit with the same key in the same place is still covered
    new = world.commit({"README.md": "# Demo\n\nNow with docs.\n"})
    services.disclosure_send_back(disclosure=d, lane="legal", by=world.legal, note="README")
    with django_capture_on_commit_callbacks(execute=True):
        services.disclosure_resubmit(disclosure=d, by=world.researcher, sha=new)
    d.refresh_from_db()
    assert d.state == State.IN_REVIEW
    assert Waiver.objects.count() == 1


def test_missing_mirror_fails_the_screening_and_keeps_submitted(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        d = services.disclosure_request(
            project=world.project, by=world.researcher, sha=world.sha, **PLAN
        )
    shutil.rmtree(repos.mirror_path(world.project.key))
    for callback in callbacks:
        callback()
    d.refresh_from_db()
    s = Screening.objects.get(disclosure=d)
    assert s.state == Screening.State.FAILED and "no copy of this repository" in s.error
    assert d.state == State.SUBMITTED
    assert "Screening failed" in d.state_reason
    assert not AuditEntry.objects.filter(disclosure=d, to_state="screening").exists()


def test_unreadable_repository_fails_with_the_reason(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        d = services.disclosure_request(
            project=world.project, by=world.researcher, sha=world.sha, **PLAN
        )
    mirror = repos.mirror_path(world.project.key)
    shutil.rmtree(mirror / "objects")
    (mirror / "objects").mkdir()
    for callback in callbacks:
        callback()
    d.refresh_from_db()
    s = Screening.objects.get(disclosure=d)
    assert s.state == Screening.State.FAILED and s.error
    assert d.state == State.SUBMITTED
    back = AuditEntry.objects.filter(disclosure=d, from_state="screening", to_state="submitted")
    assert back.count() == 1 and "failed" in back.get().detail
    # after the sync restores the mirror, screening again works
    shutil.rmtree(mirror)
    world.repo.publish(world.project)
    with django_capture_on_commit_callbacks(execute=True):
        services.disclosure_rescreen(disclosure=d, by=world.researcher)
    d.refresh_from_db()
    assert d.state == State.IN_REVIEW


def test_task_takes_the_primary_key(world):
    d = services.disclosure_request(
        project=world.project, by=world.researcher, sha=world.sha, **PLAN
    )
    s = Screening.objects.get(disclosure=d)
    assert screen_disclosure.delay(s.pk).get() == "done"
    d.refresh_from_db()
    assert d.state == State.IN_REVIEW
    # running it again does nothing
    assert screen_disclosure.delay(s.pk).get() == "done"
    assert Screening.objects.filter(disclosure=d).count() == 1


def test_progress_writes_are_throttled(world):
    d = services.disclosure_request(
        project=world.project, by=world.researcher, sha=world.sha, **PLAN
    )
    s = Screening.objects.get(disclosure=d)
    writer = screening.ProgressWriter(s.pk, interval=60)
    for i in range(100):
        writer(i, 100, "blobs")
    assert writer.writes == 1
    writer(50, 100, "commits")  # a new phase is always written
    assert writer.writes == 2
    s.refresh_from_db()
    assert (s.progress_done, s.progress_total, s.progress_phase) == (50, 100, "commits")
    fast = screening.ProgressWriter(s.pk, interval=0.01)
    fast(1, 2, "blobs")
    time.sleep(0.02)
    fast(2, 2, "blobs")
    assert fast.writes == 2


def test_rule_changes_mark_older_screenings_stale(world):
    d = services.disclosure_request(
        project=world.project, by=world.researcher, sha=world.sha, **PLAN
    )
    old = finish_screening(d, rules="1.0-oldrules")
    current = engine.rules_version()
    assert screening.screenings_mark_stale(rules_version=current) == 1
    old.refresh_from_db()
    assert old.stale
    assert any("older rules" in b for b in services.approval_blockers(d))
    with pytest.raises(services.WrongState):
        sign_all(world, d)
        services.disclosure_approve(disclosure=d, by=world.chair)


def test_screen_delta_reports_only_new_commits(world, django_capture_on_commit_callbacks):
    old_key = world.commit({"certs/old.pem": RSA_KEY}, message="old key")
    d = request(world, django_capture_on_commit_callbacks)
    f = selectors.current_screening(d).findings.get(rule="private-key")
    Waiver.objects.create(
        project=world.project, fingerprint=f.fingerprint, lane="security", reason="dummy",
        owner=world.researcher, created_by=world.security,
        expires_on=workflow_fixtures.dt.date.today() + workflow_fixtures.dt.timedelta(days=9),
    )  # fmt: skip
    clean = world.commit({"docs/more.md": "# More\n"})
    delta = screening.screen_delta(project=world.project, old_sha=old_key, new_sha=clean)
    assert delta.kind == "delta" and delta.state == "done", delta.error
    assert delta.base_sha == old_key and delta.disclosure is None
    assert not selectors.findings_blocking(delta).exists()
    assert not delta.findings.filter(rule="private-key").exists()  # old commit: not re-reported

    leaky = world.commit({"deploy/ci.yml": f"token: {GITLAB_TOKEN}\n"}, message="ci")
    delta2 = screening.screen_delta(project=world.project, old_sha=clean, new_sha=leaky)
    blocking = selectors.findings_blocking(delta2)
    assert [(x.rule, x.commit) for x in blocking] == [("gitlab-token", leaky)]


def test_screen_delta_on_a_missing_mirror(world):
    sha = world.sha
    shutil.rmtree(repos.mirror_path(world.project.key))
    delta = services.screen_delta(project=world.project, old_sha=sha, new_sha=sha)
    assert delta.state == "failed" and "no copy" in delta.error
