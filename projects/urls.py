"""Pages of the projects app, mounted at /projects/ by config/urls.py."""

app_name = "projects"
urlpatterns: list = []
