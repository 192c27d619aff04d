from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from people.roles import roles_of

# (label, url name, permission or None). Entries whose page does not exist yet are left out.
NAVIGATION = [
    (_("Catalogue"), "projects:catalogue", None),
    (_("Review queue"), "review:queue", "people.review_disclosure"),
    (_("Dashboard"), "incentives:dashboard", "people.view_dashboard"),
    (_("Directory"), "people:directory", None),
    (_("Federation"), "federation:health", "people.administer_ospo"),
    (_("Guides"), "guides:index", None),
    (_("API"), "api-docs", None),
]


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_roles": [], "nav_items": []}
    items = []
    for label, name, perm in NAVIGATION:
        if perm and not user.has_perm(perm):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "active": request.path.startswith(url)})
    return {"user_roles": roles_of(user), "nav_items": items}
