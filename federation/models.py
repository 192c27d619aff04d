"""Records of the federation engine.

Append-only audit records: WebhookDelivery, SyncRun, CommitMap, Clearance (admin: read only).
Decisions with a workflow: HeldDelta (a minor review for the security lane) and Divergence
(the public branch and ours disagree: import, overwrite or hold). Configuration: PublishRules.
State of the public copy: Mirror (one per released project) and SyncLease (the per-project lock).
"""

from django.conf import settings
from django.db import models
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

DEFAULT_EXCLUDED_PATHS = ("internal/", ".gitlab-ci.yml")


def default_excluded_paths() -> list[str]:
    return list(getattr(settings, "FEDERATION_DEFAULT_EXCLUDED_PATHS", DEFAULT_EXCLUDED_PATHS))


class WebhookDelivery(models.Model):
    class Forge(models.TextChoices):
        GITLAB = "gitlab", _("GitLab")
        GITHUB = "github", _("GitHub")

    class Outcome(models.TextChoices):
        QUEUED = "queued", _("Queued")
        IGNORED = "ignored", _("Ignored")

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


class HistoryImmutable(Exception):
    """Somebody tried to change a finished sync run, or to delete sync history."""


class SyncRunQuerySet(models.QuerySet):
    """A run is written while it runs and closed once (`finished_at` set); then it is history.
    Updates may touch only unfinished runs, and nothing deletes runs (see also the pre_delete
    guard below, which stops cascades from a deleted project)."""

    def update(self, **kwargs):
        if self.filter(finished_at__isnull=False).exists():
            raise HistoryImmutable("A finished sync run is history: it cannot be changed.")
        return super().update(**kwargs)

    def delete(self):
        raise HistoryImmutable("The sync history cannot be deleted.")


class SyncRun(models.Model):
    """One run of the pipeline for one project (a sync, a publish, an import), whatever the
    outcome. A retried task writes one row per attempt. Append-only once finished: saving a
    finished run or deleting any run raises HistoryImmutable."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        HELD = "held", _("Held for review")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")

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
    commits_skipped = models.PositiveIntegerField(default=0)
    attempt = models.PositiveSmallIntegerField(default=1)
    error = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True, help_text="Public refs, notes")

    objects = SyncRunQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["project", "-started_at"]), models.Index(fields=["status"])]

    def __str__(self):
        return f"sync of {self.project} ({self.trigger}): {self.status}"

    def save(self, *args, **kwargs):
        if not self._state.adding and self.pk is not None:
            finished = SyncRun.objects.filter(pk=self.pk, finished_at__isnull=False)
            if finished.exists():
                raise HistoryImmutable("A finished sync run is history: it cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise HistoryImmutable("The sync history cannot be deleted.")

    @property
    def duration(self):
        return (self.finished_at - self.started_at) if self.finished_at else None


@receiver(pre_delete, sender=SyncRun)
def _keep_sync_history(sender, instance, **kwargs):
    """Also stops the cascade from deleting a project that has sync history."""
    raise HistoryImmutable(
        f"Project {instance.project_id} has sync history; it cannot be deleted with it."
    )


class PublishRules(models.Model):
    """What leaves the institute with a project: paths kept out, authors mapped, tags mirrored."""

    project = models.OneToOneField(
        "projects.Project", on_delete=models.CASCADE, related_name="publish_rules"
    )
    excluded_paths = models.JSONField(
        default=default_excluded_paths,
        blank=True,
        help_text='Paths from the repository root: "dir/" for a folder, a file path, or a glob.',
    )
    map_authors = models.BooleanField(
        default=True, help_text="Replace internal addresses by each person's public or noreply one"
    )
    tag_pattern = models.CharField(
        max_length=200, blank=True, help_text='Tags to mirror (glob, e.g. "v*"); empty: none'
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "publish rules"

    def __str__(self):
        return f"publish rules of {self.project}"


class Mirror(models.Model):
    """The public GitHub copy of a released project and how far it got."""

    class State(models.TextChoices):
        PUBLISHING = "publishing", _("Publishing")
        ACTIVE = "active", _("Active")

    project = models.OneToOneField(
        "projects.Project", on_delete=models.CASCADE, related_name="mirror"
    )
    disclosure = models.ForeignKey(
        "review.Disclosure", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PUBLISHING)
    github_path = models.CharField(max_length=200, unique=True, help_text="org/name")
    web_url = models.URLField(max_length=500, blank=True)
    clone_url = models.URLField(max_length=500, blank=True)
    branch = models.CharField(max_length=255, default="main", help_text="Public default branch")
    mode = models.CharField(max_length=12, default="full_history")
    rewrites = models.BooleanField(default=True, help_text="Public commits are rewritten copies")
    repo_created = models.BooleanField(default=False, help_text="We created the repository")
    published_sha = models.CharField(max_length=64, blank=True, help_text="Internal tip out")
    public_sha = models.CharField(max_length=64, blank=True, help_text="Public tip we pushed")
    seen_sha = models.CharField(max_length=64, blank=True, help_text="Internal tip last seen")
    seen_refs = models.JSONField(default=dict, blank=True, help_text="GitLab refs last synced")
    force_reason = models.TextField(blank=True, help_text="Set by an overwrite decision")
    released_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True, help_text="Last reconcile")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["github_path"]
        indexes = [models.Index(fields=["state"])]

    def __str__(self):
        return f"{self.project} -> {self.github_path}"


class CommitMap(models.Model):
    """Internal commit -> its public copy (the same sha when nothing is rewritten)."""

    class Source(models.TextChoices):
        PUBLISH = "publish", _("Published")
        IMPORT = "import", _("Imported from GitHub")

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    internal_sha = models.CharField(max_length=64)
    public_sha = models.CharField(max_length=64)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.PUBLISH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["project", "public_sha"])]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "internal_sha"], name="commitmap_unique_internal"
            )
        ]

    def __str__(self):
        return f"{self.internal_sha[:12]} -> {self.public_sha[:12]}"


class Clearance(models.Model):
    """`base..tip` was screened clean (waivers applied): the guard lets `tip` out when `base`
    may go out."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    base_sha = models.CharField(max_length=64)
    tip_sha = models.CharField(max_length=64)
    screening = models.ForeignKey(
        "review.Screening", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["project", "tip_sha"])]

    def __str__(self):
        return f"cleared {self.base_sha[:12]}..{self.tip_sha[:12]}"


class HeldDelta(models.Model):
    """New commits the sync did not publish: a minor review for the security lane."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        RELEASED = "released", _("Released")
        DISMISSED = "dismissed", _("Dismissed")

    FINAL_STATES = (State.RELEASED, State.DISMISSED)

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="held_deltas"
    )
    lane = models.CharField(max_length=10, default="security")
    from_sha = models.CharField(max_length=64, help_text="Published (exclusive)")
    to_sha = models.CharField(max_length=64, help_text="Held tip (inclusive)")
    first_blocked_sha = models.CharField(max_length=64, blank=True)
    screening = models.ForeignKey(
        "review.Screening", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    findings = models.JSONField(default=list, blank=True, help_text="What blocked it")
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["project", "state"]), models.Index(fields=["state"])]

    def __str__(self):
        return f"held {self.from_sha[:12]}..{self.to_sha[:12]} of {self.project} ({self.state})"

    @property
    def range(self) -> str:
        return f"{self.from_sha}..{self.to_sha}"


class Divergence(models.Model):
    """The public branch is not where we left it, or GitLab rewrote published history."""

    class Kind(models.TextChoices):
        PUBLIC_PUSH = "public_push", _("Pushed directly to GitHub")
        INTERNAL_REWRITE = "internal_rewrite", _("Published history rewritten on GitLab")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        HELD = "held", _("Held")
        IMPORTED = "imported", _("Imported as a merge request")
        OVERWRITTEN = "overwritten", _("Overwritten")
        RESOLVED = "resolved", _("Resolved")

    FINAL_STATES = (State.OVERWRITTEN, State.RESOLVED)

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="divergences"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    ref = models.CharField(max_length=255)
    public_sha = models.CharField(max_length=64, help_text="What GitHub has")
    expected_sha = models.CharField(max_length=64, help_text="What we last pushed")
    internal_sha = models.CharField(max_length=64, help_text="Internal tip when detected")
    reason = models.TextField(blank=True, help_text="The admin's reason (overwrite, hold)")
    merge_request_url = models.URLField(max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["project", "state"]), models.Index(fields=["state"])]

    def __str__(self):
        return f"divergence of {self.project} on {self.ref} ({self.state})"


class PullRequestLink(models.Model):
    """A public pull request and the GitLab merge request it became."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        MERGED = "merged", _("Merged and published")
        CLOSED = "closed", _("Closed")

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="pull_requests"
    )
    number = models.PositiveIntegerField()
    url = models.URLField(max_length=500, blank=True)
    title = models.CharField(max_length=300, blank=True)
    author = models.CharField(max_length=100, blank=True, help_text="GitHub login")
    from_fork = models.CharField(max_length=200, blank=True)
    branch = models.CharField(max_length=255)
    head_sha = models.CharField(max_length=64, help_text="Public head imported")
    imported_sha = models.CharField(max_length=64, help_text="Its internal copy")
    mr_iid = models.PositiveIntegerField(null=True, blank=True)
    mr_url = models.URLField(max_length=500, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    merged_sha = models.CharField(max_length=64, blank=True, help_text="Internal merge commit")
    published_sha = models.CharField(max_length=64, blank=True, help_text="Its public copy")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="prlink_unique_number")
        ]

    def __str__(self):
        return f"PR #{self.number} of {self.project} ({self.state})"


class SyncLease(models.Model):
    """The per-project lock of syncs and publishes: a short UPDATE takes or frees it, and
    nothing is held open while git runs. `rerun` asks the holder to go once more."""

    project = models.OneToOneField(
        "projects.Project", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    token = models.CharField(max_length=32, blank=True)
    until = models.DateTimeField(null=True, blank=True)
    rerun = models.BooleanField(default=False)

    def __str__(self):
        return f"lease of project {self.project_id}"
