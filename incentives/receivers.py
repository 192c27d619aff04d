"""Recompute awards when the org directory or a project's ownership changes (as adjustments)."""

from django.dispatch import receiver

from people.signals import memberships_changed
from projects.signals import ownership_changed


@receiver(memberships_changed, dispatch_uid="incentives.memberships_changed")
def on_memberships_changed(sender, membership_ids, reason, **kwargs):
    from incentives.tasks import recompute_for_memberships

    recompute_for_memberships.delay(list(membership_ids), reason)


@receiver(ownership_changed, dispatch_uid="incentives.ownership_changed")
def on_ownership_changed(sender, project, since, reason, **kwargs):
    from incentives.tasks import recompute_for_project

    recompute_for_project.delay(project.pk, since.isoformat(), reason)
