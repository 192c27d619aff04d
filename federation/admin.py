from django.contrib import admin

from federation.models import SyncRun, WebhookDelivery


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
        "status",
        "commits_published",
        "finished_at",
    ]
    list_filter = ["status", "trigger"]
    search_fields = ["project__path", "error"]
