"""Org imports and ownership transfers recompute awards by themselves (signals → tasks)."""

import datetime as dt
from decimal import Decimal

import pytest

from incentives.ingest import ingest
from incentives.models import Award
from people.services import org_import
from projects.services import ownership_transfer
from tests.incentives.conftest import BOB
from tests.incentives.gitrepo import lines

pytestmark = pytest.mark.django_db


def test_org_import_correcting_hr_data_recomputes_after_commit(
    org, repo, django_capture_on_commit_callbacks
):
    repo.commit({"a.py": lines(9)}, author=BOB, date="2025-03-03T10:00:00+09:00")
    ingest(project=org.project, repo=repo.path)
    assert Award.objects.get(person=org.people.bob).points == Decimal("30.00")
    csv = (
        "email,name,team_path,start,end,gitlab_username,github_login\n"
        "bob@inst.example,Bob Speech,Research/Vision,2025-01-01,,,\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        org_import(text=csv, as_of=dt.date(2025, 1, 1))
    adjustment = Award.objects.get(person=org.people.bob, kind="adjustment")
    assert adjustment.points == Decimal("-30.00")
    assert adjustment.reason == "HR data changed (org import)"


def test_unchanged_import_sends_nothing(org, repo, django_capture_on_commit_callbacks):
    repo.commit({"a.py": lines(9)}, author=BOB, date="2025-03-03T10:00:00+09:00")
    ingest(project=org.project, repo=repo.path)
    from people.selectors import org_export_csv

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        org_import(text=org_export_csv())
    assert callbacks == [] and not Award.objects.filter(kind="adjustment").exists()


def test_transfer_from_a_past_date_recomputes(org, repo, django_capture_on_commit_callbacks):
    # Bob (Speech) lands work in Vision's project: cross-team, 30 points.
    repo.commit({"a.py": lines(9)}, author=BOB, date="2025-03-03T10:00:00+09:00")
    ingest(project=org.project, repo=repo.path)
    assert Award.objects.get(person=org.people.bob).points == Decimal("30.00")
    # The project really moved to Speech on 1 March: Bob's commit was same-team after all.
    with django_capture_on_commit_callbacks(execute=True):
        ownership_transfer(project=org.project, team=org.teams.speech, start=dt.date(2025, 3, 1))
    adjustment = Award.objects.get(person=org.people.bob, kind="adjustment")
    assert adjustment.points == Decimal("-30.00")
    assert "ownership moved to Research/Speech" in adjustment.reason
