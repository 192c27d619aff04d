"""The API router under /api/v1/. Each app registers its viewsets here."""

from rest_framework.routers import DefaultRouter

from people import api as people_api

router = DefaultRouter()
router.register("teams", people_api.TeamViewSet, basename="team")
router.register("people", people_api.PersonViewSet, basename="person")
router.register("memberships", people_api.MembershipViewSet, basename="membership")
router.register("org-imports", people_api.OrgImportViewSet, basename="org-import")
