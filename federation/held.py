"""Held deltas: new commits the sync kept back because their screening found blockers. Each is
a minor review for the security lane, naming the exact range. It closes itself when the range
goes out (a waiver, or a fix that rewrote the held commits away), or a reviewer dismisses it."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from federation.models import HeldDelta

log = logging.getLogger(__name__)
PERM = "people.review_disclosure"


class HeldError(Exception):
    pass


def held_delta_open(
    *, project, from_sha: str, to_sha: str, first_blocked: str, screening, findings: list[dict]
) -> HeldDelta:
    """Record (or move forward) the project's open held delta."""
    with transaction.atomic():
        held = (
            HeldDelta.objects.select_for_update()
            .filter(project=project, state=HeldDelta.State.OPEN)
            .first()
        )
        fields = {
            "from_sha": from_sha,
            "to_sha": to_sha,
            "first_blocked_sha": first_blocked,
            "screening": screening,
            "findings": findings[:50],
        }
        if held is None:
            held = HeldDelta.objects.create(project=project, **fields)
            transaction.on_commit(lambda: _notify(held.pk))
        elif (held.from_sha, held.to_sha) != (from_sha, to_sha):
            for k, v in fields.items():
                setattr(held, k, v)
            held.save()
    return held


def held_deltas_released(*, project, published_sha: str, note: str) -> int:
    """Close the project's open held delta once the sync published past it."""
    return HeldDelta.objects.filter(project=project, state=HeldDelta.State.OPEN).update(
        state=HeldDelta.State.RELEASED,
        note=note,
        resolved_at=timezone.now(),
        updated_at=timezone.now(),
    )


def held_delta_dismiss(*, held: HeldDelta, by, note: str) -> HeldDelta:
    """The security lane looked at it: these commits stay inside (a reason is required). The
    project stays held until its history no longer contains them."""
    if not by.has_perm(PERM):
        raise HeldError(_("Only committee members decide on held commits."))
    if not (note or "").strip():
        raise HeldError(_("Say why the commits stay inside."))
    with transaction.atomic():
        row = HeldDelta.objects.select_for_update().get(pk=held.pk)
        if row.state != HeldDelta.State.OPEN:
            raise HeldError(_("This held range is already %s.") % row.get_state_display().lower())
        row.state, row.note = HeldDelta.State.DISMISSED, note.strip()
        row.resolved_by, row.resolved_at = by, timezone.now()
        row.save()
    return row


def _notify(held_id: int) -> None:
    from review.selectors import lane_assignees

    held = HeldDelta.objects.select_related("project").get(pk=held_id)
    to = sorted({u.email for u in lane_assignees(held.lane) if u.email})
    if not to:
        return
    body = (
        f"The mirror of {held.project.path} stopped at {held.from_sha}: screening the new commits "
        f"found blockers from {held.first_blocked_sha or held.to_sha}.\n\n"
        f"Held range: {held.from_sha}..{held.to_sha}\n\n"
        f"Waive the findings (they go out with the next sync) or ask for a fix.\n"
        f"{settings.SERVICE_URL}/federation/\n"
    )
    try:
        send_mail(
            f"[federation] {held.project.path}: new commits held for the security lane",
            body,
            settings.DEFAULT_FROM_EMAIL,
            to,
        )
    except Exception:  # mail trouble must not fail a sync
        log.exception("could not send the held-delta email")
