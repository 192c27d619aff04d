import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from incentives import building
from incentives.management.commands.ingest import Command as IngestCommand
from incentives.models import Award
from tests.incentives.conftest import BOB
from tests.incentives.gitrepo import lines

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_ingest_then_leaderboard_json_and_table(org, repo):
    repo.commit({"a.py": lines(9)}, author=BOB, date="2025-03-03T10:00:00+09:00")
    out = run("ingest", "--project", "group/vision-kit", "--repo", str(repo.path))
    assert "2 commits read" in out and "1 awards" in out
    assert "0 commits read" in run(
        "ingest", "--project", "group/vision-kit", "--repo", str(repo.path)
    )
    assert Award.objects.get().points == Decimal("30.00")

    data = json.loads(
        run(
            "leaderboard",
            "--by",
            "person",
            "--since",
            "2025-01-01",
            "--until",
            "2025-03-31",
            "--format",
            "json",
        )
    )
    assert data["rows"] == [
        {
            "rank": 1,
            "key": "bob@inst.example",
            "name": "Bob Speech",
            "points": 30.0,
            "changes": 1,
            "projects": 1,
        }
    ]
    assert data["period"]["since"] == "2025-01-01" and data["period"]["until"] == "2025-03-31"
    assert data["policy_version"] == 1

    teams = json.loads(
        run(
            "leaderboard",
            "--by",
            "team",
            "--since",
            "2025-01-01",
            "--until",
            "2025-03-31",
            "--format",
            "json",
        )
    )
    assert [(r["key"], r["points"]) for r in teams["rows"]] == [("Research/Speech", 30.0)]
    table = run("leaderboard", "--by", "project", "--since", "2025-01-01", "--until", "2025-03-31")
    assert table.splitlines()[1].split() == [
        "rank",
        "project",
        "points",
        "changes",
        "projects",
        "teams",
    ]
    assert table.splitlines()[2].split() == ["1", "group/vision-kit", "30.00", "1", "1", "1"]


def test_until_before_since_is_refused(db):
    with pytest.raises(CommandError, match="before the start"):
        run("leaderboard", "--by", "person", "--since", "2025-03-01", "--until", "2025-02-01")
    with pytest.raises(CommandError, match="not a date"):
        run("leaderboard", "--by", "person", "--since", "march", "--until", "2025-02-01")


def test_ingest_shows_progress_on_stderr_while_reading(org, repo, monkeypatch):
    for n in range(3):
        repo.commit(
            {f"f{n}.py": lines(3, str(n))}, author=BOB, date=f"2025-03-0{n + 3}T10:00:00+09:00"
        )
    monkeypatch.setattr(building, "BATCH", 2)
    args = ("ingest", "--project", "group/vision-kit", "--repo", str(repo.path), "--full")
    err = io.StringIO()
    call_command(*args, stdout=io.StringIO(), stderr=err)
    assert err.getvalue() == ""  # quicker than a second: nothing shown

    monkeypatch.setattr(IngestCommand, "progress_every", 0.0)
    err = io.StringIO()
    call_command(*args, stdout=io.StringIO(), stderr=err)
    assert err.getvalue().splitlines() == ["commits read: 2", "commits read: 4"]
    err = io.StringIO()
    call_command(*args, "--verbosity", "0", stdout=io.StringIO(), stderr=err)
    assert err.getvalue() == ""


def test_ingest_refuses_unknown_project_and_missing_repo(org, tmp_path):
    with pytest.raises(CommandError, match="No registered project"):
        run("ingest", "--project", "nope/nope")
    with pytest.raises(CommandError, match="no git repository"):
        run("ingest", "--project", "group/vision-kit", "--repo", str(tmp_path / "missing"))
