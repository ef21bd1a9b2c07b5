"""Serializers of the programs API. Write serializers only validate shapes; the services do the rest.

Every related id is a PrimaryKeyRelatedField on `Model.objects`, which the tenant scope filters, so another
organization's id is "not found" on its own field.
"""

from __future__ import annotations

from rest_framework import serializers

from mentorship.tenancy.models import validate_languages, validate_time_zone
from programs.models import (
    Application,
    ApplicationSkill,
    Cohort,
    Program,
    ProgramTarget,
    SessionStage,
    Skill,
)
from programs.services import DECISIONS, PROGRAM_FIELDS

# --- Skills ---


class SkillSerializer(serializers.ModelSerializer):
    class Meta:
        model = Skill
        fields = ["id", "name", "category", "description", "level_descriptions", "is_active"]
        read_only_fields = ["id"]


class SkillBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Skill
        fields = ["id", "name", "category"]
        read_only_fields = fields


# --- Programs ---


class StageSerializer(serializers.ModelSerializer):
    class Meta:
        model = SessionStage
        fields = ["id", "position", "title", "objectives", "reflection_prompts"]
        read_only_fields = fields


class TargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgramTarget
        fields = ["metric", "baseline", "target"]
        read_only_fields = fields


PROGRAM_READ_FIELDS = [
    "id", "name", "theme_tag", "description", "objectives", "participation_criteria", "mentor_expectations",
    "mentee_expectations", "format", "ratio", "cadence_per_month", "cross_functional", "matching_mode", "status",
    "skills", "created_at", "updated_at",
]  # fmt: skip


class ProgramSerializer(serializers.ModelSerializer):
    skills = serializers.SerializerMethodField()

    class Meta:
        model = Program
        fields = PROGRAM_READ_FIELDS
        read_only_fields = fields

    def get_skills(self, program) -> list[dict]:
        # program_skills__skill is prefetched by the views: no query per program.
        return SkillBriefSerializer([ps.skill for ps in program.program_skills.all()], many=True).data


class ProgramDetailSerializer(ProgramSerializer):
    stages = StageSerializer(many=True, read_only=True)
    targets = TargetSerializer(many=True, read_only=True)

    class Meta(ProgramSerializer.Meta):
        fields = [*PROGRAM_READ_FIELDS, "stages", "targets"]
        read_only_fields = fields


class ProgramWriteSerializer(serializers.ModelSerializer):
    """Create (all fields but `name` optional) and PATCH (partial)."""

    skill_ids = serializers.PrimaryKeyRelatedField(
        queryset=Skill.objects.all(), many=True, required=False, source="skills"
    )

    class Meta:
        model = Program
        fields = [*sorted(PROGRAM_FIELDS), "skill_ids"]


class ProgramTransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Program.Status.choices)


# --- Cohorts ---

COHORT_WRITE_FIELDS = [
    "name", "starts_on", "ends_on", "enrollment_opens_on", "enrollment_closes_on", "capacity", "status",
]  # fmt: skip


class CohortSerializer(serializers.ModelSerializer):
    program_id = serializers.PrimaryKeyRelatedField(queryset=Program.objects.all(), source="program")
    program_name = serializers.CharField(source="program.name", read_only=True)

    class Meta:
        model = Cohort
        fields = ["id", "program_id", "program_name", *COHORT_WRITE_FIELDS, "created_at"]
        read_only_fields = ["id", "created_at"]


class CohortUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cohort
        fields = COHORT_WRITE_FIELDS


# --- Applications ---


class ApplicationSkillSerializer(serializers.ModelSerializer):
    skill_id = serializers.IntegerField(read_only=True)
    skill_name = serializers.CharField(source="skill.name", read_only=True)

    class Meta:
        model = ApplicationSkill
        fields = ["skill_id", "skill_name", "level", "target_level"]
        read_only_fields = fields


class ApplicantSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    department = serializers.CharField(source="department.name", read_only=True, allow_null=True, default=None)


class ApplicationSerializer(serializers.ModelSerializer):
    cohort_id = serializers.IntegerField(read_only=True)
    applicant = ApplicantSerializer(source="membership", read_only=True)
    skills = ApplicationSkillSerializer(many=True, read_only=True)

    class Meta:
        model = Application
        fields = [
            "id", "cohort_id", "applicant", "role", "status", "skills", "goals", "languages", "time_zone",
            "meeting_windows", "capacity", "prefers_other_department", "seniority_preference", "decline_reason",
            "submitted_at", "decided_at",
        ]  # fmt: skip
        read_only_fields = fields


class ApplicationSkillInputSerializer(serializers.Serializer):
    skill_id = serializers.PrimaryKeyRelatedField(queryset=Skill.objects.all())
    level = serializers.IntegerField(min_value=1, max_value=5, help_text="Mentors: level offered. Mentees: current.")
    target_level = serializers.IntegerField(
        min_value=1, max_value=5, required=False, allow_null=True, help_text="Mentees: the level they want to reach."
    )


class ApplicationSubmitSerializer(serializers.Serializer):
    cohort_id = serializers.PrimaryKeyRelatedField(queryset=Cohort.objects.select_related("program"))
    role = serializers.ChoiceField(choices=Application.Role.choices)
    skills = ApplicationSkillInputSerializer(many=True)
    goals = serializers.CharField(allow_blank=True, required=False, default="")
    languages = serializers.ListField(
        child=serializers.CharField(max_length=8), required=False, validators=[validate_languages]
    )
    time_zone = serializers.CharField(max_length=64, required=False, validators=[validate_time_zone])
    meeting_windows = serializers.ListField(child=serializers.CharField(max_length=12), required=False)
    capacity = serializers.IntegerField(min_value=1, max_value=10, required=False, allow_null=True)
    prefers_other_department = serializers.BooleanField(required=False, default=True)
    seniority_preference = serializers.ChoiceField(
        choices=Application.SeniorityPreference.choices, required=False, default=Application.SeniorityPreference.ANY
    )

    def validate_skills(self, value):
        ids = [row["skill_id"].pk for row in value]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError("Name each skill once.")
        return value


class ApplicationDecideSerializer(serializers.Serializer):
    application_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=False)
    decision = serializers.ChoiceField(choices=sorted(DECISIONS))
    reason = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")


class ApplicationDecideResultSerializer(serializers.Serializer):
    updated = serializers.IntegerField()
