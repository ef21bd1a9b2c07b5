"""Serializers of the matching API. Write serializers only validate shapes; matching.services does the rest."""

from __future__ import annotations

from rest_framework import serializers

from matching.algorithms import FACTORS
from matching.models import MatchProposal, MatchRun
from programs.models import Mentorship


class MatchRunSerializer(serializers.ModelSerializer):
    """A run with its progress and summary. ``published_at`` and ``published_by_id`` come from annotations (see
    ``matching.api_views.runs``): null until the run is published."""

    cohort_id = serializers.IntegerField(read_only=True)
    started_by_id = serializers.IntegerField(read_only=True, allow_null=True)
    summary = serializers.JSONField(
        read_only=True,
        help_text="Figures of the run (mentees, mentors, matched, matched_pct, mean_score, total_score, "
        "cross_department_share, departments_covered), the same figures of a greedy assignment under `greedy`, "
        "`gain`, `unmatched_reasons`, and `problem`/`message` in plain words.",
    )
    weights = serializers.JSONField(read_only=True, help_text="The factor weights used: {factor: weight}.")
    published_at = serializers.DateTimeField(read_only=True, allow_null=True)
    published_by_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = MatchRun
        fields = [
            "id", "cohort_id", "status", "progress", "phase", "objective", "weights", "summary", "started_by_id",
            "created_at", "finished_at", "error", "published_at", "published_by_id",
        ]  # fmt: skip
        read_only_fields = fields


class MatchRunStartSerializer(serializers.Serializer):
    objective = serializers.ChoiceField(choices=MatchRun.Objective.choices, default=MatchRun.Objective.SCORE)
    weights = serializers.DictField(
        child=serializers.FloatField(min_value=0),
        required=False,
        help_text=f"Factor weights (defaults for the factors left out): {', '.join(FACTORS)}.",
    )


class PairSideSerializer(serializers.Serializer):
    """One side of a pair: the application and the person behind it."""

    application_id = serializers.IntegerField(source="pk", read_only=True)
    membership_id = serializers.IntegerField(read_only=True)
    full_name = serializers.CharField(source="membership.user.full_name", read_only=True)
    department = serializers.CharField(
        source="membership.department.name", read_only=True, allow_null=True, default=None
    )


class WarningSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class MatchProposalSerializer(serializers.ModelSerializer):
    run_id = serializers.IntegerField(read_only=True)
    mentee = PairSideSerializer(read_only=True)
    mentor = PairSideSerializer(read_only=True)
    factors = serializers.DictField(
        child=serializers.FloatField(),
        read_only=True,
        help_text="Each factor's weighted contribution to the score (they add up to it).",
    )
    warnings = WarningSerializer(many=True, read_only=True, help_text="Rules or capacity a hand-picked pair breaks.")

    class Meta:
        model = MatchProposal
        fields = ["id", "run_id", "mentee", "mentor", "score", "factors", "state", "warnings"]
        read_only_fields = fields


class HandPickSerializer(serializers.Serializer):
    mentee_id = serializers.IntegerField(min_value=1, help_text="An accepted mentee application of the run's cohort.")
    mentor_id = serializers.IntegerField(min_value=1, help_text="An accepted mentor application of the run's cohort.")


class MentorshipSerializer(serializers.ModelSerializer):
    cohort_id = serializers.IntegerField(read_only=True)
    mentor_id = serializers.IntegerField(read_only=True)
    mentee_ids = serializers.ListField(child=serializers.IntegerField(), read_only=True)

    class Meta:
        model = Mentorship
        fields = ["id", "cohort_id", "mentor_id", "mentee_ids", "format", "status", "created_at"]
        read_only_fields = fields


class PublishResultSerializer(serializers.Serializer):
    run = MatchRunSerializer(read_only=True)
    mentorships = MentorshipSerializer(many=True, read_only=True)


# --- A program's matching weights (through one of its cohorts) and their preview ---

WEIGHT_HELP = "{factor: weight from 0 to 10}; factors left out keep their defaults. Factors: " + ", ".join(FACTORS)


class WeightsField(serializers.DictField):
    """{factor: number from 0 to 10}. Checked by `matching.services.matching_weight_errors`, so the API and the
    page agree; errors are keyed by factor (``{"weights": {"charisma": ["Unknown factor ..."]}}``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", WEIGHT_HELP + ".")
        super().__init__(child=serializers.FloatField(min_value=0, max_value=10), **kwargs)

    def to_internal_value(self, data):
        from matching.services import matching_weight_errors

        if not isinstance(data, dict):
            self.fail("not_a_dict", input_type=type(data).__name__)
        cleaned, errors = matching_weight_errors(data)
        if errors:
            raise serializers.ValidationError({name: [message] for name, message in errors.items()})
        return cleaned


class MatchingWeightsSerializer(serializers.Serializer):
    """The program's matching weights: the effective ones (defaults updated by the saved ones), the saved ones and
    the defaults."""

    program_id = serializers.IntegerField(read_only=True)
    weights = serializers.DictField(
        child=serializers.FloatField(), read_only=True, help_text="Effective weight per factor (what runs use)."
    )
    saved = serializers.DictField(
        child=serializers.FloatField(), read_only=True, help_text="The weights saved for the program."
    )
    defaults = serializers.DictField(child=serializers.FloatField(), read_only=True)


class MatchingWeightsUpdateSerializer(serializers.Serializer):
    weights = WeightsField(help_text=WEIGHT_HELP + "; replaces the saved weights ({} resets to the defaults).")


class WeightsPreviewRequestSerializer(serializers.Serializer):
    weights = WeightsField(help_text=WEIGHT_HELP + "; the proposed weights, compared with the saved ones.")
    objective = serializers.ChoiceField(choices=MatchRun.Objective.choices, default=MatchRun.Objective.SCORE)


class PreviewFiguresSerializer(serializers.Serializer):
    mentees = serializers.IntegerField()
    mentors = serializers.IntegerField()
    matched = serializers.IntegerField()
    matched_pct = serializers.FloatField(help_text="Matched mentees, in percent.")
    mean_score = serializers.FloatField()
    total_score = serializers.FloatField()
    cross_department_share = serializers.FloatField(help_text="Pairs across departments, in percent.")
    departments_covered = serializers.IntegerField()


class ChangeFiguresSerializer(serializers.Serializer):
    """Proposed minus current, per figure (percentages in points)."""

    mentees = serializers.FloatField()
    mentors = serializers.FloatField()
    matched = serializers.FloatField()
    matched_pct = serializers.FloatField()
    mean_score = serializers.FloatField()
    total_score = serializers.FloatField()
    cross_department_share = serializers.FloatField()
    departments_covered = serializers.FloatField()


class WeightsPreviewSerializer(serializers.Serializer):
    """What a run of the cohort would give now with the saved and with the proposed weights; nothing is written."""

    current = PreviewFiguresSerializer(read_only=True)
    proposed = PreviewFiguresSerializer(read_only=True)
    change = ChangeFiguresSerializer(read_only=True)
    current_weights = serializers.DictField(child=serializers.FloatField(), read_only=True)
    proposed_weights = serializers.DictField(child=serializers.FloatField(), read_only=True)
