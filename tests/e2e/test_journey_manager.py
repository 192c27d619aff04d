"""Journey 3, the manager: opens the incentives dashboard, switches period and team, sees the
flow chart, drills into a person's points and the "why" of one award, and exports CSV.

The points are real: two projects with a git history of cross-team commits, ingested by the
service (incentives.ingest), as a sync would.
"""

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import Sum

from incentives.ingest import ingest
from incentives.models import Award
from people.models import Identity
from people.roles import MANAGER
from people.services import team_ensure_path
from tests.e2e.conftest import as_user
from tests.factories import MembershipFactory, PersonFactory, ProjectFactory, UserFactory
from tests.incentives.gitrepo import Repo, lines

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ANN = ("Ann Vision", "ann@inst.example")
BEN = ("Ben Speech", "ben@inst.example")
CHO = ("Cho Infra", "cho@inst.example")
START = "2024-01-01"


def person(who, team, user=None):
    p = PersonFactory(name=who[0], email=who[1], user=user)
    Identity.objects.create(person=p, kind=Identity.Kind.EMAIL, value=who[1])
    MembershipFactory(person=p, team=team, start=START)
    return p


def world(tmp_path):
    vision = team_ensure_path(path="Research/Vision")
    speech = team_ensure_path(path="Research/Speech")
    infra = team_ensure_path(path="Platform/Infra")
    people = {"ann": person(ANN, vision), "ben": person(BEN, speech), "cho": person(CHO, infra)}
    mia = UserFactory(username="mia", roles=[MANAGER])
    person(("Mia Manager", "mia@inst.example"), vision.parent, user=mia)  # manages Research

    kit = ProjectFactory(path="research/vision-kit", name="vision-kit", owner=vision)
    tools = ProjectFactory(path="platform/infra-tools", name="infra-tools", owner=infra)
    r1 = Repo(tmp_path / "vision-kit")
    r1.commit({"README.md": lines(5)}, author=ANN, date="2025-01-02T09:00:00+09:00",
              message="Start the vision kit")  # fmt: skip
    r1.commit({"speech/adapter.py": lines(40, "adapter")}, author=BEN,
              date="2025-02-10T10:00:00+09:00", message="Speech adapter for the kit")  # fmt: skip
    r1.commit({"deploy/run.sh": lines(25, "deploy")}, author=CHO,
              date="2025-02-20T11:00:00+09:00", message="Deploy script")  # fmt: skip
    r1.commit({"speech/stream.py": lines(60, "stream")}, author=BEN,
              date="2025-04-15T10:00:00+09:00", message="Streaming input")  # fmt: skip
    r2 = Repo(tmp_path / "infra-tools")
    r2.commit({"README.md": lines(5)}, author=CHO, date="2025-01-03T09:00:00+09:00",
              message="Start the infra tools")  # fmt: skip
    r2.commit({"gpu/check.py": lines(30, "gpu")}, author=ANN, date="2025-03-05T10:00:00+09:00",
              message="GPU health check")  # fmt: skip
    ingest(project=kit, repo=r1.path)
    ingest(project=tools, repo=r2.path)
    return people


def points(person, since, until) -> Decimal:
    qs = Award.objects.filter(person=person, landed_on__gte=since, landed_on__lte=until)
    return qs.aggregate(p=Sum("points"))["p"] or Decimal(0)


def board_names(page, by) -> list[str]:
    rows = page.get_by_test_id(f"board-{by}").locator("tbody tr")
    return [rows.nth(i).locator("td").nth(1).inner_text() for i in range(rows.count())]


def test_manager_journey(page, shots, fast_passwords, tmp_path):
    people = world(tmp_path)
    ben = people["ben"]
    q1 = points(ben, "2025-01-01", "2025-03-31")
    year = points(ben, "2025-01-01", "2025-12-31")
    assert Decimal(0) < q1 < year  # the history gives Ben points in Q1 and in Q2

    # The manager opens the dashboard from the menu.
    as_user(page, "mia")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    page.wait_for_url("**/incentives/")

    # Switch the period: the quarter that holds 1 February 2025.
    form = page.get_by_test_id("period-form")
    form.locator("select[name=period]").select_option("quarter")
    form.locator("input[name=date]").fill("2025-02-01")
    form.get_by_role("button", name="Show").click()
    page.wait_for_url("**period=quarter*")
    assert page.get_by_test_id("period-label").inner_text().startswith("2025-Q1")
    # Mia manages Research: Ann and Ben are ranked, Cho (Platform) is not shown by name.
    assert sorted(board_names(page, "person")) == ["Ann Vision", "Ben Speech"]
    assert set(board_names(page, "team")) == {
        "Research/Speech",
        "Platform/Infra",
        "Research/Vision",
    }

    # The flow chart is drawn: a heatmap with a cell per pair of teams, and the trend.
    heatmap = page.get_by_test_id("flow-heatmap")
    heatmap.scroll_into_view_if_needed()
    assert heatmap.is_visible()
    assert heatmap.locator("rect.cell").count() == 9  # three teams on each axis
    box = heatmap.bounding_box()
    assert box["width"] > 200 and box["height"] > 200
    trend = page.get_by_test_id("trend-chart")
    assert trend.is_visible() and trend.locator("rect.bar").count() > 0
    page.evaluate("window.scrollTo(0, 0)")
    shots("dashboard-q1", readme="dashboard")

    # Switch the team: only Research/Speech.
    form.locator("select[name=team]").select_option(label="Research/Speech")
    form.get_by_role("button", name="Show").click()
    page.wait_for_url("**team=*")
    assert page.get_by_test_id("period-label").inner_text().startswith("2025-Q1")
    assert board_names(page, "person") == ["Ben Speech"]
    assert board_names(page, "team") == ["Research/Speech"]
    person_row = page.get_by_test_id("board-person").locator("tbody tr").first
    assert Decimal(person_row.locator("td").nth(2).inner_text()) == q1
    shots("dashboard-speech-q1")

    # A whole year: Ben's second quarter adds to his points.
    form.locator("select[name=period]").select_option("year")
    form.get_by_role("button", name="Show").click()
    page.wait_for_url("**period=year*")
    assert page.get_by_test_id("period-label").inner_text().startswith("2025")
    assert page.locator("#team-filter option:checked").inner_text() == "Research/Speech"
    person_row = page.get_by_test_id("board-person").locator("tbody tr").first
    assert Decimal(person_row.locator("td").nth(2).inner_text()) == year
    shots("dashboard-speech-2025")

    # Export the people board as CSV: the download holds the same rows.
    with page.expect_download() as info:
        page.get_by_test_id("csv-person").click()
    download = info.value
    assert download.suggested_filename == "leaderboard-person-2025-01-01-2025-12-31.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert [(r["name"], Decimal(r["points"])) for r in rows] == [("Ben Speech", year)]
    assert int(rows[0]["changes"]) == 2 and rows[0]["rank"] == "1"

    # Drill into Ben's points, then into why one award is worth what it is.
    person_row.get_by_role("link", name="Ben Speech").click()
    page.wait_for_url(f"**/incentives/people/{ben.pk}/")
    assert Decimal(page.get_by_test_id("total-points").inner_text()) == year
    awards = page.get_by_test_id("awards-table").locator("tbody tr")
    assert awards.count() == 2
    shots("person-points")
    first = awards.filter(has_text="Speech adapter")
    award_points = first.locator("td").nth(4).inner_text()
    first.get_by_role("link", name=award_points).click()
    page.wait_for_url("**/incentives/awards/*/")
    why = page.get_by_test_id("explanation").inner_text()
    assert "Research/Speech" in why  # the author's team that day
    assert "The project was owned by Research/Vision" in why
    assert "So it is cross-team." in why
    award = Award.objects.get(pk=int(page.url.rstrip("/").rpartition("/")[2]))
    assert award.person == ben and str(award.points) == award_points
    assert award.change.subject == "Speech adapter for the kit"
    shots("award-why")
