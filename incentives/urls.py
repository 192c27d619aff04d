"""Pages of the incentives app, mounted at /incentives/ by config/urls.py."""

app_name = "incentives"
urlpatterns: list = []
