"""The demo world: the organisation, the projects, and the review and federation states, made
through the real services (review, waivers, federation) so that everything is consistent.

Every step is idempotent: it looks for what it would make and skips when it is there, so
`make run` seeds once and a restart finds the same world. With a broker the tasks run in the
Celery worker, so each step waits for the state it needs.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.utils import timezone

from config.demo import org
from config.demo.projects import BY_STORY, seed_projects
from federation.models import Mirror, SyncRun
from projects.models import Project
from review import selectors as review_selectors
from review import services as review
from review import waivers
from review.models import Disclosure, LaneAssignment

State = Disclosure.State
LANES = {"committee": ("legal", "ip", "export"), "security": ("security",)}
PLAN = {
    "mode": "full_history",
    "expected_contributions": "occasional",
    "maintainers": ["kim-minji-gh"],
}


class DemoError(RuntimeError):
    """The demo world could not be brought to the state it needs."""


@dataclass
class World:
    logins: list = field(default_factory=list)
    projects: list = field(default_factory=list)
    released: Disclosure | None = None
    in_review: Disclosure | None = None
    held: Disclosure | None = None
    pull_request: object = None


def until(predicate, *, what: str, timeout: float = 600):
    """Wait for a state the tasks make (at once in eager mode, in the worker otherwise)."""
    from config.celery import app

    if app.conf.task_always_eager:
        timeout = min(timeout, 5)  # the task has run already, or it failed
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise DemoError(f"timed out waiting for {what}")
        time.sleep(0.5)


def user(username: str):
    return get_user_model().objects.get(username=username)


def lanes_assign() -> None:
    """The committee's lane assignments (the OSPO keeps them in the admin)."""
    for username, lanes in LANES.items():
        for lane in lanes:
            LaneAssignment.objects.get_or_create(user=user(username), lane=lane)


def project(story: str) -> Project:
    return Project.objects.get(path=BY_STORY[story].path)


def synced(p: Project) -> bool:
    return SyncRun.objects.filter(project=p, status=SyncRun.Status.SUCCEEDED).exists()


def tip(p: Project) -> str:
    from federation import git, repos

    ref = f"refs/heads/{p.default_branch}"
    return git.run(["rev-parse", ref], repo=repos.mirror_path(p.key)).text.strip()


def _request(p: Project, story: str) -> Disclosure:
    """The researcher asks for the release of the project's tip; the screening runs."""
    existing = Disclosure.objects.filter(project=p).order_by("-pk").first()
    if existing is not None:
        return existing
    until(lambda: synced(p), what=f"the first sync of {p.path}")
    plan = {**PLAN, "outbound_license": BY_STORY[story].license, "target_repo": p.name,
            "purpose": f"Share {p.name} with partner labs and invite outside contributions."}  # fmt: skip
    return review.disclosure_request(project=p, by=user("researcher"), sha=tip(p), **plan)


def _screened(d: Disclosure) -> Disclosure:
    waiting = (State.DRAFT, State.SUBMITTED, State.SCREENING)
    return until(
        lambda: Disclosure.objects.filter(pk=d.pk).exclude(state__in=waiting).first(),
        what=f"the screening of {d.project.path}",
    )


def release_detector() -> Disclosure:
    """Released and mirrored: screened clean, every lane signed off, approved, published."""
    d = _screened(_request(project("released"), "released"))
    if d.state == State.IN_REVIEW:
        for username, lanes in LANES.items():
            for lane in lanes:
                if review_selectors.lane_status(d).get(lane) is None:
                    note = "Checked the license, the vendored code and the history."
                    review.disclosure_lane_sign_off(disclosure=d, lane=lane, by=user(username),
                                                    note=note)  # fmt: skip
        d = review.disclosure_approve(disclosure=d, by=user("chair"), note="Approved for release.")
    if d.state not in (State.APPROVED, State.PUBLISHING, State.RELEASED):
        raise DemoError(f"{d.project.path} should be approved; it is {d.state}: {d.state_reason}")
    return until(lambda: Disclosure.objects.filter(pk=d.pk, state=State.RELEASED).first(),
                 what=f"the release of {d.project.path}")  # fmt: skip


def review_with_waiver() -> Disclosure:
    """Waiting in review: the screening found a documentation example address, the security
    lane waived it, and the legal lane has signed off."""
    d = _screened(_request(project("in_review"), "in_review"))
    if d.state == State.SCREEN_FAILED:
        screening = review_selectors.current_screening(d)
        for finding in review_selectors.findings_blocking(screening):
            waivers.waiver_create(
                disclosure=d, finding=finding, by=user("security"), lane="security",
                reason="A documentation example on a private range: no real host is named.",
                owner=user("researcher"),
                expires_on=timezone.localdate() + dt.timedelta(days=365),
            )  # fmt: skip
        d.refresh_from_db()
    if d.state == State.IN_REVIEW and review_selectors.lane_status(d).get("legal") is None:
        review.disclosure_lane_sign_off(disclosure=d, lane="legal", by=user("committee"),
                                        note="MIT, vendored MIT code: compatible.")  # fmt: skip
    return d


def hold_secret() -> Disclosure:
    """Held: the screening found a private key, which blocks until it is removed."""
    return _screened(_request(project("held"), "held"))


def seed_world(stdout=None) -> World:
    world = World()
    say = stdout.write if stdout else (lambda *_: None)
    world.logins = org.seed_org()
    lanes_assign()
    say("Demo projects:")
    world.projects = seed_projects(stdout)
    for p in world.projects:
        until(lambda p=p: synced(p), what=f"the first sync of {p.path}")
    say("Disclosures: releasing one project, reviewing one, holding one...")
    world.released = release_detector()
    world.in_review = review_with_waiver()
    world.held = hold_secret()
    from config.demo.contribution import open_pull_request

    mirror = Mirror.objects.get(project=world.released.project)
    world.pull_request = open_pull_request(mirror)
    return world
