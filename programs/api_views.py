"""The programs API under /api/orgs/<org_slug>/: skills, programs, cohorts, applications.

Thin shells over programs.services. Querysets are built on `Model.objects` (the tenant scope filters them), so
another organization's id is a 404 and another organization's id in a payload is "not found" on its field.
Program and org admins manage; every member reads open and running programs and applies.
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.response import Response

from mentorship.tenancy.api import OrganizationAPIMixin
from mentorship.tenancy.models import Role
from programs import services
from programs.access import access_program_by_id, access_skill_by_id
from programs.models import Application, ApplicationSkill, Cohort, Program, ProgramSkill, Skill
from programs.serializers import (
    ApplicationDecideResultSerializer,
    ApplicationDecideSerializer,
    ApplicationSerializer,
    ApplicationSubmitSerializer,
    CohortSerializer,
    CohortUpdateSerializer,
    ProgramDetailSerializer,
    ProgramSerializer,
    ProgramTransitionSerializer,
    ProgramWriteSerializer,
    SkillSerializer,
)

ADMIN_ROLES = (Role.PROGRAM_ADMIN, Role.ORG_ADMIN)
VISIBLE_TO_MEMBERS = (Program.Status.OPEN, Program.Status.RUNNING)


class ProgramsAPIMixin(OrganizationAPIMixin):
    @property
    def is_program_admin(self) -> bool:
        return self.membership.has_role(*ADMIN_ROLES)

    def require_admin(self) -> None:
        if not self.is_program_admin:
            raise exceptions.PermissionDenied("Only program admins and org admins may do this.")

    def visible_programs(self):
        programs = Program.objects.all()
        return programs if self.is_program_admin else programs.filter(status__in=VISIBLE_TO_MEMBERS)


def _get_or_404(queryset, pk, what: str):
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No such {what}.") from None


def _with_skills(programs):
    return programs.prefetch_related(
        Prefetch("program_skills", queryset=ProgramSkill.objects.select_related("skill").order_by("skill__name"))
    )


# --- Skills ---


class SkillListAPI(ProgramsAPIMixin, generics.ListCreateAPIView):
    serializer_class = SkillSerializer

    def get_queryset(self):
        return Skill.objects.order_by("category", "name", "pk")

    def create(self, request, *args, **kwargs):
        self.require_admin()
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        skill = services.skill_create(
            **{k: v for k, v in payload.validated_data.items() if k != "is_active"},
        )
        return Response(self.get_serializer(skill).data, status=status.HTTP_201_CREATED)


class SkillDetailAPI(ProgramsAPIMixin, generics.GenericAPIView):
    serializer_class = SkillSerializer

    def get(self, request, org_slug, skill_id):
        return Response(self.get_serializer(access_skill_by_id(skill_id)).data)

    def patch(self, request, org_slug, skill_id):
        skill = access_skill_by_id(skill_id)
        self.require_admin()
        payload = self.get_serializer(skill, data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        services.skill_update(skill=skill, **payload.validated_data)
        return Response(self.get_serializer(skill).data)


# --- Programs ---


class ProgramFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Program.Status.choices)

    class Meta:
        model = Program
        fields = ["status"]


class ProgramListAPI(ProgramsAPIMixin, generics.ListCreateAPIView):
    filterset_class = ProgramFilter

    def get_serializer_class(self):
        return ProgramWriteSerializer if self.request.method == "POST" else ProgramSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no scope
            return Program.objects.none()
        return _with_skills(self.visible_programs()).order_by("-created_at", "-pk")

    @extend_schema(request=ProgramWriteSerializer, responses={201: ProgramDetailSerializer})
    def post(self, request, *args, **kwargs):
        self.require_admin()
        payload = ProgramWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        program = services.program_create(created_by=self.membership, **payload.validated_data)
        return Response(ProgramDetailSerializer(_program_detail(program.pk)).data, status=status.HTTP_201_CREATED)


def _program_detail(pk, programs=None):
    programs = _with_skills(programs if programs is not None else Program.objects.all())
    return _get_or_404(programs.prefetch_related("stages", "targets"), pk, "program")


class ProgramDetailAPI(ProgramsAPIMixin, generics.GenericAPIView):
    serializer_class = ProgramDetailSerializer

    def get(self, request, org_slug, program_id):
        return Response(self.get_serializer(_program_detail(program_id, self.visible_programs())).data)

    @extend_schema(request=ProgramWriteSerializer, responses=ProgramDetailSerializer)
    def patch(self, request, org_slug, program_id):
        program = _program_detail(program_id, self.visible_programs())
        self.require_admin()
        payload = ProgramWriteSerializer(program, data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        services.program_update(program=program, **payload.validated_data)
        return Response(self.get_serializer(_program_detail(program.pk)).data)


class ProgramTransitionAPI(ProgramsAPIMixin, generics.GenericAPIView):
    required_roles = ADMIN_ROLES
    serializer_class = ProgramDetailSerializer

    @extend_schema(request=ProgramTransitionSerializer, responses=ProgramDetailSerializer)
    def post(self, request, org_slug, program_id):
        program = access_program_by_id(program_id)
        payload = ProgramTransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.program_transition(program=program, status=payload.validated_data["status"])
        return Response(self.get_serializer(_program_detail(program.pk)).data)


class ProgramDuplicateAPI(ProgramsAPIMixin, generics.GenericAPIView):
    required_roles = ADMIN_ROLES
    serializer_class = ProgramDetailSerializer

    @extend_schema(request=None, responses={201: ProgramDetailSerializer})
    def post(self, request, org_slug, program_id):
        program = access_program_by_id(program_id)
        copy = services.program_duplicate(program=program, created_by=self.membership)
        return Response(self.get_serializer(_program_detail(copy.pk)).data, status=status.HTTP_201_CREATED)


# --- Cohorts ---


class CohortFilter(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(queryset=Program.objects.all())
    status = django_filters.ChoiceFilter(choices=Cohort.Status.choices)

    class Meta:
        model = Cohort
        fields = ["program", "status"]


class CohortListAPI(ProgramsAPIMixin, generics.ListCreateAPIView):
    serializer_class = CohortSerializer
    filterset_class = CohortFilter

    def visible_cohorts(self):
        cohorts = Cohort.objects.select_related("program")
        return cohorts if self.is_program_admin else cohorts.filter(program__status__in=VISIBLE_TO_MEMBERS)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Cohort.objects.none()
        return self.visible_cohorts().order_by("program_id", "starts_on", "pk")

    def create(self, request, *args, **kwargs):
        self.require_admin()
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        cohort = services.cohort_create(**payload.validated_data)
        return Response(self.get_serializer(cohort).data, status=status.HTTP_201_CREATED)


class CohortDetailAPI(ProgramsAPIMixin, generics.GenericAPIView):
    serializer_class = CohortSerializer

    def get_cohort(self, cohort_id):
        cohorts = Cohort.objects.select_related("program")
        if not self.is_program_admin:
            cohorts = cohorts.filter(program__status__in=VISIBLE_TO_MEMBERS)
        return _get_or_404(cohorts, cohort_id, "cohort")

    def get(self, request, org_slug, cohort_id):
        return Response(self.get_serializer(self.get_cohort(cohort_id)).data)

    @extend_schema(request=CohortUpdateSerializer, responses=CohortSerializer)
    def patch(self, request, org_slug, cohort_id):
        cohort = self.get_cohort(cohort_id)
        self.require_admin()
        payload = CohortUpdateSerializer(cohort, data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        services.cohort_update(cohort=cohort, **payload.validated_data)
        return Response(self.get_serializer(cohort).data)


# --- Applications ---


class ApplicationFilter(django_filters.FilterSet):
    cohort = django_filters.ModelChoiceFilter(queryset=Cohort.objects.all())
    role = django_filters.ChoiceFilter(choices=Application.Role.choices)
    status = django_filters.ChoiceFilter(choices=Application.Status.choices)

    class Meta:
        model = Application
        fields = ["cohort", "role", "status"]


def _applications():
    return Application.objects.select_related("membership__user", "membership__department").prefetch_related(
        Prefetch("skills", queryset=ApplicationSkill.objects.select_related("skill").order_by("skill__name"))
    )


class ApplicationListAPI(ProgramsAPIMixin, generics.ListCreateAPIView):
    """Admins see every application; members see their own."""

    filterset_class = ApplicationFilter

    def get_serializer_class(self):
        return ApplicationSubmitSerializer if self.request.method == "POST" else ApplicationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Application.objects.none()
        applications = _applications()
        if not self.is_program_admin:
            applications = applications.filter(membership=self.membership)
        return applications.order_by("-submitted_at", "-pk")

    @extend_schema(request=ApplicationSubmitSerializer, responses={201: ApplicationSerializer})
    def post(self, request, *args, **kwargs):
        payload = ApplicationSubmitSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        skills = [(row["skill_id"], row["level"], row.get("target_level")) for row in data.pop("skills")]
        application = services.application_submit(
            cohort=data.pop("cohort_id"), membership=self.membership, skills=skills, **data
        )
        return Response(
            ApplicationSerializer(_get_or_404(_applications(), application.pk, "application")).data,
            status=status.HTTP_201_CREATED,
        )


class ApplicationWithdrawAPI(ProgramsAPIMixin, generics.GenericAPIView):
    serializer_class = ApplicationSerializer

    @extend_schema(request=None, responses=ApplicationSerializer)
    def post(self, request, org_slug, application_id):
        # Only the applicant withdraws; anyone else's application is "not found", admins included.
        application = _get_or_404(
            Application.objects.select_related("cohort").filter(membership=self.membership),
            application_id,
            "application",
        )
        services.application_withdraw(application=application)
        return Response(self.get_serializer(_get_or_404(_applications(), application.pk, "application")).data)


class ApplicationDecideAPI(ProgramsAPIMixin, generics.GenericAPIView):
    required_roles = ADMIN_ROLES
    serializer_class = ApplicationDecideSerializer

    @extend_schema(
        request=ApplicationDecideSerializer,
        responses={200: OpenApiResponse(ApplicationDecideResultSerializer, description="How many changed.")},
    )
    def post(self, request, org_slug):
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        updated = services.applications_decide(decided_by=self.membership, **payload.validated_data)
        return Response({"updated": updated})
