"""Who may read which metrics, and the dashboard filters (program, cohort, department, period).

Roles (the same for the dashboard, the exports, the impact report and the metrics API):

- **HR analysts and org admins** read every scope: the organization, each department, program and cohort.
- **Program admins** read the programs they created (`Program.created_by`) and those programs' cohorts, nothing
  else: the organization's and the departments' figures mix in programs that are not theirs, so those scopes are
  closed to them, and with no program chosen they see their most recent own program.
- **Plain members**: 403 (the organization is no secret to them, its metrics are).

Only HR analysts and org admins may start a recompute (it rewrites the whole organization's snapshots).

Filter values arrive from query strings; `DashboardFilters` validates them against what the viewer may see (another
organization's or another admin's program id is simply not a choice), so a bad value is a field error, never a 500
and never somebody else's data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django import forms
from django.core.exceptions import PermissionDenied

from mentorship.tenancy.models import Department, Membership, Role
from programs.models import Cohort, Program

FULL_ACCESS_ROLES = (Role.ORG_ADMIN, Role.HR_ANALYST)
ANALYTICS_ROLES = (*FULL_ACCESS_ROLES, Role.PROGRAM_ADMIN)
RECOMPUTE_ROLES = FULL_ACCESS_ROLES
PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass
class Viewer:
    """A membership allowed to read metrics, with the programs, cohorts and departments it may filter by."""

    membership: Membership
    full_access: bool
    programs: list[Program]
    cohorts: list[Cohort]
    departments: list[Department]

    @property
    def can_recompute(self) -> bool:
        return self.membership.has_role(*RECOMPUTE_ROLES)


def analytics_viewer(membership: Membership) -> Viewer:
    """The viewer for a membership (three queries), or PermissionDenied (403) for roles without metrics."""
    if not membership.has_role(*ANALYTICS_ROLES):
        raise PermissionDenied("Your role in this organization does not include the metrics.")
    full_access = membership.has_role(*FULL_ACCESS_ROLES)
    programs = Program.objects.order_by("-created_at", "-pk")
    cohorts = Cohort.objects.select_related("program").order_by("program__name", "starts_on", "pk")
    if not full_access:
        programs = programs.filter(created_by=membership)
        cohorts = cohorts.filter(program__created_by=membership)
    return Viewer(
        membership=membership,
        full_access=full_access,
        programs=list(programs.only("pk", "name", "created_at", "created_by_id")),
        cohorts=list(cohorts),
        departments=list(Department.objects.order_by("name")),
    )


def period_bounds(period: str) -> tuple[int, int] | None:
    match = PERIOD_RE.match(period or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


class DashboardFilters(forms.Form):
    """Program, cohort, department and period (a month, or to date when empty). Choices come from the viewer."""

    program = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    cohort = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    department = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    period = forms.CharField(
        required=False,
        label="Month",
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
        help_text="Empty: everything to date.",
    )

    def __init__(self, data, *, viewer: Viewer, **kwargs):
        super().__init__(data, **kwargs)
        self.viewer = viewer
        every = "All programs" if viewer.full_access else "Choose a program"
        self.fields["program"].choices = [("", every), *((p.pk, p.name) for p in viewer.programs)]
        self.fields["cohort"].choices = [("", "All cohorts"), *((c.pk, str(c)) for c in viewer.cohorts)]
        self.fields["department"].choices = [("", "All departments"), *((d.pk, d.name) for d in viewer.departments)]

    def clean_period(self) -> str:
        period = self.cleaned_data["period"].strip()
        if period and period_bounds(period) is None:
            raise forms.ValidationError("Enter a month as YYYY-MM, or leave it empty for everything to date.")
        return period

    def clean(self):
        data = super().clean()
        cohort_id, program_id = data.get("cohort"), data.get("program")
        if cohort_id is not None and program_id is not None:
            cohort = next(c for c in self.viewer.cohorts if c.pk == cohort_id)
            if cohort.program_id != program_id:
                self.add_error("cohort", "This cohort belongs to another program.")
        return data

    # --- What the valid filters select ---

    def selected_program(self) -> Program | None:
        """The chosen program; the cohort's program when only a cohort is chosen; a program admin's newest own
        program when nothing is chosen (they see no organization-wide figures)."""
        data = self.cleaned_data
        if data.get("program") is not None:
            return next(p for p in self.viewer.programs if p.pk == data["program"])
        cohort = self.selected_cohort()
        if cohort is not None:
            return cohort.program
        if not self.viewer.full_access and self.viewer.programs:
            return self.viewer.programs[0]
        return None

    def selected_cohort(self) -> Cohort | None:
        cohort_id = self.cleaned_data.get("cohort")
        return next((c for c in self.viewer.cohorts if c.pk == cohort_id), None) if cohort_id is not None else None

    def selected_department(self) -> Department | None:
        department_id = self.cleaned_data.get("department")
        if department_id is None:
            return None
        return next(d for d in self.viewer.departments if d.pk == department_id)

    def query_string(self) -> str:
        """The valid filters as a query string, for the export links and the report."""
        from urllib.parse import urlencode

        data = self.cleaned_data
        pairs = [(name, data.get(name)) for name in ("program", "cohort", "department", "period")]
        return urlencode([(name, value) for name, value in pairs if value not in (None, "")])
