"""Polish: pages fit a phone and a desktop, form errors sit beside their fields, and times are shown
in the institute's time zone. (Live screening progress is covered in tests/review/test_review_e2e.py.)
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.urls import reverse

from people.roles import COMMITTEE_MEMBER, MANAGER
from review.models import Disclosure
from tests.fixtures.browser import sign_in
from tests.review import workflow_fixtures
from tests.review.workflow_fixtures import PASSWORD, in_review, make_user

world = workflow_fixtures.world
ROOT = Path(__file__).resolve().parent.parent
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


def _viewer(world):
    """A committee member who is also a manager: every main page is open to them."""
    user = make_user(
        "mina",
        [COMMITTEE_MEMBER, MANAGER],
        workflow_fixtures.people_services.team_ensure_path(path="Legal/Office"),
    )
    workflow_fixtures.assign(user, "legal")
    return user


def _main_pages(world, d) -> dict[str, str]:
    return {
        "home": reverse("home"),
        "catalogue": reverse("projects:catalogue"),
        "project": reverse("projects:detail", args=[world.project.pk]),
        "disclosure": reverse("review:disclosure", args=[d.pk]),
        "queue": reverse("review:queue"),
        "dashboard": reverse("incentives:dashboard"),
        "directory": reverse("people:directory"),
        "policy": reverse("incentives:policy"),
    }


# -- widths ------------------------------------------------------------------------------------

OVERFLOW = """() => {
  const page = document.scrollingElement;
  const wide = [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
    .filter((el) => !el.closest(".table-responsive, .overflow-auto, .collapse:not(.show)"))
    .slice(0, 5)
    .map((el) => el.tagName + "." + el.className);
  return {scroll: page.scrollWidth, inner: window.innerWidth, wide};
}"""


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_main_pages_fit_a_phone_and_a_desktop(world, page, screenshot):
    viewer = _viewer(world)
    d = workflow_fixtures.submitted(world)  # committed at once: the real screening runs
    d.refresh_from_db()
    assert d.state == Disclosure.State.IN_REVIEW
    Disclosure.objects.filter(pk=d.pk).update(
        purpose="Share the demo library with partners. " * 8,
        state_reason="A-long-unbroken-reason-" * 6,
    )
    sign_in(page, viewer.username, PASSWORD)
    too_wide = []
    for width in (PHONE, DESKTOP):
        page.set_viewport_size(width)
        for name, url in _main_pages(world, d).items():
            page.goto(url)
            page.wait_for_load_state("load")
            fit = page.evaluate(OVERFLOW)
            if fit["scroll"] > fit["inner"]:
                too_wide.append((width["width"], name, fit))
            toggler, menu = page.locator(".navbar-toggler"), page.locator("#nav")
            if width is PHONE:
                assert toggler.is_visible() and not menu.is_visible(), name  # collapsed
                if name in ("catalogue", "disclosure", "dashboard"):
                    screenshot(f"phone-{name}")
            else:
                assert not toggler.is_visible() and menu.is_visible(), name
    assert too_wide == []
    page.set_viewport_size(PHONE)
    page.goto(reverse("projects:catalogue"))
    page.locator(".navbar-toggler").click()
    page.locator("#nav").get_by_role("link", name="Directory").wait_for(state="visible")
    page.locator("#nav").get_by_role("link", name="Directory").click()
    page.wait_for_url("**/directory/")

    # The switcher, in the browser: Korean text must fit the phone as well.
    page.set_viewport_size(DESKTOP)
    page.select_option("select[name=language]", "ko")
    page.wait_for_url("**/directory/")
    page.get_by_role("heading", name="사람과 팀").wait_for()
    page.set_viewport_size(PHONE)
    for name, url in _main_pages(world, d).items():
        page.goto(url)
        fit = page.evaluate(OVERFLOW)
        if fit["scroll"] > fit["inner"]:
            too_wide.append(("ko", name, fit))
        if name in ("catalogue", "disclosure"):
            screenshot(f"phone-ko-{name}")
    assert page.locator("html").get_attribute("lang") == "ko"
    assert too_wide == []


# -- form errors -------------------------------------------------------------------------------


def _field_block(html: str, name: str) -> str:
    """The form group of one field: from its label to the end of its <div class="mb-3">."""
    match = re.search(
        rf'<div class="mb-3">\s*<label class="form-label" for="id_{name}">.*?\n  </div>', html, re.S
    )
    assert match, f"no form group for {name}"
    return match.group(0)


def _assert_error_beside(html: str, name: str, words: str) -> None:
    block = _field_block(html, name)
    field = re.search(rf'<(input|select|textarea)[^>]*\bid="id_{name}"[^>]*>', block)
    assert field, name
    assert "is-invalid" in field.group(0) and 'aria-invalid="true"' in field.group(0)
    described = re.search(r'aria-describedby="([^"]*)"', field.group(0))
    assert described and f"id_{name}_error" in described.group(1).split()
    error = re.search(
        rf'<div class="invalid-feedback d-block" id="id_{name}_error"'
        rf' data-testid="error-{name}">(.*?)</div>',
        block[field.end() :],
        re.S,
    )
    assert error, f"the error of {name} follows its field"
    assert words in error.group(1)


@pytest.mark.django_db
def test_project_form_errors_sit_next_to_their_fields(world, client):
    assert client.login(username=world.researcher.username, password=PASSWORD)
    url = reverse("projects:edit", args=[world.project.pk])
    response = client.post(url, {"summary": "", "license": "not a license!", "sharing": "internal"})
    assert response.status_code == 200
    html = response.content.decode()
    _assert_error_beside(html, "summary", "This field is required.")
    _assert_error_beside(html, "license", "is not a valid SPDX license expression")
    assert 'id="id_description_error"' not in html  # fields without errors have none
    assert 'aria-invalid="true"' not in _field_block(html, "description")


@pytest.mark.django_db
def test_release_request_errors_sit_next_to_their_fields_in_korean_too(world, client, settings):
    settings.LANGUAGE_CODE = "ko"
    assert client.login(username=world.researcher.username, password=PASSWORD)
    url = reverse("review:request", args=[world.project.pk])
    data = {**workflow_fixtures.PLAN, "maintainers": "alice-gh", "sha": "abc"}
    html = client.post(url, data).content.decode()
    _assert_error_beside(html, "sha", "40자 전체 커밋 SHA를 적어 주세요.")
    assert "커밋 SHA" in _field_block(html, "sha")  # the label, translated


def test_form_templates_render_fields_through_the_shared_include():
    """`{{ form }}` or `form.as_p` would list errors above the field, away from it."""
    offenders = []
    for path in ROOT.glob("*/templates/**/*.html"):
        text = path.read_text()
        if re.search(r"\{\{\s*form\s*\}\}|\bform\.as_(p|ul|table|div)\b", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
    include = (ROOT / "config/templates/includes/form.html").read_text()
    assert include.index("field.as_widget") < include.index("invalid-feedback")


# -- time zone ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_times_are_shown_in_the_institute_time_zone(world, client, settings):
    viewer = _viewer(world)
    d = in_review(world)
    Disclosure.objects.filter(pk=d.pk).update(
        submitted_at=dt.datetime(2026, 3, 1, 15, 30, tzinfo=dt.UTC)
    )
    assert client.login(username=viewer.username, password=PASSWORD)
    assert settings.TIME_ZONE == "Asia/Seoul"  # the default
    html = client.get(reverse("review:queue")).content.decode()
    assert "2026-03-02 00:30" in html  # 15:30 UTC is 00:30 the next day in Seoul
    assert "2026-03-01 15:30" not in html
    assert '<span data-testid="time-zone">Asia/Seoul</span>' in html
    page = client.get(reverse("review:disclosure", args=[d.pk])).content.decode()
    assert "2026-03-02 00:30" in page

    settings.TIME_ZONE = "UTC"  # INSTITUTE_TIME_ZONE=UTC
    html = client.get(reverse("review:queue")).content.decode()
    assert "2026-03-01 15:30" in html
    assert '<span data-testid="time-zone">UTC</span>' in html
