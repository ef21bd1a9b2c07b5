"""API of the per-match status and recognition, under /api/orgs/<org_slug>/ (its `urlpatterns` are at the end).

* ``cohorts/<id>/mentorship-status/`` (program admins and org admins; others 403): each mentorship's figures and
  at-risk flags, ``?at_risk=true&department=<id>``. Aggregates only: no notes, topics or reflections.
* ``recognitions/`` (every member): the caller's certificates; ``recognitions/<id>/``: one certificate, for its
  awardee and org admins (404 for anyone else); ``recognitions/mentoring/``: the caller's live mentoring totals.
* ``admin/recognitions/`` (org admins; others 403): everyone's certificates, ``?program=&department=&role=``.

Thin shells over programs.match_status and programs.recognition; ids go through access_* helpers (404 for another
organization's).
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.response import Response

from mentorship.tenancy.api import OrganizationAPIMixin
from mentorship.tenancy.models import Role
from programs import recognition
from programs.access import access_cohort_by_id
from programs.match_status import cohort_match_status
from programs.models import Recognition

ADMIN_ROLES = (Role.PROGRAM_ADMIN, Role.ORG_ADMIN)


class PersonSerializer(serializers.Serializer):
    membership_id = serializers.IntegerField(source="pk")
    full_name = serializers.CharField(source="user.full_name")
    department = serializers.CharField(source="department.name", allow_null=True, default=None)


class MentorshipStatusSerializer(serializers.Serializer):
    mentorship_id = serializers.IntegerField(source="mentorship.pk")
    status = serializers.CharField(source="mentorship.status")
    mentor = PersonSerializer()
    mentees = PersonSerializer(many=True)
    departments = serializers.ListField(child=serializers.CharField())
    sessions_held = serializers.IntegerField()
    last_session_at = serializers.DateTimeField(source="last_held_at", allow_null=True)
    minutes = serializers.IntegerField(source="minutes_held")
    hours = serializers.FloatField()
    stages_reached = serializers.IntegerField()
    stages_total = serializers.IntegerField()
    feedback_mean = serializers.FloatField(allow_null=True, help_text="Mean rating (1-5) of the session feedback.")
    open_goals = serializers.IntegerField()
    achieved_goals = serializers.IntegerField()
    days_without_session = serializers.IntegerField(
        source="quiet_days", help_text="Days since the last held session, or since the mentorship started."
    )
    overdue = serializers.BooleanField(help_text="Active, and no held session within twice the program's cadence.")
    not_a_good_fit = serializers.BooleanField(help_text='Someone answered the pairing fit with "not a good fit".')
    at_risk = serializers.BooleanField(help_text="Overdue or not a good fit.")


class RecognitionSerializer(serializers.ModelSerializer):
    membership_id = serializers.IntegerField(source="application.membership_id", read_only=True)
    full_name = serializers.CharField(source="application.membership.user.full_name", read_only=True)
    email = serializers.CharField(source="application.membership.user.email", read_only=True)
    department = serializers.CharField(
        source="application.membership.department.name", read_only=True, allow_null=True, default=None
    )
    program_id = serializers.IntegerField(source="cohort.program_id", read_only=True)
    program = serializers.CharField(source="cohort.program.name", read_only=True)
    cohort_id = serializers.IntegerField(read_only=True)
    cohort = serializers.CharField(source="cohort.name", read_only=True)
    cohort_starts_on = serializers.DateField(source="cohort.starts_on", read_only=True)
    cohort_ends_on = serializers.DateField(source="cohort.ends_on", read_only=True)
    hours = serializers.FloatField(read_only=True)
    people = serializers.IntegerField(read_only=True, help_text="Mentors: the mentees they mentored (0 for mentees).")

    class Meta:
        model = Recognition
        fields = [
            "id", "membership_id", "full_name", "email", "department", "program_id", "program", "cohort_id",
            "cohort", "cohort_starts_on", "cohort_ends_on", "role", "awarded_at", "sessions_held", "minutes",
            "hours", "people", "skills",
        ]  # fmt: skip
        read_only_fields = fields


class MentoringCohortSerializer(serializers.Serializer):
    program = serializers.CharField()
    cohort = serializers.CharField()
    sessions = serializers.IntegerField()
    minutes = serializers.IntegerField()
    hours = serializers.FloatField()
    people = serializers.IntegerField()


class MentoringTotalsSerializer(serializers.Serializer):
    sessions = serializers.IntegerField()
    minutes = serializers.IntegerField()
    hours = serializers.FloatField()
    people = serializers.IntegerField(help_text="Distinct mentees who attended held sessions with the caller.")
    cohorts = MentoringCohortSerializer(many=True)


def _filter_errors(filterset) -> None:
    if not filterset.is_valid():
        raise exceptions.ValidationError(filterset.errors)


class CohortMentorshipStatusAPI(OrganizationAPIMixin, generics.ListAPIView):
    """Each mentorship of the cohort with its figures and at-risk flags, mentor name first."""

    required_roles = ADMIN_ROLES
    serializer_class = MentorshipStatusSerializer
    filter_backends = ()  # the selector's FilterSet filters (its errors are 400s)

    @extend_schema(
        parameters=[
            OpenApiParameter("at_risk", bool, description="Only the mentorships at risk."),
            OpenApiParameter("department", int, description="The mentor's or a mentee's department."),
        ],
        responses={200: MentorshipStatusSerializer(many=True), 404: OpenApiResponse(description="No such cohort.")},
    )
    def get(self, request, org_slug, cohort_id):
        cohort = access_cohort_by_id(cohort_id)
        status = cohort_match_status(cohort=cohort, filters=request.query_params)
        _filter_errors(status.filterset)
        page = self.paginate_queryset(status.rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class MyRecognitionListAPI(OrganizationAPIMixin, generics.ListAPIView):
    """The caller's certificates, newest first."""

    serializer_class = RecognitionSerializer
    filterset_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Recognition.objects.none()
        return recognition.my_recognitions(membership=self.membership)


class RecognitionDetailAPI(OrganizationAPIMixin, generics.GenericAPIView):
    serializer_class = RecognitionSerializer

    @extend_schema(responses={200: RecognitionSerializer, 404: OpenApiResponse(description="No such certificate.")})
    def get(self, request, org_slug, recognition_id):
        certificate = recognition.access_recognition_for_viewer(self.membership, recognition_id)
        return Response(self.get_serializer(certificate).data)


class MyMentoringAPI(OrganizationAPIMixin, generics.GenericAPIView):
    """The caller's mentoring so far, from the held sessions they attended as mentor (awarded or not)."""

    serializer_class = MentoringTotalsSerializer

    def get(self, request, org_slug):
        return Response(self.get_serializer(recognition.mentoring_totals(membership=self.membership)).data)


class RecognitionAdminListAPI(OrganizationAPIMixin, generics.ListAPIView):
    """Everyone's certificates, newest first (the export's rows)."""

    required_roles = (Role.ORG_ADMIN,)
    serializer_class = RecognitionSerializer
    filterset_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter("program", int),
            OpenApiParameter("department", int),
            OpenApiParameter("role", str, enum=["mentor", "mentee"]),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Recognition.objects.none()
        filterset, recognitions = recognition.recognition_list(filters=self.request.query_params)
        _filter_errors(filterset)
        return recognitions


# Mounted under /api/orgs/<slug:org_slug>/ by mentorship/urls.py.
urlpatterns = [
    path(
        "cohorts/<int:cohort_id>/mentorship-status/",
        CohortMentorshipStatusAPI.as_view(),
        name="api_cohort_mentorship_status",
    ),
    path("recognitions/", MyRecognitionListAPI.as_view(), name="api_my_recognitions"),
    path("recognitions/mentoring/", MyMentoringAPI.as_view(), name="api_my_mentoring"),
    path("recognitions/<int:recognition_id>/", RecognitionDetailAPI.as_view(), name="api_recognition_detail"),
    path("admin/recognitions/", RecognitionAdminListAPI.as_view(), name="api_recognition_admin_list"),
]
