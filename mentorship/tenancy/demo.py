"""Demo organizations with realistic people: Acme (about 300 members in 8 departments with a manager hierarchy)
and Globex (about 40), so that isolation can be seen in the browser. Deterministic and idempotent."""

from __future__ import annotations

import random
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from mentorship.tenancy.models import Department, Membership, Organization, Role
from mentorship.tenancy.scope import tenant_scope

DEMO_PASSWORD = "demo-password-2026"

FIRST_NAMES = [
    "Amara",
    "Ben",
    "Chiara",
    "Dmitri",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kavya",
    "Liam",
    "Maya",
    "Noah",
    "Olga",
    "Pedro",
    "Quinn",
    "Rosa",
    "Samir",
    "Tara",
    "Umar",
    "Vera",
    "Wei",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Aisha",
    "Bruno",
    "Carmen",
    "Diego",
    "Emma",
    "Felix",
    "Greta",
    "Hannah",
    "Ivan",
    "Julia",
    "Kenji",
    "Lena",
    "Mateo",
    "Nadia",
    "Oscar",
    "Priya",
    "Rafael",
    "Sofia",
    "Tomas",
    "Uma",
    "Viktor",
    "Wanda",
    "Yara",
    "Zeynep",
]
LAST_NAMES = [
    "Adeyemi",
    "Bauer",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Hansen",
    "Ito",
    "Jansen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quintero",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Urban",
    "Varga",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zimmermann",
    "Almeida",
    "Brennan",
    "Chen",
    "Demir",
    "Evans",
    "Ferreira",
    "Gupta",
    "Haddad",
    "Ivanova",
    "Jovanovic",
    "Khan",
    "Lindqvist",
    "Martins",
    "Novak",
]
LOCATIONS = (
    ("Berlin", "Europe/Berlin", ["de", "en"]),
    ("London", "Europe/London", ["en"]),
    ("Lisbon", "Europe/Lisbon", ["pt", "en"]),
    ("New York", "America/New_York", ["en", "es"]),
    ("Singapore", "Asia/Singapore", ["en", "zh"]),
    ("Paris", "Europe/Paris", ["fr", "en"]),
)


@dataclass(frozen=True)
class DemoOrganization:
    name: str
    slug: str
    departments: dict[str, list[str]]  # department -> job titles, most senior first
    size: int
    logins: dict[str, tuple[str, str, list[str]]]  # email -> (full name, department, roles)


ACME = DemoOrganization(
    name="Acme Corp",
    slug="acme",
    size=300,
    departments={
        "Engineering": ["VP Engineering", "Engineering Manager", "Senior Software Engineer", "Software Engineer"],
        "Product": ["Head of Product", "Group Product Manager", "Product Manager", "Associate Product Manager"],
        "Design": ["Head of Design", "Design Lead", "Product Designer", "UX Researcher"],
        "Sales": ["VP Sales", "Sales Director", "Account Executive", "Sales Development Rep"],
        "Marketing": ["CMO", "Marketing Manager", "Content Strategist", "Growth Marketer"],
        "Customer Success": [
            "Head of Customer Success",
            "CS Team Lead",
            "Customer Success Manager",
            "Support Specialist",
        ],
        "Finance": ["CFO", "Finance Manager", "Financial Analyst", "Accountant"],
        "People": ["Chief People Officer", "People Partner", "Talent Acquisition Lead", "People Coordinator"],
    },
    logins={
        "admin@acme.example": ("Alex Morgan", "People", [Role.ORG_ADMIN]),
        "programs@acme.example": ("Priya Raman", "People", [Role.PROGRAM_ADMIN]),
        "hr@acme.example": ("Hannah Becker", "People", [Role.HR_ANALYST]),
        "member@acme.example": ("Marco Silva", "Engineering", []),
        "both@acme.example": ("Sam Okafor", "Product", []),
    },
)
GLOBEX = DemoOrganization(
    name="Globex Industries",
    slug="globex",
    size=40,
    departments={
        "Operations": ["COO", "Operations Manager", "Operations Analyst", "Logistics Coordinator"],
        "Research": ["Research Director", "Principal Scientist", "Research Scientist", "Lab Technician"],
        "Sales": ["Sales Director", "Regional Sales Manager", "Account Manager", "Sales Associate"],
        "People": ["HR Director", "HR Business Partner", "Recruiter", "HR Assistant"],
    },
    logins={
        "admin@globex.example": ("Gabriela Ortiz", "People", [Role.ORG_ADMIN, Role.HR_ANALYST]),
        "both@acme.example": ("Sam Okafor", "Research", [Role.PROGRAM_ADMIN]),
    },
)


def seed_people() -> list[Organization]:
    """Create both demo organizations if missing; returns them. Safe to run again: existing data is kept."""
    password_hash = make_password(DEMO_PASSWORD)  # hashed once: PBKDF2 per person would take minutes
    return [_seed_organization(spec, password_hash) for spec in (ACME, GLOBEX)]


@transaction.atomic
def _seed_organization(spec: DemoOrganization, password_hash: str) -> Organization:
    organization, created = Organization.objects.get_or_create(slug=spec.slug, defaults={"name": spec.name})
    with tenant_scope(organization):
        if not created and Membership.objects.exists():
            return organization
        rng = random.Random(spec.slug)
        departments = {name: Department.objects.create(name=name) for name in spec.departments}
        people = _people(spec, rng)
        users = _ensure_users([(email, name) for email, name, *_ in people], password_hash)
        memberships = []
        for email, _name, department, title, location, roles in people:
            _city, tz, languages = location
            memberships.append(
                Membership(
                    organization=organization,
                    user=users[email],
                    department=departments[department],
                    job_title=title,
                    location=_city,
                    time_zone=tz,
                    languages=languages,
                    roles=roles,
                )
            )
        Membership.objects.bulk_create(memberships)
        _assign_managers(spec, memberships)
    return organization


def _people(spec: DemoOrganization, rng: random.Random) -> list[tuple]:
    """(email, name, department, job title, location, roles), department heads first within each department."""
    per_department = spec.size // len(spec.departments)
    people = []
    used_emails = set(spec.logins)
    for department, titles in spec.departments.items():
        for index in range(per_department):
            # One head, a few managers, then individual contributors of two levels.
            level = 0 if index == 0 else 1 if index <= max(1, per_department // 8) else 2 + (index % 2)
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{first}.{last}@{spec.slug}.example".lower()
            suffix = 2
            while email in used_emails:
                email = f"{first}.{last}{suffix}@{spec.slug}.example".lower()
                suffix += 1
            used_emails.add(email)
            people.append((email, f"{first} {last}", department, titles[level], rng.choice(LOCATIONS), []))
    for email, (name, department, roles) in spec.logins.items():
        title = spec.departments[department][2]
        people.append((email, name, department, title, LOCATIONS[1], [str(role) for role in roles]))
    return people


def _ensure_users(people: list[tuple[str, str]], password_hash: str) -> dict:
    User = get_user_model()
    existing = {user.email: user for user in User.objects.filter(email__in=[email for email, _ in people])}
    new_users = [
        User(email=email, full_name=name, password=password_hash) for email, name in people if email not in existing
    ]
    User.objects.bulk_create(new_users)
    users = {**existing, **{user.email: user for user in new_users}}
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in new_users],
        ignore_conflicts=True,
    )
    return users


def _assign_managers(spec: DemoOrganization, memberships: list[Membership]) -> None:
    """Department heads report to the first head (the chief executive of the demo); managers to their head;
    individual contributors to a manager of their own department."""
    by_department: dict[str, list[Membership]] = {}
    for membership in memberships:
        by_department.setdefault(membership.department.name, []).append(membership)
    heads = [members[0] for members in by_department.values()]
    chief = heads[0]
    titles = spec.departments
    for name, members in by_department.items():
        head = members[0]
        managers = [m for m in members[1:] if m.job_title == titles[name][1]] or [head]
        if head is not chief:
            head.manager = chief
        for position, member in enumerate(members[1:]):
            member.manager = head if member in managers else managers[position % len(managers)]
    Membership.objects.bulk_update(memberships, ["manager"])
