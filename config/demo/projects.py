"""Demo GitLab projects on localforge, with history, registered and synced."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings

from config.demo.history import DemoCommit, push_history
from config.demo.org import NAMES, TEAMS, email_of, gitlab_username
from federation import registration
from federation.forges import errors as forge_errors
from federation.git import GitCredentials
from people.models import Team
from projects import services as project_services
from projects.models import Project

KST = ZoneInfo("Asia/Seoul")
# (group path, project, owner team index, summary, topics, license, sharing, language files)
PROJECTS = [
    ("ai-research/vision-lab", "detector", 0, "Real-time object detection models",
     ["vision", "pytorch"], "Apache-2.0", "internal", "py"),
    ("ai-research/language-lab", "ko-tokenizer", 1, "A Korean subword tokenizer",
     ["nlp", "korean"], "MIT", "internal", "py"),
    ("systems/platform", "deployer", 2, "Kubernetes deployment tooling for lab services",
     ["k8s", "devops"], "Apache-2.0", "internal", "go"),
    ("systems/security", "secret-scanner", 3, "Pre-commit secret scanning for lab repos",
     ["security"], "BSD-3-Clause", "internal", "py"),
    ("ai-research/vision-lab", "annotation-notes", 0, "Vision Lab's internal annotation notes",
     ["vision", "data"], "", "private", "py"),
]  # fmt: skip


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


def history(index: int, kind: str) -> list[DemoCommit]:
    """A year of commits: the owner team's people, plus a few from other teams (cross-team)."""
    owners = [n for j, n in enumerate(NAMES) if j % len(TEAMS) == index]
    guests = [n for j, n in enumerate(NAMES) if j % len(TEAMS) != index][index::5]
    start = dt.datetime(2026, 1, 5, 10, 0, tzinfo=KST)
    ext = {"py": "py", "go": "go"}[kind]
    commits = [
        DemoCommit((owners[0], email_of(owners[0])), start, "Initial commit",
                   {"README.md": f"# Project {index}\n", f"src/main.{ext}": "x = 1\n"}),
        DemoCommit((owners[0], email_of(owners[0])), start + dt.timedelta(days=1), "Add contribution guide",
                   {"CONTRIBUTING.md": "Fork, branch, open a merge request; run the tests first.\n"}),
    ]  # fmt: skip
    for week in range(1, 40):
        author = owners[week % len(owners)] if week % 4 else guests[week % len(guests)]
        when = start + dt.timedelta(weeks=week, hours=week % 7)
        body = "\n".join(f"line {k} of week {week}" for k in range(week % 9 + 1)) + "\n"
        commits.append(DemoCommit((author, email_of(author)), when, f"Work of week {week}",
                                  {f"src/module_{week % 6}.{ext}": body}))  # fmt: skip
    return commits


def seed_projects(stdout=None) -> list[Project]:
    forge = registration.gitlab()
    admin = GitCredentials("oauth2", settings.GITLAB_TOKEN)
    out = []
    for group, name, team_index, summary, topics, license, sharing, kind in PROJECTS:
        path = f"{group}/{name}"
        existing = Project.objects.filter(path=path).first()
        if existing is not None:
            out.append(existing)
            continue
        try:
            fp = forge.get_project(path)
        except forge_errors.NotFound:
            fp = forge.create_project(
                group, name, description=summary, topics=topics, visibility="internal"
            )
            push_history(fp.clone_url, admin, history(team_index, kind))
            fp = forge.get_project(path)
        team = Team.objects.get(path=TEAMS[team_index])
        project, created = project_services.project_register(
            facts=registration.facts_of(fp), team=team, summary=summary, topics=topics,
            license=license, sharing=sharing, contact=email_of(NAMES[team_index]),
        )  # fmt: skip
        if created:
            registration.queue_after_registration(project.pk)
        if stdout:
            stdout.write(f"  registered {path} ({TEAMS[team_index]})")
        out.append(project)
    return out
