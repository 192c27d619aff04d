from django.contrib import admin

from federation.models import (
    Clearance,
    CommitMap,
    Divergence,
    HeldDelta,
    Mirror,
    PublishRules,
    PullRequestLink,
    SyncRun,
    WebhookDelivery,
)


class AppendOnlyAdmin(admin.ModelAdmin):
    """Audit records: readable in the admin, never added, changed or deleted there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(AppendOnlyAdmin):
    list_display = ["received_at", "forge", "event", "project", "outcome", "delivery_id"]
    list_filter = ["forge", "event", "outcome"]
    search_fields = ["delivery_id", "project__path"]


@admin.register(SyncRun)
class SyncRunAdmin(AppendOnlyAdmin):
    list_display = [
        "started_at",
        "project",
        "trigger",
        "attempt",
        "status",
        "commits_published",
        "commits_held",
        "finished_at",
    ]
    list_filter = ["status", "trigger"]
    search_fields = ["project__path", "error"]


@admin.register(CommitMap)
class CommitMapAdmin(AppendOnlyAdmin):
    list_display = ["project", "internal_sha", "public_sha", "source", "created_at"]
    list_filter = ["source"]
    search_fields = ["internal_sha", "public_sha", "project__path"]


@admin.register(Clearance)
class ClearanceAdmin(AppendOnlyAdmin):
    list_display = ["project", "base_sha", "tip_sha", "screening", "created_at"]
    search_fields = ["base_sha", "tip_sha", "project__path"]


@admin.register(Mirror)
class MirrorAdmin(AppendOnlyAdmin):
    """State of the public copies: changed by publishing and syncing only."""

    list_display = ["project", "github_path", "state", "mode", "published_sha", "synced_at"]
    list_filter = ["state", "mode"]
    search_fields = ["github_path", "project__path"]


@admin.register(HeldDelta)
class HeldDeltaAdmin(AppendOnlyAdmin):
    """Decided on the federation page (dismiss) or by waivers; read-only here."""

    list_display = ["project", "from_sha", "to_sha", "state", "lane", "created_at"]
    list_filter = ["state", "lane"]


@admin.register(Divergence)
class DivergenceAdmin(AppendOnlyAdmin):
    """Decided on the federation page (import, overwrite, hold); read-only here."""

    list_display = ["project", "kind", "state", "public_sha", "decided_by", "created_at"]
    list_filter = ["kind", "state"]


@admin.register(PullRequestLink)
class PullRequestLinkAdmin(AppendOnlyAdmin):
    list_display = ["project", "number", "author", "state", "mr_url", "created_at"]
    list_filter = ["state"]
    search_fields = ["author", "project__path"]


@admin.register(PublishRules)
class PublishRulesAdmin(admin.ModelAdmin):
    """Configuration (OSPO admins): excluded paths, author mapping, the tag pattern."""

    list_display = ["project", "tag_pattern", "map_authors", "updated_at"]
    search_fields = ["project__path"]
    autocomplete_fields = ["project"]
