"""Serializers of the workspace API (programs/workspace_api_views.py).

Read serializers describe what a participant sees; write serializers only check shapes and ranges, and the
services of programs/workspace/ do the rest (a stage of this program's flow, an owner among the participants, a
skill the program grows...), raising errors keyed by the same field names as the payloads here.

Related rows in payloads are plain ids (`stage`, `skill`, `mentee`, `owner`, `goal`, `attended`) rather than
PrimaryKeyRelatedFields: the services check them against the mentorship, so an id of another organization, program
or mentorship is the same 400 on its field as one that does not exist.
"""

from __future__ import annotations

from rest_framework import serializers

from programs.models import (
    ActionItem,
    Application,
    CapabilityAssessment,
    Goal,
    GoalUpdate,
    MentoringSession,
    Mentorship,
    Program,
    PulseSurvey,
    SessionAttendance,
    SessionFeedback,
)
from programs.models.workspace import MAX_SESSION_MINUTES, MIN_SESSION_MINUTES
from programs.serializers import SkillBriefSerializer, StageSerializer

# --- People, programs, stages ---


class WorkspacePersonSerializer(serializers.Serializer):
    """A member acting in the workspace (who logged, confirmed, wrote, owns)."""

    membership_id = serializers.IntegerField(source="pk")
    full_name = serializers.CharField(source="user.get_full_name")


class ParticipantSerializer(serializers.Serializer):
    """A person of the mentorship: `membership_id` is what `attended` and `owner` take, `application_id` what
    `mentee` takes."""

    membership_id = serializers.IntegerField(source="membership.pk")
    application_id = serializers.IntegerField(source="application.pk")
    role = serializers.ChoiceField(choices=Application.Role.choices)
    full_name = serializers.CharField(source="membership.user.get_full_name")
    email = serializers.EmailField(source="membership.user.email")
    department = serializers.CharField(source="membership.department.name", allow_null=True, default=None)
    job_title = serializers.CharField(source="membership.job_title")


class WorkspaceProgramSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    cadence_per_month = serializers.IntegerField()


class WorkspaceCohortSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class StageBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    title = serializers.CharField()


class StageStepSerializer(StageSerializer):
    """A stage of the program's session flow and whether a held session of this mentorship covered it."""

    held = serializers.BooleanField(read_only=True)

    class Meta(StageSerializer.Meta):
        fields = [*StageSerializer.Meta.fields, "held"]
        read_only_fields = fields


class StageProgressSerializer(serializers.Serializer):
    reached = serializers.IntegerField(help_text="Stages with at least one held session.")
    total = serializers.IntegerField(help_text="Stages in the program's flow.")
    percent = serializers.IntegerField()
    complete = serializers.BooleanField()
    current_stage = StageBriefSerializer(
        source="current", allow_null=True, help_text="The first stage not held yet (the last one when all are)."
    )


# --- Mentorships ---


class MyMentorshipSerializer(serializers.Serializer):
    """One of the caller's mentorships with its people and how far along the flow it is."""

    id = serializers.IntegerField(source="mentorship.pk")
    status = serializers.ChoiceField(source="mentorship.status", choices=Mentorship.Status.choices)
    format = serializers.ChoiceField(source="mentorship.format", choices=Program.Format.choices)
    program = WorkspaceProgramSerializer(source="mentorship.cohort.program")
    cohort = WorkspaceCohortSerializer(source="mentorship.cohort")
    me = ParticipantSerializer(help_text="The caller's own place in the mentorship (mentor or mentee).")
    mentor = ParticipantSerializer()
    mentees = ParticipantSerializer(many=True)
    progress = StageProgressSerializer()
    sessions_held = serializers.IntegerField()
    next_session_at = serializers.DateTimeField(allow_null=True, help_text="The next scheduled session, if any.")


class SessionBriefSerializer(serializers.ModelSerializer):
    """A scheduled session as the summary lists it."""

    stage = StageBriefSerializer(allow_null=True)

    class Meta:
        model = MentoringSession
        fields = ["id", "status", "starts_at", "duration_minutes", "location", "stage"]
        read_only_fields = fields


class WorkspaceGoalBriefSerializer(serializers.ModelSerializer):
    mentee_id = serializers.IntegerField(help_text="The mentee's application id.")
    skill = SkillBriefSerializer(allow_null=True)

    class Meta:
        model = Goal
        fields = ["id", "mentee_id", "title", "target_date", "skill", "status", "progress"]
        read_only_fields = fields


class DueItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[("assessment", "Assessment"), ("pulse", "Pulse")])
    phase = serializers.CharField(help_text="An assessment phase (baseline, midpoint, final) or a pulse phase.")
    mentee_id = serializers.IntegerField(
        source="mentee.pk", allow_null=True, default=None, help_text="The mentor's assessments: whom to rate."
    )
    optional = serializers.BooleanField()
    label = serializers.CharField()


# --- Sessions ---


class ReflectionAnswerSerializer(serializers.Serializer):
    prompt = serializers.CharField(allow_blank=True, help_text="One of the reflection prompts of the session's stage.")
    answer = serializers.CharField(allow_blank=True)


class AttendanceSerializer(serializers.ModelSerializer):
    membership_id = serializers.IntegerField()
    full_name = serializers.CharField(source="membership.user.get_full_name")

    class Meta:
        model = SessionAttendance
        fields = ["membership_id", "full_name", "role", "attended"]
        read_only_fields = fields


class SessionSerializer(serializers.ModelSerializer):
    """A session on the timeline. `private_note` is the caller's own note on it (null without one): nobody else's
    note is ever part of a response. Context: `my_notes` {session id: text}, `my_feedback` {session ids},
    `mentor_membership_id` and `me` (programs.workspace.access.Participant)."""

    mentorship_id = serializers.IntegerField()
    stage = StageBriefSerializer(allow_null=True)
    reflection_answers = ReflectionAnswerSerializer(many=True)
    attendance = AttendanceSerializer(many=True, help_text="Every participant of a held session: attended or not.")
    scheduled_by = WorkspacePersonSerializer(allow_null=True)
    logged_by = WorkspacePersonSerializer(allow_null=True)
    confirmed_by = WorkspacePersonSerializer(allow_null=True, help_text="Who confirmed or corrected the log.")
    private_note = serializers.SerializerMethodField(help_text="The caller's own private note, or null.")
    my_feedback_given = serializers.SerializerMethodField()
    can_confirm = serializers.SerializerMethodField(
        help_text="The other side logged it and nobody confirmed it yet: the caller may confirm or correct it."
    )

    class Meta:
        model = MentoringSession
        fields = [
            "id", "mentorship_id", "status", "starts_at", "duration_minutes", "location", "stage", "topics",
            "shared_notes", "reflection_answers", "attendance", "scheduled_by", "logged_by", "logged_at",
            "confirmation", "confirmed_by", "confirmed_at", "private_note", "my_feedback_given", "can_confirm",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_private_note(self, session) -> str | None:
        return self.context["my_notes"].get(session.pk)

    def get_my_feedback_given(self, session) -> bool:
        return session.pk in self.context["my_feedback"]

    def get_can_confirm(self, session) -> bool:
        if session.confirmation != MentoringSession.Confirmation.ONE_SIDED or session.logged_by_id is None:
            return False
        logged_by_mentor = session.logged_by_id == self.context["mentor_membership_id"]
        return logged_by_mentor != self.context["me"].is_mentor


DURATION = {"min_value": MIN_SESSION_MINUTES, "max_value": MAX_SESSION_MINUTES}
STAGE_HELP = "A stage id of the program's session flow."


class SessionScheduleSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField(help_text="In the future.")
    duration_minutes = serializers.IntegerField(default=60, **DURATION)
    location = serializers.CharField(max_length=300, allow_blank=True, default="", help_text="Place or video link.")
    stage = serializers.IntegerField(allow_null=True, default=None, help_text=STAGE_HELP)


class SessionRescheduleSerializer(serializers.Serializer):
    """Any of the fields; the others stay as they are."""

    starts_at = serializers.DateTimeField(required=False, help_text="In the future.")
    duration_minutes = serializers.IntegerField(required=False, **DURATION)
    location = serializers.CharField(max_length=300, allow_blank=True, required=False)
    stage = serializers.IntegerField(allow_null=True, required=False, help_text=STAGE_HELP)


class SessionRecordSerializer(serializers.Serializer):
    """What a held session's log says (the correction's fields; all optional there)."""

    starts_at = serializers.DateTimeField(required=False, help_text="Not in the future.")
    duration_minutes = serializers.IntegerField(required=False, **DURATION)
    stage = serializers.IntegerField(allow_null=True, required=False, help_text=STAGE_HELP)
    attended = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="Membership ids of the participants who attended (left out: everybody attended).",
    )
    topics = serializers.CharField(max_length=300, allow_blank=True, required=False)
    shared_notes = serializers.CharField(
        allow_blank=True, required=False, help_text="Visible to everyone in this mentorship."
    )
    reflection_answers = ReflectionAnswerSerializer(
        many=True, required=False, help_text="Answers to the prompts of the session's stage."
    )


class SessionLogSerializer(SessionRecordSerializer):
    """Log a held session in one call. For a scheduled session, `starts_at`, `duration_minutes` and `stage` default
    to the scheduled ones."""

    private_note = serializers.CharField(
        allow_blank=True, required=False, default="", help_text="The logger's own note: nobody else ever reads it."
    )


class SessionLogNewSerializer(SessionLogSerializer):
    starts_at = serializers.DateTimeField(help_text="Not in the future.")
    duration_minutes = serializers.IntegerField(**DURATION)


class PrivateNoteSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, help_text="Empty deletes the note.")
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)


class FeedbackSerializer(serializers.ModelSerializer):
    session_id = serializers.IntegerField(read_only=True)
    rating = serializers.IntegerField(min_value=1, max_value=5)
    pairing_fit = serializers.ChoiceField(
        choices=SessionFeedback.PairingFit.choices,
        allow_blank=True,
        default="",
        help_text="Asked on the mentorship's first held session only; 'not_good' asks the program team for a re-match.",
    )

    class Meta:
        model = SessionFeedback
        fields = ["id", "session_id", "rating", "comment", "pairing_fit", "created_at"]
        read_only_fields = ["id", "session_id", "created_at"]


class FeedbackStateSerializer(serializers.Serializer):
    feedback = FeedbackSerializer(allow_null=True, help_text="The caller's own feedback, or null before they give it.")
    asks_pairing_fit = serializers.BooleanField(help_text="This is the mentorship's first held session.")


# --- Goals and action items ---


class GoalSerializer(serializers.ModelSerializer):
    mentorship_id = serializers.IntegerField()
    mentee_id = serializers.IntegerField(help_text="The mentee's application id.")
    skill = SkillBriefSerializer(allow_null=True)
    created_by_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = Goal
        fields = [
            "id", "mentorship_id", "mentee_id", "title", "measure", "target_date", "skill", "status", "progress",
            "created_by_id", "created_at", "updated_at", "achieved_at",
        ]  # fmt: skip
        read_only_fields = fields


class GoalEditSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    measure = serializers.CharField(max_length=300, allow_blank=True, required=False)
    target_date = serializers.DateField(allow_null=True, required=False)
    skill = serializers.IntegerField(allow_null=True, required=False, help_text="A skill id the program grows.")


class GoalCreateSerializer(GoalEditSerializer):
    title = serializers.CharField(max_length=200)
    mentee = serializers.IntegerField(
        allow_null=True,
        required=False,
        help_text="The mentee's application id: a group's mentor names whose goal it is; a mentee's goal is theirs.",
    )


class GoalProgressSerializer(serializers.Serializer):
    progress = serializers.IntegerField(min_value=0, max_value=100)
    status = serializers.ChoiceField(
        choices=Goal.Status.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text="Left out: achieved at 100, in progress below.",
    )
    note = serializers.CharField(allow_blank=True, required=False, default="")


class GoalUpdateSerializer(serializers.ModelSerializer):
    author = WorkspacePersonSerializer(allow_null=True)

    class Meta:
        model = GoalUpdate
        fields = ["id", "author", "note", "progress", "status", "created_at"]
        read_only_fields = fields


class ActionItemSerializer(serializers.ModelSerializer):
    mentorship_id = serializers.IntegerField()
    goal_id = serializers.IntegerField(allow_null=True)
    owner = WorkspacePersonSerializer()
    done = serializers.SerializerMethodField()
    created_by_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = ActionItem
        fields = [
            "id", "mentorship_id", "goal_id", "title", "owner", "due_on", "done", "done_at", "created_by_id",
            "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_done(self, item) -> bool:
        return item.done_at is not None


class ActionItemCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    owner = serializers.IntegerField(
        allow_null=True, required=False, help_text="A participant's membership id (left out: the caller)."
    )
    due_on = serializers.DateField(allow_null=True, required=False)
    goal = serializers.IntegerField(allow_null=True, required=False, help_text="A goal id of this mentorship.")


class ActionItemDoneSerializer(serializers.Serializer):
    done = serializers.BooleanField()


# --- Assessments and the pulse ---


class AssessmentSerializer(serializers.ModelSerializer):
    mentee_id = serializers.IntegerField(help_text="The mentee's application id.")
    skill = SkillBriefSerializer()
    assessor_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = CapabilityAssessment
        fields = ["id", "mentee_id", "skill", "phase", "rater", "assessor_id", "level", "evidence", "updated_at"]
        read_only_fields = fields


class RatingInputSerializer(serializers.Serializer):
    skill = serializers.IntegerField(help_text="A skill id the program grows.")
    level = serializers.IntegerField(min_value=1, max_value=5)
    evidence = serializers.CharField(allow_blank=True, required=False, default="")


class AssessmentSubmitSerializer(serializers.Serializer):
    mentee = serializers.IntegerField(
        allow_null=True,
        required=False,
        help_text="The mentee's application id: a group's mentor names whom they rate; a mentee rates themself.",
    )
    phase = serializers.ChoiceField(choices=CapabilityAssessment.Phase.choices)
    ratings = RatingInputSerializer(
        many=True, help_text="One rating for every skill of the program; a second submission replaces the first."
    )

    def validate_ratings(self, value):
        skills = [row["skill"] for row in value]
        if len(skills) != len(set(skills)):
            raise serializers.ValidationError("Rate each skill once.")
        return value


class AssessmentSubmissionSerializer(serializers.Serializer):
    """What one submission saved: the rater's ratings of one mentee for one phase."""

    mentee_id = serializers.IntegerField(help_text="The mentee's application id.")
    phase = serializers.ChoiceField(choices=CapabilityAssessment.Phase.choices)
    rater = serializers.ChoiceField(choices=CapabilityAssessment.Rater.choices)
    ratings = AssessmentSerializer(many=True)


class PulseSerializer(serializers.ModelSerializer):
    cross_department_colleagues = serializers.IntegerField(
        min_value=0, max_value=500, help_text="Colleagues in other departments the caller works with each month."
    )
    trust_other_departments = serializers.IntegerField(
        min_value=1, max_value=5, help_text="Trust in other departments, 1-5."
    )

    class Meta:
        model = PulseSurvey
        fields = ["id", "phase", "cross_department_colleagues", "trust_other_departments", "created_at"]
        read_only_fields = ["id", "created_at"]


# --- The workspace summary ---


class WorkspaceSerializer(MyMentorshipSerializer):
    """The workspace summary: the people, the flow with the current stage, what comes next and what is open."""

    stages = StageStepSerializer(many=True)
    next_session = SessionBriefSerializer(allow_null=True)
    upcoming_sessions = SessionBriefSerializer(many=True)
    held_minutes = serializers.IntegerField()
    open_goals = WorkspaceGoalBriefSerializer(many=True)
    open_action_items = ActionItemSerializer(many=True)
    due = DueItemSerializer(many=True, help_text="The assessments and pulse surveys asked of the caller now.")
    feedback_due = serializers.ListField(
        child=serializers.IntegerField(), help_text="Held sessions the caller has not given feedback on."
    )
    to_confirm = serializers.ListField(
        child=serializers.IntegerField(), help_text="Sessions the other side logged, for the caller to confirm."
    )
