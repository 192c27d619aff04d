"""Pages of the incentives app, mounted at /incentives/ by config/urls.py."""

from django.urls import path

from incentives import pages, views

app_name = "incentives"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("leaderboard/<str:by>/", views.LeaderboardView.as_view(), name="leaderboard"),
    path("flow.csv", views.FlowCsvView.as_view(), name="flow-csv"),
    path("trend.csv", views.TrendCsvView.as_view(), name="trend-csv"),
    path("me/", pages.MyPointsView.as_view(), name="me"),
    path("people/<int:pk>/", pages.PersonPointsView.as_view(), name="person"),
    path("awards/<int:pk>/", pages.AwardDetailView.as_view(), name="award"),
    path("policy/", pages.PolicyView.as_view(), name="policy"),
    path("identities/", pages.IdentityMergesView.as_view(), name="identities"),
]
