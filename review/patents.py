"""Writes about patents: the IP lane's decisions, and re-review when the register changes."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from review import access, selectors
from review.errors import InvalidInput
from review.models import AuditEntry, Disclosure, Lane, Patent, PatentDecision
from review.services import _lock, _require_state, audit_record, disclosures_re_review_for_project


def patent_decision_record(
    *, disclosure: Disclosure, patent: Patent, decision: str, by, note: str = ""
) -> PatentDecision:
    """The IP lane decides about one patent the disclosed commit touches (in review)."""
    if decision not in PatentDecision.Decision.values:
        raise InvalidInput(_("Unknown decision."), field="decision")
    if decision != PatentDecision.Decision.CLEARED and not (note or "").strip():
        raise InvalidInput(_("Explain the conditions or the objection in the note."), field="note")
    with transaction.atomic():
        d = _lock(disclosure)
        access.require_lane(by, d, Lane.IP)
        _require_state(d, (Disclosure.State.IN_REVIEW,), gettext_noop("record a patent decision"))
        if patent.pk not in {p.pk for p in selectors.patents_touched(d)}:
            raise InvalidInput(
                _("Patent %s is not linked to what this commit contains.") % patent.number,
                field="patent",
            )
        dec = PatentDecision.objects.create(
            disclosure=d, patent=patent, sha=d.sha, decision=decision, by=by, note=note.strip()
        )
        audit_record(
            disclosure=d,
            by=by,
            action=AuditEntry.Action.PATENT_DECISION,
            lane=Lane.IP,
            detail=f"{patent.number}: {dec.get_decision_display()}"
            + (f" — {dec.note}" if dec.note else ""),
        )
    return dec


def patent_changed(*, patent: Patent, what: str, by=None) -> list[Disclosure]:
    """A patent's status or links changed: every released project it is linked to goes back
    to re-review."""
    out = []
    for link in patent.links.select_related("project"):
        out += disclosures_re_review_for_project(
            project=link.project, reason=f"patent {patent.number}: {what}", by=by
        )
    return out
