"""Journey 1, the researcher: signs in, registers a GitLab project that has no LICENSE file,
finds it in the catalogue, requests its public release, watches the screening and reads the
findings, fixes the missing license by pushing a commit to GitLab (git over HTTP), and
resubmits the new commit: its screening no longer has that finding.

Everything forge-side is real: the project is on localforge's GitLab, registration installs a
push webhook pointing at the live server, and the push is delivered by localforge to it, which
syncs the service's mirror. The screening task is queued on commit as in production; the test
holds the queued task and runs it as the worker would, so the page first shows the waiting
screening and then updates by itself when it is done.
"""

import subprocess

import pytest

from federation import repos
from people.models import Identity
from people.roles import RESEARCHER
from people.services import team_ensure_path
from projects.models import Project
from review import tasks
from review.models import Disclosure, Screening
from tests.e2e.conftest import as_user, forge_user, named_gitlab_project, until
from tests.factories import MembershipFactory, PersonFactory, ProjectFactory, UserFactory
from tests.review.screening_helpers import APACHE_2, clean_files

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PLANTED = {k: v for k, v in clean_files().items() if k != "LICENSE"}  # no LICENSE file


class HeldQueue:
    """Stands in for the broker: keeps the screening tasks queued on commit until the test
    runs them, in order, through the real task."""

    def __init__(self):
        self.ids: list[int] = []

    def apply_async(self, args=None, queue=None, **kwargs):
        self.ids.append(args[0])

    def run_next(self) -> str:
        return tasks.screen_disclosure.apply(args=[self.ids.pop(0)]).get()


@pytest.fixture
def held(monkeypatch):
    queue = HeldQueue()
    monkeypatch.setattr(tasks.screen_disclosure, "apply_async", queue.apply_async)
    return queue


def colleagues_projects():
    """Other projects in the catalogue, so that the search has something to leave out."""
    speech = team_ensure_path(path="AI Research/Speech Lab")
    infra = team_ensure_path(path="Platform/Infra")
    for name, summary, topics, owner in [
        ("asr-toolkit", "Speech recognition pipelines for Korean", ["speech", "asr"], speech),
        ("gpu-scheduler", "Fair sharing of the GPU cluster", ["hpc", "scheduling"], infra),
        ("data-catalog", "Where the institute's data sets live", ["data"], infra),
    ]:
        ProjectFactory(name=name, path=f"{owner.name.lower().replace(' ', '-')}/{name}",
                       summary=summary, topics=topics, owner=owner, license="Apache-2.0",
                       language="Python", activity_score=10 + len(summary))  # fmt: skip


def mirror_head(project) -> str:
    path = repos.mirror_path(project.key)
    if not (path / "HEAD").is_file():
        return ""
    out = subprocess.run(
        ["git", f"--git-dir={path}", "rev-parse", f"refs/heads/{project.default_branch}"],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def rules(page) -> set[str]:
    findings = page.get_by_test_id("findings").locator("[data-testid^=finding-]")
    return {findings.nth(i).locator("strong").first.inner_text() for i in range(findings.count())}


def test_researcher_journey(
    page, shots, held, fast_passwords, forge_settings, localforge, live_server, tmp_path
):
    forge_settings.SERVICE_URL = live_server.url  # the webhook localforge will call
    login, token = forge_user(localforge, "minji")
    team = team_ensure_path(path="AI Research/Vision Lab")
    user = UserFactory(username="minji", email=f"{login}@institute.example", roles=[RESEARCHER])
    person = PersonFactory(user=user, name="Kim Minji", email=user.email)
    Identity.objects.create(person=person, kind="gitlab", value=login)
    MembershipFactory(person=person, team=team)
    glp = named_gitlab_project(
        localforge, tmp_path, (login, token), "vision-lab", "lens-kit", PLANTED
    )
    colleagues_projects()

    # Sign in through the login page and register the GitLab project.
    as_user(page, "minji")
    page.goto("/projects/")
    page.get_by_role("link", name="Register a project").click()
    page.get_by_test_id("candidates").get_by_text(glp.path).click()
    assert page.input_value("#id_gitlab_project") == glp.path
    page.fill("#id_summary", "Lens distortion correction for microscope cameras")
    page.fill("#id_topics", "vision, optics")
    page.fill("#id_license", "Apache-2.0")
    shots("register")
    page.get_by_test_id("register-form").locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=owner-team]")
    project = Project.objects.get(gitlab_id=glp.id)
    assert page.get_by_test_id("owner-team").inner_text() == "AI Research/Vision Lab"
    assert mirror_head(project) == glp.head()  # the first sync copied the repository

    # Find it in the catalogue by searching.
    page.goto("/projects/")
    results = page.get_by_test_id("catalogue-results")
    assert results.locator("a").count() == 4
    shots("catalogue", readme="catalogue")
    filters = page.get_by_test_id("catalogue-filters")
    filters.locator("input[name=q]").fill("microscope")
    filters.get_by_role("button", name="Go").click()
    page.wait_for_url("**q=microscope*")
    assert results.locator("a").count() == 1
    shots("catalogue-search")
    results.get_by_text("Lens distortion correction").click()
    page.wait_for_url(f"**/projects/{project.pk}/")

    # Request the release of the current head; the screening is queued.
    first = glp.head()
    page.get_by_test_id("request-release").click()
    page.fill("#id_sha", first)
    page.select_option("#id_mode", "full_history")
    page.fill("#id_purpose", "Share the correction with partner labs.")
    page.fill("#id_maintainers", "minji-gh")
    shots("request-release")
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url("**/review/disclosures/*/")
    d = Disclosure.objects.get(project=project)
    assert page.get_by_test_id("disclosure-state").get_attribute("data-state") == "submitted"
    assert page.get_by_test_id("screening-state").inner_text() == "Running"
    assert page.get_by_role("progressbar", name="Screening progress").is_visible()
    assert page.get_by_test_id("screening-phase").inner_text().startswith("queued")
    shots("screening-queued")

    # The worker screens it; the page notices and shows the findings.
    assert held.run_next() == "done"
    page.wait_for_selector(
        "[data-testid=disclosure-state][data-state=screen_failed]", timeout=30_000
    )
    assert page.get_by_test_id("screening-state").inner_text() == "Done"
    assert rules(page) == {"license-file-missing"}
    assert page.get_by_test_id("blocking-count").inner_text() == "1"
    shots("screen-failed")

    # Fix it: add the LICENSE and push to GitLab; localforge calls the webhook, which syncs.
    fixed = glp.push("LICENSE", APACHE_2, "Add the Apache-2.0 license")
    until(lambda: mirror_head(project) == fixed, timeout=60, what="the push to reach the mirror")
    hooks = localforge.deliveries("gitlab", event="Push Hook")
    assert any(h["payload"]["after"] == fixed for h in hooks)

    # Resubmit the new commit from the disclosure page.
    page.reload()
    page.get_by_test_id("resubmit-link").click()
    assert page.input_value("#id_purpose") == "Share the correction with partner labs."
    page.fill("#id_sha", fixed)
    page.get_by_test_id("resubmit-form").get_by_role("button", name="Resubmit").click()
    page.wait_for_url(f"**/review/disclosures/{d.pk}/")
    assert page.get_by_test_id("disclosure-sha").inner_text() == fixed
    assert page.get_by_test_id("screening-state").inner_text() == "Running"
    assert held.run_next() == "done"
    page.wait_for_selector("[data-testid=disclosure-state][data-state=in_review]", timeout=30_000)
    assert page.get_by_test_id("findings").count() == 0
    assert page.get_by_test_id("blocking-count").inner_text() == "0"
    shots("resubmitted-in-review")

    d.refresh_from_db()
    assert (d.sha, d.round, d.state) == (fixed, 2, Disclosure.State.IN_REVIEW)
    old, new = Screening.objects.filter(disclosure=d).order_by("pk")
    assert (old.sha, new.sha) == (first, fixed)
    assert old.findings.filter(rule="license-file-missing").exists()
    assert not new.findings.filter(rule="license-file-missing").exists()
