"""Reads of the review app: queues, lane status, findings, waivers, patents, the audit log."""

from __future__ import annotations

import csv
import io
from collections import OrderedDict

from django.db.models import Q, QuerySet
from django.utils import timezone

from federation import git, repos
from people.roles import PERM_REGISTER
from projects import selectors as project_selectors
from projects.models import Ownership
from review import access
from review.models import (
    AuditEntry,
    Disclosure,
    Finding,
    Lane,
    Patent,
    PatentDecision,
    PatentLink,
    Screening,
    Vote,
    Waiver,
)
from review.models.disclosure import ACTIVE_STATES

State = Disclosure.State


# -- disclosures -----------------------------------------------------------------------------


def disclosures_visible(user) -> QuerySet[Disclosure]:
    """Committee members, chairs and admins see all; researchers see their projects' ones."""
    qs = Disclosure.objects.select_related("project", "submitted_by")
    if not (user and user.is_authenticated):
        return qs.none()
    if access.is_committee(user):
        return qs
    mine = Q(submitted_by=user)
    if user.has_perm(PERM_REGISTER):
        owned = Ownership.objects.active_on(timezone.localdate()).filter(
            team_id__in=project_selectors.user_team_ids(user)
        )
        mine |= Q(project_id__in=owned.values("project_id"))
    return qs.filter(mine)


def review_queue(user, *, lane: str = "", state: str = "") -> QuerySet[Disclosure]:
    """Open disclosures for the committee; `lane` keeps those still waiting for that lane."""
    qs = disclosures_visible(user).filter(state__in=ACTIVE_STATES)
    if state:
        qs = qs.filter(state=state)
    if lane in Lane.values:
        signed = Vote.objects.filter(lane=lane, decision=Vote.Decision.SIGNED_OFF)
        waiting = [
            d.pk
            for d in qs.filter(state=State.IN_REVIEW)
            if not signed.filter(disclosure=d, sha=d.sha).exists()
        ]
        qs = qs.filter(Q(pk__in=waiting) | Q(state=State.SCREEN_FAILED))
    return qs.order_by("submitted_at", "pk")


def project_disclosure(project) -> Disclosure | None:
    """The project's open disclosure, else its newest one."""
    qs = Disclosure.objects.filter(project=project)
    return (
        qs.exclude(state__in=[State.REJECTED, State.WITHDRAWN, State.ARCHIVED]).first()
        or qs.order_by("-created_at").first()
    )


def approved_sha(project) -> str | None:
    """The sha the committee approved for the project's current release, if any.

    For the federation guard: publishing may push this sha (or a screened descendant of it).
    """
    d = (
        Disclosure.objects.filter(
            project=project,
            state__in=[State.APPROVED, State.PUBLISHING, State.RELEASED, State.RE_REVIEW],
        )
        .exclude(approved_sha="")
        .order_by("-approved_at")
        .first()
    )
    return d.approved_sha if d else None


def approved_shas(project) -> set[str]:
    """Every sha ever approved for the project (released history included)."""
    return set(
        Disclosure.objects.filter(project=project)
        .exclude(approved_sha="")
        .values_list("approved_sha", flat=True)
    )


# -- lanes -----------------------------------------------------------------------------------


def lane_status(disclosure: Disclosure) -> OrderedDict[str, Vote | None]:
    """The newest vote of each lane for the disclosure's current sha (None: pending)."""
    votes = Vote.objects.filter(disclosure=disclosure, sha=disclosure.sha).select_related("by")
    out: OrderedDict[str, Vote | None] = OrderedDict((lane, None) for lane in Lane.values)
    for vote in votes.order_by("created_at", "pk"):
        out[vote.lane] = vote
    return out


def lanes_pending(disclosure: Disclosure) -> list[str]:
    return [
        lane
        for lane, vote in lane_status(disclosure).items()
        if vote is None or vote.decision != Vote.Decision.SIGNED_OFF
    ]


def lane_assignees(lane: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(review_lanes__lane=lane, is_active=True).distinct()


# -- screenings and findings -----------------------------------------------------------------


def current_screening(disclosure: Disclosure) -> Screening | None:
    """The newest screening of the disclosure's current sha."""
    return (
        Screening.objects.filter(disclosure=disclosure, sha=disclosure.sha)
        .order_by("-started_at", "-pk")
        .first()
    )


def latest_screening(disclosure: Disclosure) -> Screening | None:
    return Screening.objects.filter(disclosure=disclosure).order_by("-started_at", "-pk").first()


def waivers_active(project, *, day=None) -> QuerySet[Waiver]:
    return Waiver.objects.active_on(day or timezone.localdate()).filter(project=project)


def waived_fingerprints(project, *, day=None) -> set[str]:
    return set(waivers_active(project, day=day).values_list("fingerprint", flat=True))


def findings_blocking(screening: Screening, *, day=None) -> QuerySet[Finding]:
    """Blocking findings of a screening that no active waiver of the project covers."""
    waived = waivers_active(screening.project, day=day).values("fingerprint")
    return screening.findings.filter(blocking=True).exclude(fingerprint__in=waived)


def findings_grouped(screening: Screening) -> OrderedDict[str, list[Finding]]:
    """Findings by check, each annotated with `.waiver` (the active waiver or None)."""
    waivers = {w.fingerprint: w for w in waivers_active(screening.project).order_by("created_at")}
    groups: OrderedDict[str, list[Finding]] = OrderedDict()
    for f in screening.findings.order_by("check_name", "path", "line", "pk"):
        f.waiver = waivers.get(f.fingerprint)
        groups.setdefault(f.check_name, []).append(f)
    return groups


def screening_is_stale(screening: Screening, rules_version: str | None) -> bool:
    if screening.stale:
        return True
    return bool(
        rules_version
        and screening.state == Screening.State.DONE
        and screening.rules_version != rules_version
    )


# -- patents ---------------------------------------------------------------------------------


def _tree_paths(project, sha: str) -> list[str] | None:
    path = repos.mirror_path(project.key)
    if not sha or not (path / "HEAD").is_file():
        return None
    try:
        out = git.run(
            ["ls-tree", "-r", "-z", "--name-only", "--full-tree", git.validate_sha(sha)],
            repo=path,
            timeout=120,
        ).stdout
    except (git.GitError, git.InvalidSha):
        return None
    return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]


def patents_touched(disclosure: Disclosure) -> list[Patent]:
    """Patents linked to the project whose path globs match a file at the disclosed sha.

    When the tree cannot be read, every linked patent counts as touched (fail closed).
    """
    links = list(PatentLink.objects.filter(project=disclosure.project).select_related("patent"))
    if not links:
        return []
    touched: dict[int, Patent] = {}
    paths = None
    for link in links:
        if link.patent_id in touched:
            continue
        if not link.path_glob:
            touched[link.patent_id] = link.patent
            continue
        if paths is None:
            paths = _tree_paths(disclosure.project, disclosure.sha)
        if paths is None or any(link.matches(p) for p in paths):
            touched[link.patent_id] = link.patent
    return sorted(touched.values(), key=lambda p: p.number)


def patent_decisions(disclosure: Disclosure) -> dict[int, PatentDecision]:
    """The newest IP decision per patent for the disclosure's current sha."""
    out: dict[int, PatentDecision] = {}
    for d in PatentDecision.objects.filter(disclosure=disclosure, sha=disclosure.sha).order_by(
        "created_at", "pk"
    ):
        out[d.patent_id] = d
    return out


def patents_undecided(disclosure: Disclosure) -> list[Patent]:
    decided = patent_decisions(disclosure)
    return [p for p in patents_touched(disclosure) if p.pk not in decided]


# -- audit -----------------------------------------------------------------------------------

AUDIT_COLUMNS = ["at", "actor", "action", "from_state", "to_state", "sha", "lane", "detail"]


def audit_log(disclosure: Disclosure) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(disclosure=disclosure).order_by("at", "pk")


def audit_csv(disclosure: Disclosure) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(AUDIT_COLUMNS)
    for e in audit_log(disclosure):
        writer.writerow(
            [
                e.at.isoformat(),
                e.actor_name,
                e.action,
                e.from_state,
                e.to_state,
                e.sha,
                e.lane,
                _csv_safe(e.detail),
            ]
        )
    return buf.getvalue()


def _csv_safe(value: str) -> str:
    """Keep spreadsheet programs from running a cell as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
