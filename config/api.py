"""The API router under /api/v1/. Each app registers its own viewsets through `register`."""

from rest_framework.routers import DefaultRouter

from federation import api as federation_api
from incentives import api as incentives_api
from people import api as people_api
from projects import api as projects_api
from review import api as review_api

# No `.json` format-suffix routes: the custom actions do not take a `format` argument and
# answered those routes with a 500 (found by tests/security/test_authz_matrix.py); clients
# choose the format with the Accept header or `?format=`.
router = DefaultRouter()
router.include_format_suffixes = False
router.register("teams", people_api.TeamViewSet, basename="team")
router.register("people", people_api.PersonViewSet, basename="person")
router.register("memberships", people_api.MembershipViewSet, basename="membership")
router.register("org-imports", people_api.OrgImportViewSet, basename="org-import")
for app_api in (projects_api, review_api, federation_api, incentives_api):
    app_api.register(router)
