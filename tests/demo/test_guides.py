"""The guides: each renders for a signed-in user in English and Korean, shows live facts (the
license table, the policy in force), and is linked from the pages that need it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from guides.selectors import GUIDES
from incentives.policies import policy_publish
from people.roles import MANAGER, RESEARCHER
from tests.factories import UserFactory
from tests.review.workflow_fixtures import FakeFinding, in_review, world  # noqa: F401

pytestmark = pytest.mark.django_db

# A phrase from each guide's prose, per language.
PROSE = {
    "release": ("The committee approves", "심의위원회는"),
    "licenses": ("Every public release carries one", "모든 공개물에는"),
    "repository": ("A repository that is ready for release", "공개할 준비가 된 저장소는"),
    "contributing": ("Inner source means working", "이너소스는 오픈소스처럼"),
}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def reader(client):
    client.force_login(UserFactory(username="reader", roles=[RESEARCHER]))
    return client


def in_language(client, code):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = code


def links(html: str, slug: str) -> list[str]:
    return re.findall(rf'href="(/guides/{slug}/[^"]*)"', html)


@pytest.mark.parametrize("slug", [g.slug for g in GUIDES])
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_each_guide_renders_in_english_and_korean(reader, slug, lang):
    in_language(reader, lang)
    page = reader.get(f"/guides/{slug}/")
    assert page.status_code == 200
    html = page.content.decode()
    english, korean = PROSE[slug]
    assert f'data-testid="guide-{slug}" lang="{lang}"' in html
    assert (english if lang == "en" else korean) in html
    assert (korean if lang == "en" else english) not in html
    assert html.count('href="/guides/') >= len(GUIDES)  # the guide menu


def test_language_code_picks_korean_without_a_choice(reader, settings):
    settings.LANGUAGE_CODE = "ko"
    html = reader.get("/guides/release/").content.decode()
    assert '<html lang="ko">' in html and "공개 절차" in html
    index = reader.get("/guides/").content.decode()
    assert "라이선스 선택" in index and "Choosing a license" not in index  # translated titles


def test_guides_need_a_sign_in_and_a_known_name(client, reader):
    client.logout()
    assert client.get("/guides/release/").status_code == 302
    reader.force_login(UserFactory(username="someone"))
    assert reader.get("/guides/nothing-here/").status_code == 404


def test_license_guide_shows_the_screenings_compatibility(reader):
    page = reader.get("/guides/licenses/")
    rows = dict(page.context["matrix"])
    assert dict(rows["Apache-2.0"])["MIT"] == "yes"
    assert dict(rows["Apache-2.0"])["GPL-3.0-only"] == "no"
    assert dict(rows["GPL-3.0-only"])["Apache-2.0"] == "yes"
    assert 'data-testid="license-matrix"' in page.content.decode()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_contribution_guide_shows_the_policy_in_force(reader, lang):
    policy_publish(effective_from=timezone.localdate(), summary="Bigger base.", base_points=12)
    in_language(reader, lang)
    html = reader.get("/guides/contributing/").content.decode()
    section = html.split('data-testid="policy-in-force"')[1].split("</section>")[0]
    assert ("Version 2" if lang == "en" else "버전 2") in section
    assert "12" in section and "10 ×" not in section
    assert 'href="/incentives/policy/"' in html


# -- links from the pages that need them -----------------------------------------------------


def test_request_page_links_release_repository_and_license_guides(client, world):  # noqa: F811
    client.force_login(world.researcher)
    html = client.get(f"/review/projects/{world.project.pk}/request/").content.decode()
    assert links(html, "release") and links(html, "repository") and links(html, "licenses")


def test_disclosure_page_links_the_guide_of_each_finding(client, world):  # noqa: F811
    findings = [
        FakeFinding(check="licenses", rule="license-file-missing", path="LICENSE",
                    line=None, message="no LICENSE file", fingerprint="fp-lic"),
        FakeFinding(check="secrets", rule="private-key", fingerprint="fp-key"),
    ]  # fmt: skip
    d = in_review(world, findings)
    client.force_login(world.legal)
    html = client.get(f"/review/disclosures/{d.pk}/").content.decode()
    assert "/guides/release/#states" in links(html, "release")
    assert "/guides/release/#check-secrets" in links(html, "release")
    assert "/guides/release/#findings" in links(html, "release")
    assert links(html, "licenses") == ["/guides/licenses/"]
    assert links(html, "repository") == ["/guides/repository/#prepare"]


def test_review_queue_links_the_release_guide(client, world):  # noqa: F811
    client.force_login(world.legal)
    html = client.get("/review/").content.decode()
    assert links(html, "release") == ["/guides/release/"]


def test_registration_form_links_the_license_guide(client, forge_settings):
    client.force_login(UserFactory(username="regina", roles=[RESEARCHER]))
    page = client.get("/projects/register/")
    assert page.status_code == 200
    html = page.content.decode()
    assert links(html, "licenses") == ["/guides/licenses/"]
    assert links(html, "repository") == ["/guides/repository/#required"]


def test_catalogue_dashboard_and_policy_link_the_contribution_guide(client):
    client.force_login(UserFactory(username="mona", roles=[MANAGER]))
    for url in ("/projects/", "/incentives/", "/incentives/policy/"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert links(page.content.decode(), "contributing"), url
    assert links(client.get("/incentives/policy/").content.decode(), "contributing") == [
        "/guides/contributing/#points"
    ]


def test_guides_are_in_the_menu(reader):
    html = reader.get("/projects/").content.decode()
    assert '<a class="nav-link" href="/guides/">Guides</a>' in html
    in_language(reader, "ko")
    assert ">가이드</a>" in reader.get("/projects/").content.decode()


def test_a_future_policy_version_is_not_in_force_yet(reader):
    day = timezone.localdate() + dt.timedelta(days=3)
    policy_publish(effective_from=day, summary="Later.")
    in_language(reader, "ko")
    html = reader.get("/guides/contributing/").content.decode()
    assert "버전 1" in html  # the future version is not in force yet
