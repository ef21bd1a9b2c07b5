"""Feedback after a held session from each participant: a rating 1-5 and an optional comment; on the mentorship's
first held session also the pairing fit, where "not a good fit" opens a re-match request for the admin queue."""

from __future__ import annotations

import contextlib

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from mentorship.tenancy.models import Membership
from programs.models import MentoringSession, SessionFeedback
from programs.workspace.access import participant_of, participants


def is_first_session(session: MentoringSession) -> bool:
    """Whether no held session of the mentorship started before this one (the pairing-fit question's session)."""
    return not MentoringSession.objects.filter(
        mentorship_id=session.mentorship_id, status=MentoringSession.Status.HELD, starts_at__lt=session.starts_at
    ).exists()


def _open_rematch(session: MentoringSession, author: Membership, comment: str) -> None:
    """'Not a good fit' feeds the re-match queue for the mentee it is about: the author (a mentee), or the only
    mentee of a 1:1 mentorship (its mentor). A group's mentor names the mentee on the re-match page instead."""
    from matching.rematch import rematch_request_create  # matching builds on programs, not the other way round

    me = participant_of(session.mentorship, author)
    mentees = [p.application for p in participants(session.mentorship) if not p.is_mentor]
    mentee = me.application if not me.is_mentor else (mentees[0] if len(mentees) == 1 else None)
    if mentee is None:
        return
    reason = comment.strip() or "Marked as not a good fit in the feedback on the first session."
    # A re-match may be waiting already, or the pair is no longer current: then there is nothing more to ask for.
    with contextlib.suppress(ValidationError, Http404):
        rematch_request_create(mentee=mentee, created_by=author, reason=reason[:500])


@transaction.atomic
def feedback_submit(
    *, session: MentoringSession, author: Membership, rating: int, comment: str = "", pairing_fit: str = ""
) -> SessionFeedback:
    if participant_of(session.mentorship, author) is None:
        raise Http404("No such session.")
    if session.status != MentoringSession.Status.HELD:
        raise ValidationError("Feedback is for sessions that were held.")
    if pairing_fit and not is_first_session(session):
        raise ValidationError({"pairing_fit": "The pairing-fit question belongs to the first session."})
    feedback = SessionFeedback(
        session=session, author=author, rating=rating, comment=comment.strip(), pairing_fit=pairing_fit or ""
    )
    feedback.full_clean(exclude=["session", "author"], validate_constraints=False)
    if SessionFeedback.objects.filter(session=session, author=author).exists():
        raise ValidationError({"rating": "You have given feedback on this session already."})
    try:
        with transaction.atomic():
            feedback.save()
    except IntegrityError:
        raise ValidationError({"rating": "You have given feedback on this session already."}) from None
    if pairing_fit == SessionFeedback.PairingFit.NOT_GOOD:
        _open_rematch(session, author, comment)
    return feedback
