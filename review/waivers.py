"""Waivers: a committee member accepts a finding (by fingerprint) for a project, with a reason,
an owner who answers for it and an expiry date. Waivers carry over to later screenings of the
same project; expired or revoked ones no longer apply."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from review import access, selectors
from review.errors import InvalidInput, NotAllowed, WrongState
from review.models import AuditEntry, Disclosure, Finding, Lane, Waiver
from review.services import WAIVE_IN, _lock, _require_state, audit_record, disclosure_unblocked

MAX_WAIVER_DAYS = 730


def waiver_create(
    *,
    disclosure: Disclosure,
    finding: Finding,
    by,
    lane: str,
    reason: str,
    owner,
    expires_on: dt.date,
) -> Waiver:
    """Waive one finding of the disclosure's current screening. When nothing blocks any more,
    a disclosure in screen_failed moves on to in_review."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("A waiver needs a reason."), field="reason")
    if owner is None or not getattr(owner, "is_active", False):
        raise InvalidInput(_("A waiver needs an owner (an active user)."), field="owner")
    if lane not in Lane.values:
        raise InvalidInput(_("Unknown lane %r.") % lane, field="lane")
    today = timezone.localdate()
    if expires_on is None or expires_on <= today:
        raise InvalidInput(_("A waiver needs an expiry date after today."), field="expires_on")
    if expires_on > today + dt.timedelta(days=MAX_WAIVER_DAYS):
        raise InvalidInput(
            _("A waiver expires within %d days.") % MAX_WAIVER_DAYS, field="expires_on"
        )
    with transaction.atomic():
        d = _lock(disclosure)
        access.require_lane(by, d, lane)
        _require_state(d, WAIVE_IN, gettext_noop("waive a finding"))
        screening = selectors.current_screening(d)
        if screening is None or finding.screening_id != screening.pk:
            raise InvalidInput(
                _("That finding is not from the current screening of this disclosure."),
                field="finding",
            )
        if selectors.waivers_active(d.project).filter(fingerprint=finding.fingerprint).exists():
            raise WrongState(_("This finding is already waived."))
        waiver = Waiver.objects.create(
            project=d.project,
            fingerprint=finding.fingerprint,
            lane=lane,
            reason=reason,
            owner=owner,
            expires_on=expires_on,
            created_by=by,
            check_name=finding.check_name,
            rule=finding.rule,
            summary=f"{finding.path}:{finding.line or ''} {finding.message}"[:300],
        )
        audit_record(
            disclosure=d,
            by=by,
            action=AuditEntry.Action.WAIVER,
            lane=lane,
            detail=(
                f"waived {finding.check_name}/{finding.rule} at {finding.path}"
                f"{':' + str(finding.line) if finding.line else ''} "
                f"[{finding.fingerprint}] until {expires_on}, owner {owner.get_username()}: "
                f"{reason}"
            ),
        )
        disclosure_unblocked(disclosure=d, by=by)
    disclosure.refresh_from_db()
    return waiver


def waiver_revoke(*, waiver: Waiver, disclosure: Disclosure, by, reason: str) -> Waiver:
    """Withdraw a waiver early (an assignee of its lane); logged on the given disclosure."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the waiver is revoked."), field="reason")
    if disclosure.project_id != waiver.project_id:
        raise InvalidInput(_("That waiver belongs to another project."))
    if waiver.lane not in access.lanes_of(by):
        raise NotAllowed(_("Only assignees of the %s lane may revoke this waiver.") % waiver.lane)
    with transaction.atomic():
        waiver = Waiver.objects.select_for_update().get(pk=waiver.pk)
        if waiver.revoked_at is not None:
            raise WrongState(_("The waiver is already revoked."))
        waiver.revoked_at = timezone.now()
        waiver.save(update_fields=["revoked_at"])
        audit_record(
            disclosure=disclosure,
            by=by,
            action=AuditEntry.Action.WAIVER,
            lane=waiver.lane,
            detail=f"revoked waiver of [{waiver.fingerprint}]: {reason}",
        )
    return waiver
