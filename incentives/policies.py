"""Versions of the scoring policy: which one applies on a day, and publishing a new one."""

from __future__ import annotations

import bisect
import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from incentives.models import ScoringPolicy

DEFAULT_EFFECTIVE_FROM = dt.date(2000, 1, 1)

# Editable fields of a policy (the rest is bookkeeping).
PARAMETERS = (
    "base_points",
    "size_per_decade",
    "size_cap",
    "acceptance_owner",
    "acceptance_other",
    "novelty_bonus",
    "tiny_lines",
    "include_subteams",
    "revert_window_days",
)


class PolicyError(Exception):
    """A policy change that is not allowed, with a message for people."""


def policy_default() -> ScoringPolicy:
    """Version 1 (the model's defaults), created on first use."""
    policy = ScoringPolicy.objects.order_by("effective_from").first()
    if policy is None:
        policy, _ = ScoringPolicy.objects.get_or_create(
            version=1,
            defaults={
                "effective_from": DEFAULT_EFFECTIVE_FROM,
                "summary": "The first published rules.",
            },
        )
    return policy


def policy_publish(
    *, effective_from: dt.date, summary: str, by=None, allow_past: bool = False, **params
) -> ScoringPolicy:
    """Publish the next version. It applies to changes landing on or after `effective_from`.

    A version never starts in the past (closed periods keep the rules they were scored with)
    unless `allow_past` is given; even then, awards already written only change when an admin
    runs a recompute.
    """
    unknown = set(params) - set(PARAMETERS)
    if unknown:
        raise PolicyError(f"Unknown policy parameters: {sorted(unknown)}")
    today = timezone.localdate()
    if effective_from < today and not allow_past:
        raise PolicyError(
            f"A new version cannot start in the past ({effective_from}); closed periods keep "
            "their rules. Pick today or a later date."
        )
    policy_default()
    with transaction.atomic():
        latest = ScoringPolicy.objects.select_for_update().order_by("-version").first()
        if ScoringPolicy.objects.filter(effective_from=effective_from).exists():
            raise PolicyError(f"A version already starts on {effective_from}.")
        base = {name: getattr(latest, name) for name in PARAMETERS}
        base.update(params)
        version = (ScoringPolicy.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        return ScoringPolicy.objects.create(
            version=version, effective_from=effective_from, summary=summary, created_by=by, **base
        )


class PolicyBook:
    """All versions in memory; `on(day)` is the version in force on that local date."""

    def __init__(self):
        self.policies = list(ScoringPolicy.objects.order_by("effective_from"))
        if not self.policies:
            self.policies = [policy_default()]
        self._starts = [p.effective_from for p in self.policies]
        self.by_id = {p.id: p for p in self.policies}

    def on(self, day: dt.date) -> ScoringPolicy:
        i = bisect.bisect_right(self._starts, day) - 1
        return self.policies[max(i, 0)]

    def current(self) -> ScoringPolicy:
        return self.on(timezone.localdate())
