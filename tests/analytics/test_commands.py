"""manage.py backfill_metrics: every organization or one, with progress; bad input is a clear error."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from analytics.models import MetricsRun
from tests.analytics.conftest import figures


def test_backfill_computes_each_organization_with_progress(data, tenant_a, tenant_b):
    out = io.StringIO()
    call_command("backfill_metrics", stdout=out)
    text = out.getvalue()
    for slug in (tenant_a.organization.slug, tenant_b.organization.slug):
        assert f"{slug}: 100% Done" in text and f"{slug}: succeeded" in text
    assert f"{tenant_a.organization.slug}:  62% Matches" in text  # a line per phase: the reads, then each family
    assert ("participation_rate", "cohort", data.cohort.pk, 0, "2026-01", "") in figures(tenant_a)


def test_backfill_one_organization_from_a_month(data, tenant_a, tenant_b):
    out = io.StringIO()
    call_command("backfill_metrics", "--org", tenant_a.organization.slug, "--from", "2026-02", stdout=out)
    assert tenant_b.organization.slug not in out.getvalue()
    with tenant_a.scope():
        run = MetricsRun.objects.get()
    assert run.mode == MetricsRun.Mode.FULL and run.from_month == "2026-02" and run.periods[0] == "2026-02"
    with tenant_b.scope():
        assert not MetricsRun.objects.exists()


@pytest.mark.parametrize("args, message", [(["--org", "nope"], "No organization"), (["--from", "26-1"], "YYYY-MM")])
def test_backfill_refuses_bad_input(tenant_a, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("backfill_metrics", *args, stdout=io.StringIO())
