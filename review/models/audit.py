"""The append-only audit log of disclosures: transitions, votes, waivers, decisions, comments.

Rows are only ever inserted. `save()` of an existing row, `delete()`, and queryset `update()` /
`delete()` raise; the admin shows them read-only.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditImmutable(Exception):
    """Somebody tried to change or delete an audit entry."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditImmutable("The audit log is append-only.")

    def delete(self):
        raise AuditImmutable("The audit log is append-only.")

    # Bulk writes that would change existing rows.
    def bulk_update(self, objs, fields, batch_size=None):
        raise AuditImmutable("The audit log is append-only.")


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        TRANSITION = "transition", _("State change")
        VOTE = "vote", _("Lane vote")
        WAIVER = "waiver", _("Waiver")
        PATENT_DECISION = "patent_decision", _("Patent decision")
        COMMENT = "comment", _("Comment")
        SCREENING = "screening", _("Screening")

    disclosure = models.ForeignKey(
        "review.Disclosure", on_delete=models.PROTECT, related_name="audit_entries"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty for the system (screening, publishing, schedules)",
    )
    actor_name = models.CharField(max_length=150, help_text="Kept as it was at the time")
    action = models.CharField(max_length=16, choices=Action.choices)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    sha = models.CharField(max_length=64, blank=True)
    lane = models.CharField(max_length=10, blank=True)
    detail = models.TextField(blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.detail[:40]}"

    def save(self, *args, **kwargs):
        if self.pk is not None or not self._state.adding:
            raise AuditImmutable("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutable("The audit log is append-only.")
