"""Forms of the member side (apply to a cohort) and of the admin review (bulk decisions)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from mentorship.tenancy.models import Membership, known_time_zones, validate_languages
from programs.models import Application, Cohort, Program, Skill

MEETING_WINDOWS = [
    ("mornings", "Weekday mornings"),
    ("afternoons", "Weekday afternoons"),
    ("evenings", "Weekday evenings"),
]
LEVELS = range(1, 6)


def _level_choices(skill: Skill, empty: str) -> list[tuple[str, str]]:
    descriptions = list(skill.level_descriptions or [])
    choices = [("", empty)]
    for level in LEVELS:
        description = descriptions[level - 1] if level <= len(descriptions) else ""
        choices.append((str(level), f"{level} · {description}" if description else str(level)))
    return choices


class ApplicationForm(forms.Form):
    """The profile questions of an application. One row per program skill: `skills` (the checkboxes) says which
    rows count, `level_<id>` (and for mentees `target_<id>`) their levels."""

    skills = forms.TypedMultipleChoiceField(coerce=int, widget=forms.CheckboxSelectMultiple, label="Skills")
    goals = forms.CharField(
        label="Your goals, in your own words",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    languages = forms.CharField(
        label="Languages you can meet in",
        required=False,
        help_text="Language codes, comma separated (for example en, de, pt-BR).",
    )
    time_zone = forms.ChoiceField(label="Time zone")
    meeting_windows = forms.MultipleChoiceField(
        label="Preferred meeting windows", choices=MEETING_WINDOWS, widget=forms.CheckboxSelectMultiple, required=False
    )
    capacity = forms.IntegerField(label="How many mentees you can take", min_value=1)
    prefers_other_department = forms.BooleanField(
        label="I prefer to be matched with someone from another department", required=False, initial=True
    )
    seniority_preference = forms.ChoiceField(
        label="Seniority preference", choices=Application.SeniorityPreference.choices
    )

    def __init__(self, *args, role: str, cohort: Cohort, skills: list[Skill], membership: Membership, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "languages": ", ".join(membership.languages),
                "time_zone": membership.time_zone,
                "prefers_other_department": True,
                "seniority_preference": Application.SeniorityPreference.ANY,
                "capacity": cohort.program.ratio,
            },
        )
        super().__init__(*args, **kwargs)
        self.role = role
        self.program: Program = cohort.program
        self.skill_list = skills
        is_mentor = role == Application.Role.MENTOR
        skills_field = self.fields["skills"]
        skills_field.choices = [(skill.pk, skill.name) for skill in skills]
        skills_field.label = "Skills you offer" if is_mentor else "Skills you want to grow"
        skills_field.error_messages["required"] = (
            "Choose at least one skill you offer." if is_mentor else "Choose at least one skill you want to grow."
        )
        self.fields["time_zone"].choices = [(name, name) for name in sorted(known_time_zones())]
        for skill in skills:
            self.fields[f"level_{skill.pk}"] = forms.TypedChoiceField(
                label=f"{'Your level' if is_mentor else 'Current level'} in {skill.name}",
                coerce=int,
                required=False,
                choices=_level_choices(skill, "Level…" if is_mentor else "Current…"),
            )
            if not is_mentor:
                self.fields[f"target_{skill.pk}"] = forms.TypedChoiceField(
                    label=f"Target level in {skill.name}",
                    coerce=int,
                    required=False,
                    choices=_level_choices(skill, "Target…"),
                )
        if is_mentor:
            ratio = self.program.ratio
            self.fields["capacity"].widget = forms.Select(choices=[(n, str(n)) for n in range(1, ratio + 1)])
            self.fields["capacity"].help_text = f"Up to {ratio}: this program's mentees per mentor."
        else:
            del self.fields["capacity"]
            self.fields["goals"].help_text = "What you want to learn, and why now."
        if is_mentor:
            self.fields["goals"].help_text = "What you want to pass on, and to whom."

    def skill_rows(self) -> list[dict]:
        """What the template needs to draw one row per program skill."""
        if self.is_bound:
            chosen = set(self.data.getlist("skills")) if hasattr(self.data, "getlist") else set()
        else:
            chosen = {str(pk) for pk in self.initial.get("skills", [])}
        rows = []
        for skill in self.skill_list:
            level = self[f"level_{skill.pk}"]
            target = self[f"target_{skill.pk}"] if f"target_{skill.pk}" in self.fields else None
            rows.append(
                {
                    "skill": skill,
                    "checked": str(skill.pk) in chosen,
                    "level": level,
                    "target": target,
                    "has_error": bool(level.errors or (target is not None and target.errors)),
                }
            )
        return rows

    def clean_languages(self) -> list[str]:
        codes = [code.strip() for code in self.cleaned_data["languages"].split(",") if code.strip()]
        validate_languages(codes)
        return list(dict.fromkeys(codes))

    def clean(self):
        cleaned = super().clean()
        by_pk = {skill.pk: skill for skill in self.skill_list}
        rows = []
        for pk in cleaned.get("skills") or []:
            skill = by_pk[pk]
            level = cleaned.get(f"level_{pk}")
            target = cleaned.get(f"target_{pk}") if self.role == Application.Role.MENTEE else None
            if level in (None, ""):
                self.add_error(f"level_{pk}", "Choose a level.")
                self.add_error("skills", f"{skill.name}: choose your level.")
                continue
            if self.role == Application.Role.MENTEE:
                if target in (None, ""):
                    self.add_error(f"target_{pk}", "Choose a target level.")
                    self.add_error("skills", f"{skill.name}: choose the level you aim for.")
                    continue
                if target <= level:
                    self.add_error(f"target_{pk}", "Aim above your current level.")
                    self.add_error("skills", f"{skill.name}: the target level must be above your current level.")
                    continue
            rows.append((skill, level, target))
        cleaned["skill_levels"] = rows
        return cleaned

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "role": self.role,
            "skills": data["skill_levels"],
            "goals": data["goals"],
            "languages": data["languages"],
            "time_zone": data["time_zone"],
            "meeting_windows": list(data["meeting_windows"]),
            "capacity": data.get("capacity"),
            "prefers_other_department": data["prefers_other_department"],
            "seniority_preference": data["seniority_preference"],
        }


class BulkDecisionForm(forms.Form):
    applications = forms.ModelMultipleChoiceField(
        queryset=Application.objects.none(),
        widget=forms.MultipleHiddenInput,
        label="Applications",
        error_messages={
            "required": "Tick at least one application.",
            "invalid_choice": "Choose applications of this cohort.",
            "invalid_pk_value": "Choose applications of this cohort.",
        },
    )
    decision = forms.ChoiceField(
        label="Decision",
        choices=[("accept", "Accept"), ("decline", "Decline"), ("waitlist", "Waitlist")],
    )
    reason = forms.CharField(
        label="Reason (for a decline)",
        max_length=300,
        required=False,
        help_text="The applicant sees it.",
    )

    def __init__(self, *args, cohort: Cohort, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["applications"].queryset = Application.objects.filter(cohort=cohort)

    def clean_applications(self):
        applications = self.cleaned_data["applications"]
        if any(application.status == Application.Status.WITHDRAWN for application in applications):
            raise ValidationError("Withdrawn applications cannot be decided.")
        return applications
