from django.contrib import admin

from people.models import Identity, Membership, OrgImport, Person, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["team"]


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["path", "name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["name", "path"]
    autocomplete_fields = ["parent"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "user"]
    search_fields = ["name", "email", "identities__value"]
    inlines = [IdentityInline, MembershipInline]
    raw_id_fields = ["user"]


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    list_display = ["value", "kind", "person", "is_bot"]
    list_filter = ["kind", "is_bot"]
    search_fields = ["value", "person__name"]
    autocomplete_fields = ["person"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["person", "team", "start", "end"]
    list_filter = ["team"]
    search_fields = ["person__name", "team__path"]
    autocomplete_fields = ["person", "team"]
    date_hierarchy = "start"


@admin.register(OrgImport)
class OrgImportAdmin(admin.ModelAdmin):
    list_display = ["id", "filename", "state", "summary", "created_by", "created_at"]
    list_filter = ["state"]
    readonly_fields = [f.name for f in OrgImport._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
