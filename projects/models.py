"""Registered GitLab projects and which team owns each, over time."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from config.crypto import EncryptedTextField
from people.models import Team, periods_overlap


def new_key() -> str:
    """The project's key in webhook URLs and cache paths: hex, so it never starts with '-'."""
    return secrets.token_hex(12)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Project(models.Model):
    class Sharing(models.TextChoices):
        PRIVATE = "private", _("Private (owner team only)")
        INTERNAL = "internal", _("Internal (whole institute)")

    class HookState(models.TextChoices):
        PENDING = "pending", _("Pending")
        INSTALLED = "installed", _("Installed")
        FAILED = "failed", _("Failed (retrying)")

    # Identity on the internal GitLab.
    gitlab_id = models.PositiveBigIntegerField(unique=True)
    path = models.CharField(max_length=500, unique=True, help_text="GitLab path_with_namespace")
    name = models.CharField(max_length=255)
    web_url = models.URLField(max_length=500)
    clone_url = models.URLField(max_length=500)
    default_branch = models.CharField(max_length=255, default="main")
    created_on = models.DateField(help_text="When the project was created on GitLab.")

    # What the researcher tells us.
    summary = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    topics = models.JSONField(default=list, blank=True)
    license = models.CharField(max_length=200, blank=True, help_text="Intended SPDX expression")
    contact = models.CharField(max_length=200, blank=True)
    sharing = models.CharField(max_length=10, choices=Sharing.choices, default=Sharing.INTERNAL)
    language = models.CharField(max_length=60, blank=True)

    # Webhooks: a per-project key in the URL and a secret in X-Gitlab-Token (encrypted at rest:
    # the hook is found by its key, then the secret is compared in constant time).
    key = models.CharField(max_length=32, unique=True, default=new_key, editable=False)
    hook_secret = EncryptedTextField(default=new_secret, editable=False)
    hook_state = models.CharField(
        max_length=10, choices=HookState.choices, default=HookState.PENDING
    )

    # Facts read from the repository by the sync.
    has_readme = models.BooleanField(default=False)
    has_contributing = models.BooleanField(default=False)
    contributing_text = models.TextField(blank=True)
    public_url = models.URLField(max_length=500, blank=True, help_text="Public GitHub mirror")

    # Activity rollups, kept current by the sync (see projects.activity for the score).
    recent_commits = models.PositiveIntegerField(default=0, help_text="Landed in the last 90 days")
    contributors = models.PositiveIntegerField(default=0, help_text="Distinct, last 90 days")
    cross_team_contributors = models.PositiveIntegerField(default=0, help_text="Last 90 days")
    last_commit_at = models.DateTimeField(null=True, blank=True)
    activity_score = models.FloatField(default=0.0, db_index=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    registered_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["path"]
        indexes = [models.Index(fields=["sharing"])]

    def __str__(self):
        return self.path


class OwnershipQuerySet(models.QuerySet):
    def active_on(self, day):
        return self.filter(start__lte=day).filter(Q(end__isnull=True) | Q(end__gte=day))


class Ownership(models.Model):
    """A team owns a project from `start` to `end` (inclusive); an open end means current."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="ownerships")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="ownerships")
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = OwnershipQuerySet.as_manager()

    class Meta:
        ordering = ["project", "start"]
        indexes = [models.Index(fields=["project", "start", "end"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="ownership_end_after_start",
            ),
            models.UniqueConstraint(fields=["project", "start"], name="ownership_unique_start"),
        ]

    def __str__(self):
        return f"{self.project} owned by {self.team} {self.start}..{self.end or ''}"

    def overlaps(self, start, end) -> bool:
        return periods_overlap(self.start, self.end, start, end)
