"""The org directory: teams (a tree), people, their identities and time-ranged memberships."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    class Kind(models.TextChoices):
        INSTITUTE = "institute", _("Institute")
        DIVISION = "division", _("Division")
        TEAM = "team", _("Team")

    name = models.CharField(max_length=120)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TEAM)
    # Slash-separated names below the institute root, e.g. "AI Research/Vision Lab".
    # The root itself has an empty path. Kept by services.team_ensure_path.
    path = models.CharField(max_length=500, unique=True, blank=True)

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="team_unique_name_in_parent"),
        ]

    def __str__(self):
        return self.path or self.name

    @property
    def depth(self) -> int:
        return 0 if not self.path else self.path.count("/") + 1


class Person(models.Model):
    name = models.CharField(max_length=200)
    email = models.EmailField(unique=True, help_text="Primary (institute) email, lower-case.")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    public_email = models.EmailField(
        blank=True, help_text="Address to show on public commits; empty means a noreply address."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"
        permissions = [
            ("register_project", "Can register GitLab projects (researcher)"),
            ("review_disclosure", "Can act on a review lane (committee member)"),
            ("chair_disclosure", "Can approve disclosures (committee chair)"),
            ("view_dashboard", "Can see incentive dashboards (manager)"),
            ("administer_ospo", "Can administer teams, forges and policies (OSPO admin)"),
        ]

    def __str__(self):
        return f"{self.name} <{self.email}>"


class Identity(models.Model):
    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        GITLAB = "gitlab", _("GitLab username")
        GITHUB = "github", _("GitHub login")

    person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="identities",
        help_text="Empty while the identity is unresolved.",
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    value = models.CharField(max_length=254, help_text="Stored lower-case.")
    display_name = models.CharField(max_length=200, blank=True)
    is_bot = models.BooleanField(default=False)

    class Meta:
        ordering = ["kind", "value"]
        verbose_name_plural = "identities"
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="identity_unique_kind_value"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.value}"


class MembershipQuerySet(models.QuerySet):
    def active_on(self, day):
        return self.filter(start__lte=day).filter(Q(end__isnull=True) | Q(end__gte=day))


class Membership(models.Model):
    """A person in a team from `start` to `end`, both inclusive; an open end means current."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="memberships")
    start = models.DateField()
    end = models.DateField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["person__name", "start"]
        indexes = [models.Index(fields=["team", "start", "end"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="membership_end_after_start",
            ),
            models.UniqueConstraint(
                fields=["person", "team", "start"], name="membership_unique_person_team_start"
            ),
        ]

    def __str__(self):
        return f"{self.person.name} in {self.team} {self.start}..{self.end or ''}"

    def overlaps(self, start, end) -> bool:
        return periods_overlap(self.start, self.end, start, end)


def periods_overlap(start_a, end_a, start_b, end_b) -> bool:
    """Inclusive date periods; None as an end means open."""
    return (end_b is None or start_a <= end_b) and (end_a is None or start_b <= end_a)


class OrgImport(models.Model):
    """One uploaded org CSV and the outcome of importing it (run by a Celery task)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    FINAL_STATES = (State.DONE, State.FAILED)

    filename = models.CharField(max_length=200, blank=True)
    content = models.TextField()
    create_teams = models.BooleanField(default=False)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    summary = models.TextField(blank=True)
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"org import #{self.pk} ({self.state})"
