from django.urls import path

from people import views

app_name = "people"
urlpatterns = [
    path("", views.DirectoryView.as_view(), name="directory"),
    path("people/<int:pk>/", views.PersonView.as_view(), name="person"),
]
