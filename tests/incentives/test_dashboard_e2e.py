"""The manager dashboard in a real headless Chromium: boards, heatmap and trend chart."""

import datetime as dt
from decimal import Decimal

import pytest

from people.models import Membership
from people.roles import MANAGER
from people.services import team_ensure_path
from tests.factories import PersonFactory, UserFactory
from tests.fixtures.browser import sign_in
from tests.incentives.factories import AwardFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_manager_dashboard_renders_charts(page, screenshot):  # noqa: F811
    vision, speech = (
        team_ensure_path(path="Research/Vision"),
        team_ensure_path(path="Research/Speech"),
    )
    infra = team_ensure_path(path="Platform/Infra")
    ann = PersonFactory(name="Ann Vision", email="ann@inst.example")
    ben = PersonFactory(name="Ben Speech", email="ben@inst.example")
    Membership.objects.create(person=ann, team=vision, start=dt.date(2024, 1, 1))
    Membership.objects.create(person=ben, team=speech, start=dt.date(2024, 1, 1))
    for day, person, src, dst, points in [
        (dt.date(2025, 1, 8), ann, vision, infra, "30.00"),
        (dt.date(2025, 2, 12), ann, vision, speech, "45.00"),
        (dt.date(2025, 3, 5), ben, speech, vision, "67.50"),
        (dt.date(2024, 12, 3), ben, speech, infra, "10.00"),
    ]:
        AwardFactory(
            person=person, from_team=src, to_team=dst, landed_on=day, points=Decimal(points)
        )
    mia = PersonFactory(
        name="Mia Manager",
        email="mia@inst.example",
        user=UserFactory(username="mia", roles=[MANAGER]),
    )
    Membership.objects.create(person=mia, team=vision.parent, start=dt.date(2024, 1, 1))

    sign_in(page, "mia", "pw-for-tests-123")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    page.wait_for_url("**/incentives/")
    page.goto("/incentives/?period=quarter&date=2025-02-01")

    assert page.get_by_test_id("period-label").inner_text().startswith("2025-Q1")
    teams = page.get_by_test_id("board-team")
    assert teams.locator("tbody tr").first.inner_text().split("\t")[:3] == [
        "1",
        "Research/Vision",
        "75.00",
    ]
    people = page.get_by_test_id("board-person")  # Mia manages Research, so both are shown
    assert people.locator("tbody tr").count() == 2
    heatmap = page.get_by_test_id("flow-heatmap")
    assert heatmap.is_visible()
    assert heatmap.locator("rect.cell").count() == 9  # three teams on each axis
    box = heatmap.bounding_box()
    assert box["width"] > 200 and box["height"] > 200
    trend = page.get_by_test_id("trend-chart")
    assert trend.is_visible()
    assert trend.locator("rect.bar").count() == 14  # weeks of the quarter
    assert trend.locator("polyline.changes").count() == 1
    screenshot("dashboard")

    page.get_by_role("link", name="by division").click()
    page.wait_for_url("**depth=1*")
    assert page.get_by_test_id("flow-heatmap").locator("rect.cell").count() == 4
    screenshot("dashboard-divisions")
