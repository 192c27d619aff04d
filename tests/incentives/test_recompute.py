"""Team moves, project transfers, HR corrections and identity merges, with exact points."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from incentives.identities import (
    IdentityMergeError,
    identity_merge_accept,
    identity_merge_reject,
    identity_merge_suggestions,
)
from incentives.ingest import ingest
from incentives.models import Award, Change, PersonMonth
from incentives.recompute import awards_recompute_for_memberships, awards_recompute_for_project
from people.models import Identity, Membership
from people.services import org_import
from projects.models import Ownership
from tests.factories import ProjectFactory, UserFactory
from tests.incentives.conftest import ALICE, BOB, CAROL, person
from tests.incentives.gitrepo import Repo, lines

pytestmark = pytest.mark.django_db

ERIN = ("Erin Mover", "erin@inst.example")


def rollup_matches_ledger():
    ledger, rollup = {}, {}
    for a in Award.objects.all():
        key = (a.person_id, a.landed_on.replace(day=1))
        ledger[key] = ledger.get(key, Decimal("0")) + a.points
    for r in PersonMonth.objects.filter(span="m"):
        rollup[(r.person_id, r.month)] = rollup.get((r.person_id, r.month), Decimal("0")) + r.points
    return ledger == rollup


def net(person, **filters):
    rows = Award.objects.filter(person=person, **filters)
    return sum((a.points for a in rows), Decimal("0"))


def by_change(person):
    out = {}
    for a in Award.objects.filter(person=person).select_related("change"):
        out[a.change.sha] = out.get(a.change.sha, Decimal("0")) + a.points
    return out


def test_person_who_moved_teams_mid_quarter(org, repo, tmp_path):
    erin = person(ERIN, org.teams.speech, end=dt.date(2025, 2, 14))
    Membership.objects.create(person=erin, team=org.teams.vision, start=dt.date(2025, 2, 15))
    speech_project = ProjectFactory(path="group/speech-tool", owner=org.teams.speech)
    speech = Repo(tmp_path / "speech")
    speech.commit({"README": "speech\n"}, author=BOB, date="2025-01-02T09:00:00+09:00")

    # 23:30 on 14 Feb in Seoul is still Speech; 00:30 on 15 Feb (15:30 UTC on the 14th) is Vision
    v_before = repo.commit({"a.py": lines(9)}, author=ERIN, date="2025-02-14T23:30:00+09:00")
    v_after = repo.commit({"b.py": lines(9)}, author=ERIN, date="2025-02-15T00:30:00+09:00")
    s_before = speech.commit({"a.py": lines(9, "s")}, author=ERIN, date="2025-02-10T10:00:00+09:00")
    s_after = speech.commit({"b.py": lines(9, "s")}, author=ERIN, date="2025-02-20T10:00:00+09:00")

    ingest(project=org.project, repo=repo.path)
    ingest(project=speech_project, repo=speech.path)

    assert by_change(erin) == {v_before: Decimal("30.00"), s_after: Decimal("30.00")}
    assert Change.objects.get(sha=v_after).landed_on == dt.date(2025, 2, 15)
    assert Change.objects.filter(sha__in=[v_after, s_before], status="eligible").count() == 2
    before = Award.objects.get(change__sha=v_before)
    assert before.from_team == org.teams.speech
    assert (
        before.facts["author_teams"][0]["membership"]
        == erin.memberships.get(team=org.teams.speech).id
    )


def test_project_transferred_between_teams(org, repo):
    Ownership.objects.filter(project=org.project).update(end=dt.date(2025, 3, 31))
    Ownership.objects.create(project=org.project, team=org.teams.infra, start=dt.date(2025, 4, 1))
    c_before = repo.commit({"a.py": lines(9)}, author=CAROL, date="2025-03-20T10:00:00+09:00")
    a_before = repo.commit({"b.py": lines(9)}, author=ALICE, date="2025-03-21T10:00:00+09:00")
    c_after = repo.commit({"c.py": lines(9)}, author=CAROL, date="2025-04-10T10:00:00+09:00")
    a_after = repo.commit({"d.py": lines(9)}, author=ALICE, date="2025-04-11T10:00:00+09:00")

    ingest(project=org.project, repo=repo.path)

    assert by_change(org.people.carol) == {c_before: Decimal("30.00")}
    assert by_change(org.people.alice) == {a_after: Decimal("30.00")}
    assert Award.objects.get(change__sha=a_after).to_team == org.teams.infra
    assert {c_after, a_before} <= set(Change.objects.values_list("sha", flat=True))


def test_ownership_correction_recomputes_as_adjustments(org, repo):
    sha = repo.commit({"a.py": lines(9)}, author=CAROL, date="2025-03-20T10:00:00+09:00")
    ingest(project=org.project, repo=repo.path)
    assert net(org.people.carol) == Decimal("30.00")

    # The records were wrong: Infra has owned the project since 1 March.
    Ownership.objects.filter(project=org.project).update(end=dt.date(2025, 2, 28))
    Ownership.objects.create(project=org.project, team=org.teams.infra, start=dt.date(2025, 3, 1))
    report = awards_recompute_for_project(
        project=org.project, since=dt.date(2025, 3, 1), reason="ownership corrected"
    )

    assert report.adjustments == 1
    adj = Award.objects.get(kind="adjustment")
    assert (adj.points, adj.change_count, adj.reason) == (
        Decimal("-30.00"),
        -1,
        "ownership corrected",
    )
    assert by_change(org.people.carol) == {sha: Decimal("0.00")}
    # a second recompute finds nothing left to do
    assert (
        awards_recompute_for_project(
            project=org.project, since=dt.date(2025, 3, 1), reason="again"
        ).adjustments
        == 0
    )


def test_hr_correction_from_an_org_import_recomputes(org, repo):
    sha = repo.commit({"a.py": lines(9)}, author=BOB, date="2025-03-03T10:00:00+09:00")
    ingest(project=org.project, repo=repo.path)
    assert net(org.people.bob) == Decimal("30.00")

    # HR: Bob has been in Vision (the owner) all along.
    csv = (
        "email,name,team_path,start,end,gitlab_username,github_login\n"
        "bob@inst.example,Bob Speech,Research/Vision,2025-01-01,,,\n"
    )
    result = org_import(text=csv, as_of=dt.date(2025, 1, 1))
    report = awards_recompute_for_memberships(
        membership_ids=result.changed_membership_ids, reason="HR correction (org import)"
    )

    assert report.adjustments == 1
    assert by_change(org.people.bob) == {sha: Decimal("0.00")}
    adj = Award.objects.get(kind="adjustment")
    assert adj.reason == "HR correction (org import)"
    assert adj.facts["previous"] == {"points": "30.00", "change_count": 1}
    assert adj.facts["cross_team"] is False
    assert Award.objects.get(kind="award").points == Decimal("30.00")  # never edited
    assert rollup_matches_ledger()


def test_accepted_identity_merge_recomputes(org, repo):
    home = ("Bob Speech", "bob.home@gmail.example")
    sha = repo.commit({"a.py": lines(9)}, author=home, date="2025-03-03T10:00:00+09:00")
    ingest(project=org.project, repo=repo.path)
    ident = Identity.objects.get(value="bob.home@gmail.example")
    assert ident.person is None and not Award.objects.exists()

    suggestions = identity_merge_suggestions()
    [s] = [s for s in suggestions if s.identity == ident]
    assert s.person == org.people.bob and any("same name" in r for r in s.reasons)

    report = identity_merge_accept(
        identity=ident, person=org.people.bob, by=UserFactory(username="admin"), reasons=s.reasons
    )

    assert report.adjustments == 1
    adj = Award.objects.get(person=org.people.bob)
    assert (adj.kind, adj.points, adj.change_count) == ("adjustment", Decimal("30.00"), 1)
    assert "bob.home@gmail.example merged into Bob Speech" in adj.reason
    assert by_change(org.people.bob) == {sha: Decimal("30.00")}
    assert not [s for s in identity_merge_suggestions() if s.identity == ident]
    with pytest.raises(IdentityMergeError):
        identity_merge_accept(
            identity=ident, person=org.people.carol, by=UserFactory(username="admin")
        )


def test_resolving_a_co_author_splits_the_credit_again(org, repo):
    msg = "Pair work\n\nCo-authored-by: Carol <carol@inst-old.example>\n"
    sha = repo.commit(
        {"a.py": lines(99)}, author=BOB, date="2025-03-03T10:00:00+09:00", message=msg
    )
    ingest(project=org.project, repo=repo.path)
    assert by_change(org.people.bob) == {sha: Decimal("45.00")}  # 10 × 3 × 1.5 alone

    ident = Identity.objects.get(value="carol@inst-old.example")
    [s] = [s for s in identity_merge_suggestions() if s.identity == ident]
    assert s.person == org.people.carol and any("local part" in r for r in s.reasons)
    identity_merge_accept(identity=ident, person=org.people.carol, by=UserFactory(username="admin"))

    assert by_change(org.people.bob) == {sha: Decimal("22.50")}
    assert by_change(org.people.carol) == {sha: Decimal("22.50")}
    assert Award.objects.filter(kind="adjustment").count() == 2
    assert rollup_matches_ledger()


def test_rejected_suggestion_is_not_shown_again(org, repo):
    repo.commit(
        {"a.py": lines(9)}, author=("Bob Speech", "b@x.example"), date="2025-03-03T10:00:00+09:00"
    )
    ingest(project=org.project, repo=repo.path)
    ident = Identity.objects.get(value="b@x.example")
    identity_merge_reject(identity=ident, person=org.people.bob, by=None)
    assert not [s for s in identity_merge_suggestions() if s.identity == ident]
    assert Identity.objects.get(pk=ident.pk).person is None


def test_github_noreply_login_is_suggested(org):
    Identity.objects.create(person=org.people.bob, kind="github", value="bob-s")
    ident = Identity.objects.create(kind="email", value="123+bob-s@users.noreply.github.com")
    [s] = [s for s in identity_merge_suggestions() if s.identity == ident]
    assert s.person == org.people.bob and s.reasons == ["GitLab/GitHub username bob-s"]


def test_database_refuses_a_duplicate_award(org, repo):
    repo.commit({"a.py": lines(9)}, author=BOB, date="2025-03-03T10:00:00+09:00")
    ingest(project=org.project, repo=repo.path)
    award = Award.objects.get()
    award.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        award.save()


def test_a_recompute_orders_one_merge_s_changes_as_the_ingest_did(org, repo):
    # two small changes landed by one merge (one landing time), so their order comes from the
    # author dates; pooling gives the first the full size, so a recompute in another order
    # would move points from one to the other
    base = repo.head()
    for attempt in range(50):  # until the sha order is not the author-date order
        repo.checkout(f"topic{attempt}", new=True, at=base)
        later = repo.commit({"a.py": lines(9)}, author=BOB, date="2025-03-04T10:00:00+09:00",
                            message=f"later {attempt}")  # fmt: skip
        earlier = repo.commit({"b.py": lines(3, "b")}, author=BOB,
                              date="2025-03-03T10:00:00+09:00", message="earlier")  # fmt: skip
        if earlier > later:
            break
    shas = [later, earlier]
    repo.checkout("main")
    repo.merge(f"topic{attempt}", by=CAROL, date="2025-03-05T10:00:00+09:00")
    ingest(project=org.project, repo=repo.path)
    first, second = sorted(shas, key=lambda s: Change.objects.get(sha=s).authored_at)
    assert first == earlier
    assert by_change(org.people.bob)[first] > by_change(org.people.bob)[second]

    report = awards_recompute_for_project(
        project=org.project, since=dt.date(2025, 3, 1), reason="nothing changed"
    )
    assert report.adjustments == 0
