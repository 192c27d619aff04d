"""Writes to the project registry. The forge checks happen before these are called
(federation.registration); these only validate and store."""

import datetime as dt
import functools
import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from license_expression import get_spdx_licensing

from people.models import Team
from projects.activity import ActivityInputs, activity_score
from projects.models import Ownership, Project
from projects.signals import ownership_changed

TOPIC = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")
EDITABLE = ("summary", "description", "topics", "license", "contact", "sharing", "language")


class RegistryError(Exception):
    """A registry change that is not allowed, with a message for people."""


@functools.cache
def spdx():
    return get_spdx_licensing()


def license_normalise(expression: str) -> str:
    """A valid SPDX expression, in its canonical spelling; raises RegistryError otherwise."""
    if not expression.strip():
        return ""
    bad = RegistryError(_("%r is not a valid SPDX license expression.") % expression)
    try:
        info = spdx().validate(expression.strip(), strict=True)
    except Exception:  # the library raises on some malformed input instead of reporting it
        raise bad from None
    if info.errors or not info.normalized_expression:
        raise bad
    return info.normalized_expression


def topics_normalise(topics) -> list[str]:
    if isinstance(topics, str):
        topics = re.split(r"[,\s]+", topics)
    out = []
    for t in topics:
        t = t.strip().lower()
        if not t:
            continue
        if not TOPIC.match(t):
            raise RegistryError(
                _("Topic %r: use lower-case letters, digits and '-' (at most 50).") % t
            )
        if t not in out:
            out.append(t)
    if len(out) > 20:
        raise RegistryError(_("At most 20 topics."))
    return out


@dataclass(frozen=True)
class GitLabFacts:
    """What the forge told us about the project (read by federation.registration)."""

    gitlab_id: int
    path: str
    name: str
    web_url: str
    clone_url: str
    default_branch: str
    created_on: dt.date


def project_register(
    *,
    facts: GitLabFacts,
    team: Team,
    summary: str,
    description: str = "",
    topics=(),
    license: str = "",
    contact: str = "",
    sharing: str = Project.Sharing.INTERNAL,
    by=None,
) -> tuple[Project, bool]:
    """Store a registration; returns (project, created). Registering again returns the record."""
    existing = Project.objects.filter(gitlab_id=facts.gitlab_id).first()
    if existing is not None:
        return existing, False
    if not summary.strip():
        raise RegistryError(_("A one-line summary is needed."))
    if sharing not in Project.Sharing.values:
        raise RegistryError(_("Sharing must be one of %s.") % ", ".join(Project.Sharing.values))
    values = {
        "summary": summary.strip()[:200],
        "description": description.strip(),
        "topics": topics_normalise(topics),
        "license": license_normalise(license),
        "contact": contact.strip()[:200],
        "sharing": sharing,
    }
    try:
        with transaction.atomic():
            project = Project.objects.create(
                gitlab_id=facts.gitlab_id,
                path=facts.path,
                name=facts.name,
                web_url=facts.web_url,
                clone_url=facts.clone_url,
                default_branch=facts.default_branch or "main",
                created_on=facts.created_on,
                registered_by=by,
                **values,
            )
            Ownership.objects.create(
                project=project, team=team, start=facts.created_on, created_by=by
            )
    except IntegrityError:  # a concurrent registration of the same project won
        return Project.objects.get(gitlab_id=facts.gitlab_id), False
    return project, True


def project_update(*, project: Project, by=None, **changes) -> Project:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise RegistryError(_("These fields cannot be edited: %s.") % ", ".join(sorted(unknown)))
    if "topics" in changes:
        changes["topics"] = topics_normalise(changes["topics"])
    if "license" in changes:
        changes["license"] = license_normalise(changes["license"])
    if "sharing" in changes and changes["sharing"] not in Project.Sharing.values:
        raise RegistryError(_("Sharing must be one of %s.") % ", ".join(Project.Sharing.values))
    if "summary" in changes and not str(changes["summary"]).strip():
        raise RegistryError(_("A one-line summary is needed."))
    for field, value in changes.items():
        setattr(project, field, value)
    project.save(update_fields=[*changes, "updated_at"])
    return project


def project_hook_state_set(*, project: Project, state: str) -> None:
    Project.objects.filter(pk=project.pk).update(hook_state=state)


def project_facts_update(
    *,
    project: Project,
    has_readme: bool,
    has_contributing: bool,
    contributing_text: str = "",
    language: str | None = None,
) -> None:
    project.has_readme, project.has_contributing = has_readme, has_contributing
    project.contributing_text = contributing_text[:100_000]
    fields = ["has_readme", "has_contributing", "contributing_text"]
    if language is not None and not project.language:
        project.language = language[:60]
        fields.append("language")
    project.save(update_fields=fields)
    project_activity_update(project=project)


def project_activity_update(
    *,
    project: Project,
    commits: int | None = None,
    contributors: int | None = None,
    cross_team_contributors: int | None = None,
    last_commit_at: dt.datetime | None = None,
) -> float:
    """Store new activity rollups (None keeps a value) and recompute the score."""
    if commits is not None:
        project.recent_commits = commits
    if contributors is not None:
        project.contributors = contributors
    if cross_team_contributors is not None:
        project.cross_team_contributors = cross_team_contributors
    if last_commit_at is not None:
        project.last_commit_at = last_commit_at
    days = None
    if project.last_commit_at is not None:
        days = (timezone.now() - project.last_commit_at).total_seconds() / 86400
    project.activity_score = activity_score(
        ActivityInputs(
            commits=project.recent_commits,
            contributors=project.contributors,
            cross_team_contributors=project.cross_team_contributors,
            days_since_last_commit=days,
            has_readme=project.has_readme,
            has_contributing=project.has_contributing,
        )
    )
    project.synced_at = timezone.now()
    project.save(
        update_fields=[
            "recent_commits",
            "contributors",
            "cross_team_contributors",
            "last_commit_at",
            "activity_score",
            "synced_at",
        ]
    )
    return project.activity_score


@transaction.atomic
def ownership_transfer(*, project: Project, team: Team, start: dt.date, by=None, note: str = ""):
    """Move the project to `team` from `start`: the current period ends the day before.

    Refused before the project existed, inside a closed period (that would rewrite history:
    correct it in the admin), on or before the current period's start, and to the team that
    owns it already.
    """
    project = Project.objects.select_for_update().get(pk=project.pk)
    if start < project.created_on:
        raise RegistryError(f"{start} is before the project existed ({project.created_on}).")
    periods = list(project.ownerships.order_by("start"))
    if any(p.end is not None and p.end >= start for p in periods):
        raise RegistryError(_("A closed ownership period already covers %s.") % start)
    current = next((p for p in periods if p.end is None), None)
    if current is not None:
        if current.team_id == team.pk:
            raise RegistryError(
                _("%(team)s already owns %(project)s.") % {"team": team, "project": project}
            )
        if start <= current.start:
            raise RegistryError(
                _("The transfer date must be after the current period's start (%s).")
                % current.start
            )
        current.end = start - dt.timedelta(days=1)
        current.save(update_fields=["end"])
    ownership = Ownership.objects.create(
        project=project, team=team, start=start, created_by=by, note=note
    )
    transaction.on_commit(
        lambda: ownership_changed.send(
            sender=Project, project=project, since=start, reason=f"ownership moved to {team}"
        )
    )
    return ownership
