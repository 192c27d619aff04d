"""The demo world of `make run`, seeded against the session's localforge: the organisation, a
year of history, the three disclosure stories, the public mirror and the outside pull request;
and a second seeding changes nothing."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from pathlib import Path

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone

from config.demo import contribution, org
from config.demo.projects import BOT, PROJECTS, seed_data
from config.demo.world import seed_world
from federation import git, repos
from federation.git import GitCredentials
from federation.models import Mirror, PullRequestLink, SyncRun
from incentives.models import Award, Change
from people.models import Identity, Membership, Person, Team
from projects.models import Project
from review import selectors as review_selectors
from review.models import Disclosure, Waiver
from tests.federation.test_publish_kit import fed_settings  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_forge(fed_settings, localforge):  # noqa: F811
    """The demo's users, groups and GitHub org on the session's localforge."""
    response = requests.post(
        f"{localforge.gitlab_url}/-/localforge/seed",
        json=seed_data(),
        headers={"PRIVATE-TOKEN": localforge.token},
        timeout=30,
    )
    response.raise_for_status()
    return fed_settings


def public_files(mirror: Mirror, token: str) -> set[str]:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "public.git"
        git.run(["init", "--bare", "-q", str(repo)])
        git.run(["fetch", "-q", "--end-of-options", mirror.clone_url,
                 f"+refs/heads/{mirror.branch}:refs/heads/main"],
                repo=repo, credentials=GitCredentials("x", token))  # fmt: skip
        out = git.run(["ls-tree", "-r", "--name-only", "refs/heads/main"], repo=repo).text
    return set(out.split())


def internal_files(project: Project, sha: str) -> set[str]:
    out = git.run(["ls-tree", "-r", "--name-only", sha], repo=repos.mirror_path(project.key))
    return set(out.text.split())


def counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (
            Person,
            Membership,
            Team,
            Project,
            Change,
            Award,
            Disclosure,
            Waiver,
            Mirror,
            PullRequestLink,
        )  # fmt: skip
    }


def test_the_demo_world(demo_forge, localforge, client):
    world = seed_world()

    # The organisation: 4 teams in 2 divisions, 20 people, two of whom moved this year.
    teams = Team.objects.filter(path__in=org.TEAMS)
    assert teams.count() == 4
    assert {t.parent.path for t in teams} == {"AI Research", "Systems"}
    people = Person.objects.filter(email__in=[org.email_of(n) for n in org.NAMES])
    assert people.count() == 20
    moved = [p for p in people if p.memberships.count() == 2]
    assert len(moved) == 2
    year_ago = timezone.localdate() - dt.timedelta(days=366)
    for person in moved:
        old, new = person.memberships.order_by("start")
        assert old.end is not None and new.start == old.end + dt.timedelta(days=1)
        assert old.team_id != new.team_id and new.end is None and old.end > year_ago
    assert [u for u, _, _ in world.logins] == list(org.LOGINS)

    # 8 GitLab projects, synced, with a year of history.
    projects = Project.objects.filter(path__in=[p.path for p in PROJECTS])
    assert projects.count() == 8 == len(world.projects)
    for project in projects:
        assert SyncRun.objects.filter(project=project, status="succeeded").exists()
        changes = Change.objects.filter(project=project)
        assert changes.count() >= 50
        first, last = changes.order_by("authored_at")[0], changes.order_by("-authored_at")[0]
        assert (last.authored_at - first.authored_at).days >= 340
    # ... with cross-team commits (points between teams), a bot, a vendored folder, a revert.
    cross = Award.objects.filter(kind="award").exclude(from_team=None)
    assert cross.count() >= 50
    assert len({(a.from_team_id, a.to_team_id) for a in cross}) >= 8
    assert all(a.from_team_id != a.to_team_id for a in cross)
    assert Identity.objects.get(kind="email", value=BOT[1]).is_bot
    assert Change.objects.filter(status="bot").count() >= 8 * 5
    assert Change.objects.filter(status="empty", vendored_lines__gt=0).count() == 8
    assert Change.objects.filter(status="revert").exclude(reverts_sha="").count() == 8
    assert Award.objects.filter(kind="revert").exists()
    for person in moved:  # points from the old team before the move, the new one after
        teams_of = Award.objects.filter(person=person, kind="award").values("from_team")
        assert teams_of.distinct().count() == 2

    # One project released and mirrored on GitHub with the approved tree (excluded paths out).
    released = world.released
    assert released.state == Disclosure.State.RELEASED and released.approved_sha
    mirror = Mirror.objects.get(project=released.project)
    assert mirror.state == Mirror.State.ACTIVE
    assert mirror.github_path == f"{demo_forge.GITHUB_ORG}/detector"
    expected = {
        f
        for f in internal_files(released.project, released.approved_sha)
        if not f.startswith("internal/") and f != ".gitlab-ci.yml"
    }
    assert "LICENSE" in expected and "vendor/tinyjson/__init__.py" in expected
    assert public_files(mirror, localforge.token) == expected

    # One disclosure waiting in review, with a waived finding.
    in_review = world.in_review
    assert in_review.state == Disclosure.State.IN_REVIEW
    waiver = Waiver.objects.get(project=in_review.project)
    assert (waiver.check_name, waiver.rule, waiver.lane) == ("leaks", "private-ip", "security")
    screening = review_selectors.current_screening(in_review)
    assert screening.findings.filter(fingerprint=waiver.fingerprint).exists()
    assert not review_selectors.findings_blocking(screening).exists()
    assert review_selectors.lanes_pending(in_review) == ["security", "ip", "export"]

    # One held for a planted secret: a blocking finding, nothing waived.
    held = world.held
    assert held.state == Disclosure.State.SCREEN_FAILED
    blocking = review_selectors.findings_blocking(review_selectors.current_screening(held))
    assert [(f.check_name, f.rule, f.path) for f in blocking] == [
        ("secrets", "private-key", "deploy/server.pem")
    ]

    # A pull request open on the public mirror, from the outsider, imported as a merge request.
    pr = requests.get(
        f"{localforge.github_url}/repos/{mirror.github_path}/pulls?state=open",
        headers={"Authorization": f"token {localforge.token}"},
        timeout=30,
    ).json()
    assert [(p["title"], p["user"]["login"]) for p in pr] == [
        (contribution.TITLE, contribution.OUTSIDER[0])
    ]
    link = world.pull_request
    assert link.number == pr[0]["number"] and link.state == "open" and link.mr_iid
    mr = requests.get(
        f"{localforge.gitlab_url}/api/v4/projects/{released.project.gitlab_id}"
        f"/merge_requests/{link.mr_iid}",
        headers={"PRIVATE-TOKEN": localforge.token},
        timeout=30,
    ).json()
    assert mr["state"] == "opened" and mr["source_branch"] == link.branch

    # The manager's dashboard has data.
    assert client.login(username="manager", password=org.DEMO_PASSWORD)
    page = client.get("/incentives/")
    assert page.status_code == 200
    assert "Vision Lab" in page.content.decode()

    # A second run (a restart: the command itself) finds the same world and makes nothing new,
    # and prints the URLs and one login per role.
    before = counts()
    demo_forge.CELERY_BROKER_URL = ""  # no worker: the tasks run in-process here
    out = io.StringIO()
    call_command("demo_up", "--no-serve", stdout=out)
    assert counts() == before
    printed = out.getvalue()
    for username, (_, roles) in org.LOGINS.items():
        assert f"{username:<11} / {org.DEMO_PASSWORD}   {', '.join(roles)}" in printed
    for d in (released, in_review, held):
        assert f"/review/disclosures/{d.pk}/  ({d.project.path})" in printed
    assert link.url in printed and link.mr_url in printed
    pr_again = requests.get(
        f"{localforge.github_url}/repos/{mirror.github_path}/pulls?state=all",
        headers={"Authorization": f"token {localforge.token}"},
        timeout=30,
    ).json()
    assert len(pr_again) == 1
