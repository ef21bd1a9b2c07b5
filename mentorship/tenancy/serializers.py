from rest_framework import serializers

from mentorship.tenancy.models import Department, Membership, Role


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name"]


class MembershipSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)
    department = DepartmentSerializer(read_only=True, allow_null=True)
    manager_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Membership
        fields = [
            "id",
            "email",
            "full_name",
            "roles",
            "department",
            "job_title",
            "manager_id",
            "location",
            "time_zone",
            "languages",
            "is_active",
        ]
        read_only_fields = fields


class MembershipUpdateSerializer(serializers.Serializer):
    """Fields an org admin may change; ids of another organization's rows are 'not found'."""

    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices), required=False)
    department_id = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), source="department", allow_null=True, required=False
    )
    job_title = serializers.CharField(max_length=120, allow_blank=True, required=False)
    manager_id = serializers.PrimaryKeyRelatedField(
        queryset=Membership.objects.all(), source="manager", allow_null=True, required=False
    )
