"""The mentorship workspace (issue step 4): what mentors and mentees do once a match is published.

* `access`: who may open a mentorship (its participants only: 404 for anyone else, admins included).
* `sessions`: schedule, log, confirm or correct, cancel; attendance; private notes.
* `goals`: SMART goals, progress updates, action items.
* `feedback`: per-session feedback and the pairing-fit question (feeds the re-match queue).
* `assessments`: capability assessments (self and mentor, baseline/midpoint/final) and the collaboration pulse,
  and when each is due.
* `selectors`: the workspace page's data in a constant number of queries.
"""
