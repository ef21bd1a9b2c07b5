"""1,000 requests alternating between two organizations on one persistent connection carry no scope over."""

from __future__ import annotations

from django.db import connection
from django.test import Client

REQUESTS = 1000


def test_alternating_requests_never_carry_the_previous_organization(tenants):
    tenant_a, tenant_b = tenants
    with tenant_a.scope():
        from mentorship.tenancy.models import Department

        Department.objects.create(name="Only in Alpha")
    with tenant_b.scope():
        Department.objects.create(name="Only in Beta")
    clients = []
    for tenant in tenants:
        client = Client()
        client.force_login(tenant.admin.user)
        clients.append((tenant, client))

    connection.ensure_connection()
    raw_connection = connection.connection
    leaks = []
    for index in range(REQUESTS):
        tenant, client = clients[index % 2]
        response = client.get(f"/api/orgs/{tenant.organization.slug}/departments/")
        assert response.status_code == 200
        names = {row["name"] for row in response.json()}
        expected = "Only in Alpha" if tenant is tenant_a else "Only in Beta"
        if expected not in names or len(names) != 3:
            leaks.append((index, tenant.organization.slug, names))
        # Between requests the connection holds no organization.
        with raw_connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('app.current_org_id', true)")
            if (cursor.fetchone()[0] or "") != "":
                leaks.append((index, "setting left behind"))
    assert connection.connection is raw_connection, "the test must run on one persistent connection"
    assert leaks == []
