"""Demo GitLab projects on localforge: a year of history each, registered and synced.

Each history has the owner team's weekly work, cross-team commits from other teams (among them
the two people who moved), a bot, a vendored folder and one commit reverted a week later. Two
projects carry a planted problem for the review: a private address in the docs (waived) and a
private key (held).
"""

import dataclasses
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings

from config.demo import content
from config.demo.history import DemoCommit, push_history
from config.demo.org import COMMITTEE, MOVED, NAMES, TEAMS, email_of, gitlab_username, year_start
from federation import registration
from federation.forges import errors as forge_errors
from federation.git import GitCredentials
from people.models import Team
from projects import services as project_services
from projects.models import Project

KST = ZoneInfo("Asia/Seoul")
BOT = ("Release Bot", "release-bot@institute.example")
WEEKS = 51


@dataclass(frozen=True)
class DemoProject:
    group: str
    name: str
    team: int
    summary: str
    topics: tuple[str, ...]
    license: str
    sharing: str
    ext: str
    story: str = ""  # released | in_review | held

    @property
    def path(self) -> str:
        return f"{self.group}/{self.name}"


PROJECTS = [
    DemoProject("ai-research/vision-lab", "detector", 0, "Real-time object detection models",
                ("vision", "pytorch"), "Apache-2.0", "internal", "py", "released"),
    DemoProject("ai-research/language-lab", "ko-tokenizer", 1, "A Korean subword tokenizer",
                ("nlp", "korean"), "MIT", "internal", "py"),
    DemoProject("systems/platform", "deployer", 2, "Kubernetes deployment tooling for lab services",
                ("k8s", "devops"), "Apache-2.0", "internal", "go"),
    DemoProject("systems/security", "secret-scanner", 3, "Pre-commit secret scanning for lab repos",
                ("security",), "BSD-3-Clause", "internal", "py"),
    DemoProject("ai-research/vision-lab", "annotation-notes", 0,
                "Vision Lab's internal annotation notes", ("vision", "data"), "", "private", "py"),
    DemoProject("ai-research/vision-lab", "dataset-tools", 0,
                "Dataset loading and augmentation utilities", ("vision", "data"), "MIT",
                "internal", "py", "in_review"),
    DemoProject("ai-research/language-lab", "speech-kit", 1, "Korean speech recognition recipes",
                ("speech", "korean"), "Apache-2.0", "internal", "py"),
    DemoProject("ai-research/vision-lab", "edge-runtime", 0, "On-device inference runtime",
                ("edge", "inference"), "Apache-2.0", "internal", "go", "held"),
]  # fmt: skip
BY_STORY = {p.story: p for p in PROJECTS if p.story}

PROJECTS_GROUP = [
    "ai-research/vision-lab",
    "ai-research/language-lab",
    "systems/platform",
    "systems/security",
]


def seed_data() -> dict:
    """localforge seed: one GitLab user per demo person, groups per team, the GitHub org."""
    groups = [{"full_path": "ai-research"}, {"full_path": "systems"}]
    for i, group in enumerate(PROJECTS_GROUP):
        members = {gitlab_username(n): 40 for j, n in enumerate(NAMES) if j % len(TEAMS) == i}
        groups.append({"full_path": group, "members": members})
    return {
        "users": [{"username": gitlab_username(n), "email": email_of(n), "name": n} for n in NAMES],
        "groups": groups,
        "orgs": [{"login": settings.GITHUB_ORG, "name": "Institute Open Source"}],
    }


def _who(index: int) -> tuple[str, str]:
    return NAMES[index], email_of(NAMES[index])


def _people(p: DemoProject, number: int) -> tuple[list[int], list[int], list[int]]:
    """The owner team's people and the guests (other teams, never a committee member); the
    two people who moved teams (when they are guests here) write some of the cross-team
    commits before and after their move."""
    owners = [j for j in range(len(NAMES)) if j % len(TEAMS) == p.team]
    guests = [j for j in range(len(NAMES)) if j % len(TEAMS) != p.team and j not in COMMITTEE]
    moved = [j for j in MOVED if j in guests]
    rest = [j for j in guests if j not in moved]
    rest = rest[number % len(rest) :] + rest[: number % len(rest)]
    return owners, moved + rest, moved


def history(p: DemoProject, start: dt.date) -> list[DemoCommit]:
    number = PROJECTS.index(p)
    owners, guests, moved = _people(p, number)
    t0 = dt.datetime.combine(start + dt.timedelta(days=7), dt.time(10, 0), tzinfo=KST)
    lead = _who(owners[0])
    commits = [
        DemoCommit(lead, t0, "Initial import", content.scaffold(p.name, p.summary, p.license, p.ext)),
        DemoCommit(lead, t0 + dt.timedelta(days=1), "Vendor tinyjson 1.2.0", dict(content.VENDORED)),
    ]  # fmt: skip
    reverted = None
    for week in range(1, WEEKS):
        when = t0 + dt.timedelta(weeks=week, hours=week % 7)
        if week == 20:  # a guest's experiment, reverted by the owners a week later
            author = _who(guests[(week + 1) % len(guests)])
            path = f"src/{p.name.replace('-', '_')}/fast_path.{p.ext}"
            reverted = len(commits)
            commits.append(DemoCommit(author, when, "Add an experimental fast path",
                                      {path: content.header(p.license) + "FAST = True\n"}))  # fmt: skip
            continue
        if week == 21 and reverted is not None:
            path = f"src/{p.name.replace('-', '_')}/fast_path.{p.ext}"
            commits.append(DemoCommit(lead, when, "", {path: ""}, reverts=reverted))
            continue
        if week % 8 == 0:
            changelog = "".join(
                f"## 0.{w // 8}.0\n\n- Weekly release.\n\n" for w in range(8, week + 1, 8)
            )
            commits.append(DemoCommit(BOT, when, f"Release 0.{week // 8}.0", {"CHANGELOG.md": changelog}))  # fmt: skip
            continue
        cross = week % 3 == 0
        author = _who(guests[week // 3 % len(guests)] if cross else owners[week % len(owners)])
        if cross and moved and week % 12 == 3:  # the movers, before and after their move
            author = _who(moved[week // 12 % len(moved)])
        path, body = content.module(p.name, p.license, p.ext, week)
        message = f"{'Improve' if cross else 'Extend'} {path.rsplit('/', 1)[-1]} (week {week})"
        commits.append(DemoCommit(author, when, message, {path: body}))
    end = t0 + dt.timedelta(weeks=WEEKS - 1, days=2)
    if p.story == "in_review":
        commits.append(DemoCommit(_who(owners[1]), end, "Document the local data server",
                                  {"docs/setup.md": content.PRIVATE_ADDRESS_DOC}))  # fmt: skip
    if p.story == "held":
        commits.append(DemoCommit(_who(owners[1]), end, "Add TLS material for the device demo",
                                  {"deploy/server.pem": content.PRIVATE_KEY}))  # fmt: skip
    return commits


def seed_projects(stdout=None) -> list[Project]:
    """Create (when missing) and register the demo projects; idempotent."""
    forge = registration.gitlab()
    admin = GitCredentials("oauth2", settings.GITLAB_TOKEN)
    start = year_start()
    out = []
    for p in PROJECTS:
        existing = Project.objects.filter(path=p.path).first()
        if existing is not None:
            out.append(existing)
            continue
        try:
            fp = forge.get_project(p.path)
        except forge_errors.NotFound:
            fp = forge.create_project(
                p.group, p.name, description=p.summary, topics=list(p.topics),
                visibility="internal",
            )  # fmt: skip
            push_history(fp.clone_url, admin, history(p, start))
            fp = forge.get_project(p.path)
        team = Team.objects.get(path=TEAMS[p.team])
        # localforge made the project today; in the story it has existed since its first commit
        facts = dataclasses.replace(registration.facts_of(fp), created_on=start)
        project, created = project_services.project_register(
            facts=facts, team=team, summary=p.summary, topics=list(p.topics),
            license=p.license, sharing=p.sharing, contact=email_of(NAMES[p.team]),
        )  # fmt: skip
        if created:
            registration.queue_after_registration(project.pk)
        if stdout:
            stdout.write(f"  registered {p.path} ({TEAMS[p.team]})")
        out.append(project)
    return out
