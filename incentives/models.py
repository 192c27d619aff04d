"""Landed changes (deduplicated), the points ledger, and the versioned scoring policy."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from people.models import Identity, Person, Team
from projects.models import Project


class ScoringPolicy(models.Model):
    """One published version of the scoring rules; it applies from `effective_from` on
    (institute-local date of landing) until the next version's `effective_from`."""

    version = models.PositiveIntegerField(unique=True)
    effective_from = models.DateField(unique=True)
    summary = models.CharField(max_length=300, blank=True, help_text="What changed, in words.")
    base_points = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("10"))
    size_per_decade = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("1"),
        help_text="Size grows by this much each time the authored lines grow tenfold.",
    )
    size_cap = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("3"))
    acceptance_owner = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("1.5"),
        help_text="Factor when a member of the owner team merged the change.",
    )
    acceptance_other = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("1"),
        help_text="Factor for a direct push, or a merge by someone outside the owner team.",
    )
    novelty_bonus = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("1.5"),
        help_text="Factor for a person's first change to a team they never contributed to.",
    )
    tiny_lines = models.PositiveIntegerField(
        default=20,
        help_text="Changes with fewer authored lines are 'small'; small changes to one project "
        "in one week are scored together as if they were one change.",
    )
    include_subteams = models.BooleanField(
        default=True, help_text="Members of the owner team's sub-teams count as the owner team."
    )
    revert_window_days = models.PositiveIntegerField(default=30)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name_plural = "scoring policies"

    def __str__(self):
        return f"policy v{self.version} from {self.effective_from}"


class Change(models.Model):
    """One landed, non-merge commit reachable from a project's default branch."""

    class Status(models.TextChoices):
        ELIGIBLE = "eligible", _("Eligible")
        BOT = "bot", _("Bot author")
        REVERT = "revert", _("Revert")
        DUPLICATE = "duplicate", _("Same patch already counted")
        EMPTY = "empty", _("No authored lines")
        NO_AUTHOR = "no_author", _("No author email")

    class Landing(models.TextChoices):
        HISTORY = "history", _("Committer date (first ingest)")
        MERGE = "merge", _("Merge commit")
        SEEN = "seen", _("First seen by the sync")

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="changes", db_index=False
    )
    sha = models.CharField(max_length=40)
    source = models.CharField(max_length=16, default="gitlab")
    subject = models.CharField(max_length=200, blank=True)
    author_identity = models.ForeignKey(
        Identity,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    author_name = models.CharField(max_length=200, blank=True)
    committer_identity = models.ForeignKey(
        Identity,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    authored_at = models.DateTimeField()
    author_utc_offset = models.SmallIntegerField(default=0, help_text="Minutes east of UTC.")
    committed_at = models.DateTimeField()
    landed_at = models.DateTimeField()
    landed_on = models.DateField(help_text="Institute-local date of landing.")
    landing = models.CharField(max_length=8, choices=Landing.choices)
    merge_sha = models.CharField(max_length=40, blank=True)
    merge_author_identity = models.ForeignKey(
        Identity,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    merge_committer_identity = models.ForeignKey(
        Identity,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    lines_added = models.PositiveIntegerField(default=0, help_text="Authored lines only.")
    lines_removed = models.PositiveIntegerField(default=0, help_text="Authored lines only.")
    vendored_lines = models.PositiveIntegerField(default=0)
    files_changed = models.PositiveIntegerField(default=0)
    patch_id = models.CharField(
        max_length=40,
        blank=True,
        help_text="git patch-id --stable; computed only when the numstat signature needs it.",
    )
    numstat_sig = models.CharField(
        max_length=40, blank=True, help_text="Hash of the per-file numstat (signatures.py)."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ELIGIBLE)
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
        db_index=False,  # a partial index below: almost every change has none
    )
    reverts_sha = models.CharField(max_length=40, blank=True)
    reverted_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # a partial index below
    )
    flags = models.JSONField(default=list, blank=True)
    ingested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-landed_at"]
        constraints = [
            models.UniqueConstraint(fields=["project", "sha"], name="change_unique_project_sha"),
        ]
        indexes = [
            models.Index(fields=["project", "landed_on"]),
            # partial: most changes need no patch id, have no duplicate and are not reverted
            models.Index(fields=["patch_id"], name="change_patch_id", condition=~Q(patch_id="")),
            models.Index(fields=["numstat_sig"], name="change_numstat_sig"),
            models.Index(
                fields=["duplicate_of"],
                name="change_duplicate_of",
                condition=Q(duplicate_of__isnull=False),
            ),
            models.Index(
                fields=["reverted_by"],
                name="change_reverted_by",
                condition=Q(reverted_by__isnull=False),
            ),
            models.Index(fields=["author_identity", "landed_on"]),
        ]

    def __str__(self):
        return f"{self.project} {self.sha[:10]}"

    @property
    def authored_lines(self) -> int:
        return self.lines_added + self.lines_removed


class ChangeCoauthor(models.Model):
    """A `Co-authored-by` trailer of a change, resolved to an identity."""

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="coauthors")
    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["change", "identity"], name="coauthor_unique"),
        ]

    def __str__(self):
        return f"{self.identity} on {self.change}"


class Award(models.Model):
    """A row of the points ledger. Rows are never edited: corrections are new rows."""

    class Kind(models.TextChoices):
        AWARD = "award", _("Award")
        REVERT = "revert", _("Revert claw-back")
        ADJUSTMENT = "adjustment", _("Adjustment")

    change = models.ForeignKey(
        Change, on_delete=models.CASCADE, related_name="awards", db_index=False
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="awards", db_index=False
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.AWARD)
    seq = models.PositiveSmallIntegerField(default=0, help_text="Numbers adjustments 1, 2, ...")
    points = models.DecimalField(max_digits=10, decimal_places=2)
    change_count = models.SmallIntegerField(
        default=1,
        help_text="+1 when the row makes the change count as cross-team, -1 undoes it.",
    )
    policy = models.ForeignKey(
        ScoringPolicy,
        on_delete=models.PROTECT,
        related_name="awards",
        db_index=False,
        db_constraint=False,
    )
    landed_on = models.DateField()
    # the change's project, copied for the leaderboards' covering index: its existence is already
    # guarded by Change.project's constraint, so it has none of its own (docs/decisions.md)
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    from_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    to_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    facts = models.JSONField(default=dict)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-landed_on", "-id"]
        constraints = [
            # one award and one claw-back per change and person (their seq is always 0), and
            # adjustments numbered 1, 2, ...: one index, which also serves lookups by change
            models.UniqueConstraint(
                fields=["change", "person", "kind", "seq"], name="award_unique_adjustment_seq"
            ),
            models.CheckConstraint(
                condition=Q(kind="adjustment") | Q(seq=0), name="award_seq_only_for_adjustments"
            ),
        ]
        indexes = [
            models.Index(
                fields=["landed_on"],
                include=["person", "project", "from_team", "to_team", "points", "change_count"],
                name="award_period_cover",
            ),
            models.Index(fields=["person", "landed_on"], name="award_person_day"),
            # covering: the distinct people of a page of projects is an index-only scan
            models.Index(
                fields=["project", "landed_on"],
                include=["person", "change_count"],
                name="award_project_cover",
            ),
            models.Index(fields=["from_team", "landed_on"], name="award_team_day"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.points} to {self.person_id} for {self.change_id}"


class IngestState(models.Model):
    """Where the last ingest of one project (from one source) stopped."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="ingest_states")
    source = models.CharField(max_length=16, default="gitlab")
    tip = models.CharField(max_length=40, blank=True)
    repo = models.CharField(
        max_length=500, blank=True, help_text="The git directory last read (for patch ids)."
    )
    commits_read = models.PositiveIntegerField(default=0, help_text="In the last run.")
    changes_created = models.PositiveIntegerField(default=0, help_text="In the last run.")
    attributes = models.JSONField(
        default=dict, blank=True, help_text="The .gitattributes files read at `tip`."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "source"], name="ingest_state_unique"),
        ]

    def __str__(self):
        return f"{self.project} ({self.source}) at {self.tip[:10]}"


class IncentiveSettings(models.Model):
    """Site-wide switches an OSPO admin sets (one row)."""

    show_individual_ranks = models.BooleanField(
        default=False, help_text="Everyone signed in may see the leaderboard of people."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "incentive settings"

    def __str__(self):
        return "incentive settings"

    @classmethod
    def load(cls) -> "IncentiveSettings":
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class IdentityMerge(models.Model):
    """An admin's decision on a suggested identity merge."""

    class State(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    FINAL_STATES = (State.ACCEPTED, State.REJECTED)

    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=8, choices=State.choices)
    reasons = models.JSONField(default=list, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at"]
        constraints = [
            models.UniqueConstraint(fields=["identity", "person"], name="identity_merge_unique"),
        ]

    def __str__(self):
        return f"{self.identity} -> {self.person} ({self.state})"


class PersonMonth(models.Model):
    """Rollup of the ledger: a person's points and cross-team changes per month, quarter and
    year and credited team, kept current by every ledger write (incentives.rollup). The people
    leaderboard reads whole years, quarters and months from here and only the partial months at
    a period's edges from Award."""

    class Span(models.TextChoices):
        MONTH = "m", _("Month")
        QUARTER = "q", _("Quarter")
        YEAR = "y", _("Year")

    span = models.CharField(max_length=1, choices=Span.choices, default=Span.MONTH)
    month = models.DateField(help_text="First day of the month, quarter or year (local).")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", db_index=False)
    from_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    points = models.DecimalField(max_digits=12, decimal_places=2)
    changes = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["span", "month"],
                include=["person", "from_team", "points", "changes"],
                name="person_span_cover",
            ),
            models.Index(fields=["person", "month"], name="person_month_person"),
        ]

    def __str__(self):
        return f"{self.person_id} {self.month:%Y-%m}: {self.points}"


class TeamProjectMonth(models.Model):
    """Rollup of the ledger by contributor team, project and owner team per month, quarter and
    year, kept current by every ledger write (incentives.rollup). Team and project boards read
    whole periods from here (sums, and the distinct projects / teams behind them)."""

    span = models.CharField(max_length=1, choices=PersonMonth.Span.choices)
    month = models.DateField(help_text="First day of the month, quarter or year (local).")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    from_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    to_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    points = models.DecimalField(max_digits=14, decimal_places=2)
    changes = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["span", "month"],
                include=["project", "from_team", "to_team", "points", "changes"],
                name="team_project_span_cover",
            ),
            models.Index(fields=["project", "month"], name="team_project_project"),
        ]

    def __str__(self):
        return f"{self.from_team_id}->{self.project_id} {self.month:%Y-%m}: {self.points}"


class PersonSpan(models.Model):
    """Rollup of the ledger: a person's total points and net cross-team changes per month,
    quarter and year over all credited teams (incentives.rollup); only people with either
    non-zero. The people board reads it, through an index in rank order, when the period is
    exactly one month, quarter or year and no team scope is set."""

    span = models.CharField(max_length=1, choices=PersonMonth.Span.choices)
    month = models.DateField(help_text="First day of the month, quarter or year (local).")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", db_index=False)
    points = models.DecimalField(max_digits=14, decimal_places=2)
    changes = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["span", "month", "person"], name="person_span_unique"),
        ]
        indexes = [
            models.Index(
                fields=["span", "month", "-points", "person"],
                include=["changes"],
                name="person_span_rank",
            ),
            models.Index(fields=["person", "month"], name="person_span_person"),
        ]

    def __str__(self):
        return f"{self.person_id} {self.span}{self.month:%Y-%m}: {self.points}"


class ProjectPeople(models.Model):
    """Rollup of the ledger: how many people have a net positive number of cross-team changes
    in a project per month, quarter and year (incentives.rollup). A distinct count does not add
    up over pieces, so the project board reads it from here only for a period that is exactly
    one month, quarter or year; other periods count from Award."""

    span = models.CharField(max_length=1, choices=PersonMonth.Span.choices)
    month = models.DateField(help_text="First day of the month, quarter or year (local).")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    people = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["span", "month", "project"], name="project_people_unique"
            ),
        ]
        indexes = [models.Index(fields=["project", "month"], name="project_people_project")]

    def __str__(self):
        return f"{self.project_id} {self.span}{self.month:%Y-%m}: {self.people} people"
