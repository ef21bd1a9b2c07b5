"""The HR dashboard's cached body (analytics/dashboard_cache.py), against the real Redis and PostgreSQL: it is shared
only by requests that would render the same HTML, and a new computation or new snapshot rows change what is served.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.core.cache import cache
from django.db import connection

from analytics.compute import metrics_run_execute
from analytics.dashboard_cache import KEY_PREFIX
from analytics.models import MetricSnapshot, MetricsRun
from programs.models import MentorshipMentee, ProgramTarget, SessionAttendance, Skill
from tests import factories
from tests.analytics.dashboard_data import COMPUTED_AT, full_scope, hr_analyst, program_admin, program_with_admin, url
from tests.analytics.test_dashboard_computed import NOW, cohort_with_one_group
from tests.conftest import login


def card(response, metric: str) -> str:
    return response.text.split(f'id="card-{metric}"', 1)[1].split("</div>", 1)[0]


def cached_keys(tenant) -> list[bytes]:
    """The organization's cached bodies, straight from Redis."""
    redis = cache._cache.get_client(None)
    return redis.keys(cache.make_key(f"{KEY_PREFIX}:{tenant.organization.pk}:*"))


def succeeded_run(tenant, finished_at=COMPUTED_AT) -> MetricsRun:
    with tenant.scope():
        return MetricsRun.objects.create(
            status=MetricsRun.Status.SUCCEEDED, min_group_size=5, started_at=finished_at, finished_at=finished_at
        )


def set_value_with_sql(tenant, metric: str, value: float) -> None:
    """Change a figure the way the computation writes: SQL, no model signal."""
    with tenant.scope(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE analytics_metricsnapshot SET value = %s WHERE metric = %s AND scope_type = 'organization' "
            "AND department_id = 0 AND period = 'to-date' AND dimension = ''",
            [value, metric],
        )


def test_the_body_is_cached_per_organization_and_served_again(client, tenant_a):
    full_scope(tenant_a)
    succeeded_run(tenant_a)
    login(client, hr_analyst(tenant_a))
    first = client.get(url("analytics_dashboard", tenant_a))
    assert "40.5 %" in card(first, "participation_rate")
    assert len(cached_keys(tenant_a)) == 1

    set_value_with_sql(tenant_a, "participation_rate", 99.0)  # no new run: the cached body is what is served
    again = client.get(url("analytics_dashboard", tenant_a))
    assert "40.5 %" in card(again, "participation_rate") and "99.0 %" not in again.text
    assert len(cached_keys(tenant_a)) == 1


def test_a_new_successful_computation_changes_what_is_served(client, tenant_a):
    """End to end with the real computation: a second held session in March, then a new run."""
    cohort = cohort_with_one_group(tenant_a, mentees=4)
    login(client, hr_analyst(tenant_a))
    params = {"cohort": cohort.pk}
    assert "33.3 %" in card(client.get(url("analytics_dashboard", tenant_a), params), "participation_rate")

    with tenant_a.scope():
        mentorship = MentorshipMentee.objects.filter(mentee__cohort=cohort).first().mentorship
        session = factories.make_session(mentorship, starts_at=datetime(2026, 3, 10, 10, tzinfo=UTC))
        people = [mentorship.mentor.membership] + [
            link.mentee.membership for link in MentorshipMentee.objects.filter(mentorship=mentorship)
        ]
        for membership in people:
            role = "mentor" if membership == mentorship.mentor.membership else "mentee"
            SessionAttendance.objects.create(session=session, membership=membership, role=role, attended=True)
    # Not computed yet: the page still shows the last computation's figures.
    assert "33.3 %" in card(client.get(url("analytics_dashboard", tenant_a), params), "participation_rate")

    with tenant_a.scope():
        run = metrics_run_execute(run=MetricsRun.objects.create(mode=MetricsRun.Mode.FULL), now=NOW)
    assert run.status == MetricsRun.Status.SUCCEEDED, run.error
    # 10 of the 15 participant-months (January to March, five people) now have an attended session.
    page = client.get(url("analytics_dashboard", tenant_a), params)
    assert "66.7 %" in card(page, "participation_rate") and "33.3 %" not in card(page, "participation_rate")


def test_a_run_that_starts_progresses_or_fails_changes_the_key(client, tenant_a):
    full_scope(tenant_a)
    succeeded_run(tenant_a)
    login(client, hr_analyst(tenant_a))
    dashboard = url("analytics_dashboard", tenant_a)
    client.get(dashboard)
    with tenant_a.scope():
        run = MetricsRun.objects.create(status=MetricsRun.Status.RUNNING, progress=0)
    set_value_with_sql(tenant_a, "match_rate", 12.0)  # a running computation writes between progress updates
    assert "12.0 %" in card(client.get(dashboard), "match_rate")

    set_value_with_sql(tenant_a, "match_rate", 13.0)
    with tenant_a.scope():
        MetricsRun.objects.filter(pk=run.pk).update(progress=50)
    assert "13.0 %" in card(client.get(dashboard), "match_rate")

    set_value_with_sql(tenant_a, "match_rate", 14.0)
    with tenant_a.scope():
        MetricsRun.objects.filter(pk=run.pk).update(status=MetricsRun.Status.FAILED, finished_at=NOW)
    assert "14.0 %" in card(client.get(dashboard), "match_rate")


def test_snapshot_rows_saved_through_the_orm_change_what_is_served(client, tenant_a):
    full_scope(tenant_a)
    login(client, hr_analyst(tenant_a))
    dashboard = url("analytics_dashboard", tenant_a)
    assert "40.5 %" in card(client.get(dashboard), "participation_rate")
    with tenant_a.scope():
        row = MetricSnapshot.objects.get(
            metric="participation_rate", scope_type="organization", department_id=0, period="to-date", dimension=""
        )
        row.value = 77.0
        row.save()
    assert "77.0 %" in card(client.get(dashboard), "participation_rate")


def test_a_program_admin_never_sees_another_programs_cached_figures(client, tenant_a):
    first_admin = program_admin(tenant_a, "first@a.test")
    second_admin = program_admin(tenant_a, "second@a.test")
    mine, _ = program_with_admin(tenant_a, "First program", created_by=first_admin)
    theirs, _ = program_with_admin(tenant_a, "Second program", created_by=second_admin)
    full_scope(tenant_a, base=20.0)  # the organization's figures: for HR only
    full_scope(tenant_a, scope=("program", mine.pk), base=30.0)
    full_scope(tenant_a, scope=("program", theirs.pk), base=60.0)
    succeeded_run(tenant_a)

    # HR fills the cache with every scope first.
    login(client, hr_analyst(tenant_a))
    dashboard = url("analytics_dashboard", tenant_a)
    assert "20.5 %" in card(client.get(dashboard), "participation_rate")
    for program in (mine, theirs):
        client.get(dashboard, {"program": program.pk})
    keys = len(cached_keys(tenant_a))

    login(client, first_admin)
    own = client.get(dashboard)  # no program chosen: their newest own program
    assert "30.5 %" in card(own, "participation_rate")
    assert "20.5 %" not in own.text and "60.5 %" not in own.text and "Second program" not in own.text
    refused = client.get(dashboard, {"program": theirs.pk})  # the HR analyst's cached body for it exists
    assert "Check the filters." in refused.text and "Select a valid choice" in refused.text
    assert "60.5 %" not in refused.text and "Second program" not in refused.text
    explicit = client.get(dashboard, {"program": mine.pk})
    assert "30.5 %" in card(explicit, "participation_rate") and "Second program" not in explicit.text

    login(client, second_admin)
    other = client.get(dashboard)
    assert "60.5 %" in card(other, "participation_rate")
    assert "30.5 %" not in other.text and "20.5 %" not in other.text and "First program" not in other.text
    # Program admins got entries of their own, never the HR analyst's.
    assert len(cached_keys(tenant_a)) > keys


def test_another_organization_never_gets_the_cached_page(client, tenants):
    """Two organizations alike in everything the page shows but the figures."""
    tenant_a, tenant_b = tenants
    full_scope(tenant_a, base=40.0)
    full_scope(tenant_b, base=70.0)
    succeeded_run(tenant_a)
    succeeded_run(tenant_b)
    analyst_a = hr_analyst(tenant_a, "hr-a@example.test")
    analyst_b = hr_analyst(tenant_b, "hr-b@example.test")

    login(client, analyst_a)
    assert "40.5 %" in card(client.get(url("analytics_dashboard", tenant_a)), "participation_rate")
    login(client, analyst_b)
    page_b = client.get(url("analytics_dashboard", tenant_b))
    assert "70.5 %" in card(page_b, "participation_rate") and "40.5 %" not in page_b.text
    assert f"/o/{tenant_b.organization.slug}/" in page_b.text and f"/o/{tenant_a.organization.slug}/" not in page_b.text
    assert len(cached_keys(tenant_a)) == 1 and len(cached_keys(tenant_b)) == 1
    # And the analyst of A still may not open B's dashboard, cached or not.
    login(client, analyst_a)
    assert client.get(url("analytics_dashboard", tenant_b)).status_code == 404


def test_the_navigation_and_the_csrf_token_stay_per_request(client, tenant_a):
    full_scope(tenant_a)
    succeeded_run(tenant_a)
    dashboard = url("analytics_dashboard", tenant_a)
    with tenant_a.scope():
        other = factories.make_membership(
            factories.make_user("olga@a.test", "Olga Other"), roles=["hr_analyst"], department=tenant_a.departments[1]
        )
    login(client, hr_analyst(tenant_a))
    first = client.get(dashboard)
    client.logout()
    login(client, other)
    second = client.get(dashboard)

    assert "Log out Hana" in first.text and "Log out Olga" in second.text and "Hana" not in second.text
    token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    assert token.search(first.text).group(1) != token.search(second.text).group(1)
    assert len(cached_keys(tenant_a)) == 1  # the body below the heading was shared


def test_a_new_target_or_a_renamed_department_is_shown_without_a_new_computation(client, tenant_a):
    program, _ = program_with_admin(tenant_a, "Targets", created_by=tenant_a.admin)
    with tenant_a.scope():
        skill = factories.make_skill("Facilitation")
    full_scope(tenant_a, scope=("program", program.pk), skills=[skill])
    succeeded_run(tenant_a)
    login(client, hr_analyst(tenant_a))
    dashboard = url("analytics_dashboard", tenant_a)
    assert "baseline 35" not in client.get(dashboard, {"program": program.pk}).text

    with tenant_a.scope():
        ProgramTarget.objects.create(program=program, metric="participation_rate", baseline=35, target=60)
    assert "baseline 35, target 60" in client.get(dashboard, {"program": program.pk}).text

    with tenant_a.scope():
        Skill.objects.filter(pk=skill.pk).update(name="Running workshops")
    assert "Running workshops" in client.get(dashboard, {"program": program.pk}).text

    with tenant_a.scope():
        department = tenant_a.departments[0]
        department.name = "Platform engineering"
        department.save()
    assert "Platform engineering" in client.get(dashboard, {"program": program.pk}).text
