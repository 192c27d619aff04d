"""Admin of the review app. The OSPO manages lane assignments and the patent register here;
disclosures, screenings and the audit log are read-only (they change only through the
workflow's services)."""

from django.contrib import admin

from review import patents as patent_services
from review.models import (
    AuditEntry,
    Disclosure,
    Finding,
    LaneAssignment,
    Patent,
    PatentDecision,
    PatentLink,
    Screening,
    Vote,
    Waiver,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never added, changed or deleted in the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "disclosure", "actor_name", "action", "from_state", "to_state", "lane"]
    list_filter = ["action", "lane"]
    search_fields = ["detail", "actor_name", "sha"]


@admin.register(LaneAssignment)
class LaneAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "lane", "created_at"]
    list_filter = ["lane"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]


class VoteInline(admin.TabularInline):
    model = Vote
    extra = 0
    can_delete = False
    readonly_fields = ["lane", "sha", "decision", "by", "note", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Disclosure)
class DisclosureAdmin(ReadOnlyAdmin):
    list_display = ["pk", "project", "state", "sha", "mode", "submitted_by", "updated_at"]
    list_filter = ["state", "mode"]
    search_fields = ["project__path", "sha", "target_repo"]
    inlines = [VoteInline]


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin):
    list_display = ["disclosure", "lane", "decision", "by", "sha", "created_at"]
    list_filter = ["lane", "decision"]


@admin.register(Screening)
class ScreeningAdmin(ReadOnlyAdmin):
    list_display = ["pk", "project", "kind", "sha", "state", "stale", "started_at"]
    list_filter = ["state", "kind", "stale"]
    search_fields = ["project__path", "sha"]


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ["screening", "check_name", "rule", "severity", "path", "line", "blocking"]
    list_filter = ["check_name", "severity", "blocking"]
    search_fields = ["path", "fingerprint", "message"]


@admin.register(Waiver)
class WaiverAdmin(admin.ModelAdmin):
    """Waivers are created on the disclosure page; here they can be looked up and revoked
    (by setting `revoked_at`), never deleted."""

    list_display = ["project", "check_name", "rule", "lane", "owner", "expires_on", "revoked_at"]
    list_filter = ["lane", "check_name"]
    search_fields = ["project__path", "fingerprint", "reason"]
    readonly_fields = [
        "project",
        "fingerprint",
        "lane",
        "reason",
        "owner",
        "created_by",
        "created_at",
        "check_name",
        "rule",
        "summary",
        "expires_on",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PatentLinkInline(admin.TabularInline):
    model = PatentLink
    extra = 1
    autocomplete_fields = ["project"]


@admin.register(Patent)
class PatentAdmin(admin.ModelAdmin):
    """The OSS patent register. A change to a patent (or its links) sends the released projects
    it touches back to re-review."""

    list_display = ["number", "title", "kind", "classification", "updated_at"]
    list_filter = ["kind", "classification"]
    search_fields = ["number", "title", "disclosed_technology"]
    inlines = [PatentLinkInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        changed = form.changed_data or any(fs.has_changed() for fs in formsets)
        if changed:
            patent_services.patent_changed(
                patent=form.instance,
                what="changed in the register (" + ", ".join(form.changed_data or ["links"]) + ")",
                by=request.user,
            )


@admin.register(PatentLink)
class PatentLinkAdmin(admin.ModelAdmin):
    list_display = ["patent", "project", "path_glob"]
    search_fields = ["patent__number", "project__path", "path_glob"]
    autocomplete_fields = ["project"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        patent_services.patent_changed(
            patent=obj.patent,
            what=f"linked to {obj.path_glob or 'the whole project'}",
            by=request.user,
        )


@admin.register(PatentDecision)
class PatentDecisionAdmin(ReadOnlyAdmin):
    list_display = ["disclosure", "patent", "decision", "by", "sha", "created_at"]
    list_filter = ["decision"]
