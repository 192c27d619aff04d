"""One sync (or publish) per project at a time, without holding anything open while git runs.

The lease is a row per project taken and released by single conditional UPDATEs (PostgreSQL and
SQLite alike), valid for `SYNC_LEASE_SECONDS` so a dead worker never blocks a project for good.
A sync that finds the lease taken does not wait: it sets `rerun`, and the holder goes round once
more before it lets go, so the refs always end where the last push left them. Different projects
never touch the same row.
"""

from __future__ import annotations

import datetime as dt
import secrets
from contextlib import contextmanager

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from federation.models import SyncLease

DEFAULT_SECONDS = 15 * 60


class Busy(Exception):
    """Another worker holds the project's lease (it will run again for us)."""


def _seconds() -> float:
    return float(getattr(settings, "SYNC_LEASE_SECONDS", DEFAULT_SECONDS))


def _free(now):
    return Q(token="") | Q(until__lt=now)


def acquire(project_id: int) -> str | None:
    """A token when the lease was free (or expired); None after asking the holder to rerun."""
    SyncLease.objects.get_or_create(project_id=project_id)
    while True:
        now = timezone.now()
        token = secrets.token_hex(8)
        took = SyncLease.objects.filter(_free(now), project_id=project_id).update(
            token=token, until=now + dt.timedelta(seconds=_seconds()), rerun=False
        )
        if took:
            return token
        SyncLease.objects.filter(project_id=project_id).update(rerun=True)
        # The holder may have let go between the two updates: then nobody would see `rerun`.
        if not SyncLease.objects.filter(_free(timezone.now()), project_id=project_id).exists():
            return None


def extend(project_id: int, token: str) -> bool:
    until = timezone.now() + dt.timedelta(seconds=_seconds())
    return bool(SyncLease.objects.filter(project_id=project_id, token=token).update(until=until))


def release(project_id: int, token: str) -> bool:
    """Let go, unless someone asked for a rerun meanwhile: then keep it and return True."""
    freed = SyncLease.objects.filter(project_id=project_id, token=token, rerun=False).update(
        token="", until=None
    )
    if freed:
        return False
    asked = SyncLease.objects.filter(project_id=project_id, token=token, rerun=True).update(
        rerun=False, until=timezone.now() + dt.timedelta(seconds=_seconds())
    )
    return bool(asked)


def drop(project_id: int, token: str) -> None:
    """Let go whatever happens (after an error); a pending rerun stays asked for."""
    SyncLease.objects.filter(project_id=project_id, token=token).update(token="", until=None)


def force_free(project_id: int) -> None:
    """For the stuck-run sweeper: the holder is gone."""
    SyncLease.objects.filter(project_id=project_id).update(token="", until=None)


@contextmanager
def held(project_id: int):
    """`with held(pk):` for one-off work (publish, import): raises Busy when taken."""
    token = acquire(project_id)
    if token is None:
        raise Busy(f"project {project_id} is being synced")
    try:
        yield token
    finally:
        drop(project_id, token)
