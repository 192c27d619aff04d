"""Catalogue search and filters, visibility of private projects, and who may edit."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from people.roles import MANAGER, OSPO_ADMIN, RESEARCHER
from people.services import team_ensure_path
from projects import selectors
from projects.models import Project
from tests.factories import MembershipFactory, PersonFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    vision = team_ensure_path(path="AI/Vision")
    robotics = team_ensure_path(path="AI/Vision/Robotics")
    platform = team_ensure_path(path="Systems/Platform")
    detector = ProjectFactory(
        name="detector", summary="Object detection models", topics=["vision", "pytorch"],
        language="Python", license="Apache-2.0", owner=vision,
    )  # fmt: skip
    secret = ProjectFactory(
        name="lab-notes", summary="Private notebook", sharing=Project.Sharing.PRIVATE,
        owner=robotics,
    )  # fmt: skip
    infra = ProjectFactory(
        name="deployer", summary="Deploy tooling", description="Kubernetes operators",
        topics=["k8s"], language="Go", license="MIT", owner=platform,
    )  # fmt: skip

    def member(username, team, roles=(RESEARCHER,)):
        user = UserFactory(username=username, roles=list(roles))
        MembershipFactory(person=PersonFactory(user=user), team=team, start=dt.date(2024, 1, 1))
        return user

    return {
        "vision": vision, "platform": platform, "detector": detector, "secret": secret,
        "infra": infra, "vision_researcher": member("v", vision),
        "platform_researcher": member("p", platform), "admin": UserFactory(roles=[OSPO_ADMIN]),
        "vision_manager": member("m", vision, roles=[MANAGER]),
    }  # fmt: skip


def names(qs):
    return sorted(p.name for p in qs)


def test_search_matches_every_word_across_fields(world):
    user = world["platform_researcher"]
    assert names(selectors.catalogue(user, q="detection")) == ["detector"]
    assert names(selectors.catalogue(user, q="kubernetes")) == ["deployer"]
    assert names(selectors.catalogue(user, q="pytorch")) == ["detector"]
    assert names(selectors.catalogue(user, q="deploy operators")) == ["deployer"]
    assert names(selectors.catalogue(user, q="deploy pytorch")) == []


def test_filters(world):
    user = world["admin"]
    assert names(selectors.catalogue(user, team=world["vision"])) == ["detector", "lab-notes"]
    assert names(selectors.catalogue(user, topic="k8s")) == ["deployer"]
    assert names(selectors.catalogue(user, language="python")) == ["detector"]
    assert names(selectors.catalogue(user, license="MIT")) == ["deployer"]
    assert names(selectors.catalogue(user, sharing="private")) == ["lab-notes"]


def test_sort_by_activity(world):
    Project.objects.filter(pk=world["infra"].pk).update(activity_score=50)
    Project.objects.filter(pk=world["detector"].pk).update(activity_score=10)
    assert [p.name for p in selectors.catalogue(world["admin"])][:2] == ["deployer", "detector"]


def test_private_project_visible_to_owner_team_tree_and_admins_only(world):
    secret = world["secret"]
    # Robotics sits below Vision: Vision's members see it; Platform's do not.
    assert secret in selectors.visible_projects(world["vision_researcher"])
    assert secret in selectors.visible_projects(world["admin"])
    assert secret not in selectors.visible_projects(world["platform_researcher"])


def test_only_owner_team_researchers_and_admins_may_edit(world):
    detector = world["detector"]
    assert selectors.can_edit(world["vision_researcher"], detector)
    assert selectors.can_edit(world["admin"], detector)
    assert not selectors.can_edit(world["platform_researcher"], detector)
    assert not selectors.can_edit(world["vision_manager"], detector)  # no researcher role


def test_api_list_search_and_filter(world):
    client = APIClient()
    client.force_authenticate(world["platform_researcher"])
    body = client.get("/api/v1/projects/").json()
    assert {r["name"] for r in body["results"]} == {"detector", "deployer"}
    assert body["count"] == 2
    found = client.get("/api/v1/projects/", {"search": "kubernetes"}).json()["results"]
    assert [r["name"] for r in found] == ["deployer"]
    by_team = client.get("/api/v1/projects/", {"team": world["vision"].pk}).json()["results"]
    assert [r["name"] for r in by_team] == ["detector"]
    assert by_team[0]["owner_team"] == "AI/Vision"
    assert client.get(f"/api/v1/projects/{world['secret'].pk}/").status_code == 404


def test_api_edit_guarded_and_validated(world):
    client = APIClient()
    url = f"/api/v1/projects/{world['detector'].pk}/"
    client.force_authenticate(world["platform_researcher"])
    assert client.patch(url, {"summary": "hijack"}, format="json").status_code == 403
    client.force_authenticate(world["vision_researcher"])
    bad = client.patch(url, {"license": "Apache-9"}, format="json")
    assert bad.status_code == 400 and "not a valid SPDX" in str(bad.data)
    ok = client.patch(url, {"summary": "Better", "topics": ["Vision", "cv"]}, format="json")
    assert ok.status_code == 200 and ok.data["topics"] == ["vision", "cv"]
    world["detector"].refresh_from_db()
    assert world["detector"].summary == "Better"


def test_api_transfer_needs_admin_and_refuses_bad_dates(world):
    client = APIClient()
    url = f"/api/v1/projects/{world['detector'].pk}/transfer/"
    payload = {"team": world["platform"].pk, "start": "2026-01-01"}
    client.force_authenticate(world["vision_researcher"])
    assert client.post(url, payload).status_code == 403
    client.force_authenticate(world["admin"])
    early = client.post(url, {**payload, "start": "2024-12-31"})
    assert early.status_code == 400 and "before the project existed" in str(early.data)
    ok = client.post(url, payload)
    assert ok.status_code == 200 and ok.data["owner_team"] == "Systems/Platform"
    assert [o["team_path"] for o in ok.data["ownerships"]] == ["AI/Vision", "Systems/Platform"]


def test_pages(world, client):
    client.force_login(world["platform_researcher"])
    page = client.get("/projects/", {"q": "detection"})
    assert (
        page.status_code == 200 and b"detector" in page.content and b"deployer" not in page.content
    )
    assert b"log2(1 + commits" in page.content  # the formula is documented on the page
    detail = client.get(f"/projects/{world['detector'].pk}/")
    assert detail.status_code == 200 and b"AI/Vision" in detail.content
    assert client.get(f"/projects/{world['secret'].pk}/").status_code == 404
    assert client.get(f"/projects/{world['detector'].pk}/edit/").status_code == 403
    assert client.get(f"/projects/{world['detector'].pk}/transfer/").status_code == 403


def test_edit_page_shows_field_errors(world, client):
    client.force_login(world["vision_researcher"])
    url = f"/projects/{world['detector'].pk}/edit/"
    response = client.post(url, {"summary": "x", "license": "Not A License", "sharing": "internal"})
    assert response.status_code == 200
    assert b'data-testid="error-license"' in response.content


def test_the_catalogue_api_asks_a_fixed_number_of_queries(django_assert_max_num_queries):
    """A page of projects costs the same few queries however many projects it lists (no query
    per project for its owner)."""
    teams = [team_ensure_path(path=f"Lab/T{i}") for i in range(3)]
    for i in range(12):
        ProjectFactory(gitlab_id=9000 + i, owner=teams[i % 3])
    client = APIClient()
    client.force_authenticate(UserFactory(username="cat-admin", roles=[OSPO_ADMIN]))
    with django_assert_max_num_queries(12):
        response = client.get("/api/v1/projects/")
    assert response.status_code == 200
    assert response.data["count"] == 12
    owners = {row["path"]: row["owner_team"] for row in response.data["results"]}
    assert set(owners.values()) == {"Lab/T0", "Lab/T1", "Lab/T2"}
