from django.urls import include, path

# Mounted under /o/<slug:org_slug>/ by mentorship/urls.py. Each part owns its own url module.
org_urlpatterns = [
    path("", include("programs.admin_urls")),
    path("", include("programs.catalog_urls")),
    path("", include("programs.recognition_urls")),
    path("", include("programs.workspace_urls")),
    path("", include("programs.notification_urls")),
    path("", include("programs.data_rights_urls")),
]
