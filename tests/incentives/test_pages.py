"""Pages: privacy of individual ranks, explanations, CSV exports, policy and identity merges."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from incentives.models import Award, IncentiveSettings
from incentives.policies import PolicyError, policy_publish
from people.models import Identity, Membership
from people.roles import MANAGER, OSPO_ADMIN
from people.services import team_ensure_path
from tests.factories import PersonFactory, UserFactory
from tests.incentives.factories import AwardFactory

pytestmark = pytest.mark.django_db
Q1 = "period=quarter&date=2025-02-01"


@pytest.fixture
def world(db):
    a, b = team_ensure_path(path="Div/A"), team_ensure_path(path="Div/B")
    ann = PersonFactory(name="Ann", email="ann@x.example")
    ben = PersonFactory(name="Ben", email="ben@x.example")
    Membership.objects.create(person=ann, team=a, start=dt.date(2024, 1, 1))
    Membership.objects.create(person=ben, team=b, start=dt.date(2024, 1, 1))
    ann_award = AwardFactory(
        person=ann,
        from_team=a,
        to_team=b,
        points=Decimal("30.00"),
        facts={
            "factors": {
                "size": 2.0,
                "acceptance": 1.0,
                "novelty": 1.5,
                "damping": 1.0,
                "share": 1.0,
            },
            "formula": "10 × 2 × 1 × 1.5 × 1 × 1 = 30.00",
            "cross_team": True,
            "author_teams": [{"path": "Div/A"}],
            "owner_team": {"path": "Div/B"},
            "landed_on": "2025-03-03",
        },
    )
    AwardFactory(person=ben, from_team=b, to_team=a, points=Decimal("45.00"))
    manager = UserFactory(username="mia", roles=[MANAGER])
    mia = PersonFactory(name="Mia", email="mia@x.example", user=manager)
    Membership.objects.create(person=mia, team=a, start=dt.date(2024, 1, 1))
    researcher = UserFactory(username="rex")
    PersonFactory(name="Rex", email="rex@x.example", user=researcher)
    ann_user = UserFactory(username="ann")
    ann.user = ann_user
    ann.save()
    return dict(
        a=a,
        b=b,
        ann=ann,
        ben=ben,
        manager=manager,
        researcher=researcher,
        ann_user=ann_user,
        ann_award=ann_award,
        admin=UserFactory(username="ada", roles=[OSPO_ADMIN]),
    )


def board_keys(client, by="person"):
    resp = client.get(reverse("incentives:leaderboard", args=[by]) + f"?{Q1}&format=csv")
    assert resp.status_code == 200, resp.status_code
    return [row["key"] for row in csv.DictReader(io.StringIO(resp.content.decode()))]


def test_manager_sees_individual_ranks_of_own_teams_only(client, world):
    client.force_login(world["manager"])
    assert board_keys(client) == ["ann@x.example"]
    assert board_keys(client, "team") == ["Div/B", "Div/A"]  # team totals are for managers
    assert client.get(reverse("incentives:person", args=[world["ann"].pk])).status_code == 200
    assert client.get(reverse("incentives:person", args=[world["ben"].pk])).status_code == 403


def test_division_manager_sees_sub_teams(client, world):
    Membership.objects.filter(person__user=world["manager"]).update(team=world["a"].parent)
    client.force_login(world["manager"])
    assert board_keys(client) == ["ben@x.example", "ann@x.example"]


def test_people_without_the_role_see_only_their_own_standing(client, world):
    client.force_login(world["ann_user"])
    url = reverse("incentives:leaderboard", args=["person"])
    assert client.get(url).status_code == 403
    assert client.get(reverse("incentives:leaderboard", args=["team"])).status_code == 403
    page = client.get(reverse("incentives:dashboard") + f"?{Q1}")
    assert page.status_code == 200
    assert page.context["standing"].rank == 2 and page.context["standing"].points == Decimal(
        "30.00"
    )
    assert 'data-testid="people-hidden"' in page.content.decode()
    assert client.get(reverse("incentives:me")).url == reverse(
        "incentives:person", args=[world["ann"].pk]
    )
    assert client.get(reverse("incentives:person", args=[world["ben"].pk])).status_code == 403


def test_admin_switch_shows_individual_ranks_to_everyone(client, world):
    client.force_login(world["researcher"])
    assert client.get(reverse("incentives:leaderboard", args=["person"])).status_code == 403
    s = IncentiveSettings.load()
    s.show_individual_ranks = True
    s.save()
    assert board_keys(client) == ["ben@x.example", "ann@x.example"]


def test_only_admins_flip_the_switch(client, world):
    url = reverse("incentives:identities")
    client.force_login(world["manager"])
    assert client.post(url, {"show_individual_ranks": "on"}).status_code == 403
    client.force_login(world["admin"])
    client.post(url, {"show_individual_ranks": "on"})
    assert IncentiveSettings.load().show_individual_ranks is True


def test_csv_export_of_the_board(client, world):
    client.force_login(world["admin"])
    resp = client.get(reverse("incentives:leaderboard", args=["person"]) + f"?{Q1}&format=csv")
    assert resp["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(resp.content.decode())))
    assert rows[0][:6] == ["rank", "key", "name", "points", "changes", "projects"]
    assert rows[1][:5] == ["1", "ben@x.example", "Ben", "45.00", "1"]
    flow = client.get(reverse("incentives:flow-csv") + f"?{Q1}")
    assert list(csv.reader(io.StringIO(flow.content.decode())))[1:] == [
        ["Div/A", "Div/B", "30.00", "1"],
        ["Div/B", "Div/A", "45.00", "1"],
    ]
    trend = client.get(reverse("incentives:trend-csv") + f"?{Q1}")
    assert trend.content.decode().splitlines()[0] == "bucket_start,points,changes"
    person = client.get(reverse("incentives:person", args=[world["ann"].pk]) + "?format=csv")
    rows = list(csv.DictReader(io.StringIO(person.content.decode())))
    assert [(r["points"], r["novelty"]) for r in rows] == [("30.00", "1.5")]


def test_bad_period_is_refused_with_a_message(client, world):
    client.force_login(world["admin"])
    page = client.get(reverse("incentives:dashboard") + "?since=2025-03-01&until=2025-02-01")
    assert "before the start" in page.content.decode()
    url = reverse("incentives:leaderboard", args=["person"])
    assert client.get(url + "?since=2025-03-01&until=2025-02-01&format=csv").status_code == 404


def test_award_page_explains_the_points(client, world):
    client.force_login(world["ann_user"])
    page = client.get(reverse("incentives:award", args=[world["ann_award"].pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Why 30.00 points?" in text
    assert "10 × 2 × 1 × 1.5 × 1 × 1 = 30.00" in text
    assert "So it is cross-team." in text


def test_dashboard_renders_charts_for_managers(client, world):
    client.force_login(world["manager"])
    text = client.get(reverse("incentives:dashboard") + f"?{Q1}").content.decode()
    assert 'data-testid="flow-heatmap"' in text and 'data-testid="trend-chart"' in text
    assert text.count('class="cell"') == 4  # 2 teams x 2 teams


def test_policy_page_and_publishing(client, world):
    with pytest.raises(PolicyError, match="past"):
        policy_publish(effective_from=dt.date(2020, 1, 1), summary="retro")
    v2 = policy_publish(
        effective_from=dt.date.today() + dt.timedelta(days=7),
        summary="Bigger base",
        base_points=Decimal("12"),
    )
    assert (v2.version, v2.base_points, v2.novelty_bonus) == (2, Decimal("12"), Decimal("1.50"))
    client.force_login(world["researcher"])
    text = client.get(reverse("incentives:policy")).content.decode()
    assert "Points = 12 × size" in text and "Points = 10 × size" in text
    assert Award.objects.filter(policy__version=2).count() == 0  # nothing rewritten


def test_identity_merge_page(client, world):
    ident = Identity.objects.create(kind="email", value="ann@home.example", display_name="Ann")
    client.force_login(world["admin"])
    page = client.get(reverse("incentives:identities"))
    assert "ann@home.example" in page.content.decode()
    client.post(
        reverse("incentives:identities"),
        {"identity": ident.pk, "person": world["ann"].pk, "decision": "accept"},
    )
    ident.refresh_from_db()
    assert ident.person == world["ann"]


def test_csv_export_of_the_identity_merge_suggestions(client, world):
    Identity.objects.create(kind="email", value="ann@home.example", display_name="=Ann")
    url = reverse("incentives:identities")
    client.force_login(world["manager"])
    assert client.get(url + "?format=csv").status_code == 403
    client.force_login(world["admin"])
    assert 'data-testid="csv-identities"' in client.get(url).content.decode()
    resp = client.get(url + "?format=csv")
    assert resp["Content-Type"].startswith("text/csv")
    assert "identity-merge-suggestions.csv" in resp["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.content.decode())))
    assert rows[0] == [
        "identity", "identity_kind", "display_name", "person_name", "person_email", "why"
    ]  # fmt: skip
    ann = world["ann"]
    assert [r[:5] for r in rows[1:]] == [
        ["ann@home.example", "email", "'=Ann", ann.name, ann.email]
    ]
    assert rows[1][5] == "same name (=Ann); same email local part (ann)"  # the cell is not quoted
