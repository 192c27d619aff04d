"""Transitions of a disclosure. Each one locks the row, checks the state and the actor, changes
the state and writes the audit log, in one transaction.

    draft → submitted → screening → screen_failed | in_review
    screen_failed → in_review (waivers: review.waivers)      screen_failed → submitted (new sha)
    in_review → changes_requested → submitted (new sha)       in_review → approved (chair)
    approved → publishing → released → archived               released → re_review → submitted
    any non-final → rejected (chair) | withdrawn (researcher)

The federation engine calls `disclosure_publishing_start`, `disclosure_publishing_failed` and
`disclosure_released`; the registry and the patent register call `disclosures_re_review_for_project`.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from review import access, notifications, selectors, validation
from review.errors import InvalidInput, NotAllowed, WrongState
from review.models import AuditEntry, Disclosure, Lane, Screening, Vote
from review.models.disclosure import FINAL_STATES

log = logging.getLogger(__name__)
State = Disclosure.State
Action = AuditEntry.Action

PUBLISH_TASK = "federation.tasks.publish_disclosure"
SCREENING_QUEUE = "git"  # long git work, beside federation's tasks (CELERY_TASK_ROUTES)
RE_REVIEW_AFTER_MONTHS = 12
RESUBMIT_FROM = (State.SCREEN_FAILED, State.CHANGES_REQUESTED, State.RE_REVIEW)
RESCREEN_FROM = (State.SUBMITTED, State.SCREEN_FAILED, State.IN_REVIEW)
WAIVE_IN = (State.SCREEN_FAILED, State.IN_REVIEW)


# -- helpers ---------------------------------------------------------------------------------


def audit_record(
    *,
    disclosure: Disclosure,
    by,
    action: str,
    detail: str = "",
    from_state: str = "",
    to_state: str = "",
    lane: str = "",
    sha: str | None = None,
) -> AuditEntry:
    """Append one entry to the disclosure's audit log."""
    return AuditEntry.objects.create(
        disclosure=disclosure,
        actor=by,
        actor_name=by.get_username() if by is not None else "system",
        action=action,
        from_state=from_state,
        to_state=to_state,
        sha=disclosure.sha if sha is None else sha,
        lane=lane,
        detail=detail[:10000],
    )


def _lock(disclosure: Disclosure) -> Disclosure:
    """The disclosure's row, locked for the rest of the transaction."""
    return Disclosure.objects.select_for_update().select_related("project").get(pk=disclosure.pk)


def _require_state(d: Disclosure, allowed, doing: str) -> None:
    if d.state not in allowed:
        names = ", ".join(State(s).label.lower() for s in allowed)
        raise WrongState(
            _("Cannot %(doing)s: the disclosure is %(state)s (this needs: %(names)s).")
            % {"doing": _(doing), "state": d.get_state_display().lower(), "names": names}
        )


def _move(d: Disclosure, to: str, *, by, detail: str = "", lane: str = "", reason=None) -> None:
    """Change the locked disclosure's state and log it (the caller checked it is allowed)."""
    old = d.state
    d.state = to
    if reason is not None:
        d.state_reason = reason
    d.save()
    audit_record(
        disclosure=d,
        by=by,
        action=Action.TRANSITION,
        from_state=old,
        to_state=to,
        lane=lane,
        detail=detail,
    )


def _sync(target: Disclosure, source: Disclosure) -> Disclosure:
    """Bring the caller's instance up to date with the row the service changed."""
    target.refresh_from_db()
    return target


def _clean_plan(plan: dict) -> dict:
    out = {}
    if "mode" in plan:
        if plan["mode"] not in Disclosure.Mode.values:
            raise InvalidInput(_("Publish mode is full_history or snapshot."), field="mode")
        out["mode"] = plan["mode"]
    if "outbound_license" in plan:
        out["outbound_license"] = validation.license_validate(plan["outbound_license"])
    if "target_repo" in plan:
        out["target_repo"] = validation.repo_name_validate(plan["target_repo"])
    if "maintainers" in plan:
        out["maintainers"] = validation.maintainers_validate(plan["maintainers"])
    if "purpose" in plan:
        purpose = (plan["purpose"] or "").strip()
        if not purpose:
            raise InvalidInput(_("Say what the release is for."), field="purpose")
        out["purpose"] = purpose
    if "expected_contributions" in plan:
        if plan["expected_contributions"] not in Disclosure.Contributions.values:
            raise InvalidInput(
                _("Expected contributions is none, occasional or regular."),
                field="expected_contributions",
            )
        out["expected_contributions"] = plan["expected_contributions"]
    unknown = set(plan) - set(out)
    if unknown:
        raise InvalidInput(_("Unknown plan fields: %s.") % ", ".join(sorted(unknown)))
    return out


PLAN_FIELDS = (
    "mode",
    "outbound_license",
    "purpose",
    "target_repo",
    "maintainers",
    "expected_contributions",
)


def _require_complete_plan(d: Disclosure) -> None:
    for name in ("outbound_license", "purpose", "target_repo", "maintainers"):
        if not getattr(d, name):
            raise InvalidInput(_("The release plan needs %s.") % name.replace("_", " "), field=name)


def _screening_queue(d: Disclosure, *, by) -> Screening:
    """Create a running screening of the disclosure's sha and queue the task after commit."""
    screening = Screening.objects.create(
        project=d.project,
        disclosure=d,
        sha=d.sha,
        mode=d.mode,
        outbound_license=d.outbound_license,
        requested_by=by,
        progress_phase="queued",
    )

    def queue():
        from review.tasks import screen_disclosure

        screen_disclosure.apply_async(args=[screening.pk], queue=SCREENING_QUEUE)

    transaction.on_commit(queue)
    return screening


# -- researcher ------------------------------------------------------------------------------


def disclosure_create(*, project, by, sha: str = "", **plan) -> Disclosure:
    """A draft disclosure with (part of) its release plan. One open disclosure per project."""
    access.require_researcher(by, project=project)
    values = _clean_plan(plan)
    if sha:
        values["sha"] = validation.sha_validate(project, sha)
    with transaction.atomic():
        if Disclosure.objects.filter(project=project).exclude(state__in=FINAL_STATES).exists():
            raise WrongState(_("This project already has an open disclosure."))
        try:
            with transaction.atomic():
                d = Disclosure.objects.create(project=project, submitted_by=by, **values)
        except IntegrityError:
            raise WrongState(_("This project already has an open disclosure.")) from None
        audit_record(
            disclosure=d, by=by, action=Action.TRANSITION, to_state=State.DRAFT, detail="created"
        )
    return d


def disclosure_submit(*, disclosure: Disclosure, by, sha: str | None = None, **plan) -> Disclosure:
    """draft → submitted: checks the commit and the plan, then queues the screening."""
    access.require_researcher(by, disclosure)
    values = _clean_plan(plan)
    sha = validation.sha_validate(disclosure.project, sha or disclosure.sha)
    with transaction.atomic():
        d = _lock(disclosure)
        _require_state(d, (State.DRAFT,), gettext_noop("submit"))
        for name, value in values.items():
            setattr(d, name, value)
        _require_complete_plan(d)
        d.sha, d.round, d.submitted_at = sha, d.round + 1, timezone.now()
        d.submitted_by = d.submitted_by or by
        _move(d, State.SUBMITTED, by=by, detail=f"submitted {sha}", reason="")
        _screening_queue(d, by=by)
    return _sync(disclosure, d)


def disclosure_request(*, project, by, sha: str, **plan) -> Disclosure:
    """The researcher's "request release": create the draft and submit it at once."""
    with transaction.atomic():
        d = disclosure_create(project=project, by=by, **plan)
        return disclosure_submit(disclosure=d, by=by, sha=sha)


def disclosure_resubmit(*, disclosure: Disclosure, by, sha: str, **plan) -> Disclosure:
    """screen_failed | changes_requested | re_review → submitted, with a new sha (a re-review
    may keep the released one)."""
    access.require_researcher(by, disclosure)
    values = _clean_plan(plan)
    sha = validation.sha_validate(disclosure.project, sha)
    with transaction.atomic():
        d = _lock(disclosure)
        _require_state(d, RESUBMIT_FROM, gettext_noop("resubmit"))
        if sha == d.sha and d.state != State.RE_REVIEW:
            raise InvalidInput(
                _("Resubmit a new commit: this one was already screened and reviewed."), field="sha"
            )
        for name, value in values.items():
            setattr(d, name, value)
        _require_complete_plan(d)
        d.sha, d.round, d.submitted_at = sha, d.round + 1, timezone.now()
        _move(d, State.SUBMITTED, by=by, detail=f"resubmitted {sha}", reason="")
        _screening_queue(d, by=by)
    return _sync(disclosure, d)


def disclosure_withdraw(*, disclosure: Disclosure, by, reason: str = "") -> Disclosure:
    """Any non-final state → withdrawn (the researcher)."""
    access.require_researcher(by, disclosure)
    with transaction.atomic():
        d = _lock(disclosure)
        _require_state(
            d, [s for s in State.values if s not in FINAL_STATES], gettext_noop("withdraw")
        )
        _move(d, State.WITHDRAWN, by=by, detail=reason or "withdrawn", reason=reason)
    return _sync(disclosure, d)


def disclosure_rescreen(*, disclosure: Disclosure, by) -> Screening:
    """Screen the same sha again (after a failed screening, or under newer rules).

    submitted | screen_failed | in_review → submitted. Votes are per sha, so they stay.
    """
    if not access.is_committee(by):
        access.require_researcher(by, disclosure)
    with transaction.atomic():
        d = _lock(disclosure)
        _require_state(d, RESCREEN_FROM, gettext_noop("screen again"))
        running = Screening.objects.filter(disclosure=d, state=Screening.State.RUNNING)
        if running.exists():
            raise WrongState(_("A screening of this disclosure is already running."))
        if d.state != State.SUBMITTED:
            _move(d, State.SUBMITTED, by=by, detail="screen again")
        else:
            audit_record(disclosure=d, by=by, action=Action.SCREENING, detail="screen again")
        screening = _screening_queue(d, by=by)
    disclosure.refresh_from_db()
    return screening


def disclosure_comment(*, disclosure: Disclosure, by, text: str) -> AuditEntry:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("Write a comment."), field="text")
    if not access.can_view(by, disclosure):
        raise NotAllowed(_("You cannot see this disclosure."))
    may = access.is_committee(by) or access.can_edit_project(by, disclosure.project)
    if not may and disclosure.submitted_by_id != by.pk:
        raise NotAllowed(_("Only the committee and the project's researchers may comment."))
    return audit_record(disclosure=disclosure, by=by, action=Action.COMMENT, detail=text)


# -- the screening (system) ------------------------------------------------------------------


def disclosure_screening_started(*, disclosure: Disclosure, screening: Screening) -> Disclosure:
    """submitted → screening, when the task starts on the disclosure's current sha."""
    with transaction.atomic():
        d = _lock(disclosure)
        _require_state(d, (State.SUBMITTED,), gettext_noop("start screening"))
        if screening.sha != d.sha:
            raise WrongState(_("The disclosure moved to another commit; this screening is moot."))
        _move(d, State.SCREENING, by=None, detail=f"screening #{screening.pk} started")
    return _sync(disclosure, d)


def disclosure_screening_failed(
    *, disclosure: Disclosure, screening: Screening, reason: str
) -> Disclosure:
    """screening → submitted: the screening could not run; the reason is kept on the page."""
    with transaction.atomic():
        d = _lock(disclosure)
        if d.state == State.SCREENING:
            _move(
                d,
                State.SUBMITTED,
                by=None,
                detail=f"screening #{screening.pk} failed: {reason}",
                reason=f"Screening failed: {reason}",
            )
        else:
            d.state_reason = f"Screening failed: {reason}"
            d.save(update_fields=["state_reason", "updated_at"])
            audit_record(
                disclosure=d,
                by=None,
                action=Action.SCREENING,
                detail=f"screening #{screening.pk} failed: {reason}",
            )
    return _sync(disclosure, d)


def disclosure_screened(*, disclosure: Disclosure, screening: Screening) -> Disclosure:
    """screening → screen_failed (unwaived blocking findings) or in_review (lanes notified)."""
    with transaction.atomic():
        d = _lock(disclosure)
        _require_state(d, (State.SCREENING,), gettext_noop("finish screening"))
        blocking = selectors.findings_blocking(screening).count()
        total = screening.findings.count()
        if blocking:
            _move(
                d,
                State.SCREEN_FAILED,
                by=None,
                detail=f"screening #{screening.pk}: {blocking} blocking of {total} finding(s)",
                reason=f"{blocking} blocking finding(s): fix them and resubmit, or ask for a "
                "waiver.",
            )
        else:
            _enter_review(d, by=None, detail=f"screening #{screening.pk}: {total} finding(s)")
    return _sync(disclosure, d)


def _enter_review(d: Disclosure, *, by, detail: str) -> None:
    _move(d, State.IN_REVIEW, by=by, detail=detail, reason="")
    notifications.lanes_needed(d, selectors.lanes_pending(d))


def disclosure_unblocked(*, disclosure: Disclosure, by) -> bool:
    """screen_failed → in_review once no blocking finding is left unwaived (after a waiver)."""
    d = _lock(disclosure)
    if d.state != State.SCREEN_FAILED:
        return False
    screening = selectors.current_screening(d)
    if screening is None or screening.state != Screening.State.DONE:
        return False
    if selectors.findings_blocking(screening).exists():
        return False
    _enter_review(d, by=by, detail="no blocking finding left unwaived")
    return True


# -- committee -------------------------------------------------------------------------------


def _lane_check(d: Disclosure, by, lane: str, doing: str) -> None:
    if lane not in Lane.values:
        raise InvalidInput(_("Unknown lane %r.") % lane, field="lane")
    access.require_lane(by, d, lane)
    _require_state(d, (State.IN_REVIEW,), doing)


def disclosure_lane_sign_off(*, disclosure: Disclosure, lane: str, by, note: str = "") -> Vote:
    """A lane's assignee signs the current sha off (in review)."""
    with transaction.atomic():
        d = _lock(disclosure)
        _lane_check(d, by, lane, gettext_noop("sign off"))
        vote = Vote.objects.create(
            disclosure=d,
            lane=lane,
            sha=d.sha,
            decision=Vote.Decision.SIGNED_OFF,
            by=by,
            note=note,
        )
        audit_record(
            disclosure=d, by=by, action=Action.VOTE, lane=lane, detail=note or "signed off"
        )
    disclosure.refresh_from_db()
    return vote


def disclosure_send_back(*, disclosure: Disclosure, lane: str, by, note: str) -> Vote:
    """in_review → changes_requested, by a lane's assignee, with what to change."""
    note = (note or "").strip()
    if not note:
        raise InvalidInput(_("Say what has to change."), field="note")
    with transaction.atomic():
        d = _lock(disclosure)
        _lane_check(d, by, lane, gettext_noop("send back"))
        vote = Vote.objects.create(
            disclosure=d, lane=lane, sha=d.sha, decision=Vote.Decision.SENT_BACK, by=by, note=note
        )
        audit_record(
            disclosure=d, by=by, action=Action.VOTE, lane=lane, detail=f"sent back: {note}"
        )
        _move(d, State.CHANGES_REQUESTED, by=by, lane=lane, detail=note, reason=note)
        notifications.sent_back(d, lane=lane, by=by, note=note)
    disclosure.refresh_from_db()
    return vote


def approval_blockers(disclosure: Disclosure, *, rules_version: str | None = None) -> list[str]:
    """What still stands between the disclosure and approval (empty: the chair may approve)."""
    out = []
    if disclosure.state != State.IN_REVIEW:
        out.append(
            _("The disclosure is %s, not in review.") % disclosure.get_state_display().lower()
        )
    pending = selectors.lanes_pending(disclosure)
    if pending:
        out.append(_("Lanes not signed off: %s.") % ", ".join(str(Lane(p).label) for p in pending))
    screening = selectors.current_screening(disclosure)
    if screening is None or screening.state != Screening.State.DONE:
        out.append(_("The commit has no finished screening."))
    else:
        if rules_version is None:
            from review import engine

            rules_version = engine.rules_version()
        if selectors.screening_is_stale(screening, rules_version):
            out.append(_("The screening ran under older rules; screen again."))
        blocking = selectors.findings_blocking(screening).count()
        if blocking:
            out.append(_("%d blocking finding(s) are not waived.") % blocking)
    undecided = selectors.patents_undecided(disclosure)
    if undecided:
        out.append(
            _("The IP lane has not decided on patent(s) %s.")
            % ", ".join(p.number for p in undecided)
        )
    blocked = [
        dec.patent.number
        for dec in selectors.patent_decisions(disclosure).values()
        if dec.decision == dec.Decision.BLOCKS
    ]
    if blocked:
        out.append(_("The IP lane found that patent(s) %s block the release.") % ", ".join(blocked))
    return out


def disclosure_approve(*, disclosure: Disclosure, by, note: str = "") -> Disclosure:
    """in_review → approved, by the chair, for exactly the current sha; queues publishing."""
    with transaction.atomic():
        d = _lock(disclosure)
        access.require_chair(by, d)
        _require_state(d, (State.IN_REVIEW,), gettext_noop("approve"))
        blockers = approval_blockers(d)
        if blockers:
            raise WrongState(_("Not yet: %s") % " ".join(blockers))
        d.approved_sha, d.approved_by, d.approved_at = d.sha, by, timezone.now()
        _move(d, State.APPROVED, by=by, detail=note or f"approved {d.sha}", reason="")
        notifications.approved(d, by=by)
        pk = d.pk
        transaction.on_commit(lambda: queue_publish(pk))
    return _sync(disclosure, d)


def queue_publish(disclosure_id: int) -> bool:
    """Queue the federation's publish task by name (review never imports federation's tasks).

    With a broker, `send_task` by name. In eager mode `send_task` would not run the task, so it
    is looked up in the app's registry and run with `.delay()`; when federation has not
    registered it (yet), publishing is not available and that is logged.
    """
    from celery import current_app

    if current_app.conf.task_always_eager:
        task = current_app.tasks.get(PUBLISH_TASK)
        if task is None:
            log.warning(
                "publishing is not available: no task %s; disclosure %s stays approved",
                PUBLISH_TASK,
                disclosure_id,
            )
            return False
        try:
            task.delay(disclosure_id)
        except Exception as exc:  # eager mode: a failed publish must not break the approval
            log.exception(
                "publishing disclosure %s failed in-process; it can be retried from the "
                "federation page",
                disclosure_id,
            )
            d = Disclosure.objects.filter(pk=disclosure_id).first()
            if d is not None and d.state == State.PUBLISHING:
                disclosure_publishing_failed(disclosure=d, error=f"{exc.__class__.__name__}: {exc}")
            return False
        return True
    current_app.send_task(PUBLISH_TASK, args=[disclosure_id])
    return True


def disclosure_reject(*, disclosure: Disclosure, by, reason: str) -> Disclosure:
    """Any non-final state → rejected, by the chair."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give the reason for the rejection."), field="reason")
    with transaction.atomic():
        d = _lock(disclosure)
        access.require_chair(by, d)
        _require_state(
            d, [s for s in State.values if s not in FINAL_STATES], gettext_noop("reject")
        )
        _move(d, State.REJECTED, by=by, detail=reason, reason=reason)
    return _sync(disclosure, d)


def disclosure_archive(*, disclosure: Disclosure, by, reason: str = "") -> Disclosure:
    """released → archived, by the chair or the project's researchers."""
    if not access.is_chair(by):
        access.require_researcher(by, disclosure)
    with transaction.atomic():
        d = _lock(disclosure)
        _require_state(d, (State.RELEASED,), gettext_noop("archive"))
        _move(d, State.ARCHIVED, by=by, detail=reason or "archived", reason=reason)
    return _sync(disclosure, d)


# -- federation (system) ---------------------------------------------------------------------


def disclosure_publishing_start(*, disclosure: Disclosure) -> Disclosure:
    """approved → publishing, when the federation engine starts pushing the approved sha."""
    with transaction.atomic():
        d = _lock(disclosure)
        _require_state(d, (State.APPROVED,), gettext_noop("start publishing"))
        _move(d, State.PUBLISHING, by=None, detail=f"publishing {d.approved_sha}")
    return _sync(disclosure, d)


def disclosure_publishing_failed(*, disclosure: Disclosure, error: str) -> Disclosure:
    """publishing → approved, so publishing can be tried again."""
    with transaction.atomic():
        d = _lock(disclosure)
        _require_state(d, (State.PUBLISHING,), gettext_noop("record a publishing failure"))
        _move(d, State.APPROVED, by=None, detail=f"publishing failed: {error}", reason=error)
    return _sync(disclosure, d)


def disclosure_released(*, disclosure: Disclosure, public_url: str) -> Disclosure:
    """publishing → released, with the public repository's address."""
    with transaction.atomic():
        d = _lock(disclosure)
        _require_state(d, (State.PUBLISHING,), gettext_noop("mark released"))
        d.public_url, d.released_at = public_url, timezone.now()
        _move(d, State.RELEASED, by=None, detail=f"released at {public_url}")
    return _sync(disclosure, d)


def disclosure_re_review(*, disclosure: Disclosure, reason: str, by=None) -> Disclosure:
    """released → re_review (12 months passed, or scope, license or patent status changed)."""
    with transaction.atomic():
        d = _lock(disclosure)
        _require_state(d, (State.RELEASED,), gettext_noop("ask for a re-review"))
        _move(d, State.RE_REVIEW, by=by, detail=reason, reason=reason)
    return _sync(disclosure, d)


def disclosures_re_review_for_project(*, project, reason: str, by=None) -> list[Disclosure]:
    """Put the project's released disclosure (if any) back to re-review. For the registry
    (scope or license changed) and the patent register (a linked patent changed)."""
    out = []
    for d in Disclosure.objects.filter(project=project, state=State.RELEASED):
        out.append(disclosure_re_review(disclosure=d, reason=reason, by=by))
    return out


def _months_ago(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for dd in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, dd)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def disclosures_re_review_due(*, today: dt.date | None = None) -> list[Disclosure]:
    """Released disclosures released 12 months ago or longer go back to re-review."""
    today = today or timezone.localdate()
    cutoff = _months_ago(today, RE_REVIEW_AFTER_MONTHS)
    due = Disclosure.objects.filter(state=State.RELEASED, released_at__date__lte=cutoff)
    return [
        disclosure_re_review(
            disclosure=d, reason=f"{RE_REVIEW_AFTER_MONTHS} months since the release"
        )
        for d in due
    ]


def screen_delta(*, project, old_sha: str, new_sha: str, by=None):
    """Screen only the commits `old_sha..new_sha` of a released project (for the federation
    engine); see review.screening.screen_delta. Blocking = selectors.findings_blocking(result)."""
    from review.screening import screen_delta as run

    return run(project=project, old_sha=old_sha, new_sha=new_sha, by=by)
