import datetime as dt
import subprocess
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from federation import repos
from incentives.models import Award
from incentives.tasks import ingest_project, recompute_for_memberships
from people.models import Membership
from people.roles import OSPO_ADMIN
from tests.factories import PersonFactory, UserFactory
from tests.incentives.conftest import BOB
from tests.incentives.factories import AwardFactory
from tests.incentives.gitrepo import ENV, lines

pytestmark = pytest.mark.django_db


def test_leaderboard_api_follows_the_privacy_rules(db):
    AwardFactory(person=PersonFactory(email="ann@x.example"), points=Decimal("12.50"))
    api = APIClient()
    api.force_authenticate(UserFactory(roles=[OSPO_ADMIN]))
    data = api.get("/api/v1/leaderboards/person/?period=quarter&date=2025-02-01").json()
    assert [(r["key"], r["points"]) for r in data["rows"]] == [("ann@x.example", 12.5)]
    assert data["period"]["label"] == "2025-Q1"
    bad = api.get("/api/v1/leaderboards/person/?since=2025-03-01&until=2025-01-01")
    assert bad.status_code == 400 and "before the start" in bad.json()["period"]
    assert api.get("/api/v1/leaderboards/nobody/").status_code == 404
    assert [p["version"] for p in api.get("/api/v1/scoring-policies/").json()["results"]] == [1]

    api.force_authenticate(UserFactory())
    assert api.get("/api/v1/leaderboards/person/").status_code == 403


def test_ingest_task_reads_the_federation_mirror(org, repo, settings, tmp_path):
    settings.GIT_CACHE_DIR = str(tmp_path / "cache")
    repo.commit({"a.py": lines(9)}, author=BOB, date="2025-03-03T10:00:00+09:00")
    mirror = repos.mirror_path(org.project.key)
    mirror.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(repo.path), str(mirror)], env=ENV, check=True
    )

    summary = ingest_project.delay(org.project.pk).get()

    assert "2 commits read" in summary
    assert Award.objects.get().points == Decimal("30.00")


def test_recompute_task_after_hr_change(org, repo):
    repo.commit({"a.py": lines(9)}, author=BOB, date="2025-03-03T10:00:00+09:00")
    from incentives.ingest import ingest

    ingest(project=org.project, repo=repo.path)
    m = Membership.objects.create(
        person=org.people.bob, team=org.teams.vision, start=dt.date(2025, 3, 1)
    )
    assert recompute_for_memberships.delay([m.pk], "Bob joined Vision (HR)").get() == 1
    assert sum(a.points for a in Award.objects.filter(person=org.people.bob)) == Decimal("0.00")
