"""Who may see and act on a disclosure: roles, lane assignments and conflicts of interest.

Reads only. The services call the `require_*` helpers before any change; views and the API use
the `can_*` helpers to decide which actions to offer.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from people.models import Identity, Person
from people.roles import PERM_ADMIN, PERM_CHAIR, PERM_REVIEW
from projects import selectors as project_selectors
from review.errors import NotAllowed
from review.models import Disclosure, LaneAssignment, Screening


def is_committee(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(PERM_REVIEW))


def is_chair(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(PERM_CHAIR))


def lanes_of(user) -> set[str]:
    """The lanes the user is assigned to (committee members only)."""
    if not is_committee(user):
        return set()
    return set(LaneAssignment.objects.filter(user=user).values_list("lane", flat=True))


def user_emails(user) -> set[str]:
    """Every address the user commits under, as far as the directory knows (lower-case)."""
    emails = {user.email.lower()} if user.email else set()
    person = Person.objects.filter(user=user).first()
    if person is not None:
        emails |= {e.lower() for e in (person.email, person.public_email) if e}
        emails |= {
            v.lower()
            for v in person.identities.filter(kind=Identity.Kind.EMAIL).values_list(
                "value", flat=True
            )
        }
    return emails


def disclosure_authors(disclosure: Disclosure) -> set[str]:
    """Author emails of the disclosed history, recorded by its screenings."""
    out: set[str] = set()
    for emails in Screening.objects.filter(disclosure=disclosure).values_list(
        "author_emails", flat=True
    ):
        out |= {e.lower() for e in emails or ()}
    return out


def conflict_reason(user, disclosure: Disclosure) -> str | None:
    """Why the user may not act on this disclosure as a reviewer, or None."""
    if disclosure.submitted_by_id is not None and disclosure.submitted_by_id == user.pk:
        return _("You submitted this disclosure; a reviewer never approves their own project.")
    owner = project_selectors.current_owner(disclosure.project)
    if owner is not None and owner.pk in project_selectors.user_team_ids(user):
        return (
            _("Your team (%s) owns this project; someone from another team must act.") % owner.path
        )
    shared = user_emails(user) & disclosure_authors(disclosure)
    if shared:
        return _(
            "You contributed to the disclosed history (%s); someone else must act."
        ) % ", ".join(sorted(shared))
    return None


def can_edit_project(user, project) -> bool:
    return project_selectors.can_edit(user, project)


def can_view(user, disclosure: Disclosure) -> bool:
    if not (user and user.is_authenticated):
        return False
    if is_committee(user) or user.has_perm(PERM_ADMIN):
        return True
    if disclosure.submitted_by_id == user.pk:
        return True
    return project_selectors.can_edit(user, disclosure.project)


# -- requirements (raise NotAllowed) ---------------------------------------------------------


def require_researcher(user, disclosure: Disclosure | None = None, project=None) -> None:
    """The submitter, a researcher of the owner team, or an OSPO admin."""
    project = project or disclosure.project
    if disclosure is not None and disclosure.submitted_by_id == user.pk:
        return
    if not project_selectors.can_edit(user, project):
        raise NotAllowed(
            "Only researchers of the team that owns the project (or an OSPO admin) may do this."
        )


def require_no_conflict(user, disclosure: Disclosure) -> None:
    reason = conflict_reason(user, disclosure)
    if reason:
        raise NotAllowed(reason)


def require_lane(user, disclosure: Disclosure, lane: str) -> None:
    if not is_committee(user):
        raise NotAllowed(_("Only committee members may act on a review lane."))
    if lane not in lanes_of(user):
        raise NotAllowed(_("You are not assigned to the %s lane.") % lane)
    require_no_conflict(user, disclosure)


def require_chair(user, disclosure: Disclosure) -> None:
    if not is_chair(user):
        raise NotAllowed(_("Only the committee chair may do this."))
    require_no_conflict(user, disclosure)


def actions_for(user, disclosure: Disclosure) -> dict:
    """What the page offers this user: action names, their lanes, and a conflict (if any)."""
    from review.services import RESCREEN_FROM, RESUBMIT_FROM, WAIVE_IN

    State = Disclosure.State
    out: dict = {"names": set(), "lanes": [], "conflict": None}
    if not (user and user.is_authenticated):
        return out
    final = disclosure.state in (State.REJECTED, State.WITHDRAWN, State.ARCHIVED)
    researcher = disclosure.submitted_by_id == user.pk or project_selectors.can_edit(
        user, disclosure.project
    )
    conflict = conflict_reason(user, disclosure) if is_committee(user) else None
    out["conflict"] = conflict
    if researcher:
        if not final:
            out["names"].add("withdraw")
        if disclosure.state in RESUBMIT_FROM:
            out["names"].add("resubmit")
        if disclosure.state == State.RELEASED:
            out["names"].add("archive")
    if researcher or is_committee(user):
        out["names"].add("comment")
        if disclosure.state in RESCREEN_FROM:
            out["names"].add("rescreen")
    if is_committee(user) and not conflict:
        lanes = sorted(lanes_of(user))
        out["lanes"] = lanes
        if lanes and disclosure.state == State.IN_REVIEW:
            out["names"] |= {"sign_off", "send_back"}
            if "ip" in lanes:
                out["names"].add("patent_decision")
        if lanes and disclosure.state in WAIVE_IN:
            out["names"].add("waive")
        if is_chair(user):
            if disclosure.state == State.IN_REVIEW:
                out["names"].add("approve")
            if not final:
                out["names"].add("reject")
            if disclosure.state == State.RELEASED:
                out["names"].add("archive")
    return out
