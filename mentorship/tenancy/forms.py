from django import forms

from mentorship.tenancy.models import Department, Membership, Role


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(
            choices=Role.choices,
            required=False,
            help_text="Everyone is a member; add roles only for people who run programs or read dashboards.",
            **kwargs,
        )


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address")
    roles = RolesField()
    department = forms.ModelChoiceField(queryset=Department.objects.all(), required=False)
    job_title = forms.CharField(max_length=120, required=False)


class MembershipForm(forms.Form):
    roles = RolesField()
    department = forms.ModelChoiceField(queryset=Department.objects.all(), required=False)
    job_title = forms.CharField(max_length=120, required=False)
    manager = forms.ModelChoiceField(
        queryset=Membership.objects.filter(is_active=True).select_related("user"), required=False
    )

    def __init__(self, *args, membership: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = self.fields["manager"].queryset.exclude(pk=membership.pk)


class DepartmentForm(forms.Form):
    name = forms.CharField(max_length=120)


class PeopleImportForm(forms.Form):
    file = forms.FileField(
        label="HR export (CSV or XLSX)",
        help_text="One row per person under a header row; CSV files in UTF-8.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    send_invitations = forms.BooleanField(
        required=False,
        label="Send invitations to people new to the organization",
        help_text="People who already have an account with a verified address get nothing; they log in as usual.",
    )
