"""The guides, mounted at /guides/ by config/urls.py."""

from django.urls import path

from guides import views

app_name = "guides"
urlpatterns = [
    path("", views.GuideIndexView.as_view(), name="index"),
    path("<slug:slug>/", views.GuideView.as_view(), name="page"),
]
