"""An org with two divisions, people with memberships, and a project owned by Research/Vision.

Research/Vision   alice, dave (dave merges merge requests)
Research/Speech   bob
Platform/Infra    carol
"""

import datetime as dt
from types import SimpleNamespace

import pytest

from people.models import Identity
from people.services import team_ensure_path
from tests.factories import MembershipFactory, PersonFactory, ProjectFactory
from tests.incentives.gitrepo import Repo

START = dt.date(2025, 1, 1)
ALICE = ("Alice Vision", "alice@inst.example")
BOB = ("Bob Speech", "bob@inst.example")
CAROL = ("Carol Infra", "carol@inst.example")
DAVE = ("Dave Vision", "dave@inst.example")
RENOVATE = ("renovate[bot]", "29139614+renovate[bot]@users.noreply.github.com")


def person(who, team, start=START, end=None):
    p = PersonFactory(name=who[0], email=who[1])
    Identity.objects.create(person=p, kind=Identity.Kind.EMAIL, value=who[1])
    MembershipFactory(person=p, team=team, start=start, end=end)
    return p


@pytest.fixture
def org(db):
    teams = SimpleNamespace(
        vision=team_ensure_path(path="Research/Vision"),
        speech=team_ensure_path(path="Research/Speech"),
        infra=team_ensure_path(path="Platform/Infra"),
    )
    teams.research = teams.vision.parent
    teams.platform = teams.infra.parent
    people = SimpleNamespace(
        alice=person(ALICE, teams.vision),
        bob=person(BOB, teams.speech),
        carol=person(CAROL, teams.infra),
        dave=person(DAVE, teams.vision),
    )
    project = ProjectFactory(path="group/vision-kit", name="vision-kit", owner=teams.vision)
    return SimpleNamespace(teams=teams, people=people, project=project)


@pytest.fixture
def repo(tmp_path):
    r = Repo(tmp_path / "work")
    r.commit({"README.md": "vision kit\n"}, author=ALICE, date="2025-01-02T09:00:00+09:00")
    return r


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """UserFactory hashes a password per user; a fast hasher keeps these tests quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
