from django.urls import path

from mentorship.tenancy import security_views, views

# Mounted under /o/<slug:org_slug>/ by mentorship/urls.py.
org_urlpatterns = [
    path("", views.org_home, name="org_home"),
    path("admin/members/", views.member_list, name="member_list"),
    path("admin/members/invite/", views.member_invite, name="member_invite"),
    path("admin/members/<int:membership_id>/", views.member_detail, name="member_detail"),
    path("admin/members/<int:membership_id>/active/", views.member_set_active, name="member_set_active"),
    path("admin/invitations/<int:invitation_id>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("admin/departments/", views.department_list, name="department_list"),
    path("admin/security/", security_views.security_settings, name="security_settings"),
    path("admin/departments/<int:department_id>/", views.department_edit, name="department_edit"),
    path("admin/people-import/", views.people_import, name="people_import"),
    path("admin/people-import/template.csv", views.people_import_template, name="people_import_template"),
    path("admin/people-import/<int:import_id>/", views.people_import_detail, name="people_import_detail"),
    path("admin/people-import/<int:import_id>/status/", views.people_import_status, name="people_import_status"),
    path(
        "admin/people-import/<int:import_id>/problems.csv", views.people_import_problems, name="people_import_problems"
    ),
]
