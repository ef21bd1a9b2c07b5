from django.urls import path

from mentorship.accounts import token_views

# Mounted under /o/<slug:org_slug>/ by mentorship/urls.py.
urlpatterns = [
    path("account/tokens/", token_views.api_token_list, name="api_token_list"),
    path("account/tokens/<int:token_id>/revoke/", token_views.api_token_revoke, name="api_token_revoke"),
    path("admin/tokens/", token_views.admin_api_token_list, name="admin_api_token_list"),
    path("admin/tokens/<int:token_id>/revoke/", token_views.admin_api_token_revoke, name="admin_api_token_revoke"),
]
