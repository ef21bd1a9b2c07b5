from django.urls import path

from analytics import views

# HR dashboard pages, mounted under /o/<slug:org_slug>/ by mentorship/urls.py.
urlpatterns = [
    path("analytics/", views.dashboard, name="analytics_dashboard"),
    path("analytics/export/<slug:table>.<str:fmt>", views.export, name="analytics_export"),
    path("analytics/report/", views.impact_report, name="analytics_report"),
    path("analytics/recompute/", views.recompute, name="analytics_recompute"),
    path("analytics/recompute/status/", views.recompute_status, name="analytics_recompute_status"),
]
