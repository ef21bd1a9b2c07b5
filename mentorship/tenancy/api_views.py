from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.response import Response

from mentorship.tenancy import selectors, services
from mentorship.tenancy.access import access_membership_by_id
from mentorship.tenancy.api import OrganizationAPIMixin, OrganizationAPIView
from mentorship.tenancy.models import Role
from mentorship.tenancy.selectors import MemberFilter
from mentorship.tenancy.serializers import DepartmentSerializer, MembershipSerializer, MembershipUpdateSerializer


class MeAPI(OrganizationAPIView):
    serializer_class = MembershipSerializer

    def get(self, request, org_slug):
        return Response(self.get_serializer(self.membership).data)


class MemberListAPI(OrganizationAPIMixin, generics.ListAPIView):
    required_roles = (Role.ORG_ADMIN,)
    serializer_class = MembershipSerializer
    filterset_class = MemberFilter

    def get_queryset(self):
        return selectors.member_list()[1]


class MemberDetailAPI(OrganizationAPIView):
    required_roles = (Role.ORG_ADMIN,)
    serializer_class = MembershipSerializer

    def get(self, request, org_slug, membership_id):
        return Response(self.get_serializer(access_membership_by_id(membership_id)).data)

    @extend_schema(request=MembershipUpdateSerializer, responses=MembershipSerializer)
    def patch(self, request, org_slug, membership_id):
        member = access_membership_by_id(membership_id)
        payload = MembershipUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.membership_update(
            membership=member, actor=self.membership, fields=set(payload.validated_data), **payload.validated_data
        )
        return Response(self.get_serializer(member).data)


class DepartmentListAPI(OrganizationAPIMixin, generics.ListCreateAPIView):
    serializer_class = DepartmentSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.department_list()

    def create(self, request, *args, **kwargs):
        if not self.membership.is_org_admin:
            raise exceptions.PermissionDenied("Only org admins add departments.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        department = services.department_create(name=serializer.validated_data["name"])
        return Response(self.get_serializer(department).data, status=status.HTTP_201_CREATED)
