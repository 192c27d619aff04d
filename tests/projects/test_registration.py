"""Registering a GitLab project against localforge: python-gitlab, real git, real webhooks."""

import gitlab
import pytest

from federation import registration
from federation.models import SyncRun
from people.models import Identity
from people.roles import RESEARCHER
from people.services import team_ensure_path
from projects.models import Project
from tests.factories import MembershipFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def researcher(localforge):
    """A researcher in AI/Vision whose GitLab username is on record."""
    username = localforge.unique("res")
    _, token = localforge.create_user(username, email=f"{username}@institute.example")
    user = UserFactory(username=username, roles=[RESEARCHER])
    person = PersonFactory(user=user, email=f"{username}@institute.example")
    Identity.objects.create(person=person, kind="gitlab", value=username)
    MembershipFactory(person=person, team=team_ensure_path(path="AI/Vision"))
    user.gitlab_token = token
    return user


def details(team, **extra):
    return {"team": team, "summary": "A detector", "topics": ["vision"], "license": "Apache-2.0",
            "sharing": "internal", **extra}  # fmt: skip


def hooks_of(localforge, project_id):
    gl = gitlab.Gitlab(localforge.gitlab_url, private_token=localforge.token)
    return gl.projects.get(project_id).hooks.list(get_all=True)


def test_maintainer_registers_once_with_one_hook_and_a_first_sync(
    forge_settings, localforge, gitlab_project, researcher
):
    glp = gitlab_project(
        owner=(researcher.username, researcher.gitlab_token),
        files={
            "README.md": "# Detector\n",
            "CONTRIBUTING.md": "Open an MR.\n",
            "det.py": "x = 1\n",
        },
    )
    team = team_ensure_path(path="AI/Vision")
    project, created = registration.register(user=researcher, gitlab_ref=glp.path, **details(team))
    assert created
    project.refresh_from_db()
    assert (project.gitlab_id, project.path, project.hook_state) == (glp.id, glp.path, "installed")
    hooks = hooks_of(localforge, glp.id)
    assert [h.url for h in hooks] == [registration.hook_url(project)]
    assert hooks[0].push_events and hooks[0].merge_requests_events
    # The first sync fetched the mirror and read the repository's facts.
    run = SyncRun.objects.get(project=project)
    assert run.status == "succeeded" and run.refs_after["refs/heads/main"] == glp.head()
    assert project.has_readme and project.has_contributing and project.language == "Python"
    assert project.contributing_text == "Open an MR.\n"
    # ...and ingested its commits, so the catalogue's activity inputs are filled.
    assert run.commits_ingested == 3
    assert project.recent_commits == 3 and project.contributors == 1
    assert project.last_commit_at is not None and project.activity_score > 0
    assert project.ownerships.get().team == team

    # Registering again (by path, id or web address) gives the same record and no second hook.
    for ref in (glp.path, str(glp.id), glp.web_url):
        again, created = registration.register(user=researcher, gitlab_ref=ref, **details(team))
        assert (again.pk, created) == (project.pk, False)
    assert len(hooks_of(localforge, glp.id)) == 1
    assert Project.objects.count() == 1


def test_registrable_lists_maintained_projects(
    forge_settings, localforge, gitlab_project, researcher
):
    mine = gitlab_project(owner=(researcher.username, researcher.gitlab_token))
    other = gitlab_project()
    found = {c.path: c for c in registration.registrable_projects(researcher)}
    assert mine.path in found and other.path not in found
    assert not found[mine.path].registered


def test_non_maintainer_is_refused_and_nothing_is_stored(
    forge_settings, gitlab_project, researcher
):
    glp = gitlab_project()  # someone else's project
    with pytest.raises(registration.RegistrationError, match="not a maintainer"):
        registration.register(
            user=researcher, gitlab_ref=glp.path, **details(team_ensure_path(path="AI/Vision"))
        )
    assert not Project.objects.exists()


def test_developer_access_is_not_enough(forge_settings, localforge, gitlab_project, researcher):
    glp = gitlab_project()
    localforge.add_member(glp.path, researcher.username, 30)
    with pytest.raises(registration.RegistrationError, match="not a maintainer"):
        registration.register(
            user=researcher, gitlab_ref=glp.path, **details(team_ensure_path(path="AI/Vision"))
        )


def test_unknown_project_and_foreign_host_are_refused(forge_settings, researcher):
    team = team_ensure_path(path="AI/Vision")
    with pytest.raises(registration.RegistrationError, match="has no project"):
        registration.register(user=researcher, gitlab_ref="nobody/nothing", **details(team))
    with pytest.raises(registration.RegistrationError, match="not on the institute's GitLab"):
        registration.register(user=researcher, gitlab_ref="https://gitlab.com/a/b", **details(team))
    assert not Project.objects.exists()


def test_gitlab_unreachable_leaves_nothing_behind(
    forge_settings, localforge, gitlab_project, researcher
):
    glp = gitlab_project(owner=(researcher.username, researcher.gitlab_token))
    localforge.inject_fault("gitlab", 503, count=50)
    try:
        with pytest.raises(registration.RegistrationError, match="cannot be reached"):
            registration.register(
                user=researcher, gitlab_ref=glp.path, **details(team_ensure_path(path="AI/Vision"))
            )
    finally:
        localforge.clear_faults("gitlab")
    assert not Project.objects.exists()


def test_bad_license_is_refused_before_storing(forge_settings, gitlab_project, researcher):
    glp = gitlab_project(owner=(researcher.username, researcher.gitlab_token))
    team = team_ensure_path(path="AI/Vision")
    with pytest.raises(registration.RegistrationError, match="not a valid SPDX"):
        registration.register(
            user=researcher, gitlab_ref=glp.path, **details(team, license="GPL-9")
        )
    assert not Project.objects.exists()


def test_hook_install_failure_keeps_the_registration_and_is_retried(
    forge_settings, localforge, gitlab_project, researcher
):
    from federation import tasks
    from federation.forges.errors import RateLimited, Unavailable

    # The task retries forge outages and rate limits (Celery autoretry with backoff)...
    assert {Unavailable, RateLimited} <= set(tasks.project_hooks_install.autoretry_for)
    assert tasks.project_hooks_install.retry_backoff and tasks.project_hooks_install.max_retries
    glp = gitlab_project(owner=(researcher.username, researcher.gitlab_token))
    team = team_ensure_path(path="AI/Vision")
    # ...GitLab's hooks API is down for longer than the adapter's own retries:
    localforge.inject_fault("gitlab", 503, count=20, path_prefix=f"/api/v4/projects/{glp.id}/hooks")
    try:
        project, created = registration.register(
            user=researcher, gitlab_ref=glp.path, **details(team)
        )
    finally:
        localforge.clear_faults("gitlab")
    assert created  # the registration itself stands
    project.refresh_from_db()
    assert project.hook_state == "pending" and hooks_of(localforge, glp.id) == []
    # The retry (what Celery runs next) installs exactly one hook.
    assert tasks.project_hooks_install.run(project.pk).startswith("hook ")
    project.refresh_from_db()
    assert project.hook_state == "installed" and len(hooks_of(localforge, glp.id)) == 1
