from programs.notifications import unread_count


def notifications(request):
    """The sidebar's unread count: one COUNT, run only when a page inside an organization renders it."""
    membership = getattr(request, "membership", None)
    return {"unread_notifications": (lambda: unread_count(membership)) if membership else 0}
