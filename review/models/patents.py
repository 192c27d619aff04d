"""The OSS patent register: patents and invention disclosures, what they touch, IP decisions."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Patent(models.Model):
    class Kind(models.TextChoices):
        PATENT = "patent", _("Patent")
        INVENTION_DISCLOSURE = "invention_disclosure", _("Invention disclosure")

    class Classification(models.TextChoices):
        GENERAL = "general", _("General")
        STANDARD = "standard", _("Standard-essential")
        OSS = "oss", _("Pledged to open source")

    number = models.CharField(max_length=60, unique=True)
    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=24, choices=Kind.choices, default=Kind.PATENT)
    classification = models.CharField(
        max_length=10, choices=Classification.choices, default=Classification.GENERAL
    )
    disclosed_technology = models.TextField(blank=True, help_text="What the filing discloses")
    undisclosed_technology = models.TextField(
        blank=True, help_text="Related know-how that is not in the filing (must not leak)"
    )
    keywords = models.JSONField(
        default=list, blank=True, help_text="Terms the screening looks for in linked files"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["number"]

    def __str__(self):
        return f"{self.number} {self.title}"


class PatentLink(models.Model):
    """A patent touches a project, or only the paths matching `path_glob` (the screening's glob:
    `*` stays in one directory, `**` crosses them, a pattern without `/` matches the file name
    anywhere). An empty glob means the whole project."""

    patent = models.ForeignKey(Patent, on_delete=models.CASCADE, related_name="links")
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="patent_links"
    )
    path_glob = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["patent", "project", "path_glob"]
        constraints = [
            models.UniqueConstraint(
                fields=["patent", "project", "path_glob"], name="patent_link_unique"
            )
        ]

    def __str__(self):
        return f"{self.patent.number} → {self.project} {self.path_glob or '*'}"

    def matches(self, path: str) -> bool:
        """Whether `path` is under this link; a malformed glob matches everything (fail closed)."""
        from review.checks.config import path_matches
        from review.checks.errors import InvalidConfig

        if not self.path_glob.strip():
            return True
        try:
            return path_matches(path, (self.path_glob,)) is not None
        except InvalidConfig:
            return True


class PatentDecision(models.Model):
    """The IP lane's decision about one patent for one sha of a disclosure."""

    class Decision(models.TextChoices):
        CLEARED = "cleared", _("Cleared: the release does not disclose protected technology")
        CLEARED_WITH_CONDITIONS = "conditions", _("Cleared with conditions (see note)")
        BLOCKS = "blocks", _("Blocks the release")

    disclosure = models.ForeignKey(
        "review.Disclosure", on_delete=models.CASCADE, related_name="patent_decisions"
    )
    patent = models.ForeignKey(Patent, on_delete=models.PROTECT, related_name="decisions")
    sha = models.CharField(max_length=64)
    decision = models.CharField(max_length=12, choices=Decision.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.patent.number}: {self.decision} for {self.disclosure_id}"
