"""Reporting periods in the institute's time zone: week, month, quarter, year, or custom."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

KINDS = ("week", "month", "quarter", "year", "custom")
# The kinds are also their labels in the period form ({% translate k|capfirst %}): marked here.
KIND_LABELS = (
    gettext_noop("week"),
    gettext_noop("month"),
    gettext_noop("quarter"),
    gettext_noop("year"),
)


class PeriodError(ValueError):
    """A period that cannot be used, with a message for people."""


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date
    end: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return self.start.strftime("%Y-%m")
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.start.year)
        return f"{self.start} to {self.end}"

    def previous(self) -> Period:
        if self.kind == "custom":
            end = self.start - dt.timedelta(days=1)
            return Period("custom", end - dt.timedelta(days=self.days - 1), end)
        return period_of(self.kind, self.start - dt.timedelta(days=1))

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "label": self.label,
            "since": self.start.isoformat(),
            "until": self.end.isoformat(),
            "time_zone": timezone.get_default_timezone_name(),
        }


def period_of(kind: str, day: dt.date) -> Period:
    """The week (Monday first), month, quarter or year containing `day`."""
    if kind == "week":
        start = day - dt.timedelta(days=day.weekday())
        return Period(kind, start, start + dt.timedelta(days=6))
    if kind == "month":
        start = day.replace(day=1)
        return Period(kind, start, _month_end(start, 1))
    if kind == "quarter":
        start = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return Period(kind, start, _month_end(start, 3))
    if kind == "year":
        return Period(kind, dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))
    raise PeriodError(
        gettext("Unknown period %(kind)r; use one of %(kinds)s.")
        % {"kind": kind, "kinds": ", ".join(KINDS)}
    )


def _month_end(start: dt.date, months: int) -> dt.date:
    year, month = divmod(start.month - 1 + months, 12)
    return dt.date(start.year + year, month + 1, 1) - dt.timedelta(days=1)


def custom(since: dt.date, until: dt.date) -> Period:
    if until < since:
        raise PeriodError(
            gettext("The end (%(until)s) is before the start (%(since)s).")
            % {"until": until, "since": since}
        )
    if (until - since).days > 366 * 10:
        raise PeriodError(gettext("A period can be at most ten years long."))
    return Period("custom", since, until)


def _date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise PeriodError(f"{name} must be a date like 2025-03-31, not {value!r}.") from None


def period_from_params(params) -> Period:
    """From `period` (week|month|quarter|year|custom), `date` (any day inside; default today),
    or `since`/`until` (custom). Raises PeriodError for anything unusable."""
    kind = (params.get("period") or "").strip() or None
    since, until = params.get("since"), params.get("until")
    if since or until or kind == "custom":
        if not (since and until):
            raise PeriodError("A custom period needs both since and until.")
        return custom(_date(since, "since"), _date(until, "until"))
    day = _date(params["date"], "date") if params.get("date") else timezone.localdate()
    return period_of(kind or "quarter", day)
