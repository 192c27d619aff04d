import datetime as dt

import pytest

from people.services import team_ensure_path
from projects import selectors, services
from projects.models import Ownership, Project

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def project():
    p = Project.objects.create(
        gitlab_id=1,
        path="vision/detector",
        name="detector",
        web_url="http://gitlab.example/vision/detector",
        clone_url="http://gitlab.example/vision/detector.git",
        created_on=D(2025, 1, 10),
        summary="Object detector",
    )
    Ownership.objects.create(project=p, team=team_ensure_path(path="AI/Vision"), start=p.created_on)
    return p


def test_transfer_closes_current_period_and_keeps_history(project):
    platform = team_ensure_path(path="Systems/Platform")
    services.ownership_transfer(project=project, team=platform, start=D(2026, 3, 1))
    periods = list(project.ownerships.order_by("start").values_list("team__path", "start", "end"))
    assert periods == [
        ("AI/Vision", D(2025, 1, 10), D(2026, 2, 28)),
        ("Systems/Platform", D(2026, 3, 1), None),
    ]
    assert selectors.owner_on(project, D(2026, 2, 28)).path == "AI/Vision"
    assert selectors.owner_on(project, D(2026, 3, 1)).path == "Systems/Platform"
    assert selectors.owner_on(project, D(2024, 12, 31)) is None


def test_transfer_before_project_existed_is_refused(project):
    with pytest.raises(services.RegistryError, match="before the project existed"):
        services.ownership_transfer(
            project=project, team=team_ensure_path(path="X/Y"), start=D(2025, 1, 9)
        )
    assert project.ownerships.count() == 1


def test_transfer_overlapping_a_closed_period_is_refused(project):
    platform = team_ensure_path(path="Systems/Platform")
    services.ownership_transfer(project=project, team=platform, start=D(2026, 3, 1))
    with pytest.raises(services.RegistryError, match="already covers"):
        services.ownership_transfer(
            project=project, team=team_ensure_path(path="X/Y"), start=D(2026, 2, 1)
        )
    with pytest.raises(services.RegistryError, match="already owns"):
        services.ownership_transfer(project=project, team=platform, start=D(2026, 5, 1))
    with pytest.raises(services.RegistryError, match="after the current period"):
        services.ownership_transfer(
            project=project, team=team_ensure_path(path="X/Y"), start=D(2026, 3, 1)
        )
    assert project.ownerships.count() == 2


def test_owner_teams_include_subteams_when_asked(project):
    sub = team_ensure_path(path="AI/Vision/Robotics")
    day = D(2025, 6, 1)
    assert set(selectors.owner_teams_on(project, day)) == {sub.parent, sub}
    assert set(selectors.owner_teams_on(project, day, include_subteams=False)) == {sub.parent}
