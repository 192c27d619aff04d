"""Who may act: lanes, roles, the owner team, contributors, and never one's own project."""

import pytest

from people.models import Identity
from people.roles import COMMITTEE_CHAIR, COMMITTEE_MEMBER, OSPO_ADMIN, RESEARCHER
from review import access, services, waivers
from review.errors import NotAllowed
from review.models import Disclosure, Vote, Waiver
from tests.review import workflow_fixtures
from tests.review.workflow_fixtures import (
    FakeFinding,
    assign,
    finish_screening,
    in_review,
    make_user,
    sign_all,
    submitted,
)

world = workflow_fixtures.world
pytestmark = pytest.mark.django_db
State = Disclosure.State


def test_a_lane_is_signed_only_by_its_assignees(world):
    d = in_review(world)
    with pytest.raises(NotAllowed, match="not assigned to the security lane"):
        services.disclosure_lane_sign_off(disclosure=d, lane="security", by=world.legal)
    with pytest.raises(NotAllowed, match="committee"):
        services.disclosure_lane_sign_off(disclosure=d, lane="legal", by=world.researcher)
    assert not Vote.objects.filter(disclosure=d).exists()


def test_same_team_member_may_not_act(world):
    """tina is on the committee with every lane, but her team owns the project."""
    d = in_review(world, [FakeFinding(severity="info", fingerprint="fp-i")])
    with pytest.raises(NotAllowed, match="Your team"):
        services.disclosure_lane_sign_off(disclosure=d, lane="legal", by=world.teammate)
    with pytest.raises(NotAllowed, match="Your team"):
        services.disclosure_send_back(disclosure=d, lane="legal", by=world.teammate, note="x")
    f = d.screenings.get().findings.get()
    with pytest.raises(NotAllowed, match="Your team"):
        waivers.waiver_create(
            disclosure=d, finding=f, by=world.teammate, lane="legal", reason="r",
            owner=world.researcher, expires_on=workflow_fixtures.dt.date.today() + workflow_fixtures.dt.timedelta(days=30),
        )  # fmt: skip
    assert not Vote.objects.exists() and not Waiver.objects.exists()
    assert d.state == State.IN_REVIEW


def test_member_of_a_parent_team_counts_as_same_team(world):
    division = world.project.ownerships.get().team.parent
    boss = make_user("erin", [COMMITTEE_MEMBER], division)
    assign(boss, "legal")
    d = in_review(world)
    with pytest.raises(NotAllowed, match="Your team"):
        services.disclosure_lane_sign_off(disclosure=d, lane="legal", by=boss)


def test_same_team_chair_cannot_approve(world):
    owner_team = world.project.ownerships.get().team
    chair = make_user("frank", [COMMITTEE_CHAIR], owner_team)
    d = in_review(world)
    sign_all(world, d)
    with pytest.raises(NotAllowed, match="Your team"):
        services.disclosure_approve(disclosure=d, by=chair)
    d.refresh_from_db()
    assert d.state == State.IN_REVIEW and d.approved_sha == ""
    services.disclosure_approve(disclosure=d, by=world.chair)  # another team's chair may
    assert d.state == State.APPROVED


def test_contributor_may_not_review(world):
    """bob committed to the project under an address the directory knows as his."""
    Identity.objects.create(
        person=world.legal.person, kind=Identity.Kind.EMAIL, value="bob.private@example.org"
    )
    world.commit({"docs/x.md": "doc\n"}, author="bob.private@example.org")
    d = submitted(world)
    finish_screening(d, authors=["alice@institute.example", "bob.private@example.org"])
    assert d.state == State.IN_REVIEW
    with pytest.raises(NotAllowed, match="contributed"):
        services.disclosure_lane_sign_off(disclosure=d, lane="legal", by=world.legal)
    services.disclosure_lane_sign_off(disclosure=d, lane="security", by=world.security)


def test_self_approval_is_refused(world):
    """An OSPO admin (who may both request releases and chair) submits a release of a project
    outside their team: they may still never approve their own disclosure."""
    admin = make_user("grace", [OSPO_ADMIN], None)
    assign(admin, "legal")
    d = services.disclosure_request(
        project=world.project, by=admin, sha=world.sha, **workflow_fixtures.PLAN
    )
    finish_screening(d, [])
    assert access.conflict_reason(admin, d).startswith("You submitted")
    with pytest.raises(NotAllowed, match="own project"):
        services.disclosure_lane_sign_off(disclosure=d, lane="legal", by=admin)
    sign_all(world, d)
    with pytest.raises(NotAllowed, match="own project"):
        services.disclosure_approve(disclosure=d, by=admin)
    d.refresh_from_db()
    assert d.state == State.IN_REVIEW and d.approved_by is None


def test_researcher_of_another_team_cannot_request_release(world):
    other = workflow_fixtures.people_services.team_ensure_path(path="Other/Team")
    stranger = make_user("henry", [RESEARCHER], other)
    with pytest.raises(NotAllowed):
        services.disclosure_request(
            project=world.project, by=stranger, sha=world.sha, **workflow_fixtures.PLAN
        )
    assert not Disclosure.objects.exists()


def test_conflict_is_reported_for_the_page(world):
    d = in_review(world)
    actions = access.actions_for(world.teammate, d)
    assert actions["conflict"] and "sign_off" not in actions["names"]
    actions = access.actions_for(world.legal, d)
    assert actions["conflict"] is None and {"sign_off", "send_back"} <= actions["names"]
    assert "approve" not in actions["names"]
    assert "approve" in access.actions_for(world.chair, d)["names"]
    assert "withdraw" in access.actions_for(world.researcher, d)["names"]
    assert "sign_off" not in access.actions_for(world.researcher, d)["names"]
