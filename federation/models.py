"""Webhook deliveries (deduplicated by id) and the sync history. Both are append-only records."""

from django.db import models


class WebhookDelivery(models.Model):
    class Forge(models.TextChoices):
        GITLAB = "gitlab", "GitLab"
        GITHUB = "github", "GitHub"

    class Outcome(models.TextChoices):
        QUEUED = "queued", "Queued"
        IGNORED = "ignored", "Ignored"

    forge = models.CharField(max_length=8, choices=Forge.choices)
    delivery_id = models.CharField(max_length=100)
    event = models.CharField(max_length=60)
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    detail = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["forge", "delivery_id"], name="delivery_unique_per_forge"
            )
        ]

    def __str__(self):
        return f"{self.forge} {self.event} {self.delivery_id}"


class SyncRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        HELD = "held", "Held for review"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    FINAL_STATES = (Status.SUCCEEDED, Status.HELD, Status.SKIPPED, Status.FAILED)

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="sync_runs"
    )
    trigger = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    refs_before = models.JSONField(default=dict, blank=True)
    refs_after = models.JSONField(default=dict, blank=True)
    commits_ingested = models.PositiveIntegerField(default=0)
    commits_published = models.PositiveIntegerField(default=0)
    commits_held = models.PositiveIntegerField(default=0)
    attempt = models.PositiveSmallIntegerField(default=1)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["project", "-started_at"]), models.Index(fields=["status"])]

    def __str__(self):
        return f"sync of {self.project} ({self.trigger}): {self.status}"

    @property
    def duration(self):
        return (self.finished_at - self.started_at) if self.finished_at else None
