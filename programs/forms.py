"""Forms of the program admin pages. They check shapes only; the services validate the rest and their field errors
are shown next to these fields (see mentorship.tenancy.views.apply_errors)."""

from __future__ import annotations

from django import forms
from django.db.models import Q

from programs.models import Cohort, Program, ProgramTarget, Skill
from programs.services import PROGRAM_FIELDS

LEVELS = range(1, 6)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class SkillForm(forms.Form):
    name = forms.CharField(max_length=120)
    category = forms.CharField(max_length=80, required=False, help_text="Skills are listed by category.")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, skill: Skill | None = None, **kwargs):
        if skill is not None:
            kwargs.setdefault("initial", {}).update(
                name=skill.name,
                category=skill.category,
                description=skill.description,
                is_active=skill.is_active,
                **{f"level_{level}": text for level, text in zip(LEVELS, skill.level_descriptions, strict=False)},
            )
        super().__init__(*args, **kwargs)
        for level in LEVELS:
            self.fields[f"level_{level}"] = forms.CharField(
                label=f"Level {level}", max_length=200, required=False, help_text="What this level looks like."
            )
        if skill is not None:
            self.fields["is_active"] = forms.BooleanField(
                label="Active (offered to new programs and applications)", required=False
            )

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = {
            "name": data["name"],
            "category": data["category"],
            "description": data["description"],
            "level_descriptions": [data[f"level_{level}"].strip() for level in LEVELS],
        }
        if "is_active" in data:
            fields["is_active"] = data["is_active"]
        return fields


class ProgramForm(forms.Form):
    name = forms.CharField(max_length=150)
    theme_tag = forms.CharField(max_length=80, required=False, help_text="For example #BuildTogether&GrowTogether")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    objectives = forms.MultipleChoiceField(
        choices=Program.Objective.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    participation_criteria = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    mentor_expectations = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    mentee_expectations = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    format = forms.ChoiceField(choices=Program.Format.choices)
    ratio = forms.IntegerField(
        label="Mentees per mentor", min_value=1, max_value=10, help_text="The most mentees one mentor takes (1-10)."
    )
    cadence_per_month = forms.IntegerField(label="Sessions per month", min_value=1, max_value=8)
    cross_functional = forms.ChoiceField(label="Cross-functional rule", choices=Program.CrossFunctional.choices)
    matching_mode = forms.ChoiceField(choices=Program.MatchingMode.choices)
    skills = forms.ModelMultipleChoiceField(
        label="Skills this program grows",
        queryset=Skill.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, program: Program | None = None, **kwargs):
        initial = kwargs.setdefault("initial", {})
        current: list[int] = []
        if program is not None:
            current = list(program.program_skills.values_list("skill_id", flat=True))
            initial.update({field: getattr(program, field) for field in self.program_fields()}, skills=current)
        else:
            initial.update(
                format=Program.Format.ONE_TO_ONE,
                ratio=3,
                cadence_per_month=1,
                cross_functional=Program.CrossFunctional.REQUIRED,
                matching_mode=Program.MatchingMode.ADMIN,
            )
        super().__init__(*args, **kwargs)
        # The organization's active skills, plus any retired one the program still grows.
        self.fields["skills"].queryset = Skill.objects.filter(Q(is_active=True) | Q(pk__in=current))

    @classmethod
    def program_fields(cls) -> list[str]:
        return [name for name in cls.base_fields if name in PROGRAM_FIELDS]

    def service_fields(self) -> dict:
        return {field: self.cleaned_data[field] for field in self.program_fields()}


class ProgramFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *Program.Status.choices], required=False)


class StageForm(forms.Form):
    title = forms.CharField(max_length=150)
    objectives = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    reflection_prompts = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="One prompt per line."
    )

    def __init__(self, *args, stage=None, **kwargs):
        if stage is not None:
            kwargs.setdefault("initial", {}).update(
                title=stage.title, objectives=stage.objectives, reflection_prompts="\n".join(stage.reflection_prompts)
            )
        super().__init__(*args, **kwargs)

    def service_fields(self) -> dict:
        return {
            "title": self.cleaned_data["title"],
            "objectives": self.cleaned_data["objectives"],
            "reflection_prompts": self.cleaned_data["reflection_prompts"].splitlines(),
        }


class TargetsForm(forms.Form):
    """A baseline and a target per metric; a metric left blank on both is skipped."""

    def __init__(self, *args, targets=(), **kwargs):
        initial = kwargs.setdefault("initial", {})
        for row in targets:
            initial[f"{row.metric}_baseline"] = row.baseline
            initial[f"{row.metric}_target"] = row.target
        super().__init__(*args, **kwargs)
        for metric in ProgramTarget.Metric:
            for part in ("baseline", "target"):
                self.fields[f"{metric.value}_{part}"] = forms.DecimalField(
                    label=f"{metric.label}: {part}", max_digits=7, decimal_places=2, required=False
                )

    def rows(self):
        """(metric label, baseline field, target field) for the template."""
        return [(m.label, self[f"{m.value}_baseline"], self[f"{m.value}_target"]) for m in ProgramTarget.Metric]

    def clean(self):
        data = super().clean()
        for metric in ProgramTarget.Metric:
            baseline, target = data.get(f"{metric.value}_baseline"), data.get(f"{metric.value}_target")
            if (baseline is None) != (target is None):
                missing = f"{metric.value}_baseline" if baseline is None else f"{metric.value}_target"
                if missing not in self.errors:
                    self.add_error(missing, "Give both the baseline and the target.")
        return data

    def targets(self) -> list[tuple[str, object, object]]:
        data = self.cleaned_data
        return [
            (metric.value, data[f"{metric.value}_baseline"], data[f"{metric.value}_target"])
            for metric in ProgramTarget.Metric
            if data.get(f"{metric.value}_baseline") is not None and data.get(f"{metric.value}_target") is not None
        ]


class CohortForm(forms.Form):
    name = forms.CharField(max_length=120)
    starts_on = forms.DateField(label="Starts on", widget=DateInput())
    ends_on = forms.DateField(label="Ends on", widget=DateInput())
    enrollment_opens_on = forms.DateField(label="Enrollment opens on", widget=DateInput())
    enrollment_closes_on = forms.DateField(label="Enrollment closes on", widget=DateInput())
    capacity = forms.IntegerField(label="Mentee seats", min_value=1)
    status = forms.ChoiceField(choices=Cohort.Status.choices, initial=Cohort.Status.PLANNED)

    def __init__(self, *args, cohort: Cohort | None = None, **kwargs):
        if cohort is not None:
            kwargs.setdefault("initial", {}).update({field: getattr(cohort, field) for field in self.base_fields})
        super().__init__(*args, **kwargs)
