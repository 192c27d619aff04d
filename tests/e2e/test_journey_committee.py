"""Journey 2, the committee: a disclosure held by the screening for a planted test key. The
security member waives the key and signs the security and IP lanes off; the legal member signs
the legal and export lanes off; the chair approves. The federation engine publishes: the GitHub
repository appears on localforge with exactly the approved tree (minus the excluded paths), and
the project page links to it.

The project lives on localforge's GitLab; the screening reads the service's mirror of it, and
publishing pushes to localforge's GitHub with git over HTTP (tasks run in-process).
"""

import secrets

import pytest

from federation import pipeline
from federation.models import Mirror, PublishRules
from people.models import Identity
from people.roles import COMMITTEE_CHAIR, COMMITTEE_MEMBER, RESEARCHER
from people.services import team_ensure_path
from review import services as review
from review.models import Disclosure, Waiver
from tests.e2e.conftest import as_user, forge_user, named_gitlab_project
from tests.factories import PersonFactory, ProjectFactory
from tests.federation import test_publish_kit as kit
from tests.localforge.helpers import git
from tests.review.screening_helpers import RSA_KEY
from tests.review.workflow_fixtures import PLAN, assign, make_user

fed_settings = kit.fed_settings
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
EXCLUDED = ("internal/", ".gitlab-ci.yml")


@pytest.fixture
def fed(fed_settings, localforge, tmp_path):
    """The federation kit's registered project (tests.federation.test_publish_kit.fed), with a
    readable name for the screenshots."""
    owner = forge_user(localforge, "alice")
    glp = named_gitlab_project(localforge, tmp_path, owner, "perception-lab", "small-detector",
                               {"README.md": "# Small detector\n"})  # fmt: skip
    project = ProjectFactory(
        gitlab_id=glp.id, path=glp.path, name=glp.path.rpartition("/")[2], web_url=glp.web_url,
        clone_url=glp.http_url, default_branch="main", key=f"k{secrets.token_hex(8)}",
        owner=team_ensure_path(path="AI Research/Perception Lab"),
        topics=["vision", "object detection"], summary="A detector for small objects in drone images",
    )  # fmt: skip
    alice = PersonFactory(name=kit.ALICE[0], email=kit.ALICE[1])
    Identity.objects.create(person=alice, kind="email", value=kit.ALICE[1])
    Identity.objects.create(person=alice, kind="github", value="alice-gh")
    PublishRules.objects.create(project=project, tag_pattern="v*")
    pipeline.hooks_install(project=project)
    f = kit.Fed(localforge, fed_settings, glp, project, glp.work, tmp_path)
    f.commit(kit.FILES, message="Import the detector")
    return f


def state(page) -> str:
    return page.get_by_test_id("disclosure-state").get_attribute("data-state")


def sign_off(page, *lanes):
    for lane in lanes:
        page.get_by_test_id("vote-form").locator("select[name=lane]").select_option(lane)
        page.get_by_test_id("sign-off").click()
        page.wait_for_selector(f"[data-testid=lane-{lane}][data-decision=signed_off]")


def test_committee_journey(fed, page, shots):
    # The world: the researcher's project on GitLab, with a test key committed for the demo.
    owner = fed.project.ownerships.get().team
    office = team_ensure_path(path="Legal/Office")
    researcher = make_user("rita", [RESEARCHER], owner, email="rita@institute.example")
    legal = make_user("lee", [COMMITTEE_MEMBER], office)
    security = make_user("sam", [COMMITTEE_MEMBER], office)
    make_user("chae", [COMMITTEE_CHAIR], office)
    assign(legal, "legal", "export")
    assign(security, "security", "ip")
    sha = fed.commit({"certs/demo-server.pem": RSA_KEY}, message="TLS for the demo server")
    fed.sync(trigger="registration")  # the service's mirror, which the screening reads
    d = review.disclosure_request(
        project=fed.project, by=researcher, sha=sha, **{**PLAN, "target_repo": fed.project.name}
    )
    d.refresh_from_db()
    assert d.state == Disclosure.State.SCREEN_FAILED  # held for the key

    # Security: from the lane's queue to the disclosure; waive the key, sign two lanes off.
    as_user(page, "sam")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review").click()
    page.wait_for_url("**/review/")
    page.goto("/review/?lane=security")
    page.get_by_test_id(f"queue-row-{d.pk}").get_by_role("link").click()
    page.wait_for_url(f"**/review/disclosures/{d.pk}/")
    assert state(page) == "screen_failed"
    finding = page.locator("[data-testid^=finding-]", has_text="certs/demo-server.pem")
    assert finding.get_by_text("blocking").is_visible()
    shots("held-for-key")
    finding.get_by_text("Waive", exact=True).click()
    form = finding.locator("form")
    form.locator("select[name=lane]").select_option("security")
    form.locator("textarea[name=reason]").fill("Throw-away key of the local demo server.")
    form.get_by_role("button", name="Waive this finding").click()
    page.wait_for_selector("[data-testid=disclosure-state][data-state=in_review]")
    assert page.get_by_test_id("blocking-count").inner_text() == "0"
    assert page.get_by_test_id("waived").first.is_visible()
    sign_off(page, "security", "ip")
    shots("security-signed-with-waiver")

    # Legal, a different member and lanes.
    as_user(page, "lee")
    page.goto("/review/?lane=legal")
    page.get_by_test_id(f"queue-row-{d.pk}").get_by_role("link").click()
    page.wait_for_url(f"**/review/disclosures/{d.pk}/")
    sign_off(page, "legal", "export")
    for lane in ("legal", "security", "ip", "export"):
        assert page.get_by_test_id(f"lane-{lane}").get_attribute("data-decision") == "signed_off"
    shots("all-lanes-signed", readme="disclosure")

    # The chair approves this exact commit; publishing runs.
    as_user(page, "chae")
    page.goto(f"/review/disclosures/{d.pk}/")
    assert page.get_by_test_id("blockers").count() == 0
    page.get_by_test_id("approve").click()
    page.wait_for_selector("[data-testid=disclosure-state][data-state=released]")
    assert page.get_by_test_id("approved-sha").inner_text() == sha[:12]
    shots("approved-and-released")

    d.refresh_from_db()
    assert d.approved_sha == sha and d.approved_by.username == "chae"
    votes = {(v.lane, v.by.username) for v in d.votes.select_related("by")}
    assert votes == {("security", "sam"), ("ip", "sam"), ("legal", "lee"), ("export", "lee")}
    assert Waiver.objects.get(project=fed.project).created_by == security

    # The GitHub repository exists on localforge, with exactly the approved tree.
    mirror = Mirror.objects.get(project=fed.project)
    assert mirror.github_path in fed.org_repos()
    repo = fed.github_api("GET", f"/repos/{mirror.github_path}")
    assert repo["name"] == fed.project.name
    approved_tree = set(git("ls-tree", "-r", "--name-only", sha, cwd=fed.work).stdout.split())
    expected = {f for f in approved_tree if not f.startswith(EXCLUDED)}
    assert "certs/demo-server.pem" in expected  # waived, so it goes out
    assert fed.public_files() == expected
    assert fed.public_refs()["refs/heads/main"] == mirror.public_sha

    # The project page links the public repository.
    page.goto(f"/projects/{fed.project.pk}/")
    link = page.get_by_test_id("public-url")
    assert link.get_attribute("href") == repo["html_url"]
    assert page.get_by_test_id("panel-disclosure-state").inner_text() == "Released"
    shots("project-page-linked")
