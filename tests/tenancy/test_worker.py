"""A real Celery worker process, on real Redis, runs tenant tasks: the organization arrives and RLS applies."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from urllib.parse import quote

import pytest
from django.db import connection

from mentorship.celery import app
from mentorship.tenancy.tasks import invitations_expire_all_task, scope_probe_task
from tests import factories

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def database_url(settings_dict) -> str:
    host = settings_dict["HOST"] or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    user = quote(settings_dict["USER"])
    password = quote(settings_dict["PASSWORD"] or "")
    return f"postgresql://{user}:{password}@{quote(host, safe='')}{port}/{settings_dict['NAME']}"


@pytest.fixture
def worker():
    """A worker process on a queue of its own, connected to the test database as the app role."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "mentorship",
            "worker",
            "--pool",
            "solo",
            "-Q",
            queue,
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            replies = app.control.ping(timeout=0.5)
            if replies:
                break
            assert process.poll() is None, "the worker exited during start-up"
        else:
            pytest.fail("the worker did not answer a ping within 60 s")
        yield queue
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_tenant_task_runs_in_its_organization_with_rls_in_the_worker(worker, tenants):
    tenant_a, tenant_b = tenants
    with tenant_b.scope():
        factories.make_department("Beta Only")
    report_a = scope_probe_task.apply_async(kwargs={"organization_id": tenant_a.organization.pk}, queue=worker).get(
        timeout=30
    )
    report_b = scope_probe_task.apply_async(kwargs={"organization_id": tenant_b.organization.pk}, queue=worker).get(
        timeout=30
    )
    assert report_a == {
        "scope": tenant_a.organization.pk,
        "role": "mentorship_app",
        "setting": str(tenant_a.organization.pk),
        "departments_visible": 2,
        "organizations_visible": 1,
    }
    assert report_b["scope"] == tenant_b.organization.pk and report_b["departments_visible"] == 3


def test_tenant_task_without_an_organization_fails_instead_of_running_unscoped(worker, tenants):
    with pytest.raises(TypeError, match="organization_id"):  # refused before it is even sent
        scope_probe_task.apply_async(kwargs={}, queue=worker)
    result = scope_probe_task.apply_async(kwargs={"organization_id": None}, queue=worker)
    with pytest.raises(TypeError, match="is a tenant task"):  # and refused in the worker
        result.get(timeout=30)


def test_nightly_fan_out_reaches_every_organization(worker, tenants):
    # The fan-out enqueues one tenant task per organization (on the default queue, which nobody consumes here);
    # it runs in the worker and counts both organizations.
    assert invitations_expire_all_task.apply_async(queue=worker).get(timeout=30) == 2
