"""Steps that several browser tests share."""

from __future__ import annotations

from tests import factories


def log_in(page, live_server, email: str, *, lands_on: str | None = None) -> None:
    """Log in through the real login form; with `lands_on`, wait until the browser arrives there."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_login").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    if lands_on is not None:
        page.wait_for_url(f"{live_server.url}{lands_on}")
    else:
        page.wait_for_load_state()
