"""Service errors onto forms: field errors on their field, errors that name no field at the top (never a 500)."""

from django import forms
from django.core.exceptions import ValidationError

from mentorship.tenancy.views import apply_errors


class _NameForm(forms.Form):
    name = forms.CharField()


def test_field_errors_land_on_their_field_and_unknown_fields_at_the_top():
    form = _NameForm(data={"name": "x"})
    form.is_valid()
    apply_errors(form, ValidationError({"name": "Taken.", "elsewhere": "Broken."}))
    assert form.errors["name"] == ["Taken."]
    assert form.non_field_errors() == ["Broken."]


def test_an_error_without_a_field_goes_to_the_top_of_the_form():
    form = _NameForm(data={"name": "x"})
    form.is_valid()
    apply_errors(form, ValidationError("This mentorship has ended."))
    assert form.non_field_errors() == ["This mentorship has ended."]
    assert "name" not in form.errors
