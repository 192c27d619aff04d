"""Every move of the disclosure state machine, and the moves it refuses (nothing changes)."""

import datetime as dt

import pytest
from celery import current_app
from django.core import mail

from review import selectors, services, waivers
from review.errors import InvalidInput, NotAllowed, WrongState
from review.models import AuditEntry, Disclosure, Screening, Vote
from tests.review import workflow_fixtures
from tests.review.workflow_fixtures import (
    PLAN,
    FakeFinding,
    finish_screening,
    in_review,
    sign_all,
    submitted,
)

world = workflow_fixtures.world

State = Disclosure.State
BLOCKER = FakeFinding()
pytestmark = pytest.mark.django_db


def transitions(d):
    return list(
        AuditEntry.objects.filter(disclosure=d, action="transition").values_list(
            "from_state", "to_state"
        )
    )


def test_request_release_creates_submits_and_queues_a_screening(world):
    d = submitted(world)
    assert d.state == State.SUBMITTED
    assert d.sha == world.sha and d.round == 1 and d.submitted_by == world.researcher
    assert d.outbound_license == "Apache-2.0" and d.maintainers == ["alice-gh"]
    s = Screening.objects.get(disclosure=d)
    assert s.state == Screening.State.RUNNING and s.sha == world.sha
    assert transitions(d) == [("", "draft"), ("draft", "submitted")]


def test_draft_then_submit(world):
    d = services.disclosure_create(project=world.project, by=world.researcher, **PLAN)
    assert d.state == State.DRAFT
    services.disclosure_submit(disclosure=d, by=world.researcher, sha=world.sha)
    assert d.state == State.SUBMITTED
    with pytest.raises(WrongState):
        services.disclosure_submit(disclosure=d, by=world.researcher, sha=world.sha)


def test_submit_needs_a_complete_plan(world):
    d = services.disclosure_create(project=world.project, by=world.researcher, mode="snapshot")
    with pytest.raises(InvalidInput) as err:
        services.disclosure_submit(disclosure=d, by=world.researcher, sha=world.sha)
    assert err.value.field == "outbound_license"
    d.refresh_from_db()
    assert d.state == State.DRAFT and not Screening.objects.filter(disclosure=d).exists()


def test_one_open_disclosure_per_project(world):
    submitted(world)
    with pytest.raises(WrongState):
        submitted(world)
    assert Disclosure.objects.filter(project=world.project).count() == 1


def test_clean_screening_goes_to_review_and_asks_every_lane(
    world, django_capture_on_commit_callbacks
):
    d = submitted(world)
    with django_capture_on_commit_callbacks(execute=True):
        finish_screening(d, [FakeFinding(severity="info", fingerprint="fp-i")])
    assert d.state == State.IN_REVIEW
    assert transitions(d)[-2:] == [("submitted", "screening"), ("screening", "in_review")]
    to = {addr for m in mail.outbox for addr in m.to}
    assert {"bob@institute.example", "carol@institute.example"} <= to
    subjects = " ".join(m.subject for m in mail.outbox)
    assert "Legal / license" in subjects and "Export control" in subjects


def test_blocking_finding_fails_the_screening(world):
    d = submitted(world)
    finish_screening(d, [BLOCKER])
    assert d.state == State.SCREEN_FAILED
    assert "1 blocking" in d.state_reason
    assert selectors.findings_blocking(selectors.current_screening(d)).count() == 1


@pytest.mark.parametrize("severity", ["high", "medium", "low"])
def test_any_finding_but_info_blocks_until_waived(world, severity):
    d = submitted(world)
    finish_screening(d, [FakeFinding(severity=severity, fingerprint="fp-x")])
    assert d.state == State.SCREEN_FAILED
    waivers.waiver_create(
        disclosure=d, finding=d.screenings.get().findings.get(), by=world.security,
        lane="security", reason="Accepted: test data", owner=world.researcher,
        expires_on=dt.date.today() + dt.timedelta(days=30),
    )  # fmt: skip
    d.refresh_from_db()
    assert d.state == State.IN_REVIEW


def test_info_finding_does_not_block(world):
    d = submitted(world)
    finish_screening(d, [FakeFinding(severity="info", fingerprint="fp-i")])
    assert d.state == State.IN_REVIEW


def test_resubmit_from_screen_failed_needs_a_new_sha(world):
    d = submitted(world)
    finish_screening(d, [BLOCKER])
    with pytest.raises(InvalidInput):
        services.disclosure_resubmit(disclosure=d, by=world.researcher, sha=d.sha)
    new = world.commit({"src/demo/__init__.py": "def add(a, b):\n    return b + a\n"})
    services.disclosure_resubmit(disclosure=d, by=world.researcher, sha=new)
    assert d.state == State.SUBMITTED and d.sha == new and d.round == 2
    assert Screening.objects.filter(disclosure=d, sha=new, state="running").exists()


def test_resubmit_refused_while_in_review(world):
    d = in_review(world)
    new = world.commit({"x.txt": "x\n"})
    with pytest.raises(WrongState):
        services.disclosure_resubmit(disclosure=d, by=world.researcher, sha=new)
    d.refresh_from_db()
    assert d.state == State.IN_REVIEW and d.sha == world.shas[0]


def test_sign_off_only_in_review(world):
    d = submitted(world)
    with pytest.raises(WrongState):
        services.disclosure_lane_sign_off(disclosure=d, lane="legal", by=world.legal)
    assert not Vote.objects.exists()


def test_send_back_then_resubmit_resets_the_lanes(world, django_capture_on_commit_callbacks):
    d = in_review(world)
    services.disclosure_lane_sign_off(disclosure=d, lane="legal", by=world.legal)
    with pytest.raises(InvalidInput):
        services.disclosure_send_back(disclosure=d, lane="security", by=world.security, note=" ")
    with django_capture_on_commit_callbacks(execute=True):
        services.disclosure_send_back(
            disclosure=d, lane="security", by=world.security, note="Remove the debug endpoint."
        )
    assert d.state == State.CHANGES_REQUESTED
    assert d.state_reason == "Remove the debug endpoint."
    assert mail.outbox[-1].to == ["alice@institute.example"]
    assert "debug endpoint" in mail.outbox[-1].body
    with pytest.raises(WrongState):
        services.disclosure_lane_sign_off(disclosure=d, lane="ip", by=world.security)

    new = world.commit({"src/demo/__init__.py": "def add(a, b):\n    return a + b + 0\n"})
    services.disclosure_resubmit(disclosure=d, by=world.researcher, sha=new)
    assert d.state == State.SUBMITTED
    finish_screening(d)
    assert d.state == State.IN_REVIEW
    # the legal sign-off was for the old sha: every lane is pending again
    assert all(v is None for v in selectors.lane_status(d).values())


def test_approve_needs_every_lane(world):
    d = in_review(world)
    services.disclosure_lane_sign_off(disclosure=d, lane="legal", by=world.legal)
    with pytest.raises(WrongState) as err:
        services.disclosure_approve(disclosure=d, by=world.chair)
    assert "Security" in str(err.value)
    d.refresh_from_db()
    assert d.state == State.IN_REVIEW and d.approved_sha == ""


def test_a_later_send_back_cancels_a_lane_sign_off(world):
    d = in_review(world)
    sign_all(world, d)
    Vote.objects.create(
        disclosure=d, lane="export", sha=d.sha, decision="sent_back", by=world.legal, note="x"
    )
    assert selectors.lanes_pending(d) == ["export"]


def test_approve_refuses_an_unwaived_blocker(world):
    d = in_review(world)
    sign_all(world, d)
    # a blocker that appears under a re-screen of the same sha (e.g. after a waiver expired)
    s = selectors.current_screening(d)
    s.findings.create(
        check_name="secrets", rule="k", severity="blocker", message="m", fingerprint="late",
        blocking=True,
    )  # fmt: skip
    with pytest.raises(WrongState) as err:
        services.disclosure_approve(disclosure=d, by=world.chair)
    assert "blocking" in str(err.value)


def test_approve_refuses_a_stale_screening(world):
    d = submitted(world)
    finish_screening(d, rules="old-rules")
    sign_all(world, d)
    blockers = services.approval_blockers(d, rules_version="new-rules")
    assert any("older rules" in b for b in blockers)
    assert services.approval_blockers(d, rules_version="old-rules") == []


class RecordingTask:
    def __init__(self):
        self.calls = []

    def delay(self, *args):
        self.calls.append(args)


def test_chair_approves_the_exact_sha(world, django_capture_on_commit_callbacks, monkeypatch):
    publish = RecordingTask()
    monkeypatch.setitem(current_app.tasks, services.PUBLISH_TASK, publish)
    d = in_review(world)
    sign_all(world, d)
    with django_capture_on_commit_callbacks(execute=True):
        services.disclosure_approve(disclosure=d, by=world.chair, note="ok")
    assert d.state == State.APPROVED and d.approved_sha == world.sha
    assert d.approved_by == world.chair
    assert selectors.approved_sha(world.project) == world.sha
    assert any("approved for release" in m.subject for m in mail.outbox)
    assert publish.calls == [(d.pk,)]  # queued by name, once, after commit


def test_a_failing_publish_never_breaks_the_approval(
    world, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    class Failing:  # starts publishing, then the forge fails
        def delay(self, pk):
            services.disclosure_publishing_start(disclosure=Disclosure.objects.get(pk=pk))
            raise RuntimeError("GitHub is down")

    monkeypatch.setitem(current_app.tasks, services.PUBLISH_TASK, Failing())
    d = in_review(world)
    sign_all(world, d)
    with django_capture_on_commit_callbacks(execute=True):
        services.disclosure_approve(disclosure=d, by=world.chair)
    d.refresh_from_db()
    assert d.state == State.APPROVED and d.approved_sha == world.sha  # back from publishing
    assert f"publishing disclosure {d.pk} failed" in caplog.text
    assert transitions(d)[-2:] == [("approved", "publishing"), ("publishing", "approved")]


def test_without_a_publish_task_approval_is_kept_and_logged(
    world, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    monkeypatch.delitem(current_app.tasks, services.PUBLISH_TASK, raising=False)
    d = in_review(world)
    sign_all(world, d)
    with django_capture_on_commit_callbacks(execute=True):
        services.disclosure_approve(disclosure=d, by=world.chair)
    assert d.state == State.APPROVED
    assert "publishing is not available" in caplog.text


def test_committee_member_cannot_approve(world):
    d = in_review(world)
    sign_all(world, d)
    with pytest.raises(NotAllowed):
        services.disclosure_approve(disclosure=d, by=world.legal)
    d.refresh_from_db()
    assert d.state == State.IN_REVIEW


def test_publishing_and_release(world):
    d = in_review(world)
    with pytest.raises(WrongState):
        services.disclosure_publishing_start(disclosure=d)
    sign_all(world, d)
    services.disclosure_approve(disclosure=d, by=world.chair)
    with pytest.raises(WrongState):
        services.disclosure_released(disclosure=d, public_url="https://github.com/o/demo-lib")
    services.disclosure_publishing_start(disclosure=d)
    assert d.state == State.PUBLISHING
    services.disclosure_publishing_failed(disclosure=d, error="GitHub is down")
    assert d.state == State.APPROVED and d.state_reason == "GitHub is down"
    services.disclosure_publishing_start(disclosure=d)
    services.disclosure_released(disclosure=d, public_url="https://github.com/o/demo-lib")
    assert d.state == State.RELEASED and d.public_url.endswith("demo-lib")
    assert d.released_at is not None


def test_archive_only_when_released(world):
    d = in_review(world)
    with pytest.raises(WrongState):
        services.disclosure_archive(disclosure=d, by=world.researcher)
    d = released_from(d, world)
    services.disclosure_archive(disclosure=d, by=world.researcher, reason="superseded")
    assert d.state == State.ARCHIVED and d.is_final


def released_from(d, world):
    sign_all(world, d)
    services.disclosure_approve(disclosure=d, by=world.chair)
    services.disclosure_publishing_start(disclosure=d)
    services.disclosure_released(disclosure=d, public_url="https://github.com/o/demo-lib")
    return d


def test_reject_from_any_open_state_but_not_a_final_one(world):
    d = submitted(world)
    with pytest.raises(InvalidInput):
        services.disclosure_reject(disclosure=d, by=world.chair, reason="")
    with pytest.raises(NotAllowed):
        services.disclosure_reject(disclosure=d, by=world.legal, reason="no")
    services.disclosure_reject(disclosure=d, by=world.chair, reason="Not ours to publish.")
    assert d.state == State.REJECTED
    with pytest.raises(WrongState):
        services.disclosure_reject(disclosure=d, by=world.chair, reason="again")
    with pytest.raises(WrongState):
        services.disclosure_withdraw(disclosure=d, by=world.researcher)


def test_withdraw_by_the_researcher_only(world):
    d = in_review(world)
    with pytest.raises(NotAllowed):
        services.disclosure_withdraw(disclosure=d, by=world.legal)
    services.disclosure_withdraw(disclosure=d, by=world.researcher, reason="later")
    assert d.state == State.WITHDRAWN
    # a final state frees the project for a new request
    d2 = submitted(world)
    assert d2.pk != d.pk


def test_rescreen_after_a_failed_screening(world):
    d = submitted(world)
    s = Screening.objects.get(disclosure=d)
    with pytest.raises(WrongState):  # one is still running
        services.disclosure_rescreen(disclosure=d, by=world.researcher)
    s.state = Screening.State.FAILED
    s.save()
    s2 = services.disclosure_rescreen(disclosure=d, by=world.researcher)
    assert s2.pk != s.pk and s2.state == "running" and d.state == State.SUBMITTED


def test_rescreen_from_review_keeps_the_votes(world):
    d = in_review(world)
    services.disclosure_lane_sign_off(disclosure=d, lane="legal", by=world.legal)
    services.disclosure_rescreen(disclosure=d, by=world.legal)
    assert d.state == State.SUBMITTED
    finish_screening(d)
    assert selectors.lane_status(d)["legal"].decision == "signed_off"


def test_rescreen_refused_when_approved(world):
    d = in_review(world)
    sign_all(world, d)
    services.disclosure_approve(disclosure=d, by=world.chair)
    with pytest.raises(WrongState):
        services.disclosure_rescreen(disclosure=d, by=world.researcher)


def test_screening_start_refused_for_a_moved_disclosure(world):
    d = submitted(world)
    services.disclosure_withdraw(disclosure=d, by=world.researcher)
    s = Screening.objects.get(disclosure=d)
    with pytest.raises(WrongState):
        services.disclosure_screening_started(disclosure=d, screening=s)
    assert d.state == State.WITHDRAWN
