"""The Content-Security-Policy in a real browser: the pages work under it (language switch,
project page, admin, API docs) and Chromium reports no violation."""

import pytest

from people.roles import OSPO_ADMIN
from tests.factories import ProjectFactory, UserFactory
from tests.fixtures.browser import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_pages_run_under_the_policy_without_violations(page, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    violations = []
    page.on(
        "console",
        lambda m: (
            violations.append((page.url, m.text)) if "Content Security Policy" in m.text else None
        ),
    )
    user = UserFactory(username="csp-admin", roles=[OSPO_ADMIN], is_staff=True, is_superuser=True)
    project = ProjectFactory(has_contributing=True, contributing_text="Line one\n  indented two")

    page.goto("/accounts/login/")
    sign_in(page, user.username, "pw-for-tests-123")

    page.goto(f"/projects/{project.pk}/")
    contributing = page.get_by_test_id("contributing")
    assert contributing.evaluate("e => getComputedStyle(e).whiteSpace") == "pre-wrap"

    # The language picker submits itself (app.js, not an onchange attribute).
    with page.expect_navigation():
        page.select_option("select[name=language]", "ko")
    assert page.locator("html").get_attribute("lang") == "ko"
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")

    page.goto("/admin/")
    page.wait_for_selector("#content")
    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=20_000)

    assert violations == []
