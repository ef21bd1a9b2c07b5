from django.urls import path

from mentorship.audit import api_views

# Mounted under /api/orgs/<slug:org_slug>/ by mentorship/urls.py.
urlpatterns = [
    path("audit/", api_views.AuditEventListAPI.as_view(), name="api_audit_event_list"),
]
