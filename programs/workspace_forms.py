"""Forms of the mentorship workspace pages (programs/views/workspace_*.py).

They check what a browser can get wrong (types, ranges, choices among the mentorship's own stages, people, skills
and goals) so a bad value is an error on its field; the rules live in the services of programs/workspace/, whose
ValidationErrors land on the same field names (`apply_errors`). Choices are built from lists the view has loaded,
so rendering a form costs no queries of its own.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone

from programs.models import Goal, MentoringSession, SessionFeedback, SessionStage, Skill
from programs.models.workspace import MAX_SESSION_MINUTES, MIN_SESSION_MINUTES
from programs.workspace.access import Participant

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
RATINGS = [(str(level), str(level)) for level in range(1, 6)]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_LOCAL)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _duration_field() -> forms.IntegerField:
    return forms.IntegerField(
        label="Duration (minutes)",
        min_value=MIN_SESSION_MINUTES,
        max_value=MAX_SESSION_MINUTES,
        initial=60,
        help_text=f"From {MIN_SESSION_MINUTES} to {MAX_SESSION_MINUTES} minutes.",
    )


def _stage_field(stages: list[SessionStage], *, label: str, empty: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=[("", empty)] + [(stage.pk, f"{stage.position}. {stage.title}") for stage in stages],
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "Choose a stage of this program's session flow."},
    )


def person_label(person: Participant) -> str:
    return f"{person.membership} ({person.application.get_role_display().lower()})"


def recent_start(now: datetime | None = None) -> datetime:
    """The default start of a session being logged: the hour before now, on a 5-minute mark (it just ended)."""
    start = timezone.localtime(now) - timedelta(hours=1)
    return start.replace(minute=start.minute - start.minute % 5, second=0, microsecond=0)


class SessionScheduleForm(forms.Form):
    """Schedule a session ahead (or move one: the same fields)."""

    starts_at = forms.DateTimeField(label="When", widget=DateTimeLocalInput())
    duration_minutes = _duration_field()
    location = forms.CharField(
        label="Place or video link",
        max_length=300,
        required=False,
        help_text="A meeting room, a café, or the link of the video call.",
    )
    stage = forms.TypedChoiceField()  # replaced in __init__

    def __init__(self, *args, stages: list[SessionStage], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"] = _stage_field(stages, label="Stage (optional)", empty="Decide later")


class SessionRecordForm(forms.Form):
    """Log a held session in one post (or correct the other side's log: the same fields, pre-filled).

    The reflection prompts are those of the chosen stage: `reflection_<n>` answers prompt n, and the hidden
    `reflection_stage` (rendered by the template as `prompt_stage`, never from the posted value) says which stage's
    prompts the page showed, so answers are never filed under the prompts of a stage chosen after they were written
    (htmx swaps the prompts when the stage changes; without it, the page asks to check them).
    """

    starts_at = forms.DateTimeField(label="When did it start?", widget=DateTimeLocalInput())
    duration_minutes = _duration_field()
    stage = forms.TypedChoiceField()  # replaced in __init__
    attendance = forms.TypedMultipleChoiceField(
        label="Who attended", coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    topics = forms.CharField(
        label="Topics", max_length=300, required=False, help_text="A few words, for example: stakeholder map, Q3 plan."
    )
    shared_notes = forms.CharField(
        label="Shared notes",
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Visible to everyone in this mentorship.",
    )
    private_note = forms.CharField(
        label="Private note",
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only you can read this.",
    )
    reflection_stage = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, stages: list[SessionStage], people: list[Participant], **kwargs):
        super().__init__(*args, **kwargs)
        self.stages = stages
        self.fields["stage"] = _stage_field(stages, label="Stage", empty="No particular stage")
        if len(people) > 2:  # a group: say who was there; in a 1:1 both were, or it was not held
            self.fields["attendance"].choices = [(p.membership.pk, person_label(p)) for p in people]
            self.fields["attendance"].error_messages["invalid_choice"] = (
                "Only the people of this mentorship can attend its sessions."
            )
        else:
            del self.fields["attendance"]
        self.fields["starts_at"].widget.attrs["max"] = timezone.localtime().strftime(DATETIME_LOCAL)
        self.prompt_stage = self._stage_shown()
        for number, prompt in enumerate(self.prompts):
            self.fields[f"reflection_{number}"] = forms.CharField(
                label=prompt, required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
            )

    def _stage_shown(self) -> SessionStage | None:
        """The stage whose prompts the form asks: the posted stage, or the pre-filled one."""
        chosen = self.data.get(self.add_prefix("stage")) if self.is_bound else self.initial.get("stage")
        return next((stage for stage in self.stages if str(stage.pk) == str(chosen)), None)

    @property
    def prompts(self) -> list[str]:
        return list(self.prompt_stage.reflection_prompts) if self.prompt_stage else []

    def reflection_fields(self):
        return [self[f"reflection_{number}"] for number in range(len(self.prompts))]

    def clean(self):
        cleaned = super().clean()
        shown = cleaned.get("reflection_stage")
        answered = any(cleaned.get(f"reflection_{n}") for n in range(len(self.prompts)))
        if answered and "stage" in cleaned and shown != cleaned.get("stage"):
            self.add_error(
                "stage", "The reflection prompts changed with the stage: check your answers below and save again."
            )
        return cleaned

    def reflection_answers(self) -> list[dict]:
        return [
            {"prompt": prompt, "answer": self.cleaned_data.get(f"reflection_{n}", "")}
            for n, prompt in enumerate(self.prompts)
        ]

    def logged_fields(self) -> dict:
        """The session's logged values, as session_log and session_correct take them."""
        data = self.cleaned_data
        fields = {
            "starts_at": data["starts_at"], "duration_minutes": data["duration_minutes"], "stage": data["stage"],
            "topics": data["topics"], "shared_notes": data["shared_notes"],
            "reflection_answers": self.reflection_answers(),
        }  # fmt: skip
        return fields

    def attendees(self) -> list[int] | None:
        """Who attended; None (everybody) in a 1:1."""
        return self.cleaned_data["attendance"] if "attendance" in self.fields else None

    @staticmethod
    def initial_from(session: MentoringSession, attendance: list[int], private_note: str) -> dict:
        """Pre-fill the form with a logged session (the other side corrects it)."""
        initial = {
            "starts_at": timezone.localtime(session.starts_at), "duration_minutes": session.duration_minutes,
            "stage": session.stage_id, "topics": session.topics, "shared_notes": session.shared_notes,
            "attendance": attendance, "private_note": private_note,
        }  # fmt: skip
        prompts = list(session.stage.reflection_prompts) if session.stage else []
        answers = {a.get("prompt"): a.get("answer", "") for a in session.reflection_answers if isinstance(a, dict)}
        for number, prompt in enumerate(prompts):
            initial[f"reflection_{number}"] = answers.get(prompt, "")
        return initial


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="How useful was this session?",
        choices=RATINGS,
        coerce=int,
        widget=forms.RadioSelect,
        help_text="1: not useful, 5: very useful.",
        error_messages={"required": "Choose a rating from 1 to 5."},
    )
    comment = forms.CharField(
        label="Comment (optional)", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    pairing_fit = forms.ChoiceField(
        label="After this first session: is this pairing a good fit?",
        choices=SessionFeedback.PairingFit.choices,
        widget=forms.RadioSelect,
        help_text="“Not a good fit” asks the program team to look at the match; nobody else sees your answer.",
        error_messages={"required": "Say whether the pairing is a good fit."},
    )

    def __init__(self, *args, first_session: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not first_session:
            del self.fields["pairing_fit"]


class GoalForm(forms.Form):
    """A SMART goal: specific (what), measurable (measure), time-bound (target date), tied to a program skill."""

    title = forms.CharField(
        label="What do you want to achieve?",
        max_length=200,
        help_text="Specific and achievable, for example: “Run the quarterly planning workshop on my own”.",
    )
    measure = forms.CharField(
        label="How will you know?",
        max_length=300,
        required=False,
        help_text="The measure of progress, for example: “facilitated two workshops, feedback 4 of 5 or better”.",
    )
    target_date = forms.DateField(label="Target date", required=False, widget=DateInput())
    skill = forms.TypedChoiceField()  # replaced in __init__
    mentee = forms.TypedChoiceField()  # replaced in __init__ (or removed)

    def __init__(self, *args, skills: list[Skill], mentees: list[Participant] | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skill"] = forms.TypedChoiceField(
            label="Skill it grows",
            choices=[("", "—")] + [(skill.pk, skill.name) for skill in skills],
            coerce=int,
            empty_value=None,
            required=False,
            help_text="Relevant: one of the skills this program grows.",
            error_messages={"invalid_choice": "Choose one of the skills this program grows."},
        )
        if mentees:
            self.fields["mentee"] = forms.TypedChoiceField(
                label="Whose goal is it?",
                choices=[("", "Choose a mentee")] + [(p.application.pk, str(p.membership)) for p in mentees],
                coerce=int,
                error_messages={
                    "required": "Choose whose goal this is.",
                    "invalid_choice": "Choose a mentee of this mentorship.",
                },
            )
            self.order_fields(["mentee"])
        else:
            del self.fields["mentee"]


class GoalProgressForm(forms.Form):
    progress = forms.IntegerField(label="Progress (%)", min_value=0, max_value=100)
    status = forms.ChoiceField(label="Status", choices=Goal.Status.choices)
    note = forms.CharField(
        label="What changed?", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ActionItemForm(forms.Form):
    title = forms.CharField(label="What will be done?", max_length=200)
    owner = forms.TypedChoiceField()  # replaced in __init__
    due_on = forms.DateField(label="Due date", required=False, widget=DateInput())
    goal = forms.TypedChoiceField()  # replaced in __init__

    def __init__(self, *args, people: list[Participant], goals: list[Goal], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"] = forms.TypedChoiceField(
            label="Who does it?",
            choices=[(p.membership.pk, person_label(p)) for p in people],
            coerce=int,
            error_messages={"invalid_choice": "The owner must be one of the people of this mentorship."},
        )
        self.fields["goal"] = forms.TypedChoiceField(
            label="Towards a goal (optional)",
            choices=[("", "—")] + [(goal.pk, goal.title) for goal in goals],
            coerce=int,
            empty_value=None,
            required=False,
            error_messages={"invalid_choice": "Choose a goal of this mentorship."},
        )


class AssessmentForm(forms.Form):
    """One row per program skill: `level_<skill id>` (1-5, the skill's level descriptions beside each level) and
    `evidence_<skill id>`."""

    def __init__(self, *args, skills: list[Skill], earlier: dict[int, int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.skills = skills
        self.earlier = earlier or {}  # skill id -> the level this rater gave at baseline, shown beside the row
        for skill in skills:
            descriptions = list(skill.level_descriptions or [])
            choices = []
            for level in range(1, 6):
                text = descriptions[level - 1] if level <= len(descriptions) and descriptions[level - 1] else ""
                choices.append((str(level), f"{level} · {text}" if text else str(level)))
            self.fields[f"level_{skill.pk}"] = forms.TypedChoiceField(
                label=f"Level in {skill.name}",
                choices=choices,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": "Choose a level from 1 to 5."},
            )
            self.fields[f"evidence_{skill.pk}"] = forms.CharField(
                label=f"Evidence for {skill.name}",
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="What you saw or did that shows this level.",
            )

    def rows(self):
        return [
            (skill, self[f"level_{skill.pk}"], self[f"evidence_{skill.pk}"], self.earlier.get(skill.pk))
            for skill in self.skills
        ]

    def ratings(self) -> dict[int, tuple[int, str]]:
        data = self.cleaned_data
        return {skill.pk: (data[f"level_{skill.pk}"], data[f"evidence_{skill.pk}"]) for skill in self.skills}


class PulseForm(forms.Form):
    cross_department_colleagues = forms.IntegerField(
        label="How many colleagues in other departments do you work with in a month?", min_value=0, max_value=500
    )
    trust_other_departments = forms.TypedChoiceField(
        label="How much do you trust other departments to deliver what they promise?",
        choices=RATINGS,
        coerce=int,
        widget=forms.RadioSelect,
        help_text="1: not at all, 5: completely.",
        error_messages={"required": "Choose from 1 to 5."},
    )
