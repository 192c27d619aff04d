"""Pages of the federation app, mounted at /federation/ by config/urls.py."""

app_name = "federation"
urlpatterns: list = []
