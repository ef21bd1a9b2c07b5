"""Forms of the match run pages: start a run, hand-pick a mentor for a mentee."""

from __future__ import annotations

from django import forms

from matching.models import MatchRun
from programs.models import Application, Cohort


class RunStartForm(forms.Form):
    objective = forms.ChoiceField(
        label="Optimise for",
        choices=MatchRun.Objective.choices,
        initial=MatchRun.Objective.SCORE,
        widget=forms.RadioSelect,
    )


class HandPickForm(forms.Form):
    """A mentee and a mentor, both accepted applications of the run's cohort (anything else is a field error)."""

    mentee = forms.ModelChoiceField(
        queryset=Application.objects.none(),
        label="Mentee",
        error_messages={"invalid_choice": "Choose an accepted mentee of this cohort."},
    )
    mentor = forms.ModelChoiceField(
        queryset=Application.objects.none(),
        label="Mentor",
        error_messages={
            "required": "Choose a mentor.",
            "invalid_choice": "Choose an accepted mentor of this cohort.",
        },
    )

    def __init__(self, *args, cohort: Cohort, **kwargs):
        super().__init__(*args, **kwargs)
        accepted = Application.objects.filter(cohort=cohort, status=Application.Status.ACCEPTED)
        self.fields["mentee"].queryset = accepted.filter(role=Application.Role.MENTEE)
        self.fields["mentor"].queryset = accepted.filter(role=Application.Role.MENTOR)
