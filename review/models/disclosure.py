"""A disclosure: the request to publish one exact commit of a project, and its review lanes."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class Lane(models.TextChoices):
    LEGAL = "legal", _("Legal / license")
    SECURITY = "security", _("Security")
    IP = "ip", _("IP / patent")
    EXPORT = "export", _("Export control")


# The lane codes double as short names on the pages ({% translate lane %}): marked here.
LANE_CODES = (
    gettext_noop("legal"),
    gettext_noop("security"),
    gettext_noop("ip"),
    gettext_noop("export"),
)


class Disclosure(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        SCREENING = "screening", _("Screening")
        SCREEN_FAILED = "screen_failed", _("Screening found blockers")
        IN_REVIEW = "in_review", _("In review")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        APPROVED = "approved", _("Approved")
        PUBLISHING = "publishing", _("Publishing")
        RELEASED = "released", _("Released")
        RE_REVIEW = "re_review", _("Due for re-review")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        ARCHIVED = "archived", _("Archived")

    class Mode(models.TextChoices):
        FULL_HISTORY = "full_history", _("Full history")
        SNAPSHOT = "snapshot", _("Snapshot (one squashed commit)")

    class Contributions(models.TextChoices):
        NONE = "none", _("None expected")
        OCCASIONAL = "occasional", _("Occasional")
        REGULAR = "regular", _("Regular")

    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="disclosures"
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    sha = models.CharField(max_length=64, blank=True, help_text="The commit under review")
    mode = models.CharField(max_length=12, choices=Mode.choices, default=Mode.FULL_HISTORY)
    outbound_license = models.CharField(max_length=200, blank=True, help_text="SPDX expression")
    # The release plan.
    purpose = models.TextField(blank=True)
    target_repo = models.CharField(max_length=100, blank=True, help_text="GitHub repository name")
    maintainers = models.JSONField(default=list, blank=True, help_text="GitHub logins")
    expected_contributions = models.CharField(
        max_length=12, choices=Contributions.choices, default=Contributions.NONE
    )
    round = models.PositiveIntegerField(default=0, help_text="How many times it was submitted")

    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_sha = models.CharField(max_length=64, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    public_url = models.URLField(max_length=500, blank=True)
    state_reason = models.TextField(blank=True, help_text="Why it is in its current state")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["state"]), models.Index(fields=["project", "state"])]
        constraints = [
            # One open disclosure per project at a time (final states free the project).
            models.UniqueConstraint(
                fields=["project"],
                condition=~Q(state__in=["rejected", "withdrawn", "archived"]),
                name="disclosure_one_open_per_project",
            )
        ]

    def __str__(self):
        return f"disclosure #{self.pk} of {self.project} ({self.state})"

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def short_sha(self) -> str:
        return self.sha[:12]


State = Disclosure.State
FINAL_STATES = (State.REJECTED, State.WITHDRAWN, State.ARCHIVED)
# States in which the committee has something to look at.
ACTIVE_STATES = (
    State.SUBMITTED,
    State.SCREENING,
    State.SCREEN_FAILED,
    State.IN_REVIEW,
    State.CHANGES_REQUESTED,
    State.APPROVED,
    State.PUBLISHING,
    State.RE_REVIEW,
)


class LaneAssignment(models.Model):
    """A committee member who works one lane (managed in the admin)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_lanes"
    )
    lane = models.CharField(max_length=10, choices=Lane.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["lane", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "lane"], name="lane_assignment_unique")
        ]

    def __str__(self):
        return f"{self.user} on {self.get_lane_display()}"


class Vote(models.Model):
    """One lane's sign-off or send-back, for one exact sha. The newest vote of a lane counts."""

    class Decision(models.TextChoices):
        SIGNED_OFF = "signed_off", _("Signed off")
        SENT_BACK = "sent_back", _("Sent back")

    disclosure = models.ForeignKey(Disclosure, on_delete=models.CASCADE, related_name="votes")
    lane = models.CharField(max_length=10, choices=Lane.choices)
    sha = models.CharField(max_length=64)
    decision = models.CharField(max_length=12, choices=Decision.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["disclosure", "lane", "sha"])]

    def __str__(self):
        return f"{self.lane} {self.decision} {self.sha[:12]} by {self.by}"
