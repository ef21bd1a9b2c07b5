"""Session pages of a mentorship: schedule, move or cancel a session; log one as held (a new one, or a scheduled
one that took place); confirm or correct the other side's log; feedback on a held session; the viewer's own
private note.

Either side logs; the other side confirms or corrects (programs.workspace.sessions holds the rules).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from programs.models import MentoringSession, Mentorship, SessionAttendance, SessionFeedback
from programs.views.workspace_common import back_to_mentorship, form_page, member_time_zone, show_errors, stages_of
from programs.workspace import feedback as feedback_services
from programs.workspace import sessions as session_services
from programs.workspace.access import Participant, access_mentorship_for_participant, participant_of, participants
from programs.workspace.selectors import StageProgress
from programs.workspace_forms import FeedbackForm, SessionRecordForm, SessionScheduleForm, recent_start


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _when(session: MentoringSession) -> str:
    return date_format(timezone.localtime(session.starts_at), "D j M, H:i")


# --- Schedule, move, cancel ---


@member_time_zone
def session_schedule(request, org_slug, mentorship_id):
    mentorship, _me = access_mentorship_for_participant(request.membership, mentorship_id)
    form = SessionScheduleForm(request.POST if request.method == "POST" else None, stages=stages_of(mentorship))
    if request.method == "POST" and form.is_valid():
        try:
            session = session_services.session_schedule(
                mentorship=mentorship, scheduled_by=request.membership, **form.cleaned_data
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, f"Session scheduled for {_when(session)}.")
            return back_to_mentorship(request, mentorship.pk, "upcoming")
    context = {"mentorship": mentorship, "form": form, "session": None}
    return form_page(request, "programs/workspace/session_schedule.html", context, form)


@member_time_zone
def session_reschedule(request, org_slug, session_id):
    session, _me = session_services.access_session_for_participant(request.membership, session_id)
    mentorship = session.mentorship
    form = SessionScheduleForm(
        request.POST if request.method == "POST" else None,
        stages=stages_of(mentorship),
        initial={
            "starts_at": session.starts_at, "duration_minutes": session.duration_minutes,
            "location": session.location, "stage": session.stage_id,
        },
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            session_services.session_reschedule(session=session, **form.cleaned_data)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, f"Session moved to {_when(session)}.")
            return back_to_mentorship(request, mentorship.pk, "upcoming")
    context = {"mentorship": mentorship, "form": form, "session": session}
    return form_page(request, "programs/workspace/session_schedule.html", context, form)


@require_POST
@member_time_zone
def session_cancel(request, org_slug, session_id):
    session, _me = session_services.access_session_for_participant(request.membership, session_id)
    try:
        session_services.session_cancel(session=session)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"The session of {_when(session)} is cancelled.")
    return back_to_mentorship(request, session.mentorship_id, "upcoming")


# --- Log, confirm, correct ---


def _record_form(request, mentorship: Mentorship, people: list[Participant], *, initial: dict, data=None):
    return SessionRecordForm(data, stages=stages_of(mentorship), people=people, initial=initial)


def _current_stage_id(mentorship: Mentorship) -> int | None:
    """The first stage of the flow without a held session (the stage a new log most likely belongs to)."""
    stages = stages_of(mentorship)
    held = set(
        MentoringSession.objects.filter(mentorship=mentorship, status=MentoringSession.Status.HELD)
        .exclude(stage=None)
        .values_list("stage_id", flat=True)
    )
    current = StageProgress(stages, held).current
    return current.pk if current else None


def _log(request, mentorship: Mentorship, me: Participant, session: MentoringSession | None):
    people = participants(mentorship)
    initial = {
        "starts_at": session.starts_at if session else recent_start(),
        "duration_minutes": session.duration_minutes if session else 60,
        "stage": (session.stage_id if session and session.stage_id else _current_stage_id(mentorship)),
        "attendance": [p.membership.pk for p in people],
    }
    data = request.POST if request.method == "POST" else None
    form = _record_form(request, mentorship, people, initial=initial, data=data)
    if request.method == "POST" and form.is_valid():
        try:
            logged = session_services.session_log(
                mentorship=mentorship, logged_by=request.membership, attended=form.attendees(),
                private_note=form.cleaned_data["private_note"], session=session, **form.logged_fields(),
            )  # fmt: skip
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(
                request,
                f"Session of {_when(logged)} logged. The other side of the mentorship can now confirm it; "
                "your feedback on it is due.",
            )
            return back_to_mentorship(request, mentorship.pk, f"session-{logged.pk}")
    context = {"mentorship": mentorship, "form": form, "session": session, "mode": "log"}
    return form_page(request, "programs/workspace/session_record.html", context, form)


@member_time_zone
def session_log(request, org_slug, mentorship_id):
    mentorship, me = access_mentorship_for_participant(request.membership, mentorship_id)
    return _log(request, mentorship, me, None)


@member_time_zone
def session_log_scheduled(request, org_slug, session_id):
    session, me = session_services.access_session_for_participant(request.membership, session_id)
    if session.status != MentoringSession.Status.SCHEDULED:
        messages.info(request, "This session is logged already: confirm or correct it from the timeline.")
        return back_to_mentorship(request, session.mentorship_id, f"session-{session.pk}")
    return _log(request, session.mentorship, me, session)


@member_time_zone
def session_prompts(request, org_slug, mentorship_id):
    """The reflection prompts of the stage chosen in the log form (htmx swaps them in when the stage changes)."""
    mentorship, _me = access_mentorship_for_participant(request.membership, mentorship_id)
    form = _record_form(request, mentorship, participants(mentorship), initial={"stage": request.GET.get("stage")})
    return render(request, "programs/workspace/_reflection_fields.html", {"form": form})


def _on_the_other_side(session: MentoringSession, me: Participant) -> bool:
    """Whether `me` may confirm or correct the log: the side that did not log it (the service enforces it)."""
    logger = participant_of(session.mentorship, session.logged_by) if session.logged_by_id else None
    return logger is None or logger.is_mentor != me.is_mentor


@require_POST
@member_time_zone
def session_confirm(request, org_slug, session_id):
    session, _me = session_services.access_session_for_participant(request.membership, session_id)
    try:
        session_services.session_confirm(session=session, confirmed_by=request.membership)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"Thank you: the session of {_when(session)} is confirmed by both sides.")
    return back_to_mentorship(request, session.mentorship_id, f"session-{session.pk}")


@member_time_zone
def session_correct(request, org_slug, session_id):
    session, me = session_services.access_session_for_participant(request.membership, session_id)
    mentorship = session.mentorship
    if session.status != MentoringSession.Status.HELD:
        messages.info(request, "Only a logged session can be corrected.")
        return back_to_mentorship(request, mentorship.pk, f"session-{session.pk}")
    people = participants(mentorship)
    attended = list(
        SessionAttendance.objects.filter(session=session, attended=True).values_list("membership_id", flat=True)
    )
    note = session_services.private_note_of(session=session, author=request.membership)
    initial = SessionRecordForm.initial_from(session, attended, note.text if note else "")
    data = request.POST if request.method == "POST" else None
    form = _record_form(request, mentorship, people, initial=initial, data=data)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                session_services.session_correct(
                    session=session, corrected_by=request.membership, attended=form.attendees(),
                    **form.logged_fields(),
                )  # fmt: skip
                session_services.private_note_set(
                    session=session, author=request.membership, text=form.cleaned_data["private_note"]
                )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, f"Session of {_when(session)} corrected; it now counts as confirmed.")
            return back_to_mentorship(request, mentorship.pk, f"session-{session.pk}")
    context = {
        "mentorship": mentorship, "form": form, "session": session, "mode": "correct",
        "other_side": _on_the_other_side(session, me),
    }  # fmt: skip
    return form_page(request, "programs/workspace/session_record.html", context, form)


# --- Feedback and private notes ---


@member_time_zone
def session_feedback(request, org_slug, session_id):
    session, me = session_services.access_session_for_participant(request.membership, session_id)
    mentorship = session.mentorship
    if session.status != MentoringSession.Status.HELD:
        messages.info(request, "Feedback is for sessions that were held.")
        return back_to_mentorship(request, mentorship.pk, f"session-{session.pk}")
    given = SessionFeedback.objects.filter(session=session, author=request.membership).first()
    first = feedback_services.is_first_session(session)
    form = FeedbackForm(request.POST if request.method == "POST" and given is None else None, first_session=first)
    if request.method == "POST" and given is None and form.is_valid():
        try:
            feedback = feedback_services.feedback_submit(
                session=session, author=request.membership, **form.cleaned_data
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, "Thank you for your feedback.")
            if feedback.pairing_fit == SessionFeedback.PairingFit.NOT_GOOD:
                messages.info(request, _not_a_good_fit_message(mentorship, me))
            return back_to_mentorship(request, mentorship.pk, f"session-{session.pk}")
    context = {"mentorship": mentorship, "session": session, "form": form, "given": given, "first": first}
    return form_page(request, "programs/workspace/session_feedback.html", context, form)


def _not_a_good_fit_message(mentorship: Mentorship, me: Participant) -> str:
    mentees = [p for p in participants(mentorship) if not p.is_mentor]
    if me.is_mentor and len(mentees) > 1:
        # The feedback cannot tell which mentee of a group it is about; the mentor names them on the re-match page.
        return (
            "You said the pairing is not a good fit. Tell the program team which mentee it is about with "
            "“Not a good fit?” next to them under People."
        )
    return "You said the pairing is not a good fit: the program team will look at it and may suggest another match."


@require_POST
@member_time_zone
def session_private_note(request, org_slug, session_id):
    session, _me = session_services.access_session_for_participant(request.membership, session_id)
    text = request.POST.get("private_note", "")
    try:
        note = session_services.private_note_set(session=session, author=request.membership, text=text)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, "Your private note is saved." if note else "Your private note is deleted.")
    return back_to_mentorship(request, session.mentorship_id, f"session-{session.pk}")
