from django.urls import path

from mentorship.accounts import sso_views

# Mounted under /o/<slug:org_slug>/ by mentorship/urls.py.
org_urlpatterns = [
    path("admin/sso/", sso_views.sso_settings, name="sso_settings"),
]

# Mounted under /sso/: anonymous, before any organization scope.
urlpatterns = [
    path("", sso_views.sso_discover, name="sso_discover"),
    path("<slug:org_slug>/", sso_views.sso_start, name="sso_start"),
]
