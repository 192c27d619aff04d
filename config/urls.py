from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated

from config import views
from config.api import router
from federation import webhooks
from people.api import MeView

SIGNED_IN = [IsAuthenticated]
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("directory/", include("people.urls")),
    path("projects/", include("projects.urls")),
    path("review/", include("review.urls")),
    path("federation/", include("federation.urls")),
    path("incentives/", include("incentives.urls")),
    path("guides/", include("guides.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("hooks/gitlab/<str:key>/", webhooks.gitlab_hook, name="hook-gitlab"),
    path("hooks/github/", webhooks.github_hook, name="hook-github"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(router.urls)),
    path("api/v1/me/", MeView.as_view(), name="api-me"),
    path("api/v1/auth/token/", views.TokenView.as_view(), name="api-token"),
    # The schema and its viewer are for signed-in users, like the API they describe.
    path(
        "api/schema/", SpectacularAPIView.as_view(permission_classes=SIGNED_IN), name="api-schema"
    ),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=SIGNED_IN),
        name="api-docs",
    ),
]
