"""Pages of the federation app, mounted at /federation/ by config/urls.py."""

from django.urls import path

from federation import views

app_name = "federation"
urlpatterns = [
    path("", views.HealthView.as_view(), name="health"),
    path("projects/<int:pk>/runs/", views.ProjectRunsView.as_view(), name="runs"),
    path(
        "divergences/<int:pk>/decide/",
        views.DivergenceDecisionView.as_view(),
        name="divergence-decide",
    ),
    path("held/<int:pk>/dismiss/", views.HeldDismissView.as_view(), name="held-dismiss"),
]
