"""Helpers for the journey tests: numbered screenshots per journey, and signing in as someone.

Screenshots go to test-results/journeys/<journey>/NN-name.png (E2E_JOURNEYS_DIR overrides the
folder). With SAVE_README_SCREENSHOTS=1 the pages the README shows are also written to
docs/screenshots/<name>.png, at the 1280-pixel-wide viewport (not the full page).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.fixtures.browser import sign_in

ROOT = Path(__file__).resolve().parents[2]
JOURNEYS = Path(os.environ.get("E2E_JOURNEYS_DIR", "test-results/journeys"))
README_SHOTS = ROOT / "docs" / "screenshots"
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
            self.page.screenshot(path=str(README_SHOTS / f"{readme}.png"), full_page=False)
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
