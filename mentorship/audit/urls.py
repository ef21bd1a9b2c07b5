from django.urls import path

from mentorship.audit import views

# Mounted under /o/<slug:org_slug>/ by mentorship/urls.py.
urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/export.csv", views.audit_log_csv, name="audit_log_csv"),
]
