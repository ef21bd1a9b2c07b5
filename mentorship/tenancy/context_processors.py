from mentorship.tenancy.access import user_memberships
from mentorship.tenancy.models import Role


def organization(request):
    """The current organization and membership (inside /o/<slug>/), and the user's other organizations."""
    membership = getattr(request, "membership", None)
    context = {
        "organization": getattr(request, "organization", None),
        "membership": membership,
        "Role": Role,
    }
    if request.user.is_authenticated:
        context["my_memberships"] = lambda: user_memberships(request.user)  # evaluated only when a page asks
    return context
