"""Sessions of a mentorship: schedule, log (when, how long, stage, attendance, topics, shared notes, reflections),
confirm or correct the other side's log, cancel; and each participant's private note.

Keyword-only, validated, transactional; errors a participant can fix are ValidationErrors keyed by field
(`starts_at`, `duration_minutes`, `stage`, `attendance`, `reflection_answers`, ...), which pages show on the field
and the API returns as a 400 naming it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from mentorship.tenancy.access import fetch_or_404
from mentorship.tenancy.models import Membership
from programs.models import MentoringSession, Mentorship, PrivateNote, SessionAttendance, SessionStage
from programs.workspace.access import Participant, mentorship_queryset, participant_of, participants

LOGGED_FIELDS = ("starts_at", "duration_minutes", "stage", "topics", "shared_notes", "reflection_answers")


def access_session_for_participant(membership: Membership, session_id) -> tuple[MentoringSession, Participant]:
    """A session of one of the caller's mentorships (with its mentorship loaded), or 404."""
    session = fetch_or_404(MentoringSession.objects.select_related("stage"), session_id, "session")
    mentorship = fetch_or_404(mentorship_queryset(), session.mentorship_id, "session")
    me = participant_of(mentorship, membership)
    if me is None:
        raise Http404("No such session.")
    session.mentorship = mentorship
    return session, me


def _check_active(mentorship: Mentorship) -> None:
    if mentorship.status != Mentorship.Status.ACTIVE:
        raise ValidationError("This mentorship has ended: its sessions can no longer change.")


def _stage_of(mentorship: Mentorship, stage: SessionStage | int | None) -> SessionStage | None:
    if stage in (None, ""):
        return None
    stage_id = stage.pk if isinstance(stage, SessionStage) else stage
    found = SessionStage.objects.filter(program_id=mentorship.cohort.program_id, pk=stage_id).first()
    if found is None:
        raise ValidationError({"stage": "Choose a stage of this program's session flow."})
    return found


def _reflections(stage: SessionStage | None, answers) -> list[dict]:
    """Answers to the stage's prompts, as [{"prompt", "answer"}]; given as a list aligned with the prompts or as
    such dicts. Empty answers are dropped; a prompt the stage does not ask is refused."""
    if not answers:
        return []
    prompts = list(stage.reflection_prompts) if stage else []
    if not isinstance(answers, list):
        raise ValidationError({"reflection_answers": "Give a list of answers."})
    result = []
    for position, answer in enumerate(answers):
        if isinstance(answer, dict):
            prompt, text = answer.get("prompt", ""), answer.get("answer", "")
        else:
            prompt, text = (prompts[position] if position < len(prompts) else ""), answer
        if not isinstance(text, str) or not isinstance(prompt, str):
            raise ValidationError({"reflection_answers": "Each answer must be text."})
        if not text.strip():
            continue
        if prompt not in prompts:
            raise ValidationError({"reflection_answers": "Answer the prompts of the session's stage only."})
        result.append({"prompt": prompt, "answer": text.strip()[:4000]})
    return result


def _check_held_in_past(starts_at: datetime | None) -> None:
    if starts_at is not None and starts_at > timezone.now():
        raise ValidationError({"starts_at": "A held session cannot be in the future; schedule it instead."})


def _attendance(mentorship: Mentorship, attended: Iterable[int] | None) -> dict[int, bool]:
    """membership id -> attended, for every participant; `None` means everybody attended."""
    people = participants(mentorship)
    ids = {p.membership.pk for p in people}
    if attended is None:
        return dict.fromkeys(ids, True)
    try:
        chosen = {int(pk) for pk in attended}
    except (TypeError, ValueError):
        raise ValidationError({"attendance": "Attendance lists participants by id."}) from None
    strangers = chosen - ids
    if strangers:
        raise ValidationError({"attendance": "Only the people of this mentorship can attend its sessions."})
    if not chosen:
        raise ValidationError({"attendance": "Tick who attended; a session nobody attended was not held."})
    return {pk: pk in chosen for pk in ids}


def _write_attendance(
    session: MentoringSession, mentorship: Mentorship, attendance: dict[int, bool], *, replace: bool = True
) -> list[SessionAttendance]:
    """Store the session's attendance (replacing what it had, unless the session was only just created), with each
    row's membership attached from the participants already loaded."""
    people = {p.membership.pk: p for p in participants(mentorship)}
    if replace:
        SessionAttendance.objects.filter(session=session).delete()
    rows = SessionAttendance.objects.bulk_create(
        SessionAttendance(
            session=session, membership_id=pk, role=people[pk].role, attended=attended,
            organization_id=session.organization_id,
        )
        for pk, attended in sorted(attendance.items())
    )  # fmt: skip
    for row in rows:
        row.membership = people[row.membership_id].membership
    return sorted(rows, key=lambda row: (row.role, row.pk))  # SessionAttendance.Meta.ordering, as a read gives them


def _attach_attendance(session: MentoringSession, rows: list[SessionAttendance]) -> None:
    """Make `session.attendance.all()` the rows just written, as `prefetch_related` would leave it (Django's
    prefetch_one_level does the same), so that the caller can show the session without reading it back."""
    attendance = session.attendance.all()
    attendance._result_cache, attendance._prefetch_done = rows, True
    session._prefetched_objects_cache = {"attendance": attendance}


def session_schedule(
    *, mentorship: Mentorship, scheduled_by: Membership, starts_at: datetime, duration_minutes: int = 60,
    location: str = "", stage: SessionStage | int | None = None,
) -> MentoringSession:  # fmt: skip
    _check_active(mentorship)
    if starts_at is not None and starts_at < timezone.now():
        raise ValidationError({"starts_at": "Schedule a session in the future; log a past one instead."})
    session = MentoringSession(
        mentorship=mentorship, status=MentoringSession.Status.SCHEDULED, starts_at=starts_at,
        duration_minutes=duration_minutes, location=location.strip(), stage=_stage_of(mentorship, stage),
        scheduled_by=scheduled_by,
    )  # fmt: skip
    session.full_clean()
    session.save()
    return session


def session_reschedule(*, session: MentoringSession, **fields) -> MentoringSession:
    _check_active(session.mentorship)
    if session.status != MentoringSession.Status.SCHEDULED:
        raise ValidationError("Only a scheduled session can be moved; correct a held one instead.")
    if "stage" in fields:
        fields["stage"] = _stage_of(session.mentorship, fields["stage"])
    for name in ("starts_at", "duration_minutes", "location", "stage"):
        if name in fields:
            setattr(session, name, fields[name].strip() if name == "location" else fields[name])
    if session.starts_at < timezone.now():
        raise ValidationError({"starts_at": "Schedule a session in the future; log a past one instead."})
    session.full_clean()
    session.save()
    return session


def session_cancel(*, session: MentoringSession) -> MentoringSession:
    _check_active(session.mentorship)
    if session.status != MentoringSession.Status.SCHEDULED:
        raise ValidationError("Only a scheduled session can be cancelled.")
    session.status = MentoringSession.Status.CANCELLED
    session.save(update_fields=["status", "updated_at"])
    return session


@transaction.atomic
def session_log(
    *, mentorship: Mentorship, logged_by: Membership, starts_at: datetime, duration_minutes: int,
    stage: SessionStage | int | None = None, attended: Iterable[int] | None = None, topics: str = "",
    shared_notes: str = "", reflection_answers=None, private_note: str = "", session: MentoringSession | None = None,
) -> MentoringSession:  # fmt: skip
    """Record a held session: a new one, or a scheduled `session` that took place. The logger's side is the one
    that logged it; the other side confirms or corrects it (`session_confirm`, `session_correct`)."""
    _check_active(mentorship)
    if participant_of(mentorship, logged_by) is None:
        raise Http404("No such mentorship.")
    if session is not None and session.status != MentoringSession.Status.SCHEDULED:
        raise ValidationError("This session is logged already: confirm or correct it instead.")
    _check_held_in_past(starts_at)
    stage_row = _stage_of(mentorship, stage)
    session = session or MentoringSession(mentorship=mentorship)
    session.status = MentoringSession.Status.HELD
    session.starts_at = starts_at
    session.duration_minutes = duration_minutes
    session.stage = stage_row
    session.topics = topics.strip()
    session.shared_notes = shared_notes.strip()
    session.reflection_answers = _reflections(stage_row, reflection_answers)
    session.logged_by = logged_by
    session.logged_at = timezone.now()
    session.confirmation = MentoringSession.Confirmation.ONE_SIDED
    # Its foreign keys are rows this call has loaded in the organization's scope (the mentorship, the logger, the
    # stage `_stage_of` found): checking that each exists would cost a query apiece on every log.
    session.full_clean(exclude=["organization", "mentorship", "logged_by", "stage", "scheduled_by", "confirmed_by"])
    attendance = _attendance(mentorship, attended)
    created = session.pk is None
    session.save()
    _attach_attendance(session, _write_attendance(session, mentorship, attendance, replace=not created))
    if private_note.strip():
        private_note_set(session=session, author=logged_by, text=private_note)
    return session


def _other_side(session: MentoringSession, membership: Membership) -> Participant:
    me = participant_of(session.mentorship, membership)
    if me is None:
        raise Http404("No such session.")
    if session.status != MentoringSession.Status.HELD:
        raise ValidationError("Only a logged session can be confirmed or corrected.")
    logger = participant_of(session.mentorship, session.logged_by) if session.logged_by_id else None
    if logger is not None and logger.is_mentor == me.is_mentor:
        raise ValidationError("The other side of the mentorship confirms a log; you logged this side.")
    return me


def session_confirm(*, session: MentoringSession, confirmed_by: Membership) -> MentoringSession:
    _check_active(session.mentorship)
    _other_side(session, confirmed_by)
    if session.confirmation in (MentoringSession.Confirmation.CONFIRMED, MentoringSession.Confirmation.CORRECTED):
        return session  # confirming twice changes nothing
    session.confirmation = MentoringSession.Confirmation.CONFIRMED
    session.confirmed_by = confirmed_by
    session.confirmed_at = timezone.now()
    session.save(update_fields=["confirmation", "confirmed_by", "confirmed_at", "updated_at"])
    return session


@transaction.atomic
def session_correct(
    *, session: MentoringSession, corrected_by: Membership, attended: Iterable[int] | None = None, **fields
) -> MentoringSession:
    """The other side fixes the log (any of LOGGED_FIELDS and attendance); the session counts as confirmed by both
    sides, marked corrected."""
    _check_active(session.mentorship)
    _other_side(session, corrected_by)
    unknown = set(fields) - set(LOGGED_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be corrected." for name in sorted(unknown)})
    if "starts_at" in fields:
        _check_held_in_past(fields["starts_at"])
    if "stage" in fields:
        fields["stage"] = _stage_of(session.mentorship, fields["stage"])
    for name, value in fields.items():
        if name != "reflection_answers":
            setattr(session, name, value.strip() if isinstance(value, str) else value)
    if "reflection_answers" in fields or "stage" in fields:
        answers = fields.get("reflection_answers", session.reflection_answers)
        session.reflection_answers = _reflections(session.stage, answers)
    session.confirmation = MentoringSession.Confirmation.CORRECTED
    session.confirmed_by = corrected_by
    session.confirmed_at = timezone.now()
    session.full_clean()
    session.save()
    if attended is not None:
        _write_attendance(session, session.mentorship, _attendance(session.mentorship, attended))
    return session


def private_note_set(*, session: MentoringSession, author: Membership, text: str) -> PrivateNote | None:
    """The author's own note on the session (created, replaced, or deleted when emptied)."""
    if participant_of(session.mentorship, author) is None:
        raise Http404("No such session.")
    text = text.strip()
    if not text:
        PrivateNote.objects.filter(session=session, author=author).delete()
        return None
    if len(text) > 20_000:
        raise ValidationError({"private_note": "Keep a private note under 20,000 characters."})
    note, _ = PrivateNote.objects.update_or_create(session=session, author=author, defaults={"text": text})
    return note


def private_note_of(*, session: MentoringSession, author: Membership) -> PrivateNote | None:
    """The one read path of private notes: a session's note of its author, for that author alone."""
    return PrivateNote.objects.filter(session=session, author=author).first()
