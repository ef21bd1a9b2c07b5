from django.urls import path

from analytics import api_views

# Mounted under /api/orgs/<slug:org_slug>/ by mentorship/urls.py.
urlpatterns = [
    path("metrics/", api_views.MetricsListAPI.as_view(), name="api_metrics"),
]
