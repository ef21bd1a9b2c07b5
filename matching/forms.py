"""Forms of the match run pages: start a run, hand-pick a mentor for a mentee, a program's matching weights."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from matching.algorithms import FACTORS
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


WEIGHT_PREFIX = "weight_"


class WeightsForm(forms.Form):
    """One number input per factor (``weight_<factor>``; empty keeps the default). Every check is the service's
    (`matching.services.clean_matching_weights`), and its errors, an unknown ``weight_*`` factor included, are on
    ``weights``; ``cleaned_data["weights"]`` is {factor: number}."""

    weights = forms.Field(required=False, widget=forms.HiddenInput)  # carries the errors; never rendered

    def __init__(self, *args, labels: dict[str, str], initial_weights: dict[str, float], **kwargs):
        super().__init__(*args, **kwargs)
        for name in FACTORS:
            self.fields[WEIGHT_PREFIX + name] = forms.CharField(
                label=labels.get(name, name),
                required=False,
                initial=f"{initial_weights.get(name, 0):g}",
                widget=forms.NumberInput(attrs={"min": 0, "max": 10, "step": 0.05, "inputmode": "decimal"}),
            )

    def factor_fields(self):
        return [self[WEIGHT_PREFIX + name] for name in FACTORS]

    def clean(self):
        from matching.services import clean_matching_weights

        cleaned = super().clean()
        raw = {
            key.removeprefix(WEIGHT_PREFIX): value.strip()
            for key, value in self.data.items()
            if key.startswith(WEIGHT_PREFIX) and isinstance(value, str)
        }
        raw = {name: value for name, value in raw.items() if value != "" or name not in FACTORS}
        try:
            cleaned["weights"] = clean_matching_weights(raw)
        except ValidationError as error:
            self.add_error("weights", error.message_dict["weights"])
        return cleaned
