"""Pages of the projects app, mounted at /projects/ by config/urls.py."""

from django.urls import path

from projects import views

app_name = "projects"
urlpatterns = [
    path("", views.CatalogueView.as_view(), name="catalogue"),
    path("register/", views.RegisterView.as_view(), name="register"),
    path("<int:pk>/", views.ProjectView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ProjectEditView.as_view(), name="edit"),
    path("<int:pk>/transfer/", views.TransferView.as_view(), name="transfer"),
]
