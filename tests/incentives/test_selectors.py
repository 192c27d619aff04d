import datetime as dt
from decimal import Decimal

import pytest

from incentives.ingest import ingest
from incentives.selectors import project_activity, project_awards, project_contributors
from tests.incentives.conftest import ALICE, BOB, CAROL, RENOVATE
from tests.incentives.gitrepo import lines

pytestmark = pytest.mark.django_db


def test_project_activity_and_awards_for_the_project_page(org, repo):
    repo.commit({"a.py": lines(9)}, author=BOB, date="2025-03-03T10:00:00+09:00")
    repo.commit({"b.py": lines(9, "b")}, author=CAROL, date="2025-03-04T10:00:00+09:00")
    repo.commit({"c.py": lines(9, "c")}, author=ALICE, date="2025-03-05T10:00:00+09:00")
    repo.commit({"uv.lock": lines(9, "d")}, author=RENOVATE, date="2025-03-06T10:00:00+09:00")
    repo.commit({"d.py": lines(9, "e")}, author=("Zed", "zed@elsewhere.example"),
                date="2025-03-07T10:00:00+09:00")  # fmt: skip
    ingest(project=org.project, repo=repo.path)

    activity = project_activity(org.project, days=90, today=dt.date(2025, 3, 31))
    # 5 human commits (the README of 2 January included), the bot's is not counted;
    # contributors: Alice, Bob, Carol and the unresolved zed@
    assert (activity.commits, activity.contributors, activity.cross_team_contributors) == (5, 4, 2)
    later = project_activity(org.project, days=30, today=dt.date(2025, 3, 31))
    assert (later.commits, later.contributors) == (4, 4)
    assert activity.last_commit_at == dt.datetime(2025, 3, 7, 1, 0, tzinfo=dt.UTC)
    assert activity.days_since_last_commit(dt.datetime(2025, 3, 8, 1, tzinfo=dt.UTC)) == 1.0

    rows = list(project_awards(org.project))
    assert [(a.person.email, a.points) for a in rows] == [
        (CAROL[1], Decimal("30.00")),
        (BOB[1], Decimal("30.00")),
    ]
    by_person = {
        r["person__name"]: (r["points"], r["changes"]) for r in project_contributors(org.project)
    }
    assert by_person == {"Bob Speech": (Decimal("30.00"), 1), "Carol Infra": (Decimal("30.00"), 1)}
