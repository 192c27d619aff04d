"""Pages of the review app, mounted at /review/ by config/urls.py."""

app_name = "review"
urlpatterns: list = []
