"""The audit log API (org admins): GET /api/orgs/<slug>/audit/ with the page's filters; read-only, as the log is."""

from rest_framework import generics

from mentorship.audit.models import AuditEvent
from mentorship.audit.selectors import AuditEventFilter
from mentorship.audit.serializers import AuditEventSerializer
from mentorship.tenancy.api import OrganizationAPIMixin
from mentorship.tenancy.models import Role


class AuditEventListAPI(OrganizationAPIMixin, generics.ListAPIView):
    """Events newest first, paginated; a bad filter is a 400 naming it (DjangoFilterBackend)."""

    required_roles = (Role.ORG_ADMIN,)
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter

    def get_queryset(self):
        return AuditEvent.objects.order_by("-created_at", "-id")
