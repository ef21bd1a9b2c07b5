"""The matching API under /api/orgs/<org_slug>/: runs, their proposals and the decisions on them, publishing, and a
program's matching weights with their preview (through one of its cohorts, like the cohort's matching page).

Thin shells over matching.services, for program admins and org admins (others: 403). Every id goes through an
access_* helper inside the tenant scope, so another organization's id is a 404 that changes nothing. A decision on
a run that is no longer the latest (or not finished, or already published), the service's ValidationError on
`run`, is a 409 Conflict with the service's message; other ValidationErrors are 400s naming the field.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Min, OuterRef, Subquery
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.response import Response

from matching import services
from matching.access import access_proposal_by_id, access_run_by_id
from matching.algorithms import DEFAULT_WEIGHTS
from matching.models import MatchProposal, MatchRun
from matching.serializers import (
    HandPickSerializer,
    MatchingWeightsSerializer,
    MatchingWeightsUpdateSerializer,
    MatchProposalSerializer,
    MatchRunSerializer,
    MatchRunStartSerializer,
    MentorshipSerializer,
    PublishResultSerializer,
    WeightsPreviewRequestSerializer,
    WeightsPreviewSerializer,
)
from mentorship.tenancy.api import OrganizationAPIMixin
from mentorship.tenancy.models import Role
from programs.access import access_cohort_by_id
from programs.models import Application, Mentorship

ADMIN_ROLES = (Role.PROGRAM_ADMIN, Role.ORG_ADMIN)
CONFLICT_FIELDS = ("run", "cohort")  # a stale, unfinished or published run; a run already in progress
PAIR = tuple(f"{side}__membership__{path}" for side in ("mentee", "mentor") for path in ("user", "department"))

CONFLICT = OpenApiResponse(description="The run is not the latest, not finished or already published (message).")
RESPONSES_404 = OpenApiResponse(description="No such run, proposal or cohort in this organization.")


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the match run."
    default_code = "conflict"


def _call(service, **kwargs):
    """Call a service; its ValidationError on `run` (or `cohort`) becomes a 409 with its message."""
    try:
        return service(**kwargs)
    except ValidationError as error:
        errors = error.message_dict if hasattr(error, "error_dict") else {}
        for field in CONFLICT_FIELDS:
            if field in errors:
                raise Conflict(" ".join(errors[field])) from None
        raise


def runs():
    """Runs annotated with when and by whom they were published (null before)."""
    first = Mentorship.objects.filter(run=OuterRef("pk")).order_by("pk")
    return MatchRun.objects.annotate(
        published_at=Min("mentorships__created_at"),
        published_by_id=Subquery(first.values("published_by_id")[:1]),
    )


def _run_data(run_id) -> dict:
    return MatchRunSerializer(runs().get(pk=run_id)).data


class MatchingAPIMixin(OrganizationAPIMixin):
    required_roles = ADMIN_ROLES


# --- Runs ---


class CohortMatchRunListAPI(MatchingAPIMixin, generics.ListAPIView):
    """A cohort's runs, newest first; POST starts a run (queued: a worker computes it, poll the run)."""

    serializer_class = MatchRunSerializer
    filterset_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return MatchRun.objects.none()
        cohort = access_cohort_by_id(self.kwargs["cohort_id"])
        return runs().filter(cohort=cohort).order_by("-created_at", "-pk")

    @extend_schema(
        request=MatchRunStartSerializer,
        responses={201: MatchRunSerializer, 404: RESPONSES_404, 409: CONFLICT},
    )
    def post(self, request, org_slug, cohort_id):
        cohort = access_cohort_by_id(cohort_id)
        payload = MatchRunStartSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        run = _call(services.match_run_start, cohort=cohort, started_by=self.membership, **payload.validated_data)
        return Response(_run_data(run.pk), status=status.HTTP_201_CREATED)


class MatchRunDetailAPI(MatchingAPIMixin, generics.GenericAPIView):
    serializer_class = MatchRunSerializer

    @extend_schema(responses={200: MatchRunSerializer, 404: RESPONSES_404})
    def get(self, request, org_slug, run_id):
        run = access_run_by_id(run_id)
        return Response(_run_data(run.pk))


class MatchRunProposalListAPI(MatchingAPIMixin, generics.ListAPIView):
    """The run's proposals, best score first, with each factor's contribution; `?state=` filters."""

    serializer_class = MatchProposalSerializer
    filterset_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return MatchProposal.objects.none()
        run = access_run_by_id(self.kwargs["run_id"])
        proposals = MatchProposal.objects.filter(run=run).select_related(*PAIR).order_by("-score", "pk")
        state = self.request.query_params.get("state")
        if state:
            if state not in MatchProposal.State.values:
                raise exceptions.ValidationError({"state": f"Choose one of: {', '.join(MatchProposal.State.values)}."})
            proposals = proposals.filter(state=state)
        return proposals

    @extend_schema(
        parameters=[OpenApiParameter("state", str, enum=MatchProposal.State.values, required=False)],
        responses={200: MatchProposalSerializer(many=True), 404: RESPONSES_404},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _proposal_data(proposal_id) -> dict:
    return MatchProposalSerializer(MatchProposal.objects.select_related(*PAIR).get(pk=proposal_id)).data


class ProposalLockAPI(MatchingAPIMixin, generics.GenericAPIView):
    serializer_class = MatchProposalSerializer

    @extend_schema(request=None, responses={200: MatchProposalSerializer, 404: RESPONSES_404, 409: CONFLICT})
    def post(self, request, org_slug, proposal_id):
        proposal = access_proposal_by_id(proposal_id)
        _call(services.proposal_lock, proposal=proposal)
        return Response(_proposal_data(proposal.pk))


class ProposalRejectAPI(MatchingAPIMixin, generics.GenericAPIView):
    serializer_class = MatchProposalSerializer

    @extend_schema(request=None, responses={200: MatchProposalSerializer, 404: RESPONSES_404, 409: CONFLICT})
    def post(self, request, org_slug, proposal_id):
        proposal = access_proposal_by_id(proposal_id)
        _call(services.proposal_reject, proposal=proposal)
        return Response(_proposal_data(proposal.pk))


class MatchRunHandPickAPI(MatchingAPIMixin, generics.GenericAPIView):
    """Give a mentee the mentor you choose; allowed when it breaks a rule or capacity (see `warnings`)."""

    serializer_class = HandPickSerializer

    @extend_schema(
        request=HandPickSerializer,
        responses={200: MatchProposalSerializer, 404: RESPONSES_404, 409: CONFLICT},
    )
    def post(self, request, org_slug, run_id):
        run = access_run_by_id(run_id)
        payload = HandPickSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        chosen = {}
        for field, role in (("mentee_id", Application.Role.MENTEE), ("mentor_id", Application.Role.MENTOR)):
            chosen[field] = Application.objects.filter(pk=payload.validated_data[field]).first()
            if chosen[field] is None:
                raise exceptions.ValidationError({field: f"No such {role} application."})
        proposal = _call(services.proposal_hand_pick, run=run, mentee=chosen["mentee_id"], mentor=chosen["mentor_id"])
        return Response(_proposal_data(proposal.pk))


class MatchRunPublishAPI(MatchingAPIMixin, generics.GenericAPIView):
    """Publish the run: its pairs (not the rejected ones) become mentorships and both sides get an email."""

    serializer_class = PublishResultSerializer

    @extend_schema(request=None, responses={201: PublishResultSerializer, 404: RESPONSES_404, 409: CONFLICT})
    def post(self, request, org_slug, run_id):
        run = access_run_by_id(run_id)
        mentorships = _call(services.match_run_publish, run=run, published_by=self.membership)
        data = {"run": _run_data(run.pk), "mentorships": MentorshipSerializer(mentorships, many=True).data}
        return Response(data, status=status.HTTP_201_CREATED)


# --- A program's matching weights ---

BAD_WEIGHTS = OpenApiResponse(
    description="A weight is not a number from 0 to 10 or names an unknown factor: the errors are under "
    "`weights.<factor>` (or `objective`)."
)


def _weights_data(program) -> dict:
    saved = program.matching_weights if isinstance(program.matching_weights, dict) else {}
    return MatchingWeightsSerializer(
        {"program_id": program.pk, "weights": program.effective_matching_weights, "saved": saved,
         "defaults": DEFAULT_WEIGHTS}
    ).data  # fmt: skip


class CohortMatchingWeightsAPI(MatchingAPIMixin, generics.GenericAPIView):
    """The matching weights of the cohort's program (shared by all its cohorts): GET reads them, PUT replaces the
    saved ones; later runs of the program's cohorts use them."""

    serializer_class = MatchingWeightsSerializer

    @extend_schema(responses={200: MatchingWeightsSerializer, 404: RESPONSES_404})
    def get(self, request, org_slug, cohort_id):
        cohort = access_cohort_by_id(cohort_id)
        return Response(_weights_data(cohort.program))

    @extend_schema(
        request=MatchingWeightsUpdateSerializer,
        responses={200: MatchingWeightsSerializer, 400: BAD_WEIGHTS, 404: RESPONSES_404},
    )
    def put(self, request, org_slug, cohort_id):
        cohort = access_cohort_by_id(cohort_id)
        payload = MatchingWeightsUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.program_matching_weights_set(program=cohort.program, weights=payload.validated_data["weights"])
        return Response(_weights_data(cohort.program))


class CohortMatchingWeightsPreviewAPI(MatchingAPIMixin, generics.GenericAPIView):
    """The figures a run of the cohort would give now with the saved and with the proposed weights, side by side
    (matched, matched %, mean and total score, cross-department share, departments covered) and the change; it
    saves and runs nothing."""

    serializer_class = WeightsPreviewSerializer

    @extend_schema(
        request=WeightsPreviewRequestSerializer,
        responses={200: WeightsPreviewSerializer, 400: BAD_WEIGHTS, 404: RESPONSES_404},
    )
    def post(self, request, org_slug, cohort_id):
        cohort = access_cohort_by_id(cohort_id)
        payload = WeightsPreviewRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        preview = services.match_weights_preview(cohort=cohort, **payload.validated_data)
        return Response(WeightsPreviewSerializer(preview).data)
