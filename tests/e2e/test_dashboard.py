"""An HR analyst opens the HR dashboard in a real browser, filters it by program, sees the charts drawn by plotly.js
(served from the plotly wheel, under the Content-Security-Policy) and downloads a CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect

from tests.analytics.dashboard_data import full_scope, hr_analyst, program_with_admin
from tests.e2e.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_hr_analyst_filters_the_dashboard_sees_a_chart_and_downloads_a_csv(page, live_server, tenants, artifacts):
    tenant_a, tenant_b = tenants
    program, _ = program_with_admin(tenant_a, "Build Together", created_by=tenant_a.admin)
    full_scope(tenant_a, base=40.0)
    full_scope(tenant_a, scope=("program", program.pk), base=30.0)
    full_scope(tenant_b, base=70.0)
    hr_analyst(tenant_a)
    slug = tenant_a.organization.slug
    # A Content-Security-Policy violation (eval, inline script) shows as a console error; a missing static file as
    # a failed response (the browser's own /favicon.ico request aside).
    problems = []
    page.on(
        "console", lambda m: m.type == "error" and "Failed to load resource" not in m.text and problems.append(m.text)
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda r: r.status >= 400 and "favicon" not in r.url and problems.append(f"{r.status} {r.url}"))

    log_in(page, live_server, f"hr@{slug}.test", lands_on=f"/o/{slug}/")
    page.get_by_role("navigation", name="Org Alpha").get_by_role("link", name="HR dashboard").click()
    page.wait_for_url(f"{live_server.url}/o/{slug}/analytics/")
    expect(page.locator("#card-participation_rate")).to_contain_text("40.5 %")

    page.get_by_label("Program").select_option(label="Build Together")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(f"**/analytics/?program={program.pk}**")
    expect(page.locator("#card-participation_rate")).to_contain_text("30.5 %")

    # plotly.js drew the trend: an SVG with one point per month, and the baseline-free legend of the line.
    chart = page.locator('[data-chart="figure-trend-participation_rate"]')
    expect(chart).to_have_attribute("data-rendered", "true")
    expect(chart.locator("svg.main-svg").first).to_be_visible()
    expect(chart.locator(".scatterlayer .point")).to_have_count(3)
    expect(
        page.locator(
            '[data-chart="figure-collaboration"] .heatmaplayer, [data-chart="figure-collaboration"] image'
        ).first
    ).to_be_attached()
    page.screenshot(path=artifacts / "dashboard.png", full_page=True)

    section = page.locator("#section-department-gap")
    with page.expect_download() as download_info:
        section.get_by_role("link", name="CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith(f"{slug}-department-gap-")
    rows = list(csv.reader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    assert rows == [["Department", "Participation rate", "People"], ["Engineering", "30", "10"], ["Sales", "35", "10"]]

    # The printable impact report of the same program, in print media: no navigation, the charts drawn.
    page.get_by_role("link", name="Printable impact report").click()
    page.wait_for_url(f"**/analytics/report/?program={program.pk}**")
    expect(page.get_by_role("heading", name="Impact report: Build Together")).to_be_visible()
    expect(page.locator('[data-chart="figure-capability"]')).to_have_attribute("data-rendered", "true")
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Org Alpha")).to_be_hidden()
    page.screenshot(path=artifacts / "impact-report-print.png", full_page=True)
    assert problems == []
