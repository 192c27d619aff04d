"""In the browser, against localforge: a researcher registers a GitLab project; another user
finds it in the catalogue; GitLab has exactly one webhook on it."""

import gitlab
import pytest

from people.models import Identity
from people.roles import RESEARCHER
from people.services import team_ensure_path
from projects.models import Project
from tests.factories import MembershipFactory, PersonFactory, UserFactory
from tests.fixtures.browser import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-for-tests-123"


def test_researcher_registers_and_colleague_finds_it(
    page, screenshot, localforge, forge_settings, gitlab_project
):
    username = localforge.unique("minji")
    _, token = localforge.create_user(username, email=f"{username}@institute.example")
    team = team_ensure_path(path="AI Research/Vision Lab")
    user = UserFactory(username=username, roles=[RESEARCHER])
    person = PersonFactory(user=user, email=f"{username}@institute.example")
    Identity.objects.create(person=person, kind="gitlab", value=username)
    MembershipFactory(person=person, team=team)
    glp = gitlab_project(
        owner=(username, token),
        files={"README.md": "# Lens\n", "CONTRIBUTING.md": "Send a merge request.\n"},
    )
    UserFactory(username="colleague")

    sign_in(page, username, PASSWORD)
    page.goto("/projects/register/")
    page.get_by_test_id("candidates").get_by_text(glp.path).click()
    assert page.input_value("#id_gitlab_project") == glp.path
    assert page.locator("#id_team option:checked").inner_text() == "AI Research/Vision Lab"
    page.fill("#id_summary", "Lens distortion correction toolkit")
    page.fill("#id_topics", "vision, optics")
    page.fill("#id_license", "Apache-2.0")
    screenshot("register-form")
    page.get_by_test_id("register-form").locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=owner-team]")
    assert page.get_by_test_id("owner-team").inner_text() == "AI Research/Vision Lab"
    assert glp.http_url in page.get_by_test_id("clone-url").input_value()
    assert "Send a merge request." in page.get_by_test_id("contributing").inner_text()
    # The first sync ingested the history: its author (not in the directory) is listed.
    assert "Ada Author" in page.get_by_test_id("contributors").inner_text()
    screenshot("project-page")

    project = Project.objects.get(gitlab_id=glp.id)
    gl = gitlab.Gitlab(localforge.gitlab_url, private_token=localforge.token)
    hooks = gl.projects.get(glp.id).hooks.list(get_all=True)
    assert len(hooks) == 1 and hooks[0].url.endswith(f"/hooks/gitlab/{project.key}/")

    # Registering the same project again gives the same record, and still one hook.
    page.goto(f"/projects/register/?gitlab_project={glp.path}")
    page.fill("#id_summary", "again")
    page.get_by_test_id("register-form").locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=owner-team]")
    assert Project.objects.count() == 1
    assert len(gl.projects.get(glp.id).hooks.list(get_all=True)) == 1

    page.context.clear_cookies()
    sign_in(page, "colleague", PASSWORD)
    page.goto("/projects/?q=distortion")
    results = page.get_by_test_id("catalogue-results")
    assert results.get_by_text("Lens distortion correction toolkit").is_visible()
    screenshot("catalogue")
    page.goto("/projects/?q=nothing-like-this")
    assert results.get_by_text("No project matches.").is_visible()


def test_form_shows_errors_next_to_fields(page, localforge, forge_settings):
    username = localforge.unique("res")
    localforge.create_user(username, email=f"{username}@institute.example")
    user = UserFactory(username=username, roles=[RESEARCHER])
    person = PersonFactory(user=user)
    Identity.objects.create(person=person, kind="gitlab", value=username)
    MembershipFactory(person=person, team=team_ensure_path(path="AI/Vision"))
    sign_in(page, username, PASSWORD)
    page.goto("/projects/register/")
    page.fill("#id_gitlab_project", "nobody/nothing")
    page.fill("#id_summary", "x")
    page.fill("#id_license", "Apache-9")
    page.get_by_test_id("register-form").locator("button[type=submit]").click()
    assert "not a valid SPDX" in page.get_by_test_id("error-license").inner_text()
    page.fill("#id_license", "MIT")
    page.get_by_test_id("register-form").locator("button[type=submit]").click()
    assert "has no project" in page.get_by_test_id("error-gitlab_project").inner_text()
    assert not Project.objects.exists()
