"""The authorization matrix's world: two organizations built alike, each with a member of every role and one row of
every kind a URL can point at. Organization B's text fields carry `CANARY` so a response that shows any of its data
to a member of A is caught by a substring check; `fingerprint` hashes every row of B so a write that changed one is
caught too."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.apps import apps
from django.db import connection
from django.utils import timezone

from mentorship.accounts.api_tokens import api_token_create
from mentorship.accounts.models import ApiToken
from mentorship.tenancy.models import Membership, Organization, Role, TenantModel
from mentorship.tenancy.scope import tenant_scope
from mentorship.tenancy.services import hash_token
from tests import factories
from tests.analytics_factories import make_metric_snapshot, make_metrics_run
from tests.programs.workspace_setup import make_workspace_pair, publish_pairs, running_cohort

CANARY = "CANARY-B"
# In each organization the mentor's private note: no one but the mentor may ever be shown it.
PRIVATE_NOTE = "private note of the mentor"
ROLES = ("org_admin", "program_admin", "hr_analyst", "mentor", "mentee", "member", "anonymous")
_TENANCY_ROLES = {"org_admin": [Role.ORG_ADMIN], "program_admin": [Role.PROGRAM_ADMIN], "hr_analyst": [Role.HR_ANALYST]}


@dataclass
class World:
    """One organization: its members by matrix role, API token secrets by role, and URL kwargs' target ids."""

    organization: Organization
    members: dict[str, Membership] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, object] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.organization.slug

    def scope(self):
        return tenant_scope(self.organization)


def _text(prefix: str, what: str) -> str:
    return f"{prefix}{what}"


def build_world(name: str, slug: str, prefix: str) -> World:
    """Every role and one row per URL target; `prefix` starts the free-text fields (the canary in B)."""
    organization = Organization.objects.create(name=_text(prefix, name), slug=slug)
    world = World(organization)
    with world.scope():
        department = factories.make_department(_text(prefix, "Department"))
        for role, roles in _TENANCY_ROLES.items():
            user = factories.make_user(f"{role}@{slug}.test", _text(prefix, role.replace("_", " ").title()))
            world.members[role] = factories.make_membership(user, roles=roles, department=department)
        world.members["member"] = factories.make_membership(
            factories.make_user(f"member@{slug}.test", _text(prefix, "Plain Member")), department=department
        )
    cohort, skills = running_cohort(world, skill_names=(_text(prefix, "Facilitation"), _text(prefix, "Data")))
    pair = make_workspace_pair(world, cohort=cohort)
    publish_pairs(pair)
    with world.scope():
        world.members["mentor"], world.members["mentee"] = pair.mentor, pair.mentee
        for role in ("mentor", "mentee"):
            user = world.members[role].user
            user.full_name = _text(prefix, role.title())
            user.save(update_fields=["full_name"])
        _build_rows(world, prefix, cohort, pair, skills, department)
        for role, membership in world.members.items():
            token_role = _TENANCY_ROLES[role][0] if role in _TENANCY_ROLES else ApiToken.MEMBER
            created = api_token_create(membership=membership, name=_text(prefix, "token"), role=token_role)
            world.tokens[role] = created.secret
            world.ids[f"token:{role}"] = created.token.pk
    return world


def _build_rows(world: World, prefix: str, cohort, pair, skills, department) -> None:
    from matching.models import MatchRun
    from programs.models import Application, CalendarFeed, Cohort, Program

    ids = world.ids
    mentorship = pair.mentorship
    program = cohort.program
    ids.update(program=program.pk, cohort=cohort.pk, mentorship=mentorship.pk, skill=skills[0].pk,
               stage=pair.stages[0].pk, department=department.pk, member=world.members["member"].pk)  # fmt: skip
    ids["mentor_application"] = mentorship.mentor_id
    ids["mentee_application"] = pair.mentee.applications.get(cohort=cohort).pk
    ids["match_run"] = MatchRun.objects.filter(cohort=cohort).get().pk
    ids["proposal"] = _first_proposal(cohort)
    session = factories.make_session(
        mentorship, topics=_text(prefix, "topics"), shared_notes=_text(prefix, "shared notes")
    )
    upcoming = factories.make_session(
        mentorship, status="scheduled", starts_at=timezone.now() + timedelta(days=2), topics=_text(prefix, "next")
    )
    ids.update(session=session.pk, upcoming_session=upcoming.pk)
    factories.make_private_note(session, text=_text(prefix, PRIVATE_NOTE))
    feedback = factories.make_feedback(session)
    feedback.comment = _text(prefix, "feedback comment")
    feedback.save(update_fields=["comment"])
    goal = factories.make_goal(mentorship, title=_text(prefix, "goal"), measure=_text(prefix, "measure"))
    factories.make_goal_update(goal, note=_text(prefix, "goal update"))
    item = factories.make_action_item(mentorship, title=_text(prefix, "action item"))
    ids.update(goal=goal.pk, action_item=item.pk)
    factories.make_assessment(mentorship, skill=skills[0], evidence=_text(prefix, "assessment evidence"))
    factories.make_pulse(mentorship)
    notification = factories.make_notification(world.members["mentee"], body=_text(prefix, "notification"))
    ids["notification"] = notification.pk
    feed_token = f"{world.slug}-feed-secret"
    CalendarFeed.objects.create(membership=world.members["mentee"], token_hash=hash_token(feed_token))
    ids["feed_token"] = feed_token
    ids["recognition"] = factories.make_recognition(mentorship).pk
    # An open cohort the plain member applied to (withdraw, review) and a second pair of requests for matching.
    open_program = factories.make_program(_text(prefix, "Open"), status=Program.Status.OPEN,
                                          created_by=world.members["program_admin"])  # fmt: skip
    enrolling = factories.make_cohort(open_program, name=_text(prefix, "Enrolling"), status=Cohort.Status.ENROLLING)
    application = factories.make_application(
        enrolling, world.members["member"], role=Application.Role.MENTEE, goals=_text(prefix, "application goals")
    )
    ids.update(enrolling_cohort=enrolling.pk, application=application.pk)
    mentor_request = factories.make_mentor_request(cohort, mentee=pair.mentee.applications.get(cohort=cohort),
                                                   mentor=mentorship.mentor)  # fmt: skip
    rematch = factories.make_rematch_request(
        cohort, mentee=pair.mentee.applications.get(cohort=cohort), reason=_text(prefix, "rematch reason")
    )
    ids.update(mentor_request=mentor_request.pk, rematch_request=rematch.pk)
    _build_choice_cohort(world, prefix)
    invitation_token = f"{world.slug}-invitation-secret"
    invitation = factories.make_invitation(f"invitee@{world.slug}.test", token=invitation_token,
                                           job_title=_text(prefix, "job"))  # fmt: skip
    ids.update(invitation=invitation.pk, invitation_token=invitation_token)
    ids["people_import"] = factories.make_people_import(
        _text(prefix, "people.csv"), uploaded_by=world.members["org_admin"]
    ).pk
    make_metric_snapshot(scope_type="cohort", scope_id=cohort.pk, period=timezone.localdate().strftime("%Y-%m"))
    make_metrics_run()


def _build_choice_cohort(world: World, prefix: str) -> None:
    """A mentee-choice cohort in which the mentee may request the mentor (the choice pages)."""
    from programs.models import Application, Cohort, Program

    program = factories.make_program(_text(prefix, "Choice"), status=Program.Status.RUNNING,
                                     created_by=world.members["program_admin"])  # fmt: skip
    Program.objects.filter(pk=program.pk).update(matching_mode=Program.MatchingMode.MENTEE_CHOICE)
    cohort = factories.make_cohort(program, name=_text(prefix, "Choosing"), status=Cohort.Status.MATCHING)
    accepted = Application.Status.ACCEPTED
    factories.make_application(cohort, world.members["mentee"], role=Application.Role.MENTEE, status=accepted)
    mentor = factories.make_application(cohort, world.members["mentor"], role=Application.Role.MENTOR, status=accepted)
    world.ids.update(choice_cohort=cohort.pk, choice_mentor_application=mentor.pk)


def _first_proposal(cohort) -> int:
    from matching.models import MatchProposal

    return MatchProposal.objects.filter(run__cohort=cohort).order_by("pk").first().pk


# --- Did anything of B change? ---

_TENANT_TABLES = sorted(m._meta.db_table for m in apps.get_models() if issubclass(m, TenantModel))


def fingerprint(world: World) -> dict[str, str]:
    """An md5 per table of every row of the organization (the rows as PostgreSQL prints them), its organization row
    and its members' user rows, in one query."""
    user_table = apps.get_model("accounts", "User")._meta.db_table
    member_table = Membership._meta.db_table
    # Explicit organization filters: a few tables (memberships, invitations) are read before a scope exists and
    # opt out of row-level security.
    parts = [
        f"SELECT '{table}', md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM {table} t "
        f"WHERE t.organization_id = %(org)s"
        for table in _TENANT_TABLES
    ]
    parts.append(
        f"SELECT 'users', md5(coalesce(string_agg(u::text, '|' ORDER BY u.id), '')) FROM {user_table} u "
        f"WHERE u.id IN (SELECT user_id FROM {member_table} WHERE organization_id = %(org)s)"
    )
    parts.append(f"SELECT 'organization', md5(o::text) FROM {Organization._meta.db_table} o WHERE o.id = %(org)s")
    with world.scope(), connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), {"org": world.organization.pk})
        return dict(cursor.fetchall())
