"""Pages of the review app, mounted at /review/ by config/urls.py."""

from django.urls import path

from review import views

app_name = "review"
urlpatterns = [
    path("", views.QueueView.as_view(), name="queue"),
    path("disclosures/<int:pk>/", views.DisclosureView.as_view(), name="disclosure"),
    path(
        "disclosures/<int:pk>/screening.json",
        views.ScreeningStatusView.as_view(),
        name="screening-status",
    ),
    path("disclosures/<int:pk>/audit.csv", views.AuditCsvView.as_view(), name="audit-csv"),
    path("disclosures/<int:pk>/resubmit/", views.ResubmitView.as_view(), name="resubmit"),
    path(
        "disclosures/<int:pk>/<slug:action>/", views.ActionView.as_view(), name="disclosure-action"
    ),
    path(
        "projects/<int:project_pk>/request/",
        views.RequestReleaseView.as_view(),
        name="request",
    ),
]
