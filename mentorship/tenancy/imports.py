"""People import: an org admin's HR export (CSV or XLSX) creates or updates users and memberships.

Three steps, each set-based (a fixed number of queries per 1,000 rows, never one per row):

1. `read_people_file` checks the file as a whole (type by extension and by content, size, header, row count) and
   returns its rows as text; a problem with the file is a ValidationError on `file`.
2. `validate_people` checks every row and returns every problem as {row, column, message}; rows are numbered as a
   spreadsheet shows them (the header is row 1).
3. `apply_people` writes everything in one transaction: departments, users, memberships, then managers once every
   membership exists, then invitations.

`people_import_create` (pages) and `people_import_run` (pages and the worker) are the services around them. Roles
are never touched: an import says who people are and where they sit, not what they may do.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import openpyxl
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.core.validators import EmailValidator
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from mentorship.audit.models import Action
from mentorship.audit.services import record
from mentorship.tenancy.models import (
    Department,
    Invitation,
    Membership,
    Organization,
    PeopleImport,
    TenantModel,
    validate_languages,
    validate_time_zone,
)
from mentorship.tenancy.scope import require_organization_id
from mentorship.tenancy.services import invitation_build, invitation_email

MAX_ROWS = 50_000
IN_REQUEST_MAX_ROWS = 500  # larger files go to the worker, and the page shows their progress
CHUNK_ROWS = 1_000  # rows written per statement, and how often progress is reported


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the template's header
    max_length: int | None = None
    aliases: tuple[str, ...] = ()


COLUMNS = (
    Column("email", "email", 254, ("emailaddress",)),
    Column("name", "name", 150, ("fullname",)),
    Column("department", "department", 120),
    Column("job_title", "job title", 120),
    Column("manager_email", "manager email", 254),
    Column("location", "location", 120),
    Column("time_zone", "time zone"),  # validate_time_zone bounds it
    Column("languages", "languages"),
)
REQUIRED_COLUMNS = ("email", "name")
COLUMN_ORDER = {column.key: index for index, column in enumerate(COLUMNS)}


def header_key(text: str) -> str:
    """`Job Title`, `job_title`, `JOB-TITLE` and `jobtitle` are the same column."""
    return re.sub(r"[\s_\-]+", "", text.strip().lower())


HEADERS = {header_key(name): column.key for column in COLUMNS for name in (column.label, *column.aliases)}


class Row(NamedTuple):
    """One data row as text; a column the file does not have is None (an empty cell is "")."""

    number: int
    email: str | None
    name: str | None
    department: str | None
    job_title: str | None
    manager_email: str | None
    location: str | None
    time_zone: str | None
    languages: str | None


@dataclass
class PeopleFile:
    columns: dict[str, str]  # column key -> its header as written in the file
    rows: list[Row]


def file_error(message: str) -> ValidationError:
    return ValidationError({"file": message})


# --- 1. Reading the file ---


def read_people_file(*, data: bytes, file_name: str) -> PeopleFile:
    """The rows of a CSV (UTF-8, with or without BOM) or XLSX file; raises a ValidationError on `file`."""
    limit = settings.PEOPLE_IMPORT_MAX_BYTES
    if len(data) > limit:
        raise file_error(f"The file is larger than {_megabytes(limit)}; split it into several files.")
    if not data.strip():
        raise file_error("The file is empty.")
    extension = Path(file_name).suffix.lower()
    if extension == ".xlsx":
        records = _xlsx_records(data)
    elif extension == ".csv":
        records = _csv_records(data)
    else:
        raise file_error("Upload a .csv or .xlsx file (export it from your HR system or spreadsheet).")
    with contextlib.closing(records):
        return _people(records)


def _megabytes(size: int) -> str:
    return f"{size / 1_048_576:.3g} MB" if size >= 100_000 else f"{size:,} bytes"


def _csv_records(data: bytes) -> Iterator[tuple[int, list[str]]]:
    if data.startswith(b"PK\x03\x04"):
        raise file_error("This is not a CSV file but a workbook; save it as .xlsx, or export it as CSV UTF-8.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise file_error(
            f"The file is not UTF-8 text (first problem on line {line}); export it as “CSV UTF-8”."
        ) from None
    if "\x00" in text:
        raise file_error("The file holds binary data, not CSV text; export it as “CSV UTF-8”.")
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)  # spreadsheets in many locales write `;`
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as error:
        raise file_error(f"The CSV file is malformed near line {reader.line_num}: {error}.") from None


def _xlsx_records(data: bytes) -> Iterator[tuple[int, list]]:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types (zip, XML, key errors) on what is not a workbook
        raise file_error(
            "The file is not a readable XLSX workbook; open it in your spreadsheet and save it again."
        ) from None
    try:
        if not workbook.worksheets:
            raise file_error("The workbook has no sheet.")
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers store wrong dimensions; read each row as it is
        try:
            # Missing rows come out empty, so numbering follows the spreadsheet.
            yield from enumerate(sheet.iter_rows(values_only=True), start=1)
        except ValidationError:
            raise
        except Exception:
            raise file_error(
                "The workbook could not be read to the end; open it in your spreadsheet and save it again."
            ) from None
    finally:
        workbook.close()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _people(records: Iterator[tuple[int, list]]) -> PeopleFile:
    first = next(records, None)
    if first is None:
        raise file_error("The file is empty.")
    _number, header = first
    positions: dict[str, int] = {}
    columns: dict[str, str] = {}
    for index, cell in enumerate(header):
        text = _text(cell)
        key = HEADERS.get(header_key(text))
        if key is None:
            continue  # HR exports carry more columns than we need
        if key in positions:
            raise file_error(f"The column “{text}” appears twice (also as “{columns[key]}”).")
        positions[key], columns[key] = index, text
    missing = [column.label for column in COLUMNS if column.key in REQUIRED_COLUMNS and column.key not in positions]
    if missing:
        expected = ", ".join(column.label for column in COLUMNS)
        raise file_error(
            f"The file has no {' and no '.join(missing)} column. Its first row must name the columns: {expected} "
            f"(download the template)."
        )
    order = [positions.get(column.key) for column in COLUMNS]
    rows: list[Row] = []
    for number, cells in records:
        width = len(cells)
        values = [None if i is None else (_text(cells[i]) if i < width else "") for i in order]
        if not any(values):
            continue  # blank rows are skipped
        if len(rows) == MAX_ROWS:
            raise file_error(f"The file has more than {MAX_ROWS:,} people; split it into several files.")
        rows.append(Row(number, *values))
    if not rows:
        raise file_error("The file has no data rows: below the header row, add one row per person.")
    return PeopleFile(columns=columns, rows=rows)


# --- 2. Validation ---


@dataclass
class Person:
    """A row with a valid email, normalized. Fields of columns the file does not have are None (left unchanged)."""

    row: int
    email: str
    name: str
    department: str | None
    job_title: str | None
    manager_email: str | None
    location: str | None
    time_zone: str | None
    languages: list[str] | None


def split_languages(value: str) -> list[str]:
    codes = [code.strip() for code in re.split(r"[;,]", value)]
    return list(dict.fromkeys(code for code in codes if code))


def _shorten(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _first_message(validator: Callable, value) -> str | None:
    try:
        validator(value)
    except ValidationError as error:
        return error.messages[0]
    return None


def validate_people(
    people: PeopleFile, *, organization: Organization, progress: Callable[[int], None] | None = None
) -> tuple[list[Person], list[dict]]:
    """Every row checked; returns the people and every problem, [{row, column, message}] sorted by row."""
    errors: list[dict] = []

    def problem(row: int, key: str, message: str) -> None:
        errors.append({"row": row, "column": people.columns[key], "message": message})

    # One query: every member of the organization, for managers outside the file and reporting lines.
    members = {
        email.lower(): (pk, manager_id, active)
        for pk, email, manager_id, active in Membership.objects.values_list(
            "pk", "user__email", "manager_id", "is_active"
        )
    }
    validate_email = EmailValidator()
    time_zones: dict[str, str | None] = {}  # value -> message (None: valid); a file has few distinct values
    languages: dict[str, tuple[list[str], str | None]] = {}
    first_row: dict[str, int] = {}
    persons: list[Person] = []
    for index, row in enumerate(people.rows, start=1):
        email = (row.email or "").lower()
        if not email:
            problem(row.number, "email", "Email is required.")
        elif len(email) > 254 or _first_message(validate_email, email):
            problem(row.number, "email", f"“{_shorten(email)}” is not a valid email address.")
            email = ""
        elif email in first_row:
            problem(row.number, "email", f"“{email}” is also on row {first_row[email]}.")
            email = ""
        else:
            first_row[email] = row.number
        if not row.name:
            problem(row.number, "name", "Name is required.")
        for column in COLUMNS:
            value = getattr(row, column.key)
            if column.max_length and column.key != "email" and value and len(value) > column.max_length:
                problem(
                    row.number,
                    column.key,
                    f"Longer than {column.max_length} characters ({len(value)}).",
                )
        if row.time_zone:
            if row.time_zone not in time_zones:
                time_zones[row.time_zone] = _first_message(validate_time_zone, row.time_zone)
            if time_zones[row.time_zone]:
                problem(row.number, "time_zone", time_zones[row.time_zone])
        codes = None
        if row.languages is not None:
            if row.languages not in languages:
                codes = split_languages(row.languages)
                languages[row.languages] = (codes, _first_message(validate_languages, codes))
            codes, message = languages[row.languages]
            if message:
                problem(row.number, "languages", message)
        manager_email = row.manager_email.lower() if row.manager_email is not None else None
        if manager_email and len(manager_email) <= 254 and _first_message(validate_email, manager_email):
            problem(row.number, "manager_email", f"“{_shorten(manager_email)}” is not a valid email address.")
            manager_email = ""
        elif manager_email and email and manager_email == email:
            problem(row.number, "manager_email", "A person cannot be their own manager.")
            manager_email = ""
        if email:
            persons.append(
                Person(
                    row=row.number,
                    email=email,
                    name=row.name or "",
                    department=row.department,
                    job_title=row.job_title,
                    manager_email=manager_email,
                    location=row.location,
                    time_zone=row.time_zone,
                    languages=list(codes) if codes is not None else None,
                )
            )
        if progress and index % CHUNK_ROWS == 0:
            progress(index)

    if "manager_email" in people.columns:
        _check_managers(persons, members, organization, problem)
    errors.sort(key=lambda error: (error["row"], _column_position(people, error["column"])))
    return persons, errors


def _column_position(people: PeopleFile, header: str) -> int:
    for key, text in people.columns.items():
        if text == header:
            return COLUMN_ORDER[key]
    return len(COLUMNS)


def _check_managers(persons: list[Person], members: dict, organization: Organization, problem) -> None:
    """Managers are people of the file or active members; the reporting lines that result have no cycle."""
    in_file = {person.email: person for person in persons}
    for person in persons:
        manager = person.manager_email
        if not manager or manager in in_file:
            continue
        if manager not in members:
            problem(person.row, "manager_email", f"“{manager}” is neither in the file nor a member of {organization}.")
            person.manager_email = ""
        elif not members[manager][2]:
            problem(person.row, "manager_email", f"“{manager}” is a deactivated member of {organization}.")
            person.manager_email = ""

    # The reporting lines after the import: the file's for its people, the current ones for everyone else.
    email_by_id = {pk: email for email, (pk, _manager, _active) in members.items()}
    manager_of: dict[str, str | None] = {
        email: email_by_id.get(manager_id) for email, (_pk, manager_id, _active) in members.items() if manager_id
    }
    for person in persons:
        manager_of[person.email] = person.manager_email or None
    done: set[str] = set()
    for start in in_file:
        path: list[str] = []
        on_path: set[str] = set()
        node: str | None = start
        while node is not None and node not in done and node not in on_path:
            path.append(node)
            on_path.add(node)
            node = manager_of.get(node)
        if node is not None and node in on_path:
            cycle = path[path.index(node) :]
            description = _describe_cycle(cycle)
            for email in cycle:
                if email in in_file:
                    problem(in_file[email].row, "manager_email", f"This makes a reporting cycle: {description}.")
        done.update(path)


def _describe_cycle(cycle: list[str]) -> str:
    shown = [*cycle, cycle[0]]
    if len(shown) > 6:
        shown = [*shown[:3], "…", *shown[-2:]]
        return " → ".join(shown) + f" ({len(cycle)} people)"
    return " → ".join(shown)


# --- 3. Writing ---


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    invited: int = 0


MEMBERSHIP_FIELDS = ("department_id", "job_title", "location", "time_zone", "languages")


def _chunks(items: list, size: int = CHUNK_ROWS) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def apply_people(
    persons: list[Person],
    *,
    organization: Organization,
    invited_by: Membership | None = None,
    send_invitations: bool = False,
    base_url: str = "",
    progress: Callable[[int], None] | None = None,
) -> ImportCounts:
    """Create or update departments, users and memberships of valid people; call it inside one transaction."""
    organization_id = require_organization_id()
    User = get_user_model()
    counts = ImportCounts()

    # Departments by name (case-insensitive, the first spelling wins for new ones).
    departments = {department.name.lower(): department for department in Department.objects.all()}
    new_departments: dict[str, Department] = {}
    for person in persons:
        key = (person.department or "").lower()
        if key and key not in departments and key not in new_departments:
            new_departments[key] = Department(organization_id=organization_id, name=person.department)
    Department.objects.bulk_create(list(new_departments.values()))
    departments.update(new_departments)

    # Users, global, by email (case-insensitive). Names of existing accounts are only filled in when empty: an
    # account may belong to other organizations too, and one organization's file does not rename it for all.
    emails = [person.email for person in persons]
    users = {user.email_ci: user for user in User.objects.annotate(email_ci=Lower("email")).filter(email_ci__in=emails)}
    named: list = []
    for person in persons:
        user = users.get(person.email)
        if user is not None and not user.full_name and person.name:
            user.full_name = person.name
            named.append(user)
    bulk_update_rows(User, named, ["full_name"])
    memberships = {membership.user_id: membership for membership in Membership.objects.filter(user__in=users.values())}

    processed = 0
    changed: list[Membership] = []
    created: list[Membership] = []
    by_email: dict[str, Membership] = {}
    for chunk in _chunks(persons):
        new_users = [
            User(email=person.email, full_name=person.name, password=_unusable_password())
            for person in chunk
            if person.email not in users
        ]
        User.objects.bulk_create(new_users)
        users.update((user.email, user) for user in new_users)
        new_memberships = []
        for person in chunk:
            user = users[person.email]
            membership = memberships.get(user.pk)
            if membership is None:
                membership = Membership(organization_id=organization_id, user=user, roles=[], time_zone="UTC")
                _set_fields(membership, person, departments)
                new_memberships.append(membership)
            else:
                before = [getattr(membership, field) for field in MEMBERSHIP_FIELDS]
                _set_fields(membership, person, departments)
                if [getattr(membership, field) for field in MEMBERSHIP_FIELDS] != before:
                    changed.append(membership)
            by_email[person.email] = membership
        Membership.objects.bulk_create(new_memberships)
        created.extend(new_memberships)
        processed += len(chunk)
        if progress:
            progress(processed)

    # Managers, now that every membership of the file exists.
    if any(person.manager_email is not None for person in persons):
        manager_ids = _manager_ids(persons, by_email)
        for person in persons:
            membership = by_email[person.email]
            manager_id = manager_ids.get(person.manager_email) if person.manager_email else None
            if person.manager_email and manager_id is None:  # deactivated since validation
                raise ValidationError(f"{person.manager_email} changed while the import ran; nothing was imported.")
            if person.manager_email is not None and membership.manager_id != manager_id:
                membership.manager_id = manager_id
                changed.append(membership)
    # One list of writes (new memberships appear when they got a manager; rewriting their other fields is harmless).
    to_update = list({membership.pk: membership for membership in changed}.values())
    bulk_update_rows(Membership, to_update, [*MEMBERSHIP_FIELDS, "manager_id"])
    created_ids = {membership.pk for membership in created}
    counts.created = len(created)
    counts.updated = sum(1 for membership in to_update if membership.pk not in created_ids)

    if send_invitations and created:
        counts.invited = _invite(created, organization=organization, invited_by=invited_by, base_url=base_url)
    return counts


def bulk_update_rows(model, objects: list, fields: list[str], *, batch_size: int = CHUNK_ROWS) -> None:
    """`UPDATE ... FROM (VALUES ...)`, one statement per `batch_size` rows, joined on the primary key.

    Django's `bulk_update` builds a CASE expression with a branch per row for every field; for 10,000 memberships
    that took minutes, in Python and in PostgreSQL. Tenant models are limited to the scope's organization here as
    their manager would (and row-level security does, where the table has it).
    """
    if not objects:
        return
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    row_sql = "(" + ", ".join(f"%s::{column.db_type(connection)}" for column in columns) + ")"
    assignments = ", ".join(f"{quote(column.column)} = v.{quote(column.column)}" for column in columns[1:])
    names = ", ".join(quote(column.column) for column in columns)
    scope_sql, scope_params = "", []
    if issubclass(model, TenantModel):
        scope_sql, scope_params = " AND t.organization_id = %s", [require_organization_id()]
    with connection.cursor() as cursor:
        for batch in _chunks(objects, batch_size):
            params = [
                column.get_db_prep_save(getattr(obj, column.attname), connection) for obj in batch for column in columns
            ]
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "
                f"FROM (VALUES {', '.join([row_sql] * len(batch))}) AS v ({names}) "
                f"WHERE t.{quote(meta.pk.column)} = v.{quote(meta.pk.column)}{scope_sql}",
                params + scope_params,
            )


def _unusable_password() -> str:
    """What `make_password(None)` returns, with one call for the random part instead of forty."""
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)


def _set_fields(membership: Membership, person: Person, departments: dict[str, Department]) -> None:
    """Columns the file has are written (an empty cell clears); absent columns leave the field as it is."""
    if person.department is not None:
        membership.department_id = departments[person.department.lower()].pk if person.department else None
    if person.job_title is not None:
        membership.job_title = person.job_title
    if person.location is not None:
        membership.location = person.location
    if person.time_zone:  # an empty cell keeps the current time zone (UTC for new people)
        membership.time_zone = person.time_zone
    if person.languages is not None:
        membership.languages = person.languages


def _manager_ids(persons: list[Person], by_email: dict[str, Membership]) -> dict[str, int]:
    """Membership id by email, for every manager the file names (its own people, or active members outside it)."""
    wanted = {person.manager_email for person in persons if person.manager_email} - set(by_email)
    ids = {email: membership.pk for email, membership in by_email.items()}
    if wanted:
        ids.update(
            (email.lower(), pk)
            for pk, email in Membership.objects.annotate(email_ci=Lower("user__email"))
            .filter(email_ci__in=wanted, is_active=True)
            .values_list("pk", "user__email")
        )
    return ids


def _invite(
    created: list[Membership], *, organization: Organization, invited_by: Membership | None, base_url: str
) -> int:
    """Invitations for people new to the organization, as `services.invitation_create` sends them: not to those
    who already have an account with a verified address (they log in and find the organization), nor to those
    with a pending invitation."""
    user_ids = [membership.user_id for membership in created]
    verified = set(EmailAddress.objects.filter(user_id__in=user_ids, verified=True).values_list("user_id", flat=True))
    candidates = [membership for membership in created if membership.user_id not in verified]
    pending = set(
        Invitation.objects.pending()
        .annotate(email_ci=Lower("email"))
        .filter(email_ci__in=[membership.user.email.lower() for membership in candidates])
        .values_list("email_ci", flat=True)
    )
    departments = {department.pk: department for department in Department.objects.all()} if candidates else {}
    invitations, messages = [], []
    inviter = invited_by.user if invited_by is not None else organization.name
    for membership in candidates:
        email = membership.user.email.lower()
        if email in pending:
            continue
        invitation, token = invitation_build(
            email=email,
            roles=[],
            department=departments.get(membership.department_id),
            job_title=membership.job_title,
            invited_by=invited_by,
        )
        invitation.organization_id = organization.pk
        invitations.append(invitation)
        messages.append(
            invitation_email(
                organization=organization, invitation=invitation, token=token, base_url=base_url, inviter=inviter
            )
        )
    Invitation.objects.bulk_create(invitations, batch_size=CHUNK_ROWS)
    if messages:
        transaction.on_commit(lambda: get_connection().send_messages(messages))
    return len(invitations)


# --- Services ---


class SideProgress:
    """Writes `processed_rows` (and the phase) on a database connection of its own, in autocommit, so the status
    page sees progress while the import's one transaction is still open.

    The import's transaction never touches the PeopleImport row before its last statement, so the two connections
    never wait on each other. The scope (and with it row-level security) applies to this connection too.
    """

    def __init__(self, people_import: PeopleImport):
        self.people_import = people_import
        self.connection = None

    def __call__(self, processed: int) -> None:
        if self.connection is None:
            self.connection = connections.create_connection(DEFAULT_DB_ALIAS)
        table = self.connection.ops.quote_name(PeopleImport._meta.db_table)
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET processed_rows = %s, status = %s WHERE id = %s",
                [processed, self.people_import.status, self.people_import.pk],
            )

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def people_import_create(
    *,
    organization: Organization,
    uploaded_by: Membership,
    file,
    send_invitations: bool = False,
    base_url: str,
) -> PeopleImport:
    """Check the uploaded file and record the import; small files are processed now, larger ones by the worker."""
    limit = settings.PEOPLE_IMPORT_MAX_BYTES
    if file.size is not None and file.size > limit:
        raise file_error(f"The file is larger than {_megabytes(limit)}; split it into several files.")
    data = file.read(limit + 1)
    file_name = Path(file.name or "upload").name[:255]
    people = read_people_file(data=data, file_name=file_name)
    in_request = len(people.rows) <= IN_REQUEST_MAX_ROWS
    people_import = PeopleImport.objects.create(
        uploaded_by=uploaded_by,
        file_name=file_name,
        send_invitations=send_invitations,
        base_url=base_url,
        total_rows=len(people.rows),
        data=None if in_request else data,
    )
    if in_request:
        return people_import_run(people_import=people_import, people=people)
    from mentorship.tenancy.tasks import people_import_run_task

    transaction.on_commit(
        lambda: people_import_run_task.delay(organization_id=organization.pk, import_id=people_import.pk)
    )
    return people_import


def people_import_run(
    *,
    people_import: PeopleImport,
    people: PeopleFile | None = None,
    report_progress: bool = False,
    timings: dict[str, float] | None = None,
) -> PeopleImport:
    """Validate every row, then import all of them in one transaction, or none. Safe to run again (a retried task):
    a finished import is left as it is, an interrupted one starts over."""
    if people_import.status in (PeopleImport.Status.DONE, PeopleImport.Status.FAILED):
        return people_import
    organization = Organization.objects.get(pk=require_organization_id())
    timings = timings if timings is not None else {}
    # Inside an outer transaction the row is locked by it: a second connection would wait for it forever.
    side_connection_safe = not transaction.get_connection().in_atomic_block
    progress = SideProgress(people_import) if report_progress and side_connection_safe else None
    try:
        started = time.perf_counter()
        _set_phase(people_import, PeopleImport.Status.VALIDATING)
        if people is None:
            people = read_people_file(data=bytes(people_import.data or b""), file_name=people_import.file_name)
        persons, errors = validate_people(people, organization=organization, progress=progress)
        timings["validate"] = time.perf_counter() - started
        if errors:
            return _finish(people_import, status=PeopleImport.Status.FAILED, errors=errors)
        started = time.perf_counter()
        _set_phase(people_import, PeopleImport.Status.IMPORTING)
        with transaction.atomic():
            counts = apply_people(
                persons,
                organization=organization,
                invited_by=people_import.uploaded_by,
                send_invitations=people_import.send_invitations,
                base_url=people_import.base_url,
                progress=progress,
            )
            people_import.created_count = counts.created
            people_import.updated_count = counts.updated
            people_import.invited_count = counts.invited
            result = _finish(people_import, status=PeopleImport.Status.DONE)
            record(
                action=Action.IMPORT_APPLIED,
                target=people_import,
                actor=people_import.uploaded_by,
                details={
                    "rows": people_import.total_rows,
                    "created": counts.created,
                    "updated": counts.updated,
                    "invited": counts.invited,
                },
            )
        timings["import"] = time.perf_counter() - started
        return result
    except ValidationError as error:  # the stored file could not be read again
        return _finish(people_import, status=PeopleImport.Status.FAILED, errors=_file_problems(error))
    except IntegrityError:
        # Someone added the same person or department while we ran; the transaction rolled back whole.
        error = ValidationError("Someone changed the same people while the import ran; nothing was imported. Retry.")
        return _finish(people_import, status=PeopleImport.Status.FAILED, errors=_file_problems(error))
    except Exception:
        # A bug or a lost database: the transaction rolled back; say so instead of a progress bar that never ends.
        error = ValidationError("The import stopped on an unexpected error; nothing was imported. Try again later.")
        with contextlib.suppress(Exception):
            _finish(people_import, status=PeopleImport.Status.FAILED, errors=_file_problems(error))
        raise
    finally:
        if progress:
            progress.close()


def _file_problems(error: ValidationError) -> list[dict]:
    return [{"row": None, "column": "file", "message": message} for message in error.messages]


def _set_phase(people_import: PeopleImport, status: str) -> None:
    people_import.status = status
    people_import.processed_rows = 0
    people_import.save(update_fields=["status", "processed_rows"])


def _finish(people_import: PeopleImport, *, status: str, errors: Iterable[dict] = ()) -> PeopleImport:
    people_import.status = status
    people_import.errors = list(errors)
    people_import.processed_rows = people_import.total_rows
    people_import.finished_at = timezone.now()
    people_import.data = None  # the uploaded bytes are not kept once the import is over
    people_import.save(
        update_fields=[
            "status",
            "errors",
            "processed_rows",
            "finished_at",
            "data",
            "created_count",
            "updated_count",
            "invited_count",
        ]
    )
    return people_import
