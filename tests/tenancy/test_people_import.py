"""People import: whole-file validation, one-transaction import, isolation pairs, roles untouched, query counts."""

from __future__ import annotations

import csv
import io
import time

import openpyxl
import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mentorship.tenancy import tasks
from mentorship.tenancy.models import Department, Membership, PeopleImport, Role
from tests import factories
from tests.conftest import login
from tests.tenancy.test_worker import worker  # noqa: F401 (the real-worker fixture)

User = get_user_model()
HEADER = ["Email", "Name", "Department", "Job Title", "manager_email", "Location", "time zone", "Languages"]


def url(name, tenant, **kwargs):
    return reverse(name, kwargs={"org_slug": tenant.organization.slug, **kwargs})


def csv_bytes(rows, header=HEADER, bom=False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode()


def xlsx_bytes(rows, header=HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def hierarchy(count: int, prefix: str, departments=("Research", "Support")) -> list[list[str]]:
    """A head, two managers reporting to the head, everyone else reporting to a manager; managers listed last, so
    that reports come before their managers in the file."""
    people = []
    for index in range(count):
        email = f"{prefix}{index}@example.com"
        if index == 0:
            manager = ""
        elif index <= 2:
            manager = f"{prefix}0@example.com"
        else:
            manager = f"{prefix}{1 + index % 2}@example.com"
        department = departments[index % len(departments)]
        people.append(
            [email, f"Person {prefix}{index}", department, "Engineer", manager, "Berlin", "Europe/Berlin", "en;de"]
        )
    return people[3:] + people[:3]


def upload(client, tenant, content: bytes, name: str = "people.csv", **data):
    return client.post(url("people_import", tenant), {"file": SimpleUploadedFile(name, content), **data})


def last_import(tenant) -> PeopleImport:
    with tenant.scope():
        return PeopleImport.objects.order_by("-id").first()


def counts(tenant) -> tuple[int, int, int]:
    with tenant.scope():
        return User.objects.count(), Membership.objects.count(), Department.objects.count()


def membership(tenant, email) -> Membership:
    with tenant.scope():
        return Membership.objects.select_related("user", "department", "manager__user").get(user__email=email)


# --- Valid files ---


def test_valid_csv_creates_users_memberships_departments_and_managers(admin_client, tenant_a):
    rows = [
        ["grace@example.com", "Grace Hopper", "Research", "Rear Admiral", "", "Arlington", "America/New_York", "en"],
        ["alan@example.com", "Alan Turing", "research", "Mathematician", "GRACE@example.com", "London", "", "en, de"],
        ["admin@org-alpha.test", "Ada Admin", "Engineering", "CTO", "grace@example.com", "", "Europe/London", ""],
    ]
    response = upload(admin_client, tenant_a, csv_bytes(rows, bom=True))
    people_import = last_import(tenant_a)
    assert response.status_code == 302
    assert response["Location"] == url("people_import_detail", tenant_a, import_id=people_import.pk)
    assert people_import.status == PeopleImport.Status.DONE and people_import.errors == []
    assert (people_import.total_rows, people_import.created_count, people_import.updated_count) == (3, 2, 1)
    assert people_import.data is None and people_import.finished_at

    grace, alan = membership(tenant_a, "grace@example.com"), membership(tenant_a, "alan@example.com")
    assert grace.user.full_name == "Grace Hopper" and not grace.user.has_usable_password()
    assert grace.department.name == "Research" and grace.job_title == "Rear Admiral" and grace.manager is None
    assert (grace.location, grace.time_zone, grace.languages) == ("Arlington", "America/New_York", ["en"])
    # Departments match by name whatever the case; an empty time zone gives UTC; `,` separates languages too.
    assert alan.department == grace.department and alan.manager == grace
    assert (alan.time_zone, alan.languages) == ("UTC", ["en", "de"])
    admin = membership(tenant_a, "admin@org-alpha.test")
    assert admin.job_title == "CTO" and admin.manager == grace and admin.location == ""
    with tenant_a.scope():
        assert Department.objects.filter(name__iexact="research").count() == 1

    page = admin_client.get(response["Location"])
    assert page.status_code == 200 and b"2 new, 1 updated" in page.content


def test_valid_xlsx_creates_the_same(admin_client, tenant_a):
    rows = [
        ["grace@example.com", "Grace Hopper", "Research", "Rear Admiral", None, "Arlington", "America/New_York", "en"],
        ["alan@example.com", "Alan Turing", "Research", "Mathematician", "grace@example.com", None, None, "en;de"],
        ["joan@example.com", "Joan Clarke", "Cryptanalysis", 42, "alan@example.com", "London", "Europe/London", None],
    ]
    response = upload(admin_client, tenant_a, xlsx_bytes(rows), name="HR Export.XLSX")
    assert response.status_code == 302
    people_import = last_import(tenant_a)
    assert people_import.status == "done" and (people_import.created_count, people_import.updated_count) == (3, 0)
    assert people_import.file_name == "HR Export.XLSX"
    joan = membership(tenant_a, "joan@example.com")
    assert joan.manager.user.email == "alan@example.com" and joan.manager.manager.user.email == "grace@example.com"
    assert joan.department.name == "Cryptanalysis" and joan.job_title == "42" and joan.languages == []
    with tenant_a.scope():
        assert set(Department.objects.values_list("name", flat=True)) == {
            "Engineering",
            "Sales",
            "Research",
            "Cryptanalysis",
        }


def test_reimport_updates_without_duplicating(admin_client, tenant_a):
    rows = hierarchy(12, "p")
    assert upload(admin_client, tenant_a, csv_bytes(rows)).status_code == 302
    before = counts(tenant_a)
    rows[0][2], rows[0][3] = "Support", "Senior Engineer"  # a report moves department and gets a new title
    rows[1][4] = ""  # and one loses their manager
    assert upload(admin_client, tenant_a, csv_bytes(rows)).status_code == 302
    people_import = last_import(tenant_a)
    assert people_import.status == "done"
    assert (people_import.created_count, people_import.updated_count) == (0, 2)
    assert counts(tenant_a) == before
    moved = membership(tenant_a, rows[0][0])
    assert moved.department.name == "Support" and moved.job_title == "Senior Engineer"
    assert membership(tenant_a, rows[1][0]).manager is None


def test_columns_missing_from_the_file_are_left_unchanged(admin_client, tenant_a):
    content = csv_bytes([["member@org-alpha.test", "Max Member", "Platform"]], header=["email", "name", "department"])
    assert upload(admin_client, tenant_a, content).status_code == 302
    member = membership(tenant_a, "member@org-alpha.test")
    assert member.department.name == "Platform"
    assert member.manager == tenant_a.admin  # no manager email column: the manager stays


def test_semicolon_separated_csv_is_read(admin_client, tenant_a):
    content = b"email;name;languages\nlin@example.com;Lin Wei;zh,en\n"
    assert upload(admin_client, tenant_a, content).status_code == 302
    assert membership(tenant_a, "lin@example.com").languages == ["zh", "en"]


# --- Invalid rows: every problem reported, nothing changed ---


def test_every_bad_row_is_reported_and_nothing_changes(admin_client, tenant_a):
    rows = [
        ["ok@example.com", "Okay Person", "Brand New Dept", "", "", "", "", ""],  # row 2 is fine
        ["", "No Email", "", "", "", "", "", ""],
        ["not-an-email", "", "", "", "", "", "", ""],
        ["ok@example.com", "Twice", "", "", "", "", "", ""],
        ["tz@example.com", "Time Zone", "", "", "", "", "Mars/Olympus", "en;xx1"],
        ["boss@example.com", "Bossy", "", "x" * 121, "nobody@example.com", "", "", ""],
        ["self@example.com", "Self Managed", "", "", "self@example.com", "", "", ""],
    ]
    before = counts(tenant_a)
    response = upload(admin_client, tenant_a, csv_bytes(rows))
    assert response.status_code == 302
    people_import = last_import(tenant_a)
    assert people_import.status == PeopleImport.Status.FAILED
    assert people_import.errors == [
        {"row": 3, "column": "Email", "message": "Email is required."},
        {"row": 4, "column": "Email", "message": "“not-an-email” is not a valid email address."},
        {"row": 4, "column": "Name", "message": "Name is required."},
        {"row": 5, "column": "Email", "message": "“ok@example.com” is also on row 2."},
        {
            "row": 6,
            "column": "time zone",
            "message": "“Mars/Olympus” is not a known time zone (use names like Europe/Berlin).",
        },
        {"row": 6, "column": "Languages", "message": "“xx1” is not a language code (use codes like en, de, pt-BR)."},
        {"row": 7, "column": "Job Title", "message": "Longer than 120 characters (121)."},
        {
            "row": 7,
            "column": "manager_email",
            "message": "“nobody@example.com” is neither in the file nor a member of Org Alpha.",
        },
        {"row": 8, "column": "manager_email", "message": "A person cannot be their own manager."},
    ]
    assert counts(tenant_a) == before
    with tenant_a.scope():
        assert not Department.objects.filter(name="Brand New Dept").exists()
    assert not User.objects.filter(email="ok@example.com").exists()
    page = admin_client.get(url("people_import_detail", tenant_a, import_id=people_import.pk))
    assert b"Nothing was imported: 9 problems" in page.content
    assert "“Mars/Olympus” is not a known time zone".encode() in page.content
    problems = admin_client.get(url("people_import_problems", tenant_a, import_id=people_import.pk))
    assert problems.status_code == 200 and len(problems.content.decode("utf-8-sig").splitlines()) == 10


def test_manager_cycles_are_rejected_in_the_file_and_through_existing_members(admin_client, tenant_a):
    # In the file: a -> b -> c -> a. Through the organization: the member reports to the admin already, so the
    # admin cannot report to the member.
    rows = [
        ["a@example.com", "A", "", "", "b@example.com", "", "", ""],
        ["b@example.com", "B", "", "", "c@example.com", "", "", ""],
        ["c@example.com", "C", "", "", "a@example.com", "", "", ""],
        ["admin@org-alpha.test", "Ada Admin", "", "", "member@org-alpha.test", "", "", ""],
    ]
    before = counts(tenant_a)
    upload(admin_client, tenant_a, csv_bytes(rows))
    people_import = last_import(tenant_a)
    assert people_import.status == "failed"
    cycle = "This makes a reporting cycle: a@example.com → b@example.com → c@example.com → a@example.com."
    assert people_import.errors == [
        {"row": 2, "column": "manager_email", "message": cycle},
        {"row": 3, "column": "manager_email", "message": cycle},
        {"row": 4, "column": "manager_email", "message": cycle},
        {
            "row": 5,
            "column": "manager_email",
            "message": "This makes a reporting cycle: admin@org-alpha.test → member@org-alpha.test → "
            "admin@org-alpha.test.",
        },
    ]
    assert counts(tenant_a) == before
    assert membership(tenant_a, "admin@org-alpha.test").manager is None


def test_a_deactivated_member_cannot_be_a_manager(admin_client, tenant_a):
    with tenant_a.scope():
        Membership.objects.filter(pk=tenant_a.member.pk).update(is_active=False)
    upload(admin_client, tenant_a, csv_bytes([["new@example.com", "New", "", "", "member@org-alpha.test"]]))
    assert last_import(tenant_a).errors == [
        {
            "row": 2,
            "column": "manager_email",
            "message": "“member@org-alpha.test” is a deactivated member of Org Alpha.",
        }
    ]


def test_an_unexpected_error_marks_the_import_failed_and_changes_nothing(admin_client, tenant_a, monkeypatch):
    def broken(*args, **kwargs):
        Department.objects.create(name="Half Written")
        raise RuntimeError("boom")

    monkeypatch.setattr("mentorship.tenancy.imports.apply_people", broken)
    before = counts(tenant_a)
    with pytest.raises(RuntimeError):
        upload(admin_client, tenant_a, csv_bytes([["new@example.com", "New"]], header=["email", "name"]))
    people_import = last_import(tenant_a)
    assert people_import.status == "failed" and "unexpected error" in people_import.errors[0]["message"]
    assert counts(tenant_a) == before


# --- Files that cannot be imported: an error on the file field, status 400 ---


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("people.pdf", b"%PDF-1.4 ...", "Upload a .csv or .xlsx file"),
        ("people.xlsx", b"email,name\na@example.com,A\n", "not a readable XLSX workbook"),
        ("people.csv", xlsx_bytes([["a@example.com", "A"]]), "not a CSV file but a workbook"),
        (
            "people.csv",
            "email,name\nzoë@example.com,Zoë\n".encode("latin-1"),
            "not UTF-8 text (first problem on line 2)",
        ),
        ("people.csv", b"email,name\x00\x01\x02", "binary data"),
        ("people.csv", b"", "The submitted file is empty."),
        ("people.csv", b"  \n\n", "The file is empty."),
        ("people.csv", b"email,name\n", "no data rows"),
        ("people.xlsx", xlsx_bytes([]), "no data rows"),
        ("people.csv", b"mail,full name\na@example.com,A\n", "no email column"),
        ("people.csv", b"email,department\na@example.com,A\n", "no name column"),
        ("people.csv", b"email,name,E-mail\na@example.com,A,b@example.com\n", "appears twice"),
    ],
)
def test_files_that_cannot_be_imported_are_an_error_on_the_file_field(admin_client, tenant_a, name, content, message):
    before = counts(tenant_a)
    response = upload(admin_client, tenant_a, content, name=name)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["file"])
    assert message.encode() in response.content
    assert counts(tenant_a) == before
    with tenant_a.scope():
        assert not PeopleImport.objects.exists()


def test_oversize_and_too_many_rows_are_file_errors(admin_client, tenant_a, settings, monkeypatch):
    settings.PEOPLE_IMPORT_MAX_BYTES = 100
    response = upload(admin_client, tenant_a, csv_bytes(hierarchy(5, "big")))
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [
        "The file is larger than 100 bytes; split it into several files."
    ]
    settings.PEOPLE_IMPORT_MAX_BYTES = 5 * 1024 * 1024
    monkeypatch.setattr("mentorship.tenancy.imports.MAX_ROWS", 3)
    response = upload(admin_client, tenant_a, csv_bytes(hierarchy(4, "many")))
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == ["The file has more than 3 people; split it into several files."]


# --- Performance ---


def test_query_count_is_the_same_for_20_and_200_rows(admin_client, tenant_a):
    admin_client.get(url("people_import", tenant_a))  # warm the session

    def queries(rows) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = upload(admin_client, tenant_a, csv_bytes(rows))
        assert response.status_code == 302 and last_import(tenant_a).status == "done"
        return len(captured)

    small = queries(hierarchy(20, "s", departments=("S1", "S2")))
    large = queries(hierarchy(200, "l", departments=("L1", "L2")))
    assert large == small


# --- Access and isolation ---


def test_foreign_import_is_404_and_changes_nothing(admin_client, tenants):
    tenant_a, tenant_b = tenants
    with tenant_b.scope():
        foreign = factories.make_people_import(
            "beta.csv", status=PeopleImport.Status.FAILED, errors=[{"row": 2, "column": "email", "message": "Secret"}]
        )
    for name in ("people_import_detail", "people_import_status", "people_import_problems"):
        response = admin_client.get(url(name, tenant_a, import_id=foreign.pk))
        assert response.status_code == 404 and b"Secret" not in response.content
        assert admin_client.post(url(name, tenant_a, import_id=foreign.pk)).status_code == 404
    with tenant_b.scope():
        foreign.refresh_from_db()
    assert foreign.status == "failed" and foreign.errors[0]["message"] == "Secret"


def test_history_shows_my_organization_only(admin_client, tenants):
    tenant_a, tenant_b = tenants
    with tenant_a.scope():
        factories.make_people_import("alpha-people.csv")
    with tenant_b.scope():
        factories.make_people_import("beta-people.csv")
    response = admin_client.get(url("people_import", tenant_a))
    assert response.status_code == 200
    assert b"alpha-people.csv" in response.content and b"beta-people.csv" not in response.content


@pytest.mark.parametrize("name", ["people_import", "people_import_template", "people_import_detail"])
def test_import_pages_are_forbidden_to_plain_members(client, tenant_a, name):
    with tenant_a.scope():
        people_import = factories.make_people_import()
    kwargs = {"import_id": people_import.pk} if name == "people_import_detail" else {}
    login(client, tenant_a.member)
    assert client.get(url(name, tenant_a, **kwargs)).status_code == 403
    before = counts(tenant_a)
    assert upload(client, tenant_a, csv_bytes([["x@example.com", "X"]], header=["email", "name"])).status_code == 403
    assert counts(tenant_a) == before


def test_import_never_changes_roles(admin_client, tenant_a):
    with tenant_a.scope():
        Membership.objects.filter(pk=tenant_a.member.pk).update(roles=[Role.HR_ANALYST])
    content = csv_bytes(
        [
            ["admin@org-alpha.test", "Ada Admin", "Sales", "Head of People"],
            ["member@org-alpha.test", "Max Member", "Sales", "Analyst"],
            ["new@example.com", "New Person", "Sales", "Analyst"],
        ],
        header=["email", "name", "department", "job title"],
    )
    assert upload(admin_client, tenant_a, content).status_code == 302
    assert last_import(tenant_a).status == "done"
    assert membership(tenant_a, "admin@org-alpha.test").roles == [Role.ORG_ADMIN]
    assert membership(tenant_a, "member@org-alpha.test").roles == [Role.HR_ANALYST]
    assert membership(tenant_a, "new@example.com").roles == []


def test_people_of_another_organization_are_untouched(admin_client, tenants):
    tenant_a, tenant_b = tenants
    beta_member = membership(tenant_b, "member@org-beta.test")
    content = csv_bytes(
        [["Member@Org-Beta.test", "Someone Else", "Legal", "Counsel", "", "Paris", "Europe/Paris", "fr"]]
    )
    assert upload(admin_client, tenant_a, content).status_code == 302
    people_import = last_import(tenant_a)
    assert (people_import.status, people_import.created_count, people_import.updated_count) == ("done", 1, 0)
    # The same global user gets a new membership in A; B's membership and department list are as they were.
    in_alpha = membership(tenant_a, "member@org-beta.test")
    assert in_alpha.user_id == beta_member.user_id and in_alpha.pk != beta_member.pk
    assert in_alpha.department.name == "Legal" and in_alpha.organization_id == tenant_a.organization.pk
    after = membership(tenant_b, "member@org-beta.test")
    assert (
        after.department_id,
        after.job_title,
        after.manager_id,
        after.location,
        after.time_zone,
        after.languages,
    ) == (
        beta_member.department_id,
        beta_member.job_title,
        beta_member.manager_id,
        beta_member.location,
        beta_member.time_zone,
        beta_member.languages,
    )
    assert after.user.full_name == "Max Member"  # an existing account's name is not rewritten by another org
    with tenant_b.scope():
        assert not Department.objects.filter(name="Legal").exists()


def test_invitations_go_to_new_people_without_a_verified_account(admin_client, tenants):
    tenant_a, _tenant_b = tenants
    content = csv_bytes(
        [["fresh@example.com", "Fresh Person", "Sales"], ["member@org-beta.test", "Max Member", "Sales"]],
        header=["email", "name", "department"],
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = upload(admin_client, tenant_a, content, send_invitations="on")
    assert response.status_code == 302
    people_import = last_import(tenant_a)
    assert (people_import.created_count, people_import.invited_count) == (2, 1)
    assert [message.to for message in mail.outbox] == [["fresh@example.com"]]
    assert "/invite/" in mail.outbox[0].body and "Org Alpha" in mail.outbox[0].subject
    assert not EmailAddress.objects.filter(email="fresh@example.com").exists()


def test_template_csv_names_every_column(admin_client, tenant_a):
    response = admin_client.get(url("people_import_template", tenant_a))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content.decode("utf-8-sig").strip() == (
        "email,name,department,job title,manager email,location,time zone,languages"
    )


def test_members_page_and_sidebar_link_to_the_import(admin_client, tenant_a):
    page = admin_client.get(url("member_list", tenant_a))
    assert page.content.count(url("people_import", tenant_a).encode()) == 2


# --- The worker path ---


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_large_file_is_imported_by_the_worker_with_progress(worker, admin_client, tenants, monkeypatch):  # noqa: F811
    tenant_a, tenant_b = tenants
    monkeypatch.setattr(
        tasks.people_import_run_task,
        "delay",
        lambda **kwargs: tasks.people_import_run_task.apply_async(kwargs=kwargs, queue=worker),
    )
    response = upload(admin_client, tenant_a, csv_bytes(hierarchy(600, "w")))
    assert response.status_code == 302
    people_import = last_import(tenant_a)
    assert people_import.total_rows == 600
    page = admin_client.get(response["Location"])
    assert b"<progress" in page.content and b'hx-trigger="every 1s"' in page.content
    deadline = time.monotonic() + 60
    while people_import.is_running and time.monotonic() < deadline:
        time.sleep(0.2)
        people_import = last_import(tenant_a)
    assert people_import.status == "done", people_import.errors
    assert (people_import.processed_rows, people_import.created_count, people_import.updated_count) == (600, 600, 0)
    assert people_import.data is None
    with tenant_a.scope():
        assert Membership.objects.filter(user__email__startswith="w").count() == 600
        assert Membership.objects.filter(user__email__startswith="w", manager__isnull=True).count() == 1
    with tenant_b.scope():
        assert Membership.objects.count() == 2
    status = admin_client.get(url("people_import_status", tenant_a, import_id=people_import.pk))
    assert b"600 new, 0 updated" in status.content and b"hx-trigger" not in status.content
