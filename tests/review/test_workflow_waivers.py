"""Waivers: reason, owner and expiry; they unblock, carry over by fingerprint, and expire."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from review import selectors, services, waivers
from review.errors import InvalidInput, NotAllowed, WrongState
from review.models import AuditEntry, Disclosure, Waiver
from tests.review import workflow_fixtures
from tests.review.workflow_fixtures import FakeFinding, finish_screening, submitted

world = workflow_fixtures.world
pytestmark = pytest.mark.django_db
State = Disclosure.State
KEY = FakeFinding(fingerprint="fp-key")
BINARY = FakeFinding(
    check="binaries", rule="binary", path="model.bin", line=None, fingerprint="fp-bin"
)


def soon(days=30):
    return timezone.localdate() + dt.timedelta(days=days)


def waive(world, d, finding_fp, *, by=None, lane="security", **kw):
    finding = selectors.current_screening(d).findings.get(fingerprint=finding_fp)
    values = {"reason": "Test fixture key, revoked.", "owner": world.researcher}
    values.update(kw)
    values.setdefault("expires_on", soon())
    return waivers.waiver_create(
        disclosure=d, finding=finding, by=by or world.security, lane=lane, **values
    )


def failed(world, findings=(KEY, BINARY)):
    d = submitted(world)
    finish_screening(d, list(findings))
    assert d.state == State.SCREEN_FAILED
    return d


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"reason": "  "}, "reason"),
        ({"owner": None}, "owner"),
        ({"expires_on": None}, "expires_on"),
        ({"expires_on": dt.date(2020, 1, 1)}, "expires_on"),
        ({"expires_on": dt.date.today() + dt.timedelta(days=3650)}, "expires_on"),
    ],
)
def test_a_waiver_needs_reason_owner_and_expiry(world, kw, field):
    d = failed(world)
    with pytest.raises(InvalidInput) as err:
        waive(world, d, "fp-key", **kw)
    assert err.value.field == field
    assert not Waiver.objects.exists()


def test_waiving_every_blocker_moves_to_review(world, django_capture_on_commit_callbacks):
    d = failed(world)
    waive(world, d, "fp-key")
    d.refresh_from_db()
    assert d.state == State.SCREEN_FAILED  # the binary still blocks
    with django_capture_on_commit_callbacks(execute=True):
        waive(world, d, "fp-bin", by=world.legal, lane="legal")
    d.refresh_from_db()
    assert d.state == State.IN_REVIEW
    assert mail.outbox, "the lanes are told the disclosure waits for them"
    entries = AuditEntry.objects.filter(disclosure=d, action="waiver")
    assert entries.count() == 2
    assert "fp-key" in entries.first().detail and "until" in entries.first().detail


def test_waiver_only_by_an_assignee_of_the_lane(world):
    d = failed(world)
    with pytest.raises(NotAllowed):
        waive(world, d, "fp-key", by=world.legal, lane="security")
    with pytest.raises(NotAllowed):
        waive(world, d, "fp-key", by=world.researcher, lane="security")
    assert not Waiver.objects.exists()


def test_no_waiver_while_screening_or_after_approval(world):
    d = submitted(world)
    s = d.screenings.get()
    s.findings.create(
        check_name="secrets", rule="k", severity="blocker", message="m", fingerprint="fp-key",
        blocking=True,
    )  # fmt: skip
    with pytest.raises(WrongState):
        waive(world, d, "fp-key")


def test_same_finding_cannot_be_waived_twice(world):
    d = failed(world)
    waive(world, d, "fp-key")
    with pytest.raises(WrongState):
        waive(world, d, "fp-key", by=world.legal, lane="legal")


def test_waivers_carry_over_to_the_next_screening(world):
    d = failed(world)
    waive(world, d, "fp-key")
    waive(world, d, "fp-bin", by=world.legal, lane="legal")
    d.refresh_from_db()
    services.disclosure_rescreen(disclosure=d, by=world.researcher)
    finish_screening(d, [KEY, BINARY])  # same problems, same fingerprints
    assert d.state == State.IN_REVIEW
    assert selectors.findings_blocking(selectors.current_screening(d)).count() == 0


def test_expired_waivers_no_longer_apply(world):
    d = failed(world, [KEY])
    w = waive(world, d, "fp-key")
    d.refresh_from_db()
    assert d.state == State.IN_REVIEW
    Waiver.objects.filter(pk=w.pk).update(expires_on=timezone.localdate() - dt.timedelta(days=1))
    services.disclosure_rescreen(disclosure=d, by=world.researcher)
    finish_screening(d, [KEY])
    assert d.state == State.SCREEN_FAILED
    s = selectors.current_screening(d)
    assert selectors.findings_blocking(s).count() == 1
    # ...and waiving again is possible
    waive(world, d, "fp-key", reason="Re-checked, still a dummy key.")
    d.refresh_from_db()
    assert d.state == State.IN_REVIEW


def test_waiver_expiring_today_still_applies(world):
    d = failed(world, [KEY])
    w = waive(world, d, "fp-key")
    Waiver.objects.filter(pk=w.pk).update(expires_on=timezone.localdate())
    assert selectors.findings_blocking(selectors.current_screening(d)).count() == 0
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert selectors.findings_blocking(selectors.current_screening(d), day=tomorrow).count() == 1


def test_waivers_do_not_cross_projects(world):
    d = failed(world, [KEY])
    waive(world, d, "fp-key")
    other = workflow_fixtures.ProjectFactory(owner=world.project.ownerships.get().team)
    assert "fp-key" in selectors.waived_fingerprints(world.project)
    assert "fp-key" not in selectors.waived_fingerprints(other)


def test_revoked_waiver_no_longer_applies(world):
    d = failed(world, [KEY])
    w = waive(world, d, "fp-key")
    with pytest.raises(NotAllowed):
        waivers.waiver_revoke(waiver=w, disclosure=d, by=world.legal, reason="no")
    waivers.waiver_revoke(waiver=w, disclosure=d, by=world.security, reason="key is real")
    assert selectors.findings_blocking(selectors.current_screening(d)).count() == 1
    assert AuditEntry.objects.filter(disclosure=d, detail__startswith="revoked").exists()


def test_waiver_of_a_finding_from_another_screening_is_refused(world):
    d = failed(world, [KEY])
    old = selectors.current_screening(d).findings.get()
    waive(world, d, "fp-key")
    d.refresh_from_db()
    services.disclosure_rescreen(disclosure=d, by=world.researcher)
    finish_screening(d, [KEY, BINARY])
    with pytest.raises(InvalidInput):
        waivers.waiver_create(
            disclosure=d, finding=old, by=world.legal, lane="legal", reason="r",
            owner=world.researcher, expires_on=soon(),
        )  # fmt: skip
