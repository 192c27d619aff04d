"""Fixtures and helpers for the review workflow tests. Import what you use, e.g.

    from tests.review.workflow_fixtures import world, git_cache  # noqa: F401

Repositories are real: built with the git command line in temporary folders, then pushed to a
bare mirror at `repos.mirror_path(project.key)` under a temporary GIT_CACHE_DIR.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from federation import repos
from people import services as people_services
from people.models import Identity
from people.roles import COMMITTEE_CHAIR, COMMITTEE_MEMBER, RESEARCHER
from review import engine, screening, services
from review.models import Disclosure, LaneAssignment, Screening
from tests.factories import MembershipFactory, PersonFactory, ProjectFactory, UserFactory
from tests.review.screening_helpers import clean_files

PASSWORD = "pw-for-tests-123"
AUTHOR = "alice@institute.example"
BASE_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",
}


class WorkRepo:
    """A working repository driven by the git command line (author identity per commit)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.git("init", "--quiet", "--initial-branch=main")
        self.clock = 0

    def git(self, *args, input: bytes | None = None, env: dict | None = None) -> str:
        full_env = {**os.environ, **BASE_ENV, **(env or {})}
        out = subprocess.run(
            ["git", *args],
            cwd=self.path,
            input=input,
            capture_output=True,
            env=full_env,
            check=True,
            timeout=60,
        )
        return out.stdout.decode("utf-8", "replace")

    def write(self, files: dict[str, bytes | str]) -> None:
        for name, data in files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data.encode() if isinstance(data, str) else data)

    def symlink(self, name: str, target: str) -> None:
        (self.path / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, self.path / name)

    def remove(self, *names: str) -> None:
        self.git("rm", "--quiet", "--", *names)

    def commit(
        self,
        files: dict[str, bytes | str] | None = None,
        *,
        message: str = "change",
        author: str = AUTHOR,
        stage: bool = True,
    ) -> str:
        if files:
            self.write(files)
        if stage:
            self.git("add", "--all")
        self.clock += 1
        when = f"2025-01-01T00:{self.clock // 60:02d}:{self.clock % 60:02d}+00:00"
        env = {
            "GIT_AUTHOR_NAME": author.split("@")[0],
            "GIT_AUTHOR_EMAIL": author,
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_NAME": "Committer",
            "GIT_COMMITTER_EMAIL": "committer@institute.example",
            "GIT_COMMITTER_DATE": when,
        }
        self.git("commit", "--quiet", "--allow-empty", "-m", message, env=env)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()

    def publish(self, project) -> Path:
        """Push every branch and tag to the project's bare mirror (created if missing)."""
        mirror = repos.mirror_path(project.key)
        if not (mirror / "HEAD").is_file():
            mirror.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                ["git", "init", "--quiet", "--bare", "--initial-branch=main", str(mirror)],
                check=True,
                env={**os.environ, **BASE_ENV},
            )
        self.git("push", "--quiet", "--force", str(mirror), "refs/heads/*:refs/heads/*")
        return mirror


# A repository the real engine finds nothing blocking in (the screening engine's own fixture).
CLEAN_FILES = clean_files()
PLAN = {
    "mode": "full_history",
    "outbound_license": "Apache-2.0",
    "purpose": "Share the demo library with partners.",
    "target_repo": "demo-lib",
    "maintainers": ["alice-gh"],
    "expected_contributions": "occasional",
}


@dataclass
class World:
    """An owner team with a researcher; committee members of another team; a project."""

    researcher: object
    teammate: object  # a committee member who is in the owner team
    legal: object  # lanes legal + export
    security: object  # lanes security + ip
    chair: object
    project: object
    repo: WorkRepo
    shas: list[str] = field(default_factory=list)

    @property
    def sha(self) -> str:
        return self.shas[-1]

    def commit(self, files=None, **kwargs) -> str:
        """Commit in the work repository and publish it to the project's mirror."""
        sha = self.repo.commit(files, **kwargs)
        self.repo.publish(self.project)
        self.shas.append(sha)
        return sha


def make_user(username, roles, team=None, email=None):
    user = UserFactory(username=username, roles=roles)
    user.email = email or f"{username}@institute.example"
    user.save()
    person = PersonFactory(user=user, email=user.email, name=username.title())
    Identity.objects.create(person=person, kind=Identity.Kind.EMAIL, value=user.email)
    if team is not None:
        MembershipFactory(person=person, team=team, start=dt.date(2024, 1, 1))
    return user


def assign(user, *lanes):
    for lane in lanes:
        LaneAssignment.objects.create(user=user, lane=lane)


@pytest.fixture
def git_cache(tmp_path, settings):
    settings.GIT_CACHE_DIR = str(tmp_path / "cache")
    return tmp_path / "cache"


@pytest.fixture
def world(db, settings, tmp_path) -> World:
    settings.GIT_CACHE_DIR = str(tmp_path / "cache")
    # PBKDF2 costs ~0.3 s per user and every test here makes several.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    owner = people_services.team_ensure_path(path="AI Research/Vision Lab")
    other = people_services.team_ensure_path(path="Legal/Office")
    researcher = make_user("alice", [RESEARCHER], owner, email=AUTHOR)
    teammate = make_user("tina", [COMMITTEE_MEMBER], owner)
    legal = make_user("bob", [COMMITTEE_MEMBER], other)
    security = make_user("carol", [COMMITTEE_MEMBER], other)
    chair = make_user("dave", [COMMITTEE_CHAIR], other)
    assign(teammate, "legal", "security", "ip", "export")
    assign(legal, "legal", "export")
    assign(security, "security", "ip")
    # projects.models.new_key may start with "-", which repos.mirror_path refuses (reported).
    project = ProjectFactory(
        owner=owner, name="demo", license="Apache-2.0", key=f"k{secrets.token_hex(8)}"
    )
    w = World(researcher, teammate, legal, security, chair, project, WorkRepo(tmp_path / "work"))
    w.commit(CLEAN_FILES, message="first")
    return w


# -- driving the workflow without the engine -------------------------------------------------


@dataclass(frozen=True)
class FakeFinding:
    """The engine's FindingData shape, for tests of the workflow that do not need the engine."""

    check: str = "secrets"
    rule: str = "aws-key"
    severity: str = "blocker"
    path: str | None = "src/demo/__init__.py"
    line: int | None = 2
    commit: str | None = None
    message: str = "Looks like an AWS access key"
    fingerprint: str = "fp-1"


def finish_screening(
    disclosure: Disclosure, findings=(), *, authors=(AUTHOR,), rules: str | None = None
) -> Screening:
    """Complete the disclosure's queued screening as the engine would have: record the
    findings and the authors, then move the disclosure on (screen_failed or in_review)."""
    s = Screening.objects.filter(disclosure=disclosure, state=Screening.State.RUNNING).latest("pk")
    services.disclosure_screening_started(disclosure=disclosure, screening=s)
    rules = rules if rules is not None else (engine.rules_version() or "test-rules")
    result = engine.EngineResult(list(findings), {"total": len(findings)}, {"rules": rules}, {})
    screening._store(s, result, sorted(authors))
    services.disclosure_screened(disclosure=disclosure, screening=s)
    disclosure.refresh_from_db()
    return s


def submitted(world: World, **plan) -> Disclosure:
    return services.disclosure_request(
        project=world.project, by=world.researcher, sha=world.sha, **{**PLAN, **plan}
    )


def in_review(world: World, findings=()) -> Disclosure:
    d = submitted(world)
    finish_screening(d, findings)
    return d


def sign_all(world: World, d: Disclosure) -> None:
    for user, lane in (
        (world.legal, "legal"),
        (world.legal, "export"),
        (world.security, "security"),
        (world.security, "ip"),
    ):
        services.disclosure_lane_sign_off(disclosure=d, lane=lane, by=user)
