"""Match run pages for program admins and org admins: start a run for a cohort, follow its progress, compare it with
greedy, and decide on its proposals (lock, reject, hand-pick), then re-run around the decisions.

The middleware has entered the organization's scope; every id in a URL goes through an access_* helper (404 for
another organization's row), and every write goes through matching.services.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from matching import services
from matching.access import access_proposal_by_id, access_run_by_id
from matching.algorithms import DEFAULT_WEIGHTS, FACTORS
from matching.forms import HandPickForm, RunStartForm, WeightsForm
from matching.models import MatchProposal, MatchRun
from mentorship.tenancy.access import roles_required
from mentorship.tenancy.models import Role
from programs.access import access_cohort_by_id
from programs.models import Application

MATCHING_ROLES = (Role.PROGRAM_ADMIN, Role.ORG_ADMIN)
FACTOR_LABELS = {
    "skills": "Complementary skills",
    "themes": "Goals and themes",
    "cross_functional": "Other department",
    "seniority": "Seniority",
    "language": "Shared language",
    "time_zone": "Time-zone overlap",
}
# The run's figures (matching.services puts them at the top of the summary, greedy's under "greedy").
FIGURES = (
    ("matched_pct", "Mentees matched", "%"),
    ("mean_score", "Mean score", "score"),
    ("cross_department_share", "Cross-department pairs", "%"),
    ("departments_covered", "Departments covered", ""),
)
APPLICANT = ("membership__user", "membership__department")
PAIR = tuple(f"{side}__{path}" for side in ("mentee", "mentor") for path in APPLICANT)


matching_admin_required = roles_required(*MATCHING_ROLES)


def _run_url(run: MatchRun, org_slug: str, anchor: str = "") -> str:
    url = reverse("match_run_detail", kwargs={"org_slug": org_slug, "run_id": run.pk})
    return f"{url}#{anchor}" if anchor else url


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _start(request, cohort, objective: str):
    """Start a run through the service; the new run, or None after putting the service's message on the page."""
    try:
        return services.match_run_start(cohort=cohort, started_by=request.membership, objective=objective)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return None


# --- A cohort's runs ---


@matching_admin_required
def cohort_runs(request, org_slug, cohort_id):
    cohort = access_cohort_by_id(cohort_id)
    form = RunStartForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        run = _start(request, cohort, form.cleaned_data["objective"])
        if run is not None:
            return redirect(_run_url(run, org_slug))
        return redirect("match_cohort_runs", org_slug=org_slug, cohort_id=cohort.pk)
    return _cohort_page(request, cohort, form=form)


def _weights_form(cohort, data=None) -> WeightsForm:
    return WeightsForm(data, labels=FACTOR_LABELS, initial_weights=cohort.program.effective_matching_weights)


def _cohort_page(request, cohort, *, form=None, weights_form=None):
    form = form or RunStartForm()
    weights_form = weights_form or _weights_form(cohort)
    runs = MatchRun.objects.filter(cohort=cohort).select_related("started_by__user")
    context = {"cohort": cohort, "program": cohort.program, "form": form, "runs": runs, "weights_form": weights_form,
               "published": services.cohort_published(cohort.pk)}  # fmt: skip
    return render(
        request, "matching/cohort_runs.html", context, status=400 if form.errors or weights_form.errors else 200
    )


# --- A program's matching weights ---

PREVIEW_FIGURES = (("matched", "Mentees matched", ""), *FIGURES)


def _preview_rows(preview: dict) -> list[dict]:
    """figure | current weights | proposed weights | change, formatted."""
    rows = []
    for key, label, unit in PREVIEW_FIGURES:
        current, proposed = float(preview["current"][key]), float(preview["proposed"][key])
        rows.append(
            {
                "key": key,
                "label": label,
                "current_text": _number(current, unit),
                "proposed_text": _number(proposed, unit),
                "change_text": _number(proposed - current, unit, signed=True) if proposed != current else "—",
                "changed": proposed != current,
            }
        )
    return rows


@require_POST
@matching_admin_required
def weights_preview(request, org_slug, cohort_id):
    """The figures a run would give with the saved weights and with the posted ones, side by side; writes nothing.
    htmx gets the partial (errors included, status 200 so htmx swaps it); a plain POST gets 400 on errors."""
    cohort = access_cohort_by_id(cohort_id)
    weights_form = _weights_form(cohort, request.POST)
    context = {"cohort": cohort, "weights_form": weights_form}
    if weights_form.is_valid():
        preview = services.match_weights_preview(cohort=cohort, weights=weights_form.cleaned_data["weights"])
        context |= {"preview": preview, "rows": _preview_rows(preview)}
    status = 400 if weights_form.errors and not request.htmx else 200
    return render(request, "matching/_weights_preview.html", context, status=status)


@require_POST
@matching_admin_required
def weights_save(request, org_slug, cohort_id):
    """Save the posted weights as the program's; later runs of its cohorts use them."""
    cohort = access_cohort_by_id(cohort_id)
    weights_form = _weights_form(cohort, request.POST)
    if not weights_form.is_valid():
        return _cohort_page(request, cohort, weights_form=weights_form)
    try:
        services.program_matching_weights_set(program=cohort.program, weights=weights_form.cleaned_data["weights"])
    except ValidationError as error:
        weights_form.add_error("weights", error.messages)
        return _cohort_page(request, cohort, weights_form=weights_form)
    messages.success(request, f"Matching weights saved for {cohort.program.name}; the next run uses them.")
    return redirect("match_cohort_runs", org_slug=org_slug, cohort_id=cohort.pk)


# --- One run ---


def _number(value: float, unit: str, *, signed: bool = False) -> str:
    """Percentages with one decimal (none when whole), scores with two; a difference in percent is in points."""
    if unit == "%":
        text = f"{value:.1f}".removesuffix(".0")
        text = f"+{text}" if signed and value > 0 else text
        return f"{text} pts" if signed else f"{text}%"
    text = f"{value:.2f}" if unit == "score" else f"{value:g}"
    return f"+{text}" if signed and value > 0 else text


def _figures(summary: dict) -> list[dict]:
    """The run's figures next to greedy's on the same scores, formatted, with the widths of their bars."""
    greedy = summary.get("greedy") or {}
    rows = []
    for key, label, unit in FIGURES:
        ours, theirs = summary.get(key), greedy.get(key)
        if ours is None:
            continue
        ours, theirs = float(ours), None if theirs is None else float(theirs)
        top = max(ours, theirs or 0.0) or 1.0
        row = {
            "key": key,
            "label": label,
            "optimal": ours,
            "greedy": theirs,
            "optimal_text": _number(ours, unit),
            "greedy_text": "—" if theirs is None else _number(theirs, unit),
            "gain_text": "—" if theirs is None else _number(ours - theirs, unit, signed=True),
            "better": theirs is not None and ours > theirs,
            "optimal_width": round(100 * ours / top),
            "greedy_width": round(100 * (theirs or 0.0) / top),
        }
        if key == "matched_pct" and "matched" in summary:
            mentees = summary.get("mentees", 0)
            row["optimal_text"] += f" ({summary['matched']} of {mentees})"
            if "matched" in greedy:
                row["greedy_text"] += f" ({greedy['matched']} of {mentees})"
        rows.append(row)
    return rows


def _explain(proposal: MatchProposal, weights: dict[str, float], total: float) -> None:
    """Attach the score bar width and one bar per factor (its contribution against the most it could give)."""
    proposal.score_width = max(0, min(100, round(100 * proposal.score / total))) if total else 0
    proposal.factor_bars = []
    for name in FACTORS:
        weight = float(weights.get(name, 0) or 0)
        value = float((proposal.factors or {}).get(name, 0) or 0)
        if not weight and not value:
            continue
        proposal.factor_bars.append(
            {
                "label": FACTOR_LABELS.get(name, name),
                "value": value,
                "weight": weight,
                "width": max(0, min(100, round(100 * value / weight))) if weight else 0,
            }
        )


def _proposals(run: MatchRun):
    weights = {**DEFAULT_WEIGHTS, **(run.weights or {})}
    total = sum(float(value) for value in weights.values())
    proposals = list(MatchProposal.objects.filter(run=run).select_related(*PAIR))
    for proposal in proposals:
        _explain(proposal, weights, total)
    return proposals


def _mentors(cohort) -> list[Application]:
    """The cohort's accepted mentors, the choices of the hand-pick form (one query)."""
    return list(
        Application.objects.filter(cohort=cohort, role=Application.Role.MENTOR, status=Application.Status.ACCEPTED)
        .select_related(*APPLICANT)
        .order_by("membership__user__full_name", "pk")
    )


@matching_admin_required
def run_detail(request, org_slug, run_id):
    run = access_run_by_id(run_id)
    context = {
        "run": run, "cohort": run.cohort, "program": run.cohort.program,
        "cohort_published": services.cohort_published(run.cohort_id),
    }  # fmt: skip
    if run.status == MatchRun.Status.DONE:
        context |= {
            "figures": _figures(run.summary or {}),
            "proposals": _proposals(run),
            "unmatched": list(run.unmatched.select_related(*(f"mentee__{path}" for path in APPLICANT))),
            "newer_run": services.newer_run(run),
            "publication": services.run_publication(run),
        }
    return render(request, "matching/run_detail.html", context)


@matching_admin_required
def run_status(request, org_slug, run_id):
    """The progress partial the run page polls while the run is queued or running; once it has finished, the whole
    page reloads to show the results."""
    run = access_run_by_id(run_id)
    response = render(request, "matching/_run_status.html", {"run": run})
    if not run.is_running and request.htmx:
        response["HX-Refresh"] = "true"
    return response


@require_POST
@matching_admin_required
def run_rerun(request, org_slug, run_id):
    """A new run of the same cohort and objective: it keeps the locked and hand-picked pairs, avoids rejected ones."""
    run = access_run_by_id(run_id)
    new_run = _start(request, run.cohort, run.objective)
    return redirect(_run_url(new_run or run, org_slug))


@require_POST
@matching_admin_required
def run_publish(request, org_slug, run_id):
    """Publish the run: its pairs become mentorships and both sides get an email."""
    run = access_run_by_id(run_id)
    try:
        mentorships = services.match_run_publish(run=run, published_by=request.membership)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request, f"Published: {len(mentorships)} mentorships created; mentors and mentees are notified."
        )
    return redirect(_run_url(run, org_slug))


# --- Decisions ---


def _decide(request, org_slug, proposal_id, service, done: str):
    proposal = access_proposal_by_id(proposal_id)
    run = proposal.run
    error = ""
    try:
        proposal = service(proposal=proposal)
    except ValidationError as exc:
        error = _error_text(exc)
    if request.htmx:
        proposal = MatchProposal.objects.select_related(*PAIR).get(pk=proposal.pk)
        weights = {**DEFAULT_WEIGHTS, **(run.weights or {})}
        _explain(proposal, weights, sum(float(value) for value in weights.values()))
        context = {"run": run, "proposal": proposal, "row_error": error}
        return render(request, "matching/_proposal_row.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return redirect(_run_url(run, org_slug, f"proposal-{proposal.pk}"))


@require_POST
@matching_admin_required
def proposal_lock(request, org_slug, proposal_id):
    return _decide(request, org_slug, proposal_id, services.proposal_lock, "Pair locked: a re-run keeps it.")


@require_POST
@matching_admin_required
def proposal_reject(request, org_slug, proposal_id):
    return _decide(request, org_slug, proposal_id, services.proposal_reject, "Pair rejected: a re-run avoids it.")


@matching_admin_required
def proposal_hand_pick(request, org_slug, run_id):
    """GET: the form that picks a mentor for one mentee (`?mentee=`), loaded when its <details> opens (a page of its
    own without htmx). POST: hand-pick through the service, then back to the run with its warnings."""
    run = access_run_by_id(run_id)
    if request.method != "POST":
        return _hand_pick_form(request, run)
    form = HandPickForm(request.POST, cohort=run.cohort)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label if field in form.fields else 'Hand-pick'}: "
                           f"{' '.join(errors)}")  # fmt: skip
        return redirect(_run_url(run, org_slug))
    mentee, mentor = form.cleaned_data["mentee"], form.cleaned_data["mentor"]
    try:
        proposal = services.proposal_hand_pick(run=run, mentee=mentee, mentor=mentor)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect(_run_url(run, org_slug))
    warnings = [warning.get("message", "") if isinstance(warning, dict) else str(warning)
                for warning in proposal.warnings or []]  # fmt: skip
    text = f"{mentor.membership} hand-picked for {mentee.membership}."
    if warnings:
        messages.warning(request, f"{text} Warning: {' '.join(warnings)}")
    else:
        messages.success(request, text)
    return redirect(_run_url(run, org_slug, f"proposal-{proposal.pk}"))


def _hand_pick_form(request, run: MatchRun):
    try:
        mentee = (
            Application.objects.select_related(*APPLICANT)
            .filter(cohort_id=run.cohort_id, role=Application.Role.MENTEE, status=Application.Status.ACCEPTED)
            .get(pk=request.GET.get("mentee"))
        )
    except (Application.DoesNotExist, ValueError, TypeError):
        raise Http404("No such mentee in this cohort.") from None
    current = MatchProposal.objects.filter(run=run, mentee=mentee).values_list("mentor_id", flat=True).first()
    taken = dict(
        MatchProposal.objects.filter(run=run)
        .exclude(state=MatchProposal.State.REJECTED)
        .values_list("mentor_id")
        .annotate(count=Count("id"))
    )
    mentors = _mentors(run.cohort)
    for mentor in mentors:
        mentor.taken = taken.get(mentor.pk, 0)
    context = {"run": run, "cohort": run.cohort, "mentee": mentee, "mentors": mentors, "current": current}
    template = "matching/_hand_pick_form.html" if request.htmx else "matching/hand_pick.html"
    return render(request, template, context)
