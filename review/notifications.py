"""Emails of the review workflow, sent after the transaction commits."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.urls import reverse

from review.models import Disclosure, Lane

log = logging.getLogger(__name__)


def _link(disclosure: Disclosure) -> str:
    return settings.SERVICE_URL + reverse("review:disclosure", args=[disclosure.pk])


def _send(messages: list[tuple[str, str, list[str]]]) -> None:
    """Queue (subject, body, recipients) emails for after the commit; skip empty recipients."""
    datatuple = [
        (subject, body, settings.DEFAULT_FROM_EMAIL, sorted(set(to)))
        for subject, body, to in messages
        if to
    ]
    if not datatuple:
        return

    def send():
        try:
            send_mass_mail(datatuple, fail_silently=False)
        except Exception:  # a mail outage must not undo a review decision
            log.exception("could not send review emails")

    transaction.on_commit(send)


def lanes_needed(disclosure: Disclosure, lanes: list[str]) -> None:
    """Tell each lane's assignees that the disclosure waits for them."""
    from review.selectors import lane_assignees

    messages = []
    for lane in lanes:
        to = [u.email for u in lane_assignees(lane) if u.email]
        subject = f"[review] {disclosure.project.path} needs the {Lane(lane).label} lane"
        body = (
            f"The disclosure of {disclosure.project.path} at {disclosure.sha} is in review and "
            f"waits for the {Lane(lane).label} lane.\n\n{_link(disclosure)}\n"
        )
        messages.append((subject, body, to))
    _send(messages)


def sent_back(disclosure: Disclosure, *, lane: str, by, note: str) -> None:
    to = [disclosure.submitted_by.email] if disclosure.submitted_by_id else []
    subject = f"[review] Changes requested for {disclosure.project.path}"
    body = (
        f"{by.get_username()} ({Lane(lane).label} lane) sent the disclosure of "
        f"{disclosure.project.path} at {disclosure.sha} back:\n\n{note}\n\n"
        f"Resubmit a new commit from {_link(disclosure)}\n"
    )
    _send([(subject, body, [e for e in to if e])])


def approved(disclosure: Disclosure, *, by) -> None:
    from review.selectors import lane_assignees

    to = [disclosure.submitted_by.email] if disclosure.submitted_by_id else []
    for lane in Lane.values:
        to += [u.email for u in lane_assignees(lane)]
    subject = f"[review] {disclosure.project.path} approved for release"
    body = (
        f"{by.get_username()} approved the release of {disclosure.project.path} at "
        f"{disclosure.approved_sha} ({disclosure.get_mode_display()}, "
        f"{disclosure.outbound_license}) as {disclosure.target_repo}.\n\n{_link(disclosure)}\n"
    )
    _send([(subject, body, [e for e in to if e])])
