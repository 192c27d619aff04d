"""Django admin for every incentives model. The ledger is read-only here: corrections are
written by the recompute services, never by editing a row."""

from django import forms
from django.contrib import admin
from django.utils import timezone

from incentives.models import (
    Award,
    Change,
    ChangeCoauthor,
    IdentityMerge,
    IncentiveSettings,
    IngestState,
    PersonMonth,
    ScoringPolicy,
)
from incentives.policies import PARAMETERS, policy_publish


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScoringPolicyForm(forms.ModelForm):
    class Meta:
        model = ScoringPolicy
        fields = ["effective_from", "summary", *PARAMETERS]

    def clean_effective_from(self):
        day = self.cleaned_data["effective_from"]
        if day < timezone.localdate():
            raise forms.ValidationError(
                "A new version cannot start in the past; closed periods keep their rules."
            )
        return day


@admin.register(ScoringPolicy)
class ScoringPolicyAdmin(admin.ModelAdmin):
    """New versions go through policies.policy_publish; published versions are read-only."""

    form = ScoringPolicyForm
    list_display = ["version", "effective_from", "base_points", "size_cap", "summary"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        published = policy_publish(
            effective_from=obj.effective_from,
            summary=obj.summary,
            by=request.user,
            **{name: getattr(obj, name) for name in PARAMETERS},
        )
        obj.pk, obj.version = published.pk, published.version


class CoauthorInline(admin.TabularInline):
    model = ChangeCoauthor
    extra = 0
    raw_id_fields = ["identity"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Change)
class ChangeAdmin(ReadOnlyAdmin):
    list_display = [
        "sha",
        "project",
        "author_name",
        "landed_on",
        "status",
        "lines_added",
        "lines_removed",
    ]
    list_filter = ["status", "landing", "source"]
    search_fields = ["sha", "patch_id", "author_name", "author_identity__value", "project__path"]
    date_hierarchy = "landed_on"
    inlines = [CoauthorInline]


@admin.register(ChangeCoauthor)
class ChangeCoauthorAdmin(ReadOnlyAdmin):
    list_display = ["change", "identity"]
    search_fields = ["identity__value", "change__sha"]


@admin.register(Award)
class AwardAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "person",
        "kind",
        "points",
        "change_count",
        "landed_on",
        "project",
        "policy",
    ]
    list_filter = ["kind", "policy"]
    search_fields = ["person__name", "person__email", "change__sha", "project__path", "reason"]
    date_hierarchy = "landed_on"
    list_select_related = ["person", "project", "policy"]


@admin.register(IngestState)
class IngestStateAdmin(ReadOnlyAdmin):
    list_display = ["project", "source", "tip", "commits_read", "changes_created", "updated_at"]


@admin.register(IncentiveSettings)
class IncentiveSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "show_individual_ranks", "updated_at"]

    def has_add_permission(self, request):
        return not IncentiveSettings.objects.exists()


@admin.register(IdentityMerge)
class IdentityMergeAdmin(ReadOnlyAdmin):
    list_display = ["identity", "person", "state", "decided_by", "decided_at"]
    list_filter = ["state"]


@admin.register(PersonMonth)
class PersonMonthAdmin(ReadOnlyAdmin):
    list_display = ["month", "person", "from_team", "points", "changes"]
    list_select_related = ["person", "from_team"]
    date_hierarchy = "month"
