"""The remaining role rules of each transition: the wrong person is refused, nothing changes."""

import pytest

from people.roles import RESEARCHER
from review import services
from review.errors import NotAllowed, WrongState
from review.models import AuditEntry, Disclosure, Screening
from tests.review import workflow_fixtures
from tests.review.workflow_fixtures import (
    FakeFinding,
    finish_screening,
    in_review,
    make_user,
    sign_all,
    submitted,
)

world = workflow_fixtures.world
pytestmark = pytest.mark.django_db
State = Disclosure.State


@pytest.fixture
def stranger(world):
    team = workflow_fixtures.people_services.team_ensure_path(path="Elsewhere/Lab")
    return make_user("zoe", [RESEARCHER], team)


def unchanged(d, state):
    before = AuditEntry.objects.filter(disclosure=d).count()
    d.refresh_from_db()
    assert d.state == state
    return before


def test_only_the_researchers_resubmit(world, stranger):
    d = submitted(world)
    finish_screening(d, [FakeFinding()])
    new = world.commit({"fix.txt": "fixed\n"})
    for user in (world.legal, world.chair, stranger):
        with pytest.raises(NotAllowed):
            services.disclosure_resubmit(disclosure=d, by=user, sha=new)
    unchanged(d, State.SCREEN_FAILED)
    assert d.sha != new


def test_only_the_chair_or_researchers_archive(world):
    d = in_review(world)
    sign_all(world, d)
    services.disclosure_approve(disclosure=d, by=world.chair)
    services.disclosure_publishing_start(disclosure=d)
    services.disclosure_released(disclosure=d, public_url="https://github.com/o/demo-lib")
    with pytest.raises(NotAllowed):
        services.disclosure_archive(disclosure=d, by=world.legal)
    unchanged(d, State.RELEASED)
    services.disclosure_archive(disclosure=d, by=world.chair, reason="retired")
    assert d.state == State.ARCHIVED


def test_publishing_failure_only_while_publishing(world):
    d = in_review(world)
    with pytest.raises(WrongState):
        services.disclosure_publishing_failed(disclosure=d, error="x")
    unchanged(d, State.IN_REVIEW)


def test_strangers_cannot_rescreen_or_comment(world, stranger):
    d = in_review(world)
    with pytest.raises(NotAllowed):
        services.disclosure_rescreen(disclosure=d, by=stranger)
    with pytest.raises(NotAllowed):
        services.disclosure_comment(disclosure=d, by=stranger, text="hello")
    unchanged(d, State.IN_REVIEW)
    assert Screening.objects.filter(disclosure=d).count() == 1
    assert not AuditEntry.objects.filter(disclosure=d, action="comment").exists()


def test_send_back_only_in_review(world):
    d = submitted(world)
    finish_screening(d, [FakeFinding()])
    with pytest.raises(WrongState):
        services.disclosure_send_back(disclosure=d, lane="legal", by=world.legal, note="no")
    unchanged(d, State.SCREEN_FAILED)


def test_a_screening_of_an_old_sha_does_not_start(world):
    d = submitted(world)
    old = Screening.objects.get(disclosure=d)
    Screening.objects.filter(pk=old.pk).update(sha="f" * 40)
    old.refresh_from_db()
    with pytest.raises(WrongState):
        services.disclosure_screening_started(disclosure=d, screening=old)
    unchanged(d, State.SUBMITTED)


def test_unknown_lane_is_refused(world):
    d = in_review(world)
    with pytest.raises(services.InvalidInput):
        services.disclosure_lane_sign_off(disclosure=d, lane="finance", by=world.legal)
