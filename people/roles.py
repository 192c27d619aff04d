"""Roles are Django groups carrying permissions; views and the API check the permissions."""

from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_noop

RESEARCHER = gettext_noop("researcher")
COMMITTEE_MEMBER = gettext_noop("committee member")
COMMITTEE_CHAIR = gettext_noop("committee chair")
MANAGER = gettext_noop("manager")
OSPO_ADMIN = gettext_noop("OSPO admin")

# Role -> permission codenames (people app) it carries.
ROLE_PERMISSIONS = {
    RESEARCHER: ["register_project"],
    COMMITTEE_MEMBER: ["review_disclosure"],
    COMMITTEE_CHAIR: ["review_disclosure", "chair_disclosure"],
    MANAGER: ["view_dashboard"],
    OSPO_ADMIN: [
        "register_project",
        "review_disclosure",
        "chair_disclosure",
        "view_dashboard",
        "administer_ospo",
    ],
}
ROLES = tuple(ROLE_PERMISSIONS)

PERM_REGISTER = "people.register_project"
PERM_REVIEW = "people.review_disclosure"
PERM_CHAIR = "people.chair_disclosure"
PERM_DASHBOARD = "people.view_dashboard"
PERM_ADMIN = "people.administer_ospo"

# Apps whose models an OSPO admin may change in the Django admin.
ADMIN_MODEL_APPS = (
    "people",
    "projects",
    "review",
    "federation",
    "incentives",
    "authtoken",
    "auth",
    "account",
    "socialaccount",
)


def ensure_roles(**kwargs):
    """Create the role groups with their permissions (run after every migrate)."""
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = set(
            Permission.objects.filter(content_type__app_label="people", codename__in=codenames)
        )
        if role == OSPO_ADMIN:
            perms |= set(Permission.objects.filter(content_type__app_label__in=ADMIN_MODEL_APPS))
        group.permissions.set(perms)


def roles_of(user) -> list[str]:
    if not user.is_authenticated:
        return []
    names = list(user.groups.values_list("name", flat=True))
    if user.is_superuser and OSPO_ADMIN not in names:
        names.append(OSPO_ADMIN)
    return [r for r in ROLES if r in names]
