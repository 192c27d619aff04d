"""Exact points from small real git histories (policy v1: base 10, size 1 + log10(1+lines)
capped at 3, owner-merged ×1.5, first change to a team ×1.5, co-authors share)."""

import datetime as dt
from decimal import Decimal

import pytest

from incentives.ingest import ingest
from incentives.models import Award, Change, PersonMonth
from tests.incentives.conftest import ALICE, BOB, CAROL, DAVE, RENOVATE
from tests.incentives.gitrepo import lines

pytestmark = pytest.mark.django_db


def points(person):
    return {
        (a.change.sha, a.kind): a.points
        for a in Award.objects.filter(person=person).select_related("change")
    }


def total(person):
    return sum((a.points for a in Award.objects.filter(person=person)), Decimal("0"))


def test_cross_team_direct_push_earns_and_same_team_earns_nothing(org, repo):
    bob_sha = repo.commit({"a.py": lines(9)}, author=BOB, date="2025-03-03T10:00:00+09:00")
    alice_sha = repo.commit({"b.py": lines(9)}, author=ALICE, date="2025-03-04T10:00:00+09:00")

    report = ingest(project=org.project, repo=repo.path)

    assert report.commits_read == 3
    # 10 × size 2 (9 lines) × direct push 1 × first change to Vision 1.5
    assert points(org.people.bob) == {(bob_sha, "award"): Decimal("30.00")}
    assert points(org.people.alice) == {}
    award = Award.objects.get(person=org.people.bob)
    assert award.change_count == 1
    assert award.from_team == org.teams.speech and award.to_team == org.teams.vision
    assert award.facts["factors"] == {
        "base": 10.0,
        "size": 2.0,
        "acceptance": 1.0,
        "novelty": 1.5,
        "damping": 1.0,
        "share": 1.0,
    }
    assert award.facts["author_teams"][0]["path"] == "Research/Speech"
    assert award.facts["owner_team"]["path"] == "Research/Vision"
    # same-team work is still recorded as a landed change
    alice_change = Change.objects.get(sha=alice_sha)
    assert alice_change.status == Change.Status.ELIGIBLE
    assert alice_change.lines_added == 9


def test_merged_by_owner_member_gets_acceptance_and_novelty_only_once(org, repo):
    repo.checkout("feature", new=True)
    first = repo.commit({"a.py": lines(99)}, author=BOB, date="2025-03-03T10:00:00+09:00")
    repo.checkout("main")
    merge = repo.merge("feature", by=DAVE, date="2025-03-05T15:00:00+09:00")
    second = repo.commit({"c.py": lines(99)}, author=BOB, date="2025-03-12T10:00:00+09:00")

    ingest(project=org.project, repo=repo.path)

    # 10 × 3 (99 lines) × merged by Dave (Vision) 1.5 × first time 1.5; then direct, no novelty
    assert points(org.people.bob) == {
        (first, "award"): Decimal("67.50"),
        (second, "award"): Decimal("30.00"),
    }
    change = Change.objects.get(sha=first)
    assert change.merge_sha == merge
    assert change.landing == Change.Landing.MERGE
    assert change.landed_on == dt.date(2025, 3, 5)  # the merge time, not the commit time
    facts = Award.objects.get(change=change).facts
    assert facts["accepted_by"]["identity"] == DAVE[1]


def test_merge_by_non_owner_is_no_acceptance_bonus(org, repo):
    repo.checkout("feature", new=True)
    sha = repo.commit({"a.py": lines(99)}, author=BOB, date="2025-03-03T10:00:00+09:00")
    repo.checkout("main")
    repo.merge("feature", by=CAROL, date="2025-03-05T15:00:00+09:00")

    ingest(project=org.project, repo=repo.path)

    assert points(org.people.bob) == {(sha, "award"): Decimal("45.00")}  # 10 × 3 × 1 × 1.5


def test_small_changes_in_one_week_are_pooled(org, repo):
    one = repo.commit({"a.py": lines(9)}, author=BOB, date="2025-03-03T10:00:00+09:00")
    two = repo.commit({"b.py": lines(9)}, author=BOB, date="2025-03-04T10:00:00+09:00")
    nextweek = repo.commit({"c.py": lines(9)}, author=BOB, date="2025-03-10T10:00:00+09:00")

    ingest(project=org.project, repo=repo.path)

    # second small change the same week adds size(18) - size(9) = log10(19) - 1 = 0.27875...
    assert points(org.people.bob) == {
        (one, "award"): Decimal("30.00"),
        (two, "award"): Decimal("2.79"),
        (nextweek, "award"): Decimal("20.00"),
    }
    # splitting never beats landing the 18 lines at once: 10 × size(18) × 1.5 = 34.18
    assert Decimal("30.00") + Decimal("2.79") / Decimal("1.5") < Decimal("34.18")


def test_co_authored_change_splits_credit_among_verified_people(org, repo):
    msg = (
        "Add tracker\n\nCo-authored-by: Carol Infra <carol@inst.example>\n"
        "Co-authored-by: Alice Vision <ALICE@inst.example>\n"
        "Co-authored-by: Someone <unknown@elsewhere.example>\n"
    )
    sha = repo.commit({"t.py": lines(9)}, author=BOB, date="2025-03-03T10:00:00+09:00", message=msg)

    ingest(project=org.project, repo=repo.path)

    # verified: bob, carol, alice -> a third each; alice is in the owner team, so only 2 awards
    third = {(sha, "award"): Decimal("10.00")}  # 10 × 2 × 1 × 1.5 × 1/3
    assert points(org.people.bob) == third
    assert points(org.people.carol) == third
    assert points(org.people.alice) == {}
    assert Change.objects.get(sha=sha).coauthors.count() == 3


def test_bot_commits_earn_nothing(org, repo):
    sha = repo.commit({"a.py": lines(9)}, author=RENOVATE, date="2025-03-03T10:00:00+09:00")

    ingest(project=org.project, repo=repo.path)

    change = Change.objects.get(sha=sha)
    assert change.status == Change.Status.BOT
    assert change.author_identity.is_bot and change.author_identity.person is None
    assert not Award.objects.exists()


def test_revert_within_30_days_claws_back_through_the_ledger(org, repo):
    sha = repo.commit({"a.py": lines(9)}, author=BOB, date="2025-03-03T10:00:00+09:00")
    ingest(project=org.project, repo=repo.path)
    assert total(org.people.bob) == Decimal("30.00")

    revert = repo.revert(sha, author=ALICE, date="2025-03-20T10:00:00+09:00")
    ingest(project=org.project, repo=repo.path, seen_at=dt.datetime(2025, 3, 20, 2, tzinfo=dt.UTC))

    assert points(org.people.bob) == {
        (sha, "award"): Decimal("30.00"),
        (sha, "revert"): Decimal("-30.00"),
    }
    claw = Award.objects.get(kind="revert")
    assert revert[:12] in claw.reason and claw.change_count == -1
    assert Change.objects.get(sha=revert).status == Change.Status.REVERT
    assert Change.objects.get(sha=sha).reverted_by.sha == revert
    month = PersonMonth.objects.get(person=org.people.bob, span="m")  # rollup follows ledger
    assert (month.points, month.changes) == (Decimal("0.00"), 0)


def test_revert_after_30_days_keeps_the_points(org, repo):
    sha = repo.commit({"a.py": lines(9)}, author=BOB, date="2025-03-03T10:00:00+09:00")
    repo.revert(sha, author=ALICE, date="2025-04-10T10:00:00+09:00")

    ingest(project=org.project, repo=repo.path)

    assert points(org.people.bob) == {(sha, "award"): Decimal("30.00")}


def test_vendored_and_generated_lines_are_not_authored(org, repo):
    repo.commit(
        {
            ".gitattributes": "gen/** linguist-generated\nthird_party/** linguist-vendored=true\n"
            "vendor/keep/** -linguist-vendored\n"
        },
        author=ALICE,
        date="2025-03-01T10:00:00+09:00",
    )
    sha = repo.commit(
        {
            "src/a.py": lines(9),
            "package-lock.json": lines(500),
            "vendor/lib.c": lines(300),
            "web/node_modules/x/index.js": lines(40),
            "static/app.min.js": lines(70),
            "gen/api_pb2.py": lines(80),
            "third_party/z.c": lines(60),
            "vendor/keep/ours.c": lines(90),
        },
        author=BOB,
        date="2025-03-03T10:00:00+09:00",
    )

    ingest(project=org.project, repo=repo.path)

    change = Change.objects.get(sha=sha)
    assert (change.lines_added, change.vendored_lines) == (99, 1050)
    assert points(org.people.bob) == {(sha, "award"): Decimal("45.00")}  # size 3 (99 lines)


def test_same_patch_on_two_branches_and_on_a_mirror_is_counted_once(org, repo, tmp_path):
    base = repo.head()
    repo.checkout("feature", new=True)
    patch = repo.commit({"a.py": lines(9)}, author=BOB, date="2025-03-03T10:00:00+09:00")
    repo.checkout("release", new=True, at=base)
    picked = repo.cherry_pick(patch, committer=CAROL, date="2025-03-04T10:00:00+09:00")
    repo.checkout("main")
    repo.merge("feature", by=CAROL, date="2025-03-05T10:00:00+09:00")
    repo.merge("release", by=CAROL, date="2025-03-06T10:00:00+09:00")

    ingest(project=org.project, repo=repo.path)

    assert picked != patch
    assert Change.objects.get(sha=patch).status == Change.Status.ELIGIBLE
    dup = Change.objects.get(sha=picked)
    assert dup.status == Change.Status.DUPLICATE and dup.duplicate_of.sha == patch
    assert points(org.people.bob) == {(patch, "award"): Decimal("30.00")}

    # The public mirror re-wrote history (new shas, same patches).
    from tests.incentives.gitrepo import Repo

    mirror = Repo(tmp_path / "mirror")
    mirror.commit({"README.md": "vision kit\n"}, author=ALICE, date="2025-01-02T09:30:00+09:00")
    rewritten = mirror.commit({"a.py": lines(9)}, author=BOB, date="2025-03-03T11:00:00+09:00")
    report = ingest(project=org.project, repo=mirror.path, source="github")

    assert report.statuses == {"duplicate": 2}  # the README commit too
    assert Change.objects.get(sha=rewritten).duplicate_of.sha == patch
    assert total(org.people.bob) == Decimal("30.00")
