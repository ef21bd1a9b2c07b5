"""Mentee choice mode (issue #4 item 5), for cohorts whose program has ``matching_mode = mentee_choice``.

Instead of an admin's match run, each accepted mentee sees their best allowed mentors and requests one; the mentor
accepts or declines. Keyword-only services that run inside the caller's tenant scope.

* `suggestions_for(mentee=...)`: the top ``SUGGESTIONS`` allowed mentors, best first, each with its score, its
  factor contributions and reasons in words. The scoring and the hard constraints are those of match runs
  (`matching.services.cohort_arrays` + `matching.algorithms.evaluate_pairs` over the cohort's accepted
  applications, default weights, the program's cross-functional rule): a mentor must teach at least one wanted
  level of a skill and no rule may forbid the pair (reporting line, language, cross-functional, excluded, previous
  cohorts). Mentors whose seats are all taken by accepted requests, and mentors who declined this mentee or let
  their request expire, are left out.
* `mentor_request(mentee=..., mentor=...)`: one open request per mentee (and none once a request was accepted);
  the mentor must be among the mentee's current suggestions. It expires after ``MENTOR_REQUEST_TTL_DAYS`` (7).
* `mentor_request_answer(request=..., mentor_membership=..., accept=...)`: only the requested mentor answers;
  accepting takes one of their seats (refused when none is left), declining frees the mentee.
* `mentor_request_withdraw(request=..., mentee_membership=...)`: the mentee takes back an open request.
* `mentor_requests_expire()`: open requests past ``expires_at`` become expired (idempotent; the nightly
  `mentor_requests_expire_task` per organization).

Declines and expiries do not create a request on the mentee's behalf: the mentee is free again, the mentor who
declined (or never answered) drops out of their suggestions, and the choose page highlights the next best
suggestion so that one click requests it. (Requesting automatically would bind a mentee to a mentor they never
chose.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, When
from django.http import Http404
from django.utils import timezone

from matching.algorithms import FACTORS, evaluate_pairs
from matching.algorithms.scoring import resolve_weights
from matching.models import MentorRequest
from matching.services import LoadedCohort, _index, cohort_arrays
from mentorship.tenancy.access import fetch_or_404
from mentorship.tenancy.models import Membership
from programs.models import Application, Cohort, Program

SUGGESTIONS = 5
ANSWERED_OUT = (MentorRequest.Status.DECLINED, MentorRequest.Status.EXPIRED)  # not suggested to the mentee again

FACTOR_REASONS = {
    "skills": "teaches {pct}% of the skill levels you want to grow",
    "themes": "shares your goals and themes",
    "cross_functional": "works in another department",
    "seniority": "has a seniority that suits your preference",
    "language": "speaks a language you speak",
    "time_zone": "has working hours that overlap yours",
}


def request_ttl() -> timedelta:
    return timedelta(days=int(getattr(settings, "MENTOR_REQUEST_TTL_DAYS", 7)))


# --- Shared with re-match: one mentee against every accepted mentor of the cohort ---


@dataclass
class Candidate:
    """An allowed mentor for one mentee, with the score and the weighted factor contributions."""

    mentor_id: int
    score: float
    factors: dict[str, float]
    capacity: int
    other_department: bool = False
    taken: int = 0
    rank: int = 0
    reasons: list[str] = field(default_factory=list)
    mentor: Application | None = None

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.taken, 0)


def allowed_mentors(
    loaded: LoadedCohort, mentee_id: int, *, cross_functional: str, weights: dict | None = None
) -> list[Candidate]:
    """Every mentor the mentee may be paired with under the run rules, best first (ties: lower application id).

    A mentor must cover at least one wanted skill level (the candidate rule of `score_cohort`) and break no hard
    constraint; capacity is not looked at here."""
    row = int(_index(loaded.mentee_ids, [mentee_id])[0])
    if row < 0 or loaded.m == 0:
        return []
    cols = np.arange(loaded.m)
    evaluation = evaluate_pairs(
        loaded.arrays,
        np.full(loaded.m, row),
        cols,
        weights=resolve_weights(weights),
        cross_functional=cross_functional,
    )
    keep = evaluation.allowed & (evaluation.contributions["skills"] > 0)
    chosen = cols[keep]
    order = np.lexsort((loaded.mentor_ids[chosen], -evaluation.score[chosen]))
    return [
        Candidate(
            mentor_id=int(loaded.mentor_ids[col]),
            score=round(float(evaluation.score[col]), 4),
            factors={name: round(float(evaluation.contributions[name][col]), 4) for name in FACTORS},
            capacity=int(loaded.capacity[col]),
            other_department=bool(
                loaded.mentee_department[row] >= 0
                and loaded.mentor_department[col] >= 0
                and loaded.mentee_department[row] != loaded.mentor_department[col]
            ),
        )
        for col in chosen[order].tolist()
    ]


def reasons_for(candidate: Candidate) -> list[str]:
    """The factors that speak for a pair, in words, largest contribution first."""
    weights = resolve_weights(None)
    out = []
    for name in sorted(FACTORS, key=lambda f: -candidate.factors.get(f, 0)):
        value = candidate.factors.get(name, 0)
        if value <= 0:
            continue
        pct = round(100 * value / weights[name]) if weights.get(name) else 0
        out.append(FACTOR_REASONS[name].format(pct=pct))
    if candidate.other_department and candidate.factors.get("cross_functional", 0) <= 0:
        out.append(FACTOR_REASONS["cross_functional"])  # a rule of the program (required), so no bonus points
    return out


# --- Suggestions ---


def _check_choice_mentee(mentee: Application) -> None:
    program = mentee.cohort.program
    if program.matching_mode != Program.MatchingMode.MENTEE_CHOICE:
        raise ValidationError({"cohort": "Mentees of this program do not choose their mentor: an admin matches."})
    if mentee.role != Application.Role.MENTEE or mentee.status != Application.Status.ACCEPTED:
        raise ValidationError({"mentee": "Only accepted mentees of the cohort choose a mentor."})


def seats_taken(cohort: Cohort) -> dict[int, int]:
    """{mentor application id: accepted requests} for the cohort."""
    return dict(
        MentorRequest.objects.filter(cohort=cohort, status=MentorRequest.Status.ACCEPTED)
        .values("mentor_id")
        .annotate(n=Count("id"))
        .values_list("mentor_id", "n")
    )


def suggestions_for(*, mentee: Application, limit: int = SUGGESTIONS) -> list[Candidate]:
    """The mentee's best ``limit`` allowed mentors with a free seat, each with ``rank``, ``score``, ``factors``,
    ``reasons`` and ``mentor`` (the application, with member and department) filled in. Empty once the mentee has
    an accepted request."""
    _check_choice_mentee(mentee)
    cohort = Cohort.objects.select_related("program").get(pk=mentee.cohort_id)
    mine = MentorRequest.objects.filter(mentee=mentee)
    if mine.filter(status=MentorRequest.Status.ACCEPTED).exists():
        return []
    out_mentors = set(mine.filter(status__in=ANSWERED_OUT).values_list("mentor_id", flat=True))
    loaded = cohort_arrays(cohort=cohort)
    taken = seats_taken(cohort)
    suggestions = []
    for candidate in allowed_mentors(loaded, mentee.pk, cross_functional=cohort.program.cross_functional):
        candidate.taken = taken.get(candidate.mentor_id, 0)
        if candidate.mentor_id in out_mentors or candidate.seats_left <= 0:
            continue
        candidate.rank = len(suggestions) + 1
        candidate.reasons = reasons_for(candidate)
        suggestions.append(candidate)
        if len(suggestions) >= limit:
            break
    mentors = Application.objects.select_related("membership__user", "membership__department").in_bulk(
        [s.mentor_id for s in suggestions]
    )
    for suggestion in suggestions:
        suggestion.mentor = mentors[suggestion.mentor_id]
    return suggestions


# --- Requests ---


def mentor_request(*, mentee: Application, mentor: Application) -> MentorRequest:
    """Request ``mentor`` for ``mentee``: one open request per mentee, and only a current suggestion."""
    with transaction.atomic():
        Application.objects.select_for_update().filter(pk=mentee.pk).first()  # one request at a time per mentee
        _check_choice_mentee(mentee)
        mine = MentorRequest.objects.filter(mentee=mentee)
        if mine.filter(status=MentorRequest.Status.ACCEPTED).exists():
            raise ValidationError({"mentor": "You already have a mentor in this cohort."})
        if mine.filter(status=MentorRequest.Status.REQUESTED).exists():
            raise ValidationError(
                {"mentor": "You already have an open request: wait for the answer or withdraw it first."}
            )
        suggestion = next((s for s in suggestions_for(mentee=mentee) if s.mentor_id == mentor.pk), None)
        if suggestion is None:
            raise ValidationError({"mentor": "Choose one of your suggested mentors."})
        request = MentorRequest(
            cohort_id=mentee.cohort_id,
            mentee=mentee,
            mentor=mentor,
            rank=suggestion.rank,
            score=suggestion.score,
            factors=suggestion.factors,
            expires_at=timezone.now() + request_ttl(),
        )
        request.full_clean()
        try:
            with transaction.atomic():
                request.save()
        except IntegrityError:
            raise ValidationError({"mentor": "You already have an open request."}) from None
    return request


def _lock_open(request: MentorRequest) -> MentorRequest:
    locked = MentorRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != MentorRequest.Status.REQUESTED:
        raise ValidationError({"request": f"This request is already {locked.get_status_display().lower()}."})
    return locked


def mentor_request_answer(*, request: MentorRequest, mentor_membership: Membership, accept: bool) -> MentorRequest:
    """The requested mentor accepts (one of their seats is taken; refused when none is left) or declines (the
    mentee is free to request the next suggestion). An expired request can no longer be answered."""
    with transaction.atomic():
        mentor = Application.objects.select_for_update().select_related("cohort__program").get(pk=request.mentor_id)
        if mentor.membership_id != mentor_membership.pk:
            raise Http404("No such request.")
        locked = _lock_open(request)
        now = timezone.now()
        expired = locked.expires_at <= now
        if expired:
            locked.status = MentorRequest.Status.EXPIRED
            locked.save(update_fields=["status"])
    if expired:
        raise ValidationError({"request": "This request has expired; the mentee may request another mentor."})
    with transaction.atomic():
        mentor = Application.objects.select_for_update().select_related("cohort__program").get(pk=request.mentor_id)
        locked = _lock_open(request)
        if accept:
            ratio = int(mentor.cohort.program.ratio)
            capacity = min(mentor.capacity if mentor.capacity is not None else ratio, ratio)
            taken = MentorRequest.objects.filter(mentor=mentor, status=MentorRequest.Status.ACCEPTED).count()
            if taken >= capacity:
                raise ValidationError({"request": f"All your {capacity} seats are taken; decline this request."})
            if mentor.status != Application.Status.ACCEPTED:
                raise ValidationError({"request": "Your application to this cohort is no longer accepted."})
            if not Application.objects.filter(pk=locked.mentee_id, status=Application.Status.ACCEPTED).exists():
                raise ValidationError({"request": "The mentee's application is no longer accepted; decline it."})
        locked.status = MentorRequest.Status.ACCEPTED if accept else MentorRequest.Status.DECLINED
        locked.answered_at = now
        locked.save(update_fields=["status", "answered_at"])
    return locked


def mentor_request_withdraw(*, request: MentorRequest, mentee_membership: Membership) -> MentorRequest:
    with transaction.atomic():
        locked = _lock_open(request)
        if locked.mentee.membership_id != mentee_membership.pk:
            raise Http404("No such request.")
        locked.status, locked.answered_at = MentorRequest.Status.WITHDRAWN, timezone.now()
        locked.save(update_fields=["status", "answered_at"])
    return locked


def mentor_requests_expire(*, now=None) -> int:
    """Open requests past ``expires_at`` become expired; returns how many. Running it again changes nothing."""
    now = now or timezone.now()
    return MentorRequest.objects.filter(status=MentorRequest.Status.REQUESTED, expires_at__lte=now).update(
        status=MentorRequest.Status.EXPIRED
    )


# --- Fetch and authorize (404 for anything not the member's own) ---


def access_choice_mentee(membership: Membership, cohort_id) -> Application:
    """The member's accepted mentee application in a mentee-choice cohort, or 404."""
    applications = Application.objects.select_related("cohort__program").filter(
        membership=membership,
        role=Application.Role.MENTEE,
        status=Application.Status.ACCEPTED,
        cohort__program__matching_mode=Program.MatchingMode.MENTEE_CHOICE,
    )
    try:
        return applications.get(cohort_id=int(cohort_id))
    except (Application.DoesNotExist, ValueError, TypeError):
        raise Http404("No such cohort.") from None


def access_request_for_mentor(membership: Membership, request_id) -> MentorRequest:
    requests = MentorRequest.objects.select_related("mentee__membership__user", "mentor").filter(
        mentor__membership=membership
    )
    return fetch_or_404(requests, request_id, "request")


def access_request_for_mentee(membership: Membership, request_id) -> MentorRequest:
    requests = MentorRequest.objects.select_related("mentee", "cohort").filter(mentee__membership=membership)
    return fetch_or_404(requests, request_id, "request")


def requests_for_mentor(membership: Membership):
    """The member's incoming requests as a mentor: open ones first, then the latest answers."""
    return (
        MentorRequest.objects.filter(mentor__membership=membership)
        .select_related("mentee__membership__user", "mentee__membership__department", "cohort__program")
        .annotate(answered=Case(When(status=MentorRequest.Status.REQUESTED, then=0), default=1))
        .order_by("answered", "-created_at", "-id")
    )
