from django.urls import path

from programs.views import admin

# Program admin pages (program admins and org admins), mounted under /o/<slug:org_slug>/.
urlpatterns = [
    path("programs/skills/", admin.skill_list, name="skill_list"),
    path("programs/skills/<int:skill_id>/", admin.skill_edit, name="skill_edit"),
    path("programs/manage/", admin.program_list, name="program_admin_list"),
    path("programs/manage/new/", admin.program_create, name="program_admin_create"),
    path("programs/manage/<int:program_id>/", admin.program_detail, name="program_admin_detail"),
    path("programs/manage/<int:program_id>/duplicate/", admin.program_duplicate, name="program_admin_duplicate"),
    path("programs/manage/<int:program_id>/transition/", admin.program_transition, name="program_admin_transition"),
    path("programs/manage/<int:program_id>/stages/", admin.stage_add, name="stage_add"),
    path("programs/manage/<int:program_id>/stages/<int:stage_id>/", admin.stage_edit, name="stage_edit"),
    path("programs/manage/<int:program_id>/stages/<int:stage_id>/move/", admin.stage_move, name="stage_move"),
    path("programs/manage/<int:program_id>/targets/", admin.targets_save, name="targets_save"),
    path("programs/manage/<int:program_id>/cohorts/new/", admin.cohort_create, name="cohort_create"),
    path("programs/manage/<int:program_id>/cohorts/<int:cohort_id>/", admin.cohort_edit, name="cohort_edit"),
]
