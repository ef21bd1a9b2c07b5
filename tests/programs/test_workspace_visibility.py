"""Who reads which note. A group mentorship (a mentor and two mentees) holds one session with shared notes and a
private note of each participant; every viewer opens the workspace page (and, for participants, the correction
form, which pre-fills the viewer's own note) and sees exactly the texts in the table below.

Shared notes are for the people of the mentorship; a private note for its author alone. Everybody else, however
senior (program admin, org admin, HR analyst) or however close (another participant of the same cohort), gets the
same 404 as a member of another organization.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mentorship.tenancy.models import Role
from programs.workspace import sessions
from tests import factories
from tests.conftest import login
from tests.programs.workspace_setup import make_workspace_pair, url

NOTES = {
    "shared notes": "SHARED-NOTE-OF-THE-MENTORSHIP",
    "private note of the mentor": "PRIVATE-NOTE-OF-THE-MENTOR",
    "private note of the mentee": "PRIVATE-NOTE-OF-THE-MENTEE",
    "private note of the other group mentee": "PRIVATE-NOTE-OF-THE-GROUPMATE",
}
PARTICIPANTS = ("mentor", "mentee", "other group mentee")
VIEWERS = (*PARTICIPANTS, "participant of another match", "program admin", "org admin", "HR analyst", "other org")

# note -> the viewers who read it on the workspace page; everyone else reads none of it.
VISIBLE_TO = {
    "shared notes": {"mentor", "mentee", "other group mentee"},
    "private note of the mentor": {"mentor"},
    "private note of the mentee": {"mentee"},
    "private note of the other group mentee": {"other group mentee"},
}
TABLE = [(note, viewer, viewer in VISIBLE_TO[note]) for note in NOTES for viewer in VIEWERS]


@pytest.fixture
def setting(tenants):
    tenant_a, tenant_b = tenants
    pair = make_workspace_pair(tenant_a, mentees=2)
    neighbour = make_workspace_pair(tenant_a, cohort=pair.cohort)
    with tenant_a.scope():
        session = sessions.session_log(
            mentorship=pair.mentorship, logged_by=pair.mentor, starts_at=timezone.now() - timedelta(days=1),
            duration_minutes=60, shared_notes=NOTES["shared notes"], private_note=NOTES["private note of the mentor"],
        )  # fmt: skip
        session.mentorship = pair.mentorship
        sessions.private_note_set(session=session, author=pair.mentees[0], text=NOTES["private note of the mentee"])
        sessions.private_note_set(
            session=session, author=pair.mentees[1], text=NOTES["private note of the other group mentee"]
        )
        program_admin = factories.make_membership(roles=[Role.PROGRAM_ADMIN])
        hr_analyst = factories.make_membership(roles=[Role.HR_ANALYST])
    viewers = {
        "mentor": (tenant_a, pair.mentor),
        "mentee": (tenant_a, pair.mentees[0]),
        "other group mentee": (tenant_a, pair.mentees[1]),
        "participant of another match": (tenant_a, neighbour.mentee),
        "program admin": (tenant_a, program_admin),
        "org admin": (tenant_a, tenant_a.admin),
        "HR analyst": (tenant_a, hr_analyst),
        "other org": (tenant_b, tenant_b.member),
    }
    return pair, session, viewers


def pages_of(pair, session, tenant):
    """The workspace pages a viewer opens, under the viewer's own organization's address."""
    yield url("mentorship_detail", tenant, mentorship_id=pair.mentorship.pk)
    yield url("mentorship_session_correct", tenant, session_id=session.pk)
    yield url("mentorship_session_feedback", tenant, session_id=session.pk)


@pytest.mark.parametrize(("note", "viewer", "visible"), TABLE, ids=[f"{n} / {v}" for n, v, _ in TABLE])
def test_who_reads_which_note_on_the_workspace_page(client, setting, note, viewer, visible):
    pair, _session, viewers = setting
    tenant, membership = viewers[viewer]
    response = login(client, membership).get(url("mentorship_detail", tenant, mentorship_id=pair.mentorship.pk))
    assert response.status_code == (200 if viewer in PARTICIPANTS else 404)
    assert (NOTES[note] in response.content.decode()) is visible


@pytest.mark.parametrize("viewer", VIEWERS)
def test_no_other_workspace_page_shows_anyone_elses_private_note(client, setting, viewer):
    pair, session, viewers = setting
    tenant, membership = viewers[viewer]
    login(client, membership)
    own = {
        "mentor": NOTES["private note of the mentor"],
        "mentee": NOTES["private note of the mentee"],
        "other group mentee": NOTES["private note of the other group mentee"],
    }.get(viewer)
    others = [text for name, text in NOTES.items() if name.startswith("private") and text != own]
    for page in pages_of(pair, session, tenant):
        response = client.get(page)
        assert response.status_code in ((200, 302) if viewer in PARTICIPANTS else (404,)), page
        content = response.content.decode()
        assert not any(text in content for text in others), page
    # the other organization's member does not get further under the first organization's address either
    if viewer == "other org":
        foreign = url("mentorship_detail", pair.tenant, mentorship_id=pair.mentorship.pk)
        assert client.get(foreign).status_code == 404
