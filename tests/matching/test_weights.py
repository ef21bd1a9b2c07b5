"""Per-program matching weights: effective weights, validation on `weights`, a preview that writes nothing and
shows how the figures change, saving (a new run records the saved weights), roles and the isolation pair."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from matching import services
from matching.algorithms import DEFAULT_WEIGHTS
from matching.models import MatchProposal, MatchRun, UnmatchedMentee
from mentorship.tenancy.models import Role
from programs.models import Application, ApplicationSkill, Program
from tests import factories
from tests.conftest import login

HTMX = {"HX-Request": "true"}
MENTEE, MENTOR = Application.Role.MENTEE, Application.Role.MENTOR


def url(name, tenant, **kwargs):
    return reverse(name, kwargs={"org_slug": tenant.organization.slug, **kwargs})


def apply(cohort, department, role, skill, level, target=None, **fields):
    membership = factories.make_membership(department=department, languages=["en"])
    application = factories.make_application(
        cohort, membership, role=role, status=Application.Status.ACCEPTED, languages=["en"], **fields
    )
    ApplicationSkill.objects.create(application=application, skill=skill, level=level, target_level=target)
    return application


def flip_cohort(tenant):
    """One mentee (Sales) wanting Architecture 1 -> 3, two mentors with one seat each:
    `same` (Sales, Architecture 3: skills 1.0, same department) and `other` (Engineering, Architecture 2: skills 0.5).
    Cross-functional is preferred: with the default weights `same` wins (0.45 > 0.225 + 0.15); with a
    cross-functional weight of 10 `other` wins, so the cross-department share goes from 0% to 100%."""
    engineering, sales = tenant.departments
    with tenant.scope():
        skill = factories.make_skill("Architecture")
        program = factories.make_program(
            skills=[skill], status=Program.Status.OPEN, cross_functional=Program.CrossFunctional.PREFERRED
        )
        cohort = factories.make_cohort(program)
        mentee = apply(cohort, sales, MENTEE, skill, 1, 3)
        same = apply(cohort, sales, MENTOR, skill, 3, capacity=1)
        other = apply(cohort, engineering, MENTOR, skill, 2, capacity=1)
    return cohort, mentee, same, other


def counts(tenant):
    with tenant.scope():
        return MatchRun.objects.count(), MatchProposal.objects.count(), UnmatchedMentee.objects.count()


def saved_weights(tenant, program):
    with tenant.scope():
        return Program.objects.get(pk=program.pk).matching_weights


def run_now(cohort):
    run = services.match_run_start(cohort=cohort, started_by=None)
    run = MatchRun.objects.select_related("cohort__program").get(pk=run.pk)
    return services.match_run_execute(run=run)


@pytest.fixture
def program_admin(tenant_a):
    with tenant_a.scope():
        return factories.make_membership(
            factories.make_user("programs@org-alpha.test", "Pia Programs"), roles=[Role.PROGRAM_ADMIN]
        )


# --- Effective weights and validation ---


def test_effective_weights_are_the_defaults_updated_by_the_saved_ones(tenant_a):
    with tenant_a.scope():
        program = factories.make_program()
        assert program.matching_weights == {}
        assert program.effective_matching_weights == DEFAULT_WEIGHTS
        effective = services.program_matching_weights_set(program=program, weights={"skills": 2, "themes": "0.5"})
        assert effective == {**DEFAULT_WEIGHTS, "skills": 2.0, "themes": 0.5}
        program.refresh_from_db()
        assert program.matching_weights == {"skills": 2.0, "themes": 0.5}
        assert program.effective_matching_weights == effective


@pytest.mark.parametrize(
    "weights",
    [
        {"charm": 1},
        {"skills": 10.5},
        {"skills": -1},
        {"skills": "abc"},
        {"skills": None},
        {"skills": float("nan")},
        {"skills": True},
        ["skills"],
    ],
)
def test_invalid_weights_are_refused_on_the_weights_field(tenant_a, weights):
    with tenant_a.scope():
        program = factories.make_program()
        with pytest.raises(ValidationError) as error:
            services.program_matching_weights_set(program=program, weights=weights)
        assert set(error.value.message_dict) == {"weights"}
        cohort = factories.make_cohort(program)
        with pytest.raises(ValidationError) as error:
            services.match_weights_preview(cohort=cohort, weights=weights)
        assert set(error.value.message_dict) == {"weights"}
    assert saved_weights(tenant_a, program) == {}


@pytest.mark.parametrize(
    "data", [{"weight_skills": "11"}, {"weight_skills": "-0.5"}, {"weight_skills": "lots"}, {"weight_charm": "1"}]
)
def test_the_page_answers_400_with_the_error_on_weights_and_saves_nothing(client, tenant_a, data):
    cohort, *_ = flip_cohort(tenant_a)
    login(client, tenant_a.admin)
    response = client.post(url("match_weights_save", tenant_a, cohort_id=cohort.pk), data)
    assert response.status_code == 400
    assert b'id="id_weights_error"' in response.content
    assert b"Weights: " in response.content
    assert saved_weights(tenant_a, cohort.program) == {}
    response = client.post(url("match_weights_preview", tenant_a, cohort_id=cohort.pk), data)
    assert response.status_code == 400
    assert b'id="id_weights_error"' in response.content
    response = client.post(url("match_weights_preview", tenant_a, cohort_id=cohort.pk), data, headers=HTMX)
    assert response.status_code == 200  # htmx swaps 2xx only: the partial shows the error
    assert b'id="id_weights_error"' in response.content
    assert counts(tenant_a) == (0, 0, 0)


# --- Preview ---


def test_the_preview_writes_nothing_and_shows_how_the_figures_change(tenant_a):
    cohort, *_ = flip_cohort(tenant_a)
    with tenant_a.scope():
        preview = services.match_weights_preview(cohort=cohort, weights={"cross_functional": 10})
    assert counts(tenant_a) == (0, 0, 0)
    current, proposed = preview["current"], preview["proposed"]
    assert current["matched"] == proposed["matched"] == 1
    assert current["cross_department_share"] == 0.0
    assert proposed["cross_department_share"] == 100.0
    assert current["departments_covered"] == 1 and proposed["departments_covered"] == 2
    assert proposed["mean_score"] > current["mean_score"]
    assert preview["current_weights"] == DEFAULT_WEIGHTS
    assert preview["proposed_weights"] == {**DEFAULT_WEIGHTS, "cross_functional": 10.0}
    with tenant_a.scope():
        same = services.match_weights_preview(cohort=cohort, weights={})
    assert same["current"] == same["proposed"] == current


def test_the_preview_partial_compares_current_and_proposed_weights(client, tenant_a, program_admin):
    cohort, *_ = flip_cohort(tenant_a)
    page = login(client, program_admin).get(url("match_cohort_runs", tenant_a, cohort_id=cohort.pk))
    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="weight_cross_functional"' in content and 'step="0.05"' in content
    assert "Other department" in content and "Preview" in content and "Save weights" in content
    response = client.post(
        url("match_weights_preview", tenant_a, cohort_id=cohort.pk), {"weight_cross_functional": "10"}, headers=HTMX
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "Current weights" in content and "Proposed weights" in content and "Change" in content
    assert '<tr data-figure="cross_department_share"><th scope="row">Cross-department pairs</th><td>0%</td>' in content
    assert "<td>100%</td><td><strong>+100 pts</strong></td>" in content
    assert counts(tenant_a) == (0, 0, 0)
    assert saved_weights(tenant_a, cohort.program) == {}


# --- Saving ---


def test_saving_persists_and_a_new_run_records_and_uses_the_saved_weights(client, tenant_a, program_admin):
    cohort, mentee, same, other = flip_cohort(tenant_a)
    with tenant_a.scope():
        before = run_now(cohort)
        assert before.weights == DEFAULT_WEIGHTS
        assert dict(MatchProposal.objects.filter(run=before).values_list("mentee_id", "mentor_id")) == {
            mentee.pk: same.pk
        }
    login(client, program_admin)
    response = client.post(
        url("match_weights_save", tenant_a, cohort_id=cohort.pk),
        {"weight_cross_functional": "10", "weight_skills": "0.45", "weight_themes": ""},
        follow=True,
    )
    assert response.status_code == 200
    assert b"Matching weights saved" in response.content
    assert saved_weights(tenant_a, cohort.program) == {"cross_functional": 10.0, "skills": 0.45}
    assert b'name="weight_cross_functional" value="10"' in response.content
    with tenant_a.scope():
        cohort.program.refresh_from_db()
        after = run_now(cohort)
        assert after.weights == {**DEFAULT_WEIGHTS, "cross_functional": 10.0}
        assert dict(MatchProposal.objects.filter(run=after).values_list("mentee_id", "mentor_id")) == {
            mentee.pk: other.pk
        }
        # An explicit weights= still wins over the program's.
        explicit = services.match_run_start(cohort=cohort, started_by=None, weights={"cross_functional": 0})
        assert explicit.weights["cross_functional"] == 0.0


# --- Roles and isolation ---


@pytest.mark.parametrize("roles", [[], [Role.HR_ANALYST]])
def test_weights_are_forbidden_to_members_without_an_admin_role(client, tenant_a, roles):
    cohort, *_ = flip_cohort(tenant_a)
    with tenant_a.scope():
        person = factories.make_membership(roles=roles)
    login(client, person)
    for name in ("match_weights_save", "match_weights_preview"):
        page = url(name, tenant_a, cohort_id=cohort.pk)
        assert client.post(page, {"weight_skills": "3"}).status_code == 403, name
        assert client.post(page, {"weight_skills": "3"}, headers=HTMX).status_code == 403, name
    assert saved_weights(tenant_a, cohort.program) == {}
    assert counts(tenant_a) == (0, 0, 0)


def test_another_organizations_cohort_is_404_and_nothing_changes(client, tenants):
    tenant_a, tenant_b = tenants
    cohort, *_ = flip_cohort(tenant_b)
    login(client, tenant_a.admin)
    for name in ("match_weights_save", "match_weights_preview"):
        page = url(name, tenant_a, cohort_id=cohort.pk)
        assert client.post(page, {"weight_skills": "3"}).status_code == 404, name
        assert client.post(page, {"weight_skills": "3"}, headers=HTMX).status_code == 404, name
    assert saved_weights(tenant_b, cohort.program) == {}
    assert counts(tenant_b) == (0, 0, 0)
    # The same requests on its own organization's cohort work (the other half of the pair).
    own, *_ = flip_cohort(tenant_a)
    response = client.post(url("match_weights_save", tenant_a, cohort_id=own.pk), {"weight_skills": "3"})
    assert response.status_code == 302
    assert saved_weights(tenant_a, own.program) == {"skills": 3.0}


# --- API: GET/PUT cohorts/<id>/matching-weights/ and POST .../preview/ ---


def api(tenant, cohort, suffix=""):
    return f"/api/orgs/{tenant.organization.slug}/cohorts/{cohort.pk}/matching-weights/{suffix}"


def test_the_api_reads_and_replaces_the_programs_weights_and_a_run_uses_them(
    client, tenant_a, program_admin, monkeypatch
):
    monkeypatch.setattr("matching.tasks.match_run_task.delay", lambda **kwargs: None)
    cohort, *_ = flip_cohort(tenant_a)
    login(client, program_admin)
    body = client.get(api(tenant_a, cohort)).json()
    assert body == {"program_id": cohort.program_id, "weights": DEFAULT_WEIGHTS, "saved": {},
                    "defaults": DEFAULT_WEIGHTS}  # fmt: skip
    response = client.put(api(tenant_a, cohort), {"weights": {"cross_functional": 10, "skills": 2.5}},
                          content_type="application/json")  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["saved"] == {"cross_functional": 10.0, "skills": 2.5}
    assert response.json()["weights"] == {**DEFAULT_WEIGHTS, "cross_functional": 10.0, "skills": 2.5}
    assert client.get(api(tenant_a, cohort)).json() == response.json()
    assert saved_weights(tenant_a, cohort.program) == {"cross_functional": 10.0, "skills": 2.5}
    with tenant_a.scope():
        fresh = type(cohort).objects.select_related("program").get(pk=cohort.pk)
        run = services.match_run_start(cohort=fresh, started_by=None)
        assert run.weights == {**DEFAULT_WEIGHTS, "cross_functional": 10.0, "skills": 2.5}
    # PUT replaces: {} goes back to the defaults.
    assert client.put(api(tenant_a, cohort), {"weights": {}}, content_type="application/json").status_code == 200
    assert saved_weights(tenant_a, cohort.program) == {}


@pytest.mark.parametrize("path", ["", "preview/"])
def test_bad_weights_are_400s_naming_each_factor_and_change_nothing(client, tenant_a, path):
    cohort, *_ = flip_cohort(tenant_a)
    login(client, tenant_a.admin)

    def send(data):
        if path:
            return client.post(api(tenant_a, cohort, path), data, content_type="application/json")
        return client.put(api(tenant_a, cohort, path), data, content_type="application/json")

    response = send({"weights": {"charm": 1, "skills": 10.5, "themes": -1, "language": True, "seniority": 3}})
    assert response.status_code == 400
    errors = response.json()["weights"]
    assert set(errors) == {"charm", "skills", "themes", "language"}
    assert "Unknown factor 'charm'" in errors["charm"][0] and "from 0 to 10" in errors["skills"][0]
    for data in ({}, {"weights": ["skills"]}, {"weights": "skills=1"}):
        response = send(data)
        assert response.status_code == 400 and set(response.json()) == {"weights"}, data
    if path:
        response = send({"weights": {"skills": 1}, "objective": "fastest"})
        assert response.status_code == 400 and set(response.json()) == {"objective"}
    assert saved_weights(tenant_a, cohort.program) == {}
    assert counts(tenant_a) == (0, 0, 0)


def test_the_api_preview_gives_both_sets_of_figures_side_by_side_and_writes_nothing(client, tenant_a):
    cohort, *_ = flip_cohort(tenant_a)
    login(client, tenant_a.admin)
    response = client.post(api(tenant_a, cohort, "preview/"), {"weights": {"cross_functional": 10}},
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["current_weights"] == DEFAULT_WEIGHTS
    assert body["proposed_weights"] == {**DEFAULT_WEIGHTS, "cross_functional": 10.0}
    assert (body["current"]["cross_department_share"], body["proposed"]["cross_department_share"]) == (0.0, 100.0)
    assert body["current"]["matched"] == body["proposed"]["matched"] == 1
    assert body["change"]["cross_department_share"] == 100.0 and body["change"]["matched"] == 0
    assert set(body["current"]) == {"mentees", "mentors", "matched", "matched_pct", "mean_score", "total_score",
                                    "cross_department_share", "departments_covered"}  # fmt: skip
    assert saved_weights(tenant_a, cohort.program) == {}
    assert counts(tenant_a) == (0, 0, 0)


def test_the_api_answers_404_for_another_organizations_cohort_and_changes_nothing(client, tenants):
    tenant_a, tenant_b = tenants
    theirs, *_ = flip_cohort(tenant_b)
    mine, *_ = flip_cohort(tenant_a)
    login(client, tenant_a.admin)
    payload = {"weights": {"skills": 9}}
    for method, path in (("get", ""), ("put", ""), ("post", "preview/")):
        for url_ in (api(tenant_a, theirs, path), api(tenant_b, theirs, path), api(tenant_b, mine, path)):
            if method == "get":
                response = client.get(url_)
            else:
                response = getattr(client, method)(url_, payload, content_type="application/json")
            assert response.status_code == 404, (method, url_)
    assert saved_weights(tenant_b, theirs.program) == {} and saved_weights(tenant_a, mine.program) == {}
    assert counts(tenant_b) == (0, 0, 0)
    # My own cohort's weights do answer.
    assert client.get(api(tenant_a, mine)).json()["program_id"] == mine.program_id
