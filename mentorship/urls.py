from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from matching.urls import org_urlpatterns as matching_org_urlpatterns
from mentorship.accounts.sso_urls import org_urlpatterns as sso_org_urlpatterns
from mentorship.api_not_found import api_not_found
from mentorship.health import healthz
from mentorship.tenancy import views as tenancy_views
from mentorship.tenancy.urls import org_urlpatterns
from programs.calendar_views import calendar_feed
from programs.urls import org_urlpatterns as programs_org_urlpatterns

urlpatterns = [
    path("", tenancy_views.home, name="home"),
    path("healthz/", healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("sso/", include("mentorship.accounts.sso_urls")),
    path("invite/<str:token>/", tenancy_views.invitation_accept, name="invitation_accept"),
    # Calendar clients fetch a member's feed without a login: the secret token in the URL is the credential.
    path("calendar/<slug:org_slug>/<slug:token>.ics", calendar_feed, name="calendar_feed"),
    path("o/<slug:org_slug>/", include(org_urlpatterns)),
    path("o/<slug:org_slug>/", include(programs_org_urlpatterns)),
    path("o/<slug:org_slug>/", include(matching_org_urlpatterns)),
    path("o/<slug:org_slug>/", include("analytics.urls")),
    path("o/<slug:org_slug>/", include("mentorship.accounts.token_urls")),
    path("o/<slug:org_slug>/", include("mentorship.audit.urls")),
    path("o/<slug:org_slug>/", include(sso_org_urlpatterns)),
    path("api/orgs/<slug:org_slug>/", include("mentorship.tenancy.api_urls")),
    path("api/orgs/<slug:org_slug>/", include("programs.api_urls")),
    path("api/orgs/<slug:org_slug>/", include("programs.workspace_api_urls")),
    path("api/orgs/<slug:org_slug>/", include("programs.recognition_api")),
    path("api/orgs/<slug:org_slug>/", include("matching.api_urls")),
    path("api/orgs/<slug:org_slug>/", include("analytics.api_urls")),
    path("api/orgs/<slug:org_slug>/", include("mentorship.audit.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves Swagger UI's start-up script as a file (?script), so the page needs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("ops/admin/", admin.site.urls),
    # Last: only what no API route matched (a prefix, so even a path with a newline in it).
    re_path(r"^api/", api_not_found, name="api_not_found"),
]
