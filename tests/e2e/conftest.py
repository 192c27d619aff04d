"""Helpers for the journey tests: numbered screenshots per journey, and signing in as someone.

Screenshots go to test-results/journeys/<journey>/NN-name.png (E2E_JOURNEYS_DIR overrides the
folder). With SAVE_README_SCREENSHOTS=1 the pages the README shows are also written to
docs/screenshots/<name>.png: 1280 pixels wide, the top of the page up to README_MAX_HEIGHT.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import gitlab
import pytest
import requests

from tests.fixtures.browser import sign_in
from tests.fixtures.forges import GitLabProject
from tests.localforge.helpers import make_repo

ROOT = Path(__file__).resolve().parents[2]
JOURNEYS = Path(os.environ.get("E2E_JOURNEYS_DIR", "test-results/journeys"))
README_SHOTS = ROOT / "docs" / "screenshots"
README_MAX_HEIGHT = 1900
PASSWORD = "pw-for-tests-123"


class Shots:
    """`shots("catalogue")` saves the page as NN-catalogue.png in the journey's folder."""

    def __init__(self, page, journey: str):
        self.page = page
        self.folder = JOURNEYS / journey
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.count = 0
        self.readme = os.environ.get("SAVE_README_SCREENSHOTS", "") in {"1", "true", "yes"}

    def __call__(self, name: str, *, readme: str | None = None) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 0
        if readme and self.readme:
            README_SHOTS.mkdir(parents=True, exist_ok=True)
            height = min(self.page.evaluate("document.body.scrollHeight"), README_MAX_HEIGHT)
            clip = {"x": 0, "y": 0, "width": self.page.viewport_size["width"], "height": height}
            self.page.screenshot(
                path=str(README_SHOTS / f"{readme}.png"), full_page=True, clip=clip
            )
        return path


@pytest.fixture
def shots(page, request) -> Shots:
    journey = request.module.__name__.rpartition(".")[2].removeprefix("test_journey_")
    return Shots(page, journey)


@pytest.fixture
def fast_passwords(settings):
    """PBKDF2 costs ~0.3 s per user; these journeys make several."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def as_user(page, username: str, password: str = PASSWORD) -> None:
    """Sign out (drop the session) and sign in through the login page as `username`."""
    page.context.clear_cookies()
    sign_in(page, username, password)


def until(predicate, *, timeout: float = 60, what: str = "condition"):
    """Poll `predicate` until it returns something truthy (the forges deliver in the
    background); fail saying what did not happen."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def forge_user(localforge, username: str) -> tuple[str, str]:
    """A localforge user named `username` (or, if the name is taken in this session, a fresh
    one like it): (username, token). Readable names make readable screenshots."""
    for name in (username, localforge.unique(f"{username}-")):
        try:
            _, token = localforge.create_user(name, email=f"{name}@institute.example")
        except requests.HTTPError:
            continue
        return name, token
    raise AssertionError(f"could not create a localforge user like {username}")


def named_gitlab_project(localforge, work: Path, owner, group: str, name: str, files: dict):
    """Like the `gitlab_project` fixture, with a readable group and name (made unique when this
    session already has them), owned by `owner` = (username, token); one commit per file."""
    try:
        grp = localforge.create_group(group)
    except requests.HTTPError:
        grp = localforge.create_group(localforge.unique(f"{group}-"))
    localforge.add_member(grp, owner[0], 50)
    gl = gitlab.Gitlab(localforge.gitlab_url, private_token=owner[1])
    project = gl.projects.create({"name": name, "namespace_id": grp["id"]})
    glp = GitLabProject(
        project.id, project.path_with_namespace, project.web_url, project.http_url_to_repo,
        make_repo(work / f"work-{project.id}", commits=0), localforge.git_auth_header(owner[1]),
        owner[0], owner[1],
    )  # fmt: skip
    for filename, content in files.items():
        glp.push(filename, content, f"Add {filename}")
    return glp
