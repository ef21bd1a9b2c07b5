from django.urls import path

from mentorship.tenancy import api_views

# Mounted under /api/orgs/<slug:org_slug>/ by mentorship/urls.py.
urlpatterns = [
    path("me/", api_views.MeAPI.as_view(), name="api_me"),
    path("members/", api_views.MemberListAPI.as_view(), name="api_member_list"),
    path("members/<int:membership_id>/", api_views.MemberDetailAPI.as_view(), name="api_member_detail"),
    path("departments/", api_views.DepartmentListAPI.as_view(), name="api_department_list"),
]
