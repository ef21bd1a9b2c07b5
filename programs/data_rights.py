"""Data rights of a member: download their personal data, erasure by an org admin, retention of private notes.

Everything works inside the current organization's scope: a person who belongs to several organizations gets (or
loses) one organization's data at a time. Erasure anonymises rather than deletes wherever a row feeds a metric
(sessions, attendance, ratings, assessment levels, pulses), so the organization's figures stay valid.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from matching.models import RematchRequest
from mentorship.accounts.models import ApiToken
from mentorship.audit.models import Action
from mentorship.audit.services import erased_member_label, person_redact, record
from mentorship.tenancy.models import Invitation, Membership, Organization
from programs.models import (
    ActionItem,
    Application,
    ApplicationSkill,
    CalendarFeed,
    CapabilityAssessment,
    Cohort,
    Goal,
    GoalUpdate,
    MentoringSession,
    Mentorship,
    MentorshipMentee,
    Notification,
    NotificationPreference,
    PrivateNote,
    PulseSurvey,
    Recognition,
    SessionAttendance,
    SessionFeedback,
)

ERASED_NAME = "Erased member"
ERASED_GOAL_TITLE = "(erased)"
# RFC 2606 reserves .invalid: mail to it can never be delivered.
ERASED_EMAIL_DOMAIN = "erased.invalid"


# --- Download ---


@transaction.atomic
def personal_data_export(*, membership: Membership) -> dict:
    """The member's personal data in the current organization, as plain JSON-ready values; the download is
    recorded in the audit log.

    Only what is about them or by them: their own private notes (never the other side's), feedback they gave,
    goals they hold as a mentee, action items they own. A fixed number of queries, however many mentorships.
    """
    record(action=Action.DATA_EXPORTED, target=membership, actor=membership)
    me = Membership.objects.select_related("user", "department", "manager__user", "organization").get(pk=membership.pk)
    applications = list(
        Application.objects.filter(membership=me)
        .select_related("cohort__program")
        .prefetch_related(Prefetch("skills", queryset=ApplicationSkill.objects.select_related("skill")))
        .order_by("submitted_at", "id")
    )
    mentorships = list(
        Mentorship.objects.filter(Q(mentor__membership=me) | Q(mentees__mentee__membership=me))
        .distinct()
        .select_related("cohort__program", "mentor__membership__user")
        .prefetch_related(
            Prefetch("mentees", queryset=MentorshipMentee.objects.select_related("mentee__membership__user"))
        )
        .order_by("id")
    )
    mentorship_ids = [mentorship.pk for mentorship in mentorships]
    sessions = list(
        MentoringSession.objects.filter(mentorship_id__in=mentorship_ids).select_related("stage").order_by("starts_at")
    )
    attended = dict(SessionAttendance.objects.filter(membership=me).values_list("session_id", "attended"))
    my_notes = dict(PrivateNote.objects.filter(author=me).values_list("session_id", "text"))
    feedback = SessionFeedback.objects.filter(author=me).order_by("created_at", "id")
    goals = (
        Goal.objects.filter(mentee__membership=me)
        .select_related("skill")
        .prefetch_related(Prefetch("updates", queryset=GoalUpdate.objects.order_by("created_at", "id")))
        .order_by("id")
    )
    action_items = ActionItem.objects.filter(owner=me).select_related("goal").order_by("id")
    assessments = (
        CapabilityAssessment.objects.filter(Q(mentee__membership=me) | Q(assessor=me))
        .select_related("skill", "cohort__program", "mentee__membership__user")
        .order_by("created_at", "id")
    )
    pulses = PulseSurvey.objects.filter(application__membership=me).select_related("cohort__program").order_by("id")
    notifications = Notification.objects.filter(membership=me).order_by("created_at", "id")
    recognitions = Recognition.objects.filter(application__membership=me).select_related("cohort__program")

    return {
        "organization": me.organization.name,
        "exported_at": timezone.now(),
        "person": {"name": me.user.full_name, "email": me.user.email},
        "membership": {
            "roles": me.role_labels,
            "department": me.department.name if me.department else None,
            "job_title": me.job_title,
            "manager": str(me.manager.user) if me.manager else None,
            "location": me.location,
            "time_zone": me.time_zone,
            "languages": me.languages,
            "joined_at": me.joined_at,
        },
        "applications": [_application(application) for application in applications],
        "mentorships": [_mentorship(mentorship) for mentorship in mentorships],
        "sessions": [_session(session, attended, my_notes) for session in sessions],
        "feedback_given": [
            {
                "session": item.session_id,
                "rating": item.rating,
                "comment": item.comment,
                "pairing_fit": item.pairing_fit,
                "given_at": item.created_at,
            }
            for item in feedback
        ],
        "goals": [_goal(goal) for goal in goals],
        "action_items": [
            {
                "mentorship": item.mentorship_id,
                "title": item.title,
                "goal": item.goal.title if item.goal else None,
                "due_on": item.due_on,
                "done_at": item.done_at,
            }
            for item in action_items
        ],
        "assessments": [_assessment(assessment, me) for assessment in assessments],
        "pulse_surveys": [
            {
                "cohort": str(pulse.cohort),
                "phase": pulse.phase,
                "cross_department_colleagues": pulse.cross_department_colleagues,
                "trust_other_departments": pulse.trust_other_departments,
                "answered_at": pulse.created_at,
            }
            for pulse in pulses
        ],
        "notifications": [
            {
                "category": item.category,
                "title": item.title,
                "body": item.body,
                "url": item.url,
                "created_at": item.created_at,
                "read_at": item.read_at,
            }
            for item in notifications
        ],
        "recognitions": [
            {
                "cohort": str(item.cohort),
                "role": item.role,
                "awarded_at": item.awarded_at,
                "sessions_held": item.sessions_held,
                "minutes": item.minutes,
                "people": item.people,
                "skills": item.skills,
            }
            for item in recognitions
        ],
    }


def _application(application: Application) -> dict:
    return {
        "cohort": str(application.cohort),
        "role": application.role,
        "status": application.status,
        "goals": application.goals,
        "languages": application.languages,
        "time_zone": application.time_zone,
        "meeting_windows": application.meeting_windows,
        "capacity": application.capacity,
        "submitted_at": application.submitted_at,
        "skills": [
            {"skill": item.skill.name, "level": item.level, "target_level": item.target_level}
            for item in application.skills.all()
        ],
    }


def _mentorship(mentorship: Mentorship) -> dict:
    people = [{"name": str(mentorship.mentor.membership.user), "role": "mentor"}]
    people += [{"name": str(link.mentee.membership.user), "role": "mentee"} for link in mentorship.mentees.all()]
    return {
        "id": mentorship.pk,
        "program": mentorship.cohort.program.name,
        "cohort": mentorship.cohort.name,
        "status": mentorship.status,
        "people": people,
    }


def _session(session: MentoringSession, attended: dict, my_notes: dict) -> dict:
    return {
        "id": session.pk,
        "mentorship": session.mentorship_id,
        "status": session.status,
        "starts_at": session.starts_at,
        "duration_minutes": session.duration_minutes,
        "stage": session.stage.title if session.stage else None,
        "topics": session.topics,
        "shared_notes": session.shared_notes,
        "attended": attended.get(session.pk),
        "my_private_note": my_notes.get(session.pk),
    }


def _goal(goal: Goal) -> dict:
    return {
        "mentorship": goal.mentorship_id,
        "title": goal.title,
        "measure": goal.measure,
        "skill": goal.skill.name if goal.skill else None,
        "target_date": goal.target_date,
        "status": goal.status,
        "progress": goal.progress,
        "achieved_at": goal.achieved_at,
        "updates": [
            {"note": update.note, "progress": update.progress, "status": update.status, "at": update.created_at}
            for update in goal.updates.all()
        ],
    }


def _assessment(assessment: CapabilityAssessment, me: Membership) -> dict:
    return {
        "cohort": str(assessment.cohort),
        "skill": assessment.skill.name,
        "phase": assessment.phase,
        "rater": assessment.rater,
        "about": "me" if assessment.mentee.membership_id == me.pk else str(assessment.mentee.membership.user),
        "by_me": assessment.assessor_id == me.pk,
        "level": assessment.level,
        "evidence": assessment.evidence,
        "updated_at": assessment.updated_at,
    }


# --- Erasure ---


@transaction.atomic
def member_erase(*, membership: Membership, erased_by: Membership) -> Membership:
    """Erase one member's personal data in the current organization, keeping every figure it fed.

    Deleted: their private notes, notifications and notification preferences. Cleared: job title, location and
    languages; application goals; comments of feedback they gave (ratings stay); their goals' titles, measures and
    progress notes; evidence of assessments they wrote (levels stay); reasons of re-match requests they opened; their
    address on this organization's invitations; their name and address in this organization's audit log (the events
    stay, see audit.services.person_redact). Revoked: calendar feeds and API tokens. Shared session notes stay
    (they belong to the mentorship). The membership is deactivated and marked erased. The global account is
    anonymised only when no other organization still has the person as an active member; otherwise it stays for
    those organizations.
    """
    if membership.pk == erased_by.pk:
        raise ValidationError({"membership": "You cannot erase yourself; ask another org admin."})
    if membership.erased_at:
        raise ValidationError({"membership": "This member's personal data has already been erased."})
    anonymise_account = not _member_elsewhere(membership)
    # This organization's log keeps its events but stops naming them; first, while the name and email are known.
    person_redact(organization=membership.organization, membership=membership)
    # The event names the member by id only: their name is part of what is being erased.
    record(
        action=Action.MEMBER_ERASED,
        target=membership,
        target_label=erased_member_label(membership.pk),
        actor=erased_by,
        details={"account_anonymised": anonymise_account},
    )
    now = timezone.now()
    mine = Q(membership=membership)
    PrivateNote.objects.filter(author=membership).delete()
    Notification.objects.filter(mine).delete()
    NotificationPreference.objects.filter(mine).delete()
    CalendarFeed.objects.filter(mine, revoked_at__isnull=True).update(revoked_at=now)
    ApiToken.objects.filter(mine, revoked_at__isnull=True).update(revoked_at=now)
    Application.objects.filter(mine).update(goals="")
    SessionFeedback.objects.filter(author=membership).update(comment="")
    Goal.objects.filter(mentee__membership=membership).update(title=ERASED_GOAL_TITLE, measure="")
    GoalUpdate.objects.filter(Q(goal__mentee__membership=membership) | Q(author=membership)).update(note="")
    CapabilityAssessment.objects.filter(assessor=membership).update(evidence="")
    RematchRequest.objects.filter(created_by=membership).update(reason="")
    # Invitations to this organization name the person by address; the erased address replaces it.
    erased_email = _erased_email()
    Invitation.objects.filter(Q(accepted_by_id=membership.user_id) | Q(email__iexact=membership.user.email)).update(
        email=erased_email
    )

    membership.job_title = ""
    membership.location = ""
    membership.languages = []
    membership.is_active = False
    membership.deactivated_at = membership.deactivated_at or now
    membership.erased_at = now
    membership.save(update_fields=["job_title", "location", "languages", "is_active", "deactivated_at", "erased_at"])

    if anonymise_account:
        _user_anonymise(membership.user, email=erased_email)
    return membership


def _member_elsewhere(membership: Membership) -> bool:
    # Cross-organization read by design: the account is shared, so only the person's last organization erases it.
    return (
        Membership.all_organizations.filter(user_id=membership.user_id, is_active=True)
        .exclude(pk=membership.pk)
        .exists()
    )


def _erased_email() -> str:
    """A unique address that can never receive mail (the email column is unique)."""
    return f"erased-{uuid.uuid4().hex}@{ERASED_EMAIL_DOMAIN}"


def _user_anonymise(user, *, email: str) -> None:
    """The account can no longer sign in or be reached: no name, an undeliverable address, no password or MFA."""
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    user.full_name = ERASED_NAME
    user.email = email
    user.set_unusable_password()
    user.is_active = False
    user.save(update_fields=["full_name", "email", "password", "is_active"])


# --- Retention ---


def private_notes_expire(*, organization: Organization, today=None) -> int:
    """Delete, in one statement, the private notes of sessions in closed cohorts that ended longer ago than the
    organization's retention period; returns how many. No retention period: notes are kept."""
    days = organization.private_note_retention_days
    if days is None:
        return 0
    cutoff = (today or timezone.localdate()) - timedelta(days=days)
    expired = PrivateNote.objects.filter(
        session__mentorship__cohort__status=Cohort.Status.CLOSED, session__mentorship__cohort__ends_on__lt=cutoff
    )
    deleted, _ = expired.delete()
    return deleted
