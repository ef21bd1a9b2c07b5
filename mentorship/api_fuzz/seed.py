"""The fuzz organization: one person per role, a program with an active cohort, a mentorship and a session.

Idempotent and reusable: the organization `api-fuzz` and its people are found or created, and whatever a previous
run changed that would lock a role out (a deactivated membership, a changed role, MFA required) is put back. Each
call deletes the previous fuzz tokens and creates one fresh personal API token per role (secrets are shown once,
so they cannot be reused). Only this organization is touched; the fuzz reaches nothing else because every token is
valid under its own organization's slug only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from mentorship.accounts.api_tokens import api_token_create, api_token_revoke
from mentorship.accounts.models import ApiToken
from mentorship.tenancy.models import Department, Membership, Organization, Role
from mentorship.tenancy.scope import tenant_scope
from programs import services as program_services
from programs.models import (
    Application,
    Cohort,
    MentoringSession,
    Mentorship,
    MentorshipMentee,
    Program,
    Skill,
)

SLUG = "api-fuzz"
DOMAIN = "api-fuzz.example"
TOKEN_NAME = "API fuzz"
# Role of the person -> (their membership roles, the token's role). Mentor and mentee are members by role; what
# sets them apart is their place in the mentorship below.
ROLES: dict[str, tuple[list[str], str]] = {
    "org_admin": ([Role.ORG_ADMIN], Role.ORG_ADMIN),
    "program_admin": ([Role.PROGRAM_ADMIN], Role.PROGRAM_ADMIN),
    "hr_analyst": ([Role.HR_ANALYST], Role.HR_ANALYST),
    "mentor": ([], ApiToken.MEMBER),
    "mentee": ([], ApiToken.MEMBER),
    "member": ([], ApiToken.MEMBER),
}


@dataclass(frozen=True)
class FuzzOrganization:
    organization: Organization
    secrets: dict[str, str]  # role name -> bearer secret


def _person(organization: Organization, name: str, department: Department | None) -> Membership:
    user_model = get_user_model()
    email = f"{name.replace('_', '-')}@{DOMAIN}"
    user = user_model.objects.filter(email=email).first() or user_model.objects.create_user(
        email=email, password=None, full_name=f"Fuzz {name.replace('_', ' ').title()}"
    )
    membership, _ = Membership.objects.get_or_create(user=user, defaults={"department": department})
    roles, _ = ROLES[name]
    Membership.objects.filter(pk=membership.pk).update(roles=roles, is_active=True, deactivated_at=None, erased_at=None)
    membership.refresh_from_db()
    return membership


def _workspace(people: dict[str, Membership]) -> None:
    """A program with an active cohort where `mentor` mentors `mentee`, with one held session (created once)."""
    if Program.objects.exists():
        return
    skill = Skill.objects.create(name="Fuzz skill", category="Collaboration")
    program = program_services.program_create(created_by=people["program_admin"], name="Fuzz program", skills=[skill])
    Program.objects.filter(pk=program.pk).update(status=Program.Status.OPEN)
    today = timezone.localdate()
    cohort = Cohort.objects.create(
        program=program, name="Fuzz cohort", status=Cohort.Status.ACTIVE, capacity=30,
        enrollment_opens_on=today - timedelta(days=60), enrollment_closes_on=today - timedelta(days=30),
        starts_on=today - timedelta(days=20), ends_on=today + timedelta(days=160),
    )  # fmt: skip
    accepted = Application.Status.ACCEPTED
    mentor = Application.objects.create(
        cohort=cohort, membership=people["mentor"], role=Application.Role.MENTOR, status=accepted
    )
    mentee = Application.objects.create(
        cohort=cohort, membership=people["mentee"], role=Application.Role.MENTEE, status=accepted
    )
    mentorship = Mentorship.objects.create(cohort=cohort, mentor=mentor)
    MentorshipMentee.objects.create(mentorship=mentorship, mentee=mentee)
    MentoringSession.objects.create(
        mentorship=mentorship, status=MentoringSession.Status.HELD, starts_at=timezone.now() - timedelta(days=3)
    )


def fuzz_organization_seed() -> FuzzOrganization:
    """Find or create the fuzz organization, restore its people, and give each role a fresh token."""
    organization, _ = Organization.objects.get_or_create(slug=SLUG, defaults={"name": "API fuzz"})
    Organization.objects.filter(pk=organization.pk).update(require_mfa=False)
    organization.refresh_from_db()
    with tenant_scope(organization), transaction.atomic():
        department = Department.objects.filter(name="Fuzz").first() or Department.objects.create(name="Fuzz")
        # The plain member has no department (nor manager): the empty fields get fuzzed responses too.
        people = {name: _person(organization, name, None if name == "member" else department) for name in ROLES}
        _workspace(people)
        # The previous run's tokens are throwaway: deleted, so runs do not pile them up.
        ApiToken.objects.filter(name=TOKEN_NAME).delete()
        secrets = {
            name: api_token_create(membership=people[name], name=TOKEN_NAME, role=ROLES[name][1]).secret
            for name in ROLES
        }
    return FuzzOrganization(organization, secrets)


def fuzz_tokens_revoke() -> None:
    """Revoke the fuzz organization's fuzz tokens, so none outlives its run."""
    organization = Organization.objects.filter(slug=SLUG).first()
    if organization is not None:
        with tenant_scope(organization):
            for token in ApiToken.objects.filter(name=TOKEN_NAME, revoked_at__isnull=True):
                api_token_revoke(token=token)


def known_path_ids(organization: Organization) -> dict[str, int]:
    """Ids of the organization's real rows, by path parameter name, so the fuzz reaches past the 404s too."""
    with tenant_scope(organization):
        rows = {
            "program_id": Program.objects.first(),
            "cohort_id": Cohort.objects.first(),
            "skill_id": Skill.objects.first(),
            "application_id": Application.objects.filter(role=Application.Role.MENTEE).first(),
            "membership_id": Membership.objects.filter(roles=[]).first(),
            "mentorship_id": Mentorship.objects.first(),
            "session_id": MentoringSession.objects.first(),
        }
    return {name: row.pk for name, row in rows.items() if row is not None}
