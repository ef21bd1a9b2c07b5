"""Re-match (issue #4 item 6): a participant says a match is not a good fit; an admin resolves it from a queue that
offers the best allowed alternative mentor without disturbing any other pair. Keyword-only services inside the
caller's tenant scope.

**The current pair** (`current_pair`) depends on where the cohort is:

* *Published* (the cohort has mentorships, `matching.services.match_run_publish`): the mentee's active
  `Mentorship` (through its `MentorshipMentee`). Resolving moves the mentee: their `MentorshipMentee` leaves the old
  mentorship (which is ended, status ``ended``, when no mentee is left in it) and joins the new mentor's: in 1:1
  programs a new mentorship of that mentor with that mentee; in group programs the new mentor's oldest active
  mentorship with a free seat under the program's ratio, else a new one. The mentee's goals (with their updates and
  the action items towards them) and the action items the mentee owns move along, so the new mentor picks up where
  the old pair left off; the sessions stay with the old mentorship, the record of that pair. The new mentor and the
  mentee get an email when the transaction commits (the publish emails, saying it is a re-match). The run's
  proposals stay the record of what was published; an accepted mentor request of the mentee (mentee-choice
  cohorts) is replaced as below.
* *Before publishing*, mentee-choice cohorts: the mentee's accepted `MentorRequest`; resolving marks it withdrawn
  and records an accepted request to the new mentor (seats there are counted from accepted requests).
* *Before publishing*, otherwise: the mentee's proposal in the cohort's latest finished run whose state is proposed,
  locked, hand-picked or published (`current_proposal`). Resolving rewrites *that proposal*: its mentor becomes the
  alternative, with the pair's score and factors, state ``hand_picked`` (so re-runs keep it) and no warnings; the
  publish step picks it up like any hand-picked pair.

**The alternative** (`best_alternative`): the highest-scoring mentor under the run rules (the weights of the run,
the published one once published; the program's cross-functional rule, every hard constraint: reporting line,
language, excluded and previous pairs; at least one wanted skill level covered) who still has a free seat
(capacity minus the mentees they have: in the published mentorships once published, else the run's pairs other
than rejected ones, or the accepted requests in mentee-choice cohorts), excluding the current mentor and every
mentor the mentee was paired with before in the cohort (the current mentors of earlier re-match requests). Only
the one pair changes; every other pair stays as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from matching.choice import Candidate, allowed_mentors, reasons_for, seats_taken
from matching.models import MatchProposal, MatchRun, MentorRequest, RematchRequest
from matching.services import _publish_emails, _send_all, cohort_arrays, cohort_published, latest_finished_run
from mentorship.tenancy.access import fetch_or_404
from mentorship.tenancy.models import Membership
from programs.models import ActionItem, Application, Cohort, Goal, Mentorship, MentorshipMentee, Program

CURRENT_STATES = (
    MatchProposal.State.PROPOSED,
    MatchProposal.State.LOCKED,
    MatchProposal.State.HAND_PICKED,
    MatchProposal.State.PUBLISHED,
)


def current_proposal(*, mentee: Application) -> MatchProposal | None:
    """The mentee's current pair: their proposal in the cohort's latest finished run (see the module docstring)."""
    run = latest_finished_run(mentee.cohort_id)
    if run is None:
        return None
    return (
        MatchProposal.objects.select_related("run", "mentor__membership__user")
        .filter(run=run, mentee=mentee, state__in=CURRENT_STATES)
        .first()
    )


@dataclass
class CurrentPair:
    """The mentee's current mentor and where the pair lives: a published mentorship (with the mentee's link to it),
    a run's proposal, or an accepted mentor request."""

    mentor: Application
    proposal: MatchProposal | None = None
    mentor_request: MentorRequest | None = None
    mentorship: Mentorship | None = None
    link: MentorshipMentee | None = None


def _choice_mode(cohort: Cohort) -> bool:
    return cohort.program.matching_mode == Program.MatchingMode.MENTEE_CHOICE


def _accepted_request(mentee: Application) -> MentorRequest | None:
    return (
        MentorRequest.objects.select_related("mentor__membership__user")
        .filter(mentee=mentee, status=MentorRequest.Status.ACCEPTED)
        .order_by("-pk")
        .first()
    )


def _active_links():
    return MentorshipMentee.objects.filter(mentorship__status=Mentorship.Status.ACTIVE)


def current_pair(*, mentee: Application) -> CurrentPair | None:
    if cohort_published(mentee.cohort_id):
        link = _active_links().select_related("mentorship__mentor__membership__user").filter(mentee=mentee).first()
        if link is None:
            return None
        return CurrentPair(mentor=link.mentorship.mentor, mentorship=link.mentorship, link=link)
    if _choice_mode(mentee.cohort):
        accepted = _accepted_request(mentee)
        return CurrentPair(mentor=accepted.mentor, mentor_request=accepted) if accepted else None
    proposal = current_proposal(mentee=mentee)
    return CurrentPair(mentor=proposal.mentor, proposal=proposal) if proposal else None


# --- Asking ---


def rematch_request_create(*, mentee: Application, created_by: Membership, reason: str) -> RematchRequest:
    """The mentee, or the current mentor of the mentee, says the match is not a good fit (404 for anybody else:
    they may not learn that the pair exists). One open request per mentee."""
    reason = (reason or "").strip()
    with transaction.atomic():
        Application.objects.select_for_update().filter(pk=mentee.pk).first()
        pair = current_pair(mentee=mentee)
        if pair is None or created_by.pk not in (mentee.membership_id, pair.mentor.membership_id):
            raise Http404("No such match.")
        if not reason:
            raise ValidationError({"reason": "Say in a few words why the match is not a good fit."})
        if RematchRequest.objects.filter(mentee=mentee, status=RematchRequest.Status.OPEN).exists():
            raise ValidationError({"reason": "A re-match of this pair is already waiting for an admin."})
        request = RematchRequest(
            cohort_id=mentee.cohort_id,
            mentee=mentee,
            current_mentor_id=pair.mentor.pk,
            reason=reason,
            created_by=created_by,
        )
        request.full_clean()
        try:
            with transaction.atomic():
                request.save()
        except IntegrityError:
            raise ValidationError({"reason": "A re-match of this pair is already waiting for an admin."}) from None
    return request


# --- The alternative ---


@dataclass
class QueueItem:
    request: RematchRequest
    current_mentor_id: int | None
    alternative: Candidate | None


def _seats_taken(run: MatchRun) -> dict[int, int]:
    return dict(
        MatchProposal.objects.filter(run=run)
        .exclude(state=MatchProposal.State.REJECTED)
        .values("mentor_id")
        .annotate(n=Count("id"))
        .values_list("mentor_id", "n")
    )


def _former_mentors(cohort: Cohort) -> dict[int, set[int]]:
    """{mentee application id: mentors of earlier re-match requests} (they are not offered again)."""
    former: dict[int, set[int]] = {}
    for mentee_id, mentor_id in RematchRequest.objects.filter(cohort=cohort, current_mentor__isnull=False).values_list(
        "mentee_id", "current_mentor_id"
    ):
        former.setdefault(mentee_id, set()).add(mentor_id)
    return former


def _published_seats(cohort: Cohort, mentee_ids: list[int]) -> tuple[dict | None, dict[int, int], dict[int, int]]:
    """The published run's weights, {mentor: mentees in their active mentorships}, {mentee: current mentor}."""
    weights = (
        Mentorship.objects.filter(cohort=cohort, run__isnull=False)
        .order_by("pk")
        .values_list("run__weights", flat=True)
        .first()
    )
    active = _active_links().filter(mentorship__cohort=cohort)
    taken = dict(
        active.order_by()
        .values("mentorship__mentor_id")
        .annotate(n=Count("id"))
        .values_list("mentorship__mentor_id", "n")
    )
    current = dict(active.filter(mentee_id__in=mentee_ids).values_list("mentee_id", "mentorship__mentor_id"))
    return weights or None, taken, current


def _alternatives(cohort: Cohort, requests: list[RematchRequest]) -> list[QueueItem]:
    """One load of the cohort's arrays for all ``requests``; the best alternative of each."""
    mentee_ids = [r.mentee_id for r in requests]
    if cohort_published(cohort.pk):
        weights, taken, current = _published_seats(cohort, mentee_ids)
    elif _choice_mode(cohort):
        weights, taken = None, seats_taken(cohort)
        current = dict(
            MentorRequest.objects.filter(mentee_id__in=mentee_ids, status=MentorRequest.Status.ACCEPTED).values_list(
                "mentee_id", "mentor_id"
            )
        )
    else:
        run = latest_finished_run(cohort.pk)
        if run is None:
            return [QueueItem(request, None, None) for request in requests]
        weights, taken = run.weights, _seats_taken(run)
        current = dict(
            MatchProposal.objects.filter(run=run, mentee_id__in=mentee_ids, state__in=CURRENT_STATES).values_list(
                "mentee_id", "mentor_id"
            )
        )
    if not requests:
        return []
    loaded = cohort_arrays(cohort=cohort)
    former = _former_mentors(cohort)
    items = []
    for request in requests:
        current_mentor_id = current.get(request.mentee_id)
        excluded = former.get(request.mentee_id, set()) | {request.current_mentor_id, current_mentor_id}
        best = None
        for candidate in allowed_mentors(
            loaded, request.mentee_id, cross_functional=cohort.program.cross_functional, weights=weights
        ):
            candidate.taken = taken.get(candidate.mentor_id, 0)
            if candidate.mentor_id in excluded or candidate.seats_left <= 0:
                continue
            candidate.reasons = reasons_for(candidate)
            best = candidate
            break
        items.append(QueueItem(request, current_mentor_id, best))
    mentors = Application.objects.select_related("membership__user", "membership__department").in_bulk(
        [item.alternative.mentor_id for item in items if item.alternative is not None]
    )
    for item in items:
        if item.alternative is not None:
            item.alternative.mentor = mentors[item.alternative.mentor_id]
    return items


def best_alternative(*, request: RematchRequest) -> Candidate | None:
    cohort = Cohort.objects.select_related("program").get(pk=request.cohort_id)
    return _alternatives(cohort, [request])[0].alternative


def rematch_queue(*, cohort: Cohort) -> list[QueueItem]:
    """The cohort's open requests, oldest first, each with its current proposal and best alternative."""
    requests = list(
        RematchRequest.objects.filter(cohort=cohort, status=RematchRequest.Status.OPEN).select_related(
            "mentee__membership__user", "current_mentor__membership__user", "created_by__user"
        )
    )
    return _alternatives(cohort, requests)


# --- Resolving ---


def _lock_open(request: RematchRequest) -> RematchRequest:
    locked = RematchRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != RematchRequest.Status.OPEN:
        raise ValidationError({"request": f"This request is already {locked.get_status_display().lower()}."})
    return locked


def _replace_request(old: MentorRequest, *, alternative: Candidate, now) -> MentorRequest:
    """Mentee choice: the accepted request is withdrawn and an accepted request to the new mentor takes its place."""
    old.status, old.answered_at = MentorRequest.Status.WITHDRAWN, now
    old.save(update_fields=["status", "answered_at"])
    return MentorRequest.objects.create(
        cohort_id=old.cohort_id,
        mentee_id=old.mentee_id,
        mentor_id=alternative.mentor_id,
        rank=1,
        score=alternative.score,
        factors=alternative.factors,
        status=MentorRequest.Status.ACCEPTED,
        expires_at=now,
        answered_at=now,
    )


def _move_mentee(
    *, mentee: Application, pair: CurrentPair, mentor_id: int, resolved_by: Membership | None
) -> Mentorship:
    """Take the mentee out of their mentorship (ended when nobody is left in it) and into one of ``mentor_id``: a
    new one in 1:1 programs; in group programs the mentor's oldest active one with a free seat under the ratio, else
    a new one. Returns that mentorship with ``mentee_ids`` (all its mentees) and ``new_mentee_ids`` set."""
    program = mentee.cohort.program
    old = pair.mentorship
    MentorshipMentee.objects.filter(pk=pair.link.pk).delete()
    if not MentorshipMentee.objects.filter(mentorship=old).exists():
        old.status = Mentorship.Status.ENDED
        old.save(update_fields=["status"])
    target = None
    if program.format == Program.Format.GROUP:
        target = (
            Mentorship.objects.filter(cohort_id=mentee.cohort_id, mentor_id=mentor_id, status=Mentorship.Status.ACTIVE)
            .annotate(seated=Count("mentees"))
            .filter(seated__lt=max(1, int(program.ratio)))
            .order_by("pk")
            .first()
        )
    if target is None:
        target = Mentorship(
            cohort_id=mentee.cohort_id, mentor_id=mentor_id, format=program.format, run_id=old.run_id,
            published_by=resolved_by,
        )  # fmt: skip
        target.full_clean()
        target.save()
    link = MentorshipMentee(mentorship=target, mentee=mentee)
    link.full_clean()
    link.save()
    _move_goals_and_actions(mentee=mentee, old=old, target=target)
    target.mentee_ids = list(
        MentorshipMentee.objects.filter(mentorship=target).order_by("pk").values_list("mentee_id", flat=True)
    )
    target.new_mentee_ids = [mentee.pk]
    return target


def _move_goals_and_actions(*, mentee: Application, old: Mentorship, target: Mentorship) -> None:
    """The mentee's goals are their own development, not the old pair's: they (their updates follow them) and the
    action items towards them or owned by the mentee move to `target`. The old mentor's own items stay."""
    goals = Goal.objects.filter(mentorship=old, mentee=mentee)
    ActionItem.objects.filter(Q(goal__in=goals) | Q(owner_id=mentee.membership_id), mentorship=old).update(
        mentorship=target
    )
    goals.update(mentorship=target)


def rematch_resolve(
    *, request: RematchRequest, mentor: Application, resolved_by: Membership | None = None, notify: bool = True
) -> RematchRequest:
    """Give the mentee ``mentor``, which must be the alternative offered now (it is computed again under a lock of
    the cohort, so two admins cannot give away the same last seat). Only the mentee's pair changes (see the module
    docstring for where it lives). Once the cohort is published the mentee moves to a mentorship of ``mentor``
    (``resolved_by`` is recorded as its publisher when a new one is created) and, with ``notify``, the mentor and
    the mentee get an email when the transaction commits."""
    with transaction.atomic():
        cohort = Cohort.objects.select_for_update().select_related("program").get(pk=request.cohort_id)
        locked = _lock_open(request)
        mentee = Application.objects.select_related("cohort__program").get(pk=locked.mentee_id)
        pair = current_pair(mentee=mentee)
        if pair is None:
            raise ValidationError({"request": "The mentee has no current pair to change."})
        alternative = best_alternative(request=locked)
        if alternative is None or alternative.mentor_id != mentor.pk:
            raise ValidationError(
                {"request": "This mentor is no longer the best allowed alternative; reload the queue."}
            )
        now = timezone.now()
        if pair.mentorship is not None:
            target = _move_mentee(mentee=mentee, pair=pair, mentor_id=alternative.mentor_id, resolved_by=resolved_by)
            if _choice_mode(cohort) and (accepted := _accepted_request(mentee)) is not None:
                _replace_request(accepted, alternative=alternative, now=now)
            if notify:
                messages = _publish_emails(cohort, [target], rematch=True)
                transaction.on_commit(lambda: _send_all(messages))
        elif pair.proposal is not None:
            proposal = pair.proposal
            proposal.mentor_id = alternative.mentor_id
            proposal.score, proposal.factors = alternative.score, alternative.factors
            proposal.state, proposal.warnings = MatchProposal.State.HAND_PICKED, []
            proposal.save(update_fields=["mentor", "score", "factors", "state", "warnings"])
        else:
            _replace_request(pair.mentor_request, alternative=alternative, now=now)
        locked.status, locked.chosen_mentor_id, locked.resolved_at = (
            RematchRequest.Status.RESOLVED,
            alternative.mentor_id,
            now,
        )
        locked.save(update_fields=["status", "chosen_mentor", "resolved_at"])
    return locked


def rematch_dismiss(*, request: RematchRequest) -> RematchRequest:
    """Keep the pair as it is."""
    with transaction.atomic():
        locked = _lock_open(request)
        locked.status, locked.resolved_at = RematchRequest.Status.DISMISSED, timezone.now()
        locked.save(update_fields=["status", "resolved_at"])
    return locked


# --- Fetch and authorize ---


def access_rematch_request_by_id(request_id, *, cohort: Cohort | None = None) -> RematchRequest:
    requests = RematchRequest.objects.select_related("cohort__program", "mentee")
    if cohort is not None:
        requests = requests.filter(cohort=cohort)
    return fetch_or_404(requests, request_id, "re-match request")


def access_match_for_participant(membership: Membership, application_id) -> tuple[Application, CurrentPair]:
    """The mentee application ``application_id`` and its current pair, when ``membership`` is the mentee or the
    mentee's current mentor; 404 otherwise."""
    mentee = fetch_or_404(
        Application.objects.select_related("cohort__program", "membership__user").filter(role=Application.Role.MENTEE),
        application_id,
        "match",
    )
    pair = current_pair(mentee=mentee)
    if pair is None or membership.pk not in (mentee.membership_id, pair.mentor.membership_id):
        raise Http404("No such match.")
    return mentee, pair
