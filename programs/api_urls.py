# Mounted under /api/orgs/<slug:org_slug>/ by mentorship/urls.py.
urlpatterns = []
