from rest_framework import serializers

from mentorship.audit.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id", "created_at", "actor", "actor_label", "action", "target_type", "target_id", "target_label",
            "details", "ip_address",
        ]  # fmt: skip
        read_only_fields = fields
