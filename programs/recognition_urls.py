from django.urls import path

from programs.views import match_status, recognition

# Per-match status (program admins), recognition (members, org admins). Mounted under /o/<slug:org_slug>/.
urlpatterns = [
    path(
        "programs/cohorts/<int:cohort_id>/mentorships/",
        match_status.cohort_mentorships,
        name="cohort_mentorships",
    ),
    path("recognition/", recognition.my_recognition, name="my_recognition"),
    path(
        "recognition/<int:recognition_id>/certificate/",
        recognition.recognition_certificate,
        name="recognition_certificate",
    ),
    path("admin/recognition/", recognition.recognition_admin_list, name="recognition_admin_list"),
]
