import pytest

from people import services
from people.roles import RESEARCHER
from tests.factories import UserFactory
from tests.fixtures.browser import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ORG = (
    "email,name,team_path,start,end,gitlab_username,github_login\n"
    "minji.kim@institute.example,Kim Minji,AI Research/Vision Lab,2025-01-01,,minji-kim,\n"
    "jihoon.lee@institute.example,Lee Jihoon,Systems/Platform,2025-01-01,,jihoon-lee,\n"
)


def test_sign_in_and_open_directory(page, screenshot):
    services.org_import(text=ORG, create_teams=True)
    UserFactory(username="alice", roles=[RESEARCHER])

    page.goto("/directory/")
    assert "/accounts/login/" in page.url  # anonymous visitors are sent to sign in

    sign_in(page, "alice", "pw-for-tests-123")
    page.goto("/directory/")
    table = page.get_by_test_id("people-table")
    assert table.get_by_text("Kim Minji").is_visible()
    assert table.get_by_text("Lee Jihoon").is_visible()
    screenshot("directory")

    page.get_by_test_id("team-tree").get_by_text("Vision Lab").click()
    page.wait_for_url("**/directory/?team=*")
    assert table.get_by_text("Kim Minji").is_visible()
    assert table.get_by_text("Lee Jihoon").count() == 0

    page.fill("input[name=q]", "jihoon")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=jihoon*")
    assert table.get_by_text("Nobody matches.").is_visible()  # still filtered to Vision Lab


def test_wrong_password_shows_an_error(page):
    UserFactory(username="bob")
    page.goto("/accounts/login/")
    page.fill("input[name=login]", "bob")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    assert page.get_by_text("not correct").first.is_visible()
