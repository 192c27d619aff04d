"""Browser: a researcher requests a release, the screening blocks on a planted key, the
security lane waives it, two committee members of different lanes sign off, the chair approves."""

import pytest
from playwright.sync_api import expect

from review import screening
from review.models import AuditEntry, Disclosure, Screening, Waiver
from tests.fixtures.browser import sign_in
from tests.review import workflow_fixtures
from tests.review.screening_helpers import RSA_KEY
from tests.review.workflow_fixtures import PASSWORD

# Our fixtures, made visible to pytest here (browser, page and screenshot come from the plugin).
world = workflow_fixtures.world
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def as_user(page, user):
    page.context.clear_cookies()
    sign_in(page, user.username, PASSWORD)


def state(page) -> str:
    return page.get_by_test_id("disclosure-state").get_attribute("data-state")


def test_submit_to_approved(world, page, screenshot):
    key_commit = world.commit({"certs/server.pem": RSA_KEY}, message="TLS for the demo server")

    # The researcher asks for the release of one commit from the project page.
    as_user(page, world.researcher)
    page.goto(f"/projects/{world.project.pk}/")
    page.get_by_test_id("request-release").click()
    page.fill("#id_sha", key_commit)
    page.select_option("#id_mode", "full_history")
    page.fill("#id_outbound_license", "Apache-2.0")
    page.fill("#id_purpose", "Share the demo tool with partner labs.")
    page.fill("#id_target_repo", "demo-tool")
    page.fill("#id_maintainers", "alice-gh")
    page.select_option("#id_expected_contributions", "occasional")
    screenshot("request")
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url("**/review/disclosures/*/")
    d = Disclosure.objects.get()
    assert state(page) == "screen_failed"
    assert page.get_by_test_id("blocking-count").inner_text() == "1"
    screenshot("screen-failed")

    # The security lane waives the planted test key; nothing blocks any more.
    as_user(page, world.security)
    page.goto("/review/?lane=security")
    page.get_by_test_id(f"queue-row-{d.pk}").get_by_role("link").click()
    finding = page.locator("[data-testid^=finding-]", has_text="private-key")
    finding.get_by_text("Waive", exact=True).click()
    form = finding.locator("form")
    form.locator("select[name=lane]").select_option("security")
    form.locator("textarea[name=reason]").fill("Throw-away key of the local demo server.")
    form.get_by_role("button", name="Waive this finding").click()
    page.wait_for_load_state()
    assert state(page) == "in_review"
    assert page.get_by_test_id("waived").first.is_visible()
    for lane in ("security", "ip"):
        page.get_by_test_id("vote-form").locator("select[name=lane]").select_option(lane)
        page.get_by_test_id("sign-off").click()
        page.wait_for_load_state()
    assert page.get_by_test_id("lane-security").get_attribute("data-decision") == "signed_off"

    # A committee member of another lane signs legal and export off.
    as_user(page, world.legal)
    page.goto(f"/review/disclosures/{d.pk}/")
    for lane in ("legal", "export"):
        page.get_by_test_id("vote-form").locator("select[name=lane]").select_option(lane)
        page.get_by_test_id("sign-off").click()
        page.wait_for_load_state()
    screenshot("lanes-signed")

    # The same-team committee member is shown the conflict and offered no lane actions.
    as_user(page, world.teammate)
    page.goto(f"/review/disclosures/{d.pk}/")
    assert page.get_by_test_id("conflict").is_visible()
    assert page.get_by_test_id("vote-form").count() == 0

    # The chair approves exactly this commit.
    as_user(page, world.chair)
    page.goto(f"/review/disclosures/{d.pk}/")
    assert page.get_by_test_id("blockers").count() == 0
    page.get_by_test_id("approve").click()
    page.wait_for_load_state()
    assert state(page) == "approved"
    assert page.get_by_test_id("approved-sha").inner_text() == key_commit[:12]
    screenshot("approved")

    d.refresh_from_db()
    assert d.state == Disclosure.State.APPROVED and d.approved_sha == key_commit
    assert Waiver.objects.get().created_by == world.security
    voters = set(d.votes.values_list("by__username", flat=True))
    assert voters == {"bob", "carol"}
    chair_entry = AuditEntry.objects.get(disclosure=d, from_state="in_review", to_state="approved")
    assert chair_entry.actor == world.chair
    # The audit log is on the page, newest last.
    rows = page.get_by_test_id("audit-log").locator("tbody tr")
    assert "approved" in rows.last.inner_text()


def test_screening_progress_is_shown_live(world, page):
    d = Disclosure.objects.create(
        project=world.project,
        state=Disclosure.State.SUBMITTED,
        sha=world.sha,
        outbound_license="Apache-2.0",
        purpose="p",
        target_repo="demo",
        maintainers=["alice-gh"],
        submitted_by=world.researcher,
    )
    s = Screening.objects.create(
        project=world.project, disclosure=d, sha=world.sha, progress_phase="listing"
    )
    as_user(page, world.researcher)
    page.goto(f"/review/disclosures/{d.pk}/")
    assert state(page) == "submitted"
    Screening.objects.filter(pk=s.pk).update(
        progress_done=3, progress_total=10, progress_phase="blobs"
    )
    # (A locator assertion: the CSP forbids the eval behind a string wait_for_function.)
    expect(page.locator("#screening-phase")).to_have_text("blobs 3/10")
    assert page.locator("#screening-bar").inner_text() == "30%"
    screening.screening_run(screening=s)  # the engine runs; the page reloads by itself
    page.wait_for_selector("[data-testid=disclosure-state][data-state=in_review]")
    assert page.get_by_test_id("screening-state").inner_text() == "Done"
