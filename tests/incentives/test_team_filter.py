"""The dashboard's team filter: narrows every board to a team and its sub-teams, and never
widens what a manager may see."""

import csv
import io

import pytest
from django.urls import reverse

from people.models import Membership
from tests.incentives.test_pages import Q1, world  # noqa: F401

pytestmark = pytest.mark.django_db


def keys(client, by, team=None):
    extra = f"&team={team.pk}" if team is not None else ""
    url = reverse("incentives:leaderboard", args=[by]) + f"?{Q1}{extra}&format=csv"
    resp = client.get(url)
    assert resp.status_code == 200
    return [row["key"] for row in csv.DictReader(io.StringIO(resp.content.decode()))]


def test_division_manager_narrows_boards_to_one_team(client, world):  # noqa: F811
    Membership.objects.filter(person__user=world["manager"]).update(team=world["a"].parent)
    client.force_login(world["manager"])
    assert keys(client, "person") == ["ben@x.example", "ann@x.example"]
    assert keys(client, "person", world["b"]) == ["ben@x.example"]
    assert keys(client, "team", world["a"]) == ["Div/A"]
    assert keys(client, "person", world["a"].parent) == ["ben@x.example", "ann@x.example"]
    page = client.get(reverse("incentives:dashboard") + f"?{Q1}&team={world['b'].pk}")
    assert page.context["team"] == world["b"]
    assert f"team={world['b'].pk}" in page.context["query"]  # CSV links keep the filter


def test_a_team_outside_the_managers_scope_is_ignored(client, world):  # noqa: F811
    client.force_login(world["manager"])  # manages Div/A only
    assert keys(client, "person", world["b"]) == ["ann@x.example"]
    page = client.get(reverse("incentives:dashboard") + f"?{Q1}&team={world['b'].pk}")
    assert page.context["team"] is None
    assert [t.path for t in page.context["teams"]] == ["Div/A"]
