"""The workspace API under /api/orgs/<org_slug>/: the participants' own mentorships, the same operations as the
workspace pages (programs/views/workspace_*.py).

Only the mentorship's mentor and mentees reach it. Every id goes through the participant access helpers of
programs/workspace/, so anyone else gets the same 404 as for an id of another organization: a participant of
another mentorship, and program admins, org admins and HR analysts too (they see per-match status elsewhere, never
notes). Writes go through the workspace services:

* a ValidationError keyed by a field is a 400 naming it, by the payload's name for it (the services' `attendance`
  is `attended` here, and a private note's `private_note` is `text`);
* one that names no field is a state the request cannot change (the mentorship ended, the session is logged
  already, cancelled, or was logged by the caller's own side): a 409 Conflict with the service's message.

A session's `private_note` is the caller's own note; nobody else's is ever read here.
"""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db.models import Count, Min, Prefetch, Q
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response

from mentorship.tenancy.api import OrganizationAPIMixin
from programs.models import (
    ActionItem,
    CapabilityAssessment,
    Goal,
    GoalUpdate,
    MentoringSession,
    Mentorship,
    PrivateNote,
    SessionAttendance,
    SessionFeedback,
    SessionStage,
)
from programs.workspace import assessments as assessment_services
from programs.workspace import feedback as feedback_services
from programs.workspace import goals as goal_services
from programs.workspace import sessions as session_services
from programs.workspace.access import Participant, access_mentorship_for_participant, participants
from programs.workspace.selectors import StageProgress, my_mentorship_list, workspace_for
from programs.workspace_serializers import (
    ActionItemCreateSerializer,
    ActionItemDoneSerializer,
    ActionItemSerializer,
    AssessmentSerializer,
    AssessmentSubmissionSerializer,
    AssessmentSubmitSerializer,
    FeedbackSerializer,
    FeedbackStateSerializer,
    GoalCreateSerializer,
    GoalEditSerializer,
    GoalProgressSerializer,
    GoalSerializer,
    GoalUpdateSerializer,
    MyMentorshipSerializer,
    PrivateNoteSerializer,
    PulseSerializer,
    SessionLogNewSerializer,
    SessionLogSerializer,
    SessionRecordSerializer,
    SessionRescheduleSerializer,
    SessionScheduleSerializer,
    SessionSerializer,
    WorkspaceSerializer,
)

TAGS = ["workspace"]
OPEN_GOALS = (Goal.Status.NOT_STARTED, Goal.Status.IN_PROGRESS)
SERVICE_FIELD_NAMES = {"attendance": "attended"}  # the service's name -> the payload's

NOT_FOUND = OpenApiResponse(
    description="No such mentorship, session, goal or action item among the caller's own mentorships."
)
CONFLICT = OpenApiResponse(
    description="The state does not allow it (the mentorship ended, the session is not scheduled or not held, "
    "the caller's side logged it): the message says why."
)
FIELD_ERRORS = OpenApiResponse(description="Invalid input: the body maps each field to its errors.")


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the mentorship."
    default_code = "conflict"


def _call(service, **kwargs):
    """Call a workspace service: errors naming no field become a 409, field errors stay 400s on the payload's
    field names."""
    try:
        return service(**kwargs)
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise Conflict(" ".join(error.messages)) from None
        renamed = {SERVICE_FIELD_NAMES.get(name, name): errors for name, errors in error.error_dict.items()}
        raise ValidationError(renamed) from None


def _valid(serializer_class, data, **kwargs) -> dict:
    payload = serializer_class(data=data, **kwargs)
    payload.is_valid(raise_exception=True)
    return dict(payload.validated_data)


class WorkspaceAPIMixin(OrganizationAPIMixin):
    """Any member may call; what they reach is decided by the participant access helpers."""

    filter_backends = ()  # the lists read their few query parameters themselves (a 400 naming a bad one)

    def access_mentorship(self, mentorship_id) -> tuple[Mentorship, Participant]:
        return access_mentorship_for_participant(self.membership, mentorship_id)


def _query(serializer_class, request) -> dict:
    """Validated query parameters (a bad one is a 400 naming it)."""
    return _valid(serializer_class, request.query_params)


# --- Mentorships ---


def _people_of(mentorship: Mentorship, membership) -> dict:
    people = participants(mentorship)
    return {
        "mentorship": mentorship,
        "me": next(p for p in people if p.membership.pk == membership.pk),
        "mentor": people[0],
        "mentees": people[1:],
    }


def _mentorship_rows(mentorships: list[Mentorship], membership) -> list[dict]:
    """Rows of `MyMentorshipSerializer` in three queries whatever the number of mentorships: the flows of their
    programs, the stages their held sessions covered, and held counts with the next scheduled session."""
    ids = [m.pk for m in mentorships]
    flows = defaultdict(list)
    for stage in SessionStage.objects.filter(program_id__in={m.cohort.program_id for m in mentorships}).order_by(
        "position"
    ):
        flows[stage.program_id].append(stage)
    covered = defaultdict(set)
    held = MentoringSession.objects.filter(mentorship_id__in=ids, status=MentoringSession.Status.HELD)
    for mentorship_id, stage_id in held.exclude(stage=None).values_list("mentorship_id", "stage_id").distinct():
        covered[mentorship_id].add(stage_id)
    summaries = {
        row["mentorship_id"]: row
        for row in MentoringSession.objects.filter(mentorship_id__in=ids)
        .order_by()
        .values("mentorship_id")
        .annotate(
            held=Count("pk", filter=Q(status=MentoringSession.Status.HELD)),
            next_at=Min("starts_at", filter=Q(status=MentoringSession.Status.SCHEDULED, starts_at__gte=timezone.now())),
        )
    }
    rows = []
    for mentorship in mentorships:
        summary = summaries.get(mentorship.pk, {})
        rows.append({
            **_people_of(mentorship, membership),
            "progress": StageProgress(flows[mentorship.cohort.program_id], covered[mentorship.pk]),
            "sessions_held": summary.get("held", 0),
            "next_session_at": summary.get("next_at"),
        })  # fmt: skip
    return rows


@extend_schema(tags=TAGS)
class MyMentorshipListAPI(WorkspaceAPIMixin, generics.GenericAPIView):
    """The caller's mentorships (as mentor or mentee), newest cohort first."""

    serializer_class = MyMentorshipSerializer

    @extend_schema(responses=MyMentorshipSerializer(many=True))
    def get(self, request, org_slug):
        page = self.paginate_queryset(my_mentorship_list(membership=self.membership))
        return self.get_paginated_response(self.get_serializer(_mentorship_rows(page, self.membership), many=True).data)


@extend_schema(tags=TAGS)
class MentorshipWorkspaceAPI(WorkspaceAPIMixin, generics.GenericAPIView):
    """The workspace summary: people, the stage flow with progress and the current stage, the next and upcoming
    sessions, open goals and action items, what is due (assessments, pulse, feedback, logs to confirm)."""

    serializer_class = WorkspaceSerializer

    @extend_schema(responses={200: WorkspaceSerializer, 404: NOT_FOUND})
    def get(self, request, org_slug, mentorship_id):
        mentorship, me = self.access_mentorship(mentorship_id)
        workspace = workspace_for(mentorship=mentorship, me=me)
        progress = workspace.progress
        for stage in progress.stages:
            stage.held = stage.pk in progress.held_stage_ids
        held = workspace.held
        row = {
            **_people_of(mentorship, self.membership),
            "progress": progress,
            "sessions_held": len(held),
            "next_session_at": workspace.next_session.starts_at if workspace.next_session else None,
            "stages": progress.stages,
            "next_session": workspace.next_session,
            "upcoming_sessions": workspace.upcoming,
            "held_minutes": workspace.held_minutes,
            "open_goals": [goal for goal in workspace.goals if goal.status in OPEN_GOALS],
            "open_action_items": workspace.action_items,
            "due": workspace.due,
            "feedback_due": [session.pk for session in workspace.feedback_due],
            "to_confirm": [session.pk for session in workspace.to_confirm],
        }
        return Response(self.get_serializer(row).data)


# --- Sessions ---


def _sessions():
    return MentoringSession.objects.select_related(
        "stage", "scheduled_by__user", "logged_by__user", "confirmed_by__user"
    ).prefetch_related(Prefetch("attendance", queryset=SessionAttendance.objects.select_related("membership__user")))


def _session_context(mentorship: Mentorship, me: Participant, session_ids: list[int]) -> dict:
    """What `SessionSerializer` adds per caller: their own notes and feedback (one query each)."""
    mine = me.membership
    return _context(
        mentorship,
        me,
        my_notes=dict(
            PrivateNote.objects.filter(session_id__in=session_ids, author=mine).values_list("session_id", "text")
        ),
        my_feedback=set(
            SessionFeedback.objects.filter(session_id__in=session_ids, author=mine).values_list("session_id", flat=True)
        ),
    )


def _context(mentorship: Mentorship, me: Participant, *, my_notes: dict[int, str], my_feedback: set[int]) -> dict:
    return {"my_notes": my_notes, "my_feedback": my_feedback, "mentor_membership_id": mentorship.mentor.membership_id,
            "me": me}  # fmt: skip


def _session_data(session_id: int, mentorship: Mentorship, me: Participant) -> dict:
    session = _sessions().get(pk=session_id)
    return SessionSerializer(session, context=_session_context(mentorship, me, [session.pk])).data


class SessionListParams(serializers.Serializer):
    status = serializers.ChoiceField(choices=MentoringSession.Status.choices, required=False)


@extend_schema(tags=TAGS)
class MentorshipSessionListAPI(WorkspaceAPIMixin, generics.GenericAPIView):
    """The mentorship's sessions, newest first (the timeline); POST schedules one."""

    serializer_class = SessionSerializer

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=MentoringSession.Status.values, required=False)],
        responses={200: SessionSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request, org_slug, mentorship_id):
        mentorship, me = self.access_mentorship(mentorship_id)
        params = _query(SessionListParams, request)
        sessions = _sessions().filter(mentorship=mentorship, **params).order_by("-starts_at", "-pk")
        page = self.paginate_queryset(sessions)
        context = _session_context(mentorship, me, [s.pk for s in page])
        return self.get_paginated_response(SessionSerializer(page, many=True, context=context).data)

    @extend_schema(
        request=SessionScheduleSerializer,
        responses={201: SessionSerializer, 400: FIELD_ERRORS, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request, org_slug, mentorship_id):
        mentorship, me = self.access_mentorship(mentorship_id)
        data = _valid(SessionScheduleSerializer, request.data)
        session = _call(session_services.session_schedule, mentorship=mentorship, scheduled_by=self.membership, **data)
        return Response(_session_data(session.pk, mentorship, me), status=status.HTTP_201_CREATED)


def _log_arguments(data: dict) -> dict:
    data.setdefault("attended", None)  # left out: everybody attended
    data.setdefault("reflection_answers", None)
    return data


@extend_schema(tags=TAGS)
class MentorshipSessionLogAPI(WorkspaceAPIMixin, generics.GenericAPIView):
    """Log a held session in one call (the other side then confirms or corrects it)."""

    serializer_class = SessionSerializer

    @extend_schema(
        request=SessionLogNewSerializer,
        responses={201: SessionSerializer, 400: FIELD_ERRORS, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request, org_slug, mentorship_id):
        mentorship, me = self.access_mentorship(mentorship_id)
        data = _log_arguments(_valid(SessionLogNewSerializer, request.data))
        session = _call(session_services.session_log, mentorship=mentorship, logged_by=me.membership, **data)
        # Shown as written, not read back: a new session has no feedback yet, and its one private note is the
        # caller's own, if they wrote one. (`me.membership` is the caller's membership with their user loaded.)
        note = data.get("private_note", "").strip()
        context = _context(mentorship, me, my_notes={session.pk: note} if note else {}, my_feedback=set())
        return Response(SessionSerializer(session, context=context).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=TAGS)
class SessionDetailAPI(WorkspaceAPIMixin, generics.GenericAPIView):
    """One session; PATCH moves a scheduled one (any of when, how long, where, stage)."""

    serializer_class = SessionSerializer

    @extend_schema(responses={200: SessionSerializer, 404: NOT_FOUND})
    def get(self, request, org_slug, session_id):
        session, me = session_services.access_session_for_participant(self.membership, session_id)
        return Response(_session_data(session.pk, session.mentorship, me))

    @extend_schema(
        request=SessionRescheduleSerializer,
        responses={200: SessionSerializer, 400: FIELD_ERRORS, 404: NOT_FOUND, 409: CONFLICT},
    )
    def patch(self, request, org_slug, session_id):
        session, me = session_services.access_session_for_participant(self.membership, session_id)
        data = _valid(SessionRescheduleSerializer, request.data, partial=True)
        _call(session_services.session_reschedule, session=session, **data)
        return Response(_session_data(session.pk, session.mentorship, me))


@extend_schema(tags=TAGS)
class SessionLogScheduledAPI(WorkspaceAPIMixin, generics.GenericAPIView):
    """Log a scheduled session as held; when, how long and the stage default to the scheduled ones."""

    serializer_class = SessionSerializer

    @extend_schema(
        request=SessionLogSerializer,
        responses={200: SessionSerializer, 400: FIELD_ERRORS, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request, org_slug, session_id):
        session, me = session_services.access_session_for_participant(self.membership, session_id)
        data = _log_arguments(_valid(SessionLogSerializer, request.data))
        data.setdefault("starts_at", session.starts_at)
        data.setdefault("duration_minutes", session.duration_minutes)
        data.setdefault("stage", session.stage_id)
        _call(
            session_services.session_log,
            mentorship=session.mentorship, logged_by=self.membership, session=session, **data,
        )  # fmt: skip
        return Response(_session_data(session.pk, session.mentorship, me))


@extend_schema(tags=TAGS)
class SessionCancelAPI(WorkspaceAPIMixin, generics.GenericAPIView):
    serializer_class = SessionSerializer

    @extend_schema(request=None, responses={200: SessionSerializer, 404: NOT_FOUND, 409: CONFLICT})
    def post(self, request, org_slug, session_id):
        session, me = session_services.access_session_for_participant(self.membership, session_id)
        _call(session_services.session_cancel, session=session)
        return Response(_session_data(session.pk, session.mentorship, me))


@extend_schema(tags=TAGS)
class SessionConfirmAPI(WorkspaceAPIMixin, generics.GenericAPIView):
    """The other side of the mentorship confirms a log as it stands (confirming again changes nothing)."""

    serializer_class = SessionSerializer

    @extend_schema(request=None, responses={200: SessionSerializer, 404: NOT_FOUND, 409: CONFLICT})
    def post(self, request, org_slug, session_id):
        session, me = session_services.access_session_for_participant(self.membership, session_id)
        _call(session_services.session_confirm, session=session, confirmed_by=self.membership)
        return Response(_session_data(session.pk, session.mentorship, me))


@extend_schema(tags=TAGS)
class SessionCorrectAPI(WorkspaceAPIMixin, generics.GenericAPIView):
    """The other side corrects the log (the fields given; `attended` replaces the attendance); the session then
    counts as confirmed by both sides, marked corrected."""

    serializer_class = SessionSerializer

    @extend_schema(
        request=SessionRecordSerializer,
        responses={200: SessionSerializer, 400: FIELD_ERRORS, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request, org_slug, session_id):
        session, me = session_services.access_session_for_participant(self.membership, session_id)
        data = _valid(SessionRecordSerializer, request.data)
        attended = data.pop("attended", None)
        _call(
            session_services.session_correct,
            session=session, corrected_by=self.membership, attended=attended, **data,
        )  # fmt: skip
        return Response(_session_data(session.pk, session.mentorship, me))


@extend_schema(tags=TAGS)
class SessionPrivateNoteAPI(WorkspaceAPIMixin, generics.GenericAPIView):
    """The caller's own private note on the session: nobody else reads or writes it."""

    serializer_class = PrivateNoteSerializer

    @staticmethod
    def _data(note) -> dict:
        return {"text": note.text if note else "", "updated_at": note.updated_at if note else None}

    @extend_schema(responses={200: PrivateNoteSerializer, 404: NOT_FOUND})
    def get(self, request, org_slug, session_id):
        session, _me = session_services.access_session_for_participant(self.membership, session_id)
        note = session_services.private_note_of(session=session, author=self.membership)
        return Response(self.get_serializer(self._data(note)).data)

    @extend_schema(
        request=PrivateNoteSerializer, responses={200: PrivateNoteSerializer, 400: FIELD_ERRORS, 404: NOT_FOUND}
    )
    def put(self, request, org_slug, session_id):
        session, _me = session_services.access_session_for_participant(self.membership, session_id)
        text = _valid(PrivateNoteSerializer, request.data)["text"]
        try:
            note = session_services.private_note_set(session=session, author=self.membership, text=text)
        except ValidationError as error:  # the service names the page's field, `private_note`
            raise ValidationError({"text": error.messages}) from None
        return Response(self.get_serializer(self._data(note)).data)


@extend_schema(tags=TAGS)
class SessionFeedbackAPI(WorkspaceAPIMixin, generics.GenericAPIView):
    """The caller's feedback on a held session, once per participant; the first held session also asks the
    pairing fit."""

    serializer_class = FeedbackSerializer

    @extend_schema(responses={200: FeedbackStateSerializer, 404: NOT_FOUND})
    def get(self, request, org_slug, session_id):
        session, _me = session_services.access_session_for_participant(self.membership, session_id)
        mine = SessionFeedback.objects.filter(session=session, author=self.membership).first()
        state = {"feedback": mine, "asks_pairing_fit": feedback_services.is_first_session(session)}
        return Response(FeedbackStateSerializer(state).data)

    @extend_schema(
        request=FeedbackSerializer,
        responses={201: FeedbackSerializer, 400: FIELD_ERRORS, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request, org_slug, session_id):
        session, _me = session_services.access_session_for_participant(self.membership, session_id)
        data = _valid(FeedbackSerializer, request.data)
        feedback = _call(feedback_services.feedback_submit, session=session, author=self.membership, **data)
        return Response(self.get_serializer(feedback).data, status=status.HTTP_201_CREATED)


# --- Goals and action items ---


def _goals():
    return Goal.objects.select_related("skill")


class GoalListParams(serializers.Serializer):
    status = serializers.ChoiceField(choices=Goal.Status.choices, required=False)


@extend_schema(tags=TAGS)
class MentorshipGoalListAPI(WorkspaceAPIMixin, generics.GenericAPIView):
    """The mentorship's goals, open ones first; POST adds a SMART goal."""

    serializer_class = GoalSerializer

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=Goal.Status.values, required=False)],
        responses={200: GoalSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request, org_slug, mentorship_id):
        mentorship, _me = self.access_mentorship(mentorship_id)
        params = _query(GoalListParams, request)
        goals = _goals().filter(mentorship=mentorship, **params).order_by("status", "target_date", "pk")
        return self.get_paginated_response(self.get_serializer(self.paginate_queryset(goals), many=True).data)

    @extend_schema(
        request=GoalCreateSerializer,
        responses={201: GoalSerializer, 400: FIELD_ERRORS, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request, org_slug, mentorship_id):
        mentorship, _me = self.access_mentorship(mentorship_id)
        data = _valid(GoalCreateSerializer, request.data)
        goal = _call(goal_services.goal_create, mentorship=mentorship, created_by=self.membership, **data)
        return Response(self.get_serializer(goal).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=TAGS)
class GoalDetailAPI(WorkspaceAPIMixin, generics.GenericAPIView):
    serializer_class = GoalSerializer

    @extend_schema(responses={200: GoalSerializer, 404: NOT_FOUND})
    def get(self, request, org_slug, goal_id):
        goal, _me = goal_services.access_goal_for_participant(self.membership, goal_id)
        return Response(self.get_serializer(goal).data)

    @extend_schema(
        request=GoalEditSerializer,
        responses={200: GoalSerializer, 400: FIELD_ERRORS, 404: NOT_FOUND, 409: CONFLICT},
    )
    def patch(self, request, org_slug, goal_id):
        goal, _me = goal_services.access_goal_for_participant(self.membership, goal_id)
        data = _valid(GoalEditSerializer, request.data, partial=True)
        goal = _call(goal_services.goal_update, goal=goal, updated_by=self.membership, **data)
        return Response(self.get_serializer(goal).data)


@extend_schema(tags=TAGS)
class GoalProgressAPI(WorkspaceAPIMixin, generics.GenericAPIView):
    """Record a progress update (kept in the goal's history); 100 % marks the goal achieved unless a status is
    given."""

    serializer_class = GoalSerializer

    @extend_schema(
        request=GoalProgressSerializer,
        responses={200: GoalSerializer, 400: FIELD_ERRORS, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request, org_slug, goal_id):
        goal, _me = goal_services.access_goal_for_participant(self.membership, goal_id)
        data = _valid(GoalProgressSerializer, request.data)
        goal = _call(goal_services.goal_progress, goal=goal, author=self.membership, **data)
        return Response(self.get_serializer(goal).data)


@extend_schema(tags=TAGS)
class GoalUpdateListAPI(WorkspaceAPIMixin, generics.GenericAPIView):
    """The goal's progress updates, newest first."""

    serializer_class = GoalUpdateSerializer

    @extend_schema(responses={200: GoalUpdateSerializer(many=True), 404: NOT_FOUND})
    def get(self, request, org_slug, goal_id):
        goal, _me = goal_services.access_goal_for_participant(self.membership, goal_id)
        updates = GoalUpdate.objects.filter(goal=goal).select_related("author__user").order_by("-created_at", "-pk")
        return self.get_paginated_response(self.get_serializer(self.paginate_queryset(updates), many=True).data)


class ActionItemListParams(serializers.Serializer):
    done = serializers.BooleanField(required=False, allow_null=True, default=None)


@extend_schema(tags=TAGS)
class MentorshipActionItemListAPI(WorkspaceAPIMixin, generics.GenericAPIView):
    """The mentorship's action items, open ones first by due date (`?done=false`: open only); POST adds one."""

    serializer_class = ActionItemSerializer

    @extend_schema(
        parameters=[OpenApiParameter("done", bool, required=False, description="Done (true) or open (false) only.")],
        responses={200: ActionItemSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request, org_slug, mentorship_id):
        mentorship, _me = self.access_mentorship(mentorship_id)
        done = _query(ActionItemListParams, request)["done"]
        items = ActionItem.objects.filter(mentorship=mentorship).select_related("owner__user")
        if done is not None:
            items = items.filter(done_at__isnull=not done)
        items = items.order_by("done_at", "due_on", "pk")
        return self.get_paginated_response(self.get_serializer(self.paginate_queryset(items), many=True).data)

    @extend_schema(
        request=ActionItemCreateSerializer,
        responses={201: ActionItemSerializer, 400: FIELD_ERRORS, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request, org_slug, mentorship_id):
        mentorship, _me = self.access_mentorship(mentorship_id)
        data = _valid(ActionItemCreateSerializer, request.data)
        item = _call(goal_services.action_item_create, mentorship=mentorship, created_by=self.membership, **data)
        return Response(self.get_serializer(item).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=TAGS)
class ActionItemDetailAPI(WorkspaceAPIMixin, generics.GenericAPIView):
    """One action item; PATCH ``{"done": true}`` ticks it done, ``{"done": false}`` opens it again."""

    serializer_class = ActionItemSerializer

    def _item(self, item_id) -> ActionItem:
        item, _me = goal_services.access_action_item_for_participant(self.membership, item_id)
        return item

    @extend_schema(responses={200: ActionItemSerializer, 404: NOT_FOUND})
    def get(self, request, org_slug, item_id):
        return Response(self.get_serializer(self._item(item_id)).data)

    @extend_schema(
        request=ActionItemDoneSerializer,
        responses={200: ActionItemSerializer, 400: FIELD_ERRORS, 404: NOT_FOUND, 409: CONFLICT},
    )
    def patch(self, request, org_slug, item_id):
        item = self._item(item_id)
        data = _valid(ActionItemDoneSerializer, request.data, partial=True)
        if "done" in data:
            _call(goal_services.action_item_set_done, item=item, by=self.membership, done=data["done"])
        return Response(self.get_serializer(item).data)


# --- Assessments and the pulse ---


def _mentee_to_rate(mentorship: Mentorship, me: Participant, mentee_id):
    """Whom an assessment rates: a mentee themself; the mentor's only mentee, or the one a group's mentor names."""
    if not me.is_mentor:
        if mentee_id not in (None, me.application.pk):
            raise ValidationError({"mentee": "A mentee rates themself only."})
        return me.application
    mentees = [p.application for p in participants(mentorship) if not p.is_mentor]
    if mentee_id is None:
        if len(mentees) != 1:
            raise ValidationError({"mentee": "Choose which mentee you rate."})
        return mentees[0]
    return assessment_services.mentee_of(mentorship, mentee_id)


@extend_schema(tags=TAGS)
class MentorshipAssessmentListAPI(WorkspaceAPIMixin, generics.GenericAPIView):
    """Capability ratings visible to the caller: a mentee's own (self and mentor), or all the mentor's mentees';
    POST rates one mentee on every skill of the program for one phase (a second submission replaces the first)."""

    serializer_class = AssessmentSerializer

    @extend_schema(responses={200: AssessmentSerializer(many=True), 404: NOT_FOUND})
    def get(self, request, org_slug, mentorship_id):
        mentorship, me = self.access_mentorship(mentorship_id)
        if me.is_mentor:
            mentees = [p.application.pk for p in participants(mentorship) if not p.is_mentor]
        else:
            mentees = [me.application.pk]
        ratings = (
            CapabilityAssessment.objects.filter(mentee_id__in=mentees)
            .select_related("skill")
            .order_by("mentee_id", "phase", "rater", "skill__category", "skill__name", "pk")
        )
        return self.get_paginated_response(self.get_serializer(self.paginate_queryset(ratings), many=True).data)

    @extend_schema(
        request=AssessmentSubmitSerializer,
        responses={201: AssessmentSubmissionSerializer, 400: FIELD_ERRORS, 404: NOT_FOUND},
    )
    def post(self, request, org_slug, mentorship_id):
        mentorship, me = self.access_mentorship(mentorship_id)
        data = _valid(AssessmentSubmitSerializer, request.data)
        mentee = _mentee_to_rate(mentorship, me, data.get("mentee"))
        ratings = {row["skill"]: (row["level"], row["evidence"]) for row in data["ratings"]}
        saved = _call(
            assessment_services.assessment_submit,
            mentorship=mentorship, mentee=mentee, assessor=self.membership, phase=data["phase"], ratings=ratings,
        )  # fmt: skip
        submission = {"mentee_id": mentee.pk, "phase": data["phase"], "rater": saved[0].rater, "ratings": saved}
        return Response(AssessmentSubmissionSerializer(submission).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=TAGS)
class MentorshipPulseAPI(WorkspaceAPIMixin, generics.GenericAPIView):
    """The caller's collaboration pulse at the start or the end of the cohort (again: replaces the answer)."""

    serializer_class = PulseSerializer

    @extend_schema(request=PulseSerializer, responses={201: PulseSerializer, 400: FIELD_ERRORS, 404: NOT_FOUND})
    def post(self, request, org_slug, mentorship_id):
        mentorship, _me = self.access_mentorship(mentorship_id)
        data = _valid(PulseSerializer, request.data)
        pulse = _call(assessment_services.pulse_submit, mentorship=mentorship, participant=self.membership, **data)
        return Response(self.get_serializer(pulse).data, status=status.HTTP_201_CREATED)
