"""The demo's completed match run: Acme's "Leaders of Tomorrow" has a finished, published run with group mentorships;
seeding again adds nothing."""

from __future__ import annotations

from matching.models import MatchProposal, MatchRun
from mentorship.tenancy.models import Organization
from mentorship.tenancy.scope import tenant_scope
from programs.models import Cohort, Mentorship, MentorshipMentee, Program
from tests.tenancy.test_demo import seed


def matching_counts() -> dict[str, tuple[int, int, int]]:
    result = {}
    for organization in Organization.objects.all():
        with tenant_scope(organization):
            result[organization.slug] = (
                MatchRun.objects.count(),
                Mentorship.objects.count(),
                MentorshipMentee.objects.count(),
            )
    return result


def test_leaders_of_tomorrow_has_a_published_run_and_seeding_twice_adds_nothing(db):
    output = seed()
    first = matching_counts()
    seed()
    assert matching_counts() == first
    # Globex: only the small trial round of its pilot (programs.demo_workspace).
    assert first["globex"][0] == 1 and first["globex"][1] <= 3
    acme = Organization.objects.get(slug="acme")
    with tenant_scope(acme):
        cohort = Cohort.objects.select_related("program").get(program__name="Leaders of Tomorrow")
        run = MatchRun.objects.get(cohort=cohort)
        assert run.status == MatchRun.Status.DONE and run.summary["matched"] > 0
        mentorships = list(Mentorship.objects.filter(cohort=cohort).prefetch_related("mentees"))
        assert mentorships and {m.format for m in mentorships} == {Program.Format.GROUP}
        assert all(1 <= len(m.mentees.all()) <= cohort.program.ratio for m in mentorships)
        assert sum(len(m.mentees.all()) for m in mentorships) == run.summary["matched"]
        assert {m.run_id for m in mentorships} == {run.pk}
        assert all(m.published_by.user.email == "programs@acme.example" for m in mentorships)
        assert set(MatchProposal.objects.filter(run=run).values_list("state", flat=True)) == {"published"}
        assert cohort.status == Cohort.Status.ACTIVE
        # The other runs are those of the workspace demo's cohorts (programs.demo_workspace), one each.
        others = MatchRun.objects.exclude(cohort=cohort).values_list("cohort__program__name", flat=True)
        assert sorted(others) == ["Cross-Team Mentoring", "Skills Exchange"]
    assert "mentorships" in output
