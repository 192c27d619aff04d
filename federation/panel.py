"""The "Public mirror" panel of the project page (registered in FederationConfig.ready): the
mirror's state, held commits, divergences, and the internal-to-public commit map."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from federation.models import CommitMap, Divergence, HeldDelta, Mirror, SyncRun

MAP_ROWS = 20


def mirror_state(mirror: Mirror | None, *, diverged: bool, held: bool, failing: bool) -> str:
    if mirror is None:
        return gettext_noop("not released")
    if mirror.state == Mirror.State.PUBLISHING:
        return gettext_noop("publishing")
    if diverged:
        return gettext_noop("diverged")
    if held:
        return gettext_noop("held")
    if failing:
        return gettext_noop("failing")
    return gettext_noop("in sync")


def mirror_panel(project, user) -> dict | None:
    mirror = Mirror.objects.filter(project=project).first()
    last = SyncRun.objects.filter(project=project).first()
    if mirror is None and last is None:
        return None
    held = HeldDelta.objects.filter(project=project, state=HeldDelta.State.OPEN).first()
    diverged = (
        Divergence.objects.filter(project=project)
        .exclude(state__in=Divergence.FINAL_STATES)
        .first()
    )
    copies = list(CommitMap.objects.filter(project=project)[:MAP_ROWS])
    return {
        "mirror": mirror,
        "state": mirror_state(
            mirror,
            diverged=diverged is not None,
            held=held is not None,
            failing=bool(last and last.status == SyncRun.Status.FAILED),
        ),
        "held": held,
        "divergence": diverged,
        "last_run": last,
        "copies": copies,
        "copies_total": CommitMap.objects.filter(project=project).count() if copies else 0,
        "identity_map": bool(mirror and not mirror.rewrites),
        "can_admin": user.has_perm("people.administer_ospo"),
    }
