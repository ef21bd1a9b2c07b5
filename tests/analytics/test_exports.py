"""CSV and XLSX exports of the dashboard tables and the printable impact report: they parse back, carry the page's
filters and suppression, and stay inside the organization and the viewer's programs."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests import factories
from tests.analytics.dashboard_data import full_scope, hr_analyst, program_admin, program_with_admin, snap, url
from tests.conftest import login

TABLES = ("overview", "trend-participation_rate", "trend-attendance_rate", "trend-satisfaction", "department-gap",
          "capability", "collaboration")  # fmt: skip


def export_url(tenant, table, fmt):
    return url("analytics_export", tenant, table=table, fmt=fmt)


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def read_xlsx(response) -> list[list]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


@pytest.mark.parametrize("table", TABLES)
def test_every_table_exports_as_csv_and_xlsx_and_parses_back(client, tenant_a, table):
    with tenant_a.scope():
        skill = factories.make_skill("Facilitation")
    full_scope(tenant_a, skills=[skill])
    login(client, hr_analyst(tenant_a))

    as_csv = client.get(export_url(tenant_a, table, "csv"))
    as_xlsx = client.get(export_url(tenant_a, table, "xlsx"))

    assert as_csv.status_code == as_xlsx.status_code == 200
    assert "attachment;" in as_csv["Content-Disposition"] and f"-{table}-" in as_csv["Content-Disposition"]
    rows_csv, rows_xlsx = read_csv(as_csv), read_xlsx(as_xlsx)
    assert len(rows_csv) == len(rows_xlsx) >= 2
    assert rows_csv[0] == [str(value) for value in rows_xlsx[0]]
    # The same cells: numbers are numbers in the workbook and the same numbers in the CSV.
    for line_csv, line_xlsx in zip(rows_csv[1:], rows_xlsx[1:], strict=True):
        assert line_csv == ["" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
                            for value in line_xlsx]  # fmt: skip


def test_export_values(client, tenant_a):
    full_scope(tenant_a)
    login(client, hr_analyst(tenant_a))
    rows = read_xlsx(client.get(export_url(tenant_a, "trend-participation_rate", "xlsx")))
    assert rows == [
        ["Month", "Participation rate", "People"],
        ["2026-01", 40, 10],
        ["2026-02", 41, 10],
        ["2026-03", 42, 10],
    ]
    about = load_workbook(io.BytesIO(client.get(export_url(tenant_a, "overview", "xlsx")).content))["About"]
    facts = {row[0]: row[1] for row in about.iter_rows(values_only=True)}
    assert facts["Selection"] == "the whole organization, to date" and "fewer than 5 people" in facts["Privacy"]


def test_exports_use_the_filters(client, tenant_a):
    program, _ = program_with_admin(tenant_a, "Build Together", created_by=tenant_a.admin)
    full_scope(tenant_a, base=40.0)
    full_scope(tenant_a, scope=("program", program.pk), base=30.0)
    login(client, hr_analyst(tenant_a))
    rows = read_csv(client.get(export_url(tenant_a, "overview", "csv"), {"program": program.pk}))
    assert rows[1][:2] == ["Participation rate", "30.5"]
    rows = read_csv(client.get(export_url(tenant_a, "department-gap", "csv"), {"period": "2025-01"}))
    assert rows == [["Department", "Participation rate", "People"]]  # a month without figures: the header alone


def test_suppression_at_the_boundary_in_csv_and_xlsx(client, tenant_a):
    engineering, sales = tenant_a.departments
    with tenant_a.scope():
        legal = factories.make_department("Legal")
        snap("participation_rate", value=61.0, group_size=15)
        snap("participation_rate", value=51.0, group_size=4, department=engineering.pk)
        snap("participation_rate", value=52.0, group_size=5, department=sales.pk)
        snap("participation_rate", value=53.0, group_size=6, department=legal.pk, suppression="complementary")
    login(client, hr_analyst(tenant_a))

    expected = [
        ["Department", "Participation rate", "People"],
        ["Engineering", "fewer than 5 people", "fewer than 5 people"],
        ["Legal", "fewer than 5 people", "fewer than 5 people"],
        ["Sales", 52, 5],
    ]
    assert read_xlsx(client.get(export_url(tenant_a, "department-gap", "xlsx"))) == expected
    as_csv = client.get(export_url(tenant_a, "department-gap", "csv"))
    assert read_csv(as_csv) == [[str(value) for value in row] for row in expected]
    assert b"51" not in as_csv.content and b"53" not in as_csv.content


def test_labels_that_look_like_formulas_are_neutralised(client, tenant_a):
    with tenant_a.scope():
        evil = factories.make_department('=HYPERLINK("http://evil.example","x")')
        snap("participation_rate", value=50.0, group_size=10, department=evil.pk)
        snap("participation_rate", value=50.0, group_size=10)
    login(client, hr_analyst(tenant_a))
    rows = read_xlsx(client.get(export_url(tenant_a, "department-gap", "xlsx")))
    assert rows[1][0] == '\'=HYPERLINK("http://evil.example","x")'


def test_exports_are_for_analytics_roles_of_this_organization_only(client, tenants):
    tenant_a, tenant_b = tenants
    full_scope(tenant_a, base=40.0)
    full_scope(tenant_b, base=70.0)
    program_b, _ = program_with_admin(tenant_b, "Beta", created_by=tenant_b.admin)
    full_scope(tenant_b, scope=("program", program_b.pk), base=80.0)

    login(client, tenant_a.member)
    assert client.get(export_url(tenant_a, "overview", "csv")).status_code == 403

    login(client, hr_analyst(tenant_a))
    assert client.get(export_url(tenant_b, "overview", "csv")).status_code == 404
    own = client.get(export_url(tenant_a, "overview", "csv"))
    assert b"40.5" in own.content and b"70.5" not in own.content
    foreign = client.get(export_url(tenant_a, "overview", "csv"), {"program": program_b.pk})
    assert foreign.status_code == 400 and b"program" in foreign.content and b"80.5" not in foreign.content
    assert client.get(export_url(tenant_a, "overview", "pdf")).status_code == 404
    assert client.get(export_url(tenant_a, "no-such-table", "csv")).status_code == 404


def test_a_program_admin_exports_their_own_program_only(client, tenant_a):
    admin = program_admin(tenant_a)
    own, _ = program_with_admin(tenant_a, "Mine", created_by=admin)
    other, _ = program_with_admin(tenant_a, "Theirs", created_by=tenant_a.admin)
    full_scope(tenant_a, base=20.0)
    full_scope(tenant_a, scope=("program", own.pk), base=30.0)
    full_scope(tenant_a, scope=("program", other.pk), base=60.0)
    login(client, admin)
    assert read_csv(client.get(export_url(tenant_a, "overview", "csv")))[1][:2] == ["Participation rate", "30.5"]
    assert client.get(export_url(tenant_a, "overview", "csv"), {"program": other.pk}).status_code == 400


# --- The printable impact report ---


def test_impact_report_of_a_program_and_of_a_cohort(client, tenant_a):
    program, cohort = program_with_admin(tenant_a, "Build Together", created_by=tenant_a.admin)
    full_scope(tenant_a, scope=("program", program.pk), base=30.0)
    full_scope(tenant_a, scope=("cohort", cohort.pk), base=33.0)
    login(client, hr_analyst(tenant_a))

    response = client.get(url("analytics_report", tenant_a), {"program": program.pk})
    assert response.status_code == 200
    text = response.text
    assert "Impact report: Build Together" in text
    for part in ("Participation", "Capability growth", "Collaboration"):
        assert f">{part}</h2>" in text
    assert "30.5 %" in text and 'data-chart="figure-capability"' in text and 'data-chart="figure-collaboration"' in text
    assert "css/dashboard.css" in text and "data-print" in text

    response = client.get(url("analytics_report", tenant_a), {"cohort": cohort.pk})
    assert "Impact report: Build Together, Build Together cohort" in response.text and "33.5 %" in response.text


def test_impact_report_needs_a_program_and_stays_in_the_organization(client, tenants):
    tenant_a, tenant_b = tenants
    program_b, cohort_b = program_with_admin(tenant_b, "Beta", created_by=tenant_b.admin)
    full_scope(tenant_b, scope=("program", program_b.pk), base=80.0)
    login(client, hr_analyst(tenant_a))

    chooser = client.get(url("analytics_report", tenant_a))
    assert chooser.status_code == 200 and "Choose a program" in chooser.text
    for params in ({"program": program_b.pk}, {"cohort": cohort_b.pk}, {"program": "x"}):
        response = client.get(url("analytics_report", tenant_a), params)
        assert response.status_code == 200 and "Select a valid choice" in response.text
        assert "80.5" not in response.text and "Beta" not in response.text
    assert client.get(url("analytics_report", tenant_b), {"program": program_b.pk}).status_code == 404


def test_impact_report_suppresses_small_groups(client, tenant_a):
    program, _ = program_with_admin(tenant_a, "Small", created_by=tenant_a.admin)
    with tenant_a.scope():
        snap("participation_rate", scope=("program", program.pk), value=75.0, group_size=4)
        snap("match_rate", scope=("program", program.pk), value=88.0, group_size=5)
    login(client, tenant_a.admin)
    text = client.get(url("analytics_report", tenant_a), {"program": program.pk}).text
    assert "fewer than 5 people" in text and "75.0" not in text and "88.0 %" in text
