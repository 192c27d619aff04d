from django.contrib import admin

from projects.models import Ownership, Project


class OwnershipInline(admin.TabularInline):
    model = Ownership
    extra = 0
    autocomplete_fields = ["team"]
    readonly_fields = ["created_by"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["path", "summary", "sharing", "hook_state", "registered_at"]
    list_filter = ["sharing", "hook_state", "language"]
    search_fields = ["path", "name", "summary"]
    readonly_fields = ["gitlab_id", "key", "registered_by", "registered_at", "updated_at"]
    exclude = ["hook_secret"]
    inlines = [OwnershipInline]


@admin.register(Ownership)
class OwnershipAdmin(admin.ModelAdmin):
    list_display = ["project", "team", "start", "end"]
    list_filter = ["team"]
    search_fields = ["project__path", "team__path"]
    autocomplete_fields = ["project", "team"]
