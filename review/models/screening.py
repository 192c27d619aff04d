"""Screenings of a commit, their findings, and the waivers that carry over between them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from review.checks import base as checks_base
from review.models.disclosure import Lane


class Severity(models.TextChoices):
    BLOCKER = "blocker", _("Blocker")
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")
    INFO = "info", _("Info")


# A finding of these severities blocks the disclosure until it is fixed or waived (the engine's
# own summary counts blockers as blocking too, and `manage.py screen` exits 1 on them).
# The spec: a finding blocks unless waived; `info` findings only inform (one definition, the
# engine's).
BLOCKING_SEVERITIES = checks_base.BLOCKING_SEVERITIES
SEVERITY_ORDER = {s: i for i, s in enumerate(Severity.values)}


class Screening(models.Model):
    """One run of the screening engine over one sha of a project."""

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    FINAL_STATES = (State.DONE, State.FAILED)

    class Kind(models.TextChoices):
        DISCLOSURE = "disclosure", _("Disclosure")
        DELTA = "delta", _("New commits of a released project")

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="screenings"
    )
    disclosure = models.ForeignKey(
        "review.Disclosure",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="screenings",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.DISCLOSURE)
    sha = models.CharField(max_length=64)
    base_sha = models.CharField(max_length=64, blank=True, help_text="Delta: screened from here")
    mode = models.CharField(max_length=12, default="full_history")
    outbound_license = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.RUNNING)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    progress_phase = models.CharField(max_length=100, blank=True)
    versions = models.JSONField(default=dict, blank=True, help_text="Rules and library versions")
    summary = models.JSONField(default=dict, blank=True)
    stats = models.JSONField(default=dict, blank=True)
    stale = models.BooleanField(default=False, help_text="Screened under older rules")
    error = models.TextField(blank=True)
    author_emails = models.JSONField(default=list, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["project", "state"])]

    def __str__(self):
        return f"screening #{self.pk} of {self.project} at {self.sha[:12]} ({self.state})"

    @property
    def rules_version(self) -> str:
        return str(self.versions.get("rules", ""))

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 100 if self.state == self.State.DONE else 0
        return min(100, int(100 * self.progress_done / self.progress_total))


class Finding(models.Model):
    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="findings")
    check_name = models.CharField("check", max_length=60, db_column="check")
    rule = models.CharField(max_length=120)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    path = models.CharField(max_length=1000, blank=True)
    line = models.PositiveIntegerField(null=True, blank=True)
    commit = models.CharField(max_length=64, blank=True)
    message = models.TextField()
    fingerprint = models.CharField(max_length=128, db_index=True)
    blocking = models.BooleanField(default=False, help_text="Blocks unless waived")

    class Meta:
        ordering = ["check_name", "path", "line", "pk"]

    def __str__(self):
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{self.check_name}/{self.rule} {self.severity} {where}"


class WaiverQuerySet(models.QuerySet):
    def active_on(self, day):
        return self.filter(revoked_at__isnull=True, expires_on__gte=day)


class Waiver(models.Model):
    """Accepts a finding (by fingerprint) for a project until `expires_on` (inclusive)."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="waivers"
    )
    fingerprint = models.CharField(max_length=128)
    lane = models.CharField(max_length=10, choices=Lane.choices)
    reason = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_waivers",
        help_text="Who answers for the accepted risk",
    )
    expires_on = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # For context: what the finding was when it was waived.
    check_name = models.CharField("check", max_length=60, blank=True)
    rule = models.CharField(max_length=120, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = WaiverQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["project", "fingerprint"])]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="waiver_needs_reason"),
        ]

    def __str__(self):
        return f"waiver {self.fingerprint[:12]} on {self.project} until {self.expires_on}"
